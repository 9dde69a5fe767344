package rtsp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtplpcm"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"matthan/internal/media"
)

// restreamQueue is how many units a restream may lag behind its hub before
// the hub skips it to the next keyframe.
const restreamQueue = 512

// restream serves one hub's Desc as a gortsplib stream. A new Desc means a
// new restream: the old one is closed and its readers reconnect.
type restream struct {
	key    streamKey
	hub    *media.Hub
	desc   *media.Desc
	stream *gortsplib.ServerStream
	tracks []*trackEncoder // by Desc track index

	// Guarded by Server.mu.
	readers  int
	sub      *media.Subscription
	pumpDone chan struct{} // closed when the last pump goroutine ended
	retired  bool

	// Used by the one pump goroutine running at a time.
	ptsBase    time.Duration
	ptsBaseSet bool
}

// trackEncoder re-packetizes one track.
type trackEncoder struct {
	media     *description.Media
	track     media.Track
	clockRate int
	tsBase    uint32 // random first RTP timestamp, as RFC 3550 asks

	h264 *rtph264.Encoder
	h265 *rtph265.Encoder
	aac  *rtpmpeg4audio.Encoder
	g711 *rtplpcm.Encoder
}

// restreamFor returns the live restream of key, making one (and retiring a
// stale one) when the hub's Desc changed. It answers 404 when the camera is
// unknown or not streaming.
func (s *Server) restreamFor(key streamKey) (*restream, *base.Response) {
	hub := s.Registry.Hub(key.camera, key.role)
	if hub == nil {
		return nil, refuse(base.StatusNotFound, "Not Found: unknown camera or stream")
	}
	desc := hub.Desc()
	if desc == nil {
		s.Log.Info("rtsp: reader asked for a camera that is not streaming", "camera", key.camera, "stream", key.role)
		return nil, refuse(base.StatusNotFound, "Not Found: camera not streaming")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rs := s.restreams[key]; rs != nil {
		if rs.desc == desc {
			return rs, nil
		}
		s.retireLocked(rs)
	}
	rs, err := newRestream(s.srv, key, hub, desc)
	if err != nil {
		s.Log.Error("rtsp: cannot restream", "camera", key.camera, "stream", key.role, "err", err)
		return nil, refuse(base.StatusInternalServerError, "Internal Server Error: cannot restream this camera")
	}
	s.restreams[key] = rs
	return rs, nil
}

func newRestream(srv *gortsplib.Server, key streamKey, hub *media.Hub, desc *media.Desc) (*restream, error) {
	rs := &restream{key: key, hub: hub, desc: desc}
	session := &description.Session{}
	for i := range desc.Tracks {
		t := &desc.Tracks[i]
		f, err := formatFromTrack(t, uint8(96+i))
		if err != nil {
			return nil, err
		}
		te := &trackEncoder{track: *t, clockRate: f.ClockRate(), tsBase: randomUint32()}
		switch f := f.(type) {
		case *format.H264:
			te.h264, err = f.CreateEncoder()
		case *format.H265:
			te.h265, err = f.CreateEncoder()
		case *format.MPEG4Audio:
			te.aac, err = f.CreateEncoder()
		case *format.G711:
			te.g711, err = f.CreateEncoder()
		}
		if err != nil {
			return nil, fmt.Errorf("create %s encoder: %w", t.Codec, err)
		}
		typ := description.MediaTypeAudio
		if t.IsVideo() {
			typ = description.MediaTypeVideo
		}
		te.media = &description.Media{Type: typ, Formats: []format.Format{f}}
		session.Medias = append(session.Medias, te.media)
		rs.tracks = append(rs.tracks, te)
	}
	rs.stream = &gortsplib.ServerStream{Server: srv, Desc: session}
	if err := rs.stream.Initialize(); err != nil {
		return nil, fmt.Errorf("initialize stream: %w", err)
	}
	return rs, nil
}

func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return binary.BigEndian.Uint32(b[:])
}

