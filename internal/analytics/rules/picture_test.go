package rules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics/track"
)

var (
	dumpZone = Zone{Name: "Góc chợ", Kind: NoDumping, Polygon: []Point{{0.1, 0.5}, {0.5, 0.5}, {0.5, 0.9}, {0.1, 0.9}}}
	gateZone = Zone{Name: "Cổng số 7", Kind: Gate, Polygon: []Point{{0.6, 0.2}, {0.9, 0.2}, {0.9, 0.7}, {0.6, 0.7}}}
)

func TestPictureRulesDescriptions(t *testing.T) {
	r := Rules{
		Dumping: []Dumping{{}, {Zone: "Góc chợ", MinPersist: 45 * time.Second, During: []Schedule{Noon()}}},
		Lapse:   []Lapse{{}, {Zone: "Cổng số 7", MinPersist: 5 * time.Minute}},
	}
	want := []Text{
		{"Rubbish dumped in a no-dumping zone: a new object stays longer than 30 s right after a person or vehicle was there",
			"Đổ rác trong vùng cấm đổ rác: vật mới xuất hiện và nằm lại quá 30 giây ngay sau khi có người hoặc xe ở đó"},
		{`Rubbish dumped in zone "Góc chợ": a new object stays longer than 45 s right after a person or vehicle was there during noon 11:30–13:30`,
			`Đổ rác trong vùng "Góc chợ": vật mới xuất hiện và nằm lại quá 45 giây ngay sau khi có người hoặc xe ở đó trong khung giờ noon 11:30–13:30`},
		{"Reminder: a gate zone differs from its closed picture (taken when the schedule begins) for longer than 2 min: a gate or door open, or a motorbike left outside during night 22:00–05:00",
			"Nhắc nhở: vùng cổng khác với hình ảnh lúc đóng (chụp khi bắt đầu khung giờ) quá 2 phút: cổng hoặc cửa đang mở, hoặc xe máy để bên ngoài trong khung giờ night 22:00–05:00"},
		{`Reminder: zone "Cổng số 7" differs from its closed picture (taken when the schedule begins) for longer than 5 min: a gate or door open, or a motorbike left outside during night 22:00–05:00`,
			`Nhắc nhở: vùng "Cổng số 7" khác với hình ảnh lúc đóng (chụp khi bắt đầu khung giờ) quá 5 phút: cổng hoặc cửa đang mở, hoặc xe máy để bên ngoài trong khung giờ night 22:00–05:00`},
	}
	got := r.Describe()
	if len(got) != len(want) {
		t.Fatalf("%d descriptions, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("description %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestPictureRulesDefaults(t *testing.T) {
	d := Dumping{}.WithDefaults()
	if d.MinPersist != 30*time.Second || d.Recent != 20*time.Second || d.MinArea != 0.01 || d.Severity != Medium || d.Cooldown != DefaultCooldown {
		t.Errorf("dumping defaults %+v", d)
	}
	l := Lapse{}.WithDefaults()
	if l.MinPersist != 2*time.Minute || l.MinArea != 0.1 || l.Severity != Low || len(l.During) != 1 || l.During[0].From != At(22, 0) || l.During[0].To != At(5, 0) {
		t.Errorf("lapse defaults %+v", l)
	}
	// Set fields stay as set.
	if l := (Lapse{Severity: High, During: []Schedule{Noon()}}).WithDefaults(); l.Severity != High || l.During[0].From != Noon().From {
		t.Errorf("lapse with fields set %+v", l)
	}
}

func TestPictureRulesValidate(t *testing.T) {
	cfg := Config{
		Camera: "cam-1", Width: W, Height: H, Zones: []Zone{square, dumpZone, gateZone},
		Rules: Rules{
			Dumping: []Dumping{
				{Zone: "Hẻm 12"},  // generic, not no_dumping
				{Zone: "nowhere"}, // missing
				{MinPersist: -time.Second, Recent: -time.Second, MinArea: 1.5, Cooldown: -1},
				{Zone: "Góc chợ", During: []Schedule{{From: At(25, 0)}}},
			},
			Lapse: []Lapse{
				{Zone: "Góc chợ"}, // no_dumping, not gate
				{Zone: "Cổng số 7", MinPersist: -time.Minute, MinArea: -0.1, Cooldown: -1},
			},
		},
	}
	var me *matthan.Error
	if err := cfg.Validate(); !errors.As(err, &me) || me.Code != matthan.EINVALID {
		t.Fatalf("err %v, want an EINVALID *matthan.Error", err)
	}
	want := []string{"rules.dumping[0].zone", "rules.dumping[1].zone", "rules.dumping[2].min_persist", "rules.dumping[2].recent",
		"rules.dumping[2].min_area", "rules.dumping[2].cooldown", "rules.dumping[3].during[0]",
		"rules.lapse[0].zone", "rules.lapse[1].min_persist", "rules.lapse[1].min_area", "rules.lapse[1].cooldown"}
	got := map[string]matthan.FieldError{}
	for _, f := range me.Fields {
		got[f.Field] = f
		if f.Message == "" || f.MessageVI == "" || f.Message == f.MessageVI {
			t.Errorf("field %s lacks a message in one language: %+v", f.Field, f)
		}
	}
	for _, f := range want {
		if _, ok := got[f]; !ok {
			t.Errorf("no error for %s; got %v", f, me.Fields)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d fields with errors, want %d: %v", len(got), len(want), me.Fields)
	}
	if m := got["rules.lapse[0].zone"].MessageVI; !strings.Contains(m, "no_dumping") || !strings.Contains(m, "gate") {
		t.Errorf("wrong-kind message %q should name both kinds", m)
	}

	ok := Config{Camera: "c", Width: W, Height: H, Zones: []Zone{dumpZone, gateZone},
		Rules: Rules{Dumping: []Dumping{{}, {Zone: "Góc chợ", MinArea: 0.05}}, Lapse: []Lapse{{}, {Zone: "Cổng số 7"}}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good config refused: %v", err)
	}
	// The engine takes them and ignores them: no event from tracks.
	e := engine(t, ok)
	if evs := e.Step(local(t, "2026-03-06 23:00:00"), []*track.Track{person(1, 0.3, 0.7)}); len(evs) != 0 {
		t.Errorf("engine raised %+v for picture rules", evs)
	}
}

func TestPictureRulesJSON(t *testing.T) {
	raw := `{"dumping":[{"zone":"Góc chợ","min_persist":45000000000,"recent":10000000000,"min_area":0.02}],
		"lapse":[{"zone":"Cổng số 7","min_persist":60000000000,"during":[{"name":"night","from":"23:00","to":"04:00"}]}]}`
	var r Rules
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Dumping) != 1 || r.Dumping[0].MinPersist != 45*time.Second || r.Dumping[0].Recent != 10*time.Second || r.Dumping[0].MinArea != 0.02 {
		t.Errorf("dumping %+v", r.Dumping)
	}
	if len(r.Lapse) != 1 || r.Lapse[0].Zone != "Cổng số 7" || r.Lapse[0].During[0].From != At(23, 0) || r.Lapse[0].MinPersist != time.Minute {
		t.Errorf("lapse %+v", r.Lapse)
	}
	got := Config{Zones: []Zone{square, dumpZone, gateZone}}.ZonesOf("", NoDumping)
	if len(got) != 1 || got[0].Name != "Góc chợ" {
		t.Errorf("no_dumping zones %v", got)
	}
}
