package media

import (
	"testing"
	"time"
)

// TestAfterSkip: the first unit a subscriber gets after the hub skipped
// units for it is marked, on that subscriber's copy only.
func TestAfterSkip(t *testing.T) {
	desc := &Desc{Tracks: []Track{{Codec: H264}}}
	h := NewHub()
	slow, fast := h.Subscribe(1), h.Subscribe(16)
	defer slow.Close()
	defer fast.Close()
	for i, key := range []bool{true, false, false, true, false} {
		h.WriteUnit(&Unit{Desc: desc, PTS: 40 * time.Millisecond * time.Duration(i), Key: key})
		if i == 0 {
			if u := <-slow.Units(); u.AfterSkip {
				t.Fatal("the first unit of a subscription is marked")
			}
		}
	}
	// slow took unit 0, was full at 1 (unit 1 queued), skipped 2, waited
	// for the keyframe 3, which was dropped too (its queue still held 1).
	if u := <-slow.Units(); u.PTS != 40*time.Millisecond || u.AfterSkip {
		t.Fatalf("queued unit %v after-skip %v", u.PTS, u.AfterSkip)
	}
	h.WriteUnit(&Unit{Desc: desc, PTS: 200 * time.Millisecond, Key: true})
	u := <-slow.Units()
	if u.PTS != 200*time.Millisecond || !u.AfterSkip || slow.Skips() == 0 {
		t.Fatalf("the unit after the skip: %v, after-skip %v, skips %d", u.PTS, u.AfterSkip, slow.Skips())
	}
	for range 6 {
		if u := <-fast.Units(); u.AfterSkip {
			t.Fatal("a subscriber that kept up got a marked unit")
		}
	}
}
