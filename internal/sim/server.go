// Package sim simulates a ward's cameras on one machine: N cameras, each with
// a main and a sub stream served over RTSP, looping real clips in real time,
// with faults (drop, stall, garbage, password, resolution change, offline)
// switched on demand for tests and demos.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"

	"matthan"
)

// DefaultAddr is where the simulator listens unless told otherwise; it
// stays off the node's own RTSP port (8554).
const DefaultAddr = "127.0.0.1:8555"

// tickEvery is how often the pacers look for frames that are due: small
// against a 40 ms frame, large enough to cost nothing with 100 cameras.
const tickEvery = 10 * time.Millisecond

// Config says what to simulate.
type Config struct {
	Addr    string // RTSP listen address; "" means DefaultAddr; port 0 picks a free port
	Cameras int    // how many cameras
	// H265Every makes every n-th camera's main stream H.265 (cam-004, cam-008…
	// for 4), as many real cameras' are; 0 means all H.264.
	H265Every int
	// UDPRTPAddr and UDPRTCPAddr (consecutive even/odd ports) enable the UDP
	// transport; empty means TCP only, which clients reach by falling back.
	UDPRTPAddr  string
	UDPRTCPAddr string
	// StampTime writes the wall-clock time each frame is sent into the
	// frame, as an SEI message (see StampUUID), so a viewer on this machine
	// can measure glass-to-glass latency.
	StampTime bool
}

// Server serves the simulated cameras over RTSP.
type Server struct {
	lib  *Library
	cfg  Config
	log  *slog.Logger
	cams []*camera
	byID map[string]*camera

	rtsp *gortsplib.Server

	mu       sync.Mutex
	addr     string // where the RTSP server listens, once started
	sessions map[*gortsplib.ServerSession]*session
	conns    map[*gortsplib.ServerConn]*camera
	// playPending holds streams a connection's PLAY is starting, until its response.
	playPending map[*gortsplib.ServerConn]*stream
	started     bool
	closed      bool
	stop        context.CancelFunc
	pacers      sync.WaitGroup
}

// camera is one simulated camera.
type camera struct {
	info  matthan.Camera
	clip  *clip
	main  *stream
	sub   *stream
	fault atomic.Pointer[Fault] // nil: healthy
}

// session is what the server knows about one RTSP session.
type session struct {
	stream  *stream
	playing bool
}

// stream is one of a camera's RTSP streams and the state of its playback.
type stream struct {
	cam     *camera
	role    matthan.StreamRole
	base    *variant // what it normally sends
	alt     *variant // what the resolution fault sends (main, H.264 only)
	srv     *gortsplib.ServerStream
	media   *description.Media
	readers atomic.Int32 // sessions playing it; nothing is written without one
	// keyWanted asks for a keyframe now: a new reader gets a decodable
	// picture at once, as real cameras do on connect.
	keyWanted atomic.Bool

	// Playback state, owned by the stream's pacer goroutine.
	start    time.Time     // wall time of frame 0
	frameDur time.Duration // 1/fps
	ticks    uint32        // RTP clock ticks (90 kHz) per frame
	offset   int           // clip frame that frame 0 shows
	next     int64         // next frame number to send; never goes back
	cur      *variant      // variant being sent; changes only at keyframes
	needKey  bool          // jump to the next keyframe before sending more
	seq      uint16
	tsBase   uint32
	pkt      rtp.Packet
	rng      *rand.Rand
	junk     []byte
	stamp    []byte // the SEI NAL unit being sent; nil: frames are not stamped
}

// New builds a simulator for cfg.Cameras cameras of the Ward, looping the
// library's clips. Nothing listens until Start or Run.
func New(lib *Library, cfg Config, log *slog.Logger) (*Server, error) {
	if lib == nil || len(lib.clips) == 0 {
		return nil, errors.New("sim: empty clip library")
	}
	if cfg.Cameras < 1 {
		return nil, matthan.Errorf(matthan.EINVALID,
			"sim: cameras must be at least 1", "sim: số camera phải từ 1 trở lên")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		lib:         lib,
		cfg:         cfg,
		log:         log,
		byID:        make(map[string]*camera, cfg.Cameras),
		sessions:    make(map[*gortsplib.ServerSession]*session),
		conns:       make(map[*gortsplib.ServerConn]*camera),
		playPending: make(map[*gortsplib.ServerConn]*stream),
	}
	for i, info := range Ward(cfg.Cameras) {
		c := &camera{info: info, clip: lib.clips[i%len(lib.clips)]}
		main := c.clip.main
		alt := c.clip.alt
		if cfg.H265Every > 0 && (i+1)%cfg.H265Every == 0 {
			main, alt = c.clip.mainH265, nil
		}
		// Different cameras show different moments of their clip.
		offset := (i/len(lib.clips)*97 + i*53) % len(main.frames)
		c.main = &stream{cam: c, role: matthan.StreamMain, base: main, alt: alt, offset: offset}
		c.sub = &stream{cam: c, role: matthan.StreamSub, base: c.clip.sub,
			offset: offset * subFPS / mainFPS % len(c.clip.sub.frames)}
		s.cams = append(s.cams, c)
		s.byID[info.ID] = c
	}
	return s, nil
}

