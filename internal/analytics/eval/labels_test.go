package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"matthan"
	"matthan/internal/analytics"
)

const goodLabels = `{
  "clip": "a.mp4", "width": 320, "height": 240, "made": "by hand, 2026-11-27",
  "events": {"crowd": false},
  "ignore": [[0, 0, 10, 10]],
  "frames": [
    {"time": 0, "objects": [{"class": "motorcycle", "box": [10, 10, 50, 60], "riders": 2},
                            {"class": "car", "also": ["truck"], "box": [100, 100, 200, 200]}]},
    {"time": 1.2, "objects": [], "ignore": [[300, 0, 320, 20]]}
  ]
}`

func TestParseLabels(t *testing.T) {
	l, err := ParseLabels("good.json", []byte(goodLabels))
	if err != nil {
		t.Fatal(err)
	}
	if l.Clip != "a.mp4" || l.Width != 320 || len(l.Frames) != 2 || len(l.Ignore) != 1 || len(l.Frames[1].Ignore) != 1 ||
		l.Events[matthan.EventCrowd] || len(l.Events) != 1 {
		t.Fatalf("labels %+v", l)
	}
	bike, car := l.Frames[0].Objects[0], l.Frames[0].Objects[1]
	if bike.Riders != 2 || bike.Box != box(10, 10, 50, 60) || car.Riders != -1 || !car.accepts(analytics.Truck) || car.accepts(analytics.Bus) {
		t.Fatalf("objects %+v %+v", bike, car)
	}
}

// A bad label file names the file and the field, in both languages.
func TestParseLabelsRefuses(t *testing.T) {
	for _, tc := range []struct{ name, from, to, field string }{
		{"not JSON", `"clip"`, `clip`, "(file)"},
		{"unknown field", `"made"`, `"madee"`, "(file)"},
		{"folder in clip", `"a.mp4"`, `"../a.mp4"`, "clip"},
		{"no size", `"width": 320`, `"width": 0`, "width"},
		{"no provenance", `"by hand, 2026-11-27"`, `" "`, "made"},
		{"unknown event", `"crowd": false`, `"crowds": false`, "events.crowds"},
		{"unknown class", `"class": "car"`, `"class": "van"`, "frames[0].objects[1].class"},
		{"unknown also", `"also": ["truck"]`, `"also": ["lorry"]`, "frames[0].objects[1].also"},
		{"box outside", `[100, 100, 200, 200]`, `[100, 100, 400, 200]`, "frames[0].objects[1].box"},
		{"empty box", `[10, 10, 50, 60]`, `[50, 10, 10, 60]`, "frames[0].objects[0].box"},
		{"three numbers", `[10, 10, 50, 60]`, `[10, 10, 50]`, "frames[0].objects[0].box"},
		{"bad ignore", `[[0, 0, 10, 10]]`, `[[0, 0, 10, 1000]]`, "ignore[0]"},
		{"bad frame ignore", `[[300, 0, 320, 20]]`, `[[300, 0, 330, 20]]`, "frames[1].ignore[0]"},
		{"riders on a car", `"box": [100, 100, 200, 200]}`, `"box": [100, 100, 200, 200], "riders": 1}`, "frames[0].objects[1].riders"},
		{"too many riders", `"riders": 2`, `"riders": 9`, "frames[0].objects[0].riders"},
		{"no time", `"time": 1.2,`, ``, "frames[1].time"},
		{"negative time", `"time": 0,`, `"time": -1,`, "frames[0].time"},
		{"time order", `"time": 1.2`, `"time": 0`, "frames[1].time"},
		{"no frames", `"frames": [`, `"frames": [], "x": [`, "(file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(goodLabels, tc.from, tc.to, 1)
			if data == goodLabels {
				t.Fatalf("%q is not in the good labels", tc.from)
			}
			_, err := ParseLabels("testdata/labels/bad.json", []byte(data))
			var le *LabelError
			if !errors.As(err, &le) {
				t.Fatalf("err %v, want a LabelError", err)
			}
			msg := err.Error()
			if le.File != "testdata/labels/bad.json" || le.Field != tc.field || le.EN == "" || le.VI == "" ||
				!strings.Contains(msg, "label file testdata/labels/bad.json: "+tc.field) || !strings.Contains(msg, "tệp nhãn testdata/labels/bad.json") {
				t.Errorf("err %q (field %q), want field %q, English and Vietnamese", msg, le.Field, tc.field)
			}
		})
	}
	if _, err := ParseLabels("x.json", []byte(strings.Replace(goodLabels, `"frames": [`, `"frames": [], "y": [`, 1))); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := ParseLabels("x.json", []byte(`{"clip": "a.mp4", "width": 1, "height": 1, "made": "x", "frames": []}`)); err == nil ||
		!strings.Contains(err.Error(), "frames") {
		t.Errorf("no frames: %v", err)
	}
}

// The shipped label files load, name shipped clips, and say whether each
// default rule should fire.
func TestShippedLabels(t *testing.T) {
	all, err := LoadDir(filepath.Join("..", "..", "..", "testdata", "labels"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("%d label files, want 4", len(all))
	}
	for _, l := range all {
		if _, err := os.Stat(filepath.Join("..", "..", "..", "testdata", "clips", l.Clip)); err != nil {
			t.Errorf("%s: %v", l.Path, err)
		}
		for _, rule := range []matthan.EventType{matthan.EventThreeRiders, matthan.EventCrowd, matthan.EventTamper} {
			if _, ok := l.Events[rule]; !ok {
				t.Errorf("%s does not say whether %s should fire", l.Path, rule)
			}
		}
		if len(l.Frames) < 3 {
			t.Errorf("%s: %d frames", l.Path, len(l.Frames))
		}
	}
	if _, err := LoadDir(t.TempDir()); err == nil {
		t.Error("an empty folder gave no error")
	}
}