// startPumpLocked subscribes to the hub and copies its units to the stream
// until stopPump. A previous pump must have ended first: encoders and the
// timestamp base belong to one goroutine at a time. Called with Server.mu held.
func (s *Server) startPumpLocked(rs *restream) {
	if rs.retired || rs.sub != nil {
		return
	}
	sub := rs.hub.Subscribe(restreamQueue)
	rs.sub = sub
	prev := rs.pumpDone
	done := make(chan struct{})
	rs.pumpDone = done
	s.pumps.Add(1)
	go func() {
		defer s.pumps.Done()
		defer close(done)
		if prev != nil {
			<-prev
		}
		for u := range sub.Units() {
			if u.Desc != rs.desc {
				// New parameters: readers must reconnect to a stream that declares them.
				s.Log.Info("rtsp: stream changed, closing restream", "camera", rs.key.camera, "stream", rs.key.role)
				s.mu.Lock()
				s.retireLocked(rs)
				s.mu.Unlock()
				return
			}
			rs.write(u)
		}
	}()
}

// stopPump ends the hub subscription; the pump drains what it holds and ends.
// Called with Server.mu held.
func (rs *restream) stopPump() {
	if rs.sub != nil {
		rs.sub.Close()
		rs.sub = nil
	}
}

// retireLocked closes the stream (disconnecting its readers) and forgets it.
// Called with Server.mu held.
func (s *Server) retireLocked(rs *restream) {
	if rs.retired {
		return
	}
	rs.retired = true
	if s.restreams[rs.key] == rs {
		delete(s.restreams, rs.key)
	}
	rs.stopPump()
	rs.stream.Close()
}

// write re-packetizes one unit; only the pump goroutine calls it.
func (rs *restream) write(u *media.Unit) {
	if u.Track < 0 || u.Track >= len(rs.tracks) {
		return
	}
	if !rs.ptsBaseSet {
		rs.ptsBase, rs.ptsBaseSet = u.PTS, true
	}
	te := rs.tracks[u.Track]
	var pkts []*rtp.Packet
	var err error
	switch {
	case te.h264 != nil:
		au := u.Data
		if u.Key {
			au = withParams(media.H264, au, h264Params(&te.track))
		}
		pkts, err = te.h264.Encode(au)
	case te.h265 != nil:
		au := u.Data
		if u.Key {
			au = withParams(media.H265, au, h265Params(&te.track))
		}
		pkts, err = te.h265.Encode(au)
	case te.aac != nil:
		pkts, err = te.aac.Encode(u.Data)
	case te.g711 != nil:
		for _, samples := range u.Data {
			var p []*rtp.Packet
			if p, err = te.g711.Encode(samples); err != nil {
				break
			}
			pkts = append(pkts, p...)
		}
	}
	if err != nil {
		return // a unit we cannot packetize is dropped; the next keyframe recovers
	}
	ts := te.tsBase + uint32(clockFromDuration(u.PTS-rs.ptsBase, te.clockRate))
	for _, pkt := range pkts {
		pkt.Timestamp += ts
		// Errors only mean the stream was closed meanwhile.
		_ = rs.stream.WritePacketRTPWithNTP(te.media, pkt, u.Wall)
	}
}

func h264Params(t *media.Track) [][]byte {
	if t.SPS == nil || t.PPS == nil {
		return nil
	}
	return [][]byte{t.SPS, t.PPS}
}

func h265Params(t *media.Track) [][]byte {
	if t.VPS == nil || t.SPS == nil || t.PPS == nil {
		return nil
	}
	return [][]byte{t.VPS, t.SPS, t.PPS}
}

// withParams puts the parameter sets in front of a keyframe that lacks them,
// so a reader can start decoding from any keyframe.
func withParams(codec media.Codec, au, params [][]byte) [][]byte {
	if len(params) == 0 || hasParams(codec, au) {
		return au
	}
	return append(slices.Clone(params), au...)
}

// hasParams reports whether au carries an SPS (and, for H.265, a VPS).
func hasParams(codec media.Codec, au [][]byte) bool {
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		if codec == media.H264 && h264.NALUType(nalu[0]&0x1f) == h264.NALUTypeSPS {
			return true
		}
		if codec == media.H265 && h265.NALUType((nalu[0]>>1)&0x3f) == h265.NALUType_SPS_NUT {
			return true
		}
	}
	return false
}
