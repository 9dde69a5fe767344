package privacy

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"

	"matthan"
)

// JPEGQuality is the quality masked snapshots are encoded with: close to
// what cameras send, at a modest size.
const JPEGQuality = 85

// MaskJPEG returns a JPEG snapshot with the masks painted solid black,
// re-encoded. With no masks it returns jpegBytes itself: the camera's bytes,
// not re-encoded. The bytes are untrusted (a camera's answer).
func MaskJPEG(jpegBytes []byte, masks []matthan.PrivacyMask) ([]byte, error) {
	if len(masks) == 0 {
		return jpegBytes, nil
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(jpegBytes))
	if err != nil {
		return nil, badJPEG(err)
	}
	// Checked before decoding, which allocates the whole picture.
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return nil, matthan.Errorf(matthan.EINTERNAL,
			fmt.Sprintf("the snapshot is %dx%d pixels, more than this node masks (%d pixels)", cfg.Width, cfg.Height, MaxPixels),
			fmt.Sprintf("ảnh chụp %dx%d điểm ảnh, lớn hơn mức nút này che được (%d điểm ảnh)", cfg.Width, cfg.Height, MaxPixels))
	}
	src, err := jpeg.Decode(bytes.NewReader(jpegBytes))
	if err != nil {
		return nil, badJPEG(err)
	}
	b := src.Bounds()
	img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(img, img.Rect, src, b.Min, draw.Src)
	forEachSpan(masks, img.Rect.Dx(), img.Rect.Dy(), func(y, x0, x1 int) {
		row := img.Pix[y*img.Stride:]
		for x := x0; x < x1; x++ {
			copy(row[4*x:4*x+4], []byte{0, 0, 0, 0xff})
		}
	})
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return nil, fmt.Errorf("privacy: encoding the masked snapshot: %w", err)
	}
	return out.Bytes(), nil
}

func badJPEG(err error) error {
	return &matthan.Error{Code: matthan.EINTERNAL,
		Message:   "the snapshot is not a readable JPEG image: " + err.Error(),
		MessageVI: "ảnh chụp không phải ảnh JPEG đọc được: " + err.Error()}
}
