// Package filedecode reads the frames of a video file with ffmpeg, sampled
// at a fixed rate, for the offline tools (`matthan detect`, `matthan eval`):
// the same BGR24 frames the live decoder hands to motion and the detector.
package filedecode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/childproc"
)

// Options say which frames to read.
type Options struct {
	FPS      float64       // frames per second of video (ffmpeg's fps filter)
	Duration time.Duration // read only this much of the file; 0: all of it
	// Start is the wall-clock time of the file's first frame; each frame's
	// At is Start + its time in the file. Motion's day/night schedule reads it.
	Start time.Time
}

// NotVideoError says a file is not a video ffprobe can read, in English
// and Vietnamese.
type NotVideoError struct {
	Path   string
	Detail string // what ffprobe said
}

func (e *NotVideoError) Error() string {
	return fmt.Sprintf("%s is not a video ffprobe reads (%s) / %s không phải video ffprobe đọc được", e.Path, e.Detail, e.Path)
}

// Probe asks ffprobe for the width and height of the file's first video
// stream.
func Probe(ctx context.Context, path string) (w, h int, err error) {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, 0, &NotVideoError{Path: path, Detail: string(bytes.TrimSpace(ee.Stderr))}
		}
		return 0, 0, fmt.Errorf("ffprobe: %w", err)
	}
	ws, hs, _ := strings.Cut(strings.TrimSpace(string(out)), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if errW != nil || errH != nil || w <= 0 || h <= 0 || w > 8192 || h > 8192 {
		return 0, 0, &NotVideoError{Path: path, Detail: fmt.Sprintf("no video stream of a usable size, ffprobe said %q", bytes.TrimSpace(out))}
	}
	return w, h, nil
}

// Read has ffmpeg sample the file at o.FPS as raw BGR24 frames of its own
// size and hands each to fn, in order, with PTS = its time from the start
// of the file (frame n is at n/FPS). It stops at the end of the file, or at
// fn's first error, which it returns. A frame is fn's to keep.
func Read(ctx context.Context, path string, o Options, fn func(*analytics.Frame) error) error {
	if o.FPS <= 0 || o.FPS > 60 {
		return fmt.Errorf("fps must be above 0 and at most 60, not %v / số khung hình mỗi giây phải lớn hơn 0 và không quá 60", o.FPS)
	}
	w, h, err := Probe(ctx, path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops ffmpeg if fn fails
	args := []string{"-nostdin", "-v", "error"}
	if o.Duration > 0 {
		args = append(args, "-t", strconv.FormatFloat(o.Duration.Seconds(), 'f', 3, 64))
	}
	args = append(args, "-i", path, "-map", "0:v:0", "-vf", "fps="+strconv.FormatFloat(o.FPS, 'f', -1, 64),
		"-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	childproc.Own(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ffmpeg: %w", err)
	}
	r := bufio.NewReaderSize(stdout, w*h*3)
	var fnErr error
	for n := 0; ; n++ {
		pts := time.Duration(float64(n) / o.FPS * float64(time.Second))
		fr := &analytics.Frame{Width: w, Height: h, BGR: make([]byte, w*h*3), PTS: pts, At: o.Start.Add(pts)}
		if _, err := io.ReadFull(r, fr.BGR); err != nil {
			if !errors.Is(err, io.EOF) {
				fnErr = fmt.Errorf("read frame %d from ffmpeg: %w", n, err)
			}
			break
		}
		if fnErr = fn(fr); fnErr != nil {
			break
		}
	}
	if fnErr != nil {
		cancel()
	}
	waitErr := cmd.Wait()
	if fnErr != nil {
		return fnErr
	}
	if waitErr != nil {
		return fmt.Errorf("ffmpeg: %w: %s", waitErr, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
