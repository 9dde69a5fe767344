package privacy

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"matthan"
)

func poly(pts ...float64) matthan.PrivacyMask {
	m := matthan.PrivacyMask{Name: "m"}
	for i := 0; i+1 < len(pts); i += 2 {
		m.Polygon = append(m.Polygon, matthan.Point{X: pts[i], Y: pts[i+1]})
	}
	return m
}

// TestMaskImage checks chosen pixels of masks on small pictures: a pixel
// is covered exactly when its centre is inside.
func TestMaskImage(t *testing.T) {
	type px struct {
		x, y    int
		covered bool
	}
	tests := []struct {
		name   string
		masks  []matthan.PrivacyMask
		w, h   int
		pixels []px
		count  int // covered pixels, -1: not checked
	}{
		{"whole picture", []matthan.PrivacyMask{poly(0, 0, 1, 0, 1, 1, 0, 1)}, 8, 6,
			[]px{{0, 0, true}, {7, 5, true}, {3, 2, true}}, 48},
		{"pixel centres: x from 2 to 4, y from 1.5 to 4.5", []matthan.PrivacyMask{poly(0.25, 0.25, 0.5, 0.25, 0.5, 0.75, 0.25, 0.75)}, 8, 6,
			// rows 1..3 have centres 1.5, 2.5, 3.5 in [1.5, 4.5); row 4's 4.5 is not.
			[]px{{1, 2, false}, {2, 1, true}, {3, 3, true}, {4, 2, false}, {2, 0, false}, {2, 4, false}}, 6},
		{"triangle", []matthan.PrivacyMask{poly(0, 0, 1, 0, 0, 1)}, 10, 10,
			// centres on the long side (x+y = 9) are not inside
			[]px{{0, 0, true}, {8, 0, true}, {9, 0, false}, {0, 8, true}, {0, 9, false}, {5, 5, false}, {4, 4, true}}, 45},
		{"bow tie", []matthan.PrivacyMask{poly(0, 0, 1, 1, 1, 0, 0, 1)}, 10, 10,
			[]px{{1, 5, true}, {8, 5, true}, {5, 1, false}, {5, 8, false}}, -1},
		{"star: even-odd leaves its centre open", []matthan.PrivacyMask{poly(0.5, 0, 0.8, 1, 0, 0.35, 1, 0.35, 0.2, 1)}, 50, 50,
			[]px{{25, 27, false}, {25, 5, true}, {5, 18, true}, {45, 18, true}, {12, 45, true}, {38, 45, true}, {25, 48, false}}, -1},
		{"overlapping masks unite", []matthan.PrivacyMask{poly(0, 0, 0.6, 0, 0.6, 1, 0, 1), poly(0.4, 0, 1, 0, 1, 1, 0.4, 1)}, 10, 4,
			[]px{{5, 0, true}, {0, 3, true}, {9, 3, true}}, 40},
		{"too few corners: ignored", []matthan.PrivacyMask{poly(0, 0, 1, 1)}, 4, 4, nil, 0},
		{"no masks", nil, 4, 4, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := MaskImage(tt.masks, tt.w, tt.h)
			if img.Rect != image.Rect(0, 0, tt.w, tt.h) {
				t.Fatalf("bounds %v", img.Rect)
			}
			count := 0
			for y := range tt.h {
				for x := range tt.w {
					switch c := img.NRGBAAt(x, y); c {
					case color.NRGBA{A: 0xff}:
						count++
					case color.NRGBA{}:
					default:
						t.Fatalf("pixel %d,%d is %v: neither black nor transparent", x, y, c)
					}
				}
			}
			for _, p := range tt.pixels {
				if got := img.NRGBAAt(p.x, p.y).A == 0xff; got != p.covered {
					t.Errorf("pixel %d,%d covered %v, want %v", p.x, p.y, got, p.covered)
				}
			}
			if tt.count >= 0 && count != tt.count {
				t.Errorf("%d pixels covered, want %d", count, tt.count)
			}
		})
	}
}

