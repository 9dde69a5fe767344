// Package pipeline analyses one camera's sub-stream: decode → motion →
// detect → track → rules → events (design/analytics.md). It is one more
// subscriber of the camera's hub: recording never waits for it.
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/decode"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/helmet"
	"matthan/internal/analytics/motion"
	"matthan/internal/analytics/rules"
	"matthan/internal/analytics/track"
	"matthan/internal/media"
)

// DefaultFullEvery is how often the detector looks at the whole frame even
// without motion, so what never moves is still found: a parked car, a
// person standing still.
const DefaultFullEvery = 5 * time.Second

// Config is one camera's analysis.
type Config struct {
	CameraID  string
	Decode    decode.Config
	Motion    motion.Config
	Track     track.Config
	Rules     rules.Config // zones, lines and rules; Width and Height are set from the frames
	FullEvery time.Duration
	Tamper    TamperConfig // camera tamper check, on unless Off
}

// Deps are what a camera's analysis works with.
type Deps struct {
	Hub *media.Hub
	// Main is the camera's main stream when Hub is its sub-stream: riders
	// whose heads are too small in the sub-stream are judged on it, decoded
	// only while there are such riders. nil: no other stream.
	Main *media.Hub
	// MainSlots bounds the main-stream decoders running at once on the
	// node, a token each (each costs ~10 % of a core); a rider that finds
	// none free waits for a later frame. nil: no bound.
	MainSlots chan struct{}
	// Starting bounds the node's ffmpeg decoders starting at once
	// (decode.Config.Starting); nil: no bound.
	Starting chan struct{}
	// Detector finds objects; nil analyses motion only (a node without the
	// ONNX Runtime library keeps working). When it is an
	// analytics.RegionDetector too (detect.Mosaic), frames with a little
	// motion are searched on the moving regions only.
	Detector analytics.Detector
	// Helmet classifies riders' crops for the no-helmet rule; nil turns
	// the rule off.
	Helmet helmet.Model
	// Fire receives each event a rule raises, with the frame it fired on
	// (events.Sink.Handle); nil drops them.
	Fire func(ctx context.Context, f events.Fired) error
	Log  *slog.Logger
}

// Result is what the pipeline saw in one frame: for live boxes in the UI.
type Result struct {
	At       time.Time
	Width    int
	Height   int
	Motion   []analytics.Box
	Tracks   []*track.Track
	Detected bool // the detector ran on this frame
	// Regions are where it searched when it looked at motion regions only
	// (Deps.Detector is an analytics.RegionDetector); nil: the whole frame.
	Regions []analytics.Box
}

// Camera analyses one camera. Run owns its goroutines.
type Camera struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	motion  *motion.Model
	tracker *track.Tracker
	rules   rules.Config
	helmet  *helmetCheck // nil without Deps.Helmet
	tamper  *tamperCheck
	scene   *sceneCheck // dumping and lapse rules; nil without them

	engine   *rules.Engine // made at the first frame, when its size is known
	lastFull time.Time
	last     atomic.Pointer[Result]

	mu    sync.Mutex
	stats Stats
}

// Stats counts a camera's analysis.
type Stats struct {
	Frames     uint64
	Detections uint64 // frames the detector ran on
	// RegionDetections are those of Detections searched on motion regions
	// only, not the whole frame.
	RegionDetections uint64
	Events           uint64
	Errors           uint64
	// HelmetCrops are riders' crops classified, HelmetFromMain those of
	// them cut from the main stream; HelmetTooSmall are riders whose head
	// was too small to judge (with no main stream, or even there), and
	// HelmetMainBusy those left for a later frame because every
	// main-stream decoder of the node was taken.
	HelmetCrops    uint64
	HelmetFromMain uint64
	HelmetTooSmall uint64
	HelmetMainBusy uint64
}

// New checks cfg and returns the camera's pipeline.
func New(cfg Config, deps Deps) (*Camera, error) {
	if deps.Hub == nil {
		return nil, errors.New("pipeline: no hub")
	}
	if cfg.FullEvery <= 0 {
		cfg.FullEvery = DefaultFullEvery
	}
	cfg.Decode.CameraID, cfg.Rules.Camera = cfg.CameraID, cfg.CameraID
	// The rules are checked now, at a placeholder size: the frames' own
	// size is known only when they come.
	check := cfg.Rules
	check.Width, check.Height = max(check.Width, 1), max(check.Height, 1)
	if err := check.Validate(); err != nil {
		return nil, err
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Decode.Log, cfg.Decode.Starting = log, deps.Starting
	c := &Camera{cfg: cfg, deps: deps, log: log.With("camera", cfg.CameraID),
		motion: motion.New(cfg.Motion), tracker: track.New(cfg.Track), rules: cfg.Rules,
		tamper: newTamperCheck(cfg.CameraID, cfg.Tamper), scene: newSceneCheck(cfg.CameraID, cfg.Rules)}
	if deps.Helmet != nil {
		c.helmet = newHelmetCheck(cfg.CameraID, deps.Helmet, c.log)
		if deps.Main != nil && deps.Main != deps.Hub {
			c.helmet.main = newMainStream(deps.Main, cfg.CameraID, deps.MainSlots, deps.Starting, log)
		}
	}
	return c, nil
}

// Run decodes and analyses frames until ctx ends.
func (c *Camera) Run(ctx context.Context) error {
	dec := decode.New(c.deps.Hub, c.cfg.Decode)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- dec.Run(ctx) }()
	if c.helmet != nil && c.helmet.main != nil {
		defer c.helmet.main.close()
	}
	for {
		select {
		case <-ctx.Done():
			return <-done
		case f := <-dec.Frames():
			c.Step(ctx, f)
		}
	}
}

