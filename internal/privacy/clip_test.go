package privacy

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"matthan"
)

// makeVideo encodes 1 s of a 25 fps 320×240 test pattern with ffmpeg,
// with audio encoded by acodec ("": none), into a file of format.
func makeVideo(t *testing.T, dir, name, acodec, format string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1"}
	if acodec != "" {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=1", "-c:a", acodec)
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-f", format, path)
	runTool(t, "ffmpeg", args...)
	return path
}

func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v: %s", name, args, err, stderr.String())
	}
	return out
}

// frames decodes every video frame of a file as 320×240 RGB.
func frames(t *testing.T, path string) [][]byte {
	t.Helper()
	raw := runTool(t, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
		"-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	const size = 320 * 240 * 3
	if len(raw) == 0 || len(raw)%size != 0 {
		t.Fatalf("%s: %d bytes of raw video", path, len(raw))
	}
	var out [][]byte
	for len(raw) > 0 {
		out = append(out, raw[:size])
		raw = raw[size:]
	}
	return out
}

type probed struct {
	duration float64
	streams  []string // codec names
	errors   string
}

func probeFile(t *testing.T, path string) probed {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "csv=p=0", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v: %s", path, err, stderr.String())
	}
	var p probed
	for _, l := range strings.Fields(string(out)) {
		if d, err := strconv.ParseFloat(l, 64); err == nil {
			p.duration = d
		} else {
			p.streams = append(p.streams, l)
		}
	}
	p.errors = stderr.String()
	return p
}

// TestMaskClip masks a rectangle of clips with and without audio: every
// frame is black inside it and unchanged outside, the frames and the
// duration are the source's, and the audio is the source's codec.
func TestMaskClip(t *testing.T) {
	// x from 32 to 160, y from 24 to 144 of 320×240.
	masks := []matthan.PrivacyMask{poly(0.1, 0.1, 0.5, 0.1, 0.5, 0.6, 0.1, 0.6)}
	tests := []struct {
		name, acodec, format string
		streams              string
		brand                string // the file type box's major brand
	}{
		{"aac", "aac", "mp4", "h264 aac", "isom"},
		{"g711", "pcm_mulaw", "mov", "h264 pcm_mulaw", "qt  "},
		{"video only", "", "mp4", "h264", "isom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := makeVideo(t, dir, "src."+tt.format, tt.acodec, tt.format)
			dst := filepath.Join(dir, "masked.mp4")
			if err := MaskClip(context.Background(), src, dst, masks, ClipOptions{}); err != nil {
				t.Fatal(err)
			}
			ps, pd := probeFile(t, src), probeFile(t, dst)
			if pd.errors != "" || strings.Join(pd.streams, " ") != tt.streams {
				t.Errorf("masked clip: streams %q, errors %q", pd.streams, pd.errors)
			}
			if math.Abs(pd.duration-ps.duration) > 0.05 {
				t.Errorf("duration %.3f s, source %.3f s", pd.duration, ps.duration)
			}
			b, _ := os.ReadFile(dst)
			if len(b) < 12 || string(b[8:12]) != tt.brand {
				t.Errorf("brand %q, want %q", b[8:12], tt.brand)
			}
			// faststart: the movie box before the media data.
			if m, d := bytes.Index(b, []byte("moov")), bytes.Index(b, []byte("mdat")); m < 0 || m > d {
				t.Errorf("moov at %d, mdat at %d: not a progressive file", m, d)
			}

			want, got := frames(t, src), frames(t, dst)
			if len(got) != len(want) || len(got) != 25 {
				t.Fatalf("%d frames, source %d, want 25", len(got), len(want))
			}
			for i := range got {
				inside, outside := 0, 0.0
				for y := range 240 {
					for x := range 320 {
						o := (y*320 + x) * 3
						switch {
						case x >= 36 && x < 156 && y >= 28 && y < 140: // inside, 4 px from the edges
							inside = max(inside, int(got[i][o]), int(got[i][o+1]), int(got[i][o+2]))
						case x < 28 || x >= 164 || y < 20 || y >= 148:
							for c := range 3 {
								outside += math.Abs(float64(got[i][o+c]) - float64(want[i][o+c]))
							}
						}
					}
				}
				if inside > 20 {
					t.Fatalf("frame %d: a pixel inside the mask is %d, want black", i, inside)
				}
				if mean := outside / float64(320*240*3/2); mean > 6 {
					t.Fatalf("frame %d: outside the mask differs from the source by %.1f on average", i, mean)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 2 {
				t.Errorf("left in the directory: %v", entries)
			}
		})
	}
}

// TestMaskClipFails: a file that is not a video, an ffmpeg that fails and
// one cancelled by its context each give an error that says so, and leave
// no files behind.
func TestMaskClipFails(t *testing.T) {
	masks := []matthan.PrivacyMask{poly(0, 0, 1, 0, 0, 1)}
	dir := t.TempDir()
	src := makeVideo(t, dir, "src.mp4", "", "mp4")
	junk := filepath.Join(dir, "junk.mp4")
	os.WriteFile(junk, []byte("this is no video"), 0o600)
	script := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ffprobe, _ := exec.LookPath("ffprobe")
	tests := []struct {
		name    string
		src     string
		opt     ClipOptions
		timeout time.Duration
		want    string
	}{
		{"not a video", junk, ClipOptions{}, 0, "ffprobe junk.mp4"},
		{"ffmpeg fails", src, ClipOptions{FFmpeg: script("ffmpeg", "echo 'Unknown encoder libx264' >&2; exit 1"), FFprobe: ffprobe}, 0, "Unknown encoder libx264"},
		{"cancelled", src, ClipOptions{FFmpeg: script("ffmpeg", "sleep 60"), FFprobe: ffprobe}, 300 * time.Millisecond, context.DeadlineExceeded.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			out := t.TempDir()
			start := time.Now()
			err := MaskClip(ctx, tt.src, filepath.Join(out, "masked.mp4"), masks, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if tt.timeout > 0 && (!errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second) {
				t.Errorf("cancelled after %s: %v", time.Since(start), err)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
	if err := MaskClip(context.Background(), src, filepath.Join(dir, "x.mp4"), nil, ClipOptions{}); err == nil {
		t.Error("no masks: no error")
	}
}
