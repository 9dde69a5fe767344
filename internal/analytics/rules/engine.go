// Package rules turns one camera's tracks into the ward's events: zones
// (polygons drawn on the picture), schedules in Asia/Ho_Chi_Minh, lines,
// and rules an officer can read and tune (loitering, three riders, illegal
// parking, crowd, line crossing; rubbish dumping and security lapses are
// configured here and checked by the pipeline on the picture).
//
// The Engine is pure computation: times come in with the frames, never from
// a clock, so every rule is tested on synthetic timelines. One Engine per
// camera; it is not safe for concurrent use.
package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/track"
)

// EventType is what rule raised an event: the domain's types.
type EventType = matthan.EventType

const (
	LoiteringEvent    = matthan.EventLoitering
	RidersEvent       = matthan.EventThreeRiders
	ParkingEvent      = matthan.EventIllegalParking
	CrowdEvent        = matthan.EventCrowd
	LineCrossingEvent = matthan.EventLineCrossing
)

// State is where an event is in its life. One situation is one event: it
// starts, is updated while it lasts (more tracks, or every UpdateEvery), and
// ends when it stops; if the same situation comes back within the rule's
// cooldown, the same event resumes (an Updated with the same ID).
type State string

const (
	Started State = "started"
	Updated State = "updated"
	Ended   State = "ended"
)

// Event is one situation a rule noticed.
type Event struct {
	ID          string          `json:"id"` // the same for every state of one situation
	Type        EventType       `json:"type"`
	State       State           `json:"state"`
	Camera      string          `json:"camera"`
	Zone        string          `json:"zone,omitempty"` // zone or line name
	Description Text            `json:"description"`    // the rule's sentence
	Start       time.Time       `json:"start"`
	End         time.Time       `json:"end"` // last time the situation was seen
	TrackIDs    []int64         `json:"track_ids"`
	Box         analytics.Box   `json:"box"`   // the best box seen, for the snapshot
	Class       analytics.Class `json:"class"` // of the main subject
	Severity    Severity        `json:"severity"`
}

// Config is one camera's zones, lines and rules.
type Config struct {
	Camera string `json:"camera"`
	// Width and Height are the analysed frame's size in pixels: track boxes
	// come in pixels, zones in 0..1.
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Zones  []Zone `json:"zones,omitempty"`
	Lines  []Line `json:"lines,omitempty"`
	Rules  Rules  `json:"rules"`
	// UpdateEvery is how often an ongoing event is re-sent when nothing
	// else changed (default 10 s).
	UpdateEvery time.Duration `json:"update_every,omitempty"`
}

