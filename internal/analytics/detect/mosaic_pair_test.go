package detect

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"matthan/internal/analytics"
)

// fixedFinder is a fake model that returns the same boxes, in canvas
// pixels, on every frame it is given.
type fixedFinder struct {
	boxes []analytics.Box
	mu    sync.Mutex
	sizes [][2]int // the size of each frame it ran on
}

func (f *fixedFinder) Detect(_ context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	out := make([][]analytics.Detection, len(frames))
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, fr := range frames {
		f.sizes = append(f.sizes, [2]int{fr.Width, fr.Height})
		for _, b := range f.boxes {
			out[i] = append(out[i], analytics.Detection{Class: analytics.Car, Score: 0.8, Box: b})
		}
	}
	return out, nil
}

func (f *fixedFinder) Close() error { return nil }

// waitOpen waits until m has a canvas taking tiles.
func waitOpen(t *testing.T, m *Mosaic) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		m.mu.Lock()
		open := m.open != nil
		m.mu.Unlock()
		if open {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no canvas was opened")
		}
		time.Sleep(time.Millisecond)
	}
}

// wantCanceled waits for a cancelled camera's call to end with
// context.Canceled while the canvas it was on still runs.
func wantCanceled(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled camera: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled camera stayed stuck on a running canvas")
	}
}

// TestMosaicPairsFrames: two 16:9 frames of different sizes share one run,
// each in its half, and their squares come back where they were painted.
func TestMosaicPairsFrames(t *testing.T) {
	fake := &squareFinder{}
	m := NewMosaic(fake, MosaicOptions{Pair: PairAlways})
	m.wait = time.Minute // the canvas runs when full: both frames on it
	frames := []*analytics.Frame{
		grey("a", 640, 360, analytics.Box{X1: 100, Y1: 50, X2: 180, Y2: 200}),
		grey("b", 960, 540, analytics.Box{X1: 30, Y1: 300, X2: 90, Y2: 340}),
	}
	got := make([][][]analytics.Detection, len(frames))
	errs := make([]error, len(frames))
	var wg sync.WaitGroup
	for i, f := range frames {
		wg.Go(func() { got[i], errs[i] = m.Detect(t.Context(), []*analytics.Frame{f}) })
	}
	wg.Wait()
	want := []analytics.Box{{X1: 100, Y1: 50, X2: 180, Y2: 200}, {X1: 30, Y1: 300, X2: 90, Y2: 340}}
	for i := range frames {
		if errs[i] != nil {
			t.Fatalf("frame %d: %v", i, errs[i])
		}
		// A canvas pixel is 1/scale frame pixels (1.7 and 2.6 here).
		tol := float32(frames[i].Height)/208 + 1
		if len(got[i]) != 1 || len(got[i][0]) != 1 || !near(got[i][0][0].Box, want[i], tol) {
			t.Errorf("frame %d: %v, want one person at %v (±%.1f)", i, got[i], want[i], tol)
		}
	}
	if st := m.Stats(); st.Runs != 1 || st.Frames != 2 || st.Tiles != 0 {
		t.Errorf("stats %+v: want one run with two frames", st)
	}
}