// Start listens and starts streaming; it returns once clients can connect.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("sim: already started")
	}
	s.started = true

	s.rtsp = &gortsplib.Server{
		Handler:        &rtspHandler{s: s},
		RTSPAddress:    s.cfg.Addr,
		UDPRTPAddress:  s.cfg.UDPRTPAddr,
		UDPRTCPAddress: s.cfg.UDPRTCPAddr,
		// A whole 1080p keyframe is written at once; leave room for it.
		WriteQueueSize: 1024,
		Listen: func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err != nil {
				return nil, err
			}
			s.addr = l.Addr().String() // under s.mu: Start holds it
			return batchListener{l}, nil
		},
	}
	if err := s.rtsp.Start(); err != nil {
		return fmt.Errorf("sim: start RTSP server on %s: %w", s.cfg.Addr, err)
	}

	now := time.Now()
	var all []*stream
	for i, c := range s.cams {
		// Spread cameras over the frame interval so they do not all send at once.
		start := now.Add(time.Duration(i%8) * 5 * time.Millisecond)
		for _, st := range []*stream{c.main, c.sub} {
			if err := s.initStream(st, start); err != nil {
				s.closeStreams()
				s.rtsp.Close()
				return err
			}
			all = append(all, st)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	workers := max(1, min(runtime.GOMAXPROCS(0), 4, len(all)))
	shards := make([][]*stream, workers)
	for i, st := range all {
		shards[i%workers] = append(shards[i%workers], st)
	}
	for _, shard := range shards {
		s.pacers.Go(func() { pace(ctx, shard) })
	}
	s.log.Info("simulated cameras ready", "cameras", len(s.cams), "rtsp", "rtsp://"+s.addr+"/")
	return nil
}

func (s *Server) initStream(st *stream, start time.Time) error {
	st.media = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{st.base.sdpFormat()}}
	st.srv = &gortsplib.ServerStream{Server: s.rtsp, Desc: &description.Session{
		Title:  st.cam.info.Name,
		Medias: []*description.Media{st.media},
	}}
	if err := st.srv.Initialize(); err != nil {
		return fmt.Errorf("sim: stream %s/%s: %w", st.cam.info.ID, st.role, err)
	}
	st.start = start
	st.frameDur = time.Second / time.Duration(st.base.fps)
	st.ticks = uint32(90000 / st.base.fps)
	st.cur = st.base
	st.needKey = true
	st.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	st.seq = uint16(st.rng.Uint32())
	st.tsBase = st.rng.Uint32()
	if s.cfg.StampTime {
		st.stamp = make([]byte, 0, 64)
	}
	return nil
}

// Run starts the simulator and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	s.Close()
	return nil
}

// Close stops streaming and disconnects every client.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.started || s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()

	s.stop()
	s.pacers.Wait()
	s.closeStreams()
	s.rtsp.Close()
}

func (s *Server) closeStreams() {
	for _, c := range s.cams {
		for _, st := range []*stream{c.main, c.sub} {
			if st.srv != nil {
				st.srv.Close()
			}
		}
	}
}

// Addr returns the address the RTSP server listens on ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns a camera stream's RTSP URL (on the configured address until
// Start has chosen the real one).
func (s *Server) URL(cameraID string, role matthan.StreamRole) string {
	addr := s.Addr()
	if addr == "" {
		addr = s.cfg.Addr
	}
	return "rtsp://" + addr + "/" + cameraID + "/" + string(role)
}

