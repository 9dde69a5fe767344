package app

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // matthan detect reads JPEG pictures
	_ "image/png"  // and PNG ones; anything else goes to ffmpeg
	"io"
	"math"
	"os"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/filedecode"
	"matthan/internal/analytics/motion"
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
	// Motion are the moving regions the motion stage found (none on a
	// picture or a video's first frame: it has no background yet).
	Motion []analytics.Box `json:"motion"`
}

// Detect runs `matthan detect`: the decode, motion and detector stages of
// the analysis over every sampled frame of a video (decoded by ffmpeg as
// the live decoder does) or over one picture, printing one JSON line per
// frame with every object found, moving or not (the detector looks at the
// whole frame), and the motion stage's moving regions.
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
	moving := motion.New(motion.Config{})
	// The file's first frame is given 10:00 in Vietnam, so motion uses its
	// day settings unless the picture is dark.
	day := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	emit := func(fr *analytics.Frame) error {
		m := moving.Update(fr)
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
		if m.Boxes == nil {
			m.Boxes = []analytics.Box{}
		}
		line := detectLine{Time: math.Round(fr.PTS.Seconds()*1000) / 1000, Detections: dets, Motion: m.Boxes}
		if err := enc.Encode(line); err != nil {
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
		fr := detect.FrameFromImage(img)
		fr.At = day
		return emit(fr)
	}
	err = filedecode.Read(ctx, o.Path, filedecode.Options{FPS: o.FPS, Duration: o.Duration, Start: day}, emit)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	return nil
}
