// Package fmp4 writes and scans the fragmented MP4 files the recorder makes.
//
// A file is an init segment (ftyp, moov), a small metadata box (free, with
// the segment's media and wall-clock start), then fragments (moof, mdat),
// each covering at most about a second of media and starting at every video
// keyframe. Fragments are written with a hand-written box encoder that reuses
// its buffers and copies each sample once, straight from the hub's units.
// Scan reads such a file back, however a crash may have cut it.
package fmp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	mcfmp4 "github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"matthan/internal/media"
)

// VideoTimeScale is the time scale of video tracks (the RTP clock of video).
const VideoTimeScale = 90000

// Meta is what a file says about itself beyond the MP4 boxes, so a file a
// crash left without an index row can still be indexed with its true times.
type Meta struct {
	MediaStart time.Duration // session media time of the first video sample
	Start      time.Time     // wall-clock time of the first video sample
}

// metaMagic opens the payload of the free box that carries Meta.
const metaMagic = "MATTHAN1"

// metaBoxSize: header, magic, media start (ns), wall start (Unix ns).
const metaBoxSize = 8 + len(metaMagic) + 8 + 8

func appendMeta(b []byte, m Meta) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(metaBoxSize))
	b = append(b, "free"...)
	b = append(b, metaMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.MediaStart))
	return binary.BigEndian.AppendUint64(b, uint64(m.Start.UnixNano()))
}

// recorded says which tracks of a Desc a file carries: the first video track
// and the first audio track we can mux. ok is false without video.
func recorded(d *media.Desc) (video, audio int, ok bool) {
	video, audio = d.Video(), -1
	if video < 0 {
		return -1, -1, false
	}
	for i := range d.Tracks {
		t := &d.Tracks[i]
		if t.Codec == media.AAC && len(t.AACConfig) > 0 || t.Codec == media.G711 && t.SampleRate > 0 {
			audio = i
			break
		}
	}
	return video, audio, true
}

// audioTimeScale is an audio track's time scale: its sample rate.
func audioTimeScale(t *media.Track) int {
	if t.SampleRate > 0 {
		return t.SampleRate
	}
	return t.ClockRate
}

// Init returns the init segment (ftyp, moov) for the recorded tracks of d:
// track 1 is video, track 2 (when present) audio.
func Init(d *media.Desc) ([]byte, error) {
	video, audio, ok := recorded(d)
	if !ok {
		return nil, errors.New("fmp4: no video track")
	}
	v := &d.Tracks[video]
	var init mcfmp4.Init
	switch v.Codec {
	case media.H264:
		if len(v.SPS) == 0 || len(v.PPS) == 0 {
			return nil, errors.New("fmp4: H.264 track without SPS/PPS")
		}
		init.Tracks = append(init.Tracks, &mcfmp4.InitTrack{ID: 1, TimeScale: VideoTimeScale,
			Codec: &codecs.H264{SPS: v.SPS, PPS: v.PPS}})
	case media.H265:
		if len(v.VPS) == 0 || len(v.SPS) == 0 || len(v.PPS) == 0 {
			return nil, errors.New("fmp4: H.265 track without VPS/SPS/PPS")
		}
		init.Tracks = append(init.Tracks, &mcfmp4.InitTrack{ID: 1, TimeScale: VideoTimeScale,
			Codec: &codecs.H265{VPS: v.VPS, SPS: v.SPS, PPS: v.PPS}})
	}
	g711 := false
	if audio >= 0 {
		a := &d.Tracks[audio]
		ts := uint32(audioTimeScale(a))
		switch a.Codec {
		case media.AAC:
			var conf mpeg4audio.AudioSpecificConfig
			if err := conf.Unmarshal(a.AACConfig); err != nil {
				return nil, fmt.Errorf("fmp4: AAC config: %w", err)
			}
			init.Tracks = append(init.Tracks, &mcfmp4.InitTrack{ID: 2, TimeScale: ts,
				Codec: &codecs.MPEG4Audio{Config: conf}})
		case media.G711:
			// mediacommon has no G.711 sample entry: write an LPCM one and
			// turn it into QuickTime's ulaw/alaw below.
			g711 = true
			init.Tracks = append(init.Tracks, &mcfmp4.InitTrack{ID: 2, TimeScale: ts,
				Codec: &codecs.LPCM{BitDepth: 8, SampleRate: a.SampleRate, ChannelCount: max(a.Channels, 1)}})
		}
	}
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		return nil, fmt.Errorf("fmp4: init: %w", err)
	}
	b := buf.Bytes()
	if g711 {
		fourcc := "alaw"
		if d.Tracks[audio].MULaw {
			fourcc = "ulaw"
		}
		if err := patchG711(b, fourcc); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// patchG711 renames the audio track's ipcm sample entry to fourcc (ulaw or
// alaw, which FFmpeg and QuickTime read) and its pcmC child to free. Sizes do
// not change, so nothing else moves.
func patchG711(b []byte, fourcc string) error {
	path := []string{"moov", "trak", "mdia", "minf", "stbl", "stsd"}
	var found bool
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		for len(b) >= 8 {
			size := int(binary.BigEndian.Uint32(b))
			if size < 8 || size > len(b) {
				return
			}
			typ, body := string(b[4:8]), b[8:size]
			switch {
			case depth < len(path) && typ == path[depth]:
				if typ == "stsd" {
					body = body[min(8, len(body)):] // version, flags, entry count
				}
				walk(body, depth+1)
			case depth == len(path) && typ == "ipcm":
				copy(b[4:8], fourcc)
				// Sound sample entry: 8 reserved/index + 20 fields, then children.
				for c := body[min(28, len(body)):]; len(c) >= 8; {
					cs := int(binary.BigEndian.Uint32(c))
					if cs < 8 || cs > len(c) {
						break
					}
					if string(c[4:8]) == "pcmC" {
						copy(c[4:8], "free")
					}
					c = c[cs:]
				}
				found = true
			}
			b = b[size:]
		}
	}
	walk(b, 0)
	if !found {
		return errors.New("fmp4: G.711 sample entry not found in init")
	}
	return nil
}
