// Package eval measures the analysis against reference labels written by
// hand for the shipped clips (testdata/labels): the detector's precision
// and recall per class on the labelled frames, the riders counted per
// motorcycle, and whether each rule fired on the clips where it should
// and only there. `matthan eval` prints its report.
package eval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/filedecode"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/analytics/rules"
	"matthan/internal/analytics/track"
	"matthan/internal/media"
)

// DefaultFPS is the analysis rate: the node's default.
const DefaultFPS = 5

// Options tune an evaluation.
type Options struct {
	// Clips is the folder of the clips the label files name.
	Clips string
	// FPS is the analysis rate (DefaultFPS): the tracker and the rules
	// see consecutive frames at this rate, as on a camera.
	FPS float64
	// IoU is the least overlap for a detection to match a labelled
	// object (DefaultIoU).
	IoU float32
	// Detector is the detector evaluated; the caller closes it.
	Detector analytics.Detector
	// Regions makes the pipeline search frames with a little motion on
	// the moving regions only, through a detect.Mosaic over Detector, as a
	// node does. A labelled frame searched so is measured on the region
	// detections plus the tracks the regions did not cover (the still
	// objects the pipeline keeps from its full-frame passes): what the
	// pipeline knows of that frame.
	Regions bool
	// Pair puts whole frames two to a model run, one in each half of the
	// canvas (detect.MosaicOptions.Pair), as a node with
	// analytics.pair-frames does. With pairing on, the clips run at the
	// same time, like cameras, so a frame's partner is another clip's
	// frame; a labelled frame the pipeline did not search is measured
	// through the same mosaic.
	Pair detect.PairMode
	Log  *slog.Logger
}

// Report is the outcome of an evaluation.
type Report struct {
	FPS     float64       `json:"fps"`
	IoU     float32       `json:"iou"`
	Frames  int           `json:"labelled_frames"`
	Classes []ClassCounts `json:"classes"`
	Riders  RiderCounts   `json:"riders"`
	Rules   []RuleCounts  `json:"rules"`
	Clips   []ClipReport  `json:"clips"`
	// Mosaic counts the canvases run (Options.Regions or Pair): regions
	// and whole frames on them.
	Mosaic *detect.MosaicStats `json:"mosaic,omitempty"`
}

// ClassCounts are one class's results, with precision and recall (null
// when undefined: nothing detected, or nothing labelled).
type ClassCounts struct {
	Class analytics.Class `json:"class"`
	Counts
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
}

// RuleCounts are one rule's results over the clips that judge it: a clip
// expecting the rule is labelled; one where it fired at least once is
// detected.
type RuleCounts struct {
	Rule  matthan.EventType `json:"rule"`
	Clips int               `json:"clips"` // clips whose labels say whether it should fire
	Counts
	Events    int      `json:"events"` // distinct events fired on those clips
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
}

// RiderCounts compare the riders counted on a motorcycle with the labels:
// for each labelled motorcycle with a rider count, whether a motorcycle
// track was found on it, and whether the persons the riders rule sees
// riding that track (rules.Riding) are as many.
type RiderCounts struct {
	Labelled int `json:"labelled"` // motorcycles with a labelled rider count
	Tracked  int `json:"tracked"`  // of which a confirmed motorcycle track covers the box
	Right    int `json:"right"`    // of which the count is right
	Fewer    int `json:"fewer"`
	More     int `json:"more"`
}

func (r *RiderCounts) add(o RiderCounts) {
	r.Labelled += o.Labelled
	r.Tracked += o.Tracked
	r.Right += o.Right
	r.Fewer += o.Fewer
	r.More += o.More
}

// ClipReport is one clip's results.
type ClipReport struct {
	Clip     string `json:"clip"`
	Analysed int    `json:"analysed_frames"`
	Frames   int    `json:"labelled_frames"`
	// Gated are labelled frames on which the pipeline did not run the
	// detector (no motion, no full pass due): they are measured with a
	// detector pass of their own.
	Gated int `json:"gated"`
	// RegionFrames are analysed frames the pipeline searched on motion
	// regions only (Options.Regions).
	RegionFrames int                        `json:"region_frames"`
	Classes      []ClassCounts              `json:"classes"`
	Riders       RiderCounts                `json:"riders"`
	Expected     map[matthan.EventType]bool `json:"expected"`
	Fired        map[matthan.EventType]int  `json:"fired"` // distinct events per type, every type
}

