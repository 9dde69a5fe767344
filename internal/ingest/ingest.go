// Package ingest supervises every camera stream of a node: one supervisor per
// stream pulls it (or waits for the camera to push it), feeds the stream's
// hub, keeps its health state machine and live figures, reconnects with
// capped exponential back-off, and reports every change of health to the
// store and the bus.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"matthan"
	"matthan/internal/media"
)

// PullRequest says which stream a PullFunc opens.
type PullRequest struct {
	URL       string // without user info
	Username  string
	Password  string
	Transport string // "auto", "tcp" or "udp"
	Timeout   time.Duration
}

// PullFunc reads one session of a stream into r until the session fails or
// ctx ends. It returns a *matthan.StreamError saying which state the failure
// moves the stream to (internal/rtsp's Pull, adapted by a closure).
type PullFunc func(ctx context.Context, req PullRequest, r media.Receiver) error

// Config tunes the supervisors. Zero fields take DefaultConfig's values.
type Config struct {
	// StallTimeout: no video for this long while a session is open marks the
	// stream stalled and, for a pulled stream, ends the session to reconnect.
	StallTimeout time.Duration
	// BackoffMin is the delay before the first retry, BackoffMax the cap of
	// the exponential back-off. Jitter shortens a delay by up to 25%, so many
	// cameras that failed together do not retry together.
	BackoffMin time.Duration
	BackoffMax time.Duration
	// AuthBackoff is the least wait after a failure that retrying soon cannot
	// fix (auth failed, bad URL, unsupported codec): a camera must not be
	// hammered with wrong passwords (many lock the account). Jitter adds up to 25%.
	AuthBackoff time.Duration
	// HealthyAfter: a session that streamed this long resets the back-off.
	HealthyAfter time.Duration
	// ConnectTimeout bounds the setup of a pulled session; it is passed to the pull.
	ConnectTimeout time.Duration
	// Transport for pulled streams: "auto" (UDP, falling back to TCP), "tcp" or "udp".
	Transport string
	// Clock is the time source; nil means the real clock.
	Clock Clock
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		StallTimeout:   5 * time.Second,
		BackoffMin:     time.Second,
		BackoffMax:     30 * time.Second,
		AuthBackoff:    60 * time.Second,
		HealthyAfter:   30 * time.Second,
		ConnectTimeout: 10 * time.Second,
		Transport:      "auto",
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	fill := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&c.StallTimeout, d.StallTimeout)
	fill(&c.BackoffMin, d.BackoffMin)
	fill(&c.BackoffMax, d.BackoffMax)
	fill(&c.AuthBackoff, d.AuthBackoff)
	fill(&c.HealthyAfter, d.HealthyAfter)
	fill(&c.ConnectTimeout, d.ConnectTimeout)
	if c.Transport == "" {
		c.Transport = d.Transport
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	return c
}

// Validate reports the first field (after defaults) that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"StallTimeout", c.StallTimeout}, {"BackoffMin", c.BackoffMin}, {"BackoffMax", c.BackoffMax},
		{"AuthBackoff", c.AuthBackoff}, {"HealthyAfter", c.HealthyAfter}, {"ConnectTimeout", c.ConnectTimeout},
	} {
		if f.v < 0 {
			return fmt.Errorf("ingest: %s must not be negative, got %s", f.name, f.v)
		}
	}
	if c.BackoffMin > c.BackoffMax {
		return fmt.Errorf("ingest: BackoffMin (%s) must not exceed BackoffMax (%s)", c.BackoffMin, c.BackoffMax)
	}
	switch c.Transport {
	case "auto", "tcp", "udp":
	default:
		return fmt.Errorf("ingest: Transport must be auto, tcp or udp, got %q", c.Transport)
	}
	return nil
}

