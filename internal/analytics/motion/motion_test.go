package motion

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"matthan/internal/analytics"
)

const fw, fh = 640, 360

// noon is a day time in Hanoi and Ho Chi Minh City (UTC+7).
var noon = time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)

// clipFrames decodes the first seconds of a shipped clip at 5 fps and
// 640x360, as the decoder would hand them over.
func clipFrames(t testing.TB, name string, seconds int) []*analytics.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := filepath.Join("..", "..", "..", "testdata", "clips", name)
	out, err := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-i", src,
		"-t", strconv.Itoa(seconds), "-vf", "scale=640:360,fps=5", "-an", "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v", name, err)
	}
	size := fw * fh * 3
	var fs []*analytics.Frame
	for i := 0; (i+1)*size <= len(out); i++ {
		fs = append(fs, frame(out[i*size:(i+1)*size], noon.Add(time.Duration(i)*200*time.Millisecond)))
	}
	if len(fs) < seconds*5-1 {
		t.Fatalf("%d frames from %d s of %s", len(fs), seconds, name)
	}
	return fs
}

func frame(bgr []byte, at time.Time) *analytics.Frame {
	return &analytics.Frame{CameraID: "cam-1", At: at, Width: fw, Height: fh, BGR: bgr}
}

// still is a textured grey frame with a little sensor noise.
func still(rng *rand.Rand, base []byte) []byte {
	b := make([]byte, len(base))
	for i, v := range base {
		n := int(v) + rng.IntN(7) - 3
		b[i] = uint8(min(max(n, 0), 255))
	}
	return b
}

// scene is a textured background, the same every time.
func scene() []byte {
	b := make([]byte, fw*fh*3)
	for y := 0; y < fh; y++ {
		for x := 0; x < fw; x++ {
			i := (y*fw + x) * 3
			b[i], b[i+1], b[i+2] = uint8(80+x/8), uint8(100+y/6), uint8(90+(x+y)/16)
		}
	}
	return b
}

// withSquare paints a dark square at (x, y), 40 px a side.
func withSquare(b []byte, x, y int) []byte {
	b = append([]byte(nil), b...)
	for yy := y; yy < y+40; yy++ {
		for xx := x; xx < x+40; xx++ {
			i := (yy*fw + xx) * 3
			b[i], b[i+1], b[i+2] = 20, 20, 30
		}
	}
	return b
}

// TestTrafficMoves runs the roundabout clip (motorbikes in traffic): once
// the background is learnt, frames have boxes, and the boxes cover what
// changed since the previous frame.
func TestTrafficMoves(t *testing.T) {
	fs := clipFrames(t, "motorbikes_roundabout_960x540.mp4", 4)
	m := New(Config{})
	withBoxes := 0
	for i, f := range fs {
		r := m.Update(f)
		if r.Widespread || r.Night {
			t.Errorf("frame %d: widespread %v night %v (brightness %.0f)", i, r.Widespread, r.Night, r.Brightness)
		}
		if i == 0 {
			continue
		}
		if len(r.Boxes) > 0 {
			withBoxes++
		}
		var inside, outside float64
		var inN, outN int
		for y := 0; y < fh; y += 2 {
			for x := 0; x < fw; x += 2 {
				d := pixelDiff(f.BGR, fs[i-1].BGR, x, y)
				if inBoxes(r.Boxes, x, y) {
					inside += d
					inN++
				} else {
					outside += d
					outN++
				}
			}
		}
		for _, b := range r.Boxes {
			if b.X1 < 0 || b.Y1 < 0 || b.X2 > fw || b.Y2 > fh || b.Area() <= 0 {
				t.Fatalf("frame %d: box %v outside the frame", i, b)
			}
		}
		if inN > 0 && outN > 0 && inside/float64(inN) < 2*outside/float64(outN) {
			t.Errorf("frame %d: the boxes changed by %.1f, the rest by %.1f", i, inside/float64(inN), outside/float64(outN))
		}
	}
	if withBoxes < len(fs)-2 {
		t.Errorf("%d of %d frames had motion boxes in moving traffic", withBoxes, len(fs)-1)
	}
}

func pixelDiff(a, b []byte, x, y int) float64 {
	i := (y*fw + x) * 3
	var s int
	for c := range 3 {
		d := int(a[i+c]) - int(b[i+c])
		s += max(d, -d)
	}
	return float64(s) / 3
}

func inBoxes(bs []analytics.Box, x, y int) bool {
	for _, b := range bs {
		if float32(x) >= b.X1 && float32(x) < b.X2 && float32(y) >= b.Y1 && float32(y) < b.Y2 {
			return true
		}
	}
	return false
}

