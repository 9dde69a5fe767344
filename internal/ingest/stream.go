package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"matthan"
	"matthan/internal/media"
)

// stream is one camera stream: its hub, health and figures, and the
// supervisor that runs it while it is enabled.
type stream struct {
	m        *Manager
	cameraID string
	role     matthan.StreamRole
	hub      *media.Hub
	log      *slog.Logger

	// Guarded by Manager.mu; changed only under Manager.reconcileMu.
	spec streamSpec
	sup  *supervisor

	mu     sync.Mutex // guards health
	health matthan.Health

	fig figures
}

// supervisor is one run of a stream's supervising goroutine.
type supervisor struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	pushCh chan *pushSession // push streams: new sessions from StartPush
}

func (m *Manager) newStream(cameraID string, role matthan.StreamRole, spec streamSpec) *stream {
	state, en, vi := initialHealth(spec)
	return &stream{
		m:        m,
		cameraID: cameraID,
		role:     role,
		hub:      media.NewHub(),
		log:      m.log.With("camera", cameraID, "stream", string(role)),
		spec:     spec,
		health:   matthan.Health{State: state, Reason: en, ReasonVI: vi, Since: m.clock.Now()},
	}
}

// startSupervisor runs s with spec until Run's ctx ends or s.sup is cancelled.
func (m *Manager) startSupervisor(ctx context.Context, s *stream, spec streamSpec) {
	sctx, cancel := context.WithCancel(ctx)
	sup := &supervisor{ctx: sctx, cancel: cancel, done: make(chan struct{}), pushCh: make(chan *pushSession)}
	m.mu.Lock()
	s.sup = sup
	m.mu.Unlock()
	evctx := context.WithoutCancel(ctx)
	go func() {
		defer close(sup.done)
		if spec.source == matthan.SourcePush {
			s.runPush(sctx, evctx, sup)
		} else {
			s.runPull(sctx, evctx, spec)
		}
	}()
}

func (s *stream) status(now time.Time) matthan.StreamStatus {
	s.mu.Lock()
	h := s.health
	s.mu.Unlock()
	st := matthan.StreamStatus{
		CameraID: s.cameraID,
		Role:     s.role,
		Health:   h,
		Stats:    s.fig.snapshot(s.m.mono(now)),
	}
	st.Stats.Skips = s.hub.Skips()
	return st
}

