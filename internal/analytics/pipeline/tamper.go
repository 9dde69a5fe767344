package pipeline

import (
	"fmt"
	"math"
	"slices"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/rules"
)

// TamperConfig tunes the camera tamper check. Zero fields take defaults.
type TamperConfig struct {
	Off bool `json:"off,omitempty"`
	// For is how long a tampered picture must last before an event
	// (default 10 s): a bus passing close to the lens is not tampering.
	For time.Duration `json:"for,omitempty"`
	// Learn is how long the camera's reference (scene thumbnail and
	// sharpness) is learned from normal pictures before blur and turned
	// away are checked (default 2 min).
	Learn time.Duration `json:"learn,omitempty"`
	// Clear is how long the picture must be normal again for an episode to
	// end (default 10 s); a new episode is a new event.
	Clear time.Duration `json:"clear,omitempty"`
}

func (c TamperConfig) withDefaults() TamperConfig {
	if c.For <= 0 {
		c.For = 10 * time.Second
	}
	if c.Learn <= 0 {
		c.Learn = 2 * time.Minute
	}
	if c.Clear <= 0 {
		c.Clear = 10 * time.Second
	}
	return c
}

// TamperReason is why a picture counts as tampered with.
type TamperReason string

// The reasons, in the order they are reported when several hold: a black
// picture is also uniform, blurred and unlike the scene.
const (
	TamperBlack   TamperReason = "blacked_out"
	TamperCovered TamperReason = "covered"
	TamperFrozen  TamperReason = "frozen"
	TamperBlurred TamperReason = "blurred"
	TamperTurned  TamperReason = "turned_away"
)

var tamperReasons = []TamperReason{TamperBlack, TamperCovered, TamperFrozen, TamperBlurred, TamperTurned}

var tamperText = map[TamperReason]rules.Text{
	TamperBlack: {EN: "Camera tampered with: the picture went black",
		VI: "Camera bị can thiệp: hình ảnh bị tối đen"},
	TamperCovered: {EN: "Camera tampered with: the lens is covered (the picture is uniform)",
		VI: "Camera bị can thiệp: ống kính bị che (hình ảnh đồng một màu)"},
	TamperFrozen: {EN: "Camera tampered with: the picture is frozen",
		VI: "Camera bị can thiệp: hình ảnh bị đứng hình"},
	TamperBlurred: {EN: "Camera tampered with: the picture is blurred (lens smeared or out of focus)",
		VI: "Camera bị can thiệp: hình ảnh bị mờ (ống kính bị bôi bẩn hoặc mất nét)"},
	TamperTurned: {EN: "Camera tampered with: it was turned away (the scene no longer matches its reference)",
		VI: "Camera bị can thiệp: camera bị xoay đi (khung cảnh không còn khớp với ảnh tham chiếu)"},
}

// Thresholds on the grey picture (0..255) and its measures.
const (
	greyWidth   = 160  // the grey picture is about this wide: enough for blur, cheap
	thumbWidth  = 32   // the scene thumbnail compared with the reference
	darkLevel   = 15   // mean grey under this is black
	brightLevel = 40   // … and it counts as sudden only if it was above this shortly before
	flatStd     = 6    // grey standard deviation under this is a uniform picture
	texturedStd = 20   // … sudden only if it was above this shortly before
	frozenDiff  = 0.25 // mean absolute grey change between frames under this is the same picture
	blurRatio   = 0.3  // sharpness under this share of the reference is blurred
	turnedCorr  = 0.5  // scene correlation with the reference under this is turned away
	sceneFrames = 15   // the scene is the per-cell median of the last thumbnails: traffic passes, the background stays
	sudden      = 30 * time.Second
	refRate     = 0.01 // how fast the reference follows normal pictures (light through the day)
)

// tamperCheck watches one camera's pictures for tampering. One per camera,
// fed its frames in order.
type tamperCheck struct {
	cfg    TamperConfig
	camera string

	w, h, gw, gh int
	sampleStep   int       // sampling step in the frame, both ways
	cellX        []int     // grey column of each sampled frame column
	perCell      []float32 // samples in each grey cell
	grey, prev   []float32
	thumb        []float64
	recent       [][]float64 // the last sceneFrames thumbnails, oldest overwritten first
	sorted       []float64   // per cell, its values in recent in order: sceneFrames slots a cell
	next         int
	scene        []float64 // their per-cell median
	havePrev     bool

	lastBright, lastTextured time.Time
	since                    map[TamperReason]time.Time // when each condition began; absent: not now

	learnStart time.Time
	refThumb   []float64
	refSharp   float64
	refN       int
	ready      bool

	seq      int
	episode  *rules.Event // the open episode's event
	lastBad  time.Time
	measures tamperMeasures // of the latest frame, for tests and logs
}

type tamperMeasures struct {
	Mean, Std, Sharp, Corr, Diff float64
}

