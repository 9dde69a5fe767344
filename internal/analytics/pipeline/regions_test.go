package pipeline

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/media"
)

func TestPlanRegions(t *testing.T) {
	box := func(x1, y1, x2, y2 float32) analytics.Box { return analytics.Box{X1: x1, Y1: y1, X2: x2, Y2: y2} }
	tests := []struct {
		name    string
		boxes   []analytics.Box
		maxSide int
		want    []analytics.Box // nil with ok false: the whole frame
	}{
		{"none", nil, 320, nil},
		{"one small box: a square of the least side, centred", []analytics.Box{box(300, 150, 320, 190)}, 320, []analytics.Box{box(230, 90, 390, 250)}},
		{"padded by 30% of its side", []analytics.Box{box(200, 100, 340, 240)}, 320, []analytics.Box{box(158, 58, 382, 282)}},
		{"at the corner: moved inside the frame", []analytics.Box{box(0, 340, 10, 360)}, 320, []analytics.Box{box(0, 200, 160, 360)}},
		{"near boxes merged", []analytics.Box{box(100, 100, 120, 140), box(150, 110, 170, 150)}, 320, []analytics.Box{box(55, 45, 215, 205)}},
		{"far boxes apart", []analytics.Box{box(20, 20, 40, 60), box(560, 280, 580, 320)}, 320,
			[]analytics.Box{box(0, 0, 160, 160), box(480, 200, 640, 360)}},
		{"too large for one: covered by overlapping squares", []analytics.Box{box(100, 100, 460, 200)}, 320,
			[]analytics.Box{box(0, 0, 320, 320), box(124, 0, 444, 320), box(248, 0, 568, 320)}},
		{"too many", []analytics.Box{box(10, 10, 20, 20), box(300, 10, 310, 20), box(600, 10, 610, 20), box(10, 300, 20, 310)}, 320, nil},
		{"motion everywhere", []analytics.Box{box(0, 0, 640, 360)}, 320, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := planRegions(tc.boxes, 640, 360, tc.maxSide, maxRegions)
			if ok != (tc.want != nil) || len(got) != len(tc.want) {
				t.Fatalf("got %v %v, want %v", got, ok, tc.want)
			}
			for i, r := range got {
				if r != tc.want[i] {
					t.Errorf("region %d is %v, want %v (all: %v)", i, r, tc.want[i], got)
				}
				if r.X1 < 0 || r.Y1 < 0 || r.X2 > 640 || r.Y2 > 360 || max(r.W(), r.H()) > float32(tc.maxSide) {
					t.Errorf("region %v outside the frame or over %d px", r, tc.maxSide)
				}
			}
			// Every motion box is inside a region.
			for _, b := range tc.boxes {
				in := false
				for _, r := range got {
					in = in || (b.X1 >= r.X1 && b.Y1 >= r.Y1 && b.X2 <= r.X2 && b.Y2 <= r.Y2)
				}
				if ok && !in && len(got) == 1 {
					t.Errorf("motion %v not inside %v", b, got)
				}
			}
		})
	}
	// A detector that pairs whole frames takes at most two regions: three
	// cost more than the frame's half canvas.
	if got, ok := planRegions([]analytics.Box{box(100, 100, 460, 200)}, 640, 360, 320, 2); ok {
		t.Errorf("three squares under a limit of two: %v, want the whole frame", got)
	}
	if got, ok := planRegions([]analytics.Box{box(20, 20, 40, 60), box(560, 280, 580, 320)}, 640, 360, 320, 2); !ok || len(got) != 2 {
		t.Errorf("two squares under a limit of two: %v %v, want both", got, ok)
	}
}

// sceneDetector is a fake RegionDetector over synthetic frames: a parked
// car it "sees" wherever it looks at the whole car, and a walker, the
// bright pixels of the frame.
type sceneDetector struct {
	car analytics.Box

	mu             sync.Mutex
	full, regional int
}

