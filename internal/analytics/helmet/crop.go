package helmet

import (
	"image"
	"math"

	"matthan/internal/analytics"
)

// CropSize is the side of the rider-top crop: the training and validation
// crops (shared/data/rider_crops) are 96×96, and the classifier shrinks them
// to its 64×64 input the way its training did (see Classifier).
const CropSize = 96

// grey fills the parts of the crop square outside the frame, as YOLOX's
// letterbox and the training crops do.
const grey = 114

// MinHeadPx is the smallest head, in pixels of the frame the crop is cut
// from, that the classifier judges better than a guess (data SOURCES.md:
// small heads, under ~24 px, are guesses).
const MinHeadPx = 24

// headOverSide is the head's height as a share of the crop square's side:
// the median over the CCTV-like helmet9 rider crops (crops_index.tsv column
// head_h_over_side: median 0.341, 10th–90th percentile 0.23–0.51).
const headOverSide = 0.34

// Square is the integer crop square in frame pixels, before resizing:
// [X0, X0+Side) × [Y0, Y0+Side). It may stick out of the frame.
type Square struct {
	X0, Y0, Side int
}

// side is the real-valued side of the rider-top square of a person box.
func side(person analytics.Box) float64 {
	w := float64(person.X2) - float64(person.X1)
	h := float64(person.Y2) - float64(person.Y1)
	return max(w, 0.30*h)
}

// CropSquare applies the rider-top rule of shared/data/rider_crops/SOURCES.md
// to a person box (already clipped to the frame): a square of side
// max(w, 0.30·h), centred on the box horizontally, its top 0.10·side above
// the box's top, rounded half away from zero.
func CropSquare(person analytics.Box) Square {
	s := side(person)
	cx := (float64(person.X1) + float64(person.X2)) / 2
	top := float64(person.Y1) - 0.10*s
	return Square{
		X0:   int(math.Round(cx - s/2)),
		Y0:   int(math.Round(top)),
		Side: max(1, int(math.Round(s))),
	}
}

// HeadPx estimates the height in pixels of the head at the top of a person
// box, from the crop square's side.
func HeadPx(person analytics.Box) float64 {
	return headOverSide * side(person)
}

// NeedsMainStream reports whether the head at the top of this person box
// (in pixels of the frame it was detected in) is too small to classify, so
// the caller should cut the crop from the main stream's frame at that
// moment instead, with the box scaled to that frame.
func NeedsMainStream(person analytics.Box) bool {
	return HeadPx(person) < MinHeadPx
}

// ScaleBox maps a box from a frame of size fromW×fromH to one of size
// toW×toH (the sub-stream's box onto the main stream's frame).
func ScaleBox(b analytics.Box, fromW, fromH, toW, toH int) analytics.Box {
	sx := float32(toW) / float32(fromW)
	sy := float32(toH) / float32(fromH)
	return analytics.Box{X1: b.X1 * sx, Y1: b.Y1 * sy, X2: b.X2 * sx, Y2: b.Y2 * sy}
}

// Crop cuts the rider-top crop of a person box out of a BGR frame and
// resizes it to CropSize×CropSize with Pillow-style antialiased bilinear
// resampling: exactly how the training crops were made, so a crop saved as
// JPEG (quality 90) for the officers' review is also new training data.
// Pixels of the square outside the frame are grey 114. The frame must hold
// Width×Height×3 bytes, as decode delivers it.
func Crop(frame *analytics.Frame, person analytics.Box) *image.RGBA {
	sq := CropSquare(person)
	return cropSquare(frame, sq, CropSize)
}

