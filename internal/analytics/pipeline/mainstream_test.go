package pipeline

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// TestMainStreamOnDemand: the main stream is decoded only once asked,
// keeps about a second of full-size frames found by their wall time, and
// stops by itself when nobody asks any more.
func TestMainStreamOnDemand(t *testing.T) {
	wall0 := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 3, Width: 1280, Height: 720}, wall0)
	hub := media.NewHub()
	m := newMainStream(hub, "cam-1", nil, nil, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	clock := time.Now()
	m.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(m.close)

	if m.running() || hub.Subscribers() != 0 {
		t.Fatal("decoding before anyone asked")
	}
	if !m.want(t.Context()) {
		t.Fatal("want refused with no bound on decoders")
	}
	waitUntil(t, "the decoder's subscription", func() bool { return hub.Subscribers() == 1 })
	for _, u := range clip.Units {
		hub.WriteUnit(u)
		time.Sleep(40 * time.Millisecond) // a camera's pace: a burst would overflow the decoder's queue
	}
	// ffmpeg holds back a frame or two until more come: wait for the 73rd.
	last := wall0.Add(2880 * time.Millisecond)
	waitUntil(t, "the last frame", func() bool { return m.nearest(last) != nil })
	f := m.nearest(last.Add(-10 * time.Millisecond))
	if f.Width != mainWidth || f.Height != 720 || !f.At.Equal(last) {
		t.Fatalf("nearest frame %dx%d at %v, want %dx720 at %v", f.Width, f.Height, f.At, mainWidth, last)
	}
	if got := m.nearest(last.Add(-990 * time.Millisecond)); got == nil {
		t.Error("a frame within the last second is not kept")
	}
	if got := m.nearest(wall0.Add(400 * time.Millisecond)); got != nil {
		t.Errorf("a frame of %v is still kept, 2.5 s before the newest", got.At)
	}
	if got := m.nearest(last.Add(time.Second)); got != nil {
		t.Error("a frame is given for a moment no frame is near")
	}

	// Nobody asks for mainIdle: the decoder stops and lets go of the hub.
	mu.Lock()
	clock = clock.Add(mainIdle + time.Second)
	mu.Unlock()
	waitUntil(t, "the idle stop", func() bool { return !m.running() && hub.Subscribers() == 0 })
	if m.nearest(last) != nil {
		t.Error("frames kept after the stop")
	}
}

// TestMainStreamSlots: the node's main-stream decoders are bounded; a
// camera that finds every slot taken is refused, and gets one when
// another camera's decoder stops.
func TestMainStreamSlots(t *testing.T) {
	slots := make(chan struct{}, 1)
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	a := newMainStream(media.NewHub(), "cam-a", slots, nil, slog.New(slog.DiscardHandler))
	b := newMainStream(media.NewHub(), "cam-b", slots, nil, slog.New(slog.DiscardHandler))
	a.now, b.now = now, now
	t.Cleanup(a.close)
	t.Cleanup(b.close)

	if !a.want(t.Context()) || !a.want(t.Context()) {
		t.Fatal("the first camera was refused the free slot")
	}
	if b.want(t.Context()) || b.running() {
		t.Fatal("a second decoder started beyond the bound")
	}
	// Nobody asks a for mainIdle: its decoder stops and frees the slot.
	mu.Lock()
	clock = clock.Add(mainIdle + time.Second)
	mu.Unlock()
	waitUntil(t, "the first decoder's idle stop", func() bool { return !a.running() })
	waitUntil(t, "the slot to be free", func() bool { return len(slots) == 0 })
	if !b.want(t.Context()) || !b.running() {
		t.Fatal("the second camera did not get the freed slot")
	}
	if a.want(t.Context()) {
		t.Fatal("the first camera took a slot the second holds")
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
