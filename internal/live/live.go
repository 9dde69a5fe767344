// Package live serves a camera's live video to browsers: WebRTC with
// WHEP-style signalling (H.264 passed through, sub-second latency) and, as a
// fallback, fragmented MP4 over a WebSocket for Media Source Extensions.
//
// Every viewer subscribes to the stream's hub, so all viewers of a camera
// share the one camera connection that ingest keeps. Nothing is transcoded.
package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"matthan"
	"matthan/internal/media"
)

// HubSource finds the hub of a camera's stream; internal/ingest.Manager is one.
type HubSource interface {
	// Hub returns nil when the camera has no such stream.
	Hub(cameraID string, role matthan.StreamRole) *media.Hub
}

// ICEConfig says where WebRTC media flows. The post's LAN has no internet,
// so by default there is no STUN server: only host candidates (LAN and
// loopback addresses), which is all a browser on the same network needs.
type ICEConfig struct {
	// UDPAddr, when set (e.g. ":8189"), carries every session's media on
	// that one UDP socket: a single port to open in a firewall.
	UDPAddr string
	// PortMin and PortMax bound the ephemeral UDP ports used when UDPAddr is
	// empty; zero means any port.
	PortMin, PortMax uint16
	// IPs limits host candidates to these local addresses; empty means every
	// interface address.
	IPs []string
	// AnnounceIPs replaces the host candidates' addresses with these (1:1
	// NAT, e.g. a container whose published address differs).
	AnnounceIPs []string
	// NoLoopback leaves out loopback candidates (kept by default so a
	// browser on the node itself connects).
	NoLoopback bool
	// STUN servers ("stun:host:port"); none by default.
	STUN []string
}

// Deps is what the live service needs.
type Deps struct {
	Hubs HubSource
	Log  *slog.Logger
	ICE  ICEConfig
	// MaxViewers bounds concurrent sessions over both transports; 0 means no limit.
	MaxViewers int
	// ConnectTimeout bounds how long a WebRTC session waits for its peer to
	// connect; 0 means 10 s.
	ConnectTimeout time.Duration
	// Queue is each viewer's hub queue in units; 0 means 128 (about 4 s of 25 fps video with audio).
	Queue int
}

// Server runs the live sessions. Close ends them all.
type Server struct {
	deps   Deps
	log    *slog.Logger
	api    *webrtc.API
	udpMux io.Closer // the shared ICE UDP socket, if any

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions map[string]*session // by id
	closed   bool

	started   [2]atomic.Uint64 // by transport
	frames    [2]atomic.Uint64
	bytes     [2]atomic.Uint64
	skips     atomic.Uint64
	delaySum  atomic.Int64 // ns, hub unit to RTP send, over units with a local wall time
	delayN    atomic.Uint64
	delayLast atomic.Int64
}

// Transport names how a session sends video.
type Transport string

const (
	WebRTC Transport = "webrtc"
	MSE    Transport = "mse"
)

func (t Transport) index() int {
	if t == MSE {
		return 1
	}
	return 0
}

// Info describes one live session.
type Info struct {
	ID        string             `json:"id"`
	Transport Transport          `json:"transport"`
	CameraID  string             `json:"camera_id"`
	Role      matthan.StreamRole `json:"role"`
	Video     media.Codec        `json:"video"`
	Audio     string             `json:"audio"` // "PCMU", "PCMA" or "" (no audio)
	// AudioNote says why there is no audio when the camera has some.
	AudioNote   string    `json:"audio_note,omitempty"`
	AudioNoteVI string    `json:"audio_note_vi,omitempty"`
	Remote      string    `json:"remote"`
	Started     time.Time `json:"started"`
}

// session is one viewer.
type session struct {
	info   Info
	cancel context.CancelFunc
}

