package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/eval"
)

// EvalOptions are the options of `matthan eval`.
type EvalOptions struct {
	Out      io.Writer
	Labels   string   // folder of label files
	Clips    string   // folder of the clips; "" is Labels/../clips
	JSON     bool     // print the report as JSON
	Only     []string // clips to evaluate (file names, with or without .mp4); none: all labelled
	FPS      float64
	MinScore float64
	Threads  int
	Regions  bool   // search motion regions through a mosaic, as a node does
	Pair     string // whole frames two to a model run: off, always, busy (analytics.pair-frames)
}

// Flags declares eval's flags.
func (o *EvalOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Labels, "labels", "testdata/labels", "folder of the reference label files (*.json)")
	fs.StringVar(&o.Clips, "clips", "", "folder of the clips (default: the labels folder's ../clips)")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.Float64Var(&o.FPS, "fps", eval.DefaultFPS, "frames analysed per second of video")
	fs.Float64Var(&o.MinScore, "min-score", detect.DefaultMinScore, "drop detections scoring less")
	fs.IntVar(&o.Threads, "threads", 1, "ONNX Runtime threads")
	fs.BoolVar(&o.Regions, "regions", false, "search frames with a little motion on the moving regions only (2×2 mosaic), as a node does")
	fs.StringVar(&o.Pair, "pair", "off", "whole frames two to a model run, one in each half of the canvas, as a node with analytics.pair-frames: off, always, or busy (only when no detector session is free); when on, the clips run at the same time, like cameras")
}

// Parse reads eval's flags and the clips named after them, in any order.
func (o *EvalOptions) Parse(fs *flag.FlagSet, args []string) error {
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return nil
		}
		o.Only = append(o.Only, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// Eval runs `matthan eval`: the analysis over the labelled clips, and its
// precision and recall per class and per rule.
func Eval(ctx context.Context, o EvalOptions) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.FPS <= 0 || o.FPS > 60 {
		return fmt.Errorf("eval: --fps must be above 0 and at most 60, not %v", o.FPS)
	}
	pair, err := detect.ParsePairMode(o.Pair)
	if err != nil {
		return fmt.Errorf("eval: --pair: %w", err)
	}
	labels, err := eval.LoadDir(o.Labels)
	if err != nil {
		return err
	}
	if len(o.Only) > 0 {
		var picked []*eval.Labels
		for _, name := range o.Only {
			name = filepath.Base(name)
			i := slices.IndexFunc(labels, func(l *eval.Labels) bool {
				return l.Clip == name || strings.TrimSuffix(l.Clip, filepath.Ext(l.Clip)) == name
			})
			if i < 0 {
				return fmt.Errorf("eval: no labels for clip %q in %s / không có nhãn cho video %q trong %s", name, o.Labels, name, o.Labels)
			}
			picked = append(picked, labels[i])
		}
		labels = picked
	}
	if o.Clips == "" {
		o.Clips = filepath.Join(o.Labels, "..", "clips")
	}
	det, err := detect.NewYOLOX(detect.Options{MinScore: float32(o.MinScore), Threads: o.Threads})
	if err != nil {
		return err
	}
	defer det.Close()
	rep, err := eval.Run(ctx, labels, eval.Options{Clips: o.Clips, FPS: o.FPS, Detector: det, Regions: o.Regions, Pair: pair})
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(o.Out, "Detector: YOLOX-Nano 416, detections scoring %.2f or more\n", o.MinScore)
	if o.Regions {
		fmt.Fprintln(o.Out, "Frames with local motion searched on its regions (2×2 mosaics); their objects: the region detections and the tracks outside the regions")
	}
	if pair != detect.PairOff {
		fmt.Fprintf(o.Out, "Whole frames two to a model run (%s), each in half the canvas; clips analysed at the same time, like cameras\n", pair)
	}
	if st := rep.Mosaic; st != nil {
		fmt.Fprintf(o.Out, "Mosaic: %d canvases run, %d regions and %d whole frames on them\n", st.Runs, st.Tiles, st.Frames)
	}
	return rep.WriteText(o.Out)
}
