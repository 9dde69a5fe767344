package pipeline

import (
	"fmt"
	"math"
	"slices"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/analytics/rules"
	"matthan/internal/analytics/track"
)

// The picture rules, rubbish dumping and security lapse, compare each
// watched zone with a reference picture of it, on a grey grid of cells
// (design/analytics.md, "Picture rules"):
//
//   - Dumping zones keep a background: each cell averages its first calm
//     frames (no track and no motion over it), then follows calm, unchanged
//     frames slowly (the light through the day). A cell that differs from
//     it (after the zone's brightness is normalised) is changed; changed
//     cells are never learned, until a change has lasted sceneAbsorb and
//     becomes the background. An object left is the largest blob of
//     changed cells, uncovered by any track, whose content has stayed the
//     same since it was first seen uncovered, within Recent of a track in
//     the zone, for MinPersist, and that stands out from the ground around
//     it (not the ground showing again where something left).
//   - Gate zones take their closed picture from the first calm frames of
//     each night (the schedule's start) and keep it frozen all night; the
//     zone differing from it over MinArea for MinPersist is the reminder,
//     at most one per zone and night.
const (
	sceneWidth       = 160              // the grid is about this many cells wide: 4 px cells at 640
	sceneLearnFrames = 10               // calm frames a cell averages before it has a reference (2 s at 5 fps)
	sceneVerify      = 5                // calm frames a dumping cell must then match it before its changes count
	sceneTau         = time.Minute      // the background follows calm, unchanged cells over about this long
	sceneMinDiff     = 20               // grey levels a cell must differ from its reference by…
	sceneRelDiff     = 0.2              // … or this share of the reference, whichever is larger
	sceneKeep        = 0.6              // a changed cell stays changed until its difference falls under this share of the threshold
	sceneGrace       = time.Second      // a cell (or a zone's change) gone for less than this is still there: noise, compression
	sceneAbsorb      = 10 * time.Minute // a change that lasts this long becomes the background: the dumping event ends
	sceneMaxShare    = 0.5              // a change over more than this share of a dumping zone is the light: the zone learns again
	sceneMinCells    = 6                // the fewest cells a change needs, whatever MinArea says
	sceneWiden       = 0.1              // track boxes are widened by this share on each side when they cover cells
	sceneChroma      = 24               // colour difference (|ΔCb|+|ΔCr|) that changes a dumping cell of the same grey: an orange sack on grey asphalt
	sceneDarkRef     = 10               // reference cells darker than this say nothing about the brightness
	sceneGainBins    = 256              // brightness ratios 0..4 in bins of 1/64
)

// What covers a cell in this frame.
const (
	coverTrack  uint8 = 1 << iota // a track's (widened) box
	coverPerson                   // a person track's box
	coverMotion                   // a motion box
)

// sceneCheck runs one camera's dumping and lapse rules. One per camera, fed
// its frames in order.
type sceneCheck struct {
	camera      string
	cfg         rules.Config
	updateEvery time.Duration

	w, h, cell, gw, gh int
	grey               []float32 // per grid cell, luma; only watched cells are filled
	cb, cr             []float32 // … and colour: blue and red minus luma
	watched            []int32   // grid cells inside a watched zone
	base               []int     // per watched cell: its top-left pixel's byte in the frame
	offs               []int     // the byte offsets of a cell's samples from its top-left
	covered            []uint8   // per grid cell, this frame's cover bits
	zones              []*zoneScene
	dumps              []*dumpState
	lapses             []*lapseState

	tracks []*track.Track // the latest tracks: frames the detector skipped keep them
	prevAt time.Time
	seq    int
}

// zoneScene is one watched zone: its cells and, for dumping zones, its
// background.
type zoneScene struct {
	zone  rules.Zone
	cells []int32 // grid cells whose centre is in the zone
	index []int32 // per grid cell: its place in cells, -1 outside the zone
	live  bool    // a dumping rule watches it: keep the background

	ref     []float32 // the background, per zone cell: luma…
	refCb   []float32 // … and colour
	refCr   []float32
	weight  []uint16 // frames averaged into ref, up to sceneLearnFrames
	matched []uint8  // calm frames that matched ref since, up to sceneVerify
	changed []bool
	since   []int64   // UnixNano when the cell's present content appeared
	fg      []float32 // that content: the cell's value while changed
	lastOn  []int64   // UnixNano of the last frame it differed
	known   int       // cells with a reference
	gain    float32   // the picture's brightness against ref, this frame

	lastPresence time.Time // a track was over the zone
	presentIDs   []int64   // … these tracks
}

