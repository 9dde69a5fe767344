package filedecode

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"matthan/internal/analytics"
)

// testVideo makes a 2 s, 10 fps, 160x120 video with ffmpeg's test source.
func testVideo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.mp4")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
		"-pix_fmt", "yuv420p", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	return p
}

func TestRead(t *testing.T) {
	path := testVideo(t)
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		o     Options
		count int
	}{
		{"all at 5 fps", Options{FPS: 5, Start: start}, 10},
		{"one second at 2 fps", Options{FPS: 2, Duration: time.Second, Start: start}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var frames []*analytics.Frame
			err := Read(t.Context(), path, tc.o, func(f *analytics.Frame) error {
				frames = append(frames, f)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != tc.count {
				t.Fatalf("%d frames, want %d", len(frames), tc.count)
			}
			for i, f := range frames {
				pts := time.Duration(float64(i) / tc.o.FPS * float64(time.Second))
				if f.Width != 160 || f.Height != 120 || len(f.BGR) != 160*120*3 || f.PTS != pts || !f.At.Equal(start.Add(pts)) {
					t.Errorf("frame %d: %dx%d, %d bytes, pts %v, at %v", i, f.Width, f.Height, len(f.BGR), f.PTS, f.At)
				}
			}
			// testsrc is colour bars, not a grey picture: the frames carry pixels.
			if f := frames[0]; f.BGR[0] == f.BGR[len(f.BGR)/2] && f.BGR[1] == f.BGR[len(f.BGR)/2+1] && f.BGR[len(f.BGR)-1] == 0 {
				t.Error("first frame looks empty")
			}
		})
	}
}

func TestReadStopsAtCallbackError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	err := Read(t.Context(), testVideo(t), Options{FPS: 10}, func(*analytics.Frame) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err %v after %d frames, want %v after 3", err, n, stop)
	}
}

func TestReadRefuses(t *testing.T) {
	notVideo := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notVideo, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	noop := func(*analytics.Frame) error { return nil }
	var nv *NotVideoError
	if err := Read(ctx, notVideo, Options{FPS: 5}, noop); !errors.As(err, &nv) || nv.Path != notVideo {
		t.Errorf("not a video: %v", err)
	}
	if err := Read(ctx, filepath.Join(t.TempDir(), "missing.mp4"), Options{FPS: 5}, noop); !errors.As(err, &nv) {
		t.Errorf("missing file: %v", err)
	}
	for _, fps := range []float64{0, -1, 61} {
		if err := Read(ctx, notVideo, Options{FPS: fps}, noop); err == nil {
			t.Errorf("fps %v accepted", fps)
		}
	}
}