// cropSquare resamples the square sq of frame to out×out RGBA, in two
// passes like Pillow (horizontal, then vertical), in float32 and rounded
// once at the end.
func cropSquare(frame *analytics.Frame, sq Square, out int) *image.RGBA {
	xs := pillowCoeffs(sq.Side, out)
	ys := xs // the square's rows resample like its columns

	// Only the square's rows that some output row reads are needed.
	rowLo, rowHi := ys[0].start, ys[out-1].start+len(ys[out-1].w)
	tmp := make([]float32, (rowHi-rowLo)*out*3)
	for r := rowLo; r < rowHi; r++ {
		fy := sq.Y0 + r
		inRow := fy >= 0 && fy < frame.Height
		t := tmp[(r-rowLo)*out*3:]
		for ox, c := range xs {
			var b, g, rr float32
			for k, w := range c.w {
				fx := sq.X0 + c.start + k
				if !inRow || fx < 0 || fx >= frame.Width {
					b += w * grey
					g += w * grey
					rr += w * grey
					continue
				}
				p := frame.BGR[(fy*frame.Width+fx)*3:]
				b += w * float32(p[0])
				g += w * float32(p[1])
				rr += w * float32(p[2])
			}
			t[ox*3], t[ox*3+1], t[ox*3+2] = b, g, rr
		}
	}

	img := image.NewRGBA(image.Rect(0, 0, out, out))
	for oy, c := range ys {
		row := img.Pix[oy*img.Stride:]
		for ox := range out {
			var b, g, r float32
			for k, w := range c.w {
				t := tmp[((c.start+k-rowLo)*out+ox)*3:]
				b += w * t[0]
				g += w * t[1]
				r += w * t[2]
			}
			row[ox*4], row[ox*4+1], row[ox*4+2], row[ox*4+3] = clip8(r), clip8(g), clip8(b), 255
		}
	}
	return img
}

// coeffs are the weights of one output pixel over input pixels
// [start, start+len(w)).
type coeffs struct {
	start int
	w     []float32
}

// pillowCoeffs computes Pillow's bilinear (triangle) resampling weights from
// in to out pixels (Resample.c precompute_coeffs): when shrinking, the
// filter widens by the scale, so every input pixel counts (antialiasing).
func pillowCoeffs(in, out int) []coeffs {
	scale := float64(in) / float64(out)
	filterScale := max(scale, 1)
	support := 1.0 * filterScale
	cs := make([]coeffs, out)
	for i := range cs {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		w := make([]float32, hi-lo)
		var sum float64
		ws := make([]float64, hi-lo)
		for k := range ws {
			x := (float64(lo+k) - center + 0.5) / filterScale
			ws[k] = max(0, 1-math.Abs(x))
			sum += ws[k]
		}
		for k := range ws {
			if sum != 0 {
				w[k] = float32(ws[k] / sum)
			}
		}
		cs[i] = coeffs{start: lo, w: w}
	}
	return cs
}

func clip8(v float32) uint8 {
	v = float32(math.Round(float64(v)))
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

// toInput writes an RGBA crop of any size into dst (3×size×size, CHW, RGB,
// 0..1), resized with PyTorch's F.interpolate(mode="bilinear",
// align_corners=False) and no antialiasing: how train_helmet.py turned its
// 96×96 crops into the 64×64 input it was validated on.
func toInput(img *image.RGBA, size int, dst []float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	xi0, xi1, xl := torchCoeffs(w, size)
	yi0, yi1, yl := torchCoeffs(h, size)
	plane := size * size
	for oy := range size {
		r0 := img.Pix[yi0[oy]*img.Stride:]
		r1 := img.Pix[yi1[oy]*img.Stride:]
		ly := yl[oy]
		for ox := range size {
			a, c, lx := xi0[ox]*4, xi1[ox]*4, xl[ox]
			for ch := range 3 {
				top := (1-lx)*float32(r0[a+ch]) + lx*float32(r0[c+ch])
				bot := (1-lx)*float32(r1[a+ch]) + lx*float32(r1[c+ch])
				dst[ch*plane+oy*size+ox] = ((1-ly)*top + ly*bot) / 255
			}
		}
	}
}

// torchCoeffs gives, per output index, the two input indices and the weight
// of the second, as PyTorch's bilinear upsampling with align_corners=False.
func torchCoeffs(in, out int) (i0, i1 []int, l []float32) {
	scale := float64(in) / float64(out)
	i0, i1, l = make([]int, out), make([]int, out), make([]float32, out)
	for o := range out {
		src := max((float64(o)+0.5)*scale-0.5, 0)
		a := min(int(src), in-1)
		i0[o], i1[o] = a, min(a+1, in-1)
		l[o] = float32(src - float64(a))
	}
	return i0, i1, l
}
