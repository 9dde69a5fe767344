package eval

import (
	"testing"

	"matthan/internal/analytics"
)

func box(x1, y1, x2, y2 float32) analytics.Box { return analytics.Box{X1: x1, Y1: y1, X2: x2, Y2: y2} }

func det(c analytics.Class, score float32, b analytics.Box) analytics.Detection {
	return analytics.Detection{Class: c, Score: score, Box: b}
}

func TestMatchFrame(t *testing.T) {
	person := Object{Class: analytics.Person, Box: box(100, 100, 140, 200), Riders: -1}
	pickup := Object{Class: analytics.Car, Also: []analytics.Class{analytics.Truck}, Box: box(300, 100, 400, 180), Riders: -1}
	for _, tc := range []struct {
		name     string
		objects  []Object
		ignore   []analytics.Box
		dets     []analytics.Detection
		want     map[analytics.Class]Counts
		matchOf0 int // the detection matched to objects[0]
	}{
		{"exact match", []Object{person}, nil,
			[]analytics.Detection{det(analytics.Person, 0.9, box(100, 100, 140, 200))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, Detected: 1, TP: 1}}, 0},
		// IoU of [100,100,140,200] and [110,120,150,220] is 2400/5600 = 0.43.
		{"loose box still matches", []Object{person}, nil,
			[]analytics.Detection{det(analytics.Person, 0.5, box(110, 120, 150, 220))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, Detected: 1, TP: 1}}, 0},
		// IoU of [100,100,140,200] and [125,100,165,200] is 1500/6500 = 0.23.
		{"too far off: a false positive and a miss", []Object{person}, nil,
			[]analytics.Detection{det(analytics.Person, 0.9, box(125, 100, 165, 200))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, Detected: 1, FP: 1, FN: 1}}, -1},
		{"wrong class", []Object{person}, nil,
			[]analytics.Detection{det(analytics.Motorcycle, 0.9, box(100, 100, 140, 200))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, FN: 1}, analytics.Motorcycle: {Detected: 1, FP: 1}}, -1},
		// The better score takes the object, though its box is worse; the
		// second detection of the same object is a duplicate.
		{"greedy by score, duplicate is a false positive", []Object{person}, nil,
			[]analytics.Detection{det(analytics.Person, 0.4, box(100, 100, 140, 200)), det(analytics.Person, 0.8, box(110, 120, 150, 220))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, Detected: 2, TP: 1, FP: 1}}, 1},
		// Each detection takes the object it overlaps most, not the first one.
		{"best IoU among objects", []Object{person, {Class: analytics.Person, Box: box(120, 100, 160, 200), Riders: -1}}, nil,
			[]analytics.Detection{det(analytics.Person, 0.9, box(121, 100, 161, 200)), det(analytics.Person, 0.8, box(99, 100, 139, 200))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 2, Detected: 2, TP: 2}}, 1},
		{"also class counts under the object's class", []Object{pickup}, nil,
			[]analytics.Detection{det(analytics.Truck, 0.7, box(300, 100, 400, 180))},
			map[analytics.Class]Counts{analytics.Car: {Labelled: 1, Detected: 1, TP: 1}}, 0},
		{"same object as car and as truck", []Object{pickup}, nil,
			[]analytics.Detection{det(analytics.Truck, 0.6, box(300, 100, 400, 180)), det(analytics.Car, 0.7, box(302, 100, 400, 180))},
			map[analytics.Class]Counts{analytics.Car: {Labelled: 1, Detected: 1, TP: 1}, analytics.Truck: {Detected: 1, FP: 1}}, 1},
		{"unmatched detection in an ignore region is ignored", []Object{person}, []analytics.Box{box(500, 0, 600, 100)},
			[]analytics.Detection{det(analytics.Person, 0.9, box(100, 100, 140, 200)), det(analytics.Person, 0.9, box(540, 20, 620, 80))},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, Detected: 1, TP: 1, Ignored: 1}}, 0},
		{"centre outside the ignore region is a false positive", nil, []analytics.Box{box(500, 0, 600, 100)},
			[]analytics.Detection{det(analytics.Person, 0.9, box(560, 20, 660, 80))},
			map[analytics.Class]Counts{analytics.Person: {Detected: 1, FP: 1}}, -1},
		// A labelled object inside an ignore region is still expected.
		{"labels win over ignore regions", []Object{person}, []analytics.Box{box(0, 0, 960, 540)},
			[]analytics.Detection{},
			map[analytics.Class]Counts{analytics.Person: {Labelled: 1, FN: 1}}, -1},
		{"nothing at all", nil, nil, nil, map[analytics.Class]Counts{}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := MatchFrame(tc.objects, tc.ignore, tc.dets, DefaultIoU)
			if len(m.Counts) != len(tc.want) {
				t.Errorf("classes %v, want %v", m.Counts, tc.want)
			}
			for c, want := range tc.want {
				got := m.Counts[c]
				if got == nil || *got != want {
					t.Errorf("%s: %+v, want %+v", c, got, want)
					continue
				}
				if got.TP+got.FN != got.Labelled || got.TP+got.FP != got.Detected {
					t.Errorf("%s: counts inconsistent %+v", c, got)
				}
			}
			if len(tc.objects) > 0 && m.ObjectDet[0] != tc.matchOf0 {
				t.Errorf("object 0 matched detection %d, want %d", m.ObjectDet[0], tc.matchOf0)
			}
		})
	}
}

func TestCountsRatios(t *testing.T) {
	if _, ok := (Counts{}).Precision(); ok {
		t.Error("precision of nothing detected is defined")
	}
	if _, ok := (Counts{}).Recall(); ok {
		t.Error("recall of nothing labelled is defined")
	}
	c := Counts{Labelled: 4, Detected: 5, TP: 3, FP: 2, FN: 1}
	if p, _ := c.Precision(); p != 0.6 {
		t.Errorf("precision %v", p)
	}
	if r, _ := c.Recall(); r != 0.75 {
		t.Errorf("recall %v", r)
	}
}
