package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"matthan"
	"matthan/internal/media"
)

// SessionPath is where a WHEP session lives; DELETE on it ends the session.
const SessionPath = "/api/live/sessions/"

// Headers of the WHEP answer that describe the session to the player.
const (
	HeaderVideo = "X-Live-Video" // H264 or H265
	HeaderAudio = "X-Live-Audio" // PCMU, PCMA, or "none"
	// HeaderAudioNote is "aac" when the camera sends AAC, which WebRTC
	// cannot carry without transcoding, so the view has no sound.
	HeaderAudioNote = "X-Live-Audio-Note"
)

// maxOfferSize bounds an SDP offer; browsers send a few kilobytes.
const maxOfferSize = 64 << 10

// rtpMTU leaves room for SRTP and IP/UDP headers under a 1500-byte link MTU.
const rtpMTU = 1200

// offer is what a browser's SDP offer can receive, as far as we care.
type offer struct {
	video, audio bool
	h264, h265   bool // in packetization mode 1 for H.264
	pcmu, pcma   bool
}

// parseOffer reads the codecs of the offer's media sections.
func parseOffer(b []byte) (offer, error) {
	var o offer
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		return o, err
	}
	for _, md := range sd.MediaDescriptions {
		kind := md.MediaName.Media
		if kind != "video" && kind != "audio" {
			continue
		}
		fmtp := map[string]string{}
		for _, a := range md.Attributes {
			if a.Key == "fmtp" {
				pt, v, _ := strings.Cut(a.Value, " ")
				fmtp[pt] = v
			}
		}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			pt, enc, _ := strings.Cut(a.Value, " ")
			name, _, _ := strings.Cut(enc, "/")
			switch strings.ToUpper(name) {
			case "H264":
				if strings.Contains(fmtp[pt], "packetization-mode=1") {
					o.h264 = true
				}
			case "H265":
				o.h265 = true
			case "PCMU":
				o.pcmu = true
			case "PCMA":
				o.pcma = true
			}
		}
		if kind == "video" {
			o.video = true
		} else {
			o.audio = true
		}
	}
	return o, nil
}

