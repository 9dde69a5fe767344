// Package fmp4test makes real media for tests of the writer and the
// recorder (ffmpeg-encoded clips turned into media.Units) and checks what
// they write with ffprobe.
package fmp4test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"matthan/internal/media"
)

// ClipSpec describes a clip to encode.
type ClipSpec struct {
	Codec         media.Codec // H264 or H265
	Audio         media.Codec // "", AAC or G711
	Seconds       int
	FPS           int // default 25
	GOP           int // frames between keyframes; default FPS
	Width, Height int // default 320x240
}

// Clip is an encoded clip as the units a session would deliver.
type Clip struct {
	Desc  *media.Desc
	Units []*media.Unit // video and audio, in PTS order
	Video int           // video units
}

// MakeClip encodes a test pattern with ffmpeg and returns its units, with
// PTS from 0 and Wall from wall0.
func MakeClip(t testing.TB, spec ClipSpec, wall0 time.Time) *Clip {
	t.Helper()
	if spec.FPS == 0 {
		spec.FPS = 25
	}
	if spec.GOP == 0 {
		spec.GOP = spec.FPS
	}
	if spec.Width == 0 {
		spec.Width, spec.Height = 320, 240
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%d", spec.Width, spec.Height, spec.FPS, spec.Seconds)
	vout := filepath.Join(dir, "v.es")
	args := []string{"-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", src}
	g := strconv.Itoa(spec.GOP)
	switch spec.Codec {
	case media.H264:
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-bf", "0",
			"-g", g, "-keyint_min", g, "-sc_threshold", "0", "-x264-params", "aud=1", "-f", "h264", vout)
	case media.H265:
		args = append(args, "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
			"-x265-params", "aud=1:bframes=0:keyint="+g+":min-keyint="+g+":scenecut=0:repeat-headers=1:log-level=error",
			"-f", "hevc", vout)
	default:
		t.Fatalf("codec %q", spec.Codec)
	}
	run(t, ctx, "ffmpeg", args...)
	es, err := os.ReadFile(vout)
	if err != nil {
		t.Fatal(err)
	}
	c := &Clip{Desc: &media.Desc{}}
	vt := media.Track{Codec: spec.Codec, ClockRate: 90000}
	var video []*media.Unit
	for i, au := range splitAUs(spec.Codec, es) {
		key := false
		for _, n := range au {
			if spec.Codec == media.H264 {
				switch n[0] & 0x1f {
				case 5:
					key = true
				case 7:
					vt.SPS = n
				case 8:
					vt.PPS = n
				}
			} else {
				switch typ := (n[0] >> 1) & 0x3f; {
				case typ >= 16 && typ <= 23:
					key = true
				case typ == 32:
					vt.VPS = n
				case typ == 33:
					vt.SPS = n
				case typ == 34:
					vt.PPS = n
				}
			}
		}
		pts := time.Duration(i) * time.Second / time.Duration(spec.FPS)
		video = append(video, &media.Unit{Track: 0, PTS: pts, Wall: wall0.Add(pts), Key: key, Data: au})
	}
	if spec.Codec == media.H264 {
		var sps h264.SPS
		if err := sps.Unmarshal(vt.SPS); err != nil {
			t.Fatal(err)
		}
		vt.Width, vt.Height = sps.Width(), sps.Height()
	} else {
		var sps h265.SPS
		if err := sps.Unmarshal(vt.SPS); err != nil {
			t.Fatal(err)
		}
		vt.Width, vt.Height = sps.Width(), sps.Height()
	}
	c.Desc.Tracks = append(c.Desc.Tracks, vt)
	c.Video = len(video)
	units := video

	switch spec.Audio {
	case media.AAC:
		aout := filepath.Join(dir, "a.aac")
		run(t, ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
			fmt.Sprintf("sine=frequency=440:sample_rate=16000:duration=%d", spec.Seconds),
			"-c:a", "aac", "-b:a", "32k", "-f", "adts", aout)
		b, err := os.ReadFile(aout)
		if err != nil {
			t.Fatal(err)
		}
		conf, frames := parseADTS(t, b)
		c.Desc.Tracks = append(c.Desc.Tracks, media.Track{Codec: media.AAC, ClockRate: 16000, AACConfig: conf, SampleRate: 16000, Channels: 1})
		// Two access units per RTP packet, as cameras often send them.
		for i := 0; i < len(frames); i += 2 {
			data := frames[i:min(i+2, len(frames))]
			pts := time.Duration(i) * 1024 * time.Second / 16000
			units = append(units, &media.Unit{Track: 1, PTS: pts, Wall: wall0.Add(pts), Data: data})
		}
	case media.G711:
		aout := filepath.Join(dir, "a.ul")
		run(t, ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
			fmt.Sprintf("sine=frequency=440:sample_rate=8000:duration=%d", spec.Seconds),
			"-c:a", "pcm_mulaw", "-f", "mulaw", aout)
		b, err := os.ReadFile(aout)
		if err != nil {
			t.Fatal(err)
		}
		c.Desc.Tracks = append(c.Desc.Tracks, media.Track{Codec: media.G711, ClockRate: 8000, MULaw: true, SampleRate: 8000, Channels: 1})
		for i := 0; i < len(b); i += 160 { // 20 ms packets
			pts := time.Duration(i) * time.Second / 8000
			units = append(units, &media.Unit{Track: 1, PTS: pts, Wall: wall0.Add(pts), Data: [][]byte{b[i:min(i+160, len(b))]}})
		}
	}
	slices.SortStableFunc(units, func(a, b *media.Unit) int {
		if a.PTS != b.PTS {
			return int(a.PTS - b.PTS)
		}
		return a.Track - b.Track // video first at equal times
	})
	for _, u := range units {
		u.Desc = c.Desc
	}
	c.Units = units
	return c
}

