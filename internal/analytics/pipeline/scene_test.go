package pipeline

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/rules"
	"matthan/internal/analytics/track"
	"matthan/internal/media"
)

const sw, sh = 640, 360 // the analysed size

// street is the shipped roundabout frame scaled to sw×sh (box average), as
// BGR: a real street, still.
func street(t testing.TB) []byte {
	t.Helper()
	fh, err := os.Open(filepath.Join("..", "..", "..", "testdata", "frames", "motorbikes_f100.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, img, b.Min, draw.Src)
	out := make([]byte, sw*sh*3)
	for y := range sh {
		for x := range sw {
			r0 := image.Rect(x*b.Dx()/sw, y*b.Dy()/sh, (x+1)*b.Dx()/sw, (y+1)*b.Dy()/sh)
			var rs, gs, bs, n uint32
			for yy := r0.Min.Y; yy < r0.Max.Y; yy++ {
				for xx := r0.Min.X; xx < r0.Max.X; xx++ {
					p := rgba.Pix[yy*rgba.Stride+xx*4:]
					rs, gs, bs, n = rs+uint32(p[0]), gs+uint32(p[1]), bs+uint32(p[2]), n+1
				}
			}
			i := (y*sw + x) * 3
			out[i], out[i+1], out[i+2] = byte(bs/n), byte(gs/n), byte(rs/n)
		}
	}
	return out
}

// noisy copies a picture with sensor noise of ±3.
func noisy(rng *rand.Rand, src []byte) []byte {
	out := make([]byte, len(src))
	for i, v := range src {
		out[i] = byte(min(255, max(0, int(v)+rng.IntN(7)-3)))
	}
	return out
}

// relit is a picture under another light: every pixel times k.
func relit(src []byte, k float64) []byte {
	out := make([]byte, len(src))
	for i, v := range src {
		out[i] = byte(min(255, float64(v)*k))
	}
	return out
}

// streets are the street's pictures a test plays: two with different
// noise (a still street is not a frozen picture), under each light.
type streets struct {
	lit map[float64][2][]byte
}

func newStreets(t testing.TB) *streets {
	base := street(t)
	rng := rand.New(rand.NewPCG(1, 2))
	return &streets{lit: map[float64][2][]byte{1: {noisy(rng, base), noisy(rng, base)}}}
}

// picture is the street for frame i under light k.
func (s *streets) picture(i int, k float64) []byte {
	p, ok := s.lit[k]
	if !ok {
		p = [2][]byte{relit(s.lit[1][0], k), relit(s.lit[1][1], k)}
		s.lit[k] = p
	}
	return p[i%2]
}

// textured fills box b (pixels) with a textured colour: a bag, a person, an
// open door.
func textured(dst []byte, b analytics.Box, bgr [3]byte) {
	for y := max(0, int(b.Y1)); y < min(sh, int(b.Y2)); y++ {
		for x := max(0, int(b.X1)); x < min(sw, int(b.X2)); x++ {
			i := (y*sw + x) * 3
			d := byte((x*7 + y*13) % 16) // a little texture
			dst[i], dst[i+1], dst[i+2] = bgr[0]+d, bgr[1]+d, bgr[2]+d
		}
	}
}

// nbox is a box from normalised coordinates.
func nbox(x1, y1, x2, y2 float64) analytics.Box {
	return analytics.Box{X1: float32(x1 * sw), Y1: float32(y1 * sh), X2: float32(x2 * sw), Y2: float32(y2 * sh)}
}

func rect(name string, kind rules.ZoneKind, x1, y1, x2, y2 float64) rules.Zone {
	return rules.Zone{Name: name, Kind: kind, Polygon: []rules.Point{{X: x1, Y: y1}, {X: x2, Y: y1}, {X: x2, Y: y2}, {X: x1, Y: y2}}}
}

var (
	roadZone = rect("Lề đường", rules.NoDumping, 0.05, 0.55, 0.5, 0.95)
	gateZone = rect("Cổng nhà 12", rules.Gate, 0.0, 0.12, 0.16, 0.42) // over the roundabout's kerb
	bagBox   = nbox(0.25, 0.75, 0.3, 0.82)                            // 32×25 px, in the road zone
	bagOut   = nbox(0.7, 0.5, 0.75, 0.57)                             // the same bag, outside it
	bagBGR   = [3]byte{20, 120, 200}                                  // an orange sack
	skinBGR  = [3]byte{60, 60, 160}
)

// scene is a timeline: the picture and the tracks at each frame.
type scene struct {
	at     func(i int) time.Time
	frames int
	// picture draws frame i into dst (a noisy street already); tracks
	// are the tracker's output for it, moving the motion boxes; light
	// is the street's light (nil: 1).
	picture func(i int, at time.Time, dst []byte)
	tracks  func(at time.Time) []*track.Track
	light   func(at time.Time) float64
}

// walker is a person walking from a to b between t0 and t1 (seconds),
// standing at b until t2, then walking to c until t3; nil outside.
func walker(id int64, a, b, c [2]float64, t0, t1, t2, t3 float64) func(s float64) *track.Track {
	return func(s float64) *track.Track {
		var p [2]float64
		switch {
		case s < t0 || s >= t3:
			return nil
		case s < t1:
			k := (s - t0) / (t1 - t0)
			p = [2]float64{a[0] + k*(b[0]-a[0]), a[1] + k*(b[1]-a[1])}
		case s < t2:
			p = b
		default:
			k := (s - t2) / (t3 - t2)
			p = [2]float64{b[0] + k*(c[0]-b[0]), b[1] + k*(c[1]-b[1])}
		}
		// A person's box 28×72 px, foot at p.
		x, y := float32(p[0]*sw), float32(p[1]*sh)
		return &track.Track{ID: id, Class: analytics.Person, Score: 0.8, Box: analytics.Box{X1: x - 14, Y1: y - 72, X2: x + 14, Y2: y}}
	}
}

// play runs the scene through a sceneCheck at 5 fps and returns its events
// with the frame time each came at.
func play(t testing.TB, st *streets, cfg rules.Config, sc scene) (*sceneCheck, []rules.Event, []time.Time) {
	t.Helper()
	s := newSceneCheck("cam-001", cfg)
	if s == nil {
		t.Fatal("no scene check for picture rules")
	}
	buf := make([]byte, sw*sh*3)
	var evs []rules.Event
	var when []time.Time
	for i := range sc.frames {
		at := sc.at(i)
		light := 1.0
		if sc.light != nil {
			light = sc.light(at)
		}
		copy(buf, st.picture(i, light))
		var trs []*track.Track
		if sc.tracks != nil {
			trs = sc.tracks(at)
		}
		var moving []analytics.Box
		for _, tr := range trs {
			textured(buf, tr.Box, skinBGR)
			moving = append(moving, tr.Box)
		}
		if sc.picture != nil {
			sc.picture(i, at, buf)
		}
		for _, ev := range s.step(&analytics.Frame{CameraID: "cam-001", At: at, Width: sw, Height: sh, BGR: buf}, trs, true, moving) {
			evs = append(evs, ev)
			when = append(when, at)
		}
	}
	return s, evs, when
}

func states(evs []rules.Event) map[rules.State]int {
	n := map[rules.State]int{}
	for _, e := range evs {
		n[e.State]++
	}
	return n
}

func overlaps(a, b analytics.Box) bool {
	return a.X1 < b.X2 && b.X1 < a.X2 && a.Y1 < b.Y2 && b.Y1 < a.Y2
}

// TestDumping: a sack left in a no-dumping zone by a person who walked
// away is one event after MinPersist, updated while it stays and ended
// when it is taken; a change nobody brought, a sack taken back at once, a
// sack outside the zone, a person standing still and a light switched on
// are none.
func TestDumping(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) // 10:00 in Vietnam
	cfg := rules.Config{Camera: "cam-001", Zones: []rules.Zone{roadZone, gateZone},
		Rules: rules.Rules{Dumping: []rules.Dumping{{}}}} // defaults: 30 s, within 20 s, 1% of the zone
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 200 * time.Millisecond) }
	secs := func(at time.Time) float64 { return at.Sub(t0).Seconds() }
	st := newStreets(t)
	// A person comes in from the right of the zone at 8 s, stands on the
	// sack's place from 12 s to 18 s (puts it down at 15 s), and walks out
	// of the picture's bottom left by 22 s.
	dumper := walker(7, [2]float64{0.6, 0.8}, [2]float64{0.275, 0.82}, [2]float64{0.0, 0.98}, 8, 12, 18, 22)
	// The person's box covers the sack until they walk off at 18 s; it is
	// seen alone from about 19 s.
	const uncovered = 19.0
	person := func(f func(float64) *track.Track) func(time.Time) []*track.Track {
		return func(at time.Time) []*track.Track {
			if tr := f(secs(at)); tr != nil {
				return []*track.Track{tr}
			}
			return nil
		}
	}
	bagDuring := func(box analytics.Box, from, to float64) func(int, time.Time, []byte) {
		return func(_ int, at time.Time, dst []byte) {
			if s := secs(at); s >= from && s < to {
				textured(dst, box, bagBGR)
			}
		}
	}

	t.Run("sack left after a person", func(t *testing.T) {
		_, evs, when := play(t, st, cfg, scene{at: at, frames: 100 * 5, tracks: person(dumper), picture: bagDuring(bagBox, 15, 90)})
		n := states(evs)
		if n[rules.Started] != 1 || n[rules.Ended] != 1 || n[rules.Updated] < 3 {
			t.Fatalf("states %v, want one event started, updated while the sack stays, ended: %+v", n, evs)
		}
		first := evs[0]
		if first.State != rules.Started || first.Type != matthan.EventDumping || first.Zone != roadZone.Name ||
			first.Severity != rules.Medium || !strings.Contains(first.Description.VI, "Đổ rác") || first.Camera != "cam-001" {
			t.Fatalf("first event %+v", first)
		}
		if s := secs(when[0]); s < uncovered-1+30 || s > uncovered+30+2 {
			t.Errorf("started at %.1f s, want 30 s after the sack was seen alone (%.0f s)", s, uncovered)
		}
		if !overlaps(first.Box, bagBox) || first.Box.W() > 3*bagBox.W() || first.Box.H() > 3*bagBox.H() {
			t.Errorf("box %+v, the sack is at %+v", first.Box, bagBox)
		}
		if !slices.Contains(first.TrackIDs, 7) {
			t.Errorf("track ids %v, want the person who left it (7)", first.TrackIDs)
		}
		for i, e := range evs {
			if e.ID != first.ID {
				t.Fatalf("event %d has id %s, want %s", i, e.ID, first.ID)
			}
		}
		last := evs[len(evs)-1]
		if last.State != rules.Ended || secs(when[len(when)-1]) < 90 || secs(when[len(when)-1]) > 92 {
			t.Errorf("last event %+v at %.1f s, want ended when the sack was taken at 90 s", last, secs(when[len(when)-1]))
		}
	})

	t.Run("sack left after a change nobody brought", func(t *testing.T) {
		// A box appears by itself at 5 s (nobody near: no event; it
		// becomes the background), then the person leaves the sack 40 s
		// later than above: that one is reported.
		later := walker(7, [2]float64{0.6, 0.8}, [2]float64{0.275, 0.82}, [2]float64{0.0, 0.98}, 48, 52, 58, 62)
		other := nbox(0.1, 0.6, 0.15, 0.67)
		_, evs, when := play(t, st, cfg, scene{at: at, frames: 100 * 5, tracks: person(later), picture: func(i int, at time.Time, dst []byte) {
			bagDuring(other, 5, 100)(i, at, dst)
			bagDuring(bagBox, 55, 100)(i, at, dst)
		}})
		if n := states(evs); n[rules.Started] != 1 || !overlaps(evs[0].Box, bagBox) || overlaps(evs[0].Box, other) {
			t.Fatalf("states %v, want one event for the sack: %+v", n, evs)
		}
		if s := secs(when[0]); s < uncovered+40-1+30 || s > uncovered+40+30+2 {
			t.Errorf("started at %.1f s, want 30 s after the sack was seen alone (%.0f s)", s, uncovered+40)
		}
	})

	t.Run("sack as grey as the road", func(t *testing.T) {
		// Orange, but of the asphalt's luma where it lies: seen by its
		// colour.
		var sb, sg, sr, n int
		base := st.picture(0, 1)
		for y := int(bagBox.Y1); y < int(bagBox.Y2); y++ {
			for x := int(bagBox.X1); x < int(bagBox.X2); x++ {
				p := base[(y*sw+x)*3:]
				sb, sg, sr, n = sb+int(p[0]), sg+int(p[1]), sr+int(p[2]), n+1
			}
		}
		luma := (29*sb + 150*sg + 77*sr) / 256 / n
		r, b := min(255, luma+70), max(0, luma-70)
		g := (luma*256 - 29*b - 77*r) / 150
		orange := [3]byte{byte(b - 8), byte(g - 8), byte(r - 8)} // textured adds 0..15
		_, evs, _ := play(t, st, cfg, scene{at: at, frames: 60 * 5, tracks: person(dumper), picture: func(_ int, at time.Time, dst []byte) {
			if secs(at) >= 15 {
				textured(dst, bagBox, orange)
			}
		}})
		if n := states(evs); n[rules.Started] != 1 {
			t.Fatalf("states %v for a sack of luma %d (orange %v): %+v", n, luma, orange, evs)
		}
	})

	none := []struct {
		name    string
		frames  int
		tracks  func(time.Time) []*track.Track
		picture func(int, time.Time, []byte)
		light   func(time.Time) float64
	}{
		// The same sack, with nobody near: the light, a shadow, not dumping.
		{"nobody came", 70 * 5, nil, bagDuring(bagBox, 15, 70), nil},
		// Put down and picked up again 10 s later.
		{"sack taken back", 70 * 5, person(dumper), bagDuring(bagBox, 15, 29), nil},
		// The person and the sack outside the zone.
		{"outside the zone", 70 * 5, person(walker(7, [2]float64{0.9, 0.5}, [2]float64{0.78, 0.57}, [2]float64{1.0, 0.3}, 8, 12, 18, 22)),
			bagDuring(bagOut, 15, 70), nil},
		// Someone standing there for a minute is a person, not an object.
		{"person standing", 80 * 5, person(walker(7, [2]float64{0.6, 0.8}, [2]float64{0.3, 0.85}, [2]float64{0.0, 0.98}, 8, 10, 70, 74)), nil, nil},
		// A motorbike parked there since before the camera started (so
		// under it nothing was ever learned) is ridden away: the road it
		// uncovers is no new object.
		{"parked motorbike leaves", 70 * 5, func(at time.Time) []*track.Track {
			bike := walker(9, [2]float64{0.3, 0.85}, [2]float64{0.3, 0.85}, [2]float64{0.0, 0.98}, 0, 0, 20, 23)(secs(at))
			if bike == nil {
				return nil
			}
			bike.Class = analytics.Motorcycle
			bike.Box.X1, bike.Box.X2, bike.Box.Y1 = bike.Box.X1-20, bike.Box.X2+20, bike.Box.Y2-45 // 68×45 px
			return []*track.Track{bike}
		}, nil, nil},
		// A motorbike the detector never saw stood there from the start
		// (it is in the background); its rider comes and rides it away:
		// the road it uncovers is no new object.
		{"unseen motorbike ridden away", 70 * 5,
			person(walker(7, [2]float64{0.6, 0.8}, [2]float64{0.3, 0.86}, [2]float64{0.0, 0.98}, 10, 14, 20, 23)),
			func(_ int, at time.Time, dst []byte) {
				if s := secs(at); s < 20 {
					textured(dst, nbox(0.26, 0.8, 0.34, 0.88), [3]byte{40, 40, 40})
				}
			}, nil},
		// Someone walks by, then the street lights come on: the whole
		// picture brighter, the zone's brightness normalised away.
		{"lights", 70 * 5, person(walker(7, [2]float64{0.6, 0.8}, [2]float64{0.2, 0.8}, [2]float64{0.0, 0.98}, 8, 12, 12, 14)), nil,
			func(at time.Time) float64 {
				if secs(at) >= 15 {
					return 1.35
				}
				return 1
			}},
	}
	for _, tc := range none {
		t.Run(tc.name, func(t *testing.T) {
			s, evs, _ := play(t, st, cfg, scene{at: at, frames: tc.frames, tracks: tc.tracks, picture: tc.picture, light: tc.light})
			if len(evs) != 0 {
				t.Fatalf("%d events: %+v", len(evs), evs)
			}
			if z := s.zones[0]; z.known*2 < len(z.cells) {
				t.Errorf("only %d of %d cells have a background", z.known, len(z.cells))
			}
		})
	}
}