// Validate checks the configuration, naming every wrong field in both
// languages (an EINVALID *matthan.Error).
func (c Config) Validate() error {
	var errs []matthan.FieldError
	if c.Camera == "" {
		errs = append(errs, fieldErr("camera", "missing camera", "thiếu camera"))
	}
	if c.Width <= 0 || c.Height <= 0 {
		errs = append(errs, fieldErr("width", "the frame size must be positive", "kích thước khung hình phải lớn hơn 0"))
	}
	zones := map[string]ZoneKind{}
	for i, z := range c.Zones {
		f := fmt.Sprintf("zones[%d]", i)
		errs = append(errs, z.validate(f)...)
		if _, dup := zones[z.Name]; dup {
			errs = append(errs, fieldErr(f+".name", fmt.Sprintf("zone %q is defined twice", z.Name), fmt.Sprintf("vùng %q bị khai báo hai lần", z.Name)))
		}
		zones[z.Name] = z.Kind
	}
	lines := map[string]bool{}
	for i, l := range c.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		errs = append(errs, l.validate(f)...)
		if lines[l.Name] {
			errs = append(errs, fieldErr(f+".name", fmt.Sprintf("line %q is defined twice", l.Name), fmt.Sprintf("đường %q bị khai báo hai lần", l.Name)))
		}
		lines[l.Name] = true
	}
	zoneRef := func(f, name string, want ZoneKind) {
		kind, ok := zones[name]
		switch {
		case name == "":
		case !ok:
			errs = append(errs, fieldErr(f, fmt.Sprintf("no zone named %q", name), fmt.Sprintf("không có vùng tên %q", name)))
		case want != "" && kind != want:
			errs = append(errs, fieldErr(f, fmt.Sprintf("zone %q is %s, not %s", name, kind, want), fmt.Sprintf("vùng %q thuộc loại %s, không phải %s", name, kind, want)))
		}
	}
	scheds := func(f string, ss []Schedule) {
		for j, s := range ss {
			errs = append(errs, s.validate(fmt.Sprintf("%s.during[%d]", f, j))...)
		}
	}
	positive := func(f string, ok bool) {
		if !ok {
			errs = append(errs, fieldErr(f, "must not be negative", "không được là số âm"))
		}
	}
	classes := func(f string, cs []analytics.Class) {
		if !knownClasses(cs) {
			errs = append(errs, fieldErr(f, fmt.Sprintf("unknown class among %v", cs), fmt.Sprintf("có loại đối tượng không hợp lệ trong %v", cs)))
		}
	}
	for i, r := range c.Rules.Loitering {
		f := fmt.Sprintf("rules.loitering[%d]", i)
		zoneRef(f+".zone", r.Zone, "")
		scheds(f, r.During)
		positive(f+".min_stay", r.MinStay >= 0 && r.Cooldown >= 0)
	}
	for i, r := range c.Rules.Riders {
		f := fmt.Sprintf("rules.riders[%d]", i)
		zoneRef(f+".zone", r.Zone, "")
		positive(f+".min_riders", r.MinRiders >= 0 && r.MinFrames >= 0 && r.MinSpeed >= 0 && r.Cooldown >= 0)
	}
	for i, r := range c.Rules.Parking {
		f := fmt.Sprintf("rules.parking[%d]", i)
		zoneRef(f+".zone", r.Zone, NoParking)
		scheds(f, r.During)
		classes(f+".classes", r.Classes)
		positive(f+".min_stay", r.MinStay >= 0 && r.Cooldown >= 0)
	}
	for i, r := range c.Rules.Crowd {
		f := fmt.Sprintf("rules.crowd[%d]", i)
		zoneRef(f+".zone", r.Zone, "")
		scheds(f, r.During)
		positive(f+".more_than", r.MoreThan >= 0 && r.For >= 0 && r.Cooldown >= 0)
	}
	for i, r := range c.Rules.LineCrossing {
		f := fmt.Sprintf("rules.line_crossing[%d]", i)
		if !lines[r.Line] {
			errs = append(errs, fieldErr(f+".line", fmt.Sprintf("no line named %q", r.Line), fmt.Sprintf("không có đường tên %q", r.Line)))
		}
		scheds(f, r.During)
		classes(f+".classes", r.Classes)
		positive(f+".cooldown", r.Cooldown >= 0)
	}
	// zoneRef and scheds append to errs themselves: call before appending.
	pic := c.validatePicture(zoneRef, scheds)
	errs = append(errs, pic...)
	if len(errs) == 0 {
		return nil
	}
	return &matthan.Error{Code: matthan.EINVALID, Message: "Invalid analytics rules", MessageVI: "Quy tắc phân tích không hợp lệ", Fields: errs}
}

// Engine applies one camera's rules to its tracks, frame after frame.
type Engine struct {
	cfg    Config
	zones  map[string]Zone
	lines  map[string]Line
	seq    int64
	events map[key]*running

	loiterSince map[loiterKey]time.Time // when a person entered a zone (schedule on)
	crowdSince  map[key]time.Time       // when a zone first held too many people
	rideFrames  map[rideKey]int         // frames a person rode a motorcycle
	lineSide    map[lineKey]sidePoint   // last definite side of a track
}

type key struct {
	typ   EventType
	rule  int
	zone  string
	track int64
}

type loiterKey struct {
	rule  int
	zone  string
	track int64
}

type rideKey struct {
	rule          int
	moto, persons int64
}

type lineKey struct {
	rule  int
	track int64
}

type sidePoint struct {
	side int
	p    Point
}

// running is an event being followed, or ended and cooling down.
type running struct {
	ev       Event
	score    float32
	ended    bool
	cooldown time.Duration
	lastSent time.Time
}

// NewEngine checks cfg and returns an Engine for it.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("rules for camera %q: %w", cfg.Camera, err)
	}
	cfg.UpdateEvery = or(cfg.UpdateEvery, 10*time.Second)
	e := &Engine{
		cfg: cfg, zones: map[string]Zone{}, lines: map[string]Line{}, events: map[key]*running{},
		loiterSince: map[loiterKey]time.Time{}, crowdSince: map[key]time.Time{},
		rideFrames: map[rideKey]int{}, lineSide: map[lineKey]sidePoint{},
	}
	for _, z := range cfg.Zones {
		e.zones[z.Name] = z
	}
	for _, l := range cfg.Lines {
		e.lines[l.Name] = l
	}
	return e, nil
}

// Describe lists the engine's rules, one sentence each in both languages.
func (e *Engine) Describe() []Text { return e.cfg.Rules.Describe() }

// observation is a rule's situation true in this frame.
type observation struct {
	desc     Text
	severity Severity
	cooldown time.Duration
	tracks   []int64
	box      analytics.Box
	score    float32
	class    analytics.Class
}

