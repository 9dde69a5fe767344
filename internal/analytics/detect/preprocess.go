package detect

import (
	"fmt"
	"math"

	"matthan/internal/analytics"
)

// padValue fills the letterbox canvas outside the picture, as YOLOX's demo.
const padValue = 114

// resizePlan holds the source indices and weights of a bilinear resize
// from one frame size to the letterboxed size, worked out once per size.
type resizePlan struct {
	srcW, srcH int
	dstW, dstH int     // the picture's size inside the canvas
	ratio      float64 // dst / src
	x0, x1     []int   // byte offsets of the left and right source pixels, per output column
	xw         []float32
	y0, y1     []int // row indices of the upper and lower source rows, per output row
	yw         []float32
}

// newResizePlan plans YOLOX's letterbox: scale by r = min(size/h, size/w)
// to (int(w*r), int(h*r)), picture at the top-left corner. Sampling
// follows OpenCV's INTER_LINEAR (pixel centres aligned, edges clamped), the
// resize YOLOX's own demo uses.
func newResizePlan(srcW, srcH, size int) *resizePlan {
	r := math.Min(float64(size)/float64(srcH), float64(size)/float64(srcW))
	p := &resizePlan{srcW: srcW, srcH: srcH, ratio: r,
		dstW: max(1, min(size, int(float64(srcW)*r))), dstH: max(1, min(size, int(float64(srcH)*r)))}
	axis := func(src, dst int) (i0, i1 []int, w []float32) {
		scale := float64(src) / float64(dst)
		i0, i1, w = make([]int, dst), make([]int, dst), make([]float32, dst)
		for d := range dst {
			f := (float64(d)+0.5)*scale - 0.5
			s := int(math.Floor(f))
			f -= float64(s)
			if s < 0 {
				s, f = 0, 0
			}
			if s >= src-1 {
				s, f = src-1, 0
			}
			i0[d], i1[d], w[d] = s, min(s+1, src-1), float32(f)
		}
		return i0, i1, w
	}
	p.x0, p.x1, p.xw = axis(srcW, p.dstW)
	for d := range p.dstW {
		p.x0[d] *= 3
		p.x1[d] *= 3
	}
	p.y0, p.y1, p.yw = axis(srcH, p.dstH)
	return p
}

// letterbox writes f into dst, a [3][size][size] float32 CHW canvas, in
// B, G, R plane order with raw 0..255 values, padding with 114.
func (p *resizePlan) letterbox(f *analytics.Frame, dst []float32, size int) {
	plane := size * size
	stride := f.Width * 3
	for y := range size {
		row := y * size
		if y >= p.dstH {
			for c := range 3 {
				fill(dst[c*plane+row:c*plane+row+size], padValue)
			}
			continue
		}
		top := f.BGR[p.y0[y]*stride : p.y0[y]*stride+stride]
		bot := f.BGR[p.y1[y]*stride : p.y1[y]*stride+stride]
		wy := p.yw[y]
		b, g, r := dst[row:row+size], dst[plane+row:plane+row+size], dst[2*plane+row:2*plane+row+size]
		if p.dstW == f.Width && p.dstH == f.Height {
			// Ratio 1 (a mosaic canvas): the resize is a copy.
			for x := range p.dstW {
				b[x], g[x], r[x] = float32(top[x*3]), float32(top[x*3+1]), float32(top[x*3+2])
			}
		} else {
			for x := range p.dstW {
				i0, i1, wx := p.x0[x], p.x1[x], p.xw[x]
				b[x] = lerp2(top[i0], top[i1], bot[i0], bot[i1], wx, wy)
				g[x] = lerp2(top[i0+1], top[i1+1], bot[i0+1], bot[i1+1], wx, wy)
				r[x] = lerp2(top[i0+2], top[i1+2], bot[i0+2], bot[i1+2], wx, wy)
			}
		}
		fill(b[p.dstW:], padValue)
		fill(g[p.dstW:], padValue)
		fill(r[p.dstW:], padValue)
	}
}

// lerp2 interpolates four neighbours and rounds to a whole 0..255 value,
// as an 8-bit resize (OpenCV's) hands the model integers.
func lerp2(tl, tr, bl, br byte, wx, wy float32) float32 {
	t := float32(tl) + (float32(tr)-float32(tl))*wx
	b := float32(bl) + (float32(br)-float32(bl))*wx
	return float32(int32(t + (b-t)*wy + 0.5))
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// checkFrame refuses a frame whose pixel buffer does not match its size.
func checkFrame(f *analytics.Frame) error {
	if f == nil || f.Width <= 0 || f.Height <= 0 || len(f.BGR) != f.Width*f.Height*3 {
		if f == nil {
			return fmt.Errorf("detect: nil frame")
		}
		return fmt.Errorf("detect: frame of camera %q is %dx%d but has %d bytes of BGR", f.CameraID, f.Width, f.Height, len(f.BGR))
	}
	return nil
}