// TestSyntheticScenes covers what must not move and what must: sensor noise
// on a still scene, a moving square with and without a mask over its path,
// a light switched on, a faint change by day and by night.
func TestSyntheticScenes(t *testing.T) {
	base := scene()
	square := func(i int) []byte { return withSquare(base, 100+i*30, 150) }
	for _, tc := range []struct {
		name      string
		cfg       Config
		at        time.Time
		frames    func(i int, rng *rand.Rand) []byte
		wantBoxes bool
		wantWide  bool
		wantNight bool
		wantBox   *analytics.Box // if set, the last frame's box must be near it
	}{
		{name: "still", at: noon, frames: func(_ int, rng *rand.Rand) []byte { return still(rng, base) }},
		{name: "moving square", at: noon, wantBoxes: true,
			frames:  func(i int, rng *rand.Rand) []byte { return still(rng, square(i)) },
			wantBox: &analytics.Box{X1: 100 + 9*30, Y1: 150, X2: 100 + 9*30 + 40, Y2: 190}},
		{name: "masked square", at: noon,
			cfg:    Config{Masks: []Polygon{{{0.1, 0.3}, {0.95, 0.3}, {0.95, 0.6}, {0.1, 0.6}}}},
			frames: func(i int, rng *rand.Rand) []byte { return still(rng, square(i)) }},
		{name: "light switched on", at: noon, wantWide: true,
			frames: func(i int, rng *rand.Rand) []byte {
				if i < 9 {
					return still(rng, base)
				}
				return brighter(base, 60)
			}},
		{name: "camera turned", at: noon, wantWide: true,
			frames: func(i int, rng *rand.Rand) []byte {
				if i < 9 {
					return still(rng, base)
				}
				return checker(base)
			}},
		{name: "faint change by day", at: noon,
			frames: func(i int, rng *rand.Rand) []byte { return faint(base, i) }},
		{name: "faint change at night", at: noon.Add(12 * time.Hour), wantBoxes: true, wantNight: true,
			frames: func(i int, rng *rand.Rand) []byte { return faint(base, i) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(tc.cfg)
			rng := rand.New(rand.NewPCG(1, 2))
			var r Result
			boxes := 0
			for i := range 10 {
				r = m.Update(frame(tc.frames(i, rng), tc.at.Add(time.Duration(i)*200*time.Millisecond)))
				boxes += len(r.Boxes)
			}
			if (boxes > 0) != tc.wantBoxes || r.Widespread != tc.wantWide || r.Night != tc.wantNight {
				t.Fatalf("%d boxes, last frame %+v", boxes, r)
			}
			if tc.wantBox != nil {
				// The square's first place stays a while as a ghost in the
				// background; the square's place now must be one of the boxes.
				found := false
				for _, b := range r.Boxes {
					found = found || b.IoU(*tc.wantBox) >= 0.5
				}
				if !found {
					t.Errorf("boxes %v, want one near %v", r.Boxes, *tc.wantBox)
				}
			}
		})
	}
}

// checker is another scene of the same mean level: blocks lighter and
// darker by 40, as if the camera now looked at something else.
func checker(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range out {
		x, y := (i/3)%fw, (i/3)/fw
		if (x/40+y/40)%2 == 0 {
			out[i] = b[i] + 40
		} else {
			out[i] = b[i] - 40
		}
	}
	return out
}

func brighter(b []byte, by int) []byte {
	out := make([]byte, len(b))
	for i, v := range b {
		out[i] = uint8(min(int(v)+by, 255))
	}
	return out
}

// faint darkens a 60 px square by 20 grey levels on odd frames: above the
// night threshold, below the day one.
func faint(base []byte, i int) []byte {
	b := append([]byte(nil), base...)
	if i%2 == 1 {
		for y := 100; y < 160; y++ {
			for x := 300; x < 360; x++ {
				for c := range 3 {
					b[(y*fw+x)*3+c] -= 20
				}
			}
		}
	}
	return b
}

func TestNight(t *testing.T) {
	m := New(Config{})
	local := func(h, min int) time.Time { return time.Date(2026, 3, 2, h, min, 0, 0, hoChiMinh) }
	for _, tc := range []struct {
		at         time.Time
		brightness float64
		want       bool
	}{
		{local(21, 59), 120, false},
		{local(22, 0), 120, true},
		{local(2, 0), 120, true},
		{local(4, 59), 120, true},
		{local(5, 0), 120, false},
		{local(12, 0), 120, false},
		{local(12, 0), 30, true}, // dark at noon: covered, or a dark alley
		{time.Time{}, 120, false},
	} {
		if got := m.isNight(tc.at, tc.brightness); got != tc.want {
			t.Errorf("isNight(%v, %.0f) = %v", tc.at, tc.brightness, got)
		}
	}
}

func TestPolygonContains(t *testing.T) {
	tri := Polygon{{0, 0}, {1, 0}, {0, 1}}
	for _, tc := range []struct {
		p    Point
		want bool
	}{{Point{0.2, 0.2}, true}, {Point{0.6, 0.6}, false}, {Point{-0.1, 0.5}, false}, {Point{0.49, 0.49}, true}} {
		if got := tri.Contains(tc.p); got != tc.want {
			t.Errorf("Contains(%v) = %v", tc.p, got)
		}
	}
	if (Polygon{{0, 0}, {1, 1}}).Contains(Point{0.5, 0.5}) || (Polygon{}).Contains(Point{}) {
		t.Error("a degenerate polygon contains a point")
	}
}

// BenchmarkUpdate measures one 640x360 frame of real traffic.
func BenchmarkUpdate(b *testing.B) {
	fs := clipFrames(b, "motorbikes_roundabout_960x540.mp4", 2)
	m := New(Config{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Update(fs[i%len(fs)])
	}
}
