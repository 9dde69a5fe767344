package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/track"
)

const W, H = 640, 360

// local is a time on the ward's clock: "2026-03-06 22:00:00" (a Friday).
func local(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, matthan.Vietnam)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC() // frames carry UTC
}

// obj is a track of class c whose foot point is at normalised (fx, fy).
func obj(id int64, c analytics.Class, fx, fy, w, h float64) *track.Track {
	x, y := fx*W, fy*H
	return &track.Track{ID: id, Class: c, Score: 0.8, Box: analytics.Box{
		X1: float32(x - w/2), Y1: float32(y - h), X2: float32(x + w/2), Y2: float32(y),
	}}
}

func person(id int64, fx, fy float64) *track.Track { return obj(id, analytics.Person, fx, fy, 30, 80) }

var square = Zone{Name: "Hẻm 12", Kind: Generic, Polygon: []Point{{0.2, 0.2}, {0.6, 0.2}, {0.6, 0.8}, {0.2, 0.8}}}

func engine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	cfg.Camera = "cam-1"
	cfg.Width, cfg.Height = W, H
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run steps the engine from..to (end excluded) every step, with the tracks
// tracksAt gives, and returns every event.
func run(e *Engine, from, to time.Time, step time.Duration, tracksAt func(time.Time) []*track.Track) []Event {
	var out []Event
	for at := from; at.Before(to); at = at.Add(step) {
		out = append(out, e.Step(at, tracksAt(at))...)
	}
	return out
}

func count(evs []Event, s State) int {
	n := 0
	for _, e := range evs {
		if e.State == s {
			n++
		}
	}
	return n
}

func TestScheduleEdges(t *testing.T) {
	friday := Night()
	friday.Days = []time.Weekday{time.Friday}
	tests := []struct {
		s    Schedule
		at   string
		want bool
	}{
		{Night(), "2026-03-06 21:59:59", false},
		{Night(), "2026-03-06 22:00:00", true},
		{Night(), "2026-03-06 23:59:59", true},
		{Night(), "2026-03-07 00:00:00", true},
		{Night(), "2026-03-07 04:59:59", true},
		{Night(), "2026-03-07 05:00:00", false},
		{Night(), "2026-03-07 12:00:00", false},
		{Noon(), "2026-03-06 11:29:59", false},
		{Noon(), "2026-03-06 11:30:00", true},
		{Noon(), "2026-03-06 13:29:59", true},
		{Noon(), "2026-03-06 13:30:00", false},
		// A Friday night runs into Saturday morning, not Friday morning.
		{friday, "2026-03-06 23:00:00", true},  // Fri
		{friday, "2026-03-07 02:00:00", true},  // Sat, Friday's night
		{friday, "2026-03-07 23:00:00", false}, // Sat night
		{friday, "2026-03-06 02:00:00", false}, // Fri morning is Thursday's night
		{Schedule{From: At(0, 0), To: At(0, 0), Days: []time.Weekday{time.Sunday}}, "2026-03-08 15:00:00", true},
		{Schedule{From: At(0, 0), To: At(0, 0), Days: []time.Weekday{time.Sunday}}, "2026-03-07 15:00:00", false},
	}
	for _, tc := range tests {
		if got := tc.s.Active(local(t, tc.at)); got != tc.want {
			t.Errorf("%s %s–%s %v at %s: %v, want %v", tc.s.Name, tc.s.From, tc.s.To, tc.s.Days, tc.at, got, tc.want)
		}
	}
	// The window is Vietnam's, whatever zone the time comes in: 15:00 UTC is 22:00 there.
	if !Night().Active(time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)) {
		t.Error("15:00 UTC is 22:00 in Vietnam: night should be on")
	}
}