// dumpState is one dumping rule on one zone.
type dumpState struct {
	rule rules.Dumping
	desc rules.Text
	z    *zoneScene

	phase     dumpPhase
	appeared  time.Time // when the change was first seen uncovered
	byPerson  bool      // a track was in the zone within Recent before that
	tracks    []int64   // those tracks
	lastAbove time.Time // the last frame the change covered MinArea
	mask      []bool    // the object's cells, while active
	box       analytics.Box
	sit       situation
}

type dumpPhase int

const (
	dumpIdle    dumpPhase = iota
	dumpPending           // a change appeared: waiting MinPersist
	dumpActive            // an object was left: the event is on
)

// lapseState is one lapse rule on one gate zone.
type lapseState struct {
	rule rules.Lapse
	desc rules.Text
	z    *zoneScene

	night  bool      // the schedule was on at the last frame
	ref    []float32 // the closed picture, per zone cell
	weight []uint16
	since  time.Time // the zone has differed from it since
	fired  bool      // tonight's reminder was raised
	box    analytics.Box
	sit    situation
}

// newSceneCheck returns the camera's picture rules, or nil when it has
// none (nothing to pay per frame).
func newSceneCheck(camera string, cfg rules.Config) *sceneCheck {
	if len(cfg.Rules.Dumping) == 0 && len(cfg.Rules.Lapse) == 0 {
		return nil
	}
	every := cfg.UpdateEvery
	if every <= 0 {
		every = 10 * time.Second // as the rules engine
	}
	return &sceneCheck{camera: camera, cfg: cfg, updateEvery: every}
}

// reset lays the grid and the zones out for a new frame size; what was
// learned is lost.
func (s *sceneCheck) reset(w, h int) {
	s.w, s.h = w, h
	s.cell = max(1, w/sceneWidth)
	s.gw, s.gh = max(1, w/s.cell), max(1, h/s.cell)
	n := s.gw * s.gh
	s.grey, s.cb, s.cr, s.covered = make([]float32, n), make([]float32, n), make([]float32, n), make([]uint8, n)
	s.zones, s.dumps, s.lapses, s.watched = nil, nil, nil, nil
	byName := map[string]*zoneScene{}
	zone := func(z rules.Zone) *zoneScene {
		if zs := byName[z.Name]; zs != nil {
			return zs
		}
		zs := &zoneScene{zone: z, index: make([]int32, n)}
		for c := range n {
			zs.index[c] = -1
			p := rules.Point{X: (float64(c%s.gw) + 0.5) * float64(s.cell) / float64(w), Y: (float64(c/s.gw) + 0.5) * float64(s.cell) / float64(h)}
			if z.Contains(p) {
				zs.index[c] = int32(len(zs.cells))
				zs.cells = append(zs.cells, int32(c))
			}
		}
		k := len(zs.cells)
		zs.ref, zs.refCb, zs.refCr = make([]float32, k), make([]float32, k), make([]float32, k)
		zs.weight, zs.changed = make([]uint16, k), make([]bool, k)
		zs.since, zs.lastOn, zs.matched, zs.fg = make([]int64, k), make([]int64, k), make([]uint8, k), make([]float32, k)
		byName[z.Name] = zs
		s.zones = append(s.zones, zs)
		return zs
	}
	for _, r := range s.cfg.Rules.Dumping {
		r = r.WithDefaults()
		for _, z := range s.cfg.ZonesOf(r.Zone, rules.NoDumping) {
			zs := zone(z)
			zs.live = true
			s.dumps = append(s.dumps, &dumpState{rule: r, desc: r.Describe(), z: zs})
		}
	}
	for _, r := range s.cfg.Rules.Lapse {
		r = r.WithDefaults()
		for _, z := range s.cfg.ZonesOf(r.Zone, rules.Gate) {
			zs := zone(z)
			k := len(zs.cells)
			s.lapses = append(s.lapses, &lapseState{rule: r, desc: r.Describe(), z: zs, ref: make([]float32, k), weight: make([]uint16, k)})
		}
	}
	seen := make([]bool, n)
	for _, zs := range s.zones {
		for _, c := range zs.cells {
			if !seen[c] {
				seen[c] = true
				s.watched = append(s.watched, c)
			}
		}
	}
	slices.Sort(s.watched) // row by row: kinder to the cache
	s.base = make([]int, len(s.watched))
	for k, c := range s.watched {
		s.base[k] = (int(c)/s.gw*s.cell*w + int(c)%s.gw*s.cell) * 3
	}
	// A cell's corners at half steps: 4 pixels are enough for its
	// average, and cheap.
	step := max(1, s.cell/2)
	s.offs = nil
	for y := 0; y < s.cell; y += step {
		for x := 0; x < s.cell; x += step {
			s.offs = append(s.offs, (y*w+x)*3)
		}
	}
}