func run(t testing.TB, ctx context.Context, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// splitAUs splits an Annex-B stream into access units at each access unit
// delimiter (the encoders are told to write them), dropping the delimiters.
func splitAUs(codec media.Codec, b []byte) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	for _, n := range splitAnnexB(b) {
		aud := codec == media.H264 && n[0]&0x1f == 9 || codec == media.H265 && (n[0]>>1)&0x3f == 35
		if aud {
			if len(cur) > 0 {
				aus = append(aus, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, n)
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return aus
}

func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+3 <= len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(b[start:i], "\x00"))
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	return slices.DeleteFunc(out, func(n []byte) bool { return len(n) == 0 })
}

// parseADTS returns the AudioSpecificConfig and the raw access units of an
// ADTS stream.
func parseADTS(t testing.TB, b []byte) ([]byte, [][]byte) {
	t.Helper()
	var conf []byte
	var frames [][]byte
	for len(b) >= 7 {
		if b[0] != 0xff || b[1]&0xf0 != 0xf0 {
			t.Fatal("bad ADTS sync")
		}
		crcAbsent := b[1]&1 == 1
		profile := b[2] >> 6
		sfi := (b[2] >> 2) & 0xf
		ch := (b[2]&1)<<2 | b[3]>>6
		flen := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5)
		hlen := 7
		if !crcAbsent {
			hlen = 9
		}
		if flen < hlen || flen > len(b) {
			t.Fatal("bad ADTS frame length")
		}
		if conf == nil {
			conf = binary.BigEndian.AppendUint16(nil, uint16(profile+1)<<11|uint16(sfi)<<7|uint16(ch)<<3)
		}
		frames = append(frames, b[hlen:flen])
		b = b[flen:]
	}
	return conf, frames
}

// Probe is what ffprobe says about a file.
type Probe struct {
	Errors string // ffprobe -v error's and a full decode's output: empty for a clean file
	// KeyFlags holds one entry per video packet: whether ffprobe flags it K.
	KeyFlags []bool
	Streams  []ProbeStream
	Duration float64 // format duration, seconds
}

// ProbeStream is one stream of a probed file.
type ProbeStream struct {
	CodecType string
	CodecName string
	Width     int
	Height    int
	Frames    int // packets counted
}

// ProbeFile runs ffprobe -v error on a file, counting every packet.
func ProbeFile(t testing.TB, path string) Probe {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-count_packets", "-show_entries",
		"format=duration:stream=codec_type,codec_name,width,height,nb_read_packets", "-of", "json", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v: %s", path, err, stderr.String())
	}
	var raw struct {
		Format  struct{ Duration string }
		Streams []struct {
			CodecType     string `json:"codec_type"`
			CodecName     string `json:"codec_name"`
			Width, Height int
			Packets       string `json:"nb_read_packets"`
		}
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("ffprobe output: %v: %s", err, out)
	}
	p := Probe{}
	p.Duration, _ = strconv.ParseFloat(raw.Format.Duration, 64)
	for _, s := range raw.Streams {
		n, _ := strconv.Atoi(s.Packets)
		p.Streams = append(p.Streams, ProbeStream{CodecType: s.CodecType, CodecName: s.CodecName, Width: s.Width, Height: s.Height, Frames: n})
	}
	cmd = exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=flags", "-of", "csv=p=0", path)
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe packets %s: %v: %s", path, err, stderr.String())
	}
	for _, l := range strings.Fields(string(out)) {
		p.KeyFlags = append(p.KeyFlags, strings.HasPrefix(l, "K"))
	}
	// Decode every frame: a broken sample shows up as a decoder error.
	cmd = exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-")
	var derr bytes.Buffer
	cmd.Stderr = &derr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg decode %s: %v: %s", path, err, derr.String())
	}
	p.Errors = stderr.String() + derr.String()
	return p
}

// Video returns the video stream of a probe, or fails the test.
func (p Probe) Video(t testing.TB) ProbeStream {
	t.Helper()
	for _, s := range p.Streams {
		if s.CodecType == "video" {
			return s
		}
	}
	t.Fatalf("no video stream in %+v", p)
	return ProbeStream{}
}
