package eval

import (
	"cmp"
	"slices"

	"matthan/internal/analytics"
)

// DefaultIoU is the least intersection over union for a detection to
// match a labelled object. Hand-drawn boxes are approximate, so it is
// looser than COCO's 0.5.
const DefaultIoU = 0.3

// Counts are the matching results of one class (or one rule).
type Counts struct {
	Labelled int `json:"labelled"` // objects labelled (clips expecting the rule)
	Detected int `json:"detected"` // detections not ignored (clips where the rule fired)
	TP       int `json:"tp"`
	FP       int `json:"fp"`
	FN       int `json:"fn"`
	// Ignored are detections that matched no object and lay in an ignore
	// region: neither right nor wrong.
	Ignored int `json:"ignored,omitempty"`
}

// Precision is TP/(TP+FP); ok is false when nothing was detected.
func (c Counts) Precision() (p float64, ok bool) {
	if c.TP+c.FP == 0 {
		return 0, false
	}
	return float64(c.TP) / float64(c.TP+c.FP), true
}

// Recall is TP/(TP+FN); ok is false when nothing was labelled.
func (c Counts) Recall() (r float64, ok bool) {
	if c.TP+c.FN == 0 {
		return 0, false
	}
	return float64(c.TP) / float64(c.TP+c.FN), true
}

func (c *Counts) add(o Counts) {
	c.Labelled += o.Labelled
	c.Detected += o.Detected
	c.TP += o.TP
	c.FP += o.FP
	c.FN += o.FN
	c.Ignored += o.Ignored
}

// Match is the outcome of matching one frame's detections to its labels.
type Match struct {
	// ObjectDet is, for each labelled object, the index of the detection
	// that matched it, or -1.
	ObjectDet []int
	// Counts per class. A detection that matched an object through the
	// object's Also classes counts under the object's class, so that per
	// class TP+FN = Labelled and TP+FP = Detected.
	Counts map[analytics.Class]*Counts
}

// MatchFrame matches detections to labelled objects greedily, best score
// first: each detection takes the unmatched object of a class it may be
// with the highest IoU of at least minIoU. A detection left over is a
// false positive, unless its centre lies in an ignore region; an object
// left over is a miss. A second detection of an already matched object is
// a false positive (a duplicate).
func MatchFrame(objects []Object, ignore []analytics.Box, dets []analytics.Detection, minIoU float32) Match {
	m := Match{ObjectDet: make([]int, len(objects)), Counts: map[analytics.Class]*Counts{}}
	count := func(c analytics.Class) *Counts {
		if m.Counts[c] == nil {
			m.Counts[c] = &Counts{}
		}
		return m.Counts[c]
	}
	for i, o := range objects {
		m.ObjectDet[i] = -1
		count(o.Class).Labelled++
	}
	order := make([]int, len(dets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dets[b].Score, dets[a].Score) })
	for _, di := range order {
		d := dets[di]
		best, bestIoU := -1, float32(-1)
		for oi, o := range objects {
			if m.ObjectDet[oi] >= 0 || !o.accepts(d.Class) {
				continue
			}
			if iou := o.Box.IoU(d.Box); iou >= minIoU && iou > bestIoU {
				best, bestIoU = oi, iou
			}
		}
		switch {
		case best >= 0:
			m.ObjectDet[best] = di
			c := count(objects[best].Class)
			c.TP++
			c.Detected++
		case inAny(ignore, d.Box):
			count(d.Class).Ignored++
		default:
			c := count(d.Class)
			c.FP++
			c.Detected++
		}
	}
	for i, o := range objects {
		if m.ObjectDet[i] < 0 {
			count(o.Class).FN++
		}
	}
	return m
}

// inAny reports whether b's centre lies in one of the regions.
func inAny(regions []analytics.Box, b analytics.Box) bool {
	cx, cy := (b.X1+b.X2)/2, (b.Y1+b.Y2)/2
	for _, r := range regions {
		if cx >= r.X1 && cx <= r.X2 && cy >= r.Y1 && cy <= r.Y2 {
			return true
		}
	}
	return false
}