// testJPEG encodes a w×h picture of a smooth grey-green pattern.
func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(100 + x*100/w), G: 180, B: uint8(60 + y*100/h), A: 0xff})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMaskJPEG(t *testing.T) {
	in := testJPEG(t, 64, 48)
	orig, err := jpeg.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// The left half.
	out, err := MaskJPEG(in, []matthan.PrivacyMask{poly(0, 0, 0.5, 0, 0.5, 1, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != orig.Bounds() {
		t.Fatalf("bounds %v, want %v", img.Bounds(), orig.Bounds())
	}
	for y := 0; y < 48; y++ {
		for _, x := range []int{0, 10, 28} { // inside, away from the edge's ringing
			if r, g, b := rgb(img.At(x, y)); r > 12 || g > 12 || b > 12 {
				t.Fatalf("masked pixel %d,%d is %d,%d,%d, want black", x, y, r, g, b)
			}
		}
		for _, x := range []int{36, 50, 63} {
			r, g, b := rgb(img.At(x, y))
			or, og, ob := rgb(orig.At(x, y))
			if absDiff(r, or) > 12 || absDiff(g, og) > 12 || absDiff(b, ob) > 12 {
				t.Fatalf("pixel %d,%d is %d,%d,%d, was %d,%d,%d", x, y, r, g, b, or, og, ob)
			}
		}
	}

	// No masks: the camera's bytes themselves.
	same, err := MaskJPEG(in, nil)
	if err != nil || !bytes.Equal(same, in) || &same[0] != &in[0] {
		t.Errorf("no masks: err %v, same bytes %v", err, bytes.Equal(same, in))
	}
}

func TestMaskJPEGRefuses(t *testing.T) {
	mask := []matthan.PrivacyMask{poly(0, 0, 1, 0, 0, 1)}
	valid := testJPEG(t, 32, 32)
	// A header claiming 20000×20000 pixels: refused before decoding.
	huge := bytes.Clone(valid)
	i := bytes.Index(huge, []byte{0xff, 0xc0}) // SOF0: length(2) precision(1) height(2) width(2)
	if i < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	copy(huge[i+5:], []byte{0x4e, 0x20, 0x4e, 0x20})
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "not a readable JPEG"},
		{"not a JPEG", "GIF89a....", "not a readable JPEG"},
		{"truncated", string(valid[:len(valid)/2]), "not a readable JPEG"},
		{"huge", string(huge), "20000x20000 pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MaskJPEG([]byte(tt.in), mask)
			var e *matthan.Error
			if !errors.As(err, &e) || !strings.Contains(e.Message, tt.want) || e.MessageVI == "" {
				t.Fatalf("err %v, want a bilingual error with %q", err, tt.want)
			}
		})
	}
}

// FuzzMaskJPEG: any bytes give an error or a JPEG of the same size, and
// never a panic.
func FuzzMaskJPEG(f *testing.F) {
	valid := testJPEG(f, 16, 16)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Add([]byte("not a jpeg"))
	masks := []matthan.PrivacyMask{poly(0.1, 0.1, 0.9, 0.2, 0.5, 0.9), poly(0, 0, 1, 1, 1, 0, 0, 1)}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := MaskJPEG(b, masks)
		if err != nil {
			return
		}
		cin, err1 := jpeg.DecodeConfig(bytes.NewReader(b))
		cout, err2 := jpeg.DecodeConfig(bytes.NewReader(out))
		if err1 != nil || err2 != nil || cin.Width != cout.Width || cin.Height != cout.Height {
			t.Fatalf("masked a %v (%v) into %v (%v)", cin, err1, cout, err2)
		}
	})
}

func rgb(c color.Color) (r, g, b int) {
	r32, g32, b32, _ := c.RGBA()
	return int(r32 >> 8), int(g32 >> 8), int(b32 >> 8)
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}
