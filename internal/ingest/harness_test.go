package ingest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/bus"
	"matthan/internal/media"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
	"matthan/internal/testutil"
)

// waitLimit turns a supervisor that never does what a test waits for into a
// failure; deterministic tests never get near it.
const waitLimit = 5 * time.Second

// harness runs a Manager on a real SQLite store, a real bus, a fake clock and
// a fake pull that hands every session to the test.
type harness struct {
	t      *testing.T
	clk    *fakeClock
	store  *sqlite.DB
	bus    *bus.Bus
	events <-chan matthan.Event
	m      *Manager
	logs   *testutil.Logs

	mu    sync.Mutex
	calls map[string]chan *pullCall // by URL

	stop    context.CancelFunc
	stopped chan error
}

// pullCall is one session the manager opened through the fake pull.
type pullCall struct {
	ctx context.Context
	req PullRequest
	r   media.Receiver
	end chan error // what the pull returns
}

// finish makes the pull return err.
func (c *pullCall) finish(err error) { c.end <- err }

// cancelled reports whether the manager ended the session.
func (c *pullCall) cancelled() bool { return c.ctx.Err() != nil }

func (c *pullCall) waitCancelled(t *testing.T) {
	t.Helper()
	select {
	case <-c.ctx.Done():
	case <-time.After(waitLimit):
		t.Fatalf("session of %s was not ended", c.req.URL)
	}
}

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newHarness registers cams and starts a manager with cfg (its zero fields
// default; the clock is the harness's and jitter is off).
func newHarness(t *testing.T, cfg Config, cams ...*matthan.Camera) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		clk:   newFakeClock(),
		store: openStore(t),
		bus:   bus.New(),
		logs:  &testutil.Logs{},
		calls: make(map[string]chan *pullCall),
	}
	for _, c := range cams {
		h.create(c)
	}
	events, cancelEvents := h.bus.Subscribe(matthan.TopicHealth, 1000)
	h.events = events
	cfg.Clock = h.clk
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.m = NewManager(cfg, h.store, h.bus, h.pull, log)
	h.m.rand = func() float64 { return 0 }

	ctx, stop := context.WithCancel(context.Background())
	h.stop, h.stopped = stop, make(chan error, 1)
	go func() { h.stopped <- h.m.Run(ctx) }()
	t.Cleanup(func() {
		h.shutdown()
		cancelEvents()
	})
	h.waitRunning()
	return h
}

// shutdown stops Run and waits for it.
func (h *harness) shutdown() {
	h.t.Helper()
	if h.stop == nil {
		return
	}
	h.stop()
	h.stop = nil
	select {
	case err := <-h.stopped:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLimit):
		h.t.Error("Run did not return after its context ended")
	}
}