// New builds the service. It opens the shared ICE UDP socket when
// deps.ICE.UDPAddr is set.
func New(deps Deps) (*Server, error) {
	if deps.Hubs == nil {
		return nil, errors.New("live: no hub source")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.ConnectTimeout <= 0 {
		deps.ConnectTimeout = 10 * time.Second
	}
	if deps.Queue <= 0 {
		deps.Queue = 128
	}
	s := &Server{deps: deps, log: deps.Log, sessions: make(map[string]*session)}
	api, mux, err := newAPI(deps.ICE, deps.Log)
	if err != nil {
		return nil, err
	}
	s.api, s.udpMux = api, mux
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Close ends every session and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.udpMux != nil {
		return s.udpMux.Close()
	}
	return nil
}

// EndCamera ends every live session of a camera now: its owner stopped
// sharing its live view. It returns how many were ended.
func (s *Server) EndCamera(cameraID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ss := range s.sessions {
		if ss.info.CameraID == cameraID {
			ss.cancel()
			n++
		}
	}
	return n
}

// Sessions returns how many viewers are watching now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// List returns the current sessions, oldest first.
func (s *Server) List() []Info {
	s.mu.Lock()
	out := make([]Info, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss.info)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// Session returns one session's description.
func (s *Server) Session(id string) (Info, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[id]; ss != nil {
		return ss.info, true
	}
	return Info{}, false
}

// Stats are the service's figures since it started.
type Stats struct {
	Viewers  map[Transport]int
	Started  map[Transport]uint64
	Frames   map[Transport]uint64
	Bytes    map[Transport]uint64
	Skips    uint64        // times a viewer fell behind and was moved to the next keyframe
	SendLast time.Duration // WebRTC: hub unit arrival to RTP send, the last one
	SendAvg  time.Duration // and the mean
}

// Stats returns the figures.
func (s *Server) Stats() Stats {
	st := Stats{Viewers: map[Transport]int{WebRTC: 0, MSE: 0}, Started: map[Transport]uint64{},
		Frames: map[Transport]uint64{}, Bytes: map[Transport]uint64{}}
	s.mu.Lock()
	for _, ss := range s.sessions {
		st.Viewers[ss.info.Transport]++
	}
	s.mu.Unlock()
	for _, t := range []Transport{WebRTC, MSE} {
		st.Started[t] = s.started[t.index()].Load()
		st.Frames[t] = s.frames[t.index()].Load()
		st.Bytes[t] = s.bytes[t.index()].Load()
	}
	st.Skips = s.skips.Load()
	st.SendLast = time.Duration(s.delayLast.Load())
	if n := s.delayN.Load(); n > 0 {
		st.SendAvg = time.Duration(s.delaySum.Load() / int64(n))
	}
	return st
}

// WriteMetrics writes the figures in the Prometheus text format.
func (s *Server) WriteMetrics(w io.Writer) error {
	st := s.Stats()
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	family := func(name, kind, help string, v func(Transport) float64) {
		p("# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
		for _, t := range []Transport{WebRTC, MSE} {
			p("%s{transport=%q} %g\n", name, t, v(t))
		}
	}
	family("matthan_live_viewers", "gauge", "Live viewers now.",
		func(t Transport) float64 { return float64(st.Viewers[t]) })
	family("matthan_live_sessions_total", "counter", "Live sessions started.",
		func(t Transport) float64 { return float64(st.Started[t]) })
	family("matthan_live_frames_total", "counter", "Video frames sent to live viewers.",
		func(t Transport) float64 { return float64(st.Frames[t]) })
	family("matthan_live_bytes_total", "counter", "Media bytes sent to live viewers.",
		func(t Transport) float64 { return float64(st.Bytes[t]) })
	p("# HELP matthan_live_skips_total Times a live viewer fell behind and was moved to the next keyframe.\n")
	p("# TYPE matthan_live_skips_total counter\nmatthan_live_skips_total %d\n", st.Skips)
	p("# HELP matthan_live_send_delay_seconds Time from a unit reaching the node to its RTP packets being sent (WebRTC).\n")
	p("# TYPE matthan_live_send_delay_seconds summary\n")
	p("matthan_live_send_delay_seconds_sum %g\n", time.Duration(s.delaySum.Load()).Seconds())
	p("matthan_live_send_delay_seconds_count %d\n", s.delayN.Load())
	return err
}

// add registers a session and counts n goroutines of it in s.wg (each
// calls s.wg.Done); it fails when the service is closed or full.
func (s *Server) add(ss *session, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return matthan.Errorf(matthan.ECONFLICT, "The live service is shutting down", "Dịch vụ xem trực tiếp đang dừng")
	}
	if s.deps.MaxViewers > 0 && len(s.sessions) >= s.deps.MaxViewers {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("Too many live viewers (at most %d); close another view and try again", s.deps.MaxViewers),
			fmt.Sprintf("Quá nhiều người đang xem trực tiếp (tối đa %d); hãy đóng bớt một khung hình rồi thử lại", s.deps.MaxViewers))
	}
	s.sessions[ss.info.ID] = ss
	s.wg.Add(n) // under mu, so Close's Wait never misses it
	s.started[ss.info.Transport.index()].Add(1)
	return nil
}

func (s *Server) remove(id string) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
}