// ServeWHEP answers a WHEP offer (POST, Content-Type application/sdp) for a
// camera's stream: 201 with the SDP answer, ICE gathering complete, and a
// Location under SessionPath. The session runs until the peer leaves or
// fails, the stream ends, DELETE on its Location, or Close. Errors are
// *matthan.Error (nothing is written then).
func (s *Server) ServeWHEP(w http.ResponseWriter, r *http.Request, cameraID string, role matthan.StreamRole) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
		return matthan.Errorf(matthan.EINVALID, "The offer must be sent as application/sdp", "Lời mời kết nối phải gửi dạng application/sdp")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferSize))
	if err != nil {
		return matthan.Errorf(matthan.EINVALID, "The SDP offer could not be read or is too large", "Không đọc được lời mời SDP hoặc lời mời quá lớn")
	}
	hub, desc, err := s.hubFor(cameraID, role)
	if err != nil {
		return err
	}
	of, err := parseOffer(body)
	if err != nil || !of.video {
		return matthan.Errorf(matthan.EINVALID, "The SDP offer is not valid or asks for no video", "Lời mời SDP không hợp lệ hoặc không xin nhận hình")
	}
	vt := desc.Tracks[desc.Video()]
	if vt.Codec == media.H264 && !of.h264 || vt.Codec == media.H265 && !of.h265 {
		return errCodec(cameraID, role, vt.Codec, "over WebRTC", "qua WebRTC")
	}

	info := Info{ID: newSessionID(), Transport: WebRTC, CameraID: cameraID, Role: role, Video: vt.Codec,
		Remote: r.RemoteAddr, Started: time.Now()}
	audio := -1
	for i := range desc.Tracks {
		t := &desc.Tracks[i]
		switch {
		case t.Codec == media.G711 && (t.SampleRate == 8000 || t.SampleRate == 0) && t.Channels <= 1 &&
			(t.MULaw && of.pcmu || !t.MULaw && of.pcma) && of.audio && audio < 0:
			audio = i
			info.Audio = g711Name(t.MULaw)
		case t.Codec == media.AAC && info.AudioNote == "":
			info.AudioNote = "The camera's sound is AAC, which WebRTC cannot carry: video only"
			info.AudioNoteVI = "Âm thanh của camera là AAC, WebRTC không truyền được: chỉ có hình"
		}
	}
	if audio >= 0 {
		info.AudioNote, info.AudioNoteVI = "", ""
	}

	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: iceServers(s.deps.ICE)})
	if err != nil {
		return fmt.Errorf("live: new peer connection: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			pc.Close()
		}
	}()
	p := &peer{pc: pc, connected: make(chan struct{}), gone: make(chan struct{})}
	pc.OnConnectionStateChange(p.onState)

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(body)}); err != nil {
		return &matthan.Error{Code: matthan.EINVALID,
			Message:   "The SDP offer was refused: " + err.Error(),
			MessageVI: "Lời mời SDP bị từ chối: " + err.Error()}
	}
	vcap := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}
	if vt.Codec == media.H265 {
		vcap.MimeType = webrtc.MimeTypeH265
	} else if len(vt.SPS) >= 4 {
		vcap.SDPFmtpLine = fmt.Sprintf("%s%02x%02x%02x", h264Fmtp, vt.SPS[1], vt.SPS[2], vt.SPS[3])
	}
	streamID := "matthan-" + cameraID + "-" + string(role)
	p.video, err = webrtc.NewTrackLocalStaticRTP(vcap, "video", streamID)
	if err != nil {
		return fmt.Errorf("live: video track: %w", err)
	}
	senders := []*webrtc.RTPSender{}
	vs, err := pc.AddTrack(p.video)
	if err != nil {
		return fmt.Errorf("live: add video track: %w", err)
	}
	senders = append(senders, vs)
	if audio >= 0 {
		mt := webrtc.MimeTypePCMA
		if desc.Tracks[audio].MULaw {
			mt = webrtc.MimeTypePCMU
		}
		p.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mt, ClockRate: 8000}, "audio", streamID)
		if err != nil {
			return fmt.Errorf("live: audio track: %w", err)
		}
		as, err := pc.AddTrack(p.audio)
		if err != nil {
			return fmt.Errorf("live: add audio track: %w", err)
		}
		senders = append(senders, as)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return &matthan.Error{Code: matthan.EINVALID,
			Message:   "No answer can be made to this SDP offer: " + err.Error(),
			MessageVI: "Không trả lời được lời mời SDP này: " + err.Error()}
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("live: set local description: %w", err)
	}
	// Host candidates only (no STUN on the post's LAN): gathering takes
	// milliseconds, so the answer carries every candidate and no trickle is needed.
	select {
	case <-gathered:
	case <-r.Context().Done():
		return r.Context().Err()
	case <-time.After(5 * time.Second):
		return errors.New("live: ICE gathering did not complete within 5 s")
	}

	ctx, cancel := context.WithCancel(s.ctx)
	ss := &session{info: info, cancel: cancel}
	if err := s.add(ss, 1+len(senders)); err != nil {
		cancel()
		return err
	}
	ok = true
	log := s.log.With("camera", cameraID, "stream", string(role), "session", info.ID[:8], "transport", "webrtc")
	for _, snd := range senders {
		go func() {
			defer s.wg.Done()
			drainRTCP(snd) // lets NACK and receiver reports reach the interceptors
		}()
	}
	go func() {
		defer s.wg.Done()
		defer s.remove(info.ID)
		defer cancel()
		defer pc.Close()
		reason := s.runWebRTC(ctx, p, hub, desc, audio)
		log.Info("live: session ended", "reason", reason)
	}()
	log.Info("live: session started", "remote", r.RemoteAddr, "audio", info.Audio)

	h := w.Header()
	h.Set("Content-Type", "application/sdp")
	h.Set("Location", SessionPath+info.ID)
	h.Set("Cache-Control", "no-store")
	h.Set(HeaderVideo, string(vt.Codec))
	if info.Audio != "" {
		h.Set(HeaderAudio, info.Audio)
	} else {
		h.Set(HeaderAudio, "none")
	}
	if info.AudioNote != "" {
		h.Set(HeaderAudioNote, "aac")
	}
	h.Set("Access-Control-Expose-Headers", "Location, "+HeaderVideo+", "+HeaderAudio+", "+HeaderAudioNote)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, pc.LocalDescription().SDP)
	return nil
}

func g711Name(mulaw bool) string {
	if mulaw {
		return "PCMU"
	}
	return "PCMA"
}

// ServeWHEPDelete ends a session (WebRTC or MSE) by its id.
func (s *Server) ServeWHEPDelete(w http.ResponseWriter, r *http.Request, sid string) error {
	s.mu.Lock()
	ss := s.sessions[sid]
	s.mu.Unlock()
	if ss == nil {
		return matthan.Errorf(matthan.ENOTFOUND, "No such live session", "Không có phiên xem trực tiếp này")
	}
	ss.cancel()
	w.WriteHeader(http.StatusOK)
	return nil
}

// peer is one WebRTC viewer's connection and tracks.
type peer struct {
	pc           *webrtc.PeerConnection
	video, audio *webrtc.TrackLocalStaticRTP
	once         [2]sync.Once
	connected    chan struct{}
	gone         chan struct{}
}

func (p *peer) onState(st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		p.once[0].Do(func() { close(p.connected) })
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		p.once[1].Do(func() { close(p.gone) })
	}
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

