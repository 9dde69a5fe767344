package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"matthan"
	"matthan/internal/analytics/motion"
	"matthan/internal/analytics/rules"
)

// Settings are one camera's analytics as officers set them on its picture:
// zones, lines, regions whose motion is ignored, and rules. The registry
// stores them as JSON (matthan.AnalyticsSettings). Coordinates are 0..1 of
// the picture, so they hold whatever resolution the stream has.
type Settings struct {
	Zones []rules.Zone `json:"zones"`
	Lines []rules.Line `json:"lines"`
	// Masks are regions whose motion is ignored: a tree in the wind, a
	// TV, a flag.
	Masks []Mask      `json:"masks"`
	Rules rules.Rules `json:"rules"`
}

// durationFields are the rule fields that hold a time.Duration. The
// settings' JSON writes them as Go durations ("3m0s", "10s"), which
// officers and scripts read and write, and reads those or whole seconds.
var durationFields = map[string]bool{"min_stay": true, "for": true, "cooldown": true, "min_persist": true, "recent": true}

// MarshalJSON writes the rules' durations as Go durations.
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	b, err := json.Marshal(plain(s))
	if err != nil {
		return nil, err
	}
	tree, err := jsonTree(b)
	if err != nil {
		return nil, err
	}
	walkDurations(tree["rules"], "rules", func(_ string, v any) any {
		if n, ok := v.(json.Number); ok {
			if ns, err := n.Int64(); err == nil {
				return time.Duration(ns).String()
			}
		}
		return v
	})
	return json.Marshal(tree)
}

// UnmarshalJSON reads settings with their durations as Go durations
// ("3m", "90s") or seconds, refusing unknown fields: a misspelt rule must
// not be silently ignored.
func (s *Settings) UnmarshalJSON(b []byte) error {
	tree, err := jsonTree(b)
	if err != nil {
		return err
	}
	var bad []matthan.FieldError
	walkDurations(tree["rules"], "rules", func(field string, v any) any {
		switch x := v.(type) {
		case string:
			if d, err := time.ParseDuration(x); err == nil {
				return int64(d)
			}
		case json.Number:
			if sec, err := x.Float64(); err == nil && math.Abs(sec) < 1e9 {
				return int64(sec * float64(time.Second))
			}
		}
		bad = append(bad, matthan.FieldError{Field: field,
			Message:   fmt.Sprintf("%v is not a duration: write it like 3m, 90s or 1h30m", v),
			MessageVI: fmt.Sprintf("%v không phải khoảng thời gian: hãy viết như 3m, 90s hoặc 1h30m", v)})
		return v
	})
	if len(bad) > 0 {
		return &matthan.Error{Code: matthan.EINVALID, Message: "The analytics settings have invalid fields",
			MessageVI: "Cấu hình phân tích có trường không hợp lệ", Fields: bad}
	}
	plainJSON, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	type plain Settings
	var p plain
	dec := json.NewDecoder(bytes.NewReader(plainJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*s = Settings(p)
	return nil
}

func jsonTree(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return tree, nil
}

// walkDurations replaces, below v (the "rules" object: kinds of rules,
// each a list of rule objects), each duration field's value by fix's
// answer; field is its path, as Validate names fields.
func walkDurations(v any, path string, fix func(field string, v any) any) {
	kinds, _ := v.(map[string]any)
	for kind, list := range kinds {
		rs, _ := list.([]any)
		for i, r := range rs {
			obj, _ := r.(map[string]any)
			for k, val := range obj {
				if durationFields[k] && val != nil {
					obj[k] = fix(fmt.Sprintf("%s.%s[%d].%s", path, kind, i, k), val)
				}
			}
		}
	}
}

// Mask is a named region of the picture whose motion is ignored.
type Mask struct {
	Name    string        `json:"name"`
	Polygon []rules.Point `json:"polygon"`
}

// maxPolygon bounds a drawn polygon's points: a zone is a few clicks.
const maxPolygon = 64

// DefaultSettings watch the whole picture of a camera that has no settings
// of its own: three or more riders on a motorbike, and a crowd (more than 8
// people for 10 s).
func DefaultSettings() Settings {
	whole := rules.Zone{Name: "toàn cảnh", Kind: rules.Generic, Polygon: []rules.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}, {X: 0, Y: 1}}}
	return Settings{Zones: []rules.Zone{whole}, Rules: rules.Rules{
		Riders: []rules.Riders{{Zone: whole.Name, MinRiders: 3}},
		Crowd:  []rules.Crowd{{Zone: whole.Name, MoreThan: 8, For: 10 * time.Second}},
	}}
}