func TestClockText(t *testing.T) {
	var c Clock
	if err := c.UnmarshalText([]byte("22:30")); err != nil || c != At(22, 30) {
		t.Fatalf("22:30 read as %v, %v", c, err)
	}
	if b, _ := At(5, 0).MarshalText(); string(b) != "05:00" {
		t.Fatalf("05:00 written as %q", b)
	}
	for _, bad := range []string{"", "25:00", "12:60", "ab:cd", "-1:00"} {
		if err := c.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestZoneBorders(t *testing.T) {
	// An L shape: the notch at the top right is outside.
	l := Zone{Name: "L", Kind: Generic, Polygon: []Point{{0.1, 0.1}, {0.4, 0.1}, {0.4, 0.5}, {0.8, 0.5}, {0.8, 0.9}, {0.1, 0.9}}}
	tests := []struct {
		z    Zone
		p    Point
		want bool
	}{
		{square, Point{0.4, 0.5}, true},
		{square, Point{0.2, 0.5}, true},    // on the left edge
		{square, Point{0.6, 0.8}, true},    // on a corner
		{square, Point{0.4, 0.2}, true},    // on the top edge
		{square, Point{0.199, 0.5}, false}, // just left of it
		{square, Point{0.4, 0.801}, false}, // just below it
		{l, Point{0.6, 0.3}, false},        // in the notch
		{l, Point{0.6, 0.7}, true},
		{l, Point{0.2, 0.2}, true},
		{l, Point{0.4, 0.3}, true}, // on the notch's edge
		{Zone{Polygon: []Point{{0, 0}, {1, 1}}}, Point{0.5, 0.5}, false},
	}
	for _, tc := range tests {
		if got := tc.z.Contains(tc.p); got != tc.want {
			t.Errorf("%s contains %v: %v, want %v", tc.z.Name, tc.p, got, tc.want)
		}
	}
}

func TestLoiteringAtNightIsOneEvent(t *testing.T) {
	e := engine(t, Config{
		Zones: []Zone{square},
		Rules: Rules{Loitering: []Loitering{{Zone: "Hẻm 12", MinStay: 3 * time.Minute, During: []Schedule{Night()}, Cooldown: 2 * time.Minute}}},
	})
	in := func(time.Time) []*track.Track { return []*track.Track{person(7, 0.4, 0.5)} }
	gone := func(time.Time) []*track.Track { return nil }

	// There since 21:50: the stay counts from 22:00, so nothing until 22:03.
	evs := run(e, local(t, "2026-03-06 21:50:00"), local(t, "2026-03-06 22:02:59"), time.Second, in)
	if len(evs) != 0 {
		t.Fatalf("events before 22:03: %+v", evs)
	}
	evs = run(e, local(t, "2026-03-06 22:02:59"), local(t, "2026-03-06 22:30:00"), time.Second, in)
	if len(evs) == 0 || evs[0].State != Started || !evs[0].Start.Equal(local(t, "2026-03-06 22:03:00")) {
		t.Fatalf("want a start at 22:03:00, got %+v", evs[:min(1, len(evs))])
	}
	id := evs[0].ID
	if count(evs, Started) != 1 {
		t.Fatalf("%d starts for one person standing still, want 1", count(evs, Started))
	}
	for _, ev := range evs {
		if ev.ID != id || ev.Zone != "Hẻm 12" || ev.Type != LoiteringEvent || len(ev.TrackIDs) != 1 || ev.TrackIDs[0] != 7 {
			t.Fatalf("event %+v, want updates of %s for track 7", ev, id)
		}
	}
	if n := count(evs, Updated); n < 150 || n > 170 { // every 10 s for 27 min
		t.Errorf("%d updates in 27 min, want about 162", n)
	}
	// Leaves: ended. Back within the cooldown: the same event goes on.
	evs = run(e, local(t, "2026-03-06 22:30:00"), local(t, "2026-03-06 22:31:00"), time.Second, gone)
	if len(evs) != 1 || evs[0].State != Ended || evs[0].ID != id || !evs[0].End.Equal(local(t, "2026-03-06 22:29:59")) {
		t.Fatalf("after leaving: %+v, want one end at 22:29:59", evs)
	}
	evs = run(e, local(t, "2026-03-06 22:31:00"), local(t, "2026-03-06 22:35:00"), time.Second, in)
	if count(evs, Started) != 0 || len(evs) == 0 || evs[0].ID != id || evs[0].State != Updated {
		t.Fatalf("back within the cooldown: %+v, want the same event updated", evs[:min(2, len(evs))])
	}
	// Leaves for longer than the cooldown, comes back: a new event.
	run(e, local(t, "2026-03-06 22:35:00"), local(t, "2026-03-06 22:40:00"), time.Second, gone)
	evs = run(e, local(t, "2026-03-06 22:40:00"), local(t, "2026-03-06 22:44:00"), time.Second, in)
	if count(evs, Started) != 1 || evs[0].ID == id {
		t.Fatalf("after the cooldown: %+v, want a new event", evs[:min(2, len(evs))])
	}
}

func TestLoiteringNeedsScheduleAndZone(t *testing.T) {
	e := engine(t, Config{
		Zones: []Zone{square},
		Rules: Rules{Loitering: []Loitering{{Zone: "Hẻm 12", MinStay: time.Minute, During: []Schedule{Night(), Noon()}}}},
	})
	tests := []struct {
		name     string
		from, to string
		tr       *track.Track
		want     int
	}{
		{"afternoon in zone", "2026-03-06 14:00:00", "2026-03-06 14:30:00", person(1, 0.4, 0.5), 0},
		{"noon in zone", "2026-03-06 11:30:00", "2026-03-06 11:32:00", person(2, 0.4, 0.5), 1},
		{"night outside zone", "2026-03-06 23:00:00", "2026-03-06 23:30:00", person(3, 0.7, 0.5), 0},
		{"a car at night", "2026-03-07 01:00:00", "2026-03-07 01:30:00", obj(4, analytics.Car, 0.4, 0.5, 100, 60), 0},
		{"foot on the border at night", "2026-03-07 02:00:00", "2026-03-07 02:02:00", person(5, 0.4, 0.8), 1},
	}
	for _, tc := range tests {
		evs := run(e, local(t, tc.from), local(t, tc.to), time.Second, func(time.Time) []*track.Track { return []*track.Track{tc.tr} })
		if got := count(evs, Started); got != tc.want {
			t.Errorf("%s: %d events, want %d", tc.name, got, tc.want)
		}
		run(e, local(t, tc.to), local(t, tc.to).Add(5*time.Minute), time.Second, func(time.Time) []*track.Track { return nil })
	}
}

func TestParkingJustUnderAndOverT(t *testing.T) {
	noPark := Zone{Name: "cổng trường", Kind: NoParking, Polygon: []Point{{0, 0.5}, {1, 0.5}, {1, 1}, {0, 1}}}
	stopped := local(t, "2026-03-06 08:00:00")
	car := func(id int64, fx, fy float64, c analytics.Class) func(time.Time) []*track.Track {
		return func(at time.Time) []*track.Track {
			tk := obj(id, c, fx, fy, 120, 70)
			tk.StationarySince = stopped
			tk.Stationary = at.Sub(stopped) >= 5*time.Second
			return []*track.Track{tk}
		}
	}
	tests := []struct {
		name   string
		tracks func(time.Time) []*track.Track
		until  time.Duration
		starts int
	}{
		{"car just under T", car(1, 0.5, 0.9, analytics.Car), 5*time.Minute - time.Second, 0},
		{"car just over T", car(2, 0.5, 0.9, analytics.Car), 5*time.Minute + time.Second, 1},
		{"motorbike over T", car(3, 0.5, 0.9, analytics.Motorcycle), 6 * time.Minute, 1},
		{"car outside the zone", car(4, 0.5, 0.3, analytics.Car), 10 * time.Minute, 0},
		{"person standing", car(5, 0.5, 0.9, analytics.Person), 10 * time.Minute, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, Config{Zones: []Zone{noPark, square}, Rules: Rules{Parking: []Parking{{MinStay: 5 * time.Minute}}}})
			evs := run(e, stopped, stopped.Add(tc.until), time.Second, tc.tracks)
			if got := count(evs, Started); got != tc.starts {
				t.Fatalf("%d events, want %d", got, tc.starts)
			}
			if tc.starts == 1 {
				ev := evs[0]
				if ev.Type != ParkingEvent || ev.Zone != "cổng trường" || ev.Severity != Low || !ev.Start.Equal(stopped.Add(5*time.Minute)) {
					t.Fatalf("event %+v", ev)
				}
			}
		})
	}
}

