package detect

import (
	"image"
	"image/draw"

	"matthan/internal/analytics"
)

// FrameFromImage converts a decoded picture (PNG, JPEG, grey…) into a BGR24
// frame, the form the detector takes.
func FrameFromImage(img image.Image) *analytics.Frame {
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok || rgba.Rect.Min != (image.Point{}) {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	w, h := b.Dx(), b.Dy()
	bgr := make([]byte, w*h*3)
	for y := range h {
		src := rgba.Pix[y*rgba.Stride : y*rgba.Stride+w*4]
		dst := bgr[y*w*3 : (y+1)*w*3]
		for x := range w {
			dst[x*3], dst[x*3+1], dst[x*3+2] = src[x*4+2], src[x*4+1], src[x*4]
		}
	}
	return &analytics.Frame{Width: w, Height: h, BGR: bgr}
}