// step checks frame f. tracks are the tracker's output for it; fresh says
// whether they are new (false: the detector skipped the frame, the last
// ones still hold); moving are the motion boxes.
func (s *sceneCheck) step(f *analytics.Frame, tracks []*track.Track, fresh bool, moving []analytics.Box) []rules.Event {
	if f.Width <= 0 || f.Height <= 0 || len(f.BGR) < f.Width*f.Height*3 {
		return nil
	}
	if f.Width != s.w || f.Height != s.h {
		s.reset(f.Width, f.Height)
	}
	at := f.At
	dt := min(max(at.Sub(s.prevAt), 0), time.Second)
	if s.prevAt.IsZero() {
		dt = 0
	}
	s.prevAt = at
	if fresh {
		s.tracks = tracks
	}
	s.toGrey(f)
	s.cover(moving)
	for _, z := range s.zones {
		s.presence(z, at)
		if z.live {
			s.compare(z, at)
		}
	}
	var out []rules.Event
	for _, d := range s.dumps {
		out = append(out, s.dumping(d, at)...)
	}
	for _, l := range s.lapses {
		out = append(out, s.lapse(l, at)...)
	}
	for _, z := range s.zones {
		if z.live {
			s.learn(z, at, dt)
		}
	}
	return out
}

// toGrey fills the watched cells with their mean luma and colour.
func (s *sceneCheck) toGrey(f *analytics.Frame) {
	bgr := f.BGR
	k := 1 / float32(len(s.offs))
	for i, c := range s.watched {
		b := s.base[i]
		var sb, sg, sr uint32
		for _, o := range s.offs {
			p := bgr[b+o : b+o+3 : b+o+3]
			sb, sg, sr = sb+uint32(p[0]), sg+uint32(p[1]), sr+uint32(p[2])
		}
		y := float32(29*sb+150*sg+77*sr) * k / 256 // ITU-R 601 luma
		s.grey[c], s.cb[c], s.cr[c] = y, float32(sb)*k-y, float32(sr)*k-y
	}
}

// cover marks the cells under tracks and motion in this frame.
func (s *sceneCheck) cover(moving []analytics.Box) {
	clear(s.covered)
	for _, t := range s.tracks {
		bits := coverTrack
		if t.Class == analytics.Person {
			bits |= coverPerson
		}
		b := t.Box
		dx, dy := sceneWiden*b.W(), sceneWiden*b.H()
		s.mark(analytics.Box{X1: b.X1 - dx, Y1: b.Y1 - dy, X2: b.X2 + dx, Y2: b.Y2 + dy}, bits)
	}
	for _, b := range moving {
		s.mark(b, coverMotion)
	}
}

// cells returns the grid cells a box overlaps, as x0..x1, y0..y1
// (exclusive ends), clipped to the grid.
func (s *sceneCheck) cells(b analytics.Box) (x0, y0, x1, y1 int) {
	c := float32(s.cell)
	x0, y0 = max(0, int(b.X1/c)), max(0, int(b.Y1/c))
	x1, y1 = min(s.gw, int(math.Ceil(float64(b.X2/c)))), min(s.gh, int(math.Ceil(float64(b.Y2/c))))
	return x0, y0, x1, y1
}

