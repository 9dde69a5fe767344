package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/helmet"
	"matthan/internal/media"
)

// Hubs finds a camera stream's hub (the ingest manager).
type Hubs interface {
	Hub(cameraID string, role matthan.StreamRole) *media.Hub
}

// ManagerConfig is the node's analysis.
type ManagerConfig struct {
	FPS float64 // frames analysed per second per camera (5)
	// Settings returns a camera's zones, masks and rules; nil gives every
	// camera DefaultSettings.
	Settings func(cameraID string) Settings
	// Helmet judges riders' heads; nil turns the no-helmet rule off.
	Helmet helmet.Model
	// MainDecoders bounds the main-stream decoders (for riders' heads too
	// small in the sub-stream) running at once on the node; 0: one per
	// CPU core.
	MainDecoders int
}

// Manager runs a pipeline for every enabled camera, on its sub-stream (the
// main stream when it has none), with one detector shared by all.
type Manager struct {
	cfg  ManagerConfig
	cams matthan.Store
	hubs Hubs
	det  analytics.Detector // nil: motion only
	sink *events.Sink       // nil: events are dropped
	log  *slog.Logger

	mainSlots chan struct{} // Deps.MainSlots, shared by every camera
	starting  chan struct{} // Deps.Starting, shared by every camera

	mu      sync.Mutex
	ctx     context.Context // Run's; nil before and after
	running map[string]*running
}

type running struct {
	cam    atomic.Pointer[Camera] // nil while waiting for the stream's hub
	cancel context.CancelFunc
	done   chan struct{}
}

// NewManager returns a manager; Run starts it.
func NewManager(cfg ManagerConfig, cams matthan.Store, hubs Hubs, det analytics.Detector, sink *events.Sink, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := cfg.MainDecoders
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return &Manager{cfg: cfg, cams: cams, hubs: hubs, det: det, sink: sink, log: log, running: map[string]*running{},
		mainSlots: make(chan struct{}, n), starting: make(chan struct{}, runtime.NumCPU())}
}

// Run analyses every enabled camera until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	cams, err := m.cams.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.ctx = ctx
	for _, c := range cams {
		m.reconcile(c.ID, c)
	}
	m.mu.Unlock()
	<-ctx.Done()
	m.mu.Lock()
	m.ctx = nil
	all := m.running
	m.running = map[string]*running{}
	m.mu.Unlock()
	for _, r := range all {
		r.cancel()
		<-r.done
	}
	return nil
}

// CameraChanged starts, restarts or stops a camera's analysis after the
// registry changed.
func (m *Manager) CameraChanged(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx == nil {
		return
	}
	c, err := m.cams.Camera(m.ctx, id)
	if err != nil && matthan.ErrorCode(err) != matthan.ENOTFOUND {
		m.log.Error("analytics: cannot reload camera", "camera", id, "err", err)
		return
	}
	m.reconcile(id, c)
}

// reconcile (re)starts camera id's pipeline, or stops it when c is nil or
// disabled. The caller holds m.mu.
func (m *Manager) reconcile(id string, c *matthan.Camera) {
	if r := m.running[id]; r != nil {
		r.cancel()
		<-r.done
		delete(m.running, id)
	}
	if c == nil || !c.Active() {
		return
	}
	role := matthan.StreamSub
	if c.StreamURL(matthan.StreamSub) == "" && c.Source == matthan.SourcePull {
		role = matthan.StreamMain
	}
	set := DefaultSettings()
	if m.cfg.Settings != nil {
		set = m.cfg.Settings(id)
	}
	ctx, cancel := context.WithCancel(m.ctx)
	r := &running{cancel: cancel, done: make(chan struct{})}
	m.running[id] = r
	go func() {
		defer close(r.done)
		m.runCamera(ctx, r, id, role, set)
	}()
}