// Manager runs the supervisors of every registered camera's streams and
// answers for them: health, figures, hubs, push sessions.
type Manager struct {
	cfg   Config
	store matthan.Store
	bus   matthan.Bus
	pull  PullFunc
	log   *slog.Logger
	clock Clock
	epoch time.Time      // monotonic reference for figures and stall deadlines
	rand  func() float64 // jitter source in [0, 1)

	// reconcileMu serialises Run's start and end with CameraChanged, so two
	// reconciliations never interleave and none runs outside Run.
	reconcileMu sync.Mutex
	runCtx      context.Context // nil while Run is not running

	mu   sync.RWMutex
	cams map[string]*camera
}

// camera is a registered camera and its streams.
type camera struct {
	cam     *matthan.Camera
	streams map[matthan.StreamRole]*stream
}

// NewManager returns a manager; Run starts it.
func NewManager(cfg Config, store matthan.Store, bus matthan.Bus, pull PullFunc, log *slog.Logger) *Manager {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{
		cfg:   cfg,
		store: store,
		bus:   bus,
		pull:  pull,
		log:   log,
		clock: cfg.Clock,
		epoch: cfg.Clock.Now(),
		rand:  rand.Float64,
		cams:  make(map[string]*camera),
	}
}

// storeTimeout bounds the store calls the manager makes on its own.
const storeTimeout = 5 * time.Second

