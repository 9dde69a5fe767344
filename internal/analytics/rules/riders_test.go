package rules

import (
	"testing"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/analytics/track"
)

// moving is a synthetic detection of class c: a w×h box whose top-left is
// at (x, y) at time 0, moving at (vx, vy) px/s.
type moving struct {
	c            analytics.Class
	x, y, w, h   float64
	vx, vy       float64
	from, before int // frames it is visible in: [from, before)
}

func (m moving) det(sec float64) analytics.Detection {
	x, y := m.x+m.vx*sec, m.y+m.vy*sec
	return analytics.Detection{Class: m.c, Score: 0.8, Box: analytics.Box{X1: float32(x), Y1: float32(y), X2: float32(x + m.w), Y2: float32(y + m.h)}}
}

func TestThreeRiders(t *testing.T) {
	const v = 100 // px/s, the bike rides right
	bike := moving{c: analytics.Motorcycle, x: 50, y: 200, w: 90, h: 60, vx: v, before: 1 << 30}
	// Riders sit on the bike: centred over it, heads above its top.
	rider := func(dx float64) moving {
		return moving{c: analytics.Person, x: 50 + dx, y: 160, w: 30, h: 70, vx: v, before: 1 << 30}
	}
	// Pedestrians walk beside it at its speed, their feet on the road.
	walker := func(dx float64) moving {
		return moving{c: analytics.Person, x: 50 + dx, y: 185, w: 30, h: 80, vx: v, before: 1 << 30}
	}
	parked := bike
	parked.vx = 0
	still := func(r moving) moving { r.vx = 0; return r }
	// Pedestrians crossing the road through the bike's path, top to bottom.
	crosser := func(dx float64) moving {
		return moving{c: analytics.Person, x: 160 + dx, y: 60, w: 30, h: 70, vx: 0, vy: 120, before: 1 << 30}
	}
	tests := []struct {
		name    string
		objects []moving
		want    int
	}{
		{"three riders", []moving{bike, rider(0), rider(30), rider(60)}, 1},
		{"four riders", []moving{bike, rider(-5), rider(18), rider(41), rider(60)}, 1},
		{"two riders", []moving{bike, rider(10), rider(50)}, 0},
		{"three walking beside", []moving{bike, walker(-45), walker(-80), walker(100)}, 0},
		{"three standing at a parked bike", []moving{parked, still(rider(0)), still(rider(30)), still(rider(60))}, 0},
		{"three crossing its path", []moving{bike, crosser(0), crosser(40), crosser(80)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, Config{Rules: Rules{Riders: []Riders{{MinRiders: 3, MinFrames: 5}}}})
			tr := track.New(track.Config{})
			start := local(t, "2026-03-06 17:00:00")
			var evs []Event
			for i := range 25 { // 5 s at 5 fps
				sec := float64(i) * 0.2
				var dets []analytics.Detection
				for _, o := range tc.objects {
					if i >= o.from && i < o.before {
						dets = append(dets, o.det(sec))
					}
				}
				at := start.Add(time.Duration(i) * 200 * time.Millisecond)
				evs = append(evs, e.Step(at, tr.Update(at, dets))...)
			}
			if got := count(evs, Started); got != tc.want {
				t.Fatalf("%d events, want %d: %+v", got, tc.want, evs)
			}
			if tc.want == 1 {
				ev := evs[len(evs)-1] // riders may join the event in later updates
				riders := len(tc.objects) - 1
				if ev.ID != evs[0].ID || ev.Type != RidersEvent || ev.Class != analytics.Motorcycle || len(ev.TrackIDs) != riders+1 {
					t.Fatalf("event %+v, want the motorcycle and %d riders", ev, riders)
				}
				// The snapshot box holds the bike and its riders.
				if ev.Box.Y1 > 165 || ev.Box.Y2 < 255 {
					t.Fatalf("box %+v does not hold bike and riders", ev.Box)
				}
			}
		})
	}
}
