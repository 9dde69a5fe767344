package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"matthan"
	"matthan/internal/analytics"
)

// Text is one sentence in English and Vietnamese.
type Text struct {
	EN string `json:"en"`
	VI string `json:"vi"`
}

// Severity ranks events for the officers' queue: the domain's severities.
type Severity = matthan.Severity

const (
	Low    = matthan.SeverityInfo
	Medium = matthan.SeverityWarning
	High   = matthan.SeverityAlarm
)

// DefaultCooldown is how long after an event ended the same situation
// continues that event instead of raising a new one.
const DefaultCooldown = 2 * time.Minute

// Loitering: a person stays in a zone longer than MinStay while one of the
// schedules is active (always when During is empty). The stay is counted
// from the schedule's start: someone there since 21:50 with a 22:00 window
// and 3 minutes fires at 22:03. One event per zone, whoever loiters.
type Loitering struct {
	Zone     string        `json:"zone"` // "" means every zone
	MinStay  time.Duration `json:"min_stay"`
	During   []Schedule    `json:"during,omitempty"`
	Severity Severity      `json:"severity,omitempty"`
	Cooldown time.Duration `json:"cooldown,omitempty"`
}

// Describe says what the rule does, in both languages.
func (r Loitering) Describe() Text {
	r = r.withDefaults()
	en := fmt.Sprintf("A person stays in %s longer than %s", zoneEN(r.Zone), durEN(r.MinStay))
	vi := fmt.Sprintf("Có người ở trong %s quá %s", zoneVI(r.Zone), durVI(r.MinStay))
	e, v := duringText(r.During)
	return Text{en + e, vi + v}
}

