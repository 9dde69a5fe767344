package media

import (
	"sync"
	"testing"
	"time"
)

var videoDesc = &Desc{Tracks: []Track{{Codec: H264, ClockRate: 90000}, {Codec: AAC, ClockRate: 48000}}}

func frame(i int, key bool) *Unit {
	return &Unit{Desc: videoDesc, Track: 0, PTS: time.Duration(i) * 40 * time.Millisecond, Key: key, Data: [][]byte{{byte(i)}}}
}

// gop publishes frames first..first+n-1 where the first one is a keyframe.
func gop(h *Hub, first, n int) {
	for i := 0; i < n; i++ {
		h.WriteUnit(frame(first+i, i == 0))
	}
}

func TestNewSubscriberStartsAtKeyframe(t *testing.T) {
	h := NewHub()
	h.WriteUnit(frame(0, true))
	s := h.Subscribe(10)
	h.WriteUnit(frame(1, false))
	h.WriteUnit(&Unit{Desc: videoDesc, Track: 1, Data: [][]byte{{9}}}) // audio before the first keyframe
	h.WriteUnit(frame(2, true))
	h.WriteUnit(&Unit{Desc: videoDesc, Track: 1, Data: [][]byte{{9}}})
	if u := <-s.Units(); u.Data[0][0] != 2 || !u.Key {
		t.Fatalf("first unit = %d key=%v, want keyframe 2", u.Data[0][0], u.Key)
	}
	if u := <-s.Units(); u.Track != 1 {
		t.Fatalf("audio after the keyframe was not delivered")
	}
	if s.Skips() != 0 || s.Dropped() != 0 {
		t.Fatalf("waiting for the first keyframe is not a skip: skips=%d dropped=%d", s.Skips(), s.Dropped())
	}
}

// A consumer that stops reading loses the rest of the GOP, is counted, and
// resumes at the next keyframe; a fast consumer gets everything.
func TestSlowConsumerSkipsToNextKeyframe(t *testing.T) {
	h := NewHub()
	slow := h.Subscribe(3)
	fast := h.Subscribe(100)
	read := func(n int) (got []byte) {
		for i := 0; i < n; i++ {
			got = append(got, (<-slow.Units()).Data[0][0])
		}
		return got
	}
	gop(h, 0, 10) // slow holds 0,1,2; 3 overflows → skip; 4..9 dropped
	first := read(3)
	gop(h, 10, 5) // slow holds 10,11,12; 13 overflows → skip; 14 dropped
	second := read(3)
	if string(first) != string([]byte{0, 1, 2}) || string(second) != string([]byte{10, 11, 12}) {
		t.Fatalf("slow consumer got %v then %v, want [0 1 2] then [10 11 12]", first, second)
	}
	if len(slow.Units()) != 0 {
		t.Fatalf("slow consumer has %d more units, want none (rest of the GOP skipped)", len(slow.Units()))
	}
	if slow.Skips() != 2 { // once in the first GOP, once again when 13 overflowed after 10,11,12
		t.Errorf("skips = %d, want 2", slow.Skips())
	}
	if slow.Dropped() != 9 { // 3..9 and 13,14
		t.Errorf("dropped = %d, want 9", slow.Dropped())
	}
	if len(fast.Units()) != 15 || fast.Skips() != 0 {
		t.Errorf("fast consumer has %d units and %d skips, want 15 and 0", len(fast.Units()), fast.Skips())
	}
}

func TestCloseIsIdempotentAndStopsDelivery(t *testing.T) {
	h := NewHub()
	s := h.Subscribe(4)
	s.Close()
	s.Close()
	gop(h, 0, 3)
	if _, ok := <-s.Units(); ok {
		t.Fatal("closed subscription delivered a unit")
	}
	if h.Subscribers() != 0 {
		t.Fatal("subscription still registered")
	}
}

func TestConcurrentPublishersAndSubscribers(t *testing.T) {
	h := NewHub()
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				h.WriteUnit(frame(i, i%25 == 0))
			}
		}()
	}
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := h.Subscribe(8)
			for i := 0; i < 50; i++ {
				select {
				case <-s.Units():
				case <-time.After(10 * time.Millisecond):
				}
			}
			s.Close()
		}()
	}
	wg.Wait()
	if h.Published() != 2000 {
		t.Fatalf("published %d, want 2000", h.Published())
	}
}

func BenchmarkHubFanOut(b *testing.B) {
	h := NewHub()
	subs := make([]*Subscription, 4)
	for i := range subs {
		subs[i] = h.Subscribe(1 << 16)
	}
	units := make([]*Unit, 50)
	for i := range units {
		units[i] = frame(i, i == 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.WriteUnit(units[i%50])
		if i%1024 == 1023 {
			for _, s := range subs {
				for len(s.Units()) > 0 {
					<-s.Units()
				}
			}
		}
	}
}

func TestResetForgetsTheDescription(t *testing.T) {
	h := NewHub()
	h.WriteUnit(frame(0, true))
	if h.Desc() != videoDesc {
		t.Fatal("desc not recorded")
	}
	h.Reset()
	if h.Desc() != nil {
		t.Fatal("desc survived Reset")
	}
	h.WriteUnit(frame(1, true))
	if h.Desc() != videoDesc {
		t.Fatal("desc not restored by the next unit")
	}
}
