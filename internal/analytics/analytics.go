// Package analytics watches the cameras' sub-streams for what the ward's
// officers cannot watch for: it decodes a few frames a second, finds motion,
// detects objects on the moving regions (and the whole frame now and then),
// follows them as tracks, and applies the ward's rules (loitering, three
// riders, illegal parking, dumping, tamper…) to produce events.
//
// The stages meet through the types in this file; each stage lives in its
// own sub-package (decode, motion, detect, track, rules) and recording never
// depends on any of them.
package analytics

import (
	"context"
	"fmt"
	"time"
)

// Frame is one decoded picture of a camera stream, in BGR24 (3 bytes a
// pixel, row-major, no padding): the order YOLOX and OpenCV expect.
type Frame struct {
	CameraID string
	At       time.Time     // wall-clock time of the picture, UTC
	PTS      time.Duration // media time in the stream
	Width    int
	Height   int
	BGR      []byte // len = Width*Height*3
}

// Box is an axis-aligned rectangle in pixels of the analysed frame:
// X1,Y1 top-left, X2,Y2 bottom-right (exclusive).
type Box struct {
	X1, Y1, X2, Y2 float32
}

// MarshalJSON writes [x1, y1, x2, y2], as `matthan detect` prints boxes.
func (b Box) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "[%.1f,%.1f,%.1f,%.1f]", b.X1, b.Y1, b.X2, b.Y2), nil
}

// W and H are the box's width and height.
func (b Box) W() float32 { return b.X2 - b.X1 }
func (b Box) H() float32 { return b.Y2 - b.Y1 }

// Area is the box's area (0 for an empty box).
func (b Box) Area() float32 {
	if b.X2 <= b.X1 || b.Y2 <= b.Y1 {
		return 0
	}
	return (b.X2 - b.X1) * (b.Y2 - b.Y1)
}

// IoU is the intersection over union of two boxes.
func (b Box) IoU(o Box) float32 {
	in := Box{max(b.X1, o.X1), max(b.Y1, o.Y1), min(b.X2, o.X2), min(b.Y2, o.Y2)}.Area()
	if in == 0 {
		return 0
	}
	return in / (b.Area() + o.Area() - in)
}

// Class is what a detection is. Only the classes the ward's rules use are
// kept; the detector drops the others.
type Class string

const (
	Person     Class = "person"
	Bicycle    Class = "bicycle"
	Motorcycle Class = "motorcycle"
	Car        Class = "car"
	Bus        Class = "bus"
	Truck      Class = "truck"
)

// Classes lists the classes the detector keeps.
var Classes = []Class{Person, Bicycle, Motorcycle, Car, Bus, Truck}

// Detection is one object found in a frame.
type Detection struct {
	Class Class   `json:"class"`
	Score float32 `json:"score"`
	Box   Box     `json:"box"`
}

// Detector finds objects in frames. It takes several frames at once (from
// several cameras) so an implementation can batch them; the result has one
// slice per frame, in order. Implementations: detect.YOLOX (ONNX Runtime);
// another model or an accelerator can replace it.
type Detector interface {
	Detect(ctx context.Context, frames []*Frame) ([][]Detection, error)
	Close() error
}
