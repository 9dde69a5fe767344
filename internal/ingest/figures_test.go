package ingest

import (
	"math"
	"testing"
	"time"

	"matthan"
	"matthan/internal/media"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// A synthetic 25 fps stream with a keyframe every 2 s: 10 kB frames and
// 500-byte audio units at the same rate.
func TestFiguresOfSynthetic25fpsStream(t *testing.T) {
	h := newHarness(t, Config{}, pullCamera("cam-001"))
	call := h.nextCall("rtsp://10.0.0.1/cam-001/main")

	const frames = 250 // 10 s
	frame := 40 * time.Millisecond
	for i := range frames {
		if i > 0 {
			h.clk.Advance(frame)
		}
		pts := time.Duration(i) * frame
		call.r.WriteUnit(videoUnit(pts, i%50 == 0, 10_000))
		call.r.WriteUnit(audioUnit(pts, 500))
	}
	call.r.PacketsLost(3)
	call.r.PacketsLost(4)
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)

	st := h.status("cam-001", matthan.StreamMain).Stats
	// The window holds the last 5 s: 125 frames and 125 audio units.
	if !near(st.FPS, 25) {
		t.Errorf("FPS = %v, want 25", st.FPS)
	}
	if want := 125 * 10_500 * 8 / 5.0; !near(st.Bitrate, want) {
		t.Errorf("Bitrate = %v, want %v", st.Bitrate, want)
	}
	if !near(st.KeyframeInterval, 2) {
		t.Errorf("KeyframeInterval = %v, want 2", st.KeyframeInterval)
	}
	if st.Frames != frames || st.Bytes != frames*10_500 || st.PacketsLost != 7 {
		t.Errorf("Frames %d Bytes %d PacketsLost %d", st.Frames, st.Bytes, st.PacketsLost)
	}
	if !st.LastFrameAt.Equal(h.clk.Now()) {
		t.Errorf("LastFrameAt %v, want %v", st.LastFrameAt, h.clk.Now())
	}
	if st.Codec != "H264" || st.Width != 1920 || st.Height != 1080 || st.Audio != "AAC" || st.Skips != 0 {
		t.Errorf("description figures %+v", st)
	}

	// 2.5 s of silence halves the rate; after the window it is zero.
	h.clk.Advance(2500 * time.Millisecond)
	if st := h.status("cam-001", matthan.StreamMain).Stats; st.FPS >= 25 || st.FPS <= 0 {
		t.Errorf("FPS %v while the stream pauses", st.FPS)
	}
	h.clk.Advance(5 * time.Second)
	if st := h.status("cam-001", matthan.StreamMain).Stats; st.FPS != 0 || st.Bitrate != 0 {
		t.Errorf("FPS %v, bitrate %v after the window emptied", st.FPS, st.Bitrate)
	}
}

func TestKeyframeIntervalIgnoresANewSession(t *testing.T) {
	var f figures
	other := &media.Desc{Tracks: testDesc.Tracks}
	f.add(videoUnit(0, true, 1), true, 0, time.Time{})
	f.add(videoUnit(3*time.Second, true, 1), true, int64(3*time.Second), time.Time{})
	// A reconnect restarts media time with a new description.
	f.add(&media.Unit{Desc: other, PTS: 100 * time.Millisecond, Key: true, Data: [][]byte{{1}}}, true, int64(4*time.Second), time.Time{})
	if got := f.snapshot(int64(4 * time.Second)).KeyframeInterval; got != 3 {
		t.Fatalf("KeyframeInterval = %v, want 3", got)
	}
}

// The receiver runs for every unit of every stream: it must not allocate.
func TestReceiverWriteUnitDoesNotAllocate(t *testing.T) {
	m := NewManager(Config{}, nil, nil, nil, nil)
	s := m.newStream("cam-001", matthan.StreamMain, streamSpec{enabled: true})
	r := newReceiver(s)
	sub := s.hub.Subscribe(1)
	defer sub.Close()
	u := videoUnit(0, true, 1000)
	if n := testing.AllocsPerRun(1000, func() { r.WriteUnit(u) }); n != 0 {
		t.Fatalf("WriteUnit allocates %v times per unit", n)
	}
}

func BenchmarkReceiverWriteUnit(b *testing.B) {
	m := NewManager(Config{}, nil, nil, nil, nil)
	s := m.newStream("cam-001", matthan.StreamMain, streamSpec{enabled: true})
	r := newReceiver(s)
	u := videoUnit(0, false, 20_000)
	b.ReportAllocs()
	for b.Loop() {
		r.WriteUnit(u)
	}
}

func TestQualityTellsVideoFromGarbage(t *testing.T) {
	var q quality
	sec := int64(time.Second)
	// A healthy stream with one broken frame stays video.
	for i := 0; i < 25; i++ {
		if i == 10 {
			q.errors(int64(i)*sec/25, 1)
		}
		if !q.unit(int64(i) * sec / 25) {
			t.Fatalf("unit %d of a healthy stream with one error was not counted as video", i)
		}
	}
	// Garbage: three errors for each unit that slipped through, for two seconds.
	counted := 0
	for i := 0; i < 100; i++ {
		mono := 2*sec + int64(i)*sec/50
		q.errors(mono, 3)
		if q.unit(mono) {
			counted++
		}
	}
	if counted > 1 || !q.corrupt() {
		t.Errorf("garbage: %d units counted as video, corrupt=%v; want at most 1 and true", counted, q.corrupt())
	}
	// Clean video again: recognised once the bad seconds leave the window.
	if q.unit(10 * sec); !q.unit(10*sec + 1) {
		t.Error("clean video after a quiet gap not counted")
	}
}
