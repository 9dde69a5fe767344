//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

// Streets the node part can show its cameras.
const (
	streetBusy  = "busy"  // the shipped clips: something moves in 96 % of frames
	streetQuiet = "quiet" // each clip's first picture held, with sensor noise
)

// quietClips writes, for each clip in dir, 10 s of its first picture with
// light temporal noise (a camera's sensor; the noise filter's seed is fixed,
// so every run gets the same bytes) to out, and returns out. A residential
// lane at night or at noon is closer to this than to a roundabout.
func quietClips(ctx context.Context, ffmpeg, dir, out string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.mp4"))
	if err != nil || len(paths) == 0 {
		return "", fmt.Errorf("no clips in %s: %v", dir, err)
	}
	slices.Sort(paths)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	for _, p := range paths {
		dst := filepath.Join(out, "quiet_"+filepath.Base(p))
		if _, err := os.Stat(dst); err == nil {
			continue // made by an earlier run
		}
		tmp, still := dst+".tmp.mp4", dst+".png"
		if b, err := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
			"-i", p, "-frames:v", "1", still).CombinedOutput(); err != nil {
			return "", fmt.Errorf("ffmpeg: the first picture of %s: %w: %s", p, err, b)
		}
		b, err := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
			"-loop", "1", "-framerate", "25", "-i", still, "-t", "10",
			"-vf", "noise=alls=3:allf=t,format=yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", tmp).CombinedOutput()
		os.Remove(still)
		if err != nil {
			return "", fmt.Errorf("ffmpeg: a quiet street from %s: %w: %s", p, err, b)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return "", err
		}
	}
	return out, nil
}