func (r Loitering) withDefaults() Loitering {
	r.MinStay = or(r.MinStay, 3*time.Minute)
	r.Severity = or(r.Severity, Medium)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// Riders: a motorcycle carries MinRiders people or more. A person rides a
// motorcycle when their box is over the motorcycle's box (centre within
// its width, overlapping its upper part, head at or above its top) and
// moves with it; it must hold on MinFrames frames in which the motorcycle
// moves at MinSpeed or more, so a crowd beside a parked bike, or one frame
// where boxes happen to overlap, is not an event.
type Riders struct {
	Zone      string        `json:"zone,omitempty"` // "" means the whole picture
	MinRiders int           `json:"min_riders"`
	MinFrames int           `json:"min_frames"`
	MinSpeed  float64       `json:"min_speed"` // px/s
	Severity  Severity      `json:"severity,omitempty"`
	Cooldown  time.Duration `json:"cooldown,omitempty"`
}

func (r Riders) Describe() Text {
	r = r.withDefaults()
	en := fmt.Sprintf("A moving motorbike carries %d people or more (seen on %d frames)", r.MinRiders, r.MinFrames)
	vi := fmt.Sprintf("Xe máy đang chạy chở từ %d người trở lên (thấy trong %d khung hình)", r.MinRiders, r.MinFrames)
	if r.Zone != "" {
		en += " in " + zoneEN(r.Zone)
		vi += " trong " + zoneVI(r.Zone)
	}
	return Text{en, vi}
}

func (r Riders) withDefaults() Riders {
	r.MinRiders = or(r.MinRiders, 3)
	r.MinFrames = or(r.MinFrames, 5)
	r.MinSpeed = or(r.MinSpeed, 15)
	r.Severity = or(r.Severity, Medium)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// Parking: a vehicle of Classes (car and motorcycle when empty) stands still
// in a no-parking zone longer than MinStay. One event per vehicle.
type Parking struct {
	Zone     string            `json:"zone,omitempty"` // "" means every no_parking zone
	MinStay  time.Duration     `json:"min_stay"`
	Classes  []analytics.Class `json:"classes,omitempty"`
	During   []Schedule        `json:"during,omitempty"`
	Severity Severity          `json:"severity,omitempty"`
	Cooldown time.Duration     `json:"cooldown,omitempty"`
}

func (r Parking) Describe() Text {
	r = r.withDefaults()
	var ce, cv []string
	for _, c := range r.Classes {
		ce = append(ce, string(c))
		cv = append(cv, classVI(c))
	}
	zen, zvi := "a no-parking zone", "vùng cấm đỗ"
	if r.Zone != "" {
		zen, zvi = zoneEN(r.Zone), zoneVI(r.Zone)
	}
	en := fmt.Sprintf("A %s stands in %s longer than %s", strings.Join(ce, " or "), zen, durEN(r.MinStay))
	vi := fmt.Sprintf("%s đỗ trong %s quá %s", capitalise(strings.Join(cv, " hoặc ")), zvi, durVI(r.MinStay))
	e, v := duringText(r.During)
	return Text{en + e, vi + v}
}

func (r Parking) withDefaults() Parking {
	r.MinStay = or(r.MinStay, 5*time.Minute)
	if len(r.Classes) == 0 {
		r.Classes = []analytics.Class{analytics.Car, analytics.Motorcycle}
	}
	r.Severity = or(r.Severity, Low)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// Crowd: more than MoreThan people in a zone for For.
type Crowd struct {
	Zone     string        `json:"zone"` // "" means every zone
	MoreThan int           `json:"more_than"`
	For      time.Duration `json:"for"`
	During   []Schedule    `json:"during,omitempty"`
	Severity Severity      `json:"severity,omitempty"`
	Cooldown time.Duration `json:"cooldown,omitempty"`
}

func (r Crowd) Describe() Text {
	r = r.withDefaults()
	en := fmt.Sprintf("More than %d people in %s for %s", r.MoreThan, zoneEN(r.Zone), durEN(r.For))
	vi := fmt.Sprintf("Hơn %d người trong %s trong %s", r.MoreThan, zoneVI(r.Zone), durVI(r.For))
	e, v := duringText(r.During)
	return Text{en + e, vi + v}
}

func (r Crowd) withDefaults() Crowd {
	r.MoreThan = or(r.MoreThan, 10)
	r.For = or(r.For, 10*time.Second)
	r.Severity = or(r.Severity, Medium)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// LineCrossing: a track of Classes (any class when empty) crosses Line in
// its forbidden direction (a one-way alley, a gate that is exit only).
type LineCrossing struct {
	Line     string            `json:"line"`
	Classes  []analytics.Class `json:"classes,omitempty"`
	During   []Schedule        `json:"during,omitempty"`
	Severity Severity          `json:"severity,omitempty"`
	Cooldown time.Duration     `json:"cooldown,omitempty"`
}

func (r LineCrossing) Describe() Text {
	r = r.withDefaults()
	what, whatVI := "Anything", "Bất kỳ đối tượng nào"
	if len(r.Classes) > 0 {
		var ce, cv []string
		for _, c := range r.Classes {
			ce = append(ce, string(c))
			cv = append(cv, classVI(c))
		}
		what, whatVI = capitalise(strings.Join(ce, " or ")), capitalise(strings.Join(cv, " hoặc "))
	}
	en := fmt.Sprintf("%s crosses line %q in its forbidden direction", what, r.Line)
	vi := fmt.Sprintf("%s vượt đường %q theo hướng cấm", whatVI, r.Line)
	e, v := duringText(r.During)
	return Text{en + e, vi + v}
}

func (r LineCrossing) withDefaults() LineCrossing {
	r.Severity = or(r.Severity, Medium)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// Rules is one camera's rule set. Rubbish dumping and security lapses
// compare pictures, not tracks: they are configured here but checked by
// the pipeline, which holds the picture (the Engine ignores them).
type Rules struct {
	Loitering    []Loitering    `json:"loitering,omitempty"`
	Riders       []Riders       `json:"riders,omitempty"`
	Parking      []Parking      `json:"parking,omitempty"`
	Crowd        []Crowd        `json:"crowd,omitempty"`
	LineCrossing []LineCrossing `json:"line_crossing,omitempty"`
	Dumping      []Dumping      `json:"dumping,omitempty"`
	Lapse        []Lapse        `json:"lapse,omitempty"`
}

// Describe lists every rule's sentence, in the order of Rules' fields.
func (r Rules) Describe() []Text {
	var out []Text
	for _, x := range r.Loitering {
		out = append(out, x.Describe())
	}
	for _, x := range r.Riders {
		out = append(out, x.Describe())
	}
	for _, x := range r.Parking {
		out = append(out, x.Describe())
	}
	for _, x := range r.Crowd {
		out = append(out, x.Describe())
	}
	for _, x := range r.LineCrossing {
		out = append(out, x.Describe())
	}
	for _, x := range r.Dumping {
		out = append(out, x.Describe())
	}
	for _, x := range r.Lapse {
		out = append(out, x.Describe())
	}
	return out
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func fieldErr(field, en, vi string) matthan.FieldError {
	return matthan.FieldError{Field: field, Message: en, MessageVI: vi}
}

func zoneEN(z string) string {
	if z == "" {
		return "any zone"
	}
	return fmt.Sprintf("zone %q", z)
}

func zoneVI(z string) string {
	if z == "" {
		return "bất kỳ vùng nào"
	}
	return fmt.Sprintf("vùng %q", z)
}

func duringText(ss []Schedule) (en, vi string) {
	if len(ss) == 0 {
		return "", ""
	}
	var es, vs []string
	for _, s := range ss {
		e, v := s.describe()
		es, vs = append(es, e), append(vs, v)
	}
	return " during " + strings.Join(es, " or "), " trong khung giờ " + strings.Join(vs, " hoặc ")
}

func durEN(d time.Duration) string { en, _ := matthan.FormatDuration(d); return en }

func durVI(d time.Duration) string { _, vi := matthan.FormatDuration(d); return vi }

func classVI(c analytics.Class) string {
	switch c {
	case analytics.Person:
		return "người"
	case analytics.Bicycle:
		return "xe đạp"
	case analytics.Motorcycle:
		return "xe máy"
	case analytics.Car:
		return "ô tô"
	case analytics.Bus:
		return "xe buýt"
	case analytics.Truck:
		return "xe tải"
	}
	return string(c)
}

func capitalise(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

func knownClasses(cs []analytics.Class) bool {
	for _, c := range cs {
		if !slices.Contains(analytics.Classes, c) {
			return false
		}
	}
	return true
}
