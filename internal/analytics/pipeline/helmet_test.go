package pipeline

import (
	"bytes"
	"context"
	"image"
	"log/slog"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/helmet"
	"matthan/internal/analytics/rules"
	"matthan/internal/analytics/track"
	"matthan/internal/media"
)

// scripted is a Detector that returns, for each frame, what the script
// says about the frame's index (its time from t0 at 5 fps).
type scripted struct {
	t0     time.Time
	script func(i int) []analytics.Detection
}

func (s scripted) Detect(_ context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	out := make([][]analytics.Detection, len(frames))
	for k, f := range frames {
		out[k] = s.script(int(f.At.Sub(s.t0) / (200 * time.Millisecond)))
	}
	return out, nil
}

func (scripted) Close() error { return nil }

// redIsBare is a helmet.Model that says a crop shows a bare head when its
// centre is pure red, and a helmet otherwise; it remembers its batches.
type redIsBare struct {
	batches []int
}

func (m *redIsBare) Classify(_ context.Context, crops []*image.RGBA) ([]float32, error) {
	m.batches = append(m.batches, len(crops))
	p := make([]float32, len(crops))
	for i, c := range crops {
		px := c.RGBAAt(helmet.CropSize/2, helmet.CropSize/2)
		p[i] = 0.1
		if px.R > 200 && px.G < 50 && px.B < 50 {
			p[i] = 0.95
		}
	}
	return p, nil
}

func (*redIsBare) Close() error { return nil }

// paint fills a box of a BGR frame with one colour.
func paint(f *analytics.Frame, b analytics.Box, bgr [3]byte) {
	for y := max(0, int(b.Y1)); y < min(f.Height, int(b.Y2)); y++ {
		for x := max(0, int(b.X1)); x < min(f.Width, int(b.X2)); x++ {
			copy(f.BGR[(y*f.Width+x)*3:], bgr[:])
		}
	}
}