func (s *Server) recordDelay(d time.Duration) {
	s.delaySum.Add(int64(d))
	s.delayN.Add(1)
	s.delayLast.Store(int64(d))
}

func newSessionID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// hubFor finds the hub of a stream that is streaming now, or says why not.
func (s *Server) hubFor(cameraID string, role matthan.StreamRole) (*media.Hub, *media.Desc, error) {
	if role != matthan.StreamMain && role != matthan.StreamSub {
		return nil, nil, &matthan.Error{Code: matthan.EINVALID,
			Message: "The stream must be main or sub", MessageVI: "Luồng phải là main (chính) hoặc sub (phụ)",
			Fields: []matthan.FieldError{{Field: "stream", Message: "must be main or sub", MessageVI: "phải là main hoặc sub"}}}
	}
	hub := s.deps.Hubs.Hub(cameraID, role)
	if hub == nil {
		return nil, nil, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("Camera %s has no %s", cameraID, roleEN(role)),
			fmt.Sprintf("Camera %s không có %s", cameraID, roleVI(role)))
	}
	d := hub.Desc()
	if d == nil {
		return nil, nil, matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("Camera %s is not streaming its %s now; try again in a moment", cameraID, roleEN(role)),
			fmt.Sprintf("Camera %s hiện không phát %s; hãy thử lại sau giây lát", cameraID, roleVI(role)))
	}
	if d.Video() < 0 {
		return nil, nil, matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("Camera %s sends no video on its %s", cameraID, roleEN(role)),
			fmt.Sprintf("Camera %s không gửi hình trên %s", cameraID, roleVI(role)))
	}
	return hub, d, nil
}

func roleEN(r matthan.StreamRole) string {
	if r == matthan.StreamSub {
		return "sub-stream"
	}
	return "main stream"
}

func roleVI(r matthan.StreamRole) string {
	if r == matthan.StreamSub {
		return "luồng phụ"
	}
	return "luồng chính"
}

// errCodec says the browser cannot play the stream's codec, and offers the sub-stream.
func errCodec(cameraID string, role matthan.StreamRole, codec media.Codec, howEN, howVI string) error {
	en := fmt.Sprintf("The %s of camera %s is %s, which this browser cannot play %s.", roleEN(role), cameraID, codecName(codec), howEN)
	vi := fmt.Sprintf("Camera %s phát %s bằng mã %s, trình duyệt này không phát được %s.", cameraID, roleVI(role), codecName(codec), howVI)
	if role == matthan.StreamMain {
		en += " Open the sub-stream instead."
		vi += " Hãy mở luồng phụ."
	}
	return &matthan.Error{Code: matthan.EINVALID, Message: en, MessageVI: vi,
		Fields: []matthan.FieldError{{Field: "stream",
			Message: "codec " + codecName(codec) + " cannot be played", MessageVI: "không phát được mã " + codecName(codec)}}}
}

func codecName(c media.Codec) string {
	switch c {
	case media.H264:
		return "H.264"
	case media.H265:
		return "H.265"
	case media.G711:
		return "G.711"
	}
	return string(c)
}

// localUDPAddr reports the shared ICE socket's address, for tests and logs.
func (s *Server) localUDPAddr() net.Addr {
	if c, ok := s.udpMux.(interface{ LocalAddr() net.Addr }); ok {
		return c.LocalAddr()
	}
	return nil
}