func (s *sceneCheck) mark(b analytics.Box, bits uint8) {
	x0, y0, x1, y1 := s.cells(b)
	for y := y0; y < y1; y++ {
		row := s.covered[y*s.gw : (y+1)*s.gw]
		for x := x0; x < x1; x++ {
			row[x] |= bits
		}
	}
}

// presence notes when a track was last over the zone, and which.
func (s *sceneCheck) presence(z *zoneScene, at time.Time) {
	var ids []int64
	for _, t := range s.tracks {
		x0, y0, x1, y1 := s.cells(t.Box)
	box:
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if z.index[y*s.gw+x] >= 0 {
					ids = append(ids, t.ID)
					break box
				}
			}
		}
	}
	if len(ids) > 0 {
		z.lastPresence, z.presentIDs = at, ids
	}
}

// gain is the zone's brightness against a reference: the median ratio of
// its cells to the reference's, so a light switched on or a cloud is no
// change, and a change over less than half of the zone does not move it.
func gain(grey []float32, cells []int32, ref []float32, weight []uint16, skip func(c int32) bool) float32 {
	var hist [sceneGainBins]uint16
	n := 0
	for i, c := range cells {
		if weight[i] < sceneLearnFrames || ref[i] < sceneDarkRef || (skip != nil && skip(c)) {
			continue
		}
		hist[min(sceneGainBins-1, int(grey[c]/ref[i]*64))]++
		n++
	}
	if n == 0 {
		return 1
	}
	half := 0
	for b, k := range hist {
		if half += int(k); half*2 >= n {
			return (float32(b) + 0.5) / 64
		}
	}
	return 1
}

// differs reports whether value v differs from reference r at brightness
// g; keep lowers the threshold for a cell already changed (hysteresis).
func differs(v, r, g float32, keep bool) bool {
	want := g * r
	thr := max(sceneMinDiff, sceneRelDiff*want)
	if keep {
		thr *= sceneKeep
	}
	return abs(v-want) > thr
}