// Cameras returns the simulated cameras, ready to register: Ward's data with
// the main and sub URLs filled in. Credentials are empty: cameras need none
// unless a password fault is set.
func (s *Server) Cameras() []matthan.Camera {
	out := make([]matthan.Camera, len(s.cams))
	for i, c := range s.cams {
		out[i] = c.info
		out[i].Tags = append([]string(nil), c.info.Tags...)
		out[i].MainURL = s.URL(c.info.ID, matthan.StreamMain)
		out[i].SubURL = s.URL(c.info.ID, matthan.StreamSub)
	}
	return out
}

// pace sends every due frame of its streams, each tick, until ctx ends.
func pace(ctx context.Context, streams []*stream) {
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, st := range streams {
				st.catchUp(now)
			}
		}
	}
}

// catchUp sends the frames whose time has come.
func (st *stream) catchUp(now time.Time) {
	elapsed := now.Sub(st.start)
	if elapsed < 0 {
		return
	}
	due := int64(elapsed / st.frameDur)
	if due-st.next > int64(st.base.fps) {
		// More than a second behind (the machine stalled us): skip ahead
		// as a real camera would, rather than burst old frames.
		st.next = due
		st.needKey = true
	}
	for ; st.next <= due; st.next++ {
		st.sendFrame(st.next)
	}
}

// index returns the clip frame that frame number n shows.
func (st *stream) index(n int64) int {
	return int((int64(st.offset) + n) % int64(len(st.base.frames)))
}

// sendFrame sends frame number n (counted from the start, across loops).
func (st *stream) sendFrame(n int64) {
	kind := FaultNone
	if f := st.cam.fault.Load(); f != nil {
		kind = f.Kind
	}
	if kind == FaultStall || kind == FaultOffline {
		st.needKey = true
		return
	}
	if st.readers.Load() == 0 {
		st.needKey = true // the next reader starts at a keyframe
		return
	}
	if st.keyWanted.Swap(false) {
		st.needKey = true
	}

	idx := st.index(n)
	if st.needKey && kind != FaultGarbage && !st.base.frames[idx].key {
		// Resume (or start a new reader) with a picture that decodes on its
		// own: jump ahead in the clip to its next keyframe. Timestamps do not
		// jump; the picture does, by less than a GOP.
		st.offset = (st.offset + st.base.untilKey(idx)) % len(st.base.frames)
		idx = st.index(n)
	}
	want := st.base
	if kind == FaultResolution && st.alt != nil {
		want = st.alt
	}
	if want != st.cur && want.frames[idx].key {
		st.cur = want // new SPS/PPS arrive in-band with this keyframe
	}
	fr := &st.cur.frames[idx]

	// Timestamps follow the frame count, so they keep rising across loops.
	ts := st.tsBase + uint32(n)*st.ticks
	ntp := st.start.Add(time.Duration(n) * st.frameDur)

	if kind == FaultGarbage {
		st.needKey = true
		for _, p := range fr.packets {
			if cap(st.junk) < len(p.payload) {
				st.junk = make([]byte, rtpPayloadMax)
			}
			junk := st.junk[:len(p.payload)]
			for i := range junk {
				junk[i] = byte(st.rng.Uint32())
			}
			st.write(junk, p.marker, ts, ntp)
		}
		return
	}

	st.needKey = false
	if st.stamp != nil {
		st.stamp = appendStamp(st.stamp[:0], st.cur.codec, time.Now())
		st.write(st.stamp, false, ts, ntp)
	}
	for _, p := range fr.packets {
		st.write(p.payload, p.marker, ts, ntp)
	}
}

// write sends one packet. The payload is shared by every camera showing the
// clip; gortsplib copies it into its own buffer before returning.
func (st *stream) write(payload []byte, marker bool, ts uint32, ntp time.Time) {
	st.pkt.Header = rtp.Header{
		Version:        2,
		PayloadType:    payloadType,
		SequenceNumber: st.seq,
		Timestamp:      ts,
		Marker:         marker,
	}
	st.pkt.Payload = payload
	st.seq++
	// The only error is a closed stream, during shutdown.
	_ = st.srv.WritePacketRTPWithNTP(st.media, &st.pkt, ntp)
}

// lookup finds the stream a request path names: "/cam-001/main".
func (s *Server) lookup(path string) *stream {
	id, role, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok {
		return nil
	}
	c := s.byID[id]
	if c == nil {
		return nil
	}
	switch matthan.StreamRole(role) {
	case matthan.StreamMain:
		return c.main
	case matthan.StreamSub:
		return c.sub
	}
	return nil
}

