// Package privacy paints a camera's privacy masks over its pictures: over
// a JPEG snapshot (MaskJPEG) and over the video of a clip, re-encoded by
// ffmpeg (MaskClip). Live view draws the masks itself, over the video.
package privacy

import (
	"image"
	"math"
	"slices"

	"matthan"
)

// MaxPixels bounds the pictures this package paints (8K UHD): a mask image
// and a decoded snapshot are held whole in memory.
const MaxPixels = 7680 * 4320

// MaskImage returns a w×h image, opaque black where the masks are and
// transparent elsewhere. A pixel is covered when its centre lies inside a
// mask. Each polygon is filled by the even-odd rule (a self-crossing
// polygon leaves holes where it overlaps itself, as an SVG or canvas
// "evenodd" fill does); the masks are then united, so two overlapping
// masks never uncover each other.
func MaskImage(masks []matthan.PrivacyMask, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, max(w, 0), max(h, 0)))
	forEachSpan(masks, img.Rect.Dx(), img.Rect.Dy(), func(y, x0, x1 int) {
		row := img.Pix[y*img.Stride:]
		for x := x0; x < x1; x++ {
			row[4*x+3] = 0xff // black: R, G, B stay 0
		}
	})
	return img
}

// forEachSpan calls span for every run [x0, x1) of covered pixels of row
// y, a polygon at a time (runs of different masks may overlap).
func forEachSpan(masks []matthan.PrivacyMask, w, h int, span func(y, x0, x1 int)) {
	var xs []float64
	for _, m := range masks {
		n := len(m.Polygon)
		if n < 3 {
			continue
		}
		// The rows the polygon may touch.
		top, bottom := math.Inf(1), math.Inf(-1)
		for _, p := range m.Polygon {
			top, bottom = math.Min(top, p.Y*float64(h)), math.Max(bottom, p.Y*float64(h))
		}
		if math.IsNaN(top) || math.IsNaN(bottom) {
			continue
		}
		y0 := max(int(math.Floor(top)), 0)
		y1 := min(int(math.Ceil(bottom)), h)
		for y := y0; y < y1; y++ {
			yc := float64(y) + 0.5
			xs = xs[:0]
			for i := range n {
				a, b := m.Polygon[i], m.Polygon[(i+1)%n]
				ay, by := a.Y*float64(h), b.Y*float64(h)
				// Half-open in y, so a vertex on the scanline counts once.
				if (ay <= yc) == (by <= yc) {
					continue
				}
				ax, bx := a.X*float64(w), b.X*float64(w)
				xs = append(xs, ax+(yc-ay)*(bx-ax)/(by-ay))
			}
			slices.Sort(xs)
			for i := 0; i+1 < len(xs); i += 2 {
				// Pixels whose centre x+0.5 lies in [xs[i], xs[i+1]).
				x0 := max(int(math.Ceil(xs[i]-0.5)), 0)
				x1 := min(int(math.Ceil(xs[i+1]-0.5)), w)
				if x0 < x1 {
					span(y, x0, x1)
				}
			}
		}
	}
}