func abs(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// follow moves cell i's background (grid cell c) a share k of the way to
// the picture now.
func (s *sceneCheck) follow(z *zoneScene, i int, c int32, k float32) {
	z.ref[i] += k * (s.grey[c] - z.ref[i])
	z.refCb[i] += k * (s.cb[c] - z.refCb[i])
	z.refCr[i] += k * (s.cr[c] - z.refCr[i])
}

// colourDiffers reports whether cell i (grid cell c) differs in colour from
// its background at brightness g: a sack as grey as the asphalt, but
// orange. keep lowers the threshold for a changed cell.
func (s *sceneCheck) colourDiffers(z *zoneScene, i int, c int32, g float32, keep bool) bool {
	thr := float32(sceneChroma)
	if keep {
		thr *= sceneKeep
	}
	return abs(s.cb[c]-g*z.refCb[i])+abs(s.cr[c]-g*z.refCr[i]) > thr
}

// compare marks the dumping zone's changed cells against its background.
func (s *sceneCheck) compare(z *zoneScene, at time.Time) {
	now := at.UnixNano()
	g := gain(s.grey, z.cells, z.ref, z.weight, nil)
	z.gain = g
	z.known = 0
	uncovered := 0
	for i, c := range z.cells {
		if z.weight[i] < sceneLearnFrames {
			z.changed[i], z.since[i] = false, 0
			continue
		}
		z.known++
		v := s.grey[c]
		if differs(v, z.ref[i], g, z.changed[i]) || s.colourDiffers(z, i, c, g, z.changed[i]) {
			z.lastOn[i] = now
			switch {
			case !z.changed[i]:
				z.changed[i], z.since[i], z.fg[i] = true, now, v
			case s.covered[c]&coverTrack != 0:
				// Someone in front: what is behind is unknown, keep it.
			case differs(v, z.fg[i], 1, false):
				// Something else is here now (the next motorbike in a
				// queue, a sack where a person stood): it appeared now.
				z.since[i], z.fg[i] = now, v
			default:
				z.fg[i] += 0.2 * (v - z.fg[i])
			}
		} else if z.changed[i] && now-z.lastOn[i] >= int64(sceneGrace) {
			z.changed[i], z.since[i] = false, 0
		}
		if z.changed[i] && s.covered[c] == 0 {
			uncovered++
		}
	}
	// Most of the zone changed at once, with nothing over it: the light
	// (a street lamp, the camera's night mode), not an object. Learn the
	// zone again.
	if z.known*4 >= len(z.cells) && float64(uncovered) > sceneMaxShare*float64(z.known) {
		clear(z.weight)
		clear(z.matched)
		clear(z.changed)
		clear(z.since)
		z.known = 0
	}
}

// learn folds this frame into the dumping zone's background: cells
// without a reference average their calm frames; calm, unchanged cells
// follow slowly; a change that lasted sceneAbsorb becomes the background.
func (s *sceneCheck) learn(z *zoneScene, at time.Time, dt time.Duration) {
	now := at.UnixNano()
	alpha := float32(dt.Seconds() / sceneTau.Seconds())
	for i, c := range z.cells {
		if s.covered[c] != 0 {
			continue // something over it: not the background
		}
		switch {
		case z.weight[i] < sceneLearnFrames:
			z.weight[i]++
			s.follow(z, i, c, 1/float32(z.weight[i]))
		case z.changed[i]:
			if now-z.since[i] >= int64(sceneAbsorb) {
				s.follow(z, i, c, 1)
				z.changed[i], z.since[i] = false, 0
			}
		default:
			s.follow(z, i, c, alpha)
			z.matched[i] = min(sceneVerify, z.matched[i]+1)
		}
	}
}

// dumping advances one dumping rule on its zone.
func (s *sceneCheck) dumping(d *dumpState, at time.Time) []rules.Event {
	z, r := d.z, d.rule
	if !scheduled(r.During, at) {
		d.phase = dumpIdle
		return d.sit.step(at, false, r.Cooldown, s.updateEvery, nil)
	}
	minCells := max(sceneMinCells, int(math.Ceil(r.MinArea*float64(len(z.cells)))))
	// Uncovered cells that differ now: what is left where no track
	// stands. A cell counts once it matched its reference for a while:
	// one learned wrong (a shadow the motion missed) differs from the
	// start, and nothing appeared there.
	now := at.UnixNano()
	loose := func(i int, c int32) bool {
		return z.changed[i] && z.lastOn[i] == now && z.matched[i] >= sceneVerify && s.covered[c]&coverTrack == 0
	}
	switch d.phase {
	case dumpIdle, dumpPending:
		n := 0
		for i, c := range z.cells {
			if loose(i, c) {
				n++
			}
		}
		switch {
		case n >= minCells:
			d.lastAbove = at
			if d.phase == dumpIdle {
				d.phase, d.appeared = dumpPending, at
				d.byPerson = !z.lastPresence.IsZero() && at.Sub(z.lastPresence) <= r.Recent
				d.tracks = slices.Clone(z.presentIDs)
			}
		case d.phase == dumpPending && at.Sub(d.lastAbove) >= sceneGrace:
			d.phase = dumpIdle
		}
		if d.phase != dumpPending || at.Sub(d.appeared) < r.MinPersist {
			break
		}
		// The object: the largest blob of cells whose content has stayed
		// the same since it appeared (or before, while the person stood
		// over it), uncovered. Cells scattered over the road are noise.
		appeared := d.appeared.Add(sceneGrace).UnixNano()
		mask, n, box := s.blob(z, func(i int, c int32) bool { return loose(i, c) && z.since[i] <= appeared })
		if n < minCells {
			d.phase = dumpIdle // not one thing that stayed: look again
			break
		}
		if !d.byPerson || !s.arrived(z, mask) {
			// A change nobody brought (the light, a shadow), or the
			// ground showing again where something the background was
			// learned with has left (a motorbike the detector missed):
			// the picture now is the background.
			for i, in := range mask {
				if in {
					s.follow(z, i, z.cells[i], 1)
					z.changed[i], z.since[i] = false, 0
				}
			}
			d.phase = dumpIdle
			break
		}
		d.phase, d.mask, d.box = dumpActive, mask, box
	case dumpActive:
		// It stays while half of its cells still differ (covered or not:
		// someone standing in front of it hides it, does not remove it).
		n, left := 0, 0
		for i, in := range d.mask {
			if in {
				n++
				if z.changed[i] {
					left++
				}
			}
		}
		if left*2 < n {
			d.phase, d.mask = dumpIdle, nil // taken away, or now the background
		}
	}
	on := d.phase == dumpActive
	if on {
		d.sit.ev.Box = d.box
	}
	return d.sit.step(at, on, r.Cooldown, s.updateEvery, func() rules.Event {
		return s.event(rules.DumpingEvent, z.zone.Name, d.desc, r.Severity, d.appeared, d.box, d.tracks)
	})
}

// arrived tells an object that arrived from one that left, by where the
// edge is: a new object stands out from the unchanged ground around it
// now; when one leaves, it was the background that stood out, and the
// ground now runs on seamlessly. It compares the mean contrast between
// the blob's cells and their unchanged neighbours, now and in the
// background.
func (s *sceneCheck) arrived(z *zoneScene, mask []bool) bool {
	var now, before float32
	n := 0
	for i, in := range mask {
		if !in {
			continue
		}
		c := int(z.cells[i])
		cx, cy := c%s.gw, c/s.gw
		for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
			x, y := cx+d[0], cy+d[1]
			if x < 0 || y < 0 || x >= s.gw || y >= s.gh {
				continue
			}
			k := z.index[y*s.gw+x]
			if k < 0 || mask[k] || z.changed[k] || z.weight[k] < sceneLearnFrames {
				continue
			}
			g, gcb, gcr := s.grey[y*s.gw+x], s.cb[y*s.gw+x], s.cr[y*s.gw+x]
			now += abs(s.grey[c]-g) + abs(s.cb[c]-gcb) + abs(s.cr[c]-gcr)
			before += abs(z.gain*z.ref[i]-g) + abs(z.gain*z.refCb[i]-gcb) + abs(z.gain*z.refCr[i]-gcr)
			n++
		}
	}
	return n == 0 || now > before
}

