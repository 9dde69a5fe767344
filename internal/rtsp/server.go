package rtsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"matthan"
	"matthan/internal/media"
)

// Registry is what the server needs to know about cameras.
type Registry interface {
	// Hub returns the hub of a camera's stream, or nil if unknown.
	Hub(cameraID string, role matthan.StreamRole) *media.Hub
	// PushCredentials returns the credentials a publisher must present for a
	// camera; ok is false for an unknown camera or one that is not pushed.
	PushCredentials(cameraID string) (user, pass string, ok bool)
	// StartPush is called when a publisher starts recording. Units go to the
	// returned Receiver; done is called once, with the reason, when it leaves.
	StartPush(cameraID string, role matthan.StreamRole, remote string) (media.Receiver, func(err error), error)
}

// Server re-serves every camera stream at rtsp://host:port/<camera>/<main|sub>
// to authenticated readers, and accepts streams pushed (ANNOUNCE/RECORD) to
// the same paths with the camera's credentials.
type Server struct {
	// Addr is the TCP address to listen on, e.g. ":8554" (":0" picks a port).
	Addr string
	// UDPRTPAddr and UDPRTCPAddr, both set, enable the UDP transport
	// (consecutive ports, the RTP one even, e.g. ":8000" and ":8001").
	UDPRTPAddr, UDPRTCPAddr string

	Registry Registry
	// Authenticate checks a reader's user name and password (Basic auth) and
	// returns the user's name for the audit log. Nil refuses every reader.
	Authenticate func(user, pass string) (name string, ok bool)
	// LiveRefusal says why a camera may not be restreamed now (its owner
	// does not share it live, or it has privacy masks, which a restream
	// cannot paint); "" allows it. A refused reader gets 403 with that
	// reason. Nil allows every camera.
	LiveRefusal func(cameraID string) string
	// Audit records each successful PLAY. Optional.
	Audit func(ctx context.Context, e *matthan.AuditEntry)
	Log   *slog.Logger

	srv    *gortsplib.Server
	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	pumps  sync.WaitGroup

	mu         sync.Mutex
	restreams  map[streamKey]*restream
	readers    map[*gortsplib.ServerSession]*reader
	publishers map[streamKey]*publisher
	published  map[*gortsplib.ServerSession]*publisher
	authorized map[*gortsplib.ServerConn]authorization // last Authorization header that passed, per connection
}

type streamKey struct {
	camera string
	role   matthan.StreamRole
}

func (k streamKey) String() string { return k.camera + "/" + string(k.role) }

type authorization struct {
	header string
	user   string
}

type reader struct {
	key    streamKey
	user   string
	stream *restream // set at PLAY
}

// Start listens and serves until Close.
func (s *Server) Start() error {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Registry == nil {
		return errors.New("rtsp server: no registry")
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.restreams = make(map[streamKey]*restream)
	s.readers = make(map[*gortsplib.ServerSession]*reader)
	s.publishers = make(map[streamKey]*publisher)
	s.published = make(map[*gortsplib.ServerSession]*publisher)
	s.authorized = make(map[*gortsplib.ServerConn]authorization)
	s.srv = &gortsplib.Server{
		Handler:        &handler{s: s},
		RTSPAddress:    s.Addr,
		UDPRTPAddress:  s.UDPRTPAddr,
		UDPRTCPAddress: s.UDPRTCPAddr,
	}
	if err := s.srv.Start(); err != nil {
		s.cancel()
		return fmt.Errorf("rtsp server: %w", err)
	}
	s.Log.Info("rtsp: server listening", "addr", s.ListenAddr())
	return nil
}

// ListenAddr returns the address the server listens on (useful with ":0").
func (s *Server) ListenAddr() string {
	if s.srv == nil || s.srv.NetListener() == nil {
		return ""
	}
	return s.srv.NetListener().Addr().String()
}

// Close disconnects every reader and publisher and waits for the server's goroutines.
func (s *Server) Close() {
	if s.srv == nil {
		return
	}
	s.srv.Close() // ends every session: OnSessionClose stops pumps and pushes
	s.mu.Lock()
	for _, rs := range s.restreams {
		s.retireLocked(rs)
	}
	s.mu.Unlock()
	s.pumps.Wait()
	s.cancel()
}

// Run serves until ctx is cancelled, then closes the server.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Wait() }()
	select {
	case <-ctx.Done():
		s.Close()
		<-errc
		return nil
	case err := <-errc:
		s.Close()
		return fmt.Errorf("rtsp server: %w", err)
	}
}

