package playback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/playback/playbacktest"
)

// gray decodes one frame of a file (or of stdin) to 8-bit gray pixels.
func gray(t *testing.T, input string, stdin []byte, frame int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", input,
		"-vf", fmt.Sprintf(`select=eq(n\,%d)`, frame), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-")
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 || len(out) != 320*240 {
		t.Fatalf("decode frame %d of %s: %v, %d bytes: %s", frame, input, err, len(out), stderr.String())
	}
	return out
}

func meanDiff(a, b []byte) float64 {
	var s int
	for i := range a {
		d := int(a[i]) - int(b[i])
		s += max(d, -d)
	}
	return float64(s) / float64(len(a))
}

// TestThumbnail: the JPEG is the frame on screen at the asked time, at the
// recorded or the asked size.
func TestThumbnail(t *testing.T) {
	f := newFixture(t)
	seg0 := filepath.Join(f.dir, filepath.FromSlash(f.segs[0].Path))
	// 1.5 s is inside frame 37 (1.48-1.52 s), mid-GOP (keyframe at 1.0 s).
	jpeg, err := Thumbnail(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0.Add(sec(1.5)), ThumbnailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := gray(t, "pipe:0", jpeg, 0)
	if d := meanDiff(got, gray(t, seg0, nil, 37)); d > 3 {
		t.Errorf("thumbnail differs from frame 37 by %.2f", d)
	}
	for _, other := range []int{25, 40} {
		if d := meanDiff(got, gray(t, seg0, nil, other)); d < 2*meanDiff(got, gray(t, seg0, nil, 37)) {
			t.Errorf("thumbnail is as close to frame %d (%.2f)", other, d)
		}
	}
	small, err := Thumbnail(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0.Add(sec(9.99)), ThumbnailOptions{Width: 161})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ffprobeStdin(small)
	if err != nil || out != "mjpeg,160,120" {
		t.Errorf("small thumbnail: %q %v", out, err)
	}
	if _, err := Thumbnail(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0.Add(sec(10.5)), ThumbnailOptions{}); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("after the recording: %v", err)
	}
	// A broken ffmpeg is an error with its message, and a hung one is
	// killed at the timeout.
	bad := filepath.Join(t.TempDir(), "ffmpeg")
	os.WriteFile(bad, []byte("#!/bin/sh\necho broken >&2\nexit 1\n"), 0o755)
	if _, err := Thumbnail(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0.Add(sec(1)), ThumbnailOptions{FFmpeg: bad}); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("broken ffmpeg: %v", err)
	}
	os.WriteFile(bad, []byte("#!/bin/sh\nsleep 30\n"), 0o755)
	start := time.Now()
	_, err = Thumbnail(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0.Add(sec(1)), ThumbnailOptions{FFmpeg: bad, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("hung ffmpeg: %v after %v", err, time.Since(start))
	}
}

func ffprobeStdin(b []byte) (string, error) {
	cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", "-")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func TestThumbnailArgs(t *testing.T) {
	got := strings.Join(thumbnailArgs(160), " ")
	want := "-hide_banner -nostdin -loglevel error -f mp4 -i pipe:0 -an -frames:v 1 -vf scale=160:-2 -c:v mjpeg -q:v 3 -f image2pipe pipe:1"
	if got != want {
		t.Errorf("args\n got %s\nwant %s", got, want)
	}
}

