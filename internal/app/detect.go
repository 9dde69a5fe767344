package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // matthan detect reads JPEG pictures
	_ "image/png"  // and PNG ones; anything else goes to ffmpeg
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
)

// DetectOptions are the options of `matthan detect`.
type DetectOptions struct {
	Out      io.Writer
	Path     string        // the video or picture
	FPS      float64       // frames analysed per second of video
	Duration time.Duration // analyse only this much of a video; 0: all
	MinScore float64
	Threads  int
}

// Flags declares detect's flags.
func (o *DetectOptions) Flags(fs *flag.FlagSet) {
	fs.Float64Var(&o.FPS, "fps", 5, "frames analysed per second of video")
	fs.DurationVar(&o.Duration, "duration", 0, "analyse only the start of a video, e.g. 10s (0: all of it)")
	fs.Float64Var(&o.MinScore, "min-score", detect.DefaultMinScore, "drop detections scoring less")
	fs.IntVar(&o.Threads, "threads", 1, "ONNX Runtime threads")
}

// Parse reads detect's flags and its one argument, the file, in any order.
func (o *DetectOptions) Parse(fs *flag.FlagSet, args []string) error {
	path, err := parseOneArg(fs, args, "usage: matthan detect [--fps 5] [--duration 10s] FILE (a video, or a PNG/JPEG picture)")
	o.Path = path
	return err
}

// detectLine is one line of detect's output: one analysed frame.
type detectLine struct {
	Time       float64               `json:"time"` // seconds from the start of the file
	Detections []analytics.Detection `json:"detections"`
}

// Detect runs `matthan detect`: the object detector over every sampled
// frame of a video (decoded by ffmpeg) or over one picture, printing one
// JSON line per frame with every object found, moving or not.
func Detect(ctx context.Context, o DetectOptions) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.FPS <= 0 || o.FPS > 60 {
		return fmt.Errorf("detect: --fps must be above 0 and at most 60, not %v", o.FPS)
	}
	f, err := os.Open(o.Path)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	defer f.Close()
	_, format, cfgErr := image.DecodeConfig(f)

	det, err := detect.NewYOLOX(detect.Options{MinScore: float32(o.MinScore), Threads: o.Threads})
	if err != nil {
		return err
	}
	defer det.Close()
	out := bufio.NewWriter(o.Out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	emit := func(t float64, fr *analytics.Frame) error {
		res, err := det.Detect(ctx, []*analytics.Frame{fr})
		if err != nil {
			return err
		}
		dets := res[0]
		for i := range dets { // three decimals are plenty and keep lines short
			dets[i].Score = float32(math.Round(float64(dets[i].Score)*1000) / 1000)
		}
		if dets == nil {
			dets = []analytics.Detection{}
		}
		if err := enc.Encode(detectLine{Time: math.Round(t*1000) / 1000, Detections: dets}); err != nil {
			return err
		}
		return out.Flush() // a line as soon as its frame is done
	}

	if cfgErr == nil { // a picture Go can decode
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("detect: %w", err)
		}
		img, _, err := image.Decode(f)
		if err != nil {
			return fmt.Errorf("detect: decode %s picture: %w", format, err)
		}
		return emit(0, detect.FrameFromImage(img))
	}
	return decodeVideo(ctx, o, emit)
}

// decodeVideo has ffmpeg sample the file at o.FPS as raw BGR24 frames and
// hands each to emit with its time from the start of the file.
func decodeVideo(ctx context.Context, o DetectOptions, emit func(float64, *analytics.Frame) error) error {
	w, h, err := probeSize(ctx, o.Path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops ffmpeg if emit fails
	args := []string{"-nostdin", "-v", "error"}
	if o.Duration > 0 {
		args = append(args, "-t", strconv.FormatFloat(o.Duration.Seconds(), 'f', 3, 64))
	}
	args = append(args, "-i", o.Path, "-map", "0:v:0", "-vf", "fps="+strconv.FormatFloat(o.FPS, 'f', -1, 64),
		"-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("detect: ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("detect: start ffmpeg: %w", err)
	}
	r := bufio.NewReaderSize(stdout, w*h*3)
	var emitErr error
	for n := 0; ; n++ {
		fr := &analytics.Frame{Width: w, Height: h, BGR: make([]byte, w*h*3), PTS: time.Duration(float64(n) / o.FPS * float64(time.Second))}
		if _, err := io.ReadFull(r, fr.BGR); err != nil {
			if !errors.Is(err, io.EOF) {
				emitErr = fmt.Errorf("detect: read frame %d from ffmpeg: %w", n, err)
			}
			break
		}
		if emitErr = emit(fr.PTS.Seconds(), fr); emitErr != nil {
			break
		}
	}
	if emitErr != nil {
		cancel()
	}
	waitErr := cmd.Wait()
	if emitErr != nil {
		return emitErr
	}
	if waitErr != nil {
		return fmt.Errorf("detect: ffmpeg: %w: %s", waitErr, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// probeSize asks ffprobe for the width and height of the file's first
// video stream.
func probeSize(ctx context.Context, path string) (w, h int, err error) {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, 0, fmt.Errorf("detect: %s is neither a picture nor a video ffprobe reads: %s", path, bytes.TrimSpace(ee.Stderr))
		}
		return 0, 0, fmt.Errorf("detect: ffprobe: %w", err)
	}
	ws, hs, _ := strings.Cut(strings.TrimSpace(string(out)), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if errW != nil || errH != nil || w <= 0 || h <= 0 || w > 8192 || h > 8192 {
		return 0, 0, fmt.Errorf("detect: %s has no video stream of a usable size (ffprobe said %q)", path, bytes.TrimSpace(out))
	}
	return w, h, nil
}
