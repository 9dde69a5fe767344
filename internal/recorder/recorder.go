// Package recorder writes every recorded camera stream from its hub to
// fragmented MP4 segment files, indexes each finished file (after it is on
// disk), recovers what a crash left, and keeps a record of every gap in the
// recordings with its reason. design/recording.md states its invariants.
package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"matthan"
	"matthan/internal/fmp4"
	"matthan/internal/media"
)

// Config sets up a Recorder. Zero fields take the defaults.
type Config struct {
	Dir              string        // recordings root
	SegmentDuration  time.Duration // rotate at the first keyframe after this much media (5 min)
	FragmentDuration time.Duration // most media in one fragment: what a crash may lose (1 s)
	Queue            int           // hub subscription length in units (512, ~10 s of 25 fps video with audio)
	// SyncInterval: the open file is fsynced at the first fragment boundary
	// this long after the last fsync (1 s), bounding what a power cut loses.
	SyncInterval time.Duration
	// RetryInterval: how long a stream whose writes failed waits before it
	// tries a new file (10 s).
	RetryInterval time.Duration
	// IdleTimeout: a segment whose stream sent nothing for this long is
	// finished and indexed (10 s); a fragment is flushed after a fragment's
	// duration of silence.
	IdleTimeout time.Duration
	// MaxClockStep: a wall clock that moves this much against media time
	// (either way) starts a new segment at the next keyframe (5 s).
	MaxClockStep time.Duration
	Clock        Clock // default: the system clock
}

// Clock tells the time; tests replace it.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Defaults.
const (
	DefaultSegmentDuration = 5 * time.Minute
	DefaultQueue           = 512
)

func (c Config) withDefaults() Config {
	if c.SegmentDuration <= 0 {
		c.SegmentDuration = DefaultSegmentDuration
	}
	if c.FragmentDuration <= 0 {
		c.FragmentDuration = fmp4.DefaultFragmentDuration
	}
	if c.Queue <= 0 {
		c.Queue = DefaultQueue
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 10 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Second
	}
	if c.MaxClockStep <= 0 {
		c.MaxClockStep = 5 * time.Second
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	return c
}

// Hubs finds the hub of a camera stream (the ingest manager does).
type Hubs interface {
	Hub(cameraID string, role matthan.StreamRole) *media.Hub
}

// key names a camera stream.
type key struct {
	camera string
	role   matthan.StreamRole
}

func (k key) String() string { return k.camera + "/" + string(k.role) }

// Recorder records the streams of the enabled cameras.
type Recorder struct {
	cfg   Config
	cams  matthan.Store
	index matthan.RecordingIndex
	hubs  Hubs
	bus   matthan.Bus
	log   *slog.Logger

	// reconcileMu serialises Run's start and stop with CameraChanged.
	reconcileMu sync.Mutex
	runCtx      context.Context
	streams     map[key]*stream // running stream recorders
	tracked     map[key]bool    // streams that are recorded when their camera is enabled

	gapMu sync.Mutex
	gaps  map[key]*matthan.Gap // open gaps

	driftMu sync.Mutex
	drift   map[key]time.Duration
}

// New returns a recorder; Run starts it.
func New(cfg Config, cams matthan.Store, index matthan.RecordingIndex, hubs Hubs, bus matthan.Bus, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{
		cfg: cfg.withDefaults(), cams: cams, index: index, hubs: hubs, bus: bus, log: log,
		streams: make(map[key]*stream),
		tracked: make(map[key]bool),
		gaps:    make(map[key]*matthan.Gap),
		drift:   make(map[key]time.Duration),
	}
}

// indexTimeout bounds one call to the index or the store.
const indexTimeout = 10 * time.Second

// aliveEvery is how often Run notes that the node is alive.
const aliveEvery = 5 * time.Second

// recordedRoles returns the streams of a camera that are recorded: the main
// stream, and the sub-stream when asked for and the camera has one.
func recordedRoles(c *matthan.Camera) []matthan.StreamRole {
	if c.RecordSub && slices.Contains(c.Roles(), matthan.StreamSub) {
		return []matthan.StreamRole{matthan.StreamMain, matthan.StreamSub}
	}
	return []matthan.StreamRole{matthan.StreamMain}
}

// Run recovers what an earlier run left (files without index rows, gaps
// left open, the time the node was stopped), then records every enabled
// camera's recorded streams until ctx ends. Then it finishes every open
// segment (last fragment, fsync, index row) and returns nil. It fails only
// if the recordings directory cannot be made or the camera registry cannot
// be read; a failed recovery is logged and retried at the next start.
func (r *Recorder) Run(ctx context.Context) error {
	if err := os.MkdirAll(r.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	if rep, err := r.Recover(ctx); err != nil {
		// Footage first: record anyway; the next start tries again.
		r.log.Error("recorder: start-up recovery failed", "err", err)
	} else if len(rep.Recovered)+len(rep.Quarantined)+len(rep.Short) > 0 {
		r.log.Warn("recorder: start-up recovery", "recovered", len(rep.Recovered),
			"quarantined", len(rep.Quarantined), "short", len(rep.Short))
	}
	lctx, cancel := context.WithTimeout(ctx, indexTimeout)
	cams, err := r.cams.Cameras(lctx, matthan.CameraFilter{})
	cancel()
	if err != nil {
		return fmt.Errorf("recorder: load cameras: %w", err)
	}
	r.nodeStoppedGaps(ctx, cams)

	// Subscribe before starting, so no health change is missed.
	events, unsubscribe := r.bus.Subscribe(matthan.TopicHealth, 256)
	defer unsubscribe()

	r.reconcileMu.Lock()
	if r.runCtx != nil {
		r.reconcileMu.Unlock()
		return errors.New("recorder: already running")
	}
	r.runCtx = ctx
	for _, c := range cams {
		r.reconcile(ctx, c.ID, c)
	}
	r.reconcileMu.Unlock()
	r.log.Info("recorder started", "dir", r.cfg.Dir, "cameras", len(cams))

	r.noteAlive()
	alive := time.NewTicker(aliveEvery)
	defer alive.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-alive.C:
			r.noteAlive()
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if h, ok := e.Data.(*matthan.HealthEvent); ok {
				r.healthChanged(ctx, h)
			}
		}
	}

	r.reconcileMu.Lock()
	r.runCtx = nil
	var running []*stream
	for k, s := range r.streams {
		running = append(running, s)
		delete(r.streams, k)
	}
	r.reconcileMu.Unlock()
	stopAll(running)
	r.noteAlive()
	r.log.Info("recorder stopped")
	return nil
}