func newTamperCheck(camera string, cfg TamperConfig) *tamperCheck {
	return &tamperCheck{cfg: cfg.withDefaults(), camera: camera, since: map[TamperReason]time.Time{}}
}

// reset starts over for a new frame size.
func (t *tamperCheck) reset(w, h int) {
	*t = tamperCheck{cfg: t.cfg, camera: t.camera, seq: t.seq, since: map[TamperReason]time.Time{}}
	s := max(1, w/greyWidth)
	t.w, t.h, t.gw, t.gh = w, h, max(1, w/s), max(1, h/s)
	t.grey = make([]float32, t.gw*t.gh)
	t.prev = make([]float32, t.gw*t.gh)
	// Which cell each sample falls in depends only on the frame size:
	// worked out once, not with a division per sample.
	t.sampleStep = max(1, w/t.gw/2)
	t.cellX = make([]int, 0, w/t.sampleStep+1)
	for x := 0; x < w; x += t.sampleStep {
		t.cellX = append(t.cellX, min(x*t.gw/w, t.gw-1))
	}
	t.perCell = make([]float32, t.gw*t.gh)
	for y := 0; y < h; y += t.sampleStep {
		gy := min(y*t.gh/h, t.gh-1)
		for _, gx := range t.cellX {
			t.perCell[gy*t.gw+gx]++
		}
	}
	th := max(1, thumbWidth*t.gh/t.gw)
	t.thumb = make([]float64, thumbWidth*th)
	t.scene = make([]float64, thumbWidth*th)
}

// toGrey averages the frame down to the grey picture. Every other pixel
// of every other row is enough for an average over a block of them.
func (t *tamperCheck) toGrey(f *analytics.Frame) {
	t.grey, t.prev = t.prev, t.grey
	clear(t.grey)
	for y := 0; y < f.Height; y += t.sampleStep {
		cells := t.grey[min(y*t.gh/f.Height, t.gh-1)*t.gw:]
		row := f.BGR[y*f.Width*3 : (y+1)*f.Width*3]
		for k, gx := range t.cellX {
			p := row[k*t.sampleStep*3:]
			// ITU-R 601 luma.
			cells[gx] += 0.114*float32(p[0]) + 0.587*float32(p[1]) + 0.299*float32(p[2])
		}
	}
	for i := range t.grey {
		t.grey[i] /= max(t.perCell[i], 1)
	}
}

// measure fills t.measures and t.thumb from the grey picture.
func (t *tamperCheck) measure() {
	var sum, sq float64
	for _, v := range t.grey {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(t.grey))
	m := tamperMeasures{Mean: sum / n}
	m.Std = math.Sqrt(max(0, sq/n-m.Mean*m.Mean))
	// Sharpness: mean absolute Laplacian; blur takes the fine edges away.
	var lap float64
	for y := 1; y < t.gh-1; y++ {
		for x := 1; x < t.gw-1; x++ {
			i := y*t.gw + x
			l := 4*t.grey[i] - t.grey[i-1] - t.grey[i+1] - t.grey[i-t.gw] - t.grey[i+t.gw]
			lap += math.Abs(float64(l))
		}
	}
	if t.gw > 2 && t.gh > 2 {
		m.Sharp = lap / float64((t.gw-2)*(t.gh-2))
	}
	if t.havePrev {
		var d float64
		for i, v := range t.grey {
			d += math.Abs(float64(v - t.prev[i]))
		}
		m.Diff = d / n
	} else {
		m.Diff = math.Inf(1)
	}
	th := len(t.thumb) / thumbWidth
	cnt := make([]float64, len(t.thumb))
	clear(t.thumb)
	for y := range t.gh {
		ty := min(y*th/t.gh, th-1)
		for x := range t.gw {
			i := ty*thumbWidth + min(x*thumbWidth/t.gw, thumbWidth-1)
			t.thumb[i] += float64(t.grey[y*t.gw+x])
			cnt[i]++
		}
	}
	for i := range t.thumb {
		t.thumb[i] /= max(cnt[i], 1)
	}
	t.updateScene()
	m.Corr = 1
	if t.ready && len(t.recent) >= sceneFrames/2 {
		m.Corr = correlation(t.scene, t.refThumb)
	}
	t.measures = m
}

