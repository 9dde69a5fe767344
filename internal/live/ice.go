package live

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// h264Profiles are the H.264 profile-level-ids we answer with, all in
// packetization mode 1 (we send FU-A and STAP-A). The browser's own list
// decides; a stream whose profile the browser did not list is still sent
// under the closest one it did, since every browser decoder reads the
// parameter sets in band.
var h264Profiles = []string{"42001f", "42e01f", "4d001f", "64001f", "640c1f", "f4001f"}

const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id="

// mediaEngine registers only what we can send without transcoding.
func mediaEngine() (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	feedback := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	pt := webrtc.PayloadType(102)
	for _, p := range h264Profiles {
		if err := m.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
				SDPFmtpLine: h264Fmtp + p, RTCPFeedback: feedback},
			PayloadType: pt,
		}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
		pt++
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH265, ClockRate: 90000, RTCPFeedback: feedback},
		PayloadType:        pt,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newAPI builds the WebRTC API every session shares: codecs, NACK and RTCP
// reports, and the ICE settings. It returns the shared UDP socket, if any,
// for Close.
func newAPI(cfg ICEConfig, log *slog.Logger) (*webrtc.API, io.Closer, error) {
	m, err := mediaEngine()
	if err != nil {
		return nil, nil, fmt.Errorf("live: codecs: %w", err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, nil, fmt.Errorf("live: interceptors: %w", err)
	}
	var se webrtc.SettingEngine
	se.LoggerFactory = pionLogs{log.With("component", "webrtc")}
	se.SetIncludeLoopbackCandidate(!cfg.NoLoopback)
	// Browsers hide their LAN address behind an mDNS name; the server learns
	// it from the browser's first connectivity check (peer reflexive), so
	// there is nothing to resolve and no multicast socket per session.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// A viewer whose tab vanished is noticed within seconds, not half a minute.
	se.SetICETimeouts(3*time.Second, 5*time.Second, time.Second)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	if len(cfg.IPs) > 0 {
		keep := make(map[string]bool, len(cfg.IPs))
		for _, s := range cfg.IPs {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, nil, fmt.Errorf("live: ICE IP %q is not an IP address", s)
			}
			keep[ip.String()] = true
		}
		se.SetIPFilter(func(ip net.IP) bool { return keep[ip.String()] })
	}
	if len(cfg.AnnounceIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: cfg.AnnounceIPs, AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			return nil, nil, fmt.Errorf("live: ICE announce IPs: %w", err)
		}
	}
	var closer io.Closer
	if cfg.UDPAddr != "" {
		conn, err := net.ListenPacket("udp", cfg.UDPAddr)
		if err != nil {
			return nil, nil, fmt.Errorf("live: ICE UDP port %s: %w", cfg.UDPAddr, err)
		}
		mux := webrtc.NewICEUDPMux(se.LoggerFactory.NewLogger("udpmux"), conn)
		se.SetICEUDPMux(mux)
		closer = udpMux{mux, conn}
	} else if cfg.PortMin != 0 || cfg.PortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.PortMin, cfg.PortMax); err != nil {
			return nil, nil, fmt.Errorf("live: ICE UDP ports %d-%d: %w", cfg.PortMin, cfg.PortMax, err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), closer, nil
}

// udpMux closes the mux (and its socket) and tells where it listens.
type udpMux struct {
	ice.UDPMux
	conn net.PacketConn
}

func (u udpMux) LocalAddr() net.Addr { return u.conn.LocalAddr() }

// iceServers is the configuration's STUN list.
func iceServers(cfg ICEConfig) []webrtc.ICEServer {
	if len(cfg.STUN) == 0 {
		return nil
	}
	return []webrtc.ICEServer{{URLs: cfg.STUN}}
}

// pionLogs sends pion's errors to slog as warnings (a viewer's network
// trouble is not the node's error) and its warnings at debug level.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("scope", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) Trace(string)              {}
func (l pionLogger) Tracef(string, ...any)     {}
func (l pionLogger) Debug(string)              {}
func (l pionLogger) Debugf(string, ...any)     {}
func (l pionLogger) Info(string)               {}
func (l pionLogger) Infof(string, ...any)      {}
func (l pionLogger) Warn(msg string)           { l.log.Debug(msg) }
func (l pionLogger) Warnf(f string, a ...any)  { l.log.Debug(fmt.Sprintf(f, a...)) }
func (l pionLogger) Error(msg string)          { l.log.Warn(msg) }
func (l pionLogger) Errorf(f string, a ...any) { l.log.Warn(fmt.Sprintf(f, a...)) }
