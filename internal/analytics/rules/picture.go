package rules

import (
	"fmt"
	"time"

	"matthan"
)

// The picture rules' event types. Their events come from the pipeline's
// picture comparison (pipeline/scene.go), not from the Engine.
const (
	DumpingEvent = matthan.EventDumping
	LapseEvent   = matthan.EventSecurityLapse
)

// Dumping: a new object appears in a no-dumping zone right after a person
// or vehicle was there, and stays. It is a change of the picture against
// the zone's learned background, not a detected class: a bag, a box, a
// pile of rubbish. The change must cover MinArea of the zone, be left
// uncovered by any track (an object, not a person standing), have appeared
// within Recent of a person or vehicle track in the zone (a change with
// nobody near is the light), and stay MinPersist. One event per zone while
// the object stays.
type Dumping struct {
	Zone       string        `json:"zone,omitempty"` // "" means every no_dumping zone
	MinPersist time.Duration `json:"min_persist,omitempty"`
	Recent     time.Duration `json:"recent,omitempty"`
	MinArea    float64       `json:"min_area,omitempty"` // share of the zone, 0..1
	During     []Schedule    `json:"during,omitempty"`
	Severity   Severity      `json:"severity,omitempty"`
	Cooldown   time.Duration `json:"cooldown,omitempty"`
}

// Describe says what the rule does, in both languages.
func (r Dumping) Describe() Text {
	r = r.WithDefaults()
	zen, zvi := "a no-dumping zone", "vùng cấm đổ rác"
	if r.Zone != "" {
		zen, zvi = zoneEN(r.Zone), zoneVI(r.Zone)
	}
	en := fmt.Sprintf("Rubbish dumped in %s: a new object stays longer than %s right after a person or vehicle was there",
		zen, durEN(r.MinPersist))
	vi := fmt.Sprintf("Đổ rác trong %s: vật mới xuất hiện và nằm lại quá %s ngay sau khi có người hoặc xe ở đó",
		zvi, durVI(r.MinPersist))
	e, v := duringText(r.During)
	return Text{en + e, vi + v}
}

// WithDefaults fills the zero fields: the object stays 30 s, a person or
// vehicle was there within 20 s before it appeared, and it covers 1% of
// the zone or more.
func (r Dumping) WithDefaults() Dumping {
	r.MinPersist = or(r.MinPersist, 30*time.Second)
	r.Recent = or(r.Recent, 20*time.Second)
	r.MinArea = or(r.MinArea, 0.01)
	r.Severity = or(r.Severity, Medium)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// Lapse: a security lapse, as a reminder to the house's owner: a gate
// zone's picture differs from its closed picture for MinPersist during the
// schedule (a gate or door left open, a motorbike left outside). The closed
// picture is the zone as it stands when the schedule begins (learned from
// its first calm frames), so the rule reports what changed during the
// night. At most one event per zone and night.
type Lapse struct {
	Zone       string        `json:"zone,omitempty"` // "" means every gate zone
	During     []Schedule    `json:"during,omitempty"`
	MinPersist time.Duration `json:"min_persist,omitempty"`
	MinArea    float64       `json:"min_area,omitempty"` // share of the zone, 0..1
	Severity   Severity      `json:"severity,omitempty"`
	Cooldown   time.Duration `json:"cooldown,omitempty"`
}

// Describe says what the rule does, in both languages.
func (r Lapse) Describe() Text {
	r = r.WithDefaults()
	zen, zvi := "a gate zone", "vùng cổng"
	if r.Zone != "" {
		zen, zvi = zoneEN(r.Zone), zoneVI(r.Zone)
	}
	en := fmt.Sprintf("Reminder: %s differs from its closed picture (taken when the schedule begins) for longer than %s: a gate or door open, or a motorbike left outside",
		zen, durEN(r.MinPersist))
	vi := fmt.Sprintf("Nhắc nhở: %s khác với hình ảnh lúc đóng (chụp khi bắt đầu khung giờ) quá %s: cổng hoặc cửa đang mở, hoặc xe máy để bên ngoài",
		zvi, durVI(r.MinPersist))
	e, v := duringText(r.During)
	return Text{en + e, vi + v}
}

// WithDefaults fills the zero fields: the night (22:00–05:00), 2 minutes,
// 10% of the zone, Low severity (a reminder).
func (r Lapse) WithDefaults() Lapse {
	if len(r.During) == 0 {
		r.During = []Schedule{Night()}
	}
	r.MinPersist = or(r.MinPersist, 2*time.Minute)
	r.MinArea = or(r.MinArea, 0.1)
	r.Severity = or(r.Severity, Low)
	r.Cooldown = or(r.Cooldown, DefaultCooldown)
	return r
}

// ZonesOf lists the zones a picture rule watches: the one named, or every
// zone of kind when name is "".
func (c Config) ZonesOf(name string, kind ZoneKind) []Zone {
	var out []Zone
	for _, z := range c.Zones {
		if (name == "" && z.Kind == kind) || (name != "" && z.Name == name) {
			out = append(out, z)
		}
	}
	return out
}

// validatePicture checks the dumping and lapse rules.
func (c Config) validatePicture(zoneRef func(f, name string, want ZoneKind), scheds func(string, []Schedule)) []matthan.FieldError {
	var errs []matthan.FieldError
	check := func(f string, ok bool, en, vi string) {
		if !ok {
			errs = append(errs, fieldErr(f, en, vi))
		}
	}
	area := func(f string, a float64) {
		check(f, a >= 0 && a <= 1, "must be a share of the zone between 0 and 1", "phải là tỉ lệ của vùng trong khoảng 0 đến 1")
	}
	const negEN, negVI = "must not be negative", "không được là số âm"
	for i, r := range c.Rules.Dumping {
		f := fmt.Sprintf("rules.dumping[%d]", i)
		zoneRef(f+".zone", r.Zone, NoDumping)
		scheds(f, r.During)
		check(f+".min_persist", r.MinPersist >= 0, negEN, negVI)
		check(f+".recent", r.Recent >= 0, negEN, negVI)
		check(f+".cooldown", r.Cooldown >= 0, negEN, negVI)
		area(f+".min_area", r.MinArea)
	}
	for i, r := range c.Rules.Lapse {
		f := fmt.Sprintf("rules.lapse[%d]", i)
		zoneRef(f+".zone", r.Zone, Gate)
		scheds(f, r.During)
		check(f+".min_persist", r.MinPersist >= 0, negEN, negVI)
		check(f+".cooldown", r.Cooldown >= 0, negEN, negVI)
		area(f+".min_area", r.MinArea)
	}
	return errs
}