// ParseSettings reads settings as an officer or the UI sent them: unknown
// fields are refused (a misspelt rule must not be silently ignored) and
// everything is checked. Errors are EINVALID, naming each wrong field in
// English and Vietnamese.
func ParseSettings(raw []byte) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var field *matthan.Error
	if err := dec.Decode(&s); errors.As(err, &field) {
		return Settings{}, err
	} else if err != nil {
		return Settings{}, matthan.Errorf(matthan.EINVALID,
			fmt.Sprintf("The analytics settings are not valid JSON: %v", err),
			fmt.Sprintf("Cấu hình phân tích không đúng định dạng JSON: %v", err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Settings{}, matthan.Errorf(matthan.EINVALID,
			"The analytics settings have something after their end", "Cấu hình phân tích có nội dung thừa sau phần kết thúc")
	}
	return s, s.Validate()
}

// Validate checks the settings, naming every wrong field in both languages
// (an EINVALID *matthan.Error).
func (s Settings) Validate() error {
	var fields []matthan.FieldError
	var rerr *matthan.Error
	if err := s.rulesConfig("check", 1, 1).Validate(); errors.As(err, &rerr) {
		fields = append(fields, rerr.Fields...)
	} else if err != nil {
		return err
	}
	for i, z := range s.Zones {
		if len(z.Polygon) > maxPolygon {
			fields = append(fields, tooManyPoints(fmt.Sprintf("zones[%d].polygon", i)))
		}
	}
	names := map[string]bool{}
	for i, m := range s.Masks {
		f := fmt.Sprintf("masks[%d]", i)
		switch {
		case m.Name == "":
			fields = append(fields, matthan.FieldError{Field: f + ".name", Message: "a region to ignore needs a name", MessageVI: "vùng bỏ qua cần có tên"})
		case names[m.Name]:
			fields = append(fields, matthan.FieldError{Field: f + ".name", Message: fmt.Sprintf("region %q is defined twice", m.Name), MessageVI: fmt.Sprintf("vùng %q bị khai báo hai lần", m.Name)})
		}
		names[m.Name] = true
		switch {
		case len(m.Polygon) < 3:
			fields = append(fields, matthan.FieldError{Field: f + ".polygon", Message: "a polygon needs 3 points or more", MessageVI: "đa giác cần ít nhất 3 điểm"})
		case len(m.Polygon) > maxPolygon:
			fields = append(fields, tooManyPoints(f+".polygon"))
		}
		for _, p := range m.Polygon {
			if p.X < 0 || p.X > 1 || p.Y < 0 || p.Y > 1 {
				fields = append(fields, matthan.FieldError{Field: f + ".polygon",
					Message: fmt.Sprintf("point (%g, %g) is outside 0..1", p.X, p.Y), MessageVI: fmt.Sprintf("điểm (%g, %g) nằm ngoài khoảng 0..1", p.X, p.Y)})
				break
			}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &matthan.Error{Code: matthan.EINVALID, Message: "The analytics settings have invalid fields",
		MessageVI: "Cấu hình phân tích có trường không hợp lệ", Fields: fields}
}

func tooManyPoints(field string) matthan.FieldError {
	return matthan.FieldError{Field: field, Message: fmt.Sprintf("a polygon may have up to %d points", maxPolygon),
		MessageVI: fmt.Sprintf("đa giác có tối đa %d điểm", maxPolygon)}
}

// Describe lists every rule's sentence, for the officers.
func (s Settings) Describe() []rules.Text { return s.Rules.Describe() }

// rulesConfig is the rules engine's part of the settings.
func (s Settings) rulesConfig(camera string, w, h int) rules.Config {
	return rules.Config{Camera: camera, Width: w, Height: h, Zones: s.Zones, Lines: s.Lines, Rules: s.Rules}
}

// Apply puts the settings into a camera's pipeline configuration.
func (s Settings) Apply(cfg *Config) {
	cfg.Rules = s.rulesConfig(cfg.CameraID, 0, 0)
	cfg.Motion.Masks = nil
	for _, m := range s.Masks {
		poly := make(motion.Polygon, len(m.Polygon))
		for i, p := range m.Polygon {
			poly[i] = motion.Point{X: p.X, Y: p.Y}
		}
		cfg.Motion.Masks = append(cfg.Motion.Masks, poly)
	}
}