func (d *sceneDetector) find(f *analytics.Frame) []analytics.Detection {
	out := []analytics.Detection{{Class: analytics.Car, Score: 0.9, Box: d.car}}
	b := analytics.Box{X1: math.MaxFloat32, Y1: math.MaxFloat32}
	for y := range f.Height {
		for x := range f.Width {
			if f.BGR[(y*f.Width+x)*3] > 200 {
				b = analytics.Box{X1: min(b.X1, float32(x)), Y1: min(b.Y1, float32(y)), X2: max(b.X2, float32(x+1)), Y2: max(b.Y2, float32(y+1))}
			}
		}
	}
	if b.Area() > 0 {
		out = append(out, analytics.Detection{Class: analytics.Person, Score: 0.9, Box: b})
	}
	return out
}

func (d *sceneDetector) Detect(_ context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	d.mu.Lock()
	d.full++
	d.mu.Unlock()
	out := make([][]analytics.Detection, len(frames))
	for i, f := range frames {
		out[i] = d.find(f)
	}
	return out, nil
}

func (d *sceneDetector) MaxRegionSide(w, h int) int { return 320 }

func (d *sceneDetector) MaxRegions() int { return 3 }

func (d *sceneDetector) DetectRegions(_ context.Context, f *analytics.Frame, regions []analytics.Box) ([]analytics.Detection, error) {
	d.mu.Lock()
	d.regional++
	d.mu.Unlock()
	var out []analytics.Detection
	for _, det := range d.find(f) {
		for _, r := range regions {
			b := det.Box
			if b.X1 >= r.X1 && b.Y1 >= r.Y1 && b.X2 <= r.X2 && b.Y2 <= r.Y2 {
				out = append(out, det)
				break
			}
		}
	}
	return out, nil
}

func (d *sceneDetector) Close() error { return nil }

// TestRegionsKeepParkedCar: a person walks on the left while a car stays
// parked on the right. Frames between full passes are searched around the
// walker only; the car, found by the full passes, keeps its track through
// them although the tracker drops a track after 2 missed frames.
func TestRegionsKeepParkedCar(t *testing.T) {
	const w, h = 640, 360
	det := &sceneDetector{car: analytics.Box{X1: 420, Y1: 220, X2: 580, Y2: 330}}
	cfg := Config{CameraID: "cam-001", FullEvery: time.Second}
	cfg.Track.MaxMissed = 2
	cam, err := New(cfg, Deps{Hub: media.NewHub(), Detector: det})
	if err != nil {
		t.Fatal(err)
	}
	wall0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	var carID int64
	for k := range 40 { // 8 s at 5 fps
		f := &analytics.Frame{CameraID: "cam-001", At: wall0.Add(time.Duration(k) * 200 * time.Millisecond),
			Width: w, Height: h, BGR: make([]byte, w*h*3)}
		for i := range f.BGR {
			f.BGR[i] = 80
		}
		x0 := 20 + 6*k // the walker, 30×70, 30 px/s
		for y := 100; y < 170; y++ {
			for x := x0; x < x0+30; x++ {
				copy(f.BGR[(y*w+x)*3:], []byte{230, 230, 230})
			}
		}
		res := cam.Step(t.Context(), f)
		var car, person bool
		for _, tr := range res.Tracks {
			switch tr.Class {
			case analytics.Car:
				car = true
				if carID == 0 {
					carID = tr.ID
				} else if tr.ID != carID {
					t.Fatalf("frame %d: the car's track changed from %d to %d", k, carID, tr.ID)
				}
			case analytics.Person:
				person = true
			}
		}
		if k >= 10 && !car { // confirmed by the third full pass, at 2 s
			t.Fatalf("frame %d: the parked car's track was lost (regions %v, tracks %d)", k, res.Regions, len(res.Tracks))
		}
		if k >= 10 && !person {
			t.Fatalf("frame %d: no track of the walker", k)
		}
	}
	st := cam.Stats()
	if st.RegionDetections < 20 || det.regional != int(st.RegionDetections) || det.full < 8 {
		t.Errorf("stats %+v, detector full %d regional %d: want most frames on regions, a full pass a second", st, det.full, det.regional)
	}
}