// runWebRTC sends the stream to a connected peer until something ends the
// session; it returns why.
func (s *Server) runWebRTC(ctx context.Context, p *peer, hub *media.Hub, desc *media.Desc, audio int) string {
	timer := time.NewTimer(s.deps.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-p.connected:
	case <-p.gone:
		return "peer failed before connecting"
	case <-timer.C:
		return "peer did not connect in time"
	case <-ctx.Done():
		return "closed"
	}
	// Subscribing only now means the viewer's first frame is the next
	// keyframe (the hub starts every subscription at one).
	sub := hub.Subscribe(s.deps.Queue)
	defer func() {
		s.skips.Add(sub.Skips())
		sub.Close()
	}()
	snd := newRTPSender(desc, audio)
	check := time.NewTicker(500 * time.Millisecond)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return "closed"
		case <-p.gone:
			return "peer left or failed"
		case <-check.C:
			if hub.Desc() == nil {
				return "stream ended"
			}
		case u, ok := <-sub.Units():
			if !ok {
				return "subscription closed"
			}
			if !snd.accept(u) {
				return "the stream's codec changed"
			}
			if err := snd.send(u, p, s); err != nil {
				return "send: " + err.Error()
			}
		}
	}
}

// rtpSender turns units into RTP packets with continuous timestamps, even
// across a new description (the camera reconnected or changed resolution).
type rtpSender struct {
	desc         *media.Desc
	video, audio int // track indexes in desc; audio -1 for none
	codec        media.Codec
	audioCodec   bool // MULaw of the negotiated audio
	waitKey      bool

	origin   time.Duration // PTS of the first unit of the current description
	offset   time.Duration // media time of origin on the session's timeline
	last     time.Duration // media time of the last video unit sent
	started  bool
	vBase    uint32
	aBase    uint32
	vSeq     uint16
	aSeq     uint16
	h264     codecs.H264Payloader
	h265     codecs.H265Payloader
	annexB   []byte
	hasAudio bool
}

func newRTPSender(d *media.Desc, audio int) *rtpSender {
	s := &rtpSender{desc: d, video: d.Video(), audio: audio, codec: d.Tracks[d.Video()].Codec,
		vBase: rand.Uint32(), aBase: rand.Uint32(), vSeq: uint16(rand.Uint32()), aSeq: uint16(rand.Uint32())}
	if audio >= 0 {
		s.hasAudio = true
		s.audioCodec = d.Tracks[audio].MULaw
	}
	return s
}

// accept follows a new description; it returns false when the video codec
// changed, which the negotiated session cannot follow.
func (s *rtpSender) accept(u *media.Unit) bool {
	if u.Desc == s.desc {
		return true
	}
	v := u.Desc.Video()
	if v < 0 || u.Desc.Tracks[v].Codec != s.codec {
		return false
	}
	s.desc, s.video, s.audio = u.Desc, v, -1
	if s.hasAudio {
		for i := range u.Desc.Tracks {
			if t := &u.Desc.Tracks[i]; t.Codec == media.G711 && t.MULaw == s.audioCodec {
				s.audio = i
				break
			}
		}
	}
	// A new session restarts its media time: continue one frame after the
	// last, from the new session's first keyframe.
	if s.started {
		s.offset = s.last + 40*time.Millisecond
		s.started = false
	}
	s.waitKey = true
	return true
}

func (s *rtpSender) mediaTime(pts time.Duration) time.Duration { return s.offset + pts - s.origin }

func ticks(d time.Duration, rate int64) uint32 {
	return uint32(int64(d/time.Millisecond)*rate/1000 + int64(d%time.Millisecond)*rate/int64(time.Second))
}

func (s *rtpSender) send(u *media.Unit, p *peer, srv *Server) error {
	switch {
	case u.Track == s.video:
		if s.waitKey && !u.Key {
			return nil
		}
		s.waitKey = false
		if !s.started {
			s.origin, s.started = u.PTS, true
		}
		mt := s.mediaTime(u.PTS)
		s.last = mt
		t := &s.desc.Tracks[s.video]
		s.annexB = s.annexB[:0]
		for _, n := range withParamSets(t, u) {
			s.annexB = append(s.annexB, 0, 0, 0, 1)
			s.annexB = append(s.annexB, n...)
		}
		var payloads [][]byte
		if s.codec == media.H265 {
			payloads = s.h265.Payload(rtpMTU, s.annexB)
		} else {
			payloads = s.h264.Payload(rtpMTU, s.annexB)
		}
		ts := s.vBase + ticks(mt, 90000)
		n := 0
		for i, pl := range payloads {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: s.vSeq, Timestamp: ts,
				Marker: i == len(payloads)-1}, Payload: pl}
			s.vSeq++
			if err := p.video.WriteRTP(&pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
				return err
			}
			n += len(pl)
		}
		if !u.WallFromSender && !u.Wall.IsZero() {
			srv.recordDelay(time.Since(u.Wall))
		}
		srv.frames[0].Add(1)
		srv.bytes[0].Add(uint64(n))
	case u.Track == s.audio && s.started && p.audio != nil:
		mt := s.mediaTime(u.PTS)
		for _, samples := range u.Data {
			for len(samples) > 0 {
				chunk := samples[:min(len(samples), rtpMTU)]
				samples = samples[len(chunk):]
				pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: s.aSeq,
					Timestamp: s.aBase + ticks(mt, 8000)}, Payload: chunk}
				s.aSeq++
				mt += time.Duration(len(chunk)) * time.Second / 8000
				if err := p.audio.WriteRTP(&pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
					return err
				}
				srv.bytes[0].Add(uint64(len(chunk)))
			}
		}
	}
	return nil
}
