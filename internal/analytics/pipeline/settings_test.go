package pipeline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics/rules"
)

func TestDefaultSettingsAreValid(t *testing.T) {
	s := DefaultSettings()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"for":"10s"`) {
		t.Errorf("durations are not written as Go durations: %s", raw)
	}
	back, err := ParseSettings(raw)
	if err != nil {
		t.Fatalf("the defaults' own JSON does not read back: %v\n%s", err, raw)
	}
	if len(back.Zones) != 1 || len(back.Rules.Riders) != 1 || back.Rules.Crowd[0].For != 10*time.Second {
		t.Fatalf("round trip: %+v", back)
	}
	if d := s.Describe(); len(d) != 2 || !strings.Contains(d[0].VI, "Xe máy") {
		t.Fatalf("described as %+v", d)
	}
}

func TestParseSettings(t *testing.T) {
	const gate = `{"name":"cổng","kind":"gate","polygon":[{"x":0.1,"y":0.1},{"x":0.3,"y":0.1},{"x":0.3,"y":0.4}]}`
	for _, tc := range []struct {
		name, raw string
		fields    []string // the fields named in the error; nil: valid
	}{
		{"valid", `{"zones":[` + gate + `],"masks":[{"name":"cây","polygon":[{"x":0,"y":0},{"x":0.2,"y":0},{"x":0.2,"y":0.2}]}],
			"rules":{"loitering":[{"zone":"cổng","min_stay":"3m","during":[{"name":"night","from":"22:00","to":"05:00"}]}]}}`, nil},
		{"misspelt rule", `{"rules":{"loitring":[]}}`, []string{}},
		{"misspelt field in a rule", `{"rules":{"crowd":[{"more_than":3,"fro":"10s"}]}}`, []string{}},
		{"not a duration", `{"rules":{"crowd":[{"more_than":3,"for":"10 giây"}],"parking":[{"min_stay":true}]}}`, []string{"rules.crowd[0].for", "rules.parking[0].min_stay"}},
		{"not JSON", `{"zones":`, []string{}},
		{"two objects", `{} {}`, []string{}},
		{"unknown zone kind", `{"zones":[{"name":"a","kind":"garden","polygon":[{"x":0,"y":0},{"x":1,"y":0},{"x":1,"y":1}]}]}`, []string{"zones[0].kind"}},
		{"rule on a missing zone", `{"rules":{"loitering":[{"zone":"chợ","min_stay":60}]}}`, []string{"rules.loitering[0].zone"}},
		{"mask without name and points", `{"masks":[{"name":"","polygon":[{"x":0,"y":0}]}]}`, []string{"masks[0].name", "masks[0].polygon"}},
		{"mask outside the picture", `{"masks":[{"name":"m","polygon":[{"x":0,"y":0},{"x":1.5,"y":0},{"x":1,"y":1}]}]}`, []string{"masks[0].polygon"}},
		{"bad schedule", `{"zones":[` + gate + `],"rules":{"loitering":[{"zone":"cổng","min_stay":"1s","during":[{"name":"x","from":"25:00","to":"05:00"}]}]}}`, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSettings([]byte(tc.raw))
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *matthan.Error
			if !errors.As(err, &e) || e.Code != matthan.EINVALID || e.MessageVI == "" {
				t.Fatalf("err %v, want EINVALID in both languages", err)
			}
			var got []string
			for _, f := range e.Fields {
				if f.MessageVI == "" || f.Message == "" {
					t.Errorf("field %s lacks a language: %+v", f.Field, f)
				}
				got = append(got, f.Field)
			}
			for _, want := range tc.fields {
				if !strings.Contains(strings.Join(got, " "), want) {
					t.Errorf("fields %v, want %s named", got, want)
				}
			}
		})
	}
}

func TestSettingsApply(t *testing.T) {
	s := Settings{Zones: []rules.Zone{{Name: "z", Kind: rules.Generic, Polygon: []rules.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}}}},
		Masks: []Mask{{Name: "cây", Polygon: []rules.Point{{X: 0, Y: 0}, {X: 0.5, Y: 0}, {X: 0.5, Y: 0.5}}}}}
	cfg := Config{CameraID: "cam-7"}
	s.Apply(&cfg)
	if cfg.Rules.Camera != "cam-7" || len(cfg.Rules.Zones) != 1 || len(cfg.Motion.Masks) != 1 || cfg.Motion.Masks[0][1].X != 0.5 {
		t.Fatalf("applied: %+v", cfg)
	}
}

func TestSettingsDurationsInSeconds(t *testing.T) {
	s, err := ParseSettings([]byte(`{"zones":[{"name":"z","kind":"generic","polygon":[{"x":0,"y":0},{"x":1,"y":0},{"x":1,"y":1}]}],
		"rules":{"loitering":[{"zone":"z","min_stay":90,"cooldown":"1h30m"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Rules.Loitering[0]; r.MinStay != 90*time.Second || r.Cooldown != 90*time.Minute {
		t.Fatalf("read %+v", r)
	}
}
