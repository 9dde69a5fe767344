// Package rtsp connects Mắt Thần to RTSP peers with gortsplib: it pulls
// cameras (Pull), re-serves every stream and accepts pushed streams (Server),
// and turns RTP packets into media units (the depacketizer).
package rtsp

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"matthan/internal/media"
)

// maxPictureSide bounds the picture size we believe an SPS declares; larger
// values come from garbage that happened to parse.
const maxPictureSide = 16384

// errUnsupported marks a format we do not carry.
var errUnsupported = errors.New("unsupported codec")

// h264Size returns the picture size an H.264 SPS declares.
func h264Size(sps []byte) (width, height int, err error) {
	var s h264.SPS
	if err := s.Unmarshal(sps); err != nil {
		return 0, 0, fmt.Errorf("parse H.264 SPS: %w", err)
	}
	return checkSize(s.Width(), s.Height())
}

// h265Size returns the picture size an H.265 SPS declares.
func h265Size(sps []byte) (width, height int, err error) {
	var s h265.SPS
	if err := s.Unmarshal(sps); err != nil {
		return 0, 0, fmt.Errorf("parse H.265 SPS: %w", err)
	}
	return checkSize(s.Width(), s.Height())
}

func checkSize(w, h int) (int, int, error) {
	if w <= 0 || h <= 0 || w > maxPictureSide || h > maxPictureSide {
		return 0, 0, fmt.Errorf("implausible picture size %dx%d", w, h)
	}
	return w, h, nil
}

// trackFromFormat maps a gortsplib format to a track. Parameter sets that do
// not parse are left out (the track then waits for in-band ones).
func trackFromFormat(f format.Format) (media.Track, error) {
	switch f := f.(type) {
	case *format.H264:
		if f.PacketizationMode >= 2 {
			return media.Track{}, fmt.Errorf("H.264 packetization mode %d: %w", f.PacketizationMode, errUnsupported)
		}
		t := media.Track{Codec: media.H264, ClockRate: f.ClockRate()}
		sps, pps := f.SafeParams()
		if w, h, err := h264Size(sps); err == nil && len(pps) > 0 {
			t.SPS, t.PPS, t.Width, t.Height = bytes.Clone(sps), bytes.Clone(pps), w, h
		}
		return t, nil

	case *format.H265:
		if f.MaxDONDiff != 0 {
			return media.Track{}, fmt.Errorf("H.265 with sprop-max-don-diff: %w", errUnsupported)
		}
		t := media.Track{Codec: media.H265, ClockRate: f.ClockRate()}
		vps, sps, pps := f.SafeParams()
		if w, h, err := h265Size(sps); err == nil && len(vps) > 0 && len(pps) > 0 {
			t.VPS, t.SPS, t.PPS, t.Width, t.Height = bytes.Clone(vps), bytes.Clone(sps), bytes.Clone(pps), w, h
		}
		return t, nil

	case *format.MPEG4Audio:
		if f.Config == nil {
			return media.Track{}, fmt.Errorf("AAC without config: %w", errUnsupported)
		}
		cfg, err := f.Config.Marshal()
		if err != nil {
			return media.Track{}, fmt.Errorf("AAC config: %w", errUnsupported)
		}
		return media.Track{
			Codec:      media.AAC,
			ClockRate:  f.ClockRate(),
			AACConfig:  cfg,
			SampleRate: f.Config.SampleRate,
			Channels:   aacChannels(f.Config.ChannelConfig),
		}, nil

	case *format.G711:
		return media.Track{
			Codec:      media.G711,
			ClockRate:  f.ClockRate(),
			MULaw:      f.MULaw,
			SampleRate: f.SampleRate,
			Channels:   f.ChannelCount,
		}, nil
	}
	return media.Track{}, fmt.Errorf("%s: %w", f.Codec(), errUnsupported)
}

// aacChannels turns an AAC channel configuration into a channel count
// (0: declared by a program config element, unknown here).
func aacChannels(config uint8) int {
	switch {
	case config >= 1 && config <= 6:
		return int(config)
	case config == 7:
		return 8
	}
	return 0
}

// formatFromTrack builds the gortsplib format that carries t, for restreaming.
func formatFromTrack(t *media.Track, payloadType uint8) (format.Format, error) {
	switch t.Codec {
	case media.H264:
		return &format.H264{PayloadTyp: payloadType, SPS: t.SPS, PPS: t.PPS, PacketizationMode: 1}, nil
	case media.H265:
		return &format.H265{PayloadTyp: payloadType, VPS: t.VPS, SPS: t.SPS, PPS: t.PPS}, nil
	case media.AAC:
		var cfg mpeg4audio.AudioSpecificConfig
		if err := cfg.Unmarshal(t.AACConfig); err != nil {
			return nil, fmt.Errorf("AAC config: %w", err)
		}
		return &format.MPEG4Audio{
			PayloadTyp:       payloadType,
			Config:           &cfg,
			SizeLength:       13,
			IndexLength:      3,
			IndexDeltaLength: 3,
		}, nil
	case media.G711:
		pt := payloadType
		if t.SampleRate == 8000 && t.Channels == 1 {
			pt = 8 // static payload types: PCMU 0, PCMA 8
			if t.MULaw {
				pt = 0
			}
		}
		return &format.G711{PayloadTyp: pt, MULaw: t.MULaw, SampleRate: t.SampleRate, ChannelCount: t.Channels}, nil
	}
	return nil, fmt.Errorf("%s: %w", t.Codec, errUnsupported)
}

// selected is one media of a session we carry, and its track.
type selected struct {
	media  *description.Media
	format format.Format
	track  media.Track
}

// selectTracks picks the first H.264/H.265 video and the first AAC/G.711
// audio of a session. found lists every codec offered, for error messages.
func selectTracks(medias []*description.Media) (sel []selected, found []string) {
	var video, audio *selected
	for _, m := range medias {
		for _, f := range m.Formats {
			if !slices.Contains(found, f.Codec()) {
				found = append(found, f.Codec())
			}
			t, err := trackFromFormat(f)
			if err != nil {
				continue
			}
			s := &selected{media: m, format: f, track: t}
			switch {
			case t.IsVideo() && video == nil:
				video = s
			case !t.IsVideo() && audio == nil:
				audio = s
			}
		}
	}
	if video == nil {
		return nil, found
	}
	sel = append(sel, *video)
	if audio != nil && audio.media != video.media {
		sel = append(sel, *audio)
	}
	return sel, found
}

// codecList names codecs for a person: "MJPEG, MPEG-4 Audio" or "none".
func codecList(found []string) string {
	if len(found) == 0 {
		return "none"
	}
	return strings.Join(found, ", ")
}
