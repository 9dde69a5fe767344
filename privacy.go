package matthan

import (
	"fmt"
	"strings"
)

// PrivacyMask is a part of a camera's picture that nobody may see through
// the node: a neighbour's window, a yard. Exports and snapshots are
// re-encoded with it painted over, and live view draws it over the video.
type PrivacyMask struct {
	Name    string  `json:"name"`
	Polygon []Point `json:"polygon"` // at least 3 corners
}

// Point is a place in the picture, as fractions of its width and height
// (0..1 from the top left), so it holds for every stream and resolution.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// MaxPrivacyMasks bounds a camera's masks, and maxMaskPoints each mask's
// corners: a mask is a few clicks.
const (
	MaxPrivacyMasks = 16
	maxMaskPoints   = 64
)

// ValidatePrivacyMasks checks masks, naming each wrong one in both
// languages (fields "privacy_masks[i]").
func ValidatePrivacyMasks(masks []PrivacyMask) error {
	var bad []FieldError
	if len(masks) > MaxPrivacyMasks {
		bad = append(bad, FieldError{Field: "privacy_masks",
			Message:   fmt.Sprintf("At most %d privacy masks", MaxPrivacyMasks),
			MessageVI: fmt.Sprintf("Tối đa %d vùng che", MaxPrivacyMasks)})
	}
	for i, m := range masks {
		field := fmt.Sprintf("privacy_masks[%d]", i)
		switch {
		case len(strings.TrimSpace(m.Name)) > 100:
			bad = append(bad, FieldError{Field: field + ".name", Message: "A name has at most 100 characters", MessageVI: "Tên tối đa 100 ký tự"})
		case len(m.Polygon) < 3 || len(m.Polygon) > maxMaskPoints:
			bad = append(bad, FieldError{Field: field + ".polygon",
				Message:   fmt.Sprintf("A mask needs 3 to %d corners", maxMaskPoints),
				MessageVI: fmt.Sprintf("Vùng che cần từ 3 đến %d góc", maxMaskPoints)})
		default:
			for _, p := range m.Polygon {
				if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) { // also refuses NaN
					bad = append(bad, FieldError{Field: field + ".polygon",
						Message:   "Corners must lie in the picture (0 to 1 of its width and height)",
						MessageVI: "Các góc phải nằm trong khung hình (từ 0 đến 1 theo chiều rộng và chiều cao)"})
					break
				}
			}
		}
	}
	if len(bad) > 0 {
		return &Error{Code: EINVALID, Message: "The privacy masks are not valid", MessageVI: "Vùng che riêng tư không hợp lệ", Fields: bad}
	}
	return nil
}
