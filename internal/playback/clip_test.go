package playback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/playback/playbacktest"
)

var wall0 = time.Date(2026, 1, 15, 1, 0, 0, 0, time.UTC)

// fixture is a camera recorded as 4-second segments of a 10-second H.264 +
// AAC clip at 25 fps with a keyframe every second (segments 0-4, 4-8, 8-10
// s), and a second camera whose 3-second segments have a 20-second gap
// after the first.
type fixture struct {
	dir    string
	index  matthan.RecordingIndex
	segs   []*matthan.Segment // "cam-1"
	gapped []*matthan.Segment // "cam-gap"
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := playbacktest.NewIndex(t)
	f := &fixture{dir: t.TempDir(), index: db}
	c := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 10}, wall0)
	f.segs = playbacktest.Record(t, f.dir, db, playbacktest.Recording{CameraID: "cam-1", Clip: c, Wall0: wall0, Segment: 4 * time.Second})
	if len(f.segs) != 3 {
		t.Fatalf("%d segments, want 3", len(f.segs))
	}
	g := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 6}, wall0)
	f.gapped = playbacktest.Record(t, f.dir, db, playbacktest.Recording{CameraID: "cam-gap", Clip: g, Wall0: wall0,
		Segment: 3 * time.Second, GapAfter: map[int]time.Duration{0: 20 * time.Second}})
	if len(f.gapped) != 2 {
		t.Fatalf("%d gapped segments, want 2", len(f.gapped))
	}
	return f
}

func (f *fixture) open(t *testing.T, cam string, from, to time.Time) *Clip {
	t.Helper()
	c, err := Open(t.Context(), f.index, f.dir, cam, matthan.StreamMain, from, to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeClip writes c to a file and returns its path.
func writeClip(t *testing.T, c *Clip) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "clip.mp4")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.WriteTo(f)
	if err != nil {
		t.Fatal(err)
	}
	if n != c.Size() {
		t.Fatalf("WriteTo wrote %d bytes, Size is %d", n, c.Size())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// shown is what a player shows of a file: the frames it decodes and
// presents (the edit list honoured), and its start and duration.
type shown struct {
	frames          int
	start, duration float64
	audio           bool
}

func probeShown(t *testing.T, path string) shown {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-count_frames",
		"-show_entries", "format=start_time,duration:stream=codec_type,nb_read_frames", "-of", "json", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("ffprobe: %v: %s", err, stderr.String())
	}
	var raw struct {
		Format struct {
			Start    string `json:"start_time"`
			Duration string `json:"duration"`
		}
		Streams []struct {
			Type   string `json:"codec_type"`
			Frames string `json:"nb_read_frames"`
		}
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	var s shown
	s.start, _ = strconv.ParseFloat(raw.Format.Start, 64)
	s.duration, _ = strconv.ParseFloat(raw.Format.Duration, 64)
	for _, st := range raw.Streams {
		switch st.Type {
		case "video":
			s.frames, _ = strconv.Atoi(st.Frames)
		case "audio":
			s.audio = true
		}
	}
	return s
}

// framesShown counts the frames of a 25 fps recording that a player shows
// for [from, to) seconds: those on screen at some time in the range.
func framesShown(from, to float64) int {
	n := 0
	for i := 0; i < 1000; i++ {
		if s := float64(i) / 25; s+1.0/25 > from+1e-9 && s < to-1e-9 {
			n++
		}
	}
	return n
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestClip(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		cam      string
		from, to float64 // seconds after wall0
		segs     int
		frames   int
		duration float64 // seconds shown
		start    float64 // Start(), seconds after wall0
		audio    bool
	}{
		{"one whole segment", "cam-1", 0, 4, 1, 100, 4, 0, true},
		{"inside one segment at keyframes", "cam-1", 1, 3, 1, 50, 2, 1, true},
		{"from inside a GOP", "cam-1", 1.5, 3.5, 1, framesShown(1.5, 3.5), 3.52 - 1.48, 1.48, true},
		{"across two segments", "cam-1", 2.5, 6.3, 2, framesShown(2.5, 6.3), 6.32 - 2.48, 2.48, true},
		{"across three segments", "cam-1", 0.3, 9.7, 3, framesShown(0.3, 9.7), 9.72 - 0.28, 0.28, true},
		{"range past the recording", "cam-1", 8.5, 30, 1, framesShown(8.5, 10), 10 - 8.48, 8.48, true},
		{"range before the recording", "cam-1", -5, 1, 1, 25, 1, 0, true},
		// The gapped camera: 0-3 s, then 3-6 s of media recorded from 23 s.
		{"across a gap", "cam-gap", 2, 25, 2, 25 + 50, 3, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := wall0.Add(sec(tc.from)), wall0.Add(sec(tc.to))
			c := f.open(t, tc.cam, from, to)
			if len(c.Segments()) != tc.segs {
				t.Errorf("%d source segments, want %d", len(c.Segments()), tc.segs)
			}
			if got := c.Start().Sub(wall0).Seconds(); math.Abs(got-tc.start) > 0.001 {
				t.Errorf("Start = %.3f s, want %.3f s", got, tc.start)
			}
			if math.Abs(c.Duration().Seconds()-tc.duration) > 0.001 {
				t.Errorf("Duration = %v, want %.3f s", c.Duration(), tc.duration)
			}
			if c.HasAudio() != tc.audio || !c.NextFrom().IsZero() {
				t.Errorf("HasAudio %v NextFrom %v", c.HasAudio(), c.NextFrom())
			}
			path := writeClip(t, c)
			p := fmp4test.ProbeFile(t, path)
			if p.Errors != "" {
				t.Fatalf("ffprobe/ffmpeg errors:\n%s", p.Errors)
			}
			if v := p.Video(t); v.CodecName != "h264" || v.Width != 320 || v.Height != 240 {
				t.Errorf("video %+v", v)
			}
			s := probeShown(t, path)
			if s.frames != tc.frames {
				t.Errorf("%d frames shown, want %d", s.frames, tc.frames)
			}
			if s.audio != tc.audio {
				t.Errorf("audio %v, want %v", s.audio, tc.audio)
			}
			// Within one GOP of the asked range (cut to the recording).
			want := math.Min(tc.to, 10) - math.Max(tc.from, 0)
			if tc.cam == "cam-gap" {
				want = 3 - tc.from + 2 // the 20 s gap is not in the timeline
			}
			if math.Abs(s.duration-want) > 1.0 || math.Abs(s.duration-tc.duration) > 0.05 {
				t.Errorf("ffprobe duration %.3f s, want %.3f (clip says %.3f)", s.duration, want, tc.duration)
			}
			if s.start > 0.001 {
				t.Errorf("start_time %.3f, want 0", s.start)
			}
		})
	}
}

// TestClipReaders: the bytes of NewReader, ReadAt and WriteTo agree.
func TestClipReaders(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "cam-1", wall0.Add(sec(1.5)), wall0.Add(sec(9)))
	var whole bytes.Buffer
	if _, err := c.WriteTo(&whole); err != nil {
		t.Fatal(err)
	}
	r := c.NewReader()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, whole.Bytes()) {
		t.Fatal("NewReader and WriteTo differ")
	}
	for _, rg := range [][2]int64{{0, 10}, {100, 5000}, {c.Size() - 7, c.Size()}, {int64(len(c.header)) - 3, int64(len(c.header)) + 70000}} {
		b := make([]byte, rg[1]-rg[0])
		if _, err := r.Seek(rg[0], io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, whole.Bytes()[rg[0]:rg[1]]) {
			t.Fatalf("range %v differs", rg)
		}
	}
	if n, err := c.ReadAt(make([]byte, 10), c.Size()-4); n != 4 || err != io.EOF {
		t.Fatalf("ReadAt past the end: %d, %v", n, err)
	}
}