// Run evaluates the detector and the pipeline on every labelled clip.
func Run(ctx context.Context, labels []*Labels, o Options) (*Report, error) {
	if o.Detector == nil {
		return nil, errors.New("eval: no detector")
	}
	if o.FPS <= 0 {
		o.FPS = DefaultFPS
	}
	if o.IoU <= 0 {
		o.IoU = DefaultIoU
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{FPS: o.FPS, IoU: o.IoU}
	var mosaic *detect.Mosaic
	if o.Regions || o.Pair != detect.PairOff {
		mosaic = detect.NewMosaic(o.Detector, detect.MosaicOptions{Pair: o.Pair})
	}
	crs := make([]*ClipReport, len(labels))
	clss := make([]map[analytics.Class]*Counts, len(labels))
	errs := make([]error, len(labels))
	if o.Pair != detect.PairOff { // at once, like cameras: frames pair across clips
		var wg sync.WaitGroup
		for i, l := range labels {
			wg.Go(func() { crs[i], clss[i], errs[i] = runClip(ctx, l, o, mosaic) })
		}
		wg.Wait()
	} else {
		for i, l := range labels {
			if crs[i], clss[i], errs[i] = runClip(ctx, l, o, mosaic); errs[i] != nil {
				break
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if mosaic != nil {
		st := mosaic.Stats()
		rep.Mosaic = &st
	}
	classes := map[analytics.Class]*Counts{}
	rulesAll := map[matthan.EventType]*RuleCounts{}
	for i := range labels {
		cr, cls := crs[i], clss[i]
		rep.Frames += cr.Frames
		rep.Riders.add(cr.Riders)
		for c, n := range cls {
			if classes[c] == nil {
				classes[c] = &Counts{}
			}
			classes[c].add(*n)
		}
		for _, rule := range slices.Sorted(maps.Keys(cr.Expected)) {
			rc := rulesAll[rule]
			if rc == nil {
				rc = &RuleCounts{Rule: rule}
				rulesAll[rule] = rc
			}
			expected, fired := cr.Expected[rule], cr.Fired[rule] > 0
			rc.Clips++
			rc.Events += cr.Fired[rule]
			if expected {
				rc.Labelled++
			}
			if fired {
				rc.Detected++
			}
			switch {
			case expected && fired:
				rc.TP++
			case fired:
				rc.FP++
			case expected:
				rc.FN++
			}
		}
		rep.Clips = append(rep.Clips, *cr)
	}
	rep.Classes = classList(classes)
	for _, rule := range slices.Sorted(maps.Keys(rulesAll)) {
		rc := rulesAll[rule]
		rc.Precision, rc.Recall = ratios(rc.Counts)
		rep.Rules = append(rep.Rules, *rc)
	}
	return rep, nil
}

// classList orders a class map as analytics.Classes does.
func classList(m map[analytics.Class]*Counts) []ClassCounts {
	var out []ClassCounts
	for _, c := range analytics.Classes {
		if n := m[c]; n != nil {
			cc := ClassCounts{Class: c, Counts: *n}
			cc.Precision, cc.Recall = ratios(*n)
			out = append(out, cc)
		}
	}
	return out
}

func ratios(c Counts) (p, r *float64) {
	round := func(v float64) *float64 { v = math.Round(v*1000) / 1000; return &v }
	if v, ok := c.Precision(); ok {
		p = round(v)
	}
	if v, ok := c.Recall(); ok {
		r = round(v)
	}
	return p, r
}

// recorder passes the pipeline's detector calls through and keeps the
// last frame's detections: what the detector stage gave on that frame.
type recorder struct {
	det   analytics.Detector
	frame *analytics.Frame
	dets  []analytics.Detection
}

// regionRecorder is a recorder that also passes region searches through.
type regionRecorder struct {
	recorder
	rd analytics.RegionDetector
}

func (r *regionRecorder) MaxRegionSide(w, h int) int { return r.rd.MaxRegionSide(w, h) }

func (r *regionRecorder) MaxRegions() int { return r.rd.MaxRegions() }

func (r *regionRecorder) DetectRegions(ctx context.Context, f *analytics.Frame, regions []analytics.Box) ([]analytics.Detection, error) {
	out, err := r.rd.DetectRegions(ctx, f, regions)
	if err == nil {
		r.frame, r.dets = f, out
	}
	return out, err
}

// unsearched are the confirmed tracks no region of res covered, as
// detections: the still objects the pipeline keeps between full passes.
func unsearched(res *pipeline.Result) []analytics.Detection {
	var out []analytics.Detection
	for _, t := range res.Tracks {
		covered := false
		for _, r := range res.Regions {
			in := analytics.Box{X1: max(t.Box.X1, r.X1), Y1: max(t.Box.Y1, r.Y1), X2: min(t.Box.X2, r.X2), Y2: min(t.Box.Y2, r.Y2)}
			covered = covered || in.Area() >= 0.9*t.Box.Area()
		}
		if !covered {
			out = append(out, analytics.Detection{Class: t.Class, Score: t.Score, Box: t.Box})
		}
	}
	return out
}

func (r *recorder) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	out, err := r.det.Detect(ctx, frames)
	if err == nil && len(frames) == 1 && len(out) == 1 {
		r.frame, r.dets = frames[0], out[0]
	}
	return out, err
}

func (r *recorder) Close() error { return nil } // the evaluation's caller owns the detector

// evalStart is the wall-clock time given to a clip's first frame: 10:00 in
// Vietnam, daytime like the clips, outside the night and noon schedules.
func evalStart() time.Time { return time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) }

// runClip runs the whole pipeline, with a camera's default settings (and
// its tamper check) but no helmet model, over one clip
// at o.FPS and measures its labelled frames. mosaic, over o.Detector, is
// set when o.Regions or o.Pair is.
func runClip(ctx context.Context, l *Labels, o Options, mosaic *detect.Mosaic) (*ClipReport, map[analytics.Class]*Counts, error) {
	cr := &ClipReport{Clip: l.Clip, Expected: l.Events, Fired: map[matthan.EventType]int{}}
	classes := map[analytics.Class]*Counts{}
	seen := map[string]bool{} // event IDs: one situation is one event, however often updated
	rec := &recorder{det: o.Detector}
	var det analytics.Detector = rec
	whole := o.Detector // what measures a frame the pipeline did not search
	switch {
	case o.Regions:
		rr := &regionRecorder{recorder: recorder{det: mosaic}, rd: mosaic}
		rec, det = &rr.recorder, rr
	case o.Pair != detect.PairOff:
		rec.det = mosaic // whole frames only: not a RegionDetector
	}
	if o.Pair != detect.PairOff {
		whole = mosaic
	}
	cfg := pipeline.Config{CameraID: "eval"}
	pipeline.DefaultSettings().Apply(&cfg) // a whole-picture zone: three riders, crowd
	cam, err := pipeline.New(cfg, pipeline.Deps{
		Hub: media.NewHub(), Detector: det, Log: o.Log,
		Fire: func(_ context.Context, f events.Fired) error {
			if !seen[f.Event.ID] {
				seen[f.Event.ID] = true
				cr.Fired[f.Event.Type]++
			}
			return nil
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	path := filepath.Join(o.Clips, l.Clip)
	next := 0 // the next labelled frame
	err = filedecode.Read(ctx, path, filedecode.Options{FPS: o.FPS, Start: evalStart()}, func(f *analytics.Frame) error {
		if f.Width != l.Width || f.Height != l.Height {
			return &LabelError{File: l.Path, Field: "width", EN: fmt.Sprintf("the clip's frames are %dx%d, not %dx%d", f.Width, f.Height, l.Width, l.Height),
				VI: fmt.Sprintf("khung hình của video là %dx%d, không phải %dx%d", f.Width, f.Height, l.Width, l.Height)}
		}
		cr.Analysed++
		res := cam.Step(ctx, f)
		if res.Regions != nil {
			cr.RegionFrames++
		}
		if next >= len(l.Frames) || frameIndex(l.Frames[next].Time, o.FPS) != frameIndex(f.PTS.Seconds(), o.FPS) {
			return nil
		}
		lf := l.Frames[next]
		next++
		dets := rec.dets
		if rec.frame == f && res.Regions != nil {
			dets = append(slices.Clone(dets), unsearched(res)...)
		}
		if rec.frame != f { // the pipeline skipped the detector here
			cr.Gated++
			out, err := whole.Detect(ctx, []*analytics.Frame{f})
			if err != nil {
				return err
			}
			dets = out[0]
		}
		m := MatchFrame(lf.Objects, append(slices.Clone(l.Ignore), lf.Ignore...), dets, o.IoU)
		for c, n := range m.Counts {
			if classes[c] == nil {
				classes[c] = &Counts{}
			}
			classes[c].add(*n)
		}
		cr.Riders.add(countRiders(lf.Objects, res.Tracks, o.IoU))
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("eval %s: %w", l.Clip, err)
	}
	if next < len(l.Frames) {
		return nil, nil, &LabelError{File: l.Path, Field: fmt.Sprintf("frames[%d].time", next),
			EN: fmt.Sprintf("%.3f s is after the clip's last frame at %g fps", l.Frames[next].Time, o.FPS),
			VI: fmt.Sprintf("%.3f giây ở sau khung hình cuối của video khi lấy %g khung/giây", l.Frames[next].Time, o.FPS)}
	}
	cr.Frames = len(l.Frames)
	cr.Classes = classList(classes)
	return cr, classes, nil
}

// frameIndex is the number of the frame nearest time t at fps.
func frameIndex(t, fps float64) int { return int(math.Round(t * fps)) }

// countRiders compares, for each labelled motorcycle with a rider count,
// the persons that ride the motorcycle track on it (the riders rule's own
// test) with the label.
func countRiders(objects []Object, tracks []*track.Track, minIoU float32) RiderCounts {
	var rc RiderCounts
	used := map[int64]bool{}
	for _, o := range objects {
		if o.Class != analytics.Motorcycle || o.Riders < 0 {
			continue
		}
		rc.Labelled++
		var bike *track.Track
		best := minIoU
		for _, t := range tracks {
			if t.Class != analytics.Motorcycle || t.Missed > 0 || used[t.ID] {
				continue
			}
			if iou := t.Box.IoU(o.Box); iou >= best {
				bike, best = t, iou
			}
		}
		if bike == nil {
			continue
		}
		used[bike.ID] = true
		rc.Tracked++
		n := 0
		for _, p := range tracks {
			if p.Class == analytics.Person && rules.Riding(p, bike) {
				n++
			}
		}
		switch {
		case n == o.Riders:
			rc.Right++
		case n < o.Riders:
			rc.Fewer++
		default:
			rc.More++
		}
	}
	return rc
}
