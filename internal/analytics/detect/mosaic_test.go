package detect

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"matthan/internal/analytics"
)

// squareFinder is a fake model that "detects" painted squares: in each
// quadrant of the canvas, the bounding box of the pure red pixels (after
// the bilinear resize, pixels more red than not) is one person. It counts
// its runs and can be held inside a run.
type squareFinder struct {
	mu    sync.Mutex
	runs  int
	hold  chan struct{} // when set, each run waits for it to close
	entry chan struct{} // when set, each run signals it on entry
}

func (s *squareFinder) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	if s.entry != nil {
		s.entry <- struct{}{}
	}
	if s.hold != nil {
		<-s.hold
	}
	s.mu.Lock()
	s.runs++
	s.mu.Unlock()
	out := make([][]analytics.Detection, len(frames))
	for i, f := range frames {
		half := f.Width / 2
		for q := range 4 {
			ox, oy := (q%2)*half, (q/2)*half
			b := analytics.Box{X1: math.MaxFloat32, Y1: math.MaxFloat32}
			// Bounded by the frame, so that a frame that is not a square
			// canvas fails a test's checks rather than panicking.
			for y := oy; y < min(oy+half, f.Height); y++ {
				for x := ox; x < min(ox+half, f.Width); x++ {
					p := f.BGR[(y*f.Width+x)*3:]
					if p[2] > 127 && p[0] < 64 && p[1] < 64 {
						b = analytics.Box{X1: min(b.X1, float32(x)), Y1: min(b.Y1, float32(y)),
							X2: max(b.X2, float32(x+1)), Y2: max(b.Y2, float32(y+1))}
					}
				}
			}
			if b.Area() > 0 {
				out[i] = append(out[i], analytics.Detection{Class: analytics.Person, Score: 0.9, Box: b})
			}
		}
	}
	return out, nil
}

func (s *squareFinder) Close() error { return nil }

// grey returns a w×h grey frame with red squares painted on it.
func grey(id string, w, h int, squares ...analytics.Box) *analytics.Frame {
	f := &analytics.Frame{CameraID: id, Width: w, Height: h, BGR: make([]byte, w*h*3)}
	for i := range f.BGR {
		f.BGR[i] = 90
	}
	for _, s := range squares {
		for y := int(s.Y1); y < int(s.Y2); y++ {
			for x := int(s.X1); x < int(s.X2); x++ {
				copy(f.BGR[(y*w+x)*3:], []byte{0, 0, 255})
			}
		}
	}
	return f
}

// near says whether two boxes agree within tol pixels on every side.
func near(a, b analytics.Box, tol float32) bool {
	d := func(x, y float32) bool { return math.Abs(float64(x-y)) <= float64(tol) }
	return d(a.X1, b.X1) && d(a.Y1, b.Y1) && d(a.X2, b.X2) && d(a.Y2, b.Y2)
}