// TestMosaicPairSeam: a box that crosses the border between the halves
// belongs to the frame its centre is in and is clipped to that frame's
// picture; boxes map back exactly by each half's offset and scale.
func TestMosaicPairSeam(t *testing.T) {
	box := func(x1, y1, x2, y2 float32) analytics.Box { return analytics.Box{X1: x1, Y1: y1, X2: x2, Y2: y2} }
	// 832×416 frames fill a half exactly at scale 0.5: frame = canvas × 2.
	fake := &fixedFinder{boxes: []analytics.Box{
		box(10, 10, 50, 100),    // top half
		box(100, 150, 140, 230), // over the seam, centre in the top half
		box(200, 190, 240, 300), // over the seam, centre in the bottom half
		box(300, 250, 350, 300), // bottom half
	}}
	m := NewMosaic(fake, MosaicOptions{Pair: PairAlways})
	m.wait = time.Minute
	got, err := m.Detect(t.Context(), []*analytics.Frame{grey("top", 832, 416), grey("bottom", 832, 416)})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]analytics.Box{
		{box(20, 20, 100, 200), box(200, 300, 280, 416)},
		{box(400, 0, 480, 184), box(600, 84, 700, 184)},
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("frame %d: %v, want %v", i, got[i], want[i])
		}
		for k, b := range want[i] {
			if !near(got[i][k].Box, b, 0.01) {
				t.Errorf("frame %d box %d: %v, want %v", i, k, got[i][k].Box, b)
			}
		}
	}
	if len(fake.sizes) != 1 || fake.sizes[0] != [2]int{416, 416} {
		t.Errorf("the model ran on %v, want one 416×416 canvas", fake.sizes)
	}
}

// TestMosaicPairAlone: a frame with no partner runs alone after the wait;
// a frame too tall for half a canvas and frames with pairing off go to the
// inner detector whole.
func TestMosaicPairAlone(t *testing.T) {
	sq := analytics.Box{X1: 100, Y1: 50, X2: 180, Y2: 200}
	t.Run("lone frame", func(t *testing.T) {
		m := NewMosaic(&squareFinder{}, MosaicOptions{Pair: PairAlways})
		start := time.Now()
		got, err := m.Detect(t.Context(), []*analytics.Frame{grey("a", 640, 360, sq)})
		if err != nil || len(got) != 1 || len(got[0]) != 1 || !near(got[0][0].Box, sq, 3) {
			t.Fatalf("%v %v, want one person at %v", got, err, sq)
		}
		if d := time.Since(start); d < DefaultMosaicWait || d > 5*time.Second {
			t.Errorf("took %v: want the mosaic's wait (%v), then the run", d, DefaultMosaicWait)
		}
		if st := m.Stats(); st.Runs != 1 || st.Frames != 1 {
			t.Errorf("stats %+v: want one run with one frame", st)
		}
	})
	t.Run("not pairable or not paired", func(t *testing.T) {
		square := analytics.Box{X1: 20, Y1: 20, X2: 60, Y2: 90}
		for _, tc := range []struct {
			pair PairMode
			w, h int
		}{{PairAlways, 416, 416}, {PairOff, 416, 416}, {PairBusy, 640, 360}} {
			fake := &fixedFinder{boxes: []analytics.Box{square}}
			m := NewMosaic(fake, MosaicOptions{Pair: tc.pair})
			got, err := m.Detect(t.Context(), []*analytics.Frame{grey("a", tc.w, tc.h)})
			if err != nil || len(got) != 1 || len(got[0]) != 1 || got[0][0].Box != square {
				t.Errorf("pair %v, %dx%d: %v %v, want the box as the model gave it", tc.pair, tc.w, tc.h, got, err)
			}
			if st := m.Stats(); st.Runs != 0 || len(fake.sizes) != 1 {
				t.Errorf("pair %v, %dx%d: stats %+v, model runs %v: want the frame alone, no canvas", tc.pair, tc.w, tc.h, st, fake.sizes)
			}
		}
	})
	if (&Mosaic{size: 416, tile: 208}).pairable(640, 480) {
		t.Error("a 4:3 frame (0.67 of its scale in half a canvas) is paired")
	}
}