// updateScene adds the thumbnail to the recent ones and takes their
// per-cell median: the background without the traffic crossing it. Each
// cell's values are kept in order, so a frame moves one value per cell
// instead of sorting them all.
func (t *tamperCheck) updateScene() {
	n := len(t.recent) // values in each cell before this frame
	var old []float64  // the thumbnail that drops out, once there are sceneFrames
	if n == sceneFrames {
		old = t.recent[t.next]
	} else if t.sorted == nil {
		t.sorted = make([]float64, len(t.thumb)*sceneFrames)
	}
	for i, v := range t.thumb {
		cell := t.sorted[i*sceneFrames : i*sceneFrames+n]
		if old != nil {
			j, _ := slices.BinarySearch(cell, old[i])
			cell = slices.Delete(cell, j, j+1)
		}
		j, _ := slices.BinarySearch(cell, v)
		cell = slices.Insert(cell, j, v) // in place: the cell has room
		t.scene[i] = cell[len(cell)/2]
	}
	if old == nil {
		t.recent = append(t.recent, slices.Clone(t.thumb))
	} else {
		copy(old, t.thumb)
		t.next = (t.next + 1) % sceneFrames
	}
}

// correlation is the Pearson correlation of two pictures: 1 for the same
// scene whatever its brightness and contrast, 0 for a flat picture.
func correlation(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var ab, aa, bb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		ab += da * db
		aa += da * da
		bb += db * db
	}
	if aa < 1e-6 || bb < 1e-6 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// conditions says which tamper conditions hold in this frame.
func (t *tamperCheck) conditions(at time.Time) map[TamperReason]bool {
	m := t.measures
	on := map[TamperReason]bool{}
	_, wasBlack := t.since[TamperBlack]
	on[TamperBlack] = m.Mean < darkLevel && (wasBlack || at.Sub(t.lastBright) <= sudden)
	_, wasFlat := t.since[TamperCovered]
	on[TamperCovered] = !on[TamperBlack] && m.Std < flatStd && (wasFlat || at.Sub(t.lastTextured) <= sudden)
	on[TamperFrozen] = m.Diff < frozenDiff
	if t.ready {
		on[TamperBlurred] = m.Sharp < blurRatio*t.refSharp
		on[TamperTurned] = m.Corr < turnedCorr
	}
	return on
}

// step checks frame f and returns the tamper event to fire, if any: the
// start of an episode, or its end (the same event, with its end time).
func (t *tamperCheck) step(f *analytics.Frame) []rules.Event {
	if t.cfg.Off || f.Width <= 0 || f.Height <= 0 || len(f.BGR) < f.Width*f.Height*3 {
		return nil
	}
	if f.Width != t.w || f.Height != t.h {
		t.reset(f.Width, f.Height)
	}
	t.toGrey(f)
	t.measure()
	t.havePrev = true
	at := f.At
	on := t.conditions(at)
	bad := false
	for _, r := range tamperReasons {
		if !on[r] {
			delete(t.since, r)
			continue
		}
		bad = true
		if _, ok := t.since[r]; !ok {
			t.since[r] = at
		}
	}
	if !bad {
		t.learn(at)
	}
	if t.measures.Mean >= brightLevel {
		t.lastBright = at
	}
	if t.measures.Std >= texturedStd {
		t.lastTextured = at
	}

	if bad {
		t.lastBad = at
	}
	if t.episode != nil {
		if at.Sub(t.lastBad) < t.cfg.Clear {
			return nil
		}
		ev := *t.episode
		ev.State, ev.End = rules.Ended, t.lastBad
		t.episode = nil
		return []rules.Event{ev}
	}
	for _, r := range tamperReasons {
		s, ok := t.since[r]
		if !ok || at.Sub(s) < t.cfg.For {
			continue
		}
		t.seq++
		t.episode = &rules.Event{
			ID:   fmt.Sprintf("%s-%s-%d-%d", t.camera, matthan.EventTamper, s.UnixMilli(), t.seq),
			Type: matthan.EventTamper, State: rules.Started, Camera: t.camera, Description: tamperText[r],
			Start: s, End: at, TrackIDs: []int64{}, Severity: rules.High,
			Box: analytics.Box{X2: float32(f.Width), Y2: float32(f.Height)},
		}
		return []rules.Event{*t.episode}
	}
	return nil
}

// learn folds a normal picture into the reference: averaged over the first
// Learn, then followed slowly (the light changes through the day) but only
// by pictures that still match it, so a turned or smeared camera never
// becomes the new normal.
func (t *tamperCheck) learn(at time.Time) {
	m := t.measures
	if t.learnStart.IsZero() {
		t.learnStart = at
		t.refThumb = make([]float64, len(t.scene))
	}
	if !t.ready {
		t.refN++
		k := 1 / float64(t.refN)
		for i, v := range t.scene {
			t.refThumb[i] += k * (v - t.refThumb[i])
		}
		t.refSharp += k * (m.Sharp - t.refSharp)
		t.ready = at.Sub(t.learnStart) >= t.cfg.Learn
		return
	}
	if m.Corr < 0.8 || m.Sharp < 0.6*t.refSharp {
		return
	}
	for i, v := range t.scene {
		t.refThumb[i] += refRate * (v - t.refThumb[i])
	}
	t.refSharp += refRate * (m.Sharp - t.refSharp)
}