// TestClipParamsChange: a resolution change inside the range ends the
// clip before it, and NextFrom says where the next part starts.
func TestClipParamsChange(t *testing.T) {
	db := playbacktest.NewIndex(t)
	dir := t.TempDir()
	small := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 2}, wall0)
	big := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 2, Width: 352, Height: 288}, wall0)
	a := playbacktest.Record(t, dir, db, playbacktest.Recording{CameraID: "cam-1", Clip: small, Wall0: wall0, Segment: time.Minute})
	b := playbacktest.Record(t, dir, db, playbacktest.Recording{CameraID: "cam-1", Clip: big, Wall0: a[0].End, Segment: time.Minute})
	c, err := Open(t.Context(), db, dir, "cam-1", matthan.StreamMain, wall0.Add(sec(0.5)), wall0.Add(sec(3.5)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.NextFrom().Equal(b[0].Start) || len(c.Segments()) != 1 || !c.End().Equal(a[0].End) {
		t.Fatalf("NextFrom %v (want %v), %d segments, end %v", c.NextFrom(), b[0].Start, len(c.Segments()), c.End())
	}
	if s := probeShown(t, writeClip(t, c)); s.frames != framesShown(0.5, 2) {
		t.Fatalf("%d frames shown, want %d", s.frames, framesShown(0.5, 2))
	}
	next, err := Open(t.Context(), db, dir, "cam-1", matthan.StreamMain, c.NextFrom(), wall0.Add(sec(3.5)))
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	p := fmp4test.ProbeFile(t, writeClip(t, next))
	if v := p.Video(t); p.Errors != "" || v.Width != 352 || v.Frames != 38 {
		t.Fatalf("next part: %+v, errors %s", v, p.Errors)
	}
}

func TestOpenErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		cam      string
		from, to time.Time
		code     string
	}{
		{"unknown camera", "cam-x", wall0, wall0.Add(time.Second), matthan.ENOTFOUND},
		{"nothing recorded", "cam-1", wall0.Add(time.Hour), wall0.Add(2 * time.Hour), matthan.ENOTFOUND},
		{"inside a gap", "cam-gap", wall0.Add(5 * time.Second), wall0.Add(20 * time.Second), matthan.ENOTFOUND},
		{"empty range", "cam-1", wall0.Add(time.Second), wall0.Add(time.Second), matthan.EINVALID},
		{"reversed range", "cam-1", wall0.Add(2 * time.Second), wall0.Add(time.Second), matthan.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), f.index, f.dir, tc.cam, matthan.StreamMain, tc.from, tc.to)
			if matthan.ErrorCode(err) != tc.code {
				t.Fatalf("err %v, want code %s", err, tc.code)
			}
			var e *matthan.Error
			if !errors.As(err, &e) || e.Message == "" || e.MessageVI == "" || e.Message == e.MessageVI {
				t.Fatalf("not bilingual: %#v", err)
			}
		})
	}
	// A segment whose file is gone is an error, not a silent hole.
	if err := os.Remove(filepath.Join(f.dir, filepath.FromSlash(f.segs[1].Path))); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0, wall0.Add(9*time.Second)); err == nil ||
		!strings.Contains(err.Error(), "open segment") {
		t.Fatalf("missing file: %v", err)
	}
}
