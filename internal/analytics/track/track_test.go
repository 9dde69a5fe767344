package track

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"matthan/internal/analytics"
)

var t0 = time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)

const frame = 200 * time.Millisecond // 5 fps

// obj is a synthetic object moving at constant velocity (px/s).
type obj struct {
	class      analytics.Class
	x, y, w, h float64 // top-left at t0
	vx, vy     float64
}

func (o obj) at(sec float64, jitter float64, rng *rand.Rand) analytics.Detection {
	j := func() float32 {
		if jitter == 0 {
			return 0
		}
		return float32((rng.Float64()*2 - 1) * jitter)
	}
	x, y := o.x+o.vx*sec, o.y+o.vy*sec
	return analytics.Detection{Class: o.class, Score: 0.8, Box: analytics.Box{
		X1: float32(x) + j(), Y1: float32(y) + j(), X2: float32(x+o.w) + j(), Y2: float32(y+o.h) + j(),
	}}
}

func byID(ts []*Track, id int64) *Track {
	for _, t := range ts {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func centreX(t *Track) float64 { return float64(t.Box.X1+t.Box.X2) / 2 }

func TestCrossingObjectsKeepTheirIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := obj{analytics.Person, 50, 100, 40, 100, 150, 0}   // walks right
	b := obj{analytics.Person, 550, 110, 40, 100, -150, 0} // walks left
	tr := New(Config{})
	var idA, idB int64
	for i := range 25 { // 5 s: they meet near x≈300 at 1.7 s
		sec := float64(i) * frame.Seconds()
		out := tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{a.at(sec, 1.5, rng), b.at(sec, 1.5, rng)})
		if i == 3 {
			if len(out) != 2 {
				t.Fatalf("frame %d: %d tracks, want 2", i, len(out))
			}
			for _, tk := range out {
				if centreX(tk) < 300 {
					idA = tk.ID
				} else {
					idB = tk.ID
				}
			}
		}
		if i > 3 {
			if len(out) != 2 {
				t.Fatalf("frame %d: %d tracks, want 2", i, len(out))
			}
			ta, tb := byID(out, idA), byID(out, idB)
			if ta == nil || tb == nil {
				t.Fatalf("frame %d: lost an ID: %+v", i, out)
			}
			wantA := a.x + a.w/2 + a.vx*sec
			if math.Abs(centreX(ta)-wantA) > 20 {
				t.Fatalf("frame %d: track %d at x=%.0f, want near %.0f (IDs swapped?)", i, idA, centreX(ta), wantA)
			}
		}
	}
}

func TestOcclusionKeepsTheID(t *testing.T) {
	o := obj{analytics.Motorcycle, 20, 200, 80, 60, 120, 10}
	tr := New(Config{})
	var id int64
	for i := range 30 {
		sec := float64(i) * frame.Seconds()
		var dets []analytics.Detection
		hidden := i >= 10 && i < 15 // behind a parked truck for 5 frames
		if !hidden {
			dets = append(dets, o.at(sec, 0, nil))
		}
		out := tr.Update(t0.Add(time.Duration(i)*frame), dets)
		if i == 5 {
			id = out[0].ID
		}
		if i > 5 {
			if len(out) != 1 || out[0].ID != id {
				t.Fatalf("frame %d: tracks %+v, want only ID %d", i, out, id)
			}
			if hidden != (out[0].Missed > 0) {
				t.Fatalf("frame %d: Missed=%d, hidden=%v", i, out[0].Missed, hidden)
			}
		}
	}
}

func TestStationaryAfterT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// A car drives in for 2 s, then parks with detection jitter of ±2 px.
	tr := New(Config{StationaryFor: 5 * time.Second})
	stop := 2 * time.Second
	for i := range 60 {
		at := time.Duration(i) * frame
		x := 100.0 + 100*min(at, stop).Seconds()
		d := obj{analytics.Car, x, 150, 160, 90, 0, 0}.at(0, 2, rng)
		out := tr.Update(t0.Add(at), []analytics.Detection{d})
		if i < 3 {
			continue
		}
		tk := out[0]
		parked := at - stop
		switch {
		case parked < 4*time.Second && tk.Stationary:
			t.Fatalf("at %v (parked %v): stationary too early", at, parked)
		case parked >= 6*time.Second && !tk.Stationary:
			t.Fatalf("at %v (parked %v): not stationary", at, parked)
		}
		if tk.Stationary {
			if d := tk.StationarySince.Sub(t0.Add(stop)); d < -frame || d > time.Second {
				t.Fatalf("StationarySince %v after the stop, want about 0", d)
			}
		}
	}
}