// disconnect closes every session and connection of a camera.
func (s *Server) disconnect(c *camera) int {
	s.mu.Lock()
	var sessions []*gortsplib.ServerSession
	var conns []*gortsplib.ServerConn
	for ss, info := range s.sessions {
		if info.stream.cam == c {
			sessions = append(sessions, ss)
		}
	}
	for sc, cam := range s.conns {
		if cam == c {
			conns = append(conns, sc)
		}
	}
	s.mu.Unlock()
	// Close only signals the session or connection; it does not wait.
	for _, ss := range sessions {
		ss.Close()
	}
	for _, sc := range conns {
		sc.Close()
	}
	return len(sessions) + len(conns)
}

// rtspHandler answers RTSP requests; it is a separate type so its
// gortsplib callbacks stay out of Server's API.
type rtspHandler struct{ s *Server }

var (
	errOffline      = errors.New("camera is offline (simulated)")
	errNoSuchStream = errors.New("no such camera stream")
)

// admit decides whether a request for st may proceed under the camera's fault.
func (h *rtspHandler) admit(conn *gortsplib.ServerConn, req *base.Request, st *stream) (*base.Response, error) {
	if st == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, errNoSuchStream
	}
	if f := st.cam.fault.Load(); f != nil {
		switch f.Kind {
		case FaultOffline:
			// A dark camera does not answer: drop the connection unanswered.
			conn.NetConn().Close()
			return &base.Response{StatusCode: base.StatusServiceUnavailable}, errOffline
		case FaultPassword:
			if !conn.VerifyCredentials(req, f.User, f.Password) {
				return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
			}
		}
	}
	return nil, nil
}

func (h *rtspHandler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	h.s.mu.Lock()
	st := h.s.lookup(ctx.Path)
	h.s.mu.Unlock()
	if res, err := h.admit(ctx.Conn, ctx.Request, st); res != nil {
		return res, nil, err
	}
	h.s.mu.Lock()
	h.s.conns[ctx.Conn] = st.cam
	h.s.mu.Unlock()
	return &base.Response{StatusCode: base.StatusOK}, st.srv, nil
}

func (h *rtspHandler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	h.s.mu.Lock()
	st := h.s.lookup(ctx.Path)
	h.s.mu.Unlock()
	if res, err := h.admit(ctx.Conn, ctx.Request, st); res != nil {
		return res, nil, err
	}
	h.s.mu.Lock()
	h.s.conns[ctx.Conn] = st.cam
	if _, ok := h.s.sessions[ctx.Session]; !ok {
		h.s.sessions[ctx.Session] = &session{stream: st}
	}
	h.s.mu.Unlock()
	return &base.Response{StatusCode: base.StatusOK}, st.srv, nil
}

func (h *rtspHandler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if ss := h.s.sessions[ctx.Session]; ss != nil && !ss.playing {
		ss.playing = true
		ss.stream.readers.Add(1)
		// gortsplib adds the session to the stream's readers only after
		// OnPlay returns; OnResponse asks for the keyframe after that.
		h.s.playPending[ctx.Conn] = ss.stream
		h.s.log.Debug("reader started", "camera", ss.stream.cam.info.ID, "stream", ss.stream.role)
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *rtspHandler) OnPause(ctx *gortsplib.ServerHandlerOnPauseCtx) (*base.Response, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if ss := h.s.sessions[ctx.Session]; ss != nil && ss.playing {
		ss.playing = false
		ss.stream.readers.Add(-1)
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *rtspHandler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	ss := h.s.sessions[ctx.Session]
	if ss == nil {
		return
	}
	delete(h.s.sessions, ctx.Session)
	if ss.playing {
		ss.stream.readers.Add(-1)
	}
}

func (h *rtspHandler) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	delete(h.s.conns, ctx.Conn)
	delete(h.s.playPending, ctx.Conn)
}

// OnResponse runs once the session has handled the request; after a PLAY
// the session is among the stream's readers, so its keyframe reaches it.
func (h *rtspHandler) OnResponse(conn *gortsplib.ServerConn, res *base.Response) {
	h.s.mu.Lock()
	st := h.s.playPending[conn]
	delete(h.s.playPending, conn)
	h.s.mu.Unlock()
	if st != nil && res.StatusCode == base.StatusOK {
		st.keyWanted.Store(true)
	}
}

func (h *rtspHandler) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	// A reader too slow to keep up loses packets, as with a real camera.
	h.s.log.Debug("reader too slow, packets dropped", "error", ctx.Error)
}