func TestSpans(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	gap := &matthan.Gap{CameraID: "cam-gap", Stream: matthan.StreamMain, Start: f.gapped[0].End, End: f.gapped[1].Start, Reason: matthan.GapStalled}
	if err := f.index.AddGap(ctx, gap); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cam      string
		from, to time.Time
		spans    [][2]time.Time
		gaps     int
	}{
		{"contiguous segments merge", "cam-1", wall0.Add(-time.Hour), wall0.Add(time.Hour), [][2]time.Time{{f.segs[0].Start, f.segs[2].End}}, 0},
		{"part of a span", "cam-1", wall0.Add(5 * time.Second), wall0.Add(6 * time.Second), [][2]time.Time{{f.segs[1].Start, f.segs[1].End}}, 0},
		{"a gap splits spans", "cam-gap", time.Time{}, time.Time{}, [][2]time.Time{{f.gapped[0].Start, f.gapped[0].End}, {f.gapped[1].Start, f.gapped[1].End}}, 1},
		{"only the gap", "cam-gap", wall0.Add(5 * time.Second), wall0.Add(10 * time.Second), nil, 1},
		{"nothing", "cam-x", time.Time{}, time.Time{}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spans, gaps, err := Spans(ctx, f.index, tc.cam, matthan.StreamMain, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(spans) != len(tc.spans) || len(gaps) != tc.gaps || spans == nil || gaps == nil {
				t.Fatalf("spans %+v gaps %+v", spans, gaps)
			}
			for i, s := range spans {
				if !s.Start.Equal(tc.spans[i][0]) || !s.End.Equal(tc.spans[i][1]) || s.Codec != "H264" || s.Width != 320 {
					t.Errorf("span %d: %+v, want %v", i, s, tc.spans[i])
				}
			}
			if tc.gaps > 0 && gaps[0].Reason != matthan.GapStalled {
				t.Errorf("gap %+v", gaps[0])
			}
		})
	}
	if _, _, err := Spans(ctx, f.index, "cam-1", matthan.StreamMain, wall0, wall0); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("empty range: %v", err)
	}
}

