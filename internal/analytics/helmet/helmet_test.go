package helmet

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
)

// testdataDir holds 60 helmet and 60 no_helmet rider-top crops of the
// classifier's validation split (helmet9, CC BY 4.0, see NOTICE) and their
// rows of crops_index.tsv.
const testdataDir = "../../../testdata/helmet"

func newTestClassifier(t testing.TB) *Classifier {
	t.Helper()
	c, err := NewClassifier(Options{})
	if err != nil {
		t.Fatalf("NewClassifier: %v (run `make setup` to fetch ONNX Runtime)", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func loadCrop(t testing.TB, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba
}

// loadSet returns the test crops with their labels (true: no helmet).
func loadSet(t testing.TB) ([]*image.RGBA, []bool, []string) {
	t.Helper()
	var crops []*image.RGBA
	var noHelmet []bool
	var names []string
	for _, class := range []string{"helmet", "no_helmet"} {
		files, err := filepath.Glob(filepath.Join(testdataDir, class, "*.jpg"))
		if err != nil || len(files) < 50 {
			t.Fatalf("want ≥ 50 crops in %s/%s, got %d (%v)", testdataDir, class, len(files), err)
		}
		for _, f := range files {
			crops = append(crops, loadCrop(t, f))
			noHelmet = append(noHelmet, class == "no_helmet")
			names = append(names, class+"/"+filepath.Base(f))
		}
	}
	return crops, noHelmet, names
}

// The classifier's validation accuracy on rider-top crops is 0.893 (data
// SOURCES.md, helmet_cls_64.metrics.json); on all 255 helmet9 validation
// rider crops this code measures 0.906, and on this 120-crop sample
// (every other file of each class, by name) 0.892.
// The margin covers JPEG decoders (Go's here, Pillow's there) and ONNX
// Runtime builds, not a worse model.
const minAccuracy = 0.893 - 0.03

func TestClassifyGolden(t *testing.T) {
	c := newTestClassifier(t)
	if c.InputSize() != 64 {
		t.Fatalf("input size %d, want 64", c.InputSize())
	}
	crops, noHelmet, names := loadSet(t)
	p, err := c.Classify(context.Background(), crops)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != len(crops) {
		t.Fatalf("%d probabilities for %d crops", len(p), len(crops))
	}
	right, highWrong := 0, 0
	for i := range p {
		if p[i] < 0 || p[i] > 1 {
			t.Fatalf("%s: probability %v out of [0,1]", names[i], p[i])
		}
		if (p[i] >= 0.5) == noHelmet[i] {
			right++
		}
		if !noHelmet[i] && p[i] > DefaultVote().Threshold {
			highWrong++
		}
	}
	acc := float64(right) / float64(len(p))
	t.Logf("accuracy %.3f on %d crops; %d helmet crops above the vote threshold", acc, len(p), highWrong)
	if acc < minAccuracy {
		t.Errorf("accuracy %.3f, want ≥ %.3f", acc, minAccuracy)
	}
}

// Batches of any size, split by MaxBatch, give the same answers as one
// crop at a time: crops do not leak into each other.
func TestClassifyBatching(t *testing.T) {
	c, err := NewClassifier(Options{MaxBatch: 7})
	if err != nil {
		t.Fatalf("NewClassifier: %v (run `make setup` to fetch ONNX Runtime)", err)
	}
	defer c.Close()
	crops, _, _ := loadSet(t)
	crops = crops[50:70]
	all, err := c.Classify(context.Background(), crops)
	if err != nil {
		t.Fatal(err)
	}
	for i, img := range crops {
		one, err := c.Classify(context.Background(), []*image.RGBA{img})
		if err != nil {
			t.Fatal(err)
		}
		if d := one[0] - all[i]; d > 1e-4 || d < -1e-4 {
			t.Errorf("crop %d: %v alone, %v in a batch", i, one[0], all[i])
		}
	}
	if p, err := c.Classify(context.Background(), nil); err != nil || len(p) != 0 {
		t.Errorf("no crops: %v, %v", p, err)
	}
	if _, err := c.Classify(context.Background(), []*image.RGBA{nil}); err == nil {
		t.Error("nil crop: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Classify(ctx, crops); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	c.Close()
	if _, err := c.Classify(context.Background(), crops[:1]); err == nil {
		t.Error("closed: no error")
	}
}

func TestMissingLibrary(t *testing.T) {
	// The runtime may already be loaded by another test; only a process
	// that has not loaded it can see the error, so check LibraryPath's.
	_, err := detect.LibraryPath(func(k string) string {
		if k == detect.LibraryEnv {
			return filepath.Join(t.TempDir(), "none.so")
		}
		return ""
	})
	if !errors.Is(err, detect.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

// indexRow is one crops_index.tsv row: the person box and the integer
// square the data tool cut.
type indexRow struct {
	crop   string
	person analytics.Box
	sq     Square
}

func readIndex(t testing.TB) []indexRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, "crops_index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []indexRow
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 18 || strings.HasPrefix(line, "#") || f[0] == "crop" {
			continue
		}
		num := func(i int) float64 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				t.Fatalf("%s column %d: %v", f[0], i, err)
			}
			return v
		}
		rows = append(rows, indexRow{
			crop:   f[0],
			person: analytics.Box{X1: float32(num(10)), Y1: float32(num(11)), X2: float32(num(12)), Y2: float32(num(13))},
			sq:     Square{X0: int(num(15)), Y0: int(num(16)), Side: int(num(17))},
		})
	}
	return rows
}

// nearHalf says whether v is within eps of n+0.5, where rounding can go
// either way.
func nearHalf(v, eps float64) bool {
	f := v - float64(int64(v))
	if f < 0 {
		f++
	}
	return f > 0.5-eps && f < 0.5+eps
}

// CropSquare gives the data tool's square for every sampled row. The index
// keeps boxes to 0.1 px, so where the exact value sat on a .5 the recorded
// square may differ by one pixel; every such row must be one of those.
func TestCropSquareIndex(t *testing.T) {
	rows := readIndex(t)
	if len(rows) < 100 {
		t.Fatalf("%d index rows, want ≥ 100", len(rows))
	}
	exact := 0
	for _, r := range rows {
		got := CropSquare(r.person)
		if got == r.sq {
			exact++
			continue
		}
		p := r.person
		w, h := float64(p.X2-p.X1), float64(p.Y2-p.Y1)
		s := max(w, 0.3*h)
		x := (float64(p.X1)+float64(p.X2))/2 - s/2
		y := float64(p.Y1) - 0.1*s
		ambiguous := (got.X0 != r.sq.X0 && nearHalf(x, 0.11)) || got.X0 == r.sq.X0
		ambiguous = ambiguous && ((got.Y0 != r.sq.Y0 && nearHalf(y, 0.11)) || got.Y0 == r.sq.Y0)
		ambiguous = ambiguous && ((got.Side != r.sq.Side && nearHalf(s, 0.11)) || got.Side == r.sq.Side)
		if !ambiguous || abs(got.X0-r.sq.X0) > 1 || abs(got.Y0-r.sq.Y0) > 1 || abs(got.Side-r.sq.Side) > 1 {
			t.Errorf("%s: box %v gives %+v, index %+v", r.crop, r.person, got, r.sq)
		}
	}
	t.Logf("%d of %d squares exact", exact, len(rows))
	if exact < len(rows)*9/10 {
		t.Errorf("only %d of %d squares exact", exact, len(rows))
	}
}

func abs(v int) int { return max(v, -v) }

func TestCropSquareRule(t *testing.T) {
	for _, tc := range []struct {
		name   string
		person analytics.Box
		want   Square
	}{
		// wide box: side = w = 100, top = 50 - 10
		{"wide", analytics.Box{X1: 100, Y1: 50, X2: 200, Y2: 250}, Square{100, 40, 100}},
		// tall thin box: side = 0.3·300 = 90, centred on x = 120
		{"tall", analytics.Box{X1: 110, Y1: 20, X2: 130, Y2: 320}, Square{75, 11, 90}},
		// at the top-left corner the square leaves the frame
		{"corner", analytics.Box{X1: 0, Y1: 0, X2: 40, Y2: 60}, Square{0, -4, 40}},
		// half away from zero: cx - s/2 = -0.5 → -1, top = 2.5 - 2.5 → 0, side 25
		{"halves", analytics.Box{X1: -0.5, Y1: 2.5, X2: 24.5, Y2: 40}, Square{-1, 0, 25}},
		// degenerate box still gives one pixel
		{"empty", analytics.Box{X1: 5, Y1: 5, X2: 5, Y2: 5}, Square{5, 5, 1}},
	} {
		if got := CropSquare(tc.person); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// solidFrame is a w×h BGR frame of one colour.
func solidFrame(w, h int, b, g, r byte) *analytics.Frame {
	f := &analytics.Frame{Width: w, Height: h, BGR: make([]byte, w*h*3)}
	for i := 0; i < len(f.BGR); i += 3 {
		f.BGR[i], f.BGR[i+1], f.BGR[i+2] = b, g, r
	}
	return f
}

func TestCropPixels(t *testing.T) {
	// Inside the frame the colour is kept, and BGR becomes RGB.
	f := solidFrame(640, 360, 10, 20, 30)
	img := Crop(f, analytics.Box{X1: 100, Y1: 100, X2: 200, Y2: 300})
	if img.Bounds() != image.Rect(0, 0, CropSize, CropSize) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 30 || img.Pix[i+1] != 20 || img.Pix[i+2] != 10 || img.Pix[i+3] != 255 {
			t.Fatalf("pixel %d: %v, want 30 20 10 255", i/4, img.Pix[i:i+4])
		}
	}

	// A box at the top edge: the square starts 10 px above the frame
	// (side 100), so the top tenth of the crop is grey 114 and the bottom
	// is the frame's colour; the row between is a blend.
	img = Crop(f, analytics.Box{X1: 100, Y1: 0, X2: 200, Y2: 200})
	for _, tc := range []struct{ y, v int }{{0, 114}, {8, 114}, {11, 30}, {95, 30}} {
		if got := int(img.Pix[tc.y*img.Stride+48*4]); got != tc.v {
			t.Errorf("row %d: red %d, want %d", tc.y, got, tc.v)
		}
	}

	// Entirely outside: all grey.
	img = Crop(f, analytics.Box{X1: 1000, Y1: 1000, X2: 1100, Y2: 1200})
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] != grey || img.Pix[i+1] != grey || img.Pix[i+2] != grey {
			t.Fatalf("pixel %d: %v, want grey", i/4, img.Pix[i:i+4])
		}
	}
}

// Pillow's bilinear filter widens when shrinking: 4 → 2 px weighs 3 pixels
// per output (3/7, 3/7, 1/7), so a row 0 0 255 255 becomes 36 219, where a
// plain bilinear resize would give 0 255.
func TestPillowCoeffs(t *testing.T) {
	f := &analytics.Frame{Width: 4, Height: 4, BGR: make([]byte, 4*4*3)}
	for y := range 4 {
		for x := 2; x < 4; x++ {
			for c := range 3 {
				f.BGR[(y*4+x)*3+c] = 255
			}
		}
	}
	img := cropSquare(f, Square{0, 0, 4}, 2)
	if got := []uint8{img.Pix[0], img.Pix[4]}; got[0] != 36 || got[1] != 219 {
		t.Errorf("4→2: %v, want [36 219]", got)
	}
	// Same size: identity.
	img = cropSquare(f, Square{0, 0, 4}, 4)
	for x := range 4 {
		want := f.BGR[x*3]
		if img.Pix[x*4] != want {
			t.Errorf("4→4 x=%d: %d, want %d", x, img.Pix[x*4], want)
		}
	}
}

// toInput is PyTorch's bilinear (align_corners=False, no antialias): 96 →
// 64 samples at 1.5·o + 0.25, so output 1 blends inputs 1 and 2 at 0.75.
func TestToInput(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			i := y*img.Stride + x*4
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x), uint8(y), 200, 255
		}
	}
	dst := make([]float32, 3*64*64)
	toInput(img, 64, dst)
	for _, tc := range []struct {
		ch, y, x int
		want     float32
	}{
		{0, 0, 0, 0.25 / 255},   // red = x at 0.25
		{0, 0, 1, 1.75 / 255},   // 1.5 + 0.25
		{0, 0, 63, 94.75 / 255}, // 94.5 + 0.25
		{1, 10, 0, 15.25 / 255}, // green = y
		{2, 5, 5, 200.0 / 255},  // blue constant
	} {
		got := dst[tc.ch*64*64+tc.y*64+tc.x]
		if d := got - tc.want; d > 1e-5 || d < -1e-5 {
			t.Errorf("ch %d (%d,%d): %v, want %v", tc.ch, tc.x, tc.y, got, tc.want)
		}
	}
}