// waitRunning waits until Run has loaded the registry and started the supervisors.
func (h *harness) waitRunning() {
	h.t.Helper()
	limit := time.Now().Add(waitLimit)
	for {
		h.m.reconcileMu.Lock()
		running := h.m.runCtx != nil
		h.m.reconcileMu.Unlock()
		if running {
			return
		}
		if time.Now().After(limit) {
			h.t.Fatal("Run did not start")
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) callsFor(url string) chan *pullCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.calls[url]
	if ch == nil {
		ch = make(chan *pullCall, 100)
		h.calls[url] = ch
	}
	return ch
}

// pull is the fake PullFunc: it hands the session to the test and returns
// what the test says, or when the manager ends the session.
func (h *harness) pull(ctx context.Context, req PullRequest, r media.Receiver) error {
	c := &pullCall{ctx: ctx, req: req, r: r, end: make(chan error, 1)}
	h.callsFor(req.URL) <- c
	select {
	case err := <-c.end:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nextCall waits for the next session of url.
func (h *harness) nextCall(url string) *pullCall {
	h.t.Helper()
	select {
	case c := <-h.callsFor(url):
		return c
	case <-time.After(waitLimit):
		h.t.Fatalf("no session opened for %s", url)
		return nil
	}
}

// noCall fails if a session of url was opened and not yet taken.
func (h *harness) noCall(url string) {
	h.t.Helper()
	select {
	case c := <-h.callsFor(url):
		h.t.Fatalf("unexpected session for %s (user %q)", url, c.req.Username)
	default:
	}
}

// nextEvent waits for the next health event on the bus and checks it
// against the store's newest event for that camera.
func (h *harness) nextEvent() *matthan.HealthEvent {
	h.t.Helper()
	select {
	case ev := <-h.events:
		he, ok := ev.Data.(*matthan.HealthEvent)
		if !ok || ev.Topic != matthan.TopicHealth || ev.CameraID != he.CameraID || ev.Stream != he.Stream {
			h.t.Fatalf("bad health event on the bus: %+v", ev)
		}
		stored, err := h.store.HealthEvents(context.Background(), matthan.HealthEventFilter{CameraID: he.CameraID})
		if err != nil {
			h.t.Fatal(err)
		}
		if !slices.ContainsFunc(stored, func(s *matthan.HealthEvent) bool {
			return s.ID == he.ID && s.From == he.From && s.To == he.To && s.Reason == he.Reason && s.ReasonVI == he.ReasonVI
		}) {
			h.t.Fatalf("published event %+v is not in the store", he)
		}
		return he
	case <-time.After(waitLimit):
		h.t.Fatal("no health event")
		return nil
	}
}

// expectEvent waits for the next event and checks camera, stream and states.
func (h *harness) expectEvent(cam string, role matthan.StreamRole, from, to matthan.StreamState) *matthan.HealthEvent {
	h.t.Helper()
	e := h.nextEvent()
	if e.CameraID != cam || e.Stream != role || e.From != from || e.To != to {
		h.t.Fatalf("event %s/%s %s→%s (%q), want %s/%s %s→%s",
			e.CameraID, e.Stream, e.From, e.To, e.Reason, cam, role, from, to)
	}
	return e
}

// noEvent fails if an event is waiting.
func (h *harness) noEvent() {
	h.t.Helper()
	select {
	case ev := <-h.events:
		e := ev.Data.(*matthan.HealthEvent)
		h.t.Fatalf("unexpected event %s/%s %s→%s (%q)", e.CameraID, e.Stream, e.From, e.To, e.Reason)
	default:
	}
}

func (h *harness) create(c *matthan.Camera) {
	h.t.Helper()
	if err := h.store.CreateCamera(context.Background(), c); err != nil {
		h.t.Fatal(err)
	}
}

// update changes a camera in the store and tells the manager.
func (h *harness) update(id string, change func(c *matthan.Camera)) {
	h.t.Helper()
	c, err := h.store.Camera(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	change(c)
	if err := h.store.UpdateCamera(context.Background(), c); err != nil {
		h.t.Fatal(err)
	}
	h.m.CameraChanged(id)
}

// status returns a stream's status.
func (h *harness) status(cam string, role matthan.StreamRole) matthan.StreamStatus {
	h.t.Helper()
	for _, st := range h.m.Status(cam) {
		if st.Role == role {
			return st
		}
	}
	h.t.Fatalf("no status for %s/%s", cam, role)
	return matthan.StreamStatus{}
}

func pullCamera(id string) *matthan.Camera {
	return &matthan.Camera{
		ID: id, Name: "Camera " + id, Area: "Khóm 1",
		Owner:    matthan.Owner{Kind: matthan.OwnerWard, Name: "Công an phường"},
		Source:   matthan.SourcePull,
		MainURL:  "rtsp://10.0.0.1/" + id + "/main",
		Username: "admin", Password: "s3cret",
		Enabled: true,
	}
}

func pushCamera(id string) *matthan.Camera {
	c := pullCamera(id)
	c.Source, c.MainURL = matthan.SourcePush, ""
	c.Username, c.Password = "pub", "pushpass"
	return c
}

var testDesc = &media.Desc{Tracks: []media.Track{
	{Codec: media.H264, ClockRate: 90000, Width: 1920, Height: 1080},
	{Codec: media.AAC, ClockRate: 16000, SampleRate: 16000, Channels: 1},
}}

// videoUnit is a frame of n bytes.
func videoUnit(pts time.Duration, key bool, n int) *media.Unit {
	return &media.Unit{Desc: testDesc, Track: 0, PTS: pts, Key: key, Data: [][]byte{make([]byte, n)}}
}

func audioUnit(pts time.Duration, n int) *media.Unit {
	return &media.Unit{Desc: testDesc, Track: 1, PTS: pts, Data: [][]byte{make([]byte, n)}}
}

func streamErr(state matthan.StreamState, en, vi string) error {
	return &matthan.StreamError{State: state, Reason: en, ReasonVI: vi, Err: errors.New(en)}
}

var errRefused = streamErr(matthan.StateOffline, "cannot connect: connection refused", "không kết nối được: bị từ chối kết nối")