// Step applies the rules to the tracks of the frame seen at `at` (the
// tracker's output) and returns what changed: events started, updated or
// ended. Times must not go backwards; a frame older than the last is
// ignored by the cooldown logic as if it came at the same time.
func (e *Engine) Step(at time.Time, tracks []*track.Track) []Event {
	obs := map[key]*observation{}
	alive := map[int64]bool{}
	for _, t := range tracks {
		alive[t.ID] = true
	}
	for i, r := range e.cfg.Rules.Loitering {
		e.loitering(at, i, r.withDefaults(), tracks, obs)
	}
	for i, r := range e.cfg.Rules.Riders {
		e.riders(i, r.withDefaults(), tracks, obs)
	}
	for i, r := range e.cfg.Rules.Parking {
		e.parking(at, i, r.withDefaults(), tracks, obs)
	}
	for i, r := range e.cfg.Rules.Crowd {
		e.crowd(at, i, r.withDefaults(), tracks, obs)
	}
	for i, r := range e.cfg.Rules.LineCrossing {
		e.lineCrossing(at, i, r.withDefaults(), tracks, obs)
	}
	e.forget(alive)
	return e.advance(at, obs)
}

// advance turns this frame's observations into event changes.
func (e *Engine) advance(at time.Time, obs map[key]*observation) []Event {
	var out []Event
	for k, o := range obs {
		r := e.events[k]
		if r != nil && r.ended && at.Sub(r.ev.End) >= r.cooldown {
			delete(e.events, k)
			r = nil
		}
		if r == nil {
			e.seq++
			r = &running{
				ev: Event{
					ID:   fmt.Sprintf("%s-%s-%d-%d", e.cfg.Camera, k.typ, at.UnixMilli(), e.seq),
					Type: k.typ, State: Started, Camera: e.cfg.Camera, Zone: k.zone,
					Description: o.desc, Start: at, End: at, Box: o.box, Class: o.class,
					Severity: o.severity,
				},
				score: o.score, cooldown: o.cooldown, lastSent: at,
			}
			r.ev.TrackIDs = mergeIDs(nil, o.tracks)
			e.events[k] = r
			out = append(out, r.ev)
			continue
		}
		changed := r.ended
		r.ended = false
		if at.After(r.ev.End) {
			r.ev.End = at
		}
		if ids := mergeIDs(r.ev.TrackIDs, o.tracks); len(ids) != len(r.ev.TrackIDs) {
			r.ev.TrackIDs = ids
			changed = true
		}
		if o.score > r.score {
			r.score, r.ev.Box, r.ev.Class = o.score, o.box, o.class
		}
		if changed || at.Sub(r.lastSent) >= e.cfg.UpdateEvery {
			r.ev.State = Updated
			r.lastSent = at
			out = append(out, r.ev)
		}
	}
	for k, r := range e.events {
		if _, on := obs[k]; on {
			continue
		}
		if !r.ended {
			r.ended = true
			r.ev.State = Ended
			out = append(out, r.ev)
		} else if at.Sub(r.ev.End) >= r.cooldown {
			delete(e.events, k)
		}
	}
	for i := range out {
		out[i].TrackIDs = slices.Clone(out[i].TrackIDs)
	}
	slices.SortFunc(out, func(a, b Event) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// live reports whether the event of k is going on or cooling down.
func (e *Engine) live(k key, at time.Time) bool {
	r := e.events[k]
	return r != nil && (!r.ended || at.Sub(r.ev.End) < r.cooldown)
}

// forget drops per-track state of tracks the tracker no longer reports.
func (e *Engine) forget(alive map[int64]bool) {
	for k := range e.loiterSince {
		if !alive[k.track] {
			delete(e.loiterSince, k)
		}
	}
	for k := range e.rideFrames {
		if !alive[k.moto] || !alive[k.persons] {
			delete(e.rideFrames, k)
		}
	}
	for k := range e.lineSide {
		if !alive[k.track] {
			delete(e.lineSide, k)
		}
	}
}

// foot is a track's foot point in normalised coordinates.
func (e *Engine) foot(t *track.Track) Point {
	x, y := t.Foot()
	return Point{x / float64(e.cfg.Width), y / float64(e.cfg.Height)}
}

// zonesFor lists the zones a rule watches: the named one, or every zone
// (of kind, when kind is set).
func (e *Engine) zonesFor(name string, kind ZoneKind) []Zone {
	if name != "" {
		return []Zone{e.zones[name]}
	}
	var out []Zone
	for _, z := range e.cfg.Zones {
		if kind == "" || z.Kind == kind {
			out = append(out, z)
		}
	}
	return out
}

func (e *Engine) loitering(at time.Time, i int, r Loitering, tracks []*track.Track, obs map[key]*observation) {
	active := anyActive(r.During, at)
	for _, z := range e.zonesFor(r.Zone, "") {
		for _, t := range tracks {
			if t.Class != analytics.Person {
				continue
			}
			lk := loiterKey{i, z.Name, t.ID}
			if !active || !z.Contains(e.foot(t)) {
				delete(e.loiterSince, lk)
				continue
			}
			since, ok := e.loiterSince[lk]
			if !ok {
				e.loiterSince[lk] = at
				since = at
			}
			// Someone back within the cooldown of this zone's event goes on
			// with it at once: stepping out of the zone for a minute does
			// not restart the count.
			k := key{LoiteringEvent, i, z.Name, 0}
			if at.Sub(since) >= r.MinStay || e.live(k, at) {
				observe(obs, k, r.Describe(), r.Severity, r.Cooldown, t, false)
			}
		}
	}
}

func (e *Engine) parking(at time.Time, i int, r Parking, tracks []*track.Track, obs map[key]*observation) {
	if !anyActive(r.During, at) {
		return
	}
	for _, z := range e.zonesFor(r.Zone, NoParking) {
		for _, t := range tracks {
			if !slices.Contains(r.Classes, t.Class) || !t.Stationary || at.Sub(t.StationarySince) < r.MinStay {
				continue
			}
			if z.Contains(e.foot(t)) {
				observe(obs, key{ParkingEvent, i, z.Name, t.ID}, r.Describe(), r.Severity, r.Cooldown, t, false)
			}
		}
	}
}

func (e *Engine) crowd(at time.Time, i int, r Crowd, tracks []*track.Track, obs map[key]*observation) {
	active := anyActive(r.During, at)
	for _, z := range e.zonesFor(r.Zone, "") {
		k := key{CrowdEvent, i, z.Name, 0}
		var in []*track.Track
		for _, t := range tracks {
			if t.Class == analytics.Person && z.Contains(e.foot(t)) {
				in = append(in, t)
			}
		}
		if !active || len(in) <= r.MoreThan {
			delete(e.crowdSince, k)
			continue
		}
		since, ok := e.crowdSince[k]
		if !ok {
			e.crowdSince[k] = at
			since = at
		}
		if at.Sub(since) < r.For {
			continue
		}
		for _, t := range in {
			observe(obs, k, r.Describe(), r.Severity, r.Cooldown, t, true)
		}
		// A crowd's quality is its size: the snapshot box of the largest.
		obs[k].score = float32(len(in))
	}
}

func (e *Engine) lineCrossing(at time.Time, i int, r LineCrossing, tracks []*track.Track, obs map[key]*observation) {
	l := e.lines[r.Line]
	active := anyActive(r.During, at)
	for _, t := range tracks {
		if len(r.Classes) > 0 && !slices.Contains(r.Classes, t.Class) {
			continue
		}
		p := e.foot(t)
		side := l.side(p)
		if side == 0 {
			continue // on the line: wait for a definite side
		}
		lk := lineKey{i, t.ID}
		prev, seen := e.lineSide[lk]
		e.lineSide[lk] = sidePoint{side, p}
		if !seen || prev.side == side || !active || !l.crossedBy(prev.p, p) {
			continue
		}
		leftToRight := prev.side < 0
		if l.Forbidden == Both || (l.Forbidden == LeftToRight) == leftToRight {
			observe(obs, key{LineCrossingEvent, i, l.Name, t.ID}, r.Describe(), r.Severity, r.Cooldown, t, false)
		}
	}
}

// observe adds a track to the observation of key k; union grows the box to
// hold every track (a crowd, a loaded motorbike), otherwise the box is the
// best-scored track's.
func observe(obs map[key]*observation, k key, desc Text, sev Severity, cooldown time.Duration, t *track.Track, union bool) {
	o := obs[k]
	if o == nil {
		o = &observation{desc: desc, severity: sev, cooldown: cooldown, box: t.Box, score: t.Score, class: t.Class}
		obs[k] = o
	}
	o.tracks = append(o.tracks, t.ID)
	switch {
	case union:
		o.box = analytics.Box{X1: min(o.box.X1, t.Box.X1), Y1: min(o.box.Y1, t.Box.Y1), X2: max(o.box.X2, t.Box.X2), Y2: max(o.box.Y2, t.Box.Y2)}
	case t.Score > o.score:
		o.box, o.score, o.class = t.Box, t.Score, t.Class
	}
}

// mergeIDs returns the sorted union of a and b.
func mergeIDs(a, b []int64) []int64 {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