func TestSpeedAndDirection(t *testing.T) {
	tests := []struct {
		name        string
		vx, vy      float64
		wantHeading float64
	}{
		{"right", 100, 0, 0},
		{"down", 0, 80, 90},
		{"left", -120, 0, 180},
		{"up-right", 100, -50, 333.43},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			o := obj{analytics.Person, 300, 200, 40, 100, tc.vx, tc.vy}
			tr := New(Config{})
			var last *Track
			n := 20
			for i := range n {
				out := tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{o.at(float64(i)*frame.Seconds(), 1, rng)})
				if len(out) == 1 {
					last = out[0]
				}
			}
			want := math.Hypot(tc.vx, tc.vy)
			if got := last.Speed(); math.Abs(got-want) > 0.1*want {
				t.Errorf("speed %.1f px/s, want %.1f", got, want)
			}
			dh := math.Abs(last.Heading() - tc.wantHeading)
			if dh > 180 {
				dh = 360 - dh
			}
			if dh > 5 {
				t.Errorf("heading %.1f°, want %.1f°", last.Heading(), tc.wantHeading)
			}
			path := want * float64(n-1) * frame.Seconds()
			if math.Abs(last.Distance-path) > 0.15*path {
				t.Errorf("distance %.1f px, want about %.1f", last.Distance, path)
			}
			if last.Stationary {
				t.Error("a moving object is stationary")
			}
		})
	}
}

func TestConfirmAndLose(t *testing.T) {
	car := obj{analytics.Car, 100, 100, 100, 60, 0, 0}
	tr := New(Config{MinHits: 3, MaxMissed: 4})
	// One stray detection never becomes a track.
	stray := obj{analytics.Person, 400, 50, 30, 80, 0, 0}.at(0, 0, nil)
	if out := tr.Update(t0, []analytics.Detection{car.at(0, 0, nil), stray}); len(out) != 0 {
		t.Fatalf("frame 0: %d tracks, want 0 (not confirmed yet)", len(out))
	}
	tr.Update(t0.Add(frame), []analytics.Detection{car.at(0, 0, nil)})
	out := tr.Update(t0.Add(2*frame), []analytics.Detection{car.at(0, 0, nil)})
	if len(out) != 1 || out[0].Class != analytics.Car || out[0].Hits != 3 {
		t.Fatalf("after 3 hits: %+v, want the car", out)
	}
	id := out[0].ID
	for i := 3; i < 3+4; i++ {
		if out := tr.Update(t0.Add(time.Duration(i)*frame), nil); len(out) != 1 || out[0].ID != id {
			t.Fatalf("miss %d: %+v, want the car coasting", i-2, out)
		}
	}
	if out := tr.Update(t0.Add(7*frame), nil); len(out) != 0 {
		t.Fatalf("after 5 misses: %+v, want none", out)
	}
	// It comes back: a new ID, never a reused one.
	for i := 8; i < 11; i++ {
		out = tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{car.at(0, 0, nil)})
	}
	if len(out) != 1 || out[0].ID <= id {
		t.Fatalf("new track %+v, want an ID above %d", out, id)
	}
}

func TestLowScoreKeepsTrackAliveButStartsNone(t *testing.T) {
	p := obj{analytics.Person, 100, 100, 40, 100, 50, 0}
	tr := New(Config{MaxMissed: 3})
	var id int64
	for i := range 20 {
		d := p.at(float64(i)*frame.Seconds(), 0, nil)
		if i >= 5 {
			d.Score = 0.3 // half hidden behind a pillar: weak detections
		}
		out := tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{d})
		if i == 4 {
			id = out[0].ID
		}
		if i > 4 && (len(out) != 1 || out[0].ID != id || out[0].Missed != 0) {
			t.Fatalf("frame %d: %+v, want ID %d matched by a low-score detection", i, out, id)
		}
	}
	tr2 := New(Config{})
	for i := range 10 {
		weak := p.at(float64(i)*frame.Seconds(), 0, nil)
		weak.Score = 0.3
		if out := tr2.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{weak}); len(out) != 0 {
			t.Fatalf("low-score detections started a track: %+v", out)
		}
	}
}

func TestClassesAreTrackedApart(t *testing.T) {
	// A person standing over a parked motorbike: same place, two tracks.
	bike := obj{analytics.Motorcycle, 200, 200, 80, 60, 0, 0}
	man := obj{analytics.Person, 210, 150, 50, 110, 0, 0}
	tr := New(Config{})
	var out []*Track
	for i := range 5 {
		out = tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{bike.at(0, 0, nil), man.at(0, 0, nil)})
	}
	if len(out) != 2 || out[0].Class == out[1].Class {
		t.Fatalf("tracks %+v, want one motorcycle and one person", out)
	}
}