// blob finds the largest 8-connected set of the zone's cells that pass
// sel: its cells (by place in z.cells), how many, and its box in pixels.
func (s *sceneCheck) blob(z *zoneScene, sel func(i int, c int32) bool) ([]bool, int, analytics.Box) {
	on := make([]bool, len(z.cells))
	for i, c := range z.cells {
		on[i] = sel(i, c)
	}
	seen := make([]bool, len(z.cells))
	var best []int32
	var stack, comp []int32
	for i := range z.cells {
		if !on[i] || seen[i] {
			continue
		}
		seen[i] = true
		stack, comp = append(stack[:0], int32(i)), comp[:0]
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			comp = append(comp, j)
			cx, cy := int(z.cells[j])%s.gw, int(z.cells[j])/s.gw
			for y := max(0, cy-1); y <= min(s.gh-1, cy+1); y++ {
				for x := max(0, cx-1); x <= min(s.gw-1, cx+1); x++ {
					if k := z.index[y*s.gw+x]; k >= 0 && on[k] && !seen[k] {
						seen[k] = true
						stack = append(stack, k)
					}
				}
			}
		}
		if len(comp) > len(best) {
			best = slices.Clone(comp)
		}
	}
	mask := make([]bool, len(z.cells))
	box := analytics.Box{X1: float32(s.w), Y1: float32(s.h)}
	for _, i := range best {
		mask[i] = true
		c := z.cells[i]
		x, y := float32(int(c)%s.gw*s.cell), float32(int(c)/s.gw*s.cell)
		box = analytics.Box{X1: min(box.X1, x), Y1: min(box.Y1, y), X2: max(box.X2, x+float32(s.cell)), Y2: max(box.Y2, y+float32(s.cell))}
	}
	return mask, len(best), box
}

