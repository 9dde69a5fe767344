package decode

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"matthan/internal/media"
)

// clip is a real clip encoded as a camera's sub-stream would send it.
type clip struct {
	desc  *media.Desc
	units []*media.Unit // video only, PTS from 0, Wall unset
	fps   int
}

// realClip is the roundabout clip (motorbikes, Vietnamese-style traffic)
// re-encoded to width×height at fps for the given seconds, one keyframe a
// second, as H.264 or H.265 Annex-B split into access units.
func realClip(t testing.TB, codec media.Codec, width, height, fps, seconds int) *clip {
	t.Helper()
	src := filepath.Join("..", "..", "..", "testdata", "clips", "motorbikes_roundabout_960x540.mp4")
	out := filepath.Join(t.TempDir(), "v.es")
	g := fmt.Sprint(fps)
	args := []string{"-hide_banner", "-loglevel", "error", "-i", src, "-t", fmt.Sprint(seconds),
		"-vf", fmt.Sprintf("scale=%d:%d,fps=%d", width, height, fps), "-an"}
	if codec == media.H264 {
		// CABAC and main profile, as cameras send, without B-frames.
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0",
			"-g", g, "-keyint_min", g, "-sc_threshold", "0", "-x264-params", "aud=1", "-f", "h264", out)
	} else {
		args = append(args, "-c:v", "libx265", "-preset", "ultrafast",
			"-x265-params", "aud=1:bframes=0:keyint="+g+":min-keyint="+g+":scenecut=0:log-level=error", "-f", "hevc", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	es, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tr := media.Track{Codec: codec, ClockRate: 90000, Width: width, Height: height}
	c := &clip{desc: &media.Desc{}, fps: fps}
	var au [][]byte
	flush := func() {
		if len(au) == 0 {
			return
		}
		key := false
		var data [][]byte
		for _, n := range au {
			switch nalType(codec, n) {
			case 7, 33:
				tr.SPS = n
			case 8, 34:
				tr.PPS = n
			case 32:
				tr.VPS = n
			case 5, 16, 17, 18, 19, 20, 21:
				key = true
				data = append(data, n)
			default:
				data = append(data, n)
			}
		}
		pts := time.Duration(len(c.units)) * time.Second / time.Duration(fps)
		c.units = append(c.units, &media.Unit{PTS: pts, Key: key, Data: data})
		au = nil
	}
	for _, n := range bytes.Split(es, []byte{0, 0, 1}) {
		n = bytes.TrimRight(n, "\x00")
		if len(n) == 0 {
			continue
		}
		if isAUD(codec, n) {
			flush()
			continue
		}
		au = append(au, n)
	}
	flush()
	c.desc.Tracks = []media.Track{tr}
	for _, u := range c.units {
		u.Desc = c.desc
	}
	if len(c.units) != fps*seconds || !c.units[0].Key {
		t.Fatalf("clip: %d units, first key %v", len(c.units), c.units[0].Key)
	}
	return c
}

func nalType(c media.Codec, n []byte) int {
	if c == media.H265 {
		return int(n[0]>>1) & 0x3f
	}
	return int(n[0] & 0x1f)
}

// feeder publishes clips to a hub in real time (scaled by speed), looping
// them with media time going on, as a camera would.
type feeder struct {
	hub   *media.Hub
	wall0 time.Time
	mu    sync.Mutex
	sent  int
}

// play publishes c's units from media time base on, paced by speed, until
// loops are done or ctx ends; it returns the media time after the last unit.
func (f *feeder) play(ctx context.Context, c *clip, desc *media.Desc, base time.Duration, loops int, speed float64) time.Duration {
	start := time.Now()
	step := time.Second / time.Duration(c.fps)
	pts := base
	for l := 0; l < loops; l++ {
		for _, u := range c.units {
			at := start.Add(time.Duration(float64(pts-base) / speed))
			select {
			case <-ctx.Done():
				return pts
			case <-time.After(time.Until(at)):
			}
			v := *u
			v.Desc, v.PTS, v.Wall = desc, pts, f.wall0.Add(pts)
			f.hub.WriteUnit(&v)
			f.mu.Lock()
			f.sent++
			f.mu.Unlock()
			pts += step
		}
	}
	return pts
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
