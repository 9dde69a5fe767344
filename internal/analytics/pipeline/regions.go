package pipeline

import (
	"context"

	"cmp"
	"math"
	"slices"

	"matthan/internal/analytics"
	"matthan/internal/analytics/motion"
)

// Region planning: motion boxes become a few square regions for an
// analytics.RegionDetector (design/analytics.md, "Regions").
const (
	// regionMinSide is the least region side in frame pixels: a person
	// close to a 640×360 camera is about this tall. Larger frames take at
	// least half of the largest region, so a tile never shows a region
	// more than twice as large as the whole-frame pass shows it: objects
	// stay near the sizes the model is tuned on for this camera.
	regionMinSide = 160
	// regionPad is added around a motion box on every side, as a share of
	// its larger side (and at least regionPadPx): motion often covers only
	// the part of an object that moved (a rider's legs, a car's front).
	regionPad   = 0.3
	regionPadPx = 24
	// regionOverlap is the least overlap, in frame pixels, of the squares
	// that cover a motion area too large for one: an object up to this
	// size cut by one square is whole in the next.
	regionOverlap = 96
	// maxRegions is the most regions a frame is searched in: four tiles
	// cost one model run, the price of the whole frame, which sees more.
	// A detector that pairs whole frames says fewer (MaxRegions).
	maxRegions = 3
)

// planRegions turns a frame's motion boxes into square regions around
// them, kept inside the w×h frame: each box is padded, overlapping padded
// boxes are merged into their bounding rectangle, and each rectangle
// becomes one square (at least regionMinSide and maxSide/2) or, when larger than
// maxSide, squares of maxSide overlapping by regionOverlap so an object cut
// by one square's side is whole in its neighbour. It returns false when
// the whole frame is the better search: no boxes, or more than limit
// squares.
func planRegions(boxes []analytics.Box, w, h, maxSide, limit int) ([]analytics.Box, bool) {
	if len(boxes) == 0 || w <= 0 || h <= 0 || maxSide <= regionOverlap {
		return nil, false
	}
	frame := analytics.Box{X2: float32(w), Y2: float32(h)}
	rects := make([]analytics.Box, 0, len(boxes))
	for _, b := range boxes {
		pad := max(regionPad*max(b.W(), b.H()), regionPadPx)
		p := analytics.Box{X1: b.X1 - pad, Y1: b.Y1 - pad, X2: b.X2 + pad, Y2: b.Y2 + pad}
		rects = append(rects, intersect(p, frame))
	}
	// Merge overlapping rectangles until none overlap.
	for merged := true; merged; {
		merged = false
	outer:
		for i := range rects {
			for j := i + 1; j < len(rects); j++ {
				a, b := rects[i], rects[j]
				if intersect(a, b).Area() == 0 {
					continue
				}
				rects[i] = analytics.Box{X1: min(a.X1, b.X1), Y1: min(a.Y1, b.Y1), X2: max(a.X2, b.X2), Y2: max(a.Y2, b.Y2)}
				rects = slices.Delete(rects, j, j+1)
				merged = true
				break outer
			}
		}
	}
	var regions []analytics.Box
	for _, r := range rects {
		if side := max(r.W(), r.H()); side <= float32(maxSide) {
			regions = append(regions, square(r, max(side, regionMinSide, float32(maxSide)/2), w, h))
			continue
		}
		xs, ys := cover(r.X1, r.X2, maxSide), cover(r.Y1, r.Y2, maxSide)
		if len(regions)+len(xs)*len(ys) > limit {
			return nil, false
		}
		for _, y := range ys {
			for _, x := range xs {
				regions = append(regions, square(analytics.Box{X1: x, Y1: y, X2: x, Y2: y}, float32(maxSide), w, h))
			}
		}
	}
	if len(regions) > limit {
		return nil, false
	}
	slices.SortFunc(regions, func(a, b analytics.Box) int {
		return cmp.Or(cmp.Compare(a.Y1, b.Y1), cmp.Compare(a.X1, b.X1))
	})
	return regions, true
}

// cover returns the centres of squares of the given side that cover
// lo..hi, neighbours overlapping by at least regionOverlap.
func cover(lo, hi float32, side int) []float32 {
	s, ov := float32(side), float32(regionOverlap)
	if hi-lo <= s {
		return []float32{(lo + hi) / 2}
	}
	n := int(math.Ceil(float64((hi - lo - ov) / (s - ov))))
	step := (hi - lo - s) / float32(n-1)
	out := make([]float32, n)
	for i := range out {
		out[i] = lo + s/2 + float32(i)*step
	}
	return out
}

func intersect(a, b analytics.Box) analytics.Box {
	return analytics.Box{X1: max(a.X1, b.X1), Y1: max(a.Y1, b.Y1), X2: min(a.X2, b.X2), Y2: min(a.Y2, b.Y2)}
}

// square is the square of the given side centred on b, in whole pixels,
// moved inside the w×h frame (and cut to it where the frame is smaller).
func square(b analytics.Box, side float32, w, h int) analytics.Box {
	place := func(c, side float32, n int) (float32, float32) {
		side = min(float32(int(side+0.999)), float32(n))
		lo := float32(int(c - side/2))
		lo = min(max(lo, 0), float32(n)-side)
		return lo, lo + side
	}
	x1, x2 := place((b.X1+b.X2)/2, side, w)
	y1, y2 := place((b.Y1+b.Y2)/2, side, h)
	return analytics.Box{X1: x1, Y1: y1, X2: x2, Y2: y2}
}

// detect runs the detector on f: on the motion regions when the detector
// takes regions, the motion is neither widespread nor too large, and no
// full pass is due; on the whole frame otherwise. regions is nil for a
// whole-frame search.
func (c *Camera) detect(ctx context.Context, f *analytics.Frame, m motion.Result, full bool) (dets []analytics.Detection, regions []analytics.Box, err error) {
	if rd, ok := c.deps.Detector.(analytics.RegionDetector); ok && !full && !m.Widespread {
		limit := min(maxRegions, rd.MaxRegions())
		if regions, ok := planRegions(m.Boxes, f.Width, f.Height, rd.MaxRegionSide(f.Width, f.Height), limit); ok {
			dets, err := rd.DetectRegions(ctx, f, regions)
			return dets, regions, err
		}
	}
	out, err := c.deps.Detector.Detect(ctx, []*analytics.Frame{f})
	if err != nil {
		return nil, nil, err
	}
	return out[0], nil, nil
}
