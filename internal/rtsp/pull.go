package rtsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/pion/rtp"

	"matthan"
	"matthan/internal/media"
	"matthan/internal/secret"
)

// Transports a PullRequest may ask for.
const (
	TransportAuto = "auto" // UDP first, TCP when no UDP packet arrives
	TransportTCP  = "tcp"
	TransportUDP  = "udp"
)

// DefaultTimeout bounds each request and the silence of a session when
// PullRequest.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// PullRequest says which stream to pull and how.
type PullRequest struct {
	URL      string // rtsp:// or rtsps://, usually without user info
	Username string
	Password string
	// Transport is TransportAuto (also ""), TransportTCP or TransportUDP.
	Transport string
	// Timeout bounds each request and the silence of the session.
	Timeout time.Duration
}

// Pull connects to a camera, plays its video track (H.264 or H.265) and its
// first AAC or G.711 audio track, and delivers units to r until ctx is
// cancelled (it then returns nil) or the session fails. Every failure is a
// *matthan.StreamError whose State tells the health machine what happened;
// neither its Reason nor its Err contains the password.
func Pull(ctx context.Context, req PullRequest, r media.Receiver, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, serr := pullURL(req)
	if serr != nil {
		return serr
	}
	password, _ := u.User.Password()
	withCredentials := u.User != nil && u.User.Username() != ""
	fail := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return classify(err, withCredentials, password, req.Password)
	}
	log = log.With("url", secret.RedactURL(u.String()))

	protocol, serr := pullProtocol(req.Transport)
	if serr != nil {
		return serr
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	var dp *depacketizer
	c := &gortsplib.Client{
		Scheme:       u.Scheme,
		Host:         u.Host,
		ReadTimeout:  timeout,
		WriteTimeout: timeout,
		Protocol:     protocol,
		DialContext:  dialBuffered,
		OnPacketsLost: func(lost uint64) {
			r.PacketsLost(lost)
		},
		OnDecodeError: func(err error) {
			if dp != nil {
				dp.decodeError(scrub(err, password, req.Password))
			}
		},
		OnTransportSwitch: func(err error) {
			log.Info("rtsp: switching transport", "reason", scrub(err, password, req.Password))
		},
	}
	if err := c.Start(); err != nil {
		return fail(err)
	}
	defer c.Close()
	// Closing the client unblocks every request and Wait below.
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()

	desc, _, err := c.Describe(u)
	if err != nil {
		return fail(err)
	}
	sel, found := selectTracks(desc.Medias)
	if len(sel) == 0 {
		return streamError(matthan.StateUnsupported,
			"the camera has no H.264 or H.265 video (found: "+codecList(found)+")",
			"camera không có video H.264 hoặc H.265 (tìm thấy: "+codecList(found)+")",
			fmt.Errorf("no supported video track among %s", codecList(found)))
	}
	dp, err = newDepacketizer(sel, r, log)
	if err != nil {
		return streamError(matthan.StateUnsupported,
			"the camera's video cannot be decoded",
			"không giải mã được video của camera", err)
	}

	for i, s := range sel {
		if _, err := c.Setup(desc.BaseURL, s.media, 0, 0); err != nil {
			return fail(err)
		}
		c.OnPacketRTP(s.media, s.format, func(pkt *rtp.Packet) {
			received := time.Now()
			pts, ok := c.PacketPTS(s.media, pkt)
			if !ok {
				return // waiting for a packet whose timing can be decoded
			}
			ntp, ntpOK := c.PacketNTP(s.media, pkt)
			dp.handle(i, pkt, pts, ntp, ntpOK, received)
		})
	}
	if _, err := c.Play(nil); err != nil {
		return fail(err)
	}
	d := dp.Desc()
	log.Info("rtsp: playing", "tracks", len(d.Tracks), "codec", d.Tracks[0].Codec,
		"transport", transportName(c))

	err = c.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fail(err)
}

func transportName(c *gortsplib.Client) string {
	t := c.Transport()
	if t == nil || t.Session == nil {
		return ""
	}
	return t.Session.Protocol.String()
}

// pullURL parses req.URL and puts the credentials into its user info, where
// gortsplib takes them for Basic and Digest authentication.
func pullURL(req PullRequest) (*base.URL, *matthan.StreamError) {
	badURL := func(err error) (*base.URL, *matthan.StreamError) {
		// url.Error repeats the URL, which may hold a password: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, streamError(matthan.StateBadURL,
			"the stream URL cannot be parsed",
			"không đọc được địa chỉ luồng (URL)",
			scrub(fmt.Errorf("parse stream URL: %w", err), req.Password))
	}
	plain, err := url.Parse(req.URL)
	if err != nil {
		return badURL(err)
	}
	if plain.Scheme != "rtsp" && plain.Scheme != "rtsps" {
		return nil, streamError(matthan.StateBadURL,
			"the stream URL must start with rtsp:// or rtsps://",
			"địa chỉ luồng phải bắt đầu bằng rtsp:// hoặc rtsps://",
			fmt.Errorf("unsupported scheme %q", plain.Scheme))
	}
	u, err := base.ParseURL(req.URL)
	if err != nil {
		return badURL(err)
	}
	if u.Hostname() == "" {
		return nil, streamError(matthan.StateBadURL,
			"the stream URL has no host",
			"địa chỉ luồng thiếu tên máy hoặc địa chỉ IP", errors.New("no host in stream URL"))
	}
	if req.Username != "" {
		u.User = url.UserPassword(req.Username, req.Password)
	}
	return u, nil
}

func pullProtocol(transport string) (*gortsplib.Protocol, *matthan.StreamError) {
	var p gortsplib.Protocol
	switch transport {
	case "", TransportAuto:
		return nil, nil
	case TransportTCP:
		p = gortsplib.ProtocolTCP
	case TransportUDP:
		p = gortsplib.ProtocolUDP
	default:
		return nil, streamError(matthan.StateBadURL,
			"unknown RTSP transport "+fmt.Sprintf("%q", transport)+" (use auto, tcp or udp)",
			"giao thức truyền RTSP không hợp lệ "+fmt.Sprintf("%q", transport)+" (dùng auto, tcp hoặc udp)",
			fmt.Errorf("unknown transport %q", transport))
	}
	return &p, nil
}