// TestMosaicMapsBoxesBack: squares painted in frames of different sizes,
// searched in regions of different sizes (enlarged and shrunk into their
// tiles, square and cut by the frame), come back where they were painted.
func TestMosaicMapsBoxesBack(t *testing.T) {
	box := func(x1, y1, x2, y2 float32) analytics.Box { return analytics.Box{X1: x1, Y1: y1, X2: x2, Y2: y2} }
	tests := []struct {
		name   string
		w, h   int
		square analytics.Box
		region analytics.Box
		want   bool // false: cut by the region's side inside the frame, dropped
	}{
		{"enlarged", 640, 360, box(300, 100, 340, 180), box(240, 60, 400, 220), true},
		{"shrunk", 960, 540, box(500, 200, 600, 380), box(400, 100, 800, 500), true},
		{"at the frame's corner", 640, 360, box(0, 300, 30, 360), box(0, 200, 160, 360), true},
		{"cut by the frame", 704, 576, box(650, 10, 704, 60), box(584, 0, 704, 120), true},
		{"cut by the region", 640, 360, box(200, 100, 300, 150), box(250, 50, 410, 210), false},
		{"odd region", 641, 361, box(101, 33, 137, 97), box(77.5, 11.2, 201.7, 135.9), true},
	}
	fake := &squareFinder{}
	m := NewMosaic(fake, MosaicOptions{})
	// All at once, from one goroutine each: they share canvases.
	got := make([][]analytics.Detection, len(tests))
	errs := make([]error, len(tests))
	var wg sync.WaitGroup
	for i, tc := range tests {
		wg.Go(func() {
			got[i], errs[i] = m.DetectRegions(t.Context(), grey(tc.name, tc.w, tc.h, tc.square), []analytics.Box{tc.region})
		})
	}
	wg.Wait()
	for i, tc := range tests {
		if errs[i] != nil {
			t.Errorf("%s: %v", tc.name, errs[i])
			continue
		}
		if !tc.want {
			if len(got[i]) != 0 {
				t.Errorf("%s: %v, want nothing (the square is cut)", tc.name, got[i])
			}
			continue
		}
		// A tile pixel is 1/scale frame pixels: the resize blurs the
		// square's edges by about one.
		r := tc.region
		tol := max(r.W(), r.H())/208 + 1
		if len(got[i]) != 1 || !near(got[i][0].Box, tc.square, tol) {
			t.Errorf("%s: %v, want one person at %v (±%.1f)", tc.name, got[i], tc.square, tol)
		}
	}
	if st := m.Stats(); st.Tiles != uint64(len(tests)) || st.Runs < 2 || st.Runs > uint64(len(tests)) {
		t.Errorf("stats %+v: want %d tiles on 2..%d canvases", st, len(tests), len(tests))
	}
}

// TestMosaicPacking: one call's regions fill canvases four at a time, and
// each region's object comes back to its own frame.
func TestMosaicPacking(t *testing.T) {
	for _, n := range []int{1, 3, 4, 5, 8} {
		t.Run(fmt.Sprint(n, " regions"), func(t *testing.T) {
			fake := &squareFinder{}
			m := NewMosaic(fake, MosaicOptions{Wait: time.Millisecond})
			var squares, regions []analytics.Box
			for i := range n {
				x := float32(10 + 200*(i%4))
				y := float32(10 + 200*(i/4))
				regions = append(regions, analytics.Box{X1: x, Y1: y, X2: x + 180, Y2: y + 180})
				squares = append(squares, analytics.Box{X1: x + 40 + float32(i), Y1: y + 60, X2: x + 80 + float32(i), Y2: y + 140})
			}
			got, err := m.DetectRegions(t.Context(), grey("cam", 820, 420, squares...), regions)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("%d detections, want %d: %v", len(got), n, got)
			}
			for _, s := range squares {
				found := false
				for _, d := range got {
					found = found || near(d.Box, s, 2)
				}
				if !found {
					t.Errorf("square %v not found in %v", s, got)
				}
			}
			if want := uint64((n + 3) / 4); m.Stats().Runs != want || fake.runs != int(want) {
				t.Errorf("%d runs, want %d", m.Stats().Runs, want)
			}
		})
	}
}

// TestMosaicConcurrent: many cameras at once, under -race: every call gets
// its own objects back, canvases are shared.
func TestMosaicConcurrent(t *testing.T) {
	fake := &squareFinder{}
	m := NewMosaic(fake, MosaicOptions{Wait: 5 * time.Millisecond})
	const cameras, frames = 6, 6
	var wg sync.WaitGroup
	for c := range cameras {
		wg.Go(func() {
			for k := range frames {
				x := float32(20 + 10*c + k)
				sq := analytics.Box{X1: x + 50, Y1: 80, X2: x + 90, Y2: 150}
				got, err := m.DetectRegions(t.Context(), grey(fmt.Sprint("cam", c), 640, 360, sq),
					[]analytics.Box{{X1: x, Y1: 20, X2: x + 160, Y2: 180}})
				if err != nil || len(got) != 1 || !near(got[0].Box, sq, 2) {
					t.Errorf("camera %d frame %d: %v %v, want %v", c, k, got, err, sq)
				}
			}
		})
	}
	wg.Wait()
	st := m.Stats()
	if st.Tiles != cameras*frames || st.Runs >= st.Tiles {
		t.Errorf("stats %+v: want %d tiles on fewer canvases", st, cameras*frames)
	}
}

