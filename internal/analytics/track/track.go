// Package track follows detected objects from frame to frame on one camera,
// SORT/ByteTrack style: a constant-velocity Kalman filter per track predicts
// where each object is now, detections are matched to the predictions by
// IoU (per class, high-score detections first, then low-score ones to keep
// tracks alive through a blurred or half-hidden frame), new tracks are
// confirmed after a few hits and dropped after a few missed frames.
//
// A Tracker is pure computation: times come in with the frames, so tests run
// on synthetic timelines. It is not safe for concurrent use: one Tracker per
// camera, fed by that camera's analysis loop.
package track

import (
	"cmp"
	"math"
	"slices"
	"time"

	"matthan/internal/analytics"
)

// Config tunes a Tracker. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// MinHits is how many matched frames make a new track confirmed (and
	// returned by Update): one stray detection never becomes a track.
	MinHits int
	// MaxMissed is how many frames in a row a confirmed track may go without
	// a detection (occlusion, a missed detection) before it is dropped.
	MaxMissed int
	// HighScore splits detections: at or above it they are matched first and
	// may start tracks; between LowScore and HighScore they only keep
	// existing tracks alive (ByteTrack's second stage).
	HighScore float32
	LowScore  float32
	// MatchIoU is the least IoU between a predicted box and a detection for
	// them to match.
	MatchIoU float32
	// StationaryPx and StationaryFor define Stationary: the box centre moved
	// less than StationaryPx (or StationaryBoxFrac of the box's smaller side,
	// whichever is larger, since detections of big boxes jitter more) for
	// StationaryFor.
	StationaryPx      float64
	StationaryBoxFrac float64
	StationaryFor     time.Duration
}

