package matthan

import "time"

// Layout is a saved view of the video wall: one user's named choice of
// tiles per page, cameras in order, and rotation.
type Layout struct {
	ID       int64    `json:"id"`
	User     string   `json:"-"` // owner's user name
	Name     string   `json:"name"`
	Size     int      `json:"size"`     // tiles per page: 1, 4, 9, 16 or 25
	Cameras  []string `json:"cameras"`  // camera IDs in wall order
	Rotation int      `json:"rotation"` // seconds per page; 0: no rotation
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// LayoutSizes are the wall's tiles per page.
var LayoutSizes = []int{1, 4, 9, 16, 25}

// LayoutRotations are the seconds per page the wall offers (0: off).
var LayoutRotations = []int{0, 10, 30, 60}
