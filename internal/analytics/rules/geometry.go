package rules

import (
	"fmt"
	"math"

	"matthan"
)

// Point is a place in the picture in normalised coordinates: x from 0
// (left edge) to 1 (right edge), y from 0 (top) to 1 (bottom), so zones
// drawn on a snapshot hold whatever resolution the stream has.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// ZoneKind says what a zone is for.
type ZoneKind string

const (
	Generic   ZoneKind = "generic"
	NoParking ZoneKind = "no_parking"
	NoDumping ZoneKind = "no_dumping"
	Gate      ZoneKind = "gate"
)

// Zone is a named polygon drawn on the camera's picture.
type Zone struct {
	Name    string   `json:"name"`
	Kind    ZoneKind `json:"kind"`
	Polygon []Point  `json:"polygon"`
}

// onEdge is how close (normalised) a point must be to a zone's edge to count
// as on it: a point on the border is inside.
const onEdge = 1e-9

// Contains reports whether p is inside the zone or on its border.
func (z Zone) Contains(p Point) bool {
	n := len(z.Polygon)
	if n < 3 {
		return false
	}
	in := false
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := z.Polygon[j], z.Polygon[i]
		if distToSegment(p, a, b) <= onEdge {
			return true
		}
		// Ray casting to the right: count edges that straddle p's y.
		if (a.Y > p.Y) != (b.Y > p.Y) {
			x := a.X + (p.Y-a.Y)*(b.X-a.X)/(b.Y-a.Y)
			if p.X < x {
				in = !in
			}
		}
	}
	return in
}

func (z Zone) validate(field string) []matthan.FieldError {
	var errs []matthan.FieldError
	if z.Name == "" {
		errs = append(errs, fieldErr(field+".name", "a zone needs a name", "vùng cần có tên"))
	}
	switch z.Kind {
	case Generic, NoParking, NoDumping, Gate:
	default:
		errs = append(errs, fieldErr(field+".kind",
			fmt.Sprintf("unknown kind %q: use generic, no_parking, no_dumping or gate", z.Kind),
			fmt.Sprintf("loại %q không hợp lệ: dùng generic, no_parking, no_dumping hoặc gate", z.Kind)))
	}
	if len(z.Polygon) < 3 {
		errs = append(errs, fieldErr(field+".polygon", "a polygon needs 3 points or more", "đa giác cần ít nhất 3 điểm"))
	}
	for _, p := range z.Polygon {
		if !inUnit(p) {
			errs = append(errs, fieldErr(field+".polygon",
				fmt.Sprintf("point (%g, %g) is outside 0..1", p.X, p.Y),
				fmt.Sprintf("điểm (%g, %g) nằm ngoài khoảng 0..1", p.X, p.Y)))
			break
		}
	}
	return errs
}

// Crossing names a direction across a line. Sides are seen standing at A
// and looking towards B in the picture: "left" is on your left hand.
type Crossing string

const (
	LeftToRight Crossing = "left_to_right"
	RightToLeft Crossing = "right_to_left"
	Both        Crossing = "both"
)

// Line is a virtual tripwire from A to B, crossed by the tracks' foot points.
type Line struct {
	Name      string   `json:"name"`
	A         Point    `json:"a"`
	B         Point    `json:"b"`
	Forbidden Crossing `json:"forbidden"` // the direction that makes an event
}

func (l Line) validate(field string) []matthan.FieldError {
	var errs []matthan.FieldError
	if l.Name == "" {
		errs = append(errs, fieldErr(field+".name", "a line needs a name", "đường cần có tên"))
	}
	if !inUnit(l.A) || !inUnit(l.B) || l.A == l.B {
		errs = append(errs, fieldErr(field, "A and B must be two different points in 0..1",
			"A và B phải là hai điểm khác nhau trong khoảng 0..1"))
	}
	switch l.Forbidden {
	case LeftToRight, RightToLeft, Both:
	default:
		errs = append(errs, fieldErr(field+".forbidden",
			fmt.Sprintf("unknown direction %q: use left_to_right, right_to_left or both", l.Forbidden),
			fmt.Sprintf("hướng %q không hợp lệ: dùng left_to_right, right_to_left hoặc both", l.Forbidden)))
	}
	return errs
}

// lineMargin is how far (normalised) from a line a point must be to count
// as on one side: a foot point jittering on the line is no crossing.
const lineMargin = 0.01

// side is -1 (left of A→B), +1 (right) or 0 (within the margin). With y
// pointing down, the cross product is positive on the right hand.
func (l Line) side(p Point) int {
	dx, dy := l.B.X-l.A.X, l.B.Y-l.A.Y
	d := (dx*(p.Y-l.A.Y) - dy*(p.X-l.A.X)) / math.Hypot(dx, dy)
	switch {
	case d > lineMargin:
		return 1
	case d < -lineMargin:
		return -1
	}
	return 0
}

// crossedBy reports whether the path p→q passes through the segment A–B
// (not the line beyond its ends).
func (l Line) crossedBy(p, q Point) bool {
	o := func(a, b, c Point) float64 { return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X) }
	d1, d2 := o(l.A, l.B, p), o(l.A, l.B, q)
	d3, d4 := o(p, q, l.A), o(p, q, l.B)
	return (d1 > 0) != (d2 > 0) && ((d3 >= 0) != (d4 >= 0) || d3 == 0 || d4 == 0)
}

func inUnit(p Point) bool { return p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1 }

func distToSegment(p, a, b Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	}
	return math.Hypot(p.X-(a.X+t*dx), p.Y-(a.Y+t*dy))
}
