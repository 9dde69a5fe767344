package sim

import (
	"bytes"
	"testing"
	"time"
)

func TestStampRoundTrip(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		time.UnixMicro(0x0000_0100_0000_0003), // zero runs that need escaping
		time.UnixMicro(0x0600_0000_0000_0000),
	}
	for _, codec := range []Codec{CodecH264, CodecH265} {
		for _, want := range times {
			n := appendStamp(nil, codec, want)
			if bytes.Contains(n, []byte{0, 0, 1}) || bytes.Contains(n, []byte{0, 0, 0}) {
				t.Fatalf("%s %v: a start code inside the NAL unit: %x", codec, want, n)
			}
			got, ok := ReadStamp(codec, n)
			if !ok || !got.Equal(want) {
				t.Fatalf("%s: read %v %v, want %v (%x)", codec, got, ok, want, n)
			}
		}
	}
	if _, ok := ReadStamp(CodecH264, []byte{0x65, 1, 2, 3}); ok {
		t.Fatal("an IDR slice read as a stamp")
	}
	if _, ok := ReadStamp(CodecH264, appendStamp(nil, CodecH265, times[0])); ok {
		t.Fatal("an H.265 stamp read as H.264")
	}
}

func FuzzReadStamp(f *testing.F) {
	f.Add([]byte{6, 5, 24}, false)
	f.Add(appendStamp(nil, CodecH264, time.Unix(1, 0)), false)
	f.Add(appendStamp(nil, CodecH265, time.Unix(1, 0)), true)
	f.Fuzz(func(t *testing.T, nalu []byte, h265 bool) {
		codec := CodecH264
		if h265 {
			codec = CodecH265
		}
		if ts, ok := ReadStamp(codec, nalu); ok {
			// Whatever reads as a stamp writes back to the same time.
			if again, ok := ReadStamp(codec, appendStamp(nil, codec, ts)); !ok || !again.Equal(ts) {
				t.Fatalf("%v does not round-trip", ts)
			}
		}
	})
}

// TestStampedFrames: with StampTime every frame a reader gets carries the
// time it was sent, as its own single-NAL packet before the picture.
func TestStampedFrames(t *testing.T) {
	s := startSim(t, testLibrary(t), Config{Addr: "127.0.0.1:0", Cameras: 4, H265Every: 4, StampTime: true})
	for _, id := range []string{"cam-001", "cam-004"} {
		codec := CodecH264
		if id == "cam-004" {
			codec = CodecH265
		}
		r := mustPlay(t, s.URL(id, "main"))
		deadline := time.Now().Add(10 * time.Second)
		for r.frames() < 10 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		stamps := 0
		for _, p := range r.packets() {
			if ts, ok := ReadStamp(codec, p.payload); ok {
				stamps++
				if d := p.at.Sub(ts); d < 0 || d > time.Second {
					t.Fatalf("%s: stamped %v, received %v", id, ts, p.at)
				}
			}
		}
		if f := r.frames(); stamps < f-1 || f < 10 {
			t.Fatalf("%s: %d stamps in %d frames", id, stamps, f)
		}
	}
}