// setHealth moves the stream to state. A change of state is logged, stored
// and published; the same state with another reason only updates the reason.
// Callers are the stream's only writer at the time (its supervisor, or
// reconcile while no supervisor runs), so events keep their order.
func (s *stream) setHealth(ctx context.Context, state matthan.StreamState, reason, reasonVI string) {
	now := s.m.clock.Now()
	s.mu.Lock()
	from := s.health.State
	s.health.Reason, s.health.ReasonVI = reason, reasonVI
	if from != state {
		s.health.State, s.health.Since = state, now
	}
	s.mu.Unlock()
	if from == state {
		s.log.Debug("stream health", "state", state, "reason", reason)
		return
	}

	level := slog.LevelWarn
	if state == matthan.StateStreaming || state == matthan.StateConnecting {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "stream health changed", "from", from, "to", state, "reason", reason)

	e := &matthan.HealthEvent{
		CameraID: s.cameraID, Stream: s.role,
		From: from, To: state,
		Reason: reason, ReasonVI: reasonVI,
		At: now.UTC(),
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := s.m.store.AddHealthEvent(ctx, e); err != nil {
		s.log.Error("cannot store health event", "err", err)
	}
	if err := s.m.bus.Publish(ctx, matthan.Event{
		Topic: matthan.TopicHealth, CameraID: s.cameraID, Stream: s.role, At: e.At, Data: e,
	}); err != nil {
		s.log.Error("cannot publish health event", "err", err)
	}
}

// receiver is what one session writes into: it counts figures, notices the
// first video unit, and forwards to the hub. It is on the hot path of every
// stream: no allocation, one mutex (the figures').
type receiver struct {
	s         *stream
	dead      atomic.Bool  // a replaced or ended session: drop what it sends
	live      atomic.Bool  // video arrived since the supervisor last looked
	lastVideo atomic.Int64 // mono time of the last video unit; valid once live was set
	liveSince atomic.Int64 // mono time of the video unit that set live
	signal    chan struct{}
	quality   quality
	ended     chan struct{} // closed once the session is over (media.Ender)
	endOnce   sync.Once
}

func newReceiver(s *stream) *receiver {
	return &receiver{s: s, signal: make(chan struct{}, 1), ended: make(chan struct{})}
}

func (r *receiver) WriteUnit(u *media.Unit) {
	if r.dead.Load() {
		return
	}
	now := r.s.m.clock.Now()
	mono := r.s.m.mono(now)
	video := u.IsVideo()
	r.s.fig.add(u, video, mono, now)
	if video && r.quality.unit(mono) {
		r.lastVideo.Store(mono)
		if !r.live.Load() && r.live.CompareAndSwap(false, true) {
			r.liveSince.Store(mono)
			select {
			case r.signal <- struct{}{}:
			default:
			}
		}
	}
	r.s.hub.WriteUnit(u)
}

// end marks the session over: later writes are dropped and the hub reads as
// not streaming until the next session's first unit.
func (r *receiver) end() {
	r.stop()
	r.s.hub.Reset()
}

// stop drops whatever the session still sends and asks its source to close it.
func (r *receiver) stop() {
	r.dead.Store(true)
	r.endOnce.Do(func() { close(r.ended) })
}

// Ended lets a publisher's RTSP session be closed when ingest is done with it.
func (r *receiver) Ended() <-chan struct{} { return r.ended }

func (r *receiver) DecodeErrors(n uint64) {
	if !r.dead.Load() {
		r.quality.errors(r.s.m.mono(r.s.m.clock.Now()), n)
	}
}

func (r *receiver) PacketsLost(n uint64) {
	if !r.dead.Load() {
		r.s.fig.lost(n)
	}
}

// deadline is the mono time by which video must arrive: firstWithin after
// start until the first video unit, then StallTimeout after the last one.
func (r *receiver) deadline(start int64, firstWithin, stall time.Duration) int64 {
	if r.live.Load() {
		return r.lastVideo.Load() + int64(stall)
	}
	return start + int64(firstWithin)
}

// outcome is how a pulled session ended.
type outcome struct {
	state            matthan.StreamState
	reason, reasonVI string
	streamed         time.Duration // how long it was streaming
}

// runPull pulls the stream again and again until ctx ends.
func (s *stream) runPull(ctx, evctx context.Context, spec streamSpec) {
	cfg := &s.m.cfg
	failures := 0
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			s.fig.reconnected()
		}
		out, ok := s.pullSession(ctx, evctx, spec)
		if !ok {
			return
		}
		if out.streamed >= cfg.HealthyAfter {
			failures = 0
		}
		failures++
		delay := backoffDelay(*cfg, failures, out.state, s.m.rand())
		en, vi := matthan.FormatDuration(delay)
		s.setHealth(evctx, out.state,
			fmt.Sprintf("%s (attempt %d, next in %s)", out.reason, failures, en),
			fmt.Sprintf("%s (lần thử %d, thử lại sau %s)", out.reasonVI, failures, vi))
		t := s.m.clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// pullSession runs one pull with its stall watchdog. ok is false when ctx ended.
func (s *stream) pullSession(ctx, evctx context.Context, spec streamSpec) (out outcome, ok bool) {
	cfg := &s.m.cfg
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := newReceiver(s)
	defer r.end()

	req := PullRequest{
		URL: spec.url, Username: spec.username, Password: spec.password,
		Transport: cfg.Transport, Timeout: cfg.ConnectTimeout,
	}
	start := s.m.mono(s.m.clock.Now())
	errc := make(chan error, 1)
	go func() { errc <- s.m.pull(sctx, req, r) }()

	firstWithin := cfg.ConnectTimeout + cfg.StallTimeout
	var streamingSince int64 = -1
	streamed := func() time.Duration {
		if streamingSince < 0 {
			return 0
		}
		return time.Duration(s.m.mono(s.m.clock.Now()) - streamingSince)
	}
	for {
		now := s.m.mono(s.m.clock.Now())
		t := s.m.clock.NewTimer(time.Duration(r.deadline(start, firstWithin, cfg.StallTimeout) - now))
		select {
		case err := <-errc:
			t.Stop()
			if ctx.Err() != nil {
				return outcome{}, false
			}
			out := classify(err, spec.password)
			out.streamed = streamed()
			return out, true

		case <-r.signal:
			t.Stop()
			streamingSince = r.liveSince.Load()
			s.setHealth(evctx, matthan.StateStreaming, reasonStreaming, reasonStreamingVI)

		case <-t.C():
			now := s.m.mono(s.m.clock.Now())
			if now < r.deadline(start, firstWithin, cfg.StallTimeout) {
				continue // video came meanwhile
			}
			cancel()
			<-errc
			if ctx.Err() != nil {
				return outcome{}, false
			}
			out := stallOutcome(r.live.Load(), r.quality.corrupt(), cfg.StallTimeout, firstWithin)
			out.streamed = streamed()
			return out, true

		case <-ctx.Done():
			t.Stop()
			cancel()
			<-errc
			return outcome{}, false
		}
	}
}

func stallOutcome(hadVideo, corrupt bool, stall, firstWithin time.Duration) outcome {
	if corrupt {
		en, vi := matthan.FormatDuration(stall)
		return outcome{state: matthan.StateStalled,
			reason:   fmt.Sprintf("data arrives but is not valid video (no decodable video for %s)", en),
			reasonVI: fmt.Sprintf("có dữ liệu nhưng không phải hình hợp lệ (không giải mã được hình trong %s)", vi)}
	}
	if hadVideo {
		en, vi := matthan.FormatDuration(stall)
		return outcome{state: matthan.StateStalled,
			reason:   fmt.Sprintf("no video for %s although the connection is open", en),
			reasonVI: fmt.Sprintf("không có hình trong %s dù kết nối vẫn mở", vi)}
	}
	en, vi := matthan.FormatDuration(firstWithin)
	return outcome{state: matthan.StateStalled,
		reason:   fmt.Sprintf("no video within %s of connecting", en),
		reasonVI: fmt.Sprintf("không nhận được hình trong %s kể từ khi kết nối", vi)}
}

// classify turns what a pull returned into the state it moves the stream to.
func classify(err error, password string) outcome {
	var se *matthan.StreamError
	if errors.As(err, &se) {
		state := se.State
		switch state {
		case matthan.StateOffline, matthan.StateAuthFailed, matthan.StateUnsupported,
			matthan.StateBadURL, matthan.StateStalled:
		default:
			state = matthan.StateOffline
		}
		return outcome{state: state, reason: se.Reason, reasonVI: se.ReasonVI}
	}
	if err == nil {
		return outcome{state: matthan.StateOffline,
			reason: "the camera ended the stream", reasonVI: "camera đã kết thúc luồng"}
	}
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "***")
	}
	return outcome{state: matthan.StateOffline,
		reason: "connection lost: " + msg, reasonVI: "mất kết nối: " + msg}
}

