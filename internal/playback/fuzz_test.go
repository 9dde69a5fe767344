package playback

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReadSegment: reading a damaged segment file (init, fragments, and
// moving a part's decode times) fails cleanly, never panics or allocates
// past the limits.
func FuzzReadSegment(f *testing.F) {
	seed, err := os.ReadFile("../fmp4/testdata/seed.mp4")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		in, err := readInit(r, int64(len(b)))
		if err != nil {
			return
		}
		for off, n := in.end, 0; n < 1000; n++ {
			fr, err := readFragment(r, off, int64(len(b)), in)
			if err != nil {
				break
			}
			if fr.end <= off {
				t.Fatalf("fragment at %d ends at %d", off, fr.end)
			}
			off = fr.end
		}
		var out bytes.Buffer
		if err := writePart(&out, r, in, in.end, int64(len(b)), 12345); err == nil && int64(out.Len()) != int64(len(b))-in.end {
			t.Fatalf("part of %d bytes written as %d", int64(len(b))-in.end, out.Len())
		}
	})
}