// Run loads the cameras, supervises their streams until ctx ends, then stops
// every supervisor and returns nil. It fails only if the cameras cannot be loaded.
func (m *Manager) Run(ctx context.Context) error {
	m.reconcileMu.Lock()
	if m.runCtx != nil {
		m.reconcileMu.Unlock()
		return errors.New("ingest: manager is already running")
	}
	lctx, cancel := context.WithTimeout(ctx, storeTimeout)
	cams, err := m.store.Cameras(lctx, matthan.CameraFilter{})
	cancel()
	if err != nil {
		m.reconcileMu.Unlock()
		return fmt.Errorf("ingest: load cameras: %w", err)
	}
	m.runCtx = ctx
	seen := make(map[string]bool, len(cams))
	for _, c := range cams {
		seen[c.ID] = true
		m.reconcile(ctx, c.ID, c)
	}
	m.mu.RLock()
	var gone []string
	for id := range m.cams {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	m.mu.RUnlock()
	for _, id := range gone {
		m.reconcile(ctx, id, nil)
	}
	m.reconcileMu.Unlock()
	m.log.Info("ingest started", "cameras", len(cams))

	<-ctx.Done()

	m.reconcileMu.Lock()
	defer m.reconcileMu.Unlock()
	m.runCtx = nil
	m.mu.Lock()
	var sups []*supervisor
	for _, c := range m.cams {
		for _, s := range c.streams {
			if s.sup != nil {
				sups = append(sups, s.sup)
				s.sup = nil
			}
		}
	}
	m.mu.Unlock()
	stopAll(sups)
	m.log.Info("ingest stopped")
	return nil
}

// CameraChanged reconciles one camera after the registry changed: it starts,
// stops or restarts the streams whose source, URL, credentials or enabled
// flag changed, and drops a deleted camera with its hubs. It returns once
// the change is applied. Before Run it does nothing (Run loads the registry).
func (m *Manager) CameraChanged(id string) {
	m.reconcileMu.Lock()
	defer m.reconcileMu.Unlock()
	if m.runCtx == nil || m.runCtx.Err() != nil { // not running, or stopping
		return
	}
	ctx, cancel := context.WithTimeout(m.runCtx, storeTimeout)
	cam, err := m.store.Camera(ctx, id)
	cancel()
	if err != nil {
		if matthan.ErrorCode(err) != matthan.ENOTFOUND {
			m.log.Error("ingest: cannot reload camera", "camera", id, "err", err)
			return
		}
		cam = nil
	}
	m.reconcile(m.runCtx, id, cam)
}

// streamSpec is what a stream's supervisor runs with; any change restarts it.
type streamSpec struct {
	source             matthan.SourceMode
	url                string
	username, password string
	enabled            bool   // switched on, approved and shared: Camera.Active
	offEN, offVI       string // why not, when not
}

func specOf(c *matthan.Camera, role matthan.StreamRole) streamSpec {
	sp := streamSpec{source: c.Source, username: c.Username, password: c.Password, enabled: c.Active()}
	sp.offEN, sp.offVI = c.InactiveReason()
	if c.Source == matthan.SourcePull {
		sp.url = c.StreamURL(role)
	}
	return sp
}

// reconcile makes the streams of camera id match cam (nil: deleted). The
// caller holds reconcileMu and ctx is Run's.
func (m *Manager) reconcile(ctx context.Context, id string, cam *matthan.Camera) {
	type start struct {
		s      *stream
		spec   streamSpec
		change bool // the spec changed: record the new initial state as an event
	}
	var stops []*supervisor
	var starts []start

	m.mu.Lock()
	c := m.cams[id]
	if cam == nil {
		if c != nil {
			for _, s := range c.streams {
				if s.sup != nil {
					stops = append(stops, s.sup)
					s.sup = nil
				}
			}
			delete(m.cams, id)
			m.log.Info("camera removed from ingest", "camera", id)
		}
	} else {
		cam = copyCamera(cam)
		if c == nil {
			c = &camera{streams: make(map[matthan.StreamRole]*stream)}
			m.cams[id] = c
		}
		c.cam = cam
		roles := cam.Roles()
		for role, s := range c.streams {
			if !slices.Contains(roles, role) {
				if s.sup != nil {
					stops = append(stops, s.sup)
				}
				delete(c.streams, role)
			}
		}
		for _, role := range roles {
			spec := specOf(cam, role)
			s := c.streams[role]
			switch {
			case s == nil:
				s = m.newStream(id, role, spec)
				c.streams[role] = s
				starts = append(starts, start{s: s, spec: spec})
			case s.spec == spec:
				if spec.enabled && s.sup == nil { // Run restarted
					starts = append(starts, start{s: s, spec: spec})
				}
			default:
				if s.sup != nil {
					stops = append(stops, s.sup)
					s.sup = nil
				}
				s.spec = spec
				starts = append(starts, start{s: s, spec: spec, change: true})
			}
		}
	}
	m.mu.Unlock()

	stopAll(stops)
	evctx := context.WithoutCancel(ctx)
	for _, st := range starts {
		if st.change {
			state, en, vi := initialHealth(st.spec)
			st.s.setHealth(evctx, state, en, vi)
		}
		if st.spec.enabled {
			m.startSupervisor(ctx, st.s, st.spec)
		}
	}
}

func copyCamera(c *matthan.Camera) *matthan.Camera {
	cp := *c
	cp.Tags = slices.Clone(c.Tags)
	return &cp
}

// stopAll cancels the supervisors, then waits for each to end.
func stopAll(sups []*supervisor) {
	for _, sup := range sups {
		sup.cancel()
	}
	for _, sup := range sups {
		<-sup.done
	}
}

// initialHealth is where a stream starts with spec.
func initialHealth(spec streamSpec) (matthan.StreamState, string, string) {
	switch {
	case !spec.enabled:
		return matthan.StateDisabled, spec.offEN, spec.offVI
	case spec.source == matthan.SourcePush:
		return matthan.StateOffline, reasonWaitPush, reasonWaitPushVI
	default:
		return matthan.StateConnecting, reasonConnecting, reasonConnectingVI
	}
}

// Status returns the health and figures of a camera's streams, main first,
// or nil for an unknown camera.
func (m *Manager) Status(cameraID string) []matthan.StreamStatus {
	m.mu.RLock()
	c := m.cams[cameraID]
	var streams []*stream
	if c != nil {
		streams = c.sortedStreams()
	}
	m.mu.RUnlock()
	if c == nil {
		return nil
	}
	now := m.clock.Now()
	out := make([]matthan.StreamStatus, 0, len(streams))
	for _, s := range streams {
		out = append(out, s.status(now))
	}
	return out
}

// AllStatus returns every stream's status, ordered by camera ID then role.
func (m *Manager) AllStatus() []matthan.StreamStatus {
	m.mu.RLock()
	ids := make([]string, 0, len(m.cams))
	for id := range m.cams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var streams []*stream
	for _, id := range ids {
		streams = append(streams, m.cams[id].sortedStreams()...)
	}
	m.mu.RUnlock()
	now := m.clock.Now()
	out := make([]matthan.StreamStatus, 0, len(streams))
	for _, s := range streams {
		out = append(out, s.status(now))
	}
	return out
}

func (c *camera) sortedStreams() []*stream {
	out := make([]*stream, 0, len(c.streams))
	for _, role := range matthan.StreamRoles {
		if s := c.streams[role]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

// Hub returns the hub of a camera's stream, or nil if there is none. A hub
// lives as long as its stream is registered and survives reconnects.
func (m *Manager) Hub(cameraID string, role matthan.StreamRole) *media.Hub {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c := m.cams[cameraID]; c != nil {
		if s := c.streams[role]; s != nil {
			return s.hub
		}
	}
	return nil
}

// PushCredentials returns the credentials a publisher must present for a
// camera; ok is true only for an enabled push camera.
func (m *Manager) PushCredentials(cameraID string) (user, pass string, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.cams[cameraID]
	if c == nil || c.cam.Source != matthan.SourcePush || !c.cam.Active() {
		return "", "", false
	}
	return c.cam.Username, c.cam.Password, true
}

// StartPush begins a push session for a camera's stream: the returned
// receiver takes the units, and done ends the session with its cause (nil:
// the publisher left). A newer session of the same stream replaces an older
// one, whose receiver then drops what it gets (an agent that reconnects after
// a network break wins over its half-open old session).
func (m *Manager) StartPush(cameraID string, role matthan.StreamRole, remote string) (media.Receiver, func(err error), error) {
	m.mu.RLock()
	c := m.cams[cameraID]
	var s *stream
	var sup *supervisor
	var cam *matthan.Camera
	if c != nil {
		cam = c.cam
		s = c.streams[role]
		if s != nil {
			sup = s.sup
		}
	}
	m.mu.RUnlock()
	switch {
	case c == nil || s == nil:
		return nil, nil, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("no camera stream %s/%s", cameraID, role),
			fmt.Sprintf("không có luồng camera %s/%s", cameraID, role))
	case cam.Source != matthan.SourcePush:
		return nil, nil, matthan.Errorf(matthan.EFORBIDDEN,
			"this camera is not set up to push its video",
			"camera này không được cấu hình để đẩy hình lên")
	case !cam.Active():
		en, vi := cam.InactiveReason()
		return nil, nil, matthan.Errorf(matthan.EFORBIDDEN, en, vi)
	case sup == nil:
		return nil, nil, matthan.Errorf(matthan.EINTERNAL,
			"the node is not ingesting video right now",
			"máy chủ hiện không nhận hình")
	}
	ps := newPushSession(s, remote, m.clock.Now())
	restarted := matthan.Errorf(matthan.EINTERNAL,
		"the camera's settings changed; push again",
		"cấu hình camera vừa thay đổi; hãy đẩy hình lại")
	select {
	case sup.pushCh <- ps:
	case <-sup.ctx.Done():
		return nil, nil, restarted
	}
	select { // the supervisor notes the session before the publisher sends
	case <-ps.taken:
	case <-sup.ctx.Done():
		return nil, nil, restarted
	}
	return ps.r, ps.finish, nil
}

// mono is t as nanoseconds on the manager's monotonic time line.
func (m *Manager) mono(t time.Time) int64 { return int64(t.Sub(m.epoch)) }