// TestMosaicPairMixes: a frame's half and two regions fill one canvas; a
// frame that finds no free row closes the canvas and opens the next.
func TestMosaicPairMixes(t *testing.T) {
	sq := analytics.Box{X1: 100, Y1: 50, X2: 180, Y2: 200}
	region := analytics.Box{X1: 40, Y1: 20, X2: 240, Y2: 220}
	fake := &squareFinder{}
	m := NewMosaic(fake, MosaicOptions{Pair: PairAlways})
	m.wait = time.Minute
	if m.MaxRegions() != 2 || NewMosaic(fake, MosaicOptions{}).MaxRegions() != 3 {
		t.Error("MaxRegions: want 2 with pairing, 3 without")
	}

	// Two regions first (cells 0 and 1), then a frame takes the bottom row.
	regionsDone := make(chan []analytics.Detection, 1)
	go func() {
		got, err := m.DetectRegions(context.Background(), grey("r", 320, 240, sq), []analytics.Box{region, region})
		if err != nil {
			t.Error(err)
		}
		regionsDone <- got
	}()
	waitOpen(t, m)
	got, err := m.Detect(t.Context(), []*analytics.Frame{grey("f", 640, 360, sq)})
	if err != nil || len(got[0]) != 1 || !near(got[0][0].Box, sq, 3) {
		t.Errorf("frame: %v %v, want one person at %v", got, err, sq)
	}
	if r := <-regionsDone; len(r) != 1 || !near(r[0].Box, sq, 2) {
		t.Errorf("regions: %v, want one person at %v", r, sq)
	}
	if st := m.Stats(); st.Runs != 1 || st.Tiles != 2 || st.Frames != 1 {
		t.Errorf("stats %+v: want one canvas of two regions and a frame", st)
	}

	// Three regions leave no free row: the frames go on the next canvas.
	go func() {
		_, err := m.DetectRegions(context.Background(), grey("r", 320, 240, sq), []analytics.Box{region, region, region})
		if err != nil {
			t.Error(err)
		}
		regionsDone <- nil
	}()
	waitOpen(t, m)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if got, err := m.Detect(t.Context(), []*analytics.Frame{grey("f", 640, 360, sq)}); err != nil || len(got[0]) != 1 {
				t.Errorf("frame: %v %v, want its person", got, err)
			}
		})
	}
	wg.Wait()
	<-regionsDone
	if st := m.Stats(); st.Runs != 3 || st.Tiles != 5 || st.Frames != 3 {
		t.Errorf("stats %+v: want 3 runs, 5 regions, 3 frames", st)
	}
}

// TestMosaicPairCancel: a frame whose context ends stops waiting at once,
// even while its canvas runs; a cancelled leader still runs its partner.
func TestMosaicPairCancel(t *testing.T) {
	sq := analytics.Box{X1: 100, Y1: 50, X2: 180, Y2: 200}
	t.Run("waiter", func(t *testing.T) {
		fake := &squareFinder{hold: make(chan struct{}), entry: make(chan struct{}, 1)}
		defer close(fake.hold)
		m := NewMosaic(fake, MosaicOptions{Pair: PairAlways})
		m.wait = time.Minute
		go m.Detect(context.Background(), []*analytics.Frame{grey("a", 640, 360, sq)})
		waitOpen(t, m)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := m.Detect(ctx, []*analytics.Frame{grey("b", 640, 360, sq)})
			done <- err
		}()
		<-fake.entry // the canvas runs, held inside the model
		cancel()
		wantCanceled(t, done)
	})
	t.Run("leader", func(t *testing.T) {
		m := NewMosaic(&squareFinder{}, MosaicOptions{Pair: PairAlways})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		m.mu.Lock() // both frames queue for the canvas the cancelled one opens
		var wg sync.WaitGroup
		var partner [][]analytics.Detection
		var partnerErr error
		wg.Go(func() { m.Detect(ctx, []*analytics.Frame{grey("a", 640, 360, sq)}) })
		time.Sleep(20 * time.Millisecond)
		wg.Go(func() { partner, partnerErr = m.Detect(t.Context(), []*analytics.Frame{grey("b", 640, 360, sq)}) })
		time.Sleep(20 * time.Millisecond)
		m.mu.Unlock()
		wg.Wait()
		if partnerErr != nil || len(partner) != 1 || len(partner[0]) != 1 {
			t.Errorf("partner of a cancelled leader: %v %v, want its person", partner, partnerErr)
		}
		if st := m.Stats(); st.Frames != 2 {
			t.Errorf("stats %+v: want both frames run", st)
		}
	})
}