// TestMosaicCancel: a camera whose context ends stops waiting at once,
// even while the canvas it is on runs; a leader whose context ended still
// runs the canvas for the others.
func TestMosaicCancel(t *testing.T) {
	region := []analytics.Box{{X1: 0, Y1: 0, X2: 160, Y2: 160}}
	sq := analytics.Box{X1: 40, Y1: 40, X2: 80, Y2: 120}

	t.Run("waiter", func(t *testing.T) {
		fake := &squareFinder{hold: make(chan struct{}), entry: make(chan struct{}, 1)}
		defer close(fake.hold)
		m := NewMosaic(fake, MosaicOptions{})
		m.wait = time.Minute // the canvas runs when full, not before
		leader := make(chan error, 1)
		go func() {
			_, err := m.DetectRegions(context.Background(), grey("a", 320, 240, sq), region)
			leader <- err
		}()
		waitOpen(t, m) // the leader's canvas, to join
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { // three tiles: the canvas is full and runs
			_, err := m.DetectRegions(ctx, grey("b", 320, 240, sq), []analytics.Box{region[0], region[0], region[0]})
			done <- err
		}()
		<-fake.entry // the canvas runs, held inside the model
		cancel()
		wantCanceled(t, done)
	})

	t.Run("leader", func(t *testing.T) {
		fake := &squareFinder{}
		m := NewMosaic(fake, MosaicOptions{Wait: MaxMosaicWait})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		// The cancelled leader opens a canvas that three others fill.
		m.mu.Lock() // hold the canvas open until all four are on it
		var wg sync.WaitGroup
		results := make([][]analytics.Detection, 4)
		errs := make([]error, 4)
		for i := range 4 {
			c := ctx
			if i > 0 {
				c = t.Context()
			}
			wg.Go(func() { results[i], errs[i] = m.DetectRegions(c, grey(fmt.Sprint(i), 320, 240, sq), region) })
		}
		time.Sleep(20 * time.Millisecond)
		m.mu.Unlock()
		wg.Wait()
		for i := 1; i < 4; i++ {
			if errs[i] != nil || len(results[i]) != 1 {
				t.Errorf("camera %d: %v %v, want its square", i, results[i], errs[i])
			}
		}
	})
}

// TestMosaicRefuses: a region outside the frame, a bad frame.
func TestMosaicRefuses(t *testing.T) {
	m := NewMosaic(&squareFinder{}, MosaicOptions{})
	f := grey("cam", 320, 240)
	if _, err := m.DetectRegions(t.Context(), f, []analytics.Box{{X1: 400, Y1: 0, X2: 500, Y2: 100}}); err == nil {
		t.Error("a region outside the frame was taken")
	}
	bad := &analytics.Frame{CameraID: "bad", Width: 10, Height: 10, BGR: make([]byte, 5)}
	if _, err := m.DetectRegions(t.Context(), bad, []analytics.Box{{X2: 5, Y2: 5}}); err == nil {
		t.Error("a frame with too few bytes was taken")
	}
	if got, err := m.DetectRegions(t.Context(), f, nil); err != nil || got != nil {
		t.Errorf("no regions: %v %v", got, err)
	}
	if s := m.MaxRegionSide(640, 360); s != 320 {
		t.Errorf("MaxRegionSide(640, 360) = %d, want 320", s)
	}
	if s := m.MaxRegionSide(320, 240); s != 208 {
		t.Errorf("MaxRegionSide(320, 240) = %d, want 208", s)
	}
}