func TestCrowdThreshold(t *testing.T) {
	for _, n := range []int{3, 4} {
		e := engine(t, Config{Zones: []Zone{square}, Rules: Rules{Crowd: []Crowd{{Zone: "Hẻm 12", MoreThan: 3, For: 10 * time.Second}}}})
		people := func(time.Time) []*track.Track {
			var ts []*track.Track
			for i := range n {
				ts = append(ts, person(int64(i+1), 0.3+0.05*float64(i), 0.5))
			}
			ts = append(ts, person(99, 0.9, 0.5)) // outside the zone
			return ts
		}
		start := local(t, "2026-03-06 19:00:00")
		early := run(e, start, start.Add(10*time.Second), time.Second, people)
		later := run(e, start.Add(10*time.Second), start.Add(time.Minute), time.Second, people)
		switch {
		case n == 3 && len(early)+len(later) != 0:
			t.Errorf("3 people (not more than 3): %+v", later)
		case n == 4 && (len(early) != 0 || count(later, Started) != 1 || len(later[0].TrackIDs) != 4):
			t.Errorf("4 people: early %+v, later %+v; want one event after 10 s with 4 tracks", early, later[:min(1, len(later))])
		}
	}
}

func TestLineCrossingDirections(t *testing.T) {
	// A vertical line down the middle, A at the top: its left side is the
	// picture's right (facing down the picture, as someone walking towards
	// the camera does). Exit only: crossing from the picture's right to its
	// left is forbidden.
	lines := []Line{
		{Name: "một chiều", A: Point{0.5, 0}, B: Point{0.5, 1}, Forbidden: LeftToRight},
		{Name: "hai chiều", A: Point{0.5, 0}, B: Point{0.5, 1}, Forbidden: Both},
		{Name: "nửa trên", A: Point{0.5, 0}, B: Point{0.5, 0.5}, Forbidden: Both},
	}
	walk := func(x0, x1, y float64) func(time.Time) []*track.Track {
		start := local(t, "2026-03-06 10:00:00")
		return func(at time.Time) []*track.Track {
			f := min(1, at.Sub(start).Seconds()/10)
			return []*track.Track{person(1, x0+(x1-x0)*f, y)}
		}
	}
	tests := []struct {
		name string
		line string
		walk func(time.Time) []*track.Track
		want int
	}{
		{"right to left across a one-way line", "một chiều", walk(0.8, 0.2, 0.6), 1},
		{"left to right across a one-way line", "một chiều", walk(0.2, 0.8, 0.6), 0},
		{"both ways forbidden: right to left", "hai chiều", walk(0.8, 0.2, 0.6), 1},
		{"both ways forbidden: left to right", "hai chiều", walk(0.2, 0.8, 0.6), 1},
		{"below the end of a short line", "nửa trên", walk(0.8, 0.2, 0.8), 0},
		{"standing on the line", "hai chiều", func(at time.Time) []*track.Track {
			return []*track.Track{person(1, 0.5+0.004*float64(at.Second()%3-1), 0.6)} // jitter of ±2.5 px
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, Config{Lines: lines, Rules: Rules{LineCrossing: []LineCrossing{{Line: tc.line}}}})
			start := local(t, "2026-03-06 10:00:00")
			evs := run(e, start, start.Add(20*time.Second), 200*time.Millisecond, tc.walk)
			if got := count(evs, Started); got != tc.want {
				t.Fatalf("%d crossings, want %d: %+v", got, tc.want, evs)
			}
			if tc.want == 1 && (evs[0].Zone != tc.line || evs[0].TrackIDs[0] != 1 || count(evs, Ended) != 1) {
				t.Fatalf("events %+v", evs)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cfg := Config{
		Camera: "cam-1", Width: W, Height: H,
		Zones: []Zone{square, {Name: "bad", Kind: "nowhere", Polygon: []Point{{0, 0}, {2, 0}}}},
		Lines: []Line{{Name: "l", A: Point{0.5, 0}, B: Point{0.5, 0}, Forbidden: "up"}},
		Rules: Rules{
			Loitering:    []Loitering{{Zone: "missing"}},
			Parking:      []Parking{{Zone: "Hẻm 12", Classes: []analytics.Class{"boat"}}},
			LineCrossing: []LineCrossing{{Line: "none"}},
			Crowd:        []Crowd{{Zone: "Hẻm 12", MoreThan: -1}},
		},
	}
	_, err := NewEngine(cfg)
	var me *matthan.Error
	if !errors.As(err, &me) || me.Code != matthan.EINVALID {
		t.Fatalf("err %v, want an EINVALID *matthan.Error", err)
	}
	want := []string{"zones[1].kind", "zones[1].polygon", "lines[0]", "lines[0].forbidden", "rules.loitering[0].zone",
		"rules.parking[0].zone", "rules.parking[0].classes", "rules.line_crossing[0].line", "rules.crowd[0].more_than"}
	got := map[string]bool{}
	for _, f := range me.Fields {
		got[f.Field] = true
		if f.Message == "" || f.MessageVI == "" {
			t.Errorf("field %s lacks a message in one language: %+v", f.Field, f)
		}
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no error for %s; got %v", f, me.Fields)
		}
	}
	ok := Config{Camera: "c", Width: W, Height: H, Zones: []Zone{square}, Rules: Rules{Loitering: []Loitering{{Zone: "Hẻm 12"}}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good config refused: %v", err)
	}
}

func TestDescriptions(t *testing.T) {
	r := Rules{
		Loitering:    []Loitering{{Zone: "Hẻm 12", MinStay: 3 * time.Minute, During: []Schedule{Night()}}},
		Riders:       []Riders{{}},
		Parking:      []Parking{{MinStay: 90 * time.Second}},
		Crowd:        []Crowd{{Zone: "chợ", MoreThan: 10, For: 30 * time.Second}},
		LineCrossing: []LineCrossing{{Line: "cổng", Classes: []analytics.Class{analytics.Motorcycle}}},
	}
	want := []Text{
		{`A person stays in zone "Hẻm 12" longer than 3 min during night 22:00–05:00`,
			`Có người ở trong vùng "Hẻm 12" quá 3 phút trong khung giờ night 22:00–05:00`},
		{"A moving motorbike carries 3 people or more (seen on 5 frames)",
			"Xe máy đang chạy chở từ 3 người trở lên (thấy trong 5 khung hình)"},
		{"A car or motorcycle stands in a no-parking zone longer than 1 min 30 s",
			"Ô tô hoặc xe máy đỗ trong vùng cấm đỗ quá 1 phút 30 giây"},
		{`More than 10 people in zone "chợ" for 30 s`, `Hơn 10 người trong vùng "chợ" trong 30 giây`},
		{`Motorcycle crosses line "cổng" in its forbidden direction`, `Xe máy vượt đường "cổng" theo hướng cấm`},
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
	if !strings.Contains(Loitering{During: []Schedule{{Days: []time.Weekday{time.Saturday}, From: At(8, 0), To: At(9, 0)}}}.Describe().VI, "thứ Bảy") {
		t.Error("weekday not written in Vietnamese")
	}
}

// FuzzClockText reads clock times from configuration text: never a panic,
// and what it accepts writes back the same.
func FuzzClockText(f *testing.F) {
	for _, s := range []string{"22:00", "05:00", "24:00", "1:5", "", "99:99", "-0:-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c Clock
		if err := c.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if c < 0 || c > At(24, 0) {
			t.Fatalf("%q read as %d minutes", s, c)
		}
		var back Clock
		b, _ := c.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Fatalf("%q → %s → %v, %v", s, b, back, err)
		}
	})
}
