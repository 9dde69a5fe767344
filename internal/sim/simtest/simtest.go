// Package simtest starts simulated cameras for the tests of other packages,
// with the converted clips cached between test runs.
package simtest

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"matthan/internal/sim"
)

// Start starts a simulator of cfg.Cameras cameras playing Library's clip,
// on a free loopback port unless cfg.Addr says otherwise; it is closed at
// the end of the test.
func Start(t testing.TB, cfg sim.Config) *sim.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := sim.New(Library(t), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Library is a library of one synthetic clip, a 2-second H.264 test
// pattern at 320×240, made with ffmpeg and converted once.
func Library(t testing.TB) *sim.Library {
	t.Helper()
	src := filepath.Join(cacheDir(t), "probe", "src", "testsrc-2s.mp4")
	if _, err := os.Stat(src); err != nil {
		makeTestPattern(t, src)
	}
	return Prepare(t, filepath.Dir(src), filepath.Join("probe", "lib"), nil)
}

// Prepare converts the clips in clipsDir (e.g. the repository's
// testdata/clips) into a simulator library kept in cacheName under the
// user's cache directory, so that only the first run converts them.
func Prepare(t testing.TB, clipsDir, cacheName string, log *slog.Logger) *sim.Library {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	lib, err := sim.Prepare(ctx, clipsDir, filepath.Join(cacheDir(t), cacheName), log)
	if err != nil {
		t.Fatalf("prepare the simulator's clips from %s: %v", clipsDir, err)
	}
	return lib
}

// cacheDir is where converted test clips are kept between runs; without a
// user cache directory they last one test.
func cacheDir(t testing.TB) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return t.TempDir()
	}
	return filepath.Join(dir, "matthan-test-sim")
}

// makeTestPattern encodes the test pattern into dst, through a temporary
// file so that a test run stopped halfway leaves no broken clip behind. The
// temporary file is outside dst's directory, where another test process
// may be looking for clips.
func makeTestPattern(t testing.TB, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(filepath.Dir(dst)), "tmp-*.mp4")
	if err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1", tmp.Name()).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		t.Fatal(err)
	}
}