// pushSession is one publisher's session, handed from StartPush to the supervisor.
type pushSession struct {
	r      *receiver
	remote string
	start  int64 // mono
	ended  chan error
	once   sync.Once
	taken  chan struct{} // closed once the supervisor follows the session
}

func newPushSession(s *stream, remote string, now time.Time) *pushSession {
	return &pushSession{r: newReceiver(s), remote: remote, start: s.m.mono(now), ended: make(chan error, 1), taken: make(chan struct{})}
}

// finish is the done func StartPush returns: it ends the session once.
func (ps *pushSession) finish(err error) {
	ps.once.Do(func() {
		ps.r.end()
		ps.ended <- err
	})
}

// runPush follows the sessions publishers open for the stream until ctx ends.
func (s *stream) runPush(ctx, evctx context.Context, sup *supervisor) {
	cfg := &s.m.cfg
	var cur *pushSession
	stalled := false // cur stalled: wait for video without a deadline
	defer func() {
		if cur != nil {
			cur.r.end()
		}
	}()
	for {
		if cur == nil {
			select {
			case <-ctx.Done():
				return
			case cur = <-sup.pushCh:
				stalled = false
				s.log.Info("push session started", "remote", cur.remote)
				s.pushStarted(evctx, cur)
				close(cur.taken)
			}
			continue
		}

		var timeout <-chan time.Time
		var t Timer
		if !stalled {
			now := s.m.mono(s.m.clock.Now())
			t = s.m.clock.NewTimer(time.Duration(cur.r.deadline(cur.start, cfg.StallTimeout, cfg.StallTimeout) - now))
			timeout = t.C()
		}
		stop := func() {
			if t != nil {
				t.Stop()
			}
		}
		select {
		case <-ctx.Done():
			stop()
			return

		case next := <-sup.pushCh:
			stop()
			cur.r.stop()
			s.log.Info("push session replaced by a newer one", "remote", next.remote)
			cur, stalled = next, false
			s.pushStarted(evctx, cur)
			close(cur.taken)

		case err := <-cur.ended:
			stop()
			s.log.Info("push session ended", "remote", cur.remote, "err", err)
			cur = nil
			en, vi := "the camera stopped pushing", "camera đã ngừng đẩy hình"
			var se *matthan.StreamError
			if errors.As(err, &se) {
				en, vi = se.Reason, se.ReasonVI
			} else if err != nil {
				en, vi = en+": "+err.Error(), vi+": "+err.Error()
			}
			s.setHealth(evctx, matthan.StateOffline, en, vi)

		case <-cur.r.signal:
			stop()
			stalled = false
			s.setHealth(evctx, matthan.StateStreaming, reasonStreaming, reasonStreamingVI)

		case <-timeout:
			now := s.m.mono(s.m.clock.Now())
			if now < cur.r.deadline(cur.start, cfg.StallTimeout, cfg.StallTimeout) {
				continue
			}
			// The publisher's session stays open (we cannot end it from
			// here); the next video unit brings the stream back.
			stalled = true
			out := stallOutcome(cur.r.live.Load(), cur.r.quality.corrupt(), cfg.StallTimeout, cfg.StallTimeout)
			cur.r.live.Store(false)
			s.setHealth(evctx, out.state, out.reason, out.reasonVI)
		}
	}
}

// pushStarted notes a new session without changing the state: the first
// video unit makes the stream streaming.
func (s *stream) pushStarted(evctx context.Context, ps *pushSession) {
	s.mu.Lock()
	state := s.health.State
	s.mu.Unlock()
	if state == matthan.StateOffline {
		s.setHealth(evctx, state,
			fmt.Sprintf("the camera connected from %s; waiting for video", ps.remote),
			fmt.Sprintf("camera đã kết nối từ %s; đang chờ hình", ps.remote))
	}
}

// Reasons of the states the supervisor sets by itself.
const (
	reasonConnecting   = "connecting to the camera"
	reasonConnectingVI = "đang kết nối tới camera"
	reasonStreaming    = "receiving video"
	reasonStreamingVI  = "đang nhận hình"
	reasonWaitPush     = "waiting for the camera to push"
	reasonWaitPushVI   = "đang chờ camera đẩy hình lên"
)