// TestLapse: a gate zone that changes at 23:00 (a door opened, something
// left in front of it) is one Low reminder after MinPersist, once for the
// night; the same change at 15:00, or the lights of the street at night,
// are none.
func TestLapse(t *testing.T) {
	vn := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, matthan.Vietnam).UTC() }
	cfg := rules.Config{Camera: "cam-001", Zones: []rules.Zone{roadZone, gateZone},
		Rules: rules.Rules{Lapse: []rules.Lapse{{Zone: gateZone.Name}}}} // defaults: night, 2 min, 10% of the zone
	door := nbox(0.03, 0.15, 0.11, 0.38) // a dark doorway over about half of the gate zone
	st := newStreets(t)
	// One frame a second: the closed picture takes its first 10.
	run := func(t *testing.T, from time.Time, minutes int, picture func(at time.Time, dst []byte), light func(time.Time) float64) ([]rules.Event, []time.Time) {
		t.Helper()
		_, evs, when := play(t, st, cfg, scene{
			at:      func(i int) time.Time { return from.Add(time.Duration(i) * time.Second) },
			frames:  minutes * 60,
			picture: func(_ int, at time.Time, dst []byte) { picture(at, dst) },
			light:   light,
		})
		return evs, when
	}
	open := func(spans ...[2]time.Time) func(time.Time, []byte) {
		return func(at time.Time, dst []byte) {
			for _, s := range spans {
				if !at.Before(s[0]) && at.Before(s[1]) {
					textured(dst, door, [3]byte{15, 15, 15})
				}
			}
		}
	}

	t.Run("open at 23:00", func(t *testing.T) {
		// Open 23:00–23:05, closed, open again 23:10–23:20: one reminder,
		// ended when closed; the night's reminder was given.
		evs, when := run(t, vn(22, 58), 22, open([2]time.Time{vn(23, 0), vn(23, 5)}, [2]time.Time{vn(23, 10), vn(23, 20)}), nil)
		n := states(evs)
		if n[rules.Started] != 1 || n[rules.Ended] != 1 {
			t.Fatalf("states %v, want one reminder started and ended: %+v", n, evs)
		}
		first := evs[0]
		if first.Type != matthan.EventSecurityLapse || first.Severity != rules.Low || first.Zone != gateZone.Name ||
			!strings.Contains(first.Description.EN, "Reminder") || !strings.Contains(first.Description.VI, "Nhắc nhở") {
			t.Fatalf("event %+v", first)
		}
		if d := when[0].Sub(vn(23, 2)); d < 0 || d > 3*time.Second {
			t.Errorf("started at %v, want 2 min after the door opened at 23:00", when[0].In(matthan.Vietnam))
		}
		if !first.Start.Equal(vn(23, 0)) {
			t.Errorf("start %v, want when the door opened", first.Start.In(matthan.Vietnam))
		}
		if !overlaps(first.Box, door) {
			t.Errorf("box %+v, the door is at %+v", first.Box, door)
		}
		for _, e := range evs {
			if e.ID != first.ID {
				t.Fatalf("two events in one night: %+v", evs)
			}
		}
	})
	t.Run("next night", func(t *testing.T) {
		// Two nights, the door open at 23:00 for 4 minutes each, and a
		// day between: one reminder each night, each against that
		// night's closed picture.
		night := func(i int) time.Time { // 5 minutes from 22:58, a frame at noon, 5 minutes the next night
			switch {
			case i < 300:
				return vn(22, 58).Add(time.Duration(i) * time.Second)
			case i == 300:
				return vn(12, 0).Add(24 * time.Hour)
			}
			return vn(22, 58).Add(24*time.Hour + time.Duration(i-301)*time.Second)
		}
		tonight := open([2]time.Time{vn(23, 0), vn(23, 4)})
		_, evs, when := play(t, st, cfg, scene{at: night, frames: 601, picture: func(_ int, at time.Time, dst []byte) {
			if at.After(vn(23, 30)) {
				at = at.Add(-24 * time.Hour)
			}
			tonight(at, dst)
		}})
		n := states(evs)
		if n[rules.Started] != 2 || evs[0].ID == evs[len(evs)-1].ID {
			t.Fatalf("states %v, want a reminder each night: %+v", n, evs)
		}
		var starts []time.Time
		for i, e := range evs {
			if e.State == rules.Started {
				starts = append(starts, when[i])
			}
		}
		for k, s := range starts {
			if d := s.Sub(vn(23, 2).Add(time.Duration(k) * 24 * time.Hour)); d < 0 || d > 3*time.Second {
				t.Errorf("night %d's reminder at %v, want 23:02", k+1, s.In(matthan.Vietnam))
			}
		}
	})
	t.Run("open at 15:00", func(t *testing.T) {
		if evs, _ := run(t, vn(14, 58), 6, open([2]time.Time{vn(15, 0), vn(15, 6)}), nil); len(evs) != 0 {
			t.Fatalf("%d events in the afternoon: %+v", len(evs), evs)
		}
	})
	for _, k := range []float64{0.6, 1.4} {
		t.Run(fmt.Sprintf("lights ×%g", k), func(t *testing.T) {
			evs, _ := run(t, vn(22, 58), 6, func(time.Time, []byte) {}, func(at time.Time) float64 {
				if at.Before(vn(23, 0)) {
					return 1
				}
				return k
			})
			if len(evs) != 0 {
				t.Fatalf("brightness ×%g: %d events: %+v", k, len(evs), evs)
			}
		})
	}
}

