package rtsp

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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

// packetTime is when a packet's content happened.
type packetTime struct {
	pts        time.Duration
	wall       time.Time
	fromSender bool
	rtpTime    uint32
}

// depacketizer turns the RTP packets of one session (pulled or pushed) into
// units. The bytes come from the network: anything that does not decode is
// counted and dropped, never trusted.
type depacketizer struct {
	recv media.Receiver
	log  *slog.Logger

	mu     sync.Mutex // packets of different tracks may arrive on different goroutines
	desc   *media.Desc
	tracks []*trackDecoder

	decodeErrors atomic.Uint64
}

// trackDecoder holds one track's RTP decoder and the timing of its last packet.
type trackDecoder struct {
	h264 *rtph264.Decoder
	h265 *rtph265.Decoder
	aac  *rtpmpeg4audio.Decoder
	g711 *rtplpcm.Decoder

	prev    packetTime
	hasPrev bool
}

// newDepacketizer prepares decoders for the tracks of sel, in order: the
// track index of a packet is its index in sel.
func newDepacketizer(sel []selected, recv media.Receiver, log *slog.Logger) (*depacketizer, error) {
	d := &depacketizer{recv: recv, log: log, desc: &media.Desc{}}
	for _, s := range sel {
		td := &trackDecoder{}
		var err error
		switch f := s.format.(type) {
		case *format.H264:
			td.h264, err = f.CreateDecoder()
		case *format.H265:
			td.h265, err = f.CreateDecoder()
		case *format.MPEG4Audio:
			td.aac, err = f.CreateDecoder()
		case *format.G711:
			td.g711, err = f.CreateDecoder()
		default:
			err = fmt.Errorf("%s: %w", s.format.Codec(), errUnsupported)
		}
		if err != nil {
			return nil, fmt.Errorf("create %s decoder: %w", s.format.Codec(), err)
		}
		d.desc.Tracks = append(d.desc.Tracks, s.track)
		d.tracks = append(d.tracks, td)
	}
	return d, nil
}

// Desc returns the current description.
func (d *depacketizer) Desc() *media.Desc {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.desc
}

// DecodeErrors counts packets and parameter sets that could not be decoded.
func (d *depacketizer) DecodeErrors() uint64 { return d.decodeErrors.Load() }

// decodeError counts err and logs it sparsely (1st, 2nd, 4th, 8th… error),
// so a stream of garbage cannot flood the log.
func (d *depacketizer) decodeError(err error) {
	n := d.decodeErrors.Add(1)
	d.recv.DecodeErrors(1)
	if d.log != nil && bits.OnesCount64(n) == 1 {
		d.log.Warn("rtsp: cannot decode packet", "err", err, "errors", n)
	}
}

// durationFromClock converts v clock-rate units into a duration without overflow.
func durationFromClock(v int64, clockRate int) time.Duration {
	r := int64(clockRate)
	if r <= 0 {
		return 0
	}
	return time.Duration(v/r)*time.Second + time.Duration(v%r)*time.Second/time.Duration(r)
}

// clockFromDuration converts a duration into clock-rate units without overflow.
func clockFromDuration(d time.Duration, clockRate int) int64 {
	r := int64(clockRate)
	return int64(d/time.Second)*r + int64(d%time.Second)*r/int64(time.Second)
}

