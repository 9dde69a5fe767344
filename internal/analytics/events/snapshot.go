package events

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"

	"matthan"
	"matthan/internal/analytics"
)

// severityColor is the colour of an event's boxes: red for an alarm,
// orange for a warning, yellow for information.
func severityColor(s matthan.Severity) color.RGBA {
	switch s {
	case matthan.SeverityAlarm:
		return color.RGBA{R: 230, G: 30, B: 30, A: 255}
	case matthan.SeverityInfo:
		return color.RGBA{R: 250, G: 220, B: 0, A: 255}
	}
	return color.RGBA{R: 255, G: 140, B: 0, A: 255}
}

// EncodeJPEG writes a BGR24 frame as a JPEG with the boxes outlined in c.
func EncodeJPEG(w io.Writer, f *analytics.Frame, boxes []analytics.Box, c color.RGBA, quality int) error {
	if f.Width <= 0 || f.Height <= 0 || len(f.BGR) != f.Width*f.Height*3 {
		return fmt.Errorf("frame %dx%d with %d bytes is not BGR24", f.Width, f.Height, len(f.BGR))
	}
	img := image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
	for i, j := 0, 0; i < len(f.BGR); i, j = i+3, j+4 {
		img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = f.BGR[i+2], f.BGR[i+1], f.BGR[i], 255
	}
	// Lines a few pixels thick whatever the frame's size, so a box shows
	// on a phone's thumbnail too.
	thick := max(2, min(f.Width, f.Height)/180)
	for _, b := range boxes {
		drawRect(img, b, thick, c)
	}
	if err := jpeg.Encode(w, img, &jpeg.Options{Quality: quality}); err != nil {
		return fmt.Errorf("encode jpeg: %w", err)
	}
	return nil
}

// drawRect outlines b, clipped to the image, with lines thick pixels wide
// drawn inside the box.
func drawRect(img *image.RGBA, b analytics.Box, thick int, c color.RGBA) {
	r := image.Rect(int(b.X1), int(b.Y1), int(b.X2), int(b.Y2)).Canon()
	if r.Empty() {
		return
	}
	t := min(thick, r.Dx(), r.Dy())
	for _, edge := range []image.Rectangle{
		{r.Min, image.Pt(r.Max.X, r.Min.Y+t)}, // top
		{image.Pt(r.Min.X, r.Max.Y-t), r.Max}, // bottom
		{r.Min, image.Pt(r.Min.X+t, r.Max.Y)}, // left
		{image.Pt(r.Max.X-t, r.Min.Y), r.Max}, // right
	} {
		fill(img, edge.Intersect(img.Rect), c)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.PixOffset(r.Min.X, y)
		for x := r.Min.X; x < r.Max.X; x, off = x+1, off+4 {
			img.Pix[off], img.Pix[off+1], img.Pix[off+2], img.Pix[off+3] = c.R, c.G, c.B, c.A
		}
	}
}