// lapse advances one lapse rule on its gate zone.
func (s *sceneCheck) lapse(l *lapseState, at time.Time) []rules.Event {
	z, r := l.z, l.rule
	if !scheduled(r.During, at) {
		l.night = false
		return l.sit.step(at, false, r.Cooldown, s.updateEvery, nil)
	}
	if !l.night { // the night begins: a new closed picture, a new reminder
		l.night, l.fired, l.since = true, false, time.Time{}
		clear(l.weight)
	}
	// People walking through are not the gate: their cells count for
	// nothing. Vehicles count: a motorbike left outside is a lapse.
	g := gain(s.grey, z.cells, l.ref, l.weight, func(c int32) bool { return s.covered[c]&coverPerson != 0 })
	known, changed := 0, 0
	box := analytics.Box{X1: float32(s.w), Y1: float32(s.h)}
	for i, c := range z.cells {
		if s.covered[c]&coverPerson != 0 {
			continue
		}
		if l.weight[i] < sceneLearnFrames {
			if s.covered[c] == 0 { // learn the closed picture from calm frames
				l.weight[i]++
				l.ref[i] += (s.grey[c] - l.ref[i]) / float32(l.weight[i])
			}
			continue
		}
		known++
		if differs(s.grey[c], l.ref[i], g, false) {
			changed++
			x, y := float32(int(c)%s.gw*s.cell), float32(int(c)/s.gw*s.cell)
			box = analytics.Box{X1: min(box.X1, x), Y1: min(box.Y1, y), X2: max(box.X2, x+float32(s.cell)), Y2: max(box.Y2, y+float32(s.cell))}
		}
	}
	share := 0.0
	if known*2 >= len(z.cells) && known > 0 { // half of the zone has its closed picture
		share = float64(changed) / float64(known)
	}
	switch {
	case share >= r.MinArea:
		if l.since.IsZero() {
			l.since = at
		}
		l.box = box
	case share < r.MinArea/2:
		l.since = time.Time{}
	}
	on := !l.since.IsZero() && at.Sub(l.since) >= r.MinPersist
	var start func() rules.Event
	if !l.fired {
		start = func() rules.Event {
			l.fired = true
			return s.event(rules.LapseEvent, z.zone.Name, l.desc, r.Severity, l.since, l.box, nil)
		}
	}
	if on {
		l.sit.ev.Box = l.box
	}
	return l.sit.step(at, on, r.Cooldown, s.updateEvery, start)
}

func (s *sceneCheck) event(typ rules.EventType, zone string, desc rules.Text, sev rules.Severity, start time.Time, box analytics.Box, ids []int64) rules.Event {
	s.seq++
	if ids == nil {
		ids = []int64{}
	}
	return rules.Event{
		ID:   fmt.Sprintf("%s-%s-%d-%d", s.camera, typ, start.UnixMilli(), s.seq),
		Type: typ, Camera: s.camera, Zone: zone, Description: desc, Start: start,
		TrackIDs: ids, Box: box, Severity: sev,
	}
}

// situation is one rule's situation on one zone, as the rules engine
// follows its own: Started when it begins, Updated every updateEvery while
// it lasts, Ended when it stops; back within the cooldown, the same event
// resumes (Updated, same ID).
type situation struct {
	ev       rules.Event
	live     bool // started, going on or cooling down
	ended    bool
	lastSent time.Time
}

// step says whether the situation holds at `at`; start makes the event of
// a new situation (nil: none may start now).
func (s *situation) step(at time.Time, on bool, cooldown, every time.Duration, start func() rules.Event) []rules.Event {
	if s.live && s.ended && at.Sub(s.ev.End) >= cooldown {
		s.live = false
	}
	switch {
	case on && !s.live:
		if start == nil {
			return nil
		}
		s.ev = start()
		s.ev.State, s.ev.End = rules.Started, at
		s.live, s.ended, s.lastSent = true, false, at
	case on:
		s.ev.End = at
		if !s.ended && at.Sub(s.lastSent) < every {
			return nil
		}
		s.ev.State, s.ended, s.lastSent = rules.Updated, false, at
	case s.live && !s.ended:
		s.ev.State, s.ended = rules.Ended, true
	default:
		return nil
	}
	ev := s.ev
	ev.TrackIDs = slices.Clone(ev.TrackIDs)
	return []rules.Event{ev}
}

// scheduled is true when there is no schedule (always) or one is on.
func scheduled(ss []rules.Schedule, at time.Time) bool {
	if len(ss) == 0 {
		return true
	}
	for _, s := range ss {
		if s.Active(at) {
			return true
		}
	}
	return false
}