// CameraChanged starts or stops the recording of a camera after the
// registry changed (added, removed, enabled, disabled, streams recorded).
// It returns once the change is applied; a stopped stream's segment is
// finished and indexed by then. Before Run it does nothing.
func (r *Recorder) CameraChanged(id string) {
	r.reconcileMu.Lock()
	defer r.reconcileMu.Unlock()
	if r.runCtx == nil || r.runCtx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.runCtx, indexTimeout)
	cam, err := r.cams.Camera(ctx, id)
	cancel()
	if err != nil {
		if matthan.ErrorCode(err) != matthan.ENOTFOUND {
			r.log.Error("recorder: cannot reload camera", "camera", id, "err", err)
			return
		}
		cam = nil
	}
	r.reconcile(r.runCtx, id, cam)
}

// reconcile makes the recorded streams of camera id match cam (nil:
// deleted). The caller holds reconcileMu.
func (r *Recorder) reconcile(ctx context.Context, id string, cam *matthan.Camera) {
	want := map[key]bool{}
	var roles []matthan.StreamRole
	if cam != nil {
		roles = recordedRoles(cam)
		for _, role := range roles {
			if cam.Active() {
				want[key{id, role}] = true
			}
		}
	}
	var stops []*stream
	for k, s := range r.streams {
		if k.camera == id && !want[k] {
			stops = append(stops, s)
			delete(r.streams, k)
		}
	}
	stopAll(stops)
	for k := range r.tracked {
		if k.camera == id && !slices.Contains(roles, k.role) {
			delete(r.tracked, k)
			// Not recorded any more (deleted, or the stream is no longer
			// recorded): there is no gap to keep open.
			r.endGap(ctx, k, r.cfg.Clock.Now())
		}
	}
	for _, role := range roles {
		k := key{id, role}
		r.tracked[k] = true
		if !cam.Active() {
			// Ingest says "disabled" on the bus when a camera is switched
			// off (or its sharing stopped) while running; at start-up only
			// the registry says so.
			why, _ := cam.InactiveReason()
			r.setGap(ctx, k, matthan.GapDisabled, r.cfg.Clock.Now(), why)
		}
	}
	for k := range want {
		if r.streams[k] == nil {
			s := r.newStream(k)
			r.streams[k] = s
			s.start(ctx)
		}
	}
}