// Last returns what the pipeline saw in the latest frame (nil before one).
func (c *Camera) Last() *Result { return c.last.Load() }

// Stats returns the camera's counters.
func (c *Camera) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func (c *Camera) count(fn func(*Stats)) {
	c.mu.Lock()
	fn(&c.stats)
	c.mu.Unlock()
}

// Step analyses one frame: motion, then the detector when something moved,
// when motion is widespread, or when the last full pass is FullEvery old;
// then tracks and rules. Events go to Deps.Fire.
func (c *Camera) Step(ctx context.Context, f *analytics.Frame) *Result {
	c.count(func(s *Stats) { s.Frames++ })
	if c.engine == nil || c.rules.Width != f.Width || c.rules.Height != f.Height {
		c.rules.Width, c.rules.Height = f.Width, f.Height
		eng, err := rules.NewEngine(c.rules)
		if err != nil {
			c.log.Error("analytics: the camera's rules are not valid; tracking only", "err", err)
			c.rules.Zones, c.rules.Lines, c.rules.Rules = nil, nil, rules.Rules{}
			eng, _ = rules.NewEngine(c.rules) // no rules: cannot fail
		}
		c.engine = eng
	}
	m := c.motion.Update(f)
	res := &Result{At: f.At, Width: f.Width, Height: f.Height, Motion: m.Boxes}
	var dets []analytics.Detection
	full := f.At.Sub(c.lastFull) >= c.cfg.FullEvery
	if c.deps.Detector != nil && (len(m.Boxes) > 0 || m.Widespread || full) {
		var err error
		dets, res.Regions, err = c.detect(ctx, f, m, full)
		if err != nil {
			if ctx.Err() == nil { // a stopping node is no failure
				c.count(func(s *Stats) { s.Errors++ })
				c.log.Warn("analytics: detection failed", "err", err)
			}
		} else {
			res.Detected = true
			c.count(func(s *Stats) {
				s.Detections++
				if res.Regions != nil {
					s.RegionDetections++
				}
			})
			if full {
				c.lastFull = f.At
			}
		}
	}
	if res.Detected || c.deps.Detector == nil {
		// Frames the detector skipped say nothing about objects: the
		// tracker would count them as misses. Frames searched in regions
		// say nothing about tracks outside them (UpdateSearched).
		res.Tracks = c.tracker.UpdateSearched(f.At, dets, res.Regions)
	}
	for _, ev := range c.engine.Step(f.At, res.Tracks) {
		c.fire(ctx, ev, f)
	}
	if c.helmet != nil && res.Detected {
		evs, st := c.helmet.step(ctx, f, res.Tracks)
		c.count(func(s *Stats) {
			s.HelmetCrops += uint64(st.crops)
			s.HelmetTooSmall += uint64(st.tooSmall)
			s.HelmetFromMain += uint64(st.fromMain)
			s.HelmetMainBusy += uint64(st.mainBusy)
			if st.failed {
				s.Errors++
			}
		})
		for _, ev := range evs {
			c.fire(ctx, ev, f)
		}
	}
	for _, ev := range c.tamper.step(f) {
		c.fire(ctx, ev, f)
	}
	if c.scene != nil {
		for _, ev := range c.scene.step(f, res.Tracks, res.Detected || c.deps.Detector == nil, m.Boxes) {
			c.fire(ctx, ev, f)
		}
	}
	c.last.Store(res)
	return res
}

func (c *Camera) fire(ctx context.Context, ev rules.Event, f *analytics.Frame) {
	c.count(func(s *Stats) { s.Events++ })
	if c.deps.Fire == nil {
		return
	}
	e := matthan.AnalyticsEvent{
		ID: ev.ID, Type: ev.Type, CameraID: ev.Camera, Zone: ev.Zone, Start: ev.Start, End: ev.End,
		TrackIDs: ev.TrackIDs, Box: events.NormBox(ev.Box, f.Width, f.Height), Severity: ev.Severity,
		Summary: ev.Description.EN, SummaryVI: ev.Description.VI,
	}
	if e.TrackIDs == nil {
		e.TrackIDs = []int64{}
	}
	score := float64(ev.Box.Area()) // a bigger view of the subject makes a better snapshot
	if err := c.deps.Fire(ctx, events.Fired{Event: e, Frame: f, Boxes: []analytics.Box{ev.Box}, Score: score}); err != nil {
		c.count(func(s *Stats) { s.Errors++ })
		c.log.Error("analytics: event not stored", "type", ev.Type, "err", err)
	}
}