func TestNeedsMainStream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		person analytics.Box
		want   bool
	}{
		// a rider 45 px tall and 20 wide in a 640×360 sub-stream: side 20,
		// head ≈ 7 px
		{"small rider", analytics.Box{X1: 100, Y1: 100, X2: 120, Y2: 145}, true},
		// side 70 → head ≈ 23.8 px: just under
		{"border below", analytics.Box{X1: 0, Y1: 0, X2: 70, Y2: 100}, true},
		// side 71 → head ≈ 24.1 px
		{"border above", analytics.Box{X1: 0, Y1: 0, X2: 71, Y2: 100}, false},
		// a tall rider close to the camera: side 0.3·300 = 90
		{"near rider", analytics.Box{X1: 0, Y1: 0, X2: 40, Y2: 300}, false},
	} {
		if got := NeedsMainStream(tc.person); got != tc.want {
			t.Errorf("%s: head %.1f px, NeedsMainStream %v, want %v", tc.name, HeadPx(tc.person), got, tc.want)
		}
	}
	// Scaled to a 4× main stream the small rider's head is large enough
	// only if it is also ≥ 24 px there: 4·7 = 27.
	small := analytics.Box{X1: 100, Y1: 100, X2: 120, Y2: 145}
	main := ScaleBox(small, 640, 360, 2560, 1440)
	if want := (analytics.Box{X1: 400, Y1: 400, X2: 480, Y2: 580}); main != want {
		t.Fatalf("ScaleBox: %v, want %v", main, want)
	}
	if NeedsMainStream(main) {
		t.Errorf("main-stream box %v (head %.1f px) still too small", main, HeadPx(main))
	}
}