func TestFastMotorbikeIsConfirmed(t *testing.T) {
	// 60 px per frame against an 80 px wide box: IoU of raw consecutive
	// boxes is 0.14, under MatchIoU; the buffered IoU of a new track and
	// then the prediction keep it one track.
	o := obj{analytics.Motorcycle, 0, 200, 80, 60, 300, 0}
	tr := New(Config{})
	ids := map[int64]bool{}
	for i := range 10 {
		for _, tk := range tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{o.at(float64(i)*frame.Seconds(), 0, nil)}) {
			ids[tk.ID] = true
		}
	}
	if len(ids) != 1 {
		t.Fatalf("IDs %v, want exactly one track", ids)
	}
}

func TestBadInputIgnored(t *testing.T) {
	tr := New(Config{MinHits: 1})
	nan := float32(math.NaN())
	dets := []analytics.Detection{
		{Class: analytics.Car, Score: 0.9, Box: analytics.Box{X1: nan, Y1: 0, X2: 10, Y2: 10}},
		{Class: analytics.Car, Score: 0.9, Box: analytics.Box{X1: 10, Y1: 10, X2: 5, Y2: 20}},
		{Class: analytics.Car, Score: nan, Box: analytics.Box{X1: 0, Y1: 0, X2: 10, Y2: 10}},
	}
	if out := tr.Update(t0, dets); len(out) != 0 {
		t.Fatalf("tracks from bad detections: %+v", out)
	}
}

// FuzzUpdate feeds random frames: Update must never panic, return unique
// IDs in order, and finite boxes.
func FuzzUpdate(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Add(make([]byte, 200))
	seed := make([]byte, 0, 400)
	for i := range 40 {
		seed = binary.LittleEndian.AppendUint16(seed, uint16(i*37))
		seed = append(seed, byte(i), byte(i*3), byte(i*5), byte(i*7), byte(i*11), byte(i*13), byte(i*17), byte(i*19))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := New(Config{MinHits: 2, MaxMissed: 3})
		at := t0
		seen := map[int64]bool{}
		for len(data) >= 2 {
			n := int(data[0] % 8)
			step := time.Duration(int8(data[1])) * 10 * time.Millisecond // may go backwards
			data = data[2:]
			at = at.Add(step)
			var dets []analytics.Detection
			for range n {
				if len(data) < 9 {
					break
				}
				b := data[:9]
				data = data[9:]
				x, y := float32(b[0])*3, float32(b[1])*2
				dets = append(dets, analytics.Detection{
					Class: analytics.Classes[int(b[2])%len(analytics.Classes)],
					Score: float32(b[3]) / 255,
					Box:   analytics.Box{X1: x, Y1: y, X2: x + float32(b[4]) - 8, Y2: y + float32(b[5])},
				})
				if b[6] == 255 {
					dets[len(dets)-1].Box.X2 = float32(math.Inf(1))
				}
			}
			out := tr.Update(at, dets)
			var prev int64
			for _, tk := range out {
				if tk.ID <= prev {
					t.Fatalf("IDs not unique and ordered: %d after %d", tk.ID, prev)
				}
				prev = tk.ID
				seen[tk.ID] = true
				for _, v := range []float32{tk.Box.X1, tk.Box.Y1, tk.Box.X2, tk.Box.Y2} {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("non-finite box %+v", tk.Box)
					}
				}
				if math.IsNaN(tk.Speed()) || math.IsNaN(tk.Distance) {
					t.Fatalf("NaN motion: %+v", tk)
				}
			}
		}
	})
}

func TestRidersKeepTheirIDs(t *testing.T) {
	// Three riders 30 px apart on a bike doing 20 px a frame: matched with
	// no velocity, each would take the box of the rider behind; borrowing
	// the bike's motion keeps one ID each.
	bike := obj{analytics.Motorcycle, 50, 200, 90, 60, 100, 0}
	tr := New(Config{})
	ids := map[int64]bool{}
	for i := range 25 {
		sec := float64(i) * frame.Seconds()
		dets := []analytics.Detection{bike.at(sec, 0, nil)}
		for _, dx := range []float64{0, 30, 60} {
			dets = append(dets, obj{analytics.Person, 50 + dx, 160, 30, 70, 100, 0}.at(sec, 0, nil))
		}
		for _, tk := range tr.Update(t0.Add(time.Duration(i)*frame), dets) {
			ids[tk.ID] = true
			if i > 5 && math.Abs(tk.VX-100) > 10 {
				t.Fatalf("frame %d: track %d (%s) VX=%.0f, want 100", i, tk.ID, tk.Class, tk.VX)
			}
		}
	}
	if len(ids) != 4 {
		t.Fatalf("%d IDs, want 4 (bike and three riders)", len(ids))
	}
}

