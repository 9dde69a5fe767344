package analytics

import "context"

// RegionDetector finds objects in parts of a frame only: the regions where
// something moved. It lets a detector look at a few small crops, batched
// with other cameras' crops, instead of the whole frame (Frigate's way).
// The pipeline uses it when its Detector implements it too; the periodic
// full-frame pass and widespread motion still go through Detect.
type RegionDetector interface {
	// MaxRegionSide is the largest region side, in pixels of a w×h frame,
	// that DetectRegions takes: larger regions are better seen by Detect.
	MaxRegionSide(w, h int) int
	// MaxRegions is how many regions of one frame are worth searching
	// rather than the whole frame (at most 3: four tiles cost what a
	// whole frame costs, and it sees more).
	MaxRegions() int
	// DetectRegions finds the objects inside regions of f (boxes in f's
	// pixels, each side at most MaxRegionSide), boxes in f's pixels.
	// Objects cut by a region's edge inside the frame are left out: the
	// region saw only part of them.
	DetectRegions(ctx context.Context, f *Frame, regions []Box) ([]Detection, error)
}