// parseStreamPath turns "/cam-1/main" into its key.
func parseStreamPath(path string) (streamKey, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" {
		return streamKey{}, false
	}
	role := matthan.StreamRole(parts[1])
	if role != matthan.StreamMain && role != matthan.StreamSub {
		return streamKey{}, false
	}
	return streamKey{camera: parts[0], role: role}, true
}

// refuse answers code with a reason in the status line, which clients show.
func refuse(code base.StatusCode, reason string) *base.Response {
	return &base.Response{StatusCode: code, StatusMessage: reason}
}

// badPath answers a path that names no stream. Each call builds a new
// response: gortsplib adds headers to it.
func badPath() *base.Response {
	return refuse(base.StatusNotFound, "Not Found: use /<camera id>/main or /<camera id>/sub")
}

// remoteAddr is the client's address for logs and the audit.
func remoteAddr(c *gortsplib.ServerConn) string {
	if c == nil || c.NetConn() == nil {
		return ""
	}
	return c.NetConn().RemoteAddr().String()
}

// authReader checks a reader's Basic credentials with Authenticate. Without
// credentials it answers 401 with a Basic challenge (we need the password
// itself, so Digest is not offered); with wrong ones it answers 401 and
// gortsplib closes the connection.
func (s *Server) authReader(c *gortsplib.ServerConn, req *base.Request) (string, *base.Response, error) {
	challenge := func() *base.Response {
		return &base.Response{
			StatusCode: base.StatusUnauthorized,
			Header:     base.Header{"WWW-Authenticate": base.HeaderValue{`Basic realm="matthan"`}},
		}
	}
	values := req.Header["Authorization"]
	if len(values) != 1 {
		return "", challenge(), nil
	}
	s.mu.Lock()
	cached, ok := s.authorized[c]
	s.mu.Unlock()
	if ok && cached.header == values[0] {
		return cached.user, nil, nil
	}
	var a headers.Authorization
	if err := a.Unmarshal(values); err != nil || a.Method != headers.AuthMethodBasic || a.Username == "" {
		return "", challenge(), nil
	}
	if s.Authenticate == nil {
		return "", challenge(), liberrors.ErrServerAuth{}
	}
	name, ok := s.Authenticate(a.Username, a.BasicPass)
	if !ok {
		s.Log.Warn("rtsp: reader refused", "user", a.Username, "remote", remoteAddr(c))
		return "", &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	s.mu.Lock()
	s.authorized[c] = authorization{header: values[0], user: name}
	s.mu.Unlock()
	return name, nil, nil
}

// refused answers 403, with LiveRefusal's reason, when the camera may not
// be restreamed now.
func (s *Server) refused(key streamKey) *base.Response {
	if s.LiveRefusal == nil {
		return nil
	}
	if why := s.LiveRefusal(key.camera); why != "" {
		return refuse(base.StatusForbidden, "Forbidden: "+why)
	}
	return nil
}

// EndCamera disconnects every reader of a camera's restreams now: its
// owner stopped sharing its live view, or it got privacy masks (LiveRefusal).
func (s *Server) EndCamera(cameraID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, rs := range s.restreams {
		if key.camera == cameraID {
			s.retireLocked(rs)
		}
	}
}

// handler receives gortsplib's callbacks, keeping them off Server's API.
type handler struct{ s *Server }

func (h *handler) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	h.s.mu.Lock()
	delete(h.s.authorized, ctx.Conn)
	h.s.mu.Unlock()
}

