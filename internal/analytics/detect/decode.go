package detect

import (
	"cmp"
	"math"
	"slices"

	"matthan/internal/analytics"
)

// numClasses is the COCO class count of the YOLOX output rows (5 + 80 columns).
const numClasses = 80

// cocoClasses maps the COCO indices the ward's rules use to their class;
// every other index is dropped.
var cocoClasses = map[int]analytics.Class{
	0: analytics.Person, 1: analytics.Bicycle, 2: analytics.Car,
	3: analytics.Motorcycle, 5: analytics.Bus, 7: analytics.Truck,
}

// strides are YOLOX's three output scales, in output row order.
var strides = [...]int{8, 16, 32}

// outputRows is the number of predictions for a square input of size px.
func outputRows(size int) int {
	n := 0
	for _, s := range strides {
		n += (size / s) * (size / s)
	}
	return n
}

// decode turns one frame's raw output ([rows][85]) into detections in
// frame pixels: grid offset and exp for the box, objectness times the best
// class probability for the score (both already sigmoid), boxes divided by
// the letterbox ratio and clipped to the frame, then class-aware NMS.
func decode(out []float32, size int, ratio float64, w, h int, minScore, nmsIoU float32) []analytics.Detection {
	const cols = 5 + numClasses
	var cands []analytics.Detection
	row := 0
	for _, s := range strides {
		n := size / s
		fs := float32(s)
		for gy := range n {
			for gx := range n {
				p := out[row*cols : (row+1)*cols]
				row++
				obj := p[4]
				if obj < minScore { // score = obj*cls <= obj
					continue
				}
				best, bestP := 0, p[5]
				for c := 1; c < numClasses; c++ {
					if p[5+c] > bestP {
						best, bestP = c, p[5+c]
					}
				}
				score := obj * bestP
				class, keep := cocoClasses[best]
				if !keep || score < minScore {
					continue
				}
				cx, cy := (p[0]+float32(gx))*fs, (p[1]+float32(gy))*fs
				bw, bh := float32(math.Exp(float64(p[2])))*fs, float32(math.Exp(float64(p[3])))*fs
				r := float32(ratio)
				b := analytics.Box{
					X1: clamp((cx-bw/2)/r, float32(w)), Y1: clamp((cy-bh/2)/r, float32(h)),
					X2: clamp((cx+bw/2)/r, float32(w)), Y2: clamp((cy+bh/2)/r, float32(h)),
				}
				if b.Area() == 0 {
					continue
				}
				cands = append(cands, analytics.Detection{Class: class, Score: score, Box: b})
			}
		}
	}
	return nms(cands, nmsIoU)
}

func clamp(v, hi float32) float32 { return min(max(v, 0), hi) }

// nms keeps, per class, the best-scoring boxes and drops any box that
// overlaps a kept one of its class by more than iou. The result is sorted
// by score, best first.
func nms(dets []analytics.Detection, iou float32) []analytics.Detection {
	slices.SortStableFunc(dets, func(a, b analytics.Detection) int { return cmp.Compare(b.Score, a.Score) })
	kept := make([]analytics.Detection, 0, len(dets))
next:
	for _, d := range dets {
		for _, k := range kept {
			if k.Class == d.Class && k.Box.IoU(d.Box) > iou {
				continue next
			}
		}
		kept = append(kept, d)
	}
	return kept
}