// TestNoHelmet runs synthetic riders through Step: a bare-headed rider
// (painted red) on a moving motorbike makes one event, sent again with the
// same ID while it lasts; a helmeted rider (blue) makes none; a rider too
// small to judge is counted, not classified; a pedestrian is not a rider.
func TestNoHelmet(t *testing.T) {
	const w, h, frames = 1280, 720, 80
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	shift := func(b analytics.Box, dx float32) analytics.Box {
		return analytics.Box{X1: b.X1 + dx, Y1: b.Y1, X2: b.X2 + dx, Y2: b.Y2}
	}
	bike1, bare := analytics.Box{X1: 20, Y1: 150, X2: 120, Y2: 300}, analytics.Box{X1: 30, Y1: 60, X2: 110, Y2: 210}
	bike3, helmeted := analytics.Box{X1: 20, Y1: 450, X2: 120, Y2: 600}, analytics.Box{X1: 30, Y1: 360, X2: 110, Y2: 510}
	bike2, small := analytics.Box{X1: 1200, Y1: 640, X2: 1240, Y2: 700}, analytics.Box{X1: 1205, Y1: 610, X2: 1235, Y2: 670}
	walker := analytics.Box{X1: 1000, Y1: 100, X2: 1060, Y2: 250}
	at := func(i int) (b1, p1, b3, p3, b2, p2 analytics.Box) {
		d := float32(10 * i) // 50 px/s to the right; the small bike 25 px/s to the left
		return shift(bike1, d), shift(bare, d), shift(bike3, d), shift(helmeted, d), shift(bike2, -d/2), shift(small, -d/2)
	}
	det := scripted{t0: t0, script: func(i int) []analytics.Detection {
		b1, p1, b3, p3, b2, p2 := at(i)
		var out []analytics.Detection
		for _, d := range []struct {
			c analytics.Class
			b analytics.Box
		}{{analytics.Motorcycle, b1}, {analytics.Person, p1}, {analytics.Motorcycle, b3}, {analytics.Person, p3},
			{analytics.Motorcycle, b2}, {analytics.Person, p2}, {analytics.Person, walker}} {
			out = append(out, analytics.Detection{Class: d.c, Score: 0.9, Box: d.b})
		}
		return out
	}}
	model := &redIsBare{}
	var fired []events.Fired
	c, err := New(Config{CameraID: "cam-001", FullEvery: time.Nanosecond, Tamper: TamperConfig{Off: true}},
		Deps{Hub: media.NewHub(), Detector: det, Helmet: model,
			Fire: func(_ context.Context, f events.Fired) error { fired = append(fired, f); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	var bareTrack int64
	background := bytes.Repeat([]byte{90}, w*h*3)
	for i := range frames {
		f := &analytics.Frame{CameraID: "cam-001", At: t0.Add(time.Duration(i) * 200 * time.Millisecond), Width: w, Height: h,
			BGR: bytes.Clone(background)}
		_, p1, _, p3, _, _ := at(i)
		paint(f, p1, [3]byte{0, 0, 255})
		paint(f, p3, [3]byte{255, 0, 0})
		res := c.Step(t.Context(), f)
		for _, tr := range res.Tracks {
			if tr.Class == analytics.Person && tr.Box.IoU(p1) > 0.5 {
				bareTrack = tr.ID
			}
		}
	}
	if len(fired) < 2 {
		t.Fatalf("%d events, want the start and at least one update", len(fired))
	}
	for _, f := range fired {
		e := f.Event
		if e.Type != matthan.EventNoHelmet || e.ID != fired[0].Event.ID || e.Severity != matthan.SeverityWarning ||
			e.Summary != noHelmetText.EN || e.SummaryVI != noHelmetText.VI || len(e.TrackIDs) != 1 || e.TrackIDs[0] != bareTrack {
			t.Fatalf("event %+v (bare-headed rider's track %d)", e, bareTrack)
		}
		if len(f.Boxes) != 1 || f.Boxes[0].X2-f.Boxes[0].X1 < 70 || f.Boxes[0].Y1 > 300 {
			t.Fatalf("snapshot boxes %v, want the bare-headed rider's", f.Boxes)
		}
	}
	// 80 frames of 200 ms: the event starts within the first seconds and
	// is re-sent every 10 s, not on every frame.
	if first := fired[0].Event.Start; first.Sub(t0) > 4*time.Second || len(fired) > 3 {
		t.Fatalf("first event at %v, %d sends", first.Sub(t0), len(fired))
	}
	t.Logf("%d sends, batches %v", len(fired), model.batches)
	st := c.Stats()
	if st.HelmetTooSmall == 0 || st.HelmetCrops == 0 || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
	for _, n := range model.batches {
		if n != 2 { // both big riders of a frame in one call, never the small one or the walker
			t.Fatalf("batches %v, want 2 crops each", model.batches)
		}
	}
}

// TestRidingNeedsAMovingBike: riders of a bike that stands still are not
// judged (people around a parked bike).
func TestRidingNeedsAMovingBike(t *testing.T) {
	bike := &track.Track{ID: 1, Class: analytics.Motorcycle, Box: analytics.Box{X1: 20, Y1: 150, X2: 120, Y2: 300}}
	person := &track.Track{ID: 2, Class: analytics.Person, Box: analytics.Box{X1: 30, Y1: 60, X2: 110, Y2: 210}}
	if got := riders([]*track.Track{bike, person}); len(got) != 0 {
		t.Fatalf("riders of a parked bike: %v", got)
	}
	bike.VX, person.VX = 50, 48
	if got := riders([]*track.Track{bike, person}); len(got) != 1 || got[0] != person {
		t.Fatalf("riders of a moving bike: %v", got)
	}
}

// TestNoHelmetRealClassifier runs the real detector and helmet classifier
// over real traffic: riders are found and judged (or counted as too small)
// without errors, and any event is well formed.
func TestNoHelmetRealClassifier(t *testing.T) {
	det, err := detect.NewYOLOX(detect.Options{})
	if err != nil { // without ONNX Runtime the message says to run make setup
		t.Fatal(err)
	}
	defer det.Close()
	cls, err := helmet.NewClassifier(helmet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cls.Close()
	var fired []events.Fired
	c, err := New(Config{CameraID: "cam-001", Tamper: TamperConfig{Off: true}}, Deps{Hub: media.NewHub(), Detector: det, Helmet: cls,
		Fire: func(_ context.Context, f events.Fired) error { fired = append(fired, f); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	// Bigger than the clip, as a main stream would give: at the 640×360
	// of a sub-stream most heads are too small to judge.
	for _, f := range decodeClip(t, "motorbikes_roundabout_960x540.mp4", 3, 1280, 720, time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)) {
		c.Step(t.Context(), f)
	}
	st := c.Stats()
	t.Logf("stats %+v", st)
	if st.Errors != 0 || st.HelmetCrops == 0 {
		t.Fatalf("stats %+v: no rider judged", st)
	}
	for _, f := range fired {
		if e := f.Event; e.Type == matthan.EventNoHelmet && (len(e.TrackIDs) != 1 || e.SummaryVI == "") {
			t.Fatalf("event %+v", e)
		}
	}
}

// fakeMain is a main stream whose frames appear one analysed frame late,
// as a decoder running behind gives them.
type fakeMain struct {
	frames map[time.Time]*analytics.Frame
	wants  int
	busy   bool // every decoder slot of the node is taken
}

func (m *fakeMain) want(context.Context) bool { m.wants++; return !m.busy }
func (m *fakeMain) nearest(at time.Time) *analytics.Frame {
	return m.frames[at]
}
func (m *fakeMain) close() {}

// TestNoHelmetFromMainStream: a rider whose head is too small in the
// analysed 640×360 frame is judged on the main stream's 1920×1080 frame of
// the same moment, once the main stream has it; without a main stream the
// rider is only counted as too small; a main stream that never has the
// moment gives up after mainWait.
func TestNoHelmetFromMainStream(t *testing.T) {
	const sw, sh, scale = 640, 360, 3
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	bike := analytics.Box{X1: 300, Y1: 200, X2: 330, Y2: 250}
	rider := analytics.Box{X1: 303, Y1: 170, X2: 329, Y2: 240} // head ~9 px here, ~27 px in the main stream
	at := func(i int) (time.Time, []*track.Track) {
		d := float32(6 * i) // 30 px/s
		b := &track.Track{ID: 1, Class: analytics.Motorcycle, Box: analytics.Box{X1: bike.X1 + d, Y1: bike.Y1, X2: bike.X2 + d, Y2: bike.Y2}, VX: 30}
		p := &track.Track{ID: 2, Class: analytics.Person, Box: analytics.Box{X1: rider.X1 + d, Y1: rider.Y1, X2: rider.X2 + d, Y2: rider.Y2}, VX: 30}
		b.Detection, p.Detection = b.Box, p.Box
		return t0.Add(time.Duration(i) * 200 * time.Millisecond), []*track.Track{b, p}
	}
	if !helmet.NeedsMainStream(rider) {
		t.Fatal("the test's rider is not small enough")
	}
	mainFrame := func(i int) *analytics.Frame {
		when, tracks := at(i)
		f := &analytics.Frame{CameraID: "cam-001", At: when, Width: sw * scale, Height: sh * scale, BGR: bytes.Repeat([]byte{90}, sw*sh*scale*scale*3)}
		p := tracks[1].Box
		paint(f, analytics.Box{X1: p.X1 * scale, Y1: p.Y1 * scale, X2: p.X2 * scale, Y2: p.Y2 * scale}, [3]byte{0, 0, 255}) // bare: red
		return f
	}
	sub := func(when time.Time) *analytics.Frame {
		return &analytics.Frame{CameraID: "cam-001", At: when, Width: sw, Height: sh, BGR: bytes.Repeat([]byte{90}, sw*sh*3)}
	}

	t.Run("judged on the main stream", func(t *testing.T) {
		model := &redIsBare{}
		main := &fakeMain{frames: map[time.Time]*analytics.Frame{}}
		h := newHelmetCheck("cam-001", model, slog.New(slog.DiscardHandler))
		h.main = main
		var evs []rules.Event
		var fromMain, tooSmall int
		for i := range 12 {
			when, tracks := at(i)
			if i > 0 { // the previous moment has just been decoded
				prev, _ := at(i - 1)
				main.frames[prev] = mainFrame(i - 1)
			}
			out, st := h.step(t.Context(), sub(when), tracks)
			evs = append(evs, out...)
			fromMain += st.fromMain
			tooSmall += st.tooSmall
			if i == 0 && (st.crops != 0 || len(h.pending) != 1) {
				t.Fatalf("first frame: %d crops, %d pending; want the rider waiting for the main stream", st.crops, len(h.pending))
			}
		}
		if main.wants != 12 || fromMain != 11 || tooSmall != 0 {
			t.Fatalf("wants %d, crops from the main stream %d, too small %d", main.wants, fromMain, tooSmall)
		}
		if len(evs) != 1 || evs[0].Type != matthan.EventNoHelmet || evs[0].TrackIDs[0] != 2 || evs[0].Box.W() > 30 {
			t.Fatalf("events %+v, want one no-helmet event with the rider's box in the analysed frame", evs)
		}
	})
	t.Run("no main stream", func(t *testing.T) {
		model := &redIsBare{}
		h := newHelmetCheck("cam-001", model, slog.New(slog.DiscardHandler))
		when, tracks := at(0)
		if _, st := h.step(t.Context(), sub(when), tracks); st.tooSmall != 1 || st.crops != 0 || len(model.batches) != 0 {
			t.Fatalf("stats %+v, batches %v", st, model.batches)
		}
	})
	t.Run("every main-stream decoder taken", func(t *testing.T) {
		model := &redIsBare{}
		main := &fakeMain{frames: map[time.Time]*analytics.Frame{}, busy: true}
		h := newHelmetCheck("cam-001", model, slog.New(slog.DiscardHandler))
		h.main = main
		when, tracks := at(0)
		if _, st := h.step(t.Context(), sub(when), tracks); st.mainBusy != 1 || st.tooSmall != 0 || st.crops != 0 || len(h.pending) != 0 {
			t.Fatalf("stats %+v, pending %d: want the rider left for a later frame", st, len(h.pending))
		}
		main.busy = false // a slot is free: the rider waits for the main stream
		when, tracks = at(1)
		if _, st := h.step(t.Context(), sub(when), tracks); st.mainBusy != 0 || len(h.pending) != 1 {
			t.Fatalf("stats %+v, pending %d after a slot freed", st, len(h.pending))
		}
	})
	t.Run("main stream never has the moment", func(t *testing.T) {
		h := newHelmetCheck("cam-001", &redIsBare{}, slog.New(slog.DiscardHandler))
		h.main = &fakeMain{frames: map[time.Time]*analytics.Frame{}}
		var tooSmall int
		for i := range 8 { // 1.4 s
			when, tracks := at(i)
			_, st := h.step(t.Context(), sub(when), tracks)
			tooSmall += st.tooSmall
		}
		if tooSmall != 2 || len(h.pending) != 6 { // frames 0 and 1 waited over a second
			t.Fatalf("given up %d, pending %d", tooSmall, len(h.pending))
		}
	})
}