// TestSegmentsPaging: a range with more segments than a page returns all.
func TestSegmentsPaging(t *testing.T) {
	db := playbacktest.NewIndex(t)
	ctx := t.Context()
	const page, n = 7, 23
	for i := range n {
		s := &matthan.Segment{CameraID: "c", Stream: matthan.StreamMain, Path: fmt.Sprintf("c/%d.mp4", i),
			Start: wall0.Add(time.Duration(i) * time.Second), End: wall0.Add(time.Duration(i+1) * time.Second), Duration: time.Second}
		if err := db.AddSegment(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	segs, err := segmentsPaged(ctx, db, "c", matthan.StreamMain, wall0.Add(-time.Hour), wall0.Add(100*time.Hour), page)
	if err != nil || len(segs) != n {
		t.Fatalf("%d segments, %v", len(segs), err)
	}
	for i, s := range segs {
		if s.Path != fmt.Sprintf("c/%d.mp4", i) {
			t.Fatalf("segment %d is %s", i, s.Path)
		}
	}
}

// TestPlaylist: parts are whole GOPs from the one holding from, at least
// hlsPartTarget long where the segment allows, on one timeline, and a part
// read back starts there.
func TestPlaylist(t *testing.T) {
	f := newFixture(t)
	pl, err := NewPlaylist(t.Context(), f.index, f.dir, "cam-1", matthan.StreamMain, wall0.Add(sec(1.5)), wall0.Add(sec(9.5)))
	if err != nil {
		t.Fatal(err)
	}
	// Segment 0 (0-4 s): from the GOP at 1 s, one part of 3 s; segment 1
	// (4-8 s): one part of 4 s; segment 2 (8-10 s): 2 s.
	var got []string
	for _, p := range pl.Parts {
		got = append(got, fmt.Sprintf("%s+%v@%d", p.Start.Sub(wall0), p.Duration, p.OutStart))
		if p.Init != f.segs[0].Path || p.Discontinuity {
			t.Errorf("part %+v", p)
		}
	}
	if want := "1s+3s@0 4s+4s@270000 8s+2s@630000"; strings.Join(got, " ") != want {
		t.Errorf("parts %s, want %s", strings.Join(got, " "), want)
	}
	var part bytes.Buffer
	if err := WritePart(&part, f.dir, pl.Parts[1].Segment, pl.Parts[1].From, pl.Parts[1].To, pl.Parts[1].OutStart); err != nil {
		t.Fatal(err)
	}
	b := part.Bytes()
	if int64(len(b)) != pl.Parts[1].To-pl.Parts[1].From {
		t.Fatalf("part of %d bytes", len(b))
	}
	// Starting elsewhere than a keyframe fragment is refused before writing.
	part.Reset()
	if err := WritePart(&part, f.dir, pl.Parts[1].Segment, pl.Parts[1].From+8, pl.Parts[1].To, 0); err == nil || part.Len() > 0 {
		t.Errorf("part from a wrong offset: %v, %d bytes written", err, part.Len())
	}
	file, _ := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(f.segs[1].Path)))
	in, err := readInit(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := readFragment(bytes.NewReader(b), 0, int64(len(b)), in)
	if err != nil || fr.runs[0].base != 270000 || !fr.runs[0].samples[0].sync {
		t.Fatalf("first fragment of part: %+v %v", fr, err)
	}
	if !ValidPart(f.segs[1], pl.Parts[1].From, pl.Parts[1].To) || ValidPart(f.segs[1], pl.Parts[1].From+1, pl.Parts[1].To) {
		t.Error("ValidPart")
	}

	// A resolution change: a discontinuity and the new file's init.
	db := playbacktest.NewIndex(t)
	dir := t.TempDir()
	a := playbacktest.Record(t, dir, db, playbacktest.Recording{CameraID: "c", Wall0: wall0, Segment: time.Minute,
		Clip: fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 1}, wall0)})
	b2 := playbacktest.Record(t, dir, db, playbacktest.Recording{CameraID: "c", Wall0: a[0].End, Segment: time.Minute,
		Clip: fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 1, Width: 160, Height: 120}, wall0)})
	pl, err = NewPlaylist(t.Context(), db, dir, "c", matthan.StreamMain, wall0, wall0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Parts) != 2 || pl.Parts[1].Init != b2[0].Path || !pl.Parts[1].Discontinuity {
		t.Fatalf("parts %+v", pl.Parts)
	}
	var m3u8 bytes.Buffer
	pl.Encode(&m3u8, func(p string) string { return "i/" + p }, func(p Part) string { return fmt.Sprintf("p/%d", p.OutStart) })
	want := "#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"i/" + b2[0].Path + "\"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T01:00:01.000Z\n#EXTINF:1.000,\np/90000\n#EXT-X-ENDLIST\n"
	if !strings.HasSuffix(m3u8.String(), want) {
		t.Errorf("playlist:\n%s\nwant suffix:\n%s", m3u8.String(), want)
	}
}

// TestClipH265G711: HEVC with G.711 audio, across two segments, from inside
// a GOP: read with zero errors, the frames of the range shown.
func TestClipH265G711(t *testing.T) {
	db := playbacktest.NewIndex(t)
	dir := t.TempDir()
	c := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H265, Audio: media.G711, Seconds: 4}, wall0)
	segs := playbacktest.Record(t, dir, db, playbacktest.Recording{CameraID: "c", Clip: c, Wall0: wall0, Segment: 2 * time.Second})
	if len(segs) != 2 || segs[0].Audio != "G711" {
		t.Fatalf("segments %+v", segs)
	}
	clip, err := Open(t.Context(), db, dir, "c", matthan.StreamMain, wall0.Add(sec(1.3)), wall0.Add(sec(3.3)))
	if err != nil {
		t.Fatal(err)
	}
	defer clip.Close()
	path := writeClip(t, clip)
	p := fmp4test.ProbeFile(t, path)
	if p.Errors != "" || p.Video(t).CodecName != "hevc" || len(p.Streams) != 2 || p.Streams[1].CodecName != "pcm_mulaw" {
		t.Fatalf("probe %+v: %s", p, p.Errors)
	}
	if s := probeShown(t, path); s.frames != framesShown(1.3, 3.3) || !s.audio {
		t.Errorf("%d frames shown, want %d; audio %v", s.frames, framesShown(1.3, 3.3), s.audio)
	}
}