// DefaultConfig suits 5 fps sub-streams of 640×360 to 704×576.
func DefaultConfig() Config {
	return Config{
		MinHits:           3,
		MaxMissed:         10, // 2 s at 5 fps
		HighScore:         0.5,
		LowScore:          0.1,
		MatchIoU:          0.2,
		StationaryPx:      4,
		StationaryBoxFrac: 0.1,
		StationaryFor:     5 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MinHits <= 0 {
		c.MinHits = d.MinHits
	}
	if c.MaxMissed <= 0 {
		c.MaxMissed = d.MaxMissed
	}
	if c.HighScore <= 0 {
		c.HighScore = d.HighScore
	}
	if c.LowScore <= 0 {
		c.LowScore = d.LowScore
	}
	if c.MatchIoU <= 0 {
		c.MatchIoU = d.MatchIoU
	}
	if c.StationaryPx <= 0 {
		c.StationaryPx = d.StationaryPx
	}
	if c.StationaryBoxFrac <= 0 {
		c.StationaryBoxFrac = d.StationaryBoxFrac
	}
	if c.StationaryFor <= 0 {
		c.StationaryFor = d.StationaryFor
	}
	return c
}

// Track is what Update tells about one followed object. Update returns
// copies: a caller may keep them, the tracker never changes them later.
type Track struct {
	ID    int64 // unique within a Tracker, never reused
	Class analytics.Class
	// Box is the filtered box now (the prediction while the object is
	// unseen); Detection is the last matched detection, as detected.
	Box       analytics.Box
	Detection analytics.Box
	Score     float32 // score of the last matched detection

	FirstSeen time.Time
	LastSeen  time.Time // time of the last matched detection
	Hits      int       // matched frames in all
	Missed    int       // frames in a row without a match (0: seen now)

	// VX, VY are the centre's velocity in px/s (image axes: x right, y down).
	VX, VY float64
	// Distance is the total path of the box centre in px.
	Distance float64
	// Stationary is true once the centre stayed within a few px for the
	// configured time; StationarySince is when it last stopped moving.
	Stationary      bool
	StationarySince time.Time
}

// Speed is the centre's speed in px/s.
func (t *Track) Speed() float64 { return math.Hypot(t.VX, t.VY) }

// Heading is the direction of motion in degrees, in image axes: 0 is right,
// 90 down, 180 left, 270 up (0 for an object that does not move).
func (t *Track) Heading() float64 {
	if t.VX == 0 && t.VY == 0 {
		return 0
	}
	d := math.Atan2(t.VY, t.VX) * 180 / math.Pi
	if d < 0 {
		d += 360
	}
	return d
}

// Foot is the bottom-centre of the box: where the object touches the
// ground, the point zones are tested with.
func (t *Track) Foot() (x, y float64) {
	return float64(t.Box.X1+t.Box.X2) / 2, float64(t.Box.Y2)
}

// Tracker follows one camera's objects.
type Tracker struct {
	cfg    Config
	nextID int64
	last   time.Time
	tracks []*state
}

// state is a track with its filter.
type state struct {
	Track
	cx, cy, w, h axis
	confirmed    bool
	// anchor is where the centre was when it last moved more than the
	// stationary radius; anchorAt is when.
	anchorX, anchorY float64
	anchorAt         time.Time
	prevX, prevY     float64       // filtered centre at the last match
	prevDet          analytics.Box // the detection before the last one
}

// New returns a Tracker; zero Config fields take the defaults.
func New(cfg Config) *Tracker {
	return &Tracker{cfg: cfg.withDefaults()}
}

// maxStep bounds the time one prediction spans, so a stream that stalled
// for minutes does not throw its tracks across the picture.
const maxStep = 2 * time.Second

// Update takes the detections of the frame seen at `at` and returns the
// confirmed tracks, seen now or coasting through a short occlusion, ordered
// by ID. A frame with no detections still counts as a frame (tracks miss
// it). Detections with an empty or non-finite box are ignored.
func (tr *Tracker) Update(at time.Time, dets []analytics.Detection) []*Track {
	return tr.update(at, dets, nil)
}

// searchedShare is how much of a track's predicted box must lie inside one
// searched region for the region to have looked at it.
const searchedShare = 0.9

// UpdateSearched is Update for a frame the detector searched only in parts:
// regions, in frame pixels (nil: the whole frame, as Update). A track whose
// predicted box is not (nearly) inside one region was not looked at, so
// going unmatched is no miss: it keeps its last position, stops (what moves
// is in the regions, so it is still) and its Missed count stays as it was.
// A parked car found by a full-frame pass so survives frames that search
// only where something moves.
func (tr *Tracker) UpdateSearched(at time.Time, dets []analytics.Detection, regions []analytics.Box) []*Track {
	if regions == nil {
		return tr.update(at, dets, nil)
	}
	return tr.update(at, dets, func(b analytics.Box) bool {
		for _, r := range regions {
			in := analytics.Box{X1: max(b.X1, r.X1), Y1: max(b.Y1, r.Y1), X2: min(b.X2, r.X2), Y2: min(b.Y2, r.Y2)}
			if in.Area() >= searchedShare*b.Area() {
				return true
			}
		}
		return false
	})
}

// update is Update; searched, when not nil, says whether the detector
// looked at a predicted box.
func (tr *Tracker) update(at time.Time, dets []analytics.Detection, searched func(analytics.Box) bool) []*Track {
	// Tracks the detector did not look at keep their state as it was.
	var unseen map[*state]state
	if searched != nil {
		unseen = map[*state]state{}
		for _, s := range tr.tracks {
			unseen[s] = *s
		}
	}
	dt := 0.0
	if !tr.last.IsZero() {
		d := at.Sub(tr.last)
		d = max(0, min(d, maxStep))
		dt = d.Seconds()
	}
	if tr.last.IsZero() || at.After(tr.last) {
		tr.last = at
	}
	for _, s := range tr.tracks {
		s.predict(dt)
		if searched != nil && searched(s.Box) {
			delete(unseen, s)
		}
	}

	var high, low []analytics.Detection
	for _, d := range dets {
		if !valid(d.Box) || d.Score < tr.cfg.LowScore || math.IsNaN(float64(d.Score)) {
			continue
		}
		if d.Score >= tr.cfg.HighScore {
			high = append(high, d)
		} else {
			low = append(low, d)
		}
	}

	matched := make(map[*state]bool, len(tr.tracks))
	// Stage 1: high-score detections against every track; vehicles first,
	// so that new person tracks riding them can borrow their motion.
	isPerson := func(c analytics.Class) bool { return c == analytics.Person }
	restHigh := tr.associate(at, filter(high, isPerson, false), tr.tracks, matched)
	tr.carryRiders(dt, matched)
	restHigh = append(restHigh, tr.associate(at, filter(high, isPerson, true), tr.tracks, matched)...)
	// Stage 2: low-score detections only keep confirmed tracks alive.
	var confirmed []*state
	for _, s := range tr.tracks {
		if s.confirmed && !matched[s] {
			confirmed = append(confirmed, s)
		}
	}
	restLow := tr.associate(at, low, confirmed, matched)
	// Stage 3: what overlap could not pair, nearness may. At 5 fps a rider
	// 20 px wide moves 30 px between frames, and one who turns leaves the
	// constant-velocity prediction behind: no IoU, yet the detection is
	// next to where the track was heading.
	restHigh = tr.associateNear(at, restHigh, tr.tracks, matched)
	tr.associateNear(at, restLow, confirmed, matched)

	// Unmatched tracks miss this frame; tentative ones die at once.
	kept := tr.tracks[:0]
	for _, s := range tr.tracks {
		if was, ok := unseen[s]; ok && !matched[s] {
			*s = was
			s.cx.v, s.cy.v, s.w.v, s.h.v = 0, 0, 0, 0
			s.VX, s.VY = 0, 0
			s.Box = s.box()
			kept = append(kept, s)
			continue
		}
		if !matched[s] {
			s.Missed++
			if !s.confirmed || s.Missed > tr.cfg.MaxMissed {
				continue
			}
		}
		kept = append(kept, s)
	}
	clear(tr.tracks[len(kept):])
	tr.tracks = kept

	// Unmatched high-score detections start tentative tracks.
	for _, d := range restHigh {
		tr.tracks = append(tr.tracks, tr.start(at, d))
	}

	out := make([]*Track, 0, len(tr.tracks))
	for _, s := range tr.tracks {
		if s.confirmed {
			t := s.Track
			out = append(out, &t)
		}
	}
	slices.SortFunc(out, func(a, b *Track) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// associate matches detections to tracks of the same class greedily by
// IoU, best pair first, and returns the detections left unmatched. Greedy
// rather than Hungarian: a street camera has a handful of objects per class
// and the best-pair-first order gives the same pairs in all but contrived
// cases, with code an officer's engineer can read.
func (tr *Tracker) associate(at time.Time, dets []analytics.Detection, tracks []*state, matched map[*state]bool) []analytics.Detection {
	return tr.pairBest(at, dets, tracks, matched, func(s *state, d analytics.Detection) (float64, bool) {
		iou := s.Box.IoU(d.Box)
		if s.Hits == 1 {
			// A track seen once has no velocity yet: compare widened
			// boxes (buffered IoU) so a fast motorbike, which moved
			// most of its width in 200 ms, still finds its second box.
			iou = max(iou, widen(s.Box, 0.5).IoU(widen(d.Box, 0.5)))
		}
		return -float64(iou), iou >= tr.cfg.MatchIoU
	})
}

// Nearness gating for associateNear: a detection's centre may be up to
// nearGate box sizes from the predicted centre, and a box size more for
// each frame the track went unseen (up to nearGateMax), with an area
// within nearArea times the track's either way.
const (
	nearGate    = 1.5
	nearGateMax = 3.0
	nearArea    = 2.5
)

// associateNear matches detections to tracks of the same class by the
// distance between centres, relative to the track's size, nearest first,
// and returns the detections left unmatched.
func (tr *Tracker) associateNear(at time.Time, dets []analytics.Detection, tracks []*state, matched map[*state]bool) []analytics.Detection {
	return tr.pairBest(at, dets, tracks, matched, func(s *state, d analytics.Detection) (float64, bool) {
		px, py, pw, ph := centre(s.Box)
		cx, cy, w, h := centre(d.Box)
		dist := math.Hypot(cx-px, cy-py) / max(pw, ph, 1)
		ratio := (w * h) / max(pw*ph, 1)
		gate := min(nearGate+float64(s.Missed), nearGateMax)
		return dist, dist <= gate && ratio <= nearArea && ratio >= 1/nearArea
	})
}

// pairBest pairs detections and the tracks not matched yet, of the same
// class, among the candidates cost accepts, lowest cost first, each at most
// once; it corrects the paired tracks and returns the detections left.
func (tr *Tracker) pairBest(at time.Time, dets []analytics.Detection, tracks []*state, matched map[*state]bool,
	cost func(*state, analytics.Detection) (float64, bool)) []analytics.Detection {
	type pair struct {
		t, d int
		cost float64
	}
	var pairs []pair
	for ti, s := range tracks {
		if matched[s] {
			continue
		}
		for di, d := range dets {
			if d.Class != s.Class {
				continue
			}
			if c, ok := cost(s, d); ok {
				pairs = append(pairs, pair{ti, di, c})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.cost, b.cost) })
	usedDet := make([]bool, len(dets))
	for _, p := range pairs {
		s := tracks[p.t]
		if matched[s] || usedDet[p.d] {
			continue
		}
		matched[s] = true
		usedDet[p.d] = true
		tr.correct(s, at, dets[p.d])
	}
	var rest []analytics.Detection
	for i, d := range dets {
		if !usedDet[i] {
			rest = append(rest, d)
		}
	}
	return rest
}

// carryRiders gives a person track seen once (no velocity yet) the motion
// of the two-wheeler it sat on. At 5 fps a motorbike moves more than the
// gap between its riders in one frame, so riders matched with no velocity
// would each take the box of the rider behind them, over and over; a rider
// moves with the bike, so the bike's displacement is their best guess.
func (tr *Tracker) carryRiders(dt float64, matched map[*state]bool) {
	if dt <= 0 {
		return
	}
	for _, p := range tr.tracks {
		if p.Class != analytics.Person || p.Hits != 1 || matched[p] {
			continue
		}
		for _, v := range tr.tracks {
			if (v.Class != analytics.Motorcycle && v.Class != analytics.Bicycle) || !matched[v] || v.Hits < 2 {
				continue
			}
			was, pb := v.prevDet, p.Detection
			cx := (pb.X1 + pb.X2) / 2
			if cx < was.X1 || cx > was.X2 || pb.Y2 < was.Y1 || pb.Y2 > was.Y2+0.2*was.H() {
				continue
			}
			ox, oy, _, _ := centre(was)
			nx, ny, _, _ := centre(v.Detection)
			dx, dy := nx-ox, ny-oy
			p.cx.p += dx
			p.cy.p += dy
			p.cx.v, p.cy.v = dx/dt, dy/dt
			p.Box = p.box()
			break
		}
	}
}

func filter(dets []analytics.Detection, keep func(analytics.Class) bool, want bool) []analytics.Detection {
	var out []analytics.Detection
	for _, d := range dets {
		if keep(d.Class) == want {
			out = append(out, d)
		}
	}
	return out
}

// Noise of the filter, relative to the box height h (as ByteTrack scales
// it): a detection's edges are good to about h/20; objects change speed by
// about one box height per second per second.
const (
	measStdFrac = 1.0 / 20
	velStdFrac  = 2.0 // initial velocity uncertainty, h per second
	accStdFrac  = 1.0
)

func (tr *Tracker) start(at time.Time, d analytics.Detection) *state {
	tr.nextID++
	cx, cy, w, h := centre(d.Box)
	ms, vs := measStdFrac*h, velStdFrac*h
	s := &state{
		Track: Track{
			ID: tr.nextID, Class: d.Class, Box: d.Box, Detection: d.Box, Score: d.Score,
			FirstSeen: at, LastSeen: at, Hits: 1,
		},
		cx: newAxis(cx, ms, vs), cy: newAxis(cy, ms, vs),
		w: newAxis(w, ms, vs/4), h: newAxis(h, ms, vs/4),
		anchorX: cx, anchorY: cy, anchorAt: at,
		prevX: cx, prevY: cy,
	}
	s.confirmed = tr.cfg.MinHits <= 1
	return s
}

func (s *state) predict(dt float64) {
	acc := accStdFrac * max(s.h.p, 1)
	s.cx.predict(dt, acc)
	s.cy.predict(dt, acc)
	s.w.predict(dt, acc/4)
	s.h.predict(dt, acc/4)
	s.Box = s.box()
}

func (tr *Tracker) correct(s *state, at time.Time, d analytics.Detection) {
	cx, cy, w, h := centre(d.Box)
	ms := measStdFrac * max(h, 1)
	s.cx.update(cx, ms)
	s.cy.update(cy, ms)
	s.w.update(w, ms)
	s.h.update(h, ms)
	s.Box = s.box()
	s.prevDet = s.Detection
	s.Detection = d.Box
	s.Score = d.Score
	s.Hits++
	s.Missed = 0
	if at.After(s.LastSeen) {
		s.LastSeen = at
	}
	if s.Hits >= tr.cfg.MinHits {
		s.confirmed = true
	}
	s.VX, s.VY = s.cx.v, s.cy.v

	x, y := s.cx.p, s.cy.p
	s.Distance += math.Hypot(x-s.prevX, y-s.prevY)
	s.prevX, s.prevY = x, y

	radius := max(tr.cfg.StationaryPx, tr.cfg.StationaryBoxFrac*min(s.w.p, s.h.p))
	if math.Hypot(x-s.anchorX, y-s.anchorY) > radius {
		s.anchorX, s.anchorY, s.anchorAt = x, y, at
	}
	s.StationarySince = s.anchorAt
	s.Stationary = at.Sub(s.anchorAt) >= tr.cfg.StationaryFor
}

func (s *state) box() analytics.Box {
	w, h := max(s.w.p, 1), max(s.h.p, 1)
	return analytics.Box{
		X1: float32(s.cx.p - w/2), Y1: float32(s.cy.p - h/2),
		X2: float32(s.cx.p + w/2), Y2: float32(s.cy.p + h/2),
	}
}

func centre(b analytics.Box) (cx, cy, w, h float64) {
	return float64(b.X1+b.X2) / 2, float64(b.Y1+b.Y2) / 2, float64(b.W()), float64(b.H())
}

// widen grows a box by frac of its size on every side.
func widen(b analytics.Box, frac float32) analytics.Box {
	dx, dy := b.W()*frac, b.H()*frac
	return analytics.Box{X1: b.X1 - dx, Y1: b.Y1 - dy, X2: b.X2 + dx, Y2: b.Y2 + dy}
}

// maxCoord bounds box coordinates: no analysed frame is a million pixels
// wide, and bigger values only come from garbage.
const maxCoord = 1 << 20

func valid(b analytics.Box) bool {
	for _, v := range []float32{b.X1, b.Y1, b.X2, b.Y2} {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > maxCoord {
			return false
		}
	}
	return b.X2-b.X1 >= 1 && b.Y2-b.Y1 >= 1
}