// TestMosaicYOLOX: on real frames, the real model finds in regions around
// objects what it finds on the whole frame: each whole-frame detection
// well inside a region (and of a size the region shows at least as
// sharply) has a region detection of its class on it.
func TestMosaicYOLOX(t *testing.T) {
	y := newTestYOLOX(t)
	m := NewMosaic(y, MosaicOptions{})
	for _, name := range []string{"motorbikes_f100.png", "pedestrians_f050.png", "highway_f120.png"} {
		t.Run(name, func(t *testing.T) {
			f := loadFrame(t, name)
			full, err := y.Detect(t.Context(), []*analytics.Frame{f})
			if err != nil {
				t.Fatal(err)
			}
			side := float32(m.MaxRegionSide(f.Width, f.Height))
			// Regions around the three best whole-frame detections.
			var regions []analytics.Box
			for _, d := range full[0] {
				if len(regions) == 3 {
					break
				}
				cx, cy := (d.Box.X1+d.Box.X2)/2, (d.Box.Y1+d.Box.Y2)/2
				r := analytics.Box{X1: max(0, cx-side/2), Y1: max(0, cy-side/2)}
				r.X1, r.Y1 = min(r.X1, float32(f.Width)-side), min(r.Y1, float32(f.Height)-side)
				r.X2, r.Y2 = r.X1+side, r.Y1+side
				regions = append(regions, r)
			}
			got, err := m.DetectRegions(t.Context(), f, regions)
			if err != nil {
				t.Fatal(err)
			}
			want, found := 0, 0
			for _, d := range full[0] {
				inside := false
				for _, r := range regions {
					in := analytics.Box{X1: r.X1 + 8, Y1: r.Y1 + 8, X2: r.X2 - 8, Y2: r.Y2 - 8}
					inside = inside || (d.Box.X1 >= in.X1 && d.Box.Y1 >= in.Y1 && d.Box.X2 <= in.X2 && d.Box.Y2 <= in.Y2)
				}
				if !inside || d.Score < 0.5 {
					continue
				}
				want++
				for _, g := range got {
					if g.Class == d.Class && g.Box.IoU(d.Box) >= 0.5 {
						found++
						break
					}
				}
			}
			t.Logf("%s: %d regions of %.0f px, %d whole-frame detections inside them, %d found again; %d region detections",
				name, len(regions), side, want, found, len(got))
			if want == 0 || float64(found) < 0.8*float64(want) {
				t.Errorf("regions found %d of the %d confident whole-frame detections inside them", found, want)
			}
		})
	}
}

// BenchmarkMosaicCut is the cost of cutting one region into its tile, and
// a whole 640×360 frame into half a canvas (Pair).
func BenchmarkMosaicCut(b *testing.B) {
	m := NewMosaic(&squareFinder{}, MosaicOptions{})
	f := grey("cam", 640, 360)
	for _, bc := range []struct {
		name string
		r    analytics.Box
		wide bool
	}{
		{"region", analytics.Box{X1: 100, Y1: 50, X2: 400, Y2: 350}, false},
		{"frame", analytics.Box{X2: 640, Y2: 360}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				t, err := m.cut(f, bc.r, bc.wide)
				if err != nil {
					b.Fatal(err)
				}
				if bc.wide {
					m.halfBuffers.Put(t.bgr)
				} else {
					m.tileBuffers.Put(t.bgr)
				}
			}
		})
	}
}

// TestLetterboxRatioOne: a frame of the model's size (a mosaic canvas)
// reaches the model as it is.
func TestLetterboxRatioOne(t *testing.T) {
	const size = 64
	f := &analytics.Frame{Width: size, Height: size, BGR: make([]byte, size*size*3)}
	for i := range f.BGR {
		f.BGR[i] = byte(i*7 + i/5)
	}
	dst := make([]float32, 3*size*size)
	newResizePlan(size, size, size).letterbox(f, dst, size)
	for y := range size {
		for x := range size {
			for c := range 3 {
				if got, want := dst[c*size*size+y*size+x], float32(f.BGR[(y*size+x)*3+c]); got != want {
					t.Fatalf("pixel %d,%d plane %d: %v, want %v", x, y, c, got, want)
				}
			}
		}
	}
}
