package detect

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"matthan/internal/analytics"
)

// loadFrame decodes a PNG of testdata/frames into a BGR frame.
func loadFrame(t testing.TB, name string) *analytics.Frame {
	t.Helper()
	f, err := os.Open(filepath.Join("../../../testdata/frames", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	fr := FrameFromImage(img)
	fr.CameraID = name
	return fr
}

func newTestYOLOX(t testing.TB) *YOLOX {
	t.Helper()
	y, err := NewYOLOX(Options{})
	if err != nil {
		t.Fatalf("NewYOLOX: %v (run `make setup` to fetch ONNX Runtime)", err)
	}
	t.Cleanup(func() { y.Close() })
	return y
}

func det(c analytics.Class, score float32, x1, y1, x2, y2 float32) analytics.Detection {
	return analytics.Detection{Class: c, Score: score, Box: analytics.Box{X1: x1, Y1: y1, X2: x2, Y2: y2}}
}

// The expected detections of data SOURCES.md section 4 (onnxruntime 1.30,
// score >= 0.3, class-aware NMS 0.45), best first.
var golden = []struct {
	frame  string
	count  map[analytics.Class]int // whole-frame counts
	slack  int                     // counts may differ by this much
	boxTol float32                 // pixels each box side may move
	top    []analytics.Detection   // the top ones, each matched within tolerance
}{
	{
		frame:  "motorbikes_f100.png",
		count:  map[analytics.Class]int{analytics.Motorcycle: 6, analytics.Person: 7, analytics.Car: 1},
		boxTol: 2,
		top: []analytics.Detection{
			det(analytics.Motorcycle, 0.66, 556, 143, 589, 200),
			det(analytics.Person, 0.64, 409, 70, 450, 157),
			det(analytics.Person, 0.57, 336, 161, 390, 261),
			det(analytics.Person, 0.52, 498, 29, 536, 108),
			det(analytics.Motorcycle, 0.51, 408, 73, 452, 163),
			det(analytics.Motorcycle, 0.49, 495, 87, 535, 163),
			det(analytics.Motorcycle, 0.49, 198, 133, 264, 233),
			det(analytics.Person, 0.47, 363, 173, 391, 253),
			det(analytics.Motorcycle, 0.46, 334, 215, 388, 282),
			det(analytics.Person, 0.45, 677, 73, 713, 145),
		},
	},
	{
		frame: "pedestrians_f050.png",
		// 1280x720 is scaled by 0.325, so one model pixel is three frame
		// pixels and a slightly different bilinear resize than the one that
		// made SOURCES.md moves a box side by up to 5 px (1.5 model px) and
		// the 25th person, at the 0.3 threshold, in or out.
		count:  map[analytics.Class]int{analytics.Person: 25},
		slack:  1,
		boxTol: 5,
		top: []analytics.Detection{
			det(analytics.Person, 0.83, 134, 408, 194, 538),
			det(analytics.Person, 0.82, 451, 286, 496, 407),
			det(analytics.Person, 0.77, 501, 199, 538, 301),
			det(analytics.Person, 0.76, 718, 448, 773, 569),
			det(analytics.Person, 0.74, 801, 488, 865, 602),
		},
	},
	{
		frame:  "highway_f120.png",
		count:  map[analytics.Class]int{analytics.Car: 3},
		boxTol: 2,
		top: []analytics.Detection{
			det(analytics.Car, 0.76, 503, 157, 567, 230),
			det(analytics.Car, 0.57, 627, 168, 707, 247),
			det(analytics.Car, 0.41, 724, 59, 767, 91),
		},
	},
}

// scoreTol is the score tolerance; SOURCES.md rounds scores to 0.01 and
// boxes to whole pixels, hence the extra half units in matches.
const scoreTol = 0.02

func TestYOLOXGolden(t *testing.T) {
	y := newTestYOLOX(t)
	frames := make([]*analytics.Frame, len(golden))
	for i, g := range golden {
		frames[i] = loadFrame(t, g.frame)
	}
	// All three in one call: the batch path, frames of two sizes.
	got, err := y.Detect(context.Background(), frames)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range golden {
		t.Run(g.frame, func(t *testing.T) {
			dets := got[i]
			counts := map[analytics.Class]int{}
			for _, d := range dets {
				counts[d.Class]++
				b := d.Box
				if b.X1 < 0 || b.Y1 < 0 || b.X2 > float32(frames[i].Width) || b.Y2 > float32(frames[i].Height) || b.Area() == 0 {
					t.Errorf("box %v outside the %dx%d frame", b, frames[i].Width, frames[i].Height)
				}
			}
			for c, n := range g.count {
				if counts[c] < n-g.slack || counts[c] > n+g.slack {
					t.Errorf("%d %s, want %d (all: %v)", counts[c], c, n, counts)
				}
			}
			if len(counts) != len(g.count) {
				t.Errorf("classes %v, want %v", counts, g.count)
			}
			used := make([]bool, len(dets))
			for _, want := range g.top {
				found := -1
				for j, d := range dets {
					if !used[j] && matches(d, want, g.boxTol) {
						found = j
						break
					}
				}
				if found < 0 {
					t.Errorf("no detection matches %s %.2f %v; got %v", want.Class, want.Score, want.Box, dets)
					continue
				}
				used[found] = true
			}
		})
	}
}

func matches(d, want analytics.Detection, boxTol float32) bool {
	near := func(a, b float32) bool { return math.Abs(float64(a-b)) <= float64(boxTol)+0.5 }
	return d.Class == want.Class && math.Abs(float64(d.Score-want.Score)) <= scoreTol+0.005 &&
		near(d.Box.X1, want.Box.X1) && near(d.Box.Y1, want.Box.Y1) &&
		near(d.Box.X2, want.Box.X2) && near(d.Box.Y2, want.Box.Y2)
}

// Concurrent callers share the session and get the same answers.
func TestYOLOXConcurrent(t *testing.T) {
	y := newTestYOLOX(t)
	f := loadFrame(t, "highway_f120.png")
	want, err := y.Detect(context.Background(), []*analytics.Frame{f})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			got, err := y.Detect(context.Background(), []*analytics.Frame{f})
			if err == nil && len(got[0]) != len(want[0]) {
				err = errors.New("different detections")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestYOLOXRefuses(t *testing.T) {
	y := newTestYOLOX(t)
	cases := map[string]*analytics.Frame{
		"short buffer": {Width: 10, Height: 10, BGR: make([]byte, 299)},
		"no size":      {},
		"nil":          nil,
	}
	for name, f := range cases {
		if _, err := y.Detect(context.Background(), []*analytics.Frame{f}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := y.Detect(ctx, []*analytics.Frame{loadFrame(t, "highway_f120.png")}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	y.Close()
	if _, err := y.Detect(context.Background(), []*analytics.Frame{{Width: 1, Height: 1, BGR: make([]byte, 3)}}); err == nil {
		t.Error("closed detector ran")
	}
}

// A tiny frame (upscaled) and a tall one (letterboxed on the right) run.
func TestYOLOXOddSizes(t *testing.T) {
	y := newTestYOLOX(t)
	frames := []*analytics.Frame{
		{Width: 7, Height: 5, BGR: make([]byte, 7*5*3)},
		{Width: 100, Height: 900, BGR: make([]byte, 100*900*3)},
	}
	got, err := y.Detect(context.Background(), frames)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range got {
		if len(d) != 0 {
			t.Errorf("frame %d: black frame has detections %v", i, d)
		}
	}
}

func TestLibraryPath(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == LibraryEnv {
				return v
			}
			return ""
		}
	}
	missing := filepath.Join(t.TempDir(), "nope.so")
	if _, err := LibraryPath(env(missing)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing env file: %v, want ErrUnavailable", err)
	}
	p, err := LibraryPath(env(""))
	if err != nil {
		t.Fatalf("default search (from the working directory up): %v", err)
	}
	if filepath.Base(p) != "libonnxruntime.so.1" {
		t.Errorf("found %s", p)
	}
	if got, err := LibraryPath(env(p)); err != nil || got != p {
		t.Errorf("env path: %q %v", got, err)
	}
}

func TestUnavailableError(t *testing.T) {
	cause := errors.New("dlopen failed")
	err := error(&UnavailableError{Reason: "x", ReasonVI: "y", Err: cause})
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) {
		t.Errorf("errors.Is: %v", err)
	}
	if got, want := err.Error(), "object detection unavailable: x / không dùng được nhận dạng vật thể: y: dlopen failed"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestNMS(t *testing.T) {
	a := det(analytics.Person, 0.9, 0, 0, 10, 10)
	b := det(analytics.Person, 0.8, 1, 0, 11, 10) // IoU 0.82 with a: dropped
	c := det(analytics.Motorcycle, 0.7, 1, 0, 11, 10)
	d := det(analytics.Person, 0.6, 6, 0, 16, 10) // IoU 0.25 with a: kept
	got := nms([]analytics.Detection{d, c, b, a}, 0.45)
	want := []analytics.Detection{a, c, d}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] %v, want %v", i, got[i], want[i])
		}
	}
}

// The letterbox puts the picture at the top-left, 114 elsewhere, B plane first.
func TestLetterbox(t *testing.T) {
	const size = 32
	f := &analytics.Frame{Width: 64, Height: 32, BGR: make([]byte, 64*32*3)}
	for i := 0; i < len(f.BGR); i += 3 {
		f.BGR[i], f.BGR[i+1], f.BGR[i+2] = 10, 20, 30
	}
	p := newResizePlan(f.Width, f.Height, size)
	if p.dstW != 32 || p.dstH != 16 || p.ratio != 0.5 {
		t.Fatalf("plan %dx%d r=%v", p.dstW, p.dstH, p.ratio)
	}
	dst := make([]float32, 3*size*size)
	p.letterbox(f, dst, size)
	for c, v := range []float32{10, 20, 30} {
		if got := dst[c*size*size+5*size+7]; got != v {
			t.Errorf("plane %d inside: %v, want %v", c, got, v)
		}
		if got := dst[c*size*size+20*size+7]; got != padValue {
			t.Errorf("plane %d below: %v, want pad", c, got)
		}
	}
}

// BenchmarkYOLOX measures one 960x540 frame: letterbox, inference and
// decoding, on 1 and 2 intra-op threads, and the letterbox alone.
func BenchmarkYOLOX(b *testing.B) {
	frames := []*analytics.Frame{loadFrame(b, "motorbikes_f100.png")}
	ctx := context.Background()
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			y, err := NewYOLOX(Options{Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			defer y.Close()
			for b.Loop() {
				if _, err := y.Detect(ctx, frames); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/frame")
		})
	}
	b.Run("letterbox", func(b *testing.B) {
		p := newResizePlan(frames[0].Width, frames[0].Height, 416)
		dst := make([]float32, 3*416*416)
		for b.Loop() {
			p.letterbox(frames[0], dst, 416)
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/frame")
	})
}

// TestPool: several sessions answer like one, from many goroutines.
func TestPool(t *testing.T) {
	p, err := NewPool(2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := loadFrame(t, "highway_f120.png")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			out, err := p.Detect(t.Context(), []*analytics.Frame{f})
			if err != nil || len(out) != 1 || len(out[0]) == 0 {
				t.Errorf("pool detect: %v %v", out, err)
			}
		})
	}
	wg.Wait()
}