func (m *Manager) runCamera(ctx context.Context, r *running, id string, role matthan.StreamRole, set Settings) {
	log := m.log.With("stream", string(role)) // New adds the camera
	var hub *media.Hub
	for hub = m.hubs.Hub(id, role); hub == nil; hub = m.hubs.Hub(id, role) {
		select { // ingest has not registered the stream yet
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	deps := Deps{Hub: hub, Detector: m.det, Helmet: m.cfg.Helmet, MainSlots: m.mainSlots, Starting: m.starting, Log: log}
	if role == matthan.StreamSub {
		deps.Main = m.hubs.Hub(id, matthan.StreamMain) // for heads too small in the sub-stream
	}
	if m.sink != nil {
		deps.Fire = func(ctx context.Context, f events.Fired) error {
			_, err := m.sink.Handle(ctx, f)
			return err
		}
	}
	cfg := Config{CameraID: id}
	set.Apply(&cfg)
	cfg.Decode.FPS = m.cfg.FPS
	cam, err := New(cfg, deps)
	if err != nil {
		log.Error("analytics: camera not analysed", "err", err)
		return
	}
	r.cam.Store(cam) // not under m.mu: reconcile holds it while waiting for this goroutine
	if err := cam.Run(ctx); err != nil && ctx.Err() == nil {
		log.Error("analytics: stopped", "err", err)
	}
}

// Last returns what a camera's analysis saw in its latest frame, for live
// boxes; nil when the camera is not analysed (yet).
func (m *Manager) Last(cameraID string) *Result {
	m.mu.Lock()
	r := m.running[cameraID]
	m.mu.Unlock()
	if r == nil || r.cam.Load() == nil {
		return nil
	}
	return r.cam.Load().Last()
}

// WriteMetrics writes each analysed camera's counters in Prometheus text
// format, for /metrics.
func (m *Manager) WriteMetrics(w io.Writer) error {
	m.mu.Lock()
	ids := make([]string, 0, len(m.running))
	cams := map[string]*Camera{}
	for id, r := range m.running {
		if c := r.cam.Load(); c != nil {
			ids = append(ids, id)
			cams[id] = c
		}
	}
	m.mu.Unlock()
	slices.Sort(ids)
	var b strings.Builder
	for _, metric := range []struct {
		name, help string
		value      func(Stats) uint64
	}{
		{"matthan_analytics_frames_total", "Frames analysed.", func(s Stats) uint64 { return s.Frames }},
		{"matthan_analytics_detections_total", "Frames the object detector ran on.", func(s Stats) uint64 { return s.Detections }},
		{"matthan_analytics_region_detections_total", "Of those, frames the detector saw only motion regions of (shared canvases).", func(s Stats) uint64 { return s.RegionDetections }},
		{"matthan_analytics_events_total", "Event reports raised by the rules (starts and updates).", func(s Stats) uint64 { return s.Events }},
		{"matthan_analytics_errors_total", "Failed detections and events not stored.", func(s Stats) uint64 { return s.Errors }},
		{"matthan_analytics_helmet_crops_total", "Riders' heads classified for the no-helmet rule.", func(s Stats) uint64 { return s.HelmetCrops }},
		{"matthan_analytics_helmet_main_total", "Of those, heads cut from the main stream (too small in the analysed one).", func(s Stats) uint64 { return s.HelmetFromMain }},
		{"matthan_analytics_helmet_too_small_total", "Riders whose heads were too small to judge.", func(s Stats) uint64 { return s.HelmetTooSmall }},
		{"matthan_analytics_helmet_main_busy_total", "Riders left for a later frame: every main-stream decoder of the node was taken (analytics.main-decoders).", func(s Stats) uint64 { return s.HelmetMainBusy }},
	} {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", metric.name, metric.help, metric.name)
		for _, id := range ids {
			fmt.Fprintf(&b, "%s{camera=%q} %d\n", metric.name, id, metric.value(cams[id].Stats()))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Boxes is what a camera's analysis sees now, for drawing on live video:
// boxes normalised to 0..1 of the analysed frame.
type Boxes struct {
	At     time.Time    `json:"at"`
	Motion [][4]float64 `json:"motion"`
	Tracks []BoxTrack   `json:"tracks"`
}

// BoxTrack is one tracked object in Boxes.
type BoxTrack struct {
	ID         int64           `json:"id"`
	Class      analytics.Class `json:"class"`
	Box        [4]float64      `json:"box"`
	Stationary bool            `json:"stationary"`
}

// LiveBoxes returns a camera's latest boxes; nil when it is not analysed
// (yet).
func (m *Manager) LiveBoxes(cameraID string) *Boxes {
	r := m.Last(cameraID)
	if r == nil {
		return nil
	}
	b := &Boxes{At: r.At, Motion: [][4]float64{}, Tracks: []BoxTrack{}}
	for _, mb := range r.Motion {
		b.Motion = append(b.Motion, events.NormBox(mb, r.Width, r.Height))
	}
	for _, t := range r.Tracks {
		if t.Missed > 0 {
			continue // coasting through an occlusion: not in this picture
		}
		b.Tracks = append(b.Tracks, BoxTrack{ID: t.ID, Class: t.Class, Box: events.NormBox(t.Box, r.Width, r.Height), Stationary: t.Stationary})
	}
	return b
}