func TestVote(t *testing.T) {
	hi, lo := float32(0.95), float32(0.2)
	for _, tc := range []struct {
		name string
		cfg  VoteConfig
		seq  []float32
		want []bool // after each Add
	}{
		{
			name: "one noisy crop is not enough",
			seq:  []float32{hi, lo, lo, lo, lo, lo, lo, lo, lo},
			want: []bool{false, false, false, false, false, false, false, false, false},
		},
		{
			name: "five of eight",
			seq:  []float32{hi, lo, hi, hi, lo, hi, hi},
			want: []bool{false, false, false, false, false, false, true},
		},
		{
			name: "old votes fall out of the window",
			// 5 highs, then lows push them out one by one: 5 of 8 stays
			// true until a fourth low replaces the first high.
			seq:  []float32{hi, hi, hi, hi, hi, lo, lo, lo, lo},
			want: []bool{false, false, false, false, true, true, true, true, false},
		},
		{
			name: "exactly the threshold does not count",
			seq:  []float32{0.85, 0.85, 0.85, 0.85, 0.85},
			want: []bool{false, false, false, false, false},
		},
		{
			name: "custom 2 of 3",
			cfg:  VoteConfig{Window: 3, MinHigh: 2, Threshold: 0.5},
			seq:  []float32{0.6, 0.4, 0.7, 0.8, 0.1, 0.2},
			want: []bool{false, false, true, true, true, false},
		},
		{
			name: "MinHigh above Window is capped",
			cfg:  VoteConfig{Window: 2, MinHigh: 5, Threshold: 0.5},
			seq:  []float32{0.6, 0.6},
			want: []bool{false, true},
		},
	} {
		v := NewVote(tc.cfg)
		for i, p := range tc.seq {
			if got := v.Add(7, p); got != tc.want[i] {
				t.Errorf("%s: after %d crops %v, want %v", tc.name, i+1, got, tc.want[i])
			}
		}
	}

	// Tracks vote separately and are forgotten when dropped.
	v := NewVote(VoteConfig{})
	if c := v.Config(); c != DefaultVote() {
		t.Fatalf("defaults %+v", c)
	}
	for range 5 {
		v.Add(1, hi)
		v.Add(2, lo)
	}
	if !v.NoHelmet(1) || v.NoHelmet(2) || v.NoHelmet(3) {
		t.Errorf("per track: %v %v %v", v.NoHelmet(1), v.NoHelmet(2), v.NoHelmet(3))
	}
	v.Forget(func(id int64) bool { return id == 2 })
	if v.Len() != 1 || v.NoHelmet(1) {
		t.Errorf("after Forget: %d tracks, track 1 %v", v.Len(), v.NoHelmet(1))
	}
}

func BenchmarkCrop(b *testing.B) {
	f := solidFrame(1920, 1080, 1, 2, 3)
	box := analytics.Box{X1: 800, Y1: 300, X2: 950, Y2: 650} // side 150, like helmet9
	b.ReportAllocs()
	for b.Loop() {
		Crop(f, box)
	}
}

// BenchmarkClassify is µs per crop for batches of 1 and 8, on one thread.
func BenchmarkClassify(b *testing.B) {
	c := newTestClassifier(b)
	crops, _, _ := loadSet(b)
	for _, n := range []int{1, 8} {
		b.Run("batch"+strconv.Itoa(n), func(b *testing.B) {
			batch := crops[:n]
			for b.Loop() {
				if _, err := c.Classify(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/crop")
		})
	}
}