func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	s := h.s
	key, ok := parseStreamPath(ctx.Path)
	if !ok {
		return badPath(), nil, nil
	}
	if _, res, err := s.authReader(ctx.Conn, ctx.Request); res != nil {
		return res, nil, err
	}
	if res := s.refused(key); res != nil {
		return res, nil, nil
	}
	rs, res := s.restreamFor(key)
	if res != nil {
		return res, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, rs.stream, nil
}

func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	s := h.s
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil // a publisher, checked at ANNOUNCE
	}
	key, ok := parseStreamPath(ctx.Path)
	if !ok {
		return badPath(), nil, nil
	}
	user, res, err := s.authReader(ctx.Conn, ctx.Request)
	if res != nil {
		return res, nil, err
	}
	if res := s.refused(key); res != nil {
		return res, nil, nil
	}
	rs, res := s.restreamFor(key)
	if res != nil {
		return res, nil, nil
	}
	s.mu.Lock()
	if r := s.readers[ctx.Session]; r == nil || r.key != key {
		s.readers[ctx.Session] = &reader{key: key, user: user}
	}
	s.mu.Unlock()
	return &base.Response{StatusCode: base.StatusOK}, rs.stream, nil
}

func (h *handler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	s := h.s
	user, res, err := s.authReader(ctx.Conn, ctx.Request)
	if res != nil {
		return res, err
	}
	s.mu.Lock()
	r := s.readers[ctx.Session]
	var rs *restream
	if r != nil {
		rs = s.restreams[r.key]
	}
	if rs == nil || rs.stream != ctx.Session.Stream() {
		s.mu.Unlock()
		// The stream changed between SETUP and PLAY: the reader must start over.
		return refuse(base.StatusNotFound, "Not Found: the stream changed, reconnect"), nil
	}
	r.user = user
	if r.stream == nil {
		r.stream = rs
		rs.readers++
		if rs.readers == 1 {
			s.startPumpLocked(rs)
		}
	}
	s.mu.Unlock()

	remote := remoteAddr(ctx.Conn)
	s.Log.Info("rtsp: reader playing", "camera", r.key.camera, "stream", r.key.role, "user", user, "remote", remote)
	if s.Audit != nil {
		s.Audit(s.ctx, &matthan.AuditEntry{
			At:       time.Now().UTC(),
			User:     user,
			Action:   "live.rtsp",
			CameraID: r.key.camera,
			Stream:   r.key.role,
			Remote:   remote,
		})
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *handler) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	return h.s.announce(ctx)
}

func (h *handler) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	return h.s.record(ctx)
}

func (h *handler) OnPacketsLost(ctx *gortsplib.ServerHandlerOnPacketsLostCtx) {
	h.s.mu.Lock()
	p := h.s.published[ctx.Session]
	h.s.mu.Unlock()
	if p != nil && p.recv != nil {
		p.recv.PacketsLost(ctx.Lost)
	}
}

func (h *handler) OnDecodeError(ctx *gortsplib.ServerHandlerOnDecodeErrorCtx) {
	h.s.mu.Lock()
	p := h.s.published[ctx.Session]
	h.s.mu.Unlock()
	if p != nil && p.dp != nil {
		p.dp.decodeError(ctx.Error)
	}
}

func (h *handler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	s := h.s
	s.mu.Lock()
	if r := s.readers[ctx.Session]; r != nil {
		delete(s.readers, ctx.Session)
		if rs := r.stream; rs != nil {
			rs.readers--
			if rs.readers == 0 {
				rs.stopPump() // nobody watches: stop taking units from the hub
			}
		}
	}
	p := s.published[ctx.Session]
	if p != nil {
		delete(s.published, ctx.Session)
		if s.publishers[p.key] == p {
			delete(s.publishers, p.key)
			// Readers of this stream would wait for units that no longer come.
			if rs := s.restreams[p.key]; rs != nil {
				s.retireLocked(rs)
			}
		}
	}
	s.mu.Unlock()
	if p != nil {
		p.finish(ctx.Error)
	}
}
