package fmp4

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

var update = flag.Bool("update", false, "rewrite testdata/seed.mp4")

const seedPath = "testdata/seed.mp4"

// TestSeedFile keeps the fuzz seed (a small file our writer made: H.264 and
// AAC, a few fragments) readable; -update remakes it.
func TestSeedFile(t *testing.T) {
	if *update {
		c := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 2, FPS: 4, GOP: 4, Width: 64, Height: 48},
			time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		path, _ := writeClip(t, c, 500*time.Millisecond)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(seedPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Scan(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.End != int64(len(b)) || len(f.Fragments) != 4 || len(f.Tracks) != 2 || f.Meta == nil {
		t.Fatalf("seed: end %d of %d, %d fragments, tracks %+v, meta %v", f.End, len(b), len(f.Fragments), f.Tracks, f.Meta)
	}
	if p := fmp4test.ProbeFile(t, seedPath); p.Errors != "" || p.Video(t).Frames != 8 {
		t.Fatalf("seed probe: %+v", p)
	}
}

// TestScanCut cuts a file at fragment boundaries, inside them and at random
// points: every cut scans to a whole prefix of the fragments, and a file
// truncated there plays cleanly.
func TestScanCut(t *testing.T) {
	c := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 4}, time.Now())
	path, _ := writeClip(t, c, time.Second)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Scan(bytes.NewReader(b), int64(len(b)))
	if err != nil || full.End != int64(len(b)) || len(full.Fragments) != 4 {
		t.Fatalf("full scan: %v, %+v", err, full)
	}
	ends := map[int64]int{full.InitEnd: 0} // fragment end → fragments before it
	for i, fr := range full.Fragments {
		ends[fr.Offset+fr.Size] = i + 1
	}
	cuts := []int64{0, 7, 8, full.InitEnd - 1, full.InitEnd, full.InitEnd + 5}
	for _, fr := range full.Fragments {
		cuts = append(cuts, fr.Offset, fr.Offset+1, fr.Offset+fr.Size-1, fr.Offset+fr.Size, fr.Offset+fr.Size+3)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		cuts = append(cuts, rng.Int64N(int64(len(b))))
	}
	probed := 0
	for _, cut := range cuts {
		cut = min(cut, int64(len(b)))
		f, err := Scan(bytes.NewReader(b[:cut]), cut)
		if cut < full.InitEnd-int64(metaBoxSize) {
			if !errors.Is(err, ErrNoInit) {
				t.Fatalf("cut %d inside the init: err %v", cut, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		n, ok := ends[f.End]
		if !ok && f.End != full.InitEnd-int64(metaBoxSize) || f.End > cut || len(f.Fragments) != n {
			t.Fatalf("cut %d: end %d with %d fragments is not a fragment boundary", cut, f.End, len(f.Fragments))
		}
		if (f.End == cut) != (f.Stop == nil) {
			t.Fatalf("cut %d: end %d, stop %v", cut, f.End, f.Stop)
		}
		// Play a few truncated files.
		if n > 0 && f.End < int64(len(b)) && probed < 3 && f.End != cut {
			probed++
			p := filepath.Join(t.TempDir(), "cut.mp4")
			if err := os.WriteFile(p, b[:f.End], 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, frames := f.VideoSpan()
			if pr := fmp4test.ProbeFile(t, p); pr.Errors != "" || int64(pr.Video(t).Frames) != frames {
				t.Fatalf("cut %d → %d: probe %+v, want %d frames", cut, f.End, pr, frames)
			}
		}
	}
	if probed == 0 {
		t.Fatal("no truncated file was probed")
	}
}

// TestScanDamage: damage inside a fragment ends the scan before it.
func TestScanDamage(t *testing.T) {
	b, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Scan(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	third := full.Fragments[2]
	tests := []struct {
		name string
		at   int64 // byte to overwrite
		val  byte
	}{
		{"moof size", third.Offset + 3, 0xff},
		{"moof type", third.Offset + 4, 'x'},
		{"mdat size", third.Offset + 1, 0x7f},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := bytes.Clone(b)
			d[tc.at] = tc.val
			f, err := Scan(bytes.NewReader(d), int64(len(d)))
			if err != nil {
				t.Fatal(err)
			}
			if f.End != third.Offset || len(f.Fragments) != 2 || f.Stop == nil {
				t.Fatalf("end %d (want %d), %d fragments, stop %v", f.End, third.Offset, len(f.Fragments), f.Stop)
			}
		})
	}
	for _, junk := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0}, 64), []byte("\x00\x00\x00\x08ftyp\x00\x00\x00\x08moov")} {
		if _, err := Scan(bytes.NewReader(junk), int64(len(junk))); !errors.Is(err, ErrNoInit) {
			t.Fatalf("junk %q: err %v", junk, err)
		}
	}
}

// FuzzScan: Scan never panics, and what it returns is consistent.
func FuzzScan(f *testing.F) {
	b, err := os.ReadFile(seedPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(b[:len(b)-1])
	f.Add([]byte("\x00\x00\x00\x10ftypmp42\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := Scan(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrNoInit) {
				t.Fatalf("error not ErrNoInit: %v", err)
			}
			return
		}
		if sf.End > int64(len(data)) || sf.InitEnd > sf.End || len(sf.Tracks) == 0 {
			t.Fatalf("end %d, init end %d, size %d", sf.End, sf.InitEnd, len(data))
		}
		prev := sf.InitEnd
		for _, fr := range sf.Fragments {
			if fr.Offset < prev || fr.Size <= 0 || fr.Offset+fr.Size > sf.End {
				t.Fatalf("fragment %+v out of order (prev end %d, end %d)", fr, prev, sf.End)
			}
			prev = fr.Offset + fr.Size
		}
	})
}

func BenchmarkScanSeed(b *testing.B) {
	data, err := os.ReadFile(seedPath)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Scan(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