// fakeDetector finds what its function says is in each frame.
type fakeDetector struct {
	at func(time.Time) []analytics.Detection
}

func (d fakeDetector) Detect(_ context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	out := make([][]analytics.Detection, len(frames))
	for i, f := range frames {
		out[i] = d.at(f.At)
	}
	return out, nil
}

func (fakeDetector) Close() error { return nil }

// TestDumpingThroughCamera runs the dumping rule in the camera's pipeline:
// real motion and tracker, a detector that sees the person; the event
// reaches Fire once started, with its snapshot frame.
func TestDumpingThroughCamera(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	walk := walker(7, [2]float64{0.6, 0.8}, [2]float64{0.275, 0.82}, [2]float64{0.0, 0.98}, 4, 8, 14, 18)
	det := fakeDetector{at: func(at time.Time) []analytics.Detection {
		if tr := walk(at.Sub(t0).Seconds()); tr != nil {
			return []analytics.Detection{{Class: analytics.Person, Score: 0.9, Box: tr.Box}}
		}
		return nil
	}}
	var fired []events.Fired
	c, err := New(Config{CameraID: "cam-001", Rules: rules.Config{Zones: []rules.Zone{roadZone},
		Rules: rules.Rules{Dumping: []rules.Dumping{{Zone: roadZone.Name, MinPersist: 8 * time.Second}}}}},
		Deps{Hub: media.NewHub(), Detector: det, Fire: func(_ context.Context, f events.Fired) error { fired = append(fired, f); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	st := newStreets(t)
	for i := range 30 * 5 {
		at := t0.Add(time.Duration(i) * 200 * time.Millisecond)
		buf := slices.Clone(st.picture(i, 1))
		if s := at.Sub(t0).Seconds(); s >= 11 {
			textured(buf, bagBox, bagBGR)
		}
		if tr := walk(at.Sub(t0).Seconds()); tr != nil {
			textured(buf, tr.Box, skinBGR)
		}
		c.Step(t.Context(), &analytics.Frame{CameraID: "cam-001", At: at, Width: sw, Height: sh, BGR: buf})
	}
	var dumping []events.Fired
	for _, f := range fired {
		if f.Event.Type == matthan.EventDumping {
			dumping = append(dumping, f)
		}
	}
	if len(dumping) == 0 {
		t.Fatalf("no dumping event; fired %d", len(fired))
	}
	ids := map[string]bool{}
	for _, f := range dumping {
		ids[f.Event.ID] = true
	}
	e := dumping[0].Event
	if len(ids) != 1 || e.Zone != roadZone.Name || e.SummaryVI == "" || dumping[0].Frame == nil || e.Box[2] <= e.Box[0] {
		t.Fatalf("events %+v", dumping)
	}
	if s := e.Start.Sub(t0).Seconds(); s < 14 || s > 20 {
		t.Errorf("start %.1f s, want when the sack was seen alone (after 14 s)", s)
	}
}

// TestDumpingRealTraffic: real footage (motorbikes at a roundabout, people
// in a hall), the real detector and tracker, a
// no-dumping zone over most of the ground with short delays: people and
// vehicles pass, nothing is left, no event.
func TestDumpingRealTraffic(t *testing.T) {
	det, err := detect.NewYOLOX(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	wall0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		clip    string
		seconds int
		zone    rules.Zone
	}{
		{"motorbikes_roundabout_960x540.mp4", 15, rect("Lòng đường", rules.NoDumping, 0.0, 0.3, 0.75, 0.75)},
		{"pedestrians_concourse_720p.mp4", 10, rect("Sảnh", rules.NoDumping, 0.05, 0.3, 0.95, 0.95)},
	} {
		t.Run(tc.clip, func(t *testing.T) {
			var fired []events.Fired
			r := rules.Dumping{MinPersist: 3 * time.Second, Recent: 20 * time.Second}
			c := newCamera(t, det, rules.Config{Zones: []rules.Zone{tc.zone}, Rules: rules.Rules{Dumping: []rules.Dumping{r}}}, &fired)
			present, largest, arrived := 0, 0, false
			for _, f := range decodeClip(t, tc.clip, tc.seconds, sw, sh, wall0) {
				c.Step(t.Context(), f)
				z := c.scene.zones[0]
				if z.lastPresence.Equal(f.At) {
					present++
				}
				// The margin: the largest blob of uncovered cells whose
				// content stayed the same for MinPersist, and whether it
				// looks like an object that arrived.
				mask, n, _ := c.scene.blob(z, func(i int, cell int32) bool {
					return z.changed[i] && z.lastOn[i] == f.At.UnixNano() && z.matched[i] >= sceneVerify &&
						c.scene.covered[cell]&coverTrack == 0 && f.At.Sub(time.Unix(0, z.since[i])) >= r.MinPersist
				})
				if n > largest {
					largest, arrived = n, c.scene.arrived(z, mask)
				}
			}
			for _, f := range fired {
				if f.Event.Type == matthan.EventDumping {
					t.Fatalf("dumping event on passing traffic: %+v", f.Event)
				}
			}
			z := c.scene.zones[0]
			minCells := int(r.WithDefaults().MinArea * float64(len(z.cells)))
			t.Logf("%d frames with a track in the zone; %d of %d cells with a background; largest change still for %s: %d cells, arrived %v (an object needs %d)",
				present, z.known, len(z.cells), r.MinPersist, largest, arrived, minCells)
			if present < 20 || z.known*2 < len(z.cells) {
				t.Fatalf("%d frames with traffic in the zone, %d of %d cells learned: the test checks nothing", present, z.known, len(z.cells))
			}
		})
	}
}

// BenchmarkScene is the picture rules' cost per analysed frame: 640×360,
// a dumping zone over a fifth of the picture and a gate zone, three
// tracks, two motion boxes.
func BenchmarkScene(b *testing.B) {
	t0 := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // 23:00 in Vietnam: the lapse rule is on
	cfg := rules.Config{Camera: "cam-001", Zones: []rules.Zone{roadZone, gateZone},
		Rules: rules.Rules{Dumping: []rules.Dumping{{}}, Lapse: []rules.Lapse{{}}}}
	s := newSceneCheck("cam-001", cfg)
	st := newStreets(b)
	trs := []*track.Track{
		{ID: 1, Class: analytics.Person, Box: nbox(0.3, 0.6, 0.34, 0.8)},
		{ID: 2, Class: analytics.Motorcycle, Box: nbox(0.5, 0.3, 0.6, 0.5)},
		{ID: 3, Class: analytics.Car, Box: nbox(0.8, 0.6, 1, 1)},
	}
	moving := []analytics.Box{nbox(0.3, 0.6, 0.34, 0.8), nbox(0.5, 0.3, 0.6, 0.5)}
	b.ResetTimer()
	for i := range b.N {
		f := &analytics.Frame{At: t0.Add(time.Duration(i) * 200 * time.Millisecond), Width: sw, Height: sh, BGR: st.picture(i, 1)}
		s.step(f, trs, true, moving)
	}
}