// TestSmallObjectTurning: a rider 20 px wide at 5 fps moves 30 px a frame;
// when the bike turns a right angle the constant-velocity prediction and
// the detection no longer overlap, yet the track keeps its ID by nearness.
// Another person standing 120 px away is never taken for it.
func TestSmallObjectTurning(t *testing.T) {
	tr := New(Config{})
	rider := analytics.Box{X1: 100, Y1: 100, X2: 120, Y2: 140}
	bystander := analytics.Detection{Class: analytics.Person, Score: 0.8, Box: analytics.Box{X1: 300, Y1: 300, X2: 320, Y2: 340}}
	move := func(dx, dy float32) {
		rider = analytics.Box{X1: rider.X1 + dx, Y1: rider.Y1 + dy, X2: rider.X2 + dx, Y2: rider.Y2 + dy}
	}
	var id int64
	for i := range 16 {
		if i < 8 {
			move(30, 0) // right at 150 px/s
		} else {
			move(0, 30) // then down
		}
		out := tr.Update(t0.Add(time.Duration(i)*frame), []analytics.Detection{{Class: analytics.Person, Score: 0.8, Box: rider}, bystander})
		var seen *Track
		for _, tk := range out {
			if tk.Box.IoU(rider) > 0.3 || (tk.Missed == 0 && tk.Detection == rider) {
				seen = tk
			}
		}
		if i < 3 {
			continue
		}
		if seen == nil || seen.Missed != 0 {
			t.Fatalf("frame %d: the rider is not tracked now: %+v", i, out)
		}
		if id == 0 {
			id = seen.ID
		}
		if seen.ID != id {
			t.Fatalf("frame %d: the rider's ID changed from %d to %d at the turn", i, id, seen.ID)
		}
		if seen.Detection == bystander.Box {
			t.Fatalf("frame %d: the rider took the bystander's box", i)
		}
	}
}

// TestUpdateSearched: a parked car survives frames searched elsewhere (no
// miss, no drift), is matched when a region covers it, and misses count
// again once a region covers it and finds nothing.
func TestUpdateSearched(t *testing.T) {
	tr := New(Config{})
	car := analytics.Detection{Class: analytics.Car, Score: 0.9, Box: analytics.Box{X1: 400, Y1: 200, X2: 520, Y2: 280}}
	at := t0
	var tracks []*Track
	for range 3 { // full-frame passes: confirmed
		tracks = tr.Update(at, []analytics.Detection{car})
		at = at.Add(frame)
	}
	if len(tracks) != 1 {
		t.Fatalf("tracks %v, want the car", tracks)
	}
	id := tracks[0].ID
	elsewhere := []analytics.Box{{X1: 0, Y1: 0, X2: 200, Y2: 200}}
	half := []analytics.Box{{X1: 300, Y1: 150, X2: 460, Y2: 310}} // half the car
	for i := range 30 {                                           // 6 s of frames searched elsewhere, or on half the car
		regions := elsewhere
		if i%2 == 1 {
			regions = half
		}
		tracks = tr.UpdateSearched(at, nil, regions)
		at = at.Add(frame)
		c := byID(tracks, id)
		if c == nil || c.Missed != 0 || !near(c.Box, car.Box, 2) {
			t.Fatalf("frame %d: car %+v, want it kept where it was, unmissed", i, c)
		}
	}
	over := []analytics.Box{{X1: 380, Y1: 160, X2: 560, Y2: 340}}
	tracks = tr.UpdateSearched(at, []analytics.Detection{car}, over)
	at = at.Add(frame)
	if c := byID(tracks, id); c == nil || c.Missed != 0 || c.Hits != 4 {
		t.Fatalf("car %+v, want matched in the region over it", c)
	}
	for i := range 11 {
		tracks = tr.UpdateSearched(at, nil, over)
		at = at.Add(frame)
		if c := byID(tracks, id); (c == nil) != (i == 10) {
			t.Fatalf("searched and missed %d times: car %+v; want dropped after MaxMissed (10)", i+1, c)
		}
	}
	// nil regions are the whole frame, as Update.
	tr2 := New(Config{MinHits: 1, MaxMissed: 1})
	tr2.Update(t0, []analytics.Detection{car})
	tr2.UpdateSearched(t0.Add(frame), nil, nil)
	if got := tr2.UpdateSearched(t0.Add(2*frame), nil, nil); len(got) != 0 {
		t.Errorf("nil regions: %v, want the car dropped as by Update", got)
	}
}

func near(a, b analytics.Box, tol float32) bool {
	d := func(x, y float32) bool { return math.Abs(float64(x-y)) <= float64(tol) }
	return d(a.X1, b.X1) && d(a.Y1, b.Y1) && d(a.X2, b.X2) && d(a.Y2, b.Y2)
}