// TestMosaicPairYOLOX: on real frames, the real model finds on a pair of
// frames most of what it finds on each frame alone (the confident ones
// of a fair size: the half canvas sees each frame 11 % smaller).
func TestMosaicPairYOLOX(t *testing.T) {
	y := newTestYOLOX(t)
	m := NewMosaic(y, MosaicOptions{Pair: PairAlways})
	names := []string{"motorbikes_f100.png", "pedestrians_f050.png", "highway_f120.png"}
	for i := range names {
		a, b := loadFrame(t, names[i]), loadFrame(t, names[(i+1)%len(names)])
		alone, err := y.Detect(t.Context(), []*analytics.Frame{a})
		if err != nil {
			t.Fatal(err)
		}
		paired, err := m.Detect(t.Context(), []*analytics.Frame{a, b})
		if err != nil {
			t.Fatal(err)
		}
		want, found := 0, 0
		for _, d := range alone[0] {
			if d.Score < 0.5 || d.Box.H() < 0.05*float32(a.Height) {
				continue
			}
			want++
			for _, g := range paired[0] {
				if g.Class == d.Class && g.Box.IoU(d.Box) >= 0.5 {
					found++
					break
				}
			}
		}
		t.Logf("%s paired with %s: %d confident detections alone, %d found again; %d paired, %d alone in all",
			names[i], names[(i+1)%len(names)], want, found, len(paired[0]), len(alone[0]))
		if want == 0 || float64(found) < 0.8*float64(want) {
			t.Errorf("%s: paired found %d of the %d confident detections alone", names[i], found, want)
		}
	}
	if st := m.Stats(); st.Runs != 3 || st.Frames != 6 {
		t.Errorf("stats %+v: want 3 runs of two frames (one call's frames share a canvas)", st)
	}
}

// TestMosaicPairBusy: with PairBusy a frame goes alone while a session is
// free, and on a canvas, paired, when every session is taken.
func TestMosaicPairBusy(t *testing.T) {
	sq := analytics.Box{X1: 100, Y1: 50, X2: 180, Y2: 200}
	fake := &squareFinder{}
	m := NewMosaic(fake, MosaicOptions{Pair: PairBusy, Sessions: 1})
	if got, err := m.Detect(t.Context(), []*analytics.Frame{grey("idle", 416, 416, sq)}); err != nil || len(got[0]) != 1 {
		t.Fatalf("idle: %v %v, want its person", got, err)
	}
	if st := m.Stats(); st.Runs != 0 || fake.runs != 1 {
		t.Errorf("idle: stats %+v, %d model runs: want the frame alone", st, fake.runs)
	}

	m.sessions <- struct{}{} // the only session is busy
	var wg sync.WaitGroup
	started := make(chan struct{}, 2)
	for _, id := range []string{"a", "b"} {
		wg.Go(func() {
			started <- struct{}{}
			got, err := m.Detect(t.Context(), []*analytics.Frame{grey(id, 640, 360, sq)})
			if err != nil || len(got[0]) != 1 || !near(got[0][0].Box, sq, 3) {
				t.Errorf("busy %s: %v %v, want its person at %v", id, got, err, sq)
			}
		})
	}
	// Both calls are on their way (a loaded machine may take long to start
	// a goroutine); then they need only a few steps to reach the canvas.
	<-started
	<-started
	time.Sleep(100 * time.Millisecond)
	<-m.sessions // the session frees: the canvas runs
	wg.Wait()
	if st := m.Stats(); st.Frames != 2 {
		t.Errorf("busy: stats %+v: want both frames on canvases", st)
	}
}

func TestParsePairMode(t *testing.T) {
	for _, m := range []PairMode{PairOff, PairAlways, PairBusy} {
		if got, err := ParsePairMode(m.String()); err != nil || got != m {
			t.Errorf("ParsePairMode(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParsePairMode("on"); err == nil {
		t.Error(`ParsePairMode("on") accepted`)
	}
}