func stopAll(ss []*stream) {
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Go(s.stop)
	}
	wg.Wait()
}

// healthChanged turns a stream's health change into gaps.
func (r *Recorder) healthChanged(ctx context.Context, e *matthan.HealthEvent) {
	k := key{e.CameraID, e.Stream}
	r.reconcileMu.Lock()
	tracked := r.tracked[k]
	r.reconcileMu.Unlock()
	if !tracked {
		return
	}
	at := e.At.UTC()
	// A disk gap outlives the camera's health: it ends when a file is
	// written again, whatever the camera does meanwhile.
	r.gapMu.Lock()
	defer r.gapMu.Unlock()
	if g := r.gaps[k]; g != nil && isDiskReason(g.Reason) {
		return
	}
	if e.To == matthan.StateStreaming {
		r.endGapLocked(ctx, k, at)
		return
	}
	if reason, ok := gapReason(e.To); ok {
		r.setGapLocked(ctx, k, reason, at, e.Reason)
	}
}

func isDiskReason(r matthan.GapReason) bool {
	return r == matthan.GapDiskFull || r == matthan.GapDiskError
}

// gapReason maps a health state to why the stream is not recorded.
func gapReason(s matthan.StreamState) (matthan.GapReason, bool) {
	switch s {
	case matthan.StateOffline, matthan.StateBadURL:
		return matthan.GapOffline, true
	case matthan.StateStalled:
		return matthan.GapStalled, true
	case matthan.StateAuthFailed:
		return matthan.GapAuthFailed, true
	case matthan.StateUnsupported:
		return matthan.GapUnsupported, true
	case matthan.StateDisabled:
		return matthan.GapDisabled, true
	}
	return "", false // connecting: not a change in what is recorded
}

// setGap makes sure a gap with reason is open for k from at: an open gap
// with another reason is ended at at first.
func (r *Recorder) setGap(ctx context.Context, k key, reason matthan.GapReason, at time.Time, detail string) {
	r.gapMu.Lock()
	defer r.gapMu.Unlock()
	r.setGapLocked(ctx, k, reason, at, detail)
}

func (r *Recorder) setGapLocked(ctx context.Context, k key, reason matthan.GapReason, at time.Time, detail string) {
	if g := r.gaps[k]; g != nil {
		if g.Reason == reason {
			return
		}
		r.endGapLocked(ctx, k, at)
	}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexTimeout)
	defer cancel()
	g := &matthan.Gap{CameraID: k.camera, Stream: k.role, Start: at.UTC(), Reason: reason, Detail: detail}
	if err := r.index.AddGap(ictx, g); err != nil {
		r.log.Error("recorder: cannot store gap", "camera", k.camera, "stream", k.role, "reason", reason, "err", err)
		return
	}
	r.gaps[k] = g
	r.log.Info("recording gap opened", "camera", k.camera, "stream", k.role, "reason", reason, "detail", detail)
}

// endGap ends k's open gap, if any, at at.
func (r *Recorder) endGap(ctx context.Context, k key, at time.Time) {
	r.gapMu.Lock()
	defer r.gapMu.Unlock()
	r.endGapLocked(ctx, k, at)
}

func (r *Recorder) endGapLocked(ctx context.Context, k key, at time.Time) {
	g := r.gaps[k]
	if g == nil {
		return
	}
	delete(r.gaps, k)
	end := at.UTC()
	if end.Before(g.Start) { // the clock stepped back: never a negative gap
		end = g.Start
	}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexTimeout)
	defer cancel()
	if err := r.index.EndGap(ictx, g.ID, end); err != nil {
		r.log.Error("recorder: cannot end gap", "camera", k.camera, "stream", k.role, "err", err)
		return
	}
	r.log.Info("recording gap closed", "camera", k.camera, "stream", k.role, "reason", g.Reason,
		"seconds", end.Sub(g.Start).Seconds())
}

// ClockOffset returns how far a camera's own clock (from its RTCP sender
// reports) was from the node's when the stream's current segment began;
// ok is false when the camera does not send its time.
func (r *Recorder) ClockOffset(cameraID string, role matthan.StreamRole) (offset time.Duration, ok bool) {
	r.driftMu.Lock()
	defer r.driftMu.Unlock()
	offset, ok = r.drift[key{cameraID, role}]
	return offset, ok
}

func (r *Recorder) setDrift(k key, d time.Duration) {
	r.driftMu.Lock()
	r.drift[k] = d
	r.driftMu.Unlock()
}