// handle decodes one RTP packet of track i. pts is its presentation time in
// clock-rate units; ntp is the sender's wall clock (from RTCP sender reports)
// when ntpOK, else received is used.
func (d *depacketizer) handle(i int, pkt *rtp.Packet, pts int64, ntp time.Time, ntpOK bool, received time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i < 0 || i >= len(d.tracks) {
		return
	}
	td := d.tracks[i]
	cur := packetTime{
		pts:        durationFromClock(pts, d.desc.Tracks[i].ClockRate),
		wall:       received,
		fromSender: ntpOK,
		rtpTime:    pkt.Timestamp,
	}
	if ntpOK {
		cur.wall = ntp
	}
	// A video decoder without a marker bit ends an access unit when the next
	// one starts: what it returns then belongs to the previous packet.
	at := cur
	if td.hasPrev && !pkt.Marker && pkt.Timestamp != td.prev.rtpTime {
		at = td.prev
	}
	td.prev, td.hasPrev = cur, true

	switch {
	case td.h264 != nil:
		au, err := td.h264.Decode(pkt)
		if err != nil {
			if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) {
				d.decodeError(err)
			}
			return
		}
		d.videoUnit(i, au, at)

	case td.h265 != nil:
		au, err := td.h265.Decode(pkt)
		if err != nil {
			if !errors.Is(err, rtph265.ErrMorePacketsNeeded) && !errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
				d.decodeError(err)
			}
			return
		}
		d.videoUnit(i, au, at)

	case td.aac != nil:
		aus, err := td.aac.Decode(pkt)
		if err != nil {
			if !errors.Is(err, rtpmpeg4audio.ErrMorePacketsNeeded) {
				d.decodeError(err)
			}
			return
		}
		aus = slices.DeleteFunc(aus, func(b []byte) bool { return len(b) == 0 })
		if len(aus) > 0 {
			d.emit(i, aus, cur, false)
		}

	case td.g711 != nil:
		samples, err := td.g711.Decode(pkt)
		if err != nil {
			d.decodeError(err)
			return
		}
		if len(samples) > 0 {
			d.emit(i, [][]byte{samples}, cur, false)
		}
	}
}

func (d *depacketizer) emit(i int, data [][]byte, at packetTime, key bool) {
	d.recv.WriteUnit(&media.Unit{
		Desc:           d.desc,
		Track:          i,
		PTS:            at.pts,
		Wall:           at.wall,
		WallFromSender: at.fromSender,
		Key:            key,
		Data:           data,
	})
}

// videoUnit publishes one access unit, first taking in any parameter sets it carries.
func (d *depacketizer) videoUnit(i int, au [][]byte, at packetTime) {
	au = slices.DeleteFunc(au, func(b []byte) bool { return len(b) == 0 })
	if len(au) == 0 {
		return
	}
	d.updateParams(i, au)
	t := &d.desc.Tracks[i]
	var key bool
	if t.Codec == media.H264 {
		key = h264.IsRandomAccess(au) && t.SPS != nil && t.PPS != nil
	} else {
		key = h265.IsRandomAccess(au) && t.VPS != nil && t.SPS != nil && t.PPS != nil
	}
	d.emit(i, au, at, key)
}

// updateParams replaces the description when au carries parameter sets that
// differ from the current ones (e.g. the camera changed its resolution), so
// consumers notice the change by the new Desc pointer.
func (d *depacketizer) updateParams(i int, au [][]byte) {
	t := d.desc.Tracks[i]
	vps, sps, pps := t.VPS, t.SPS, t.PPS
	for _, nalu := range au {
		if t.Codec == media.H264 {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeSPS:
				sps = nalu
			case h264.NALUTypePPS:
				pps = nalu
			}
		} else {
			switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				vps = nalu
			case h265.NALUType_SPS_NUT:
				sps = nalu
			case h265.NALUType_PPS_NUT:
				pps = nalu
			}
		}
	}
	if bytes.Equal(vps, t.VPS) && bytes.Equal(sps, t.SPS) && bytes.Equal(pps, t.PPS) {
		return
	}
	if !bytes.Equal(sps, t.SPS) {
		var w, h int
		var err error
		if t.Codec == media.H264 {
			w, h, err = h264Size(sps)
		} else {
			w, h, err = h265Size(sps)
		}
		if err != nil {
			d.decodeError(err)
			return
		}
		t.SPS, t.Width, t.Height = bytes.Clone(sps), w, h
	}
	if t.Codec == media.H265 {
		t.VPS = bytes.Clone(vps)
	}
	t.PPS = bytes.Clone(pps)

	desc := &media.Desc{Tracks: slices.Clone(d.desc.Tracks)}
	desc.Tracks[i] = t
	d.desc = desc
	if d.log != nil {
		d.log.Info("rtsp: video parameters changed", "codec", t.Codec, "width", t.Width, "height", t.Height)
	}
}
