package events

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/bus"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

var t0 = time.Date(2026, 3, 1, 17, 30, 0, 0, time.UTC) // 00:30 on 2 March in Vietnam

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// grey returns a w×h frame of one grey level.
func grey(w, h int, v byte) *analytics.Frame {
	return &analytics.Frame{CameraID: "cam-001", At: t0, Width: w, Height: h, BGR: bytes.Repeat([]byte{v}, w*h*3)}
}

type fixture struct {
	sink *Sink
	db   *sqlite.DB
	dir  string
	evs  <-chan matthan.Event
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{db: openDB(t), dir: t.TempDir(), now: t0}
	b := bus.New()
	evs, cancel := b.Subscribe(matthan.TopicAnalytics, 16)
	t.Cleanup(cancel)
	f.evs = evs
	f.sink = New(Config{Dir: f.dir, Store: f.db, Bus: b, Now: func() time.Time { return f.now }})
	return f
}

func (f *fixture) published(t *testing.T) *matthan.AnalyticsEvent {
	t.Helper()
	select {
	case e := <-f.evs:
		if e.Topic != matthan.TopicAnalytics {
			t.Fatalf("topic %q", e.Topic)
		}
		return e.Data.(*matthan.AnalyticsEvent)
	case <-time.After(2 * time.Second):
		t.Fatal("nothing published")
		return nil
	}
}

func loitering() matthan.AnalyticsEvent {
	return matthan.AnalyticsEvent{Type: matthan.EventLoitering, CameraID: "cam-001", Zone: "Hẻm 12",
		Start: t0, End: t0.Add(3 * time.Minute), TrackIDs: []int64{4},
		Summary: "A person stayed 3 min", SummaryVI: "Một người ở lại 3 phút"}
}

func decodeJPEG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSinkStoresSnapshotsAndPublishes(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	box := analytics.Box{X1: 80, Y1: 40, X2: 240, Y2: 200}
	got, err := f.sink.Handle(ctx, Fired{Event: loitering(), Frame: grey(320, 240, 100), Boxes: []analytics.Box{box}, Score: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// The day in the path is the Vietnamese one: 00:30 on 2 March.
	if want := "cam-001/2026-03-02/" + got.ID + ".jpg"; got.SnapshotPath != want {
		t.Fatalf("snapshot path %q, want %q", got.SnapshotPath, want)
	}
	if got.Severity != matthan.SeverityAlarm || got.Review != matthan.ReviewNone {
		t.Errorf("defaults: %+v", got)
	}
	stored, err := f.db.AnalyticsEvent(ctx, got.ID)
	if err != nil || stored.SnapshotPath != got.SnapshotPath || stored.Zone != "Hẻm 12" {
		t.Fatalf("stored %+v %v", stored, err)
	}
	if pub := f.published(t); pub.ID != got.ID || pub.SnapshotPath != got.SnapshotPath {
		t.Fatalf("published %+v", pub)
	}

	img := decodeJPEG(t, filepath.Join(f.dir, got.SnapshotPath))
	if img.Bounds().Dx() != 320 || img.Bounds().Dy() != 240 {
		t.Fatalf("snapshot is %v", img.Bounds())
	}
	// The box's edge is red (an alarm); inside and outside stay grey.
	for _, tc := range []struct {
		name string
		x, y int
		red  bool
	}{
		{"top edge", 160, 40, true},
		{"left edge", 80, 120, true},
		{"bottom edge", 160, 199, true},
		{"inside", 160, 120, false},
		{"outside", 20, 20, false},
	} {
		r, g, b, _ := img.At(tc.x, tc.y).RGBA()
		isRed := r>>8 > 180 && g>>8 < 90 && b>>8 < 90
		isGrey := absDiff(r>>8, 100) < 12 && absDiff(g>>8, 100) < 12 && absDiff(b>>8, 100) < 12
		if tc.red && !isRed || !tc.red && !isGrey {
			t.Errorf("%s (%d,%d) = %d,%d,%d", tc.name, tc.x, tc.y, r>>8, g>>8, b>>8)
		}
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestSinkFoldsUpdatesIntoOneEvent(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	first, err := f.sink.Handle(ctx, Fired{Event: loitering(), Frame: grey(64, 48, 50), Score: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	f.published(t)
	path := filepath.Join(f.dir, first.SnapshotPath)
	shot1, _ := os.ReadFile(path)

	for _, tc := range []struct {
		name       string
		end        time.Duration
		frame      *analytics.Frame
		score      float64
		wantEnd    time.Duration
		newPicture bool
	}{
		{"later end, worse frame", 4 * time.Minute, grey(64, 48, 200), 0.2, 4 * time.Minute, false},
		{"later end, no frame", 5 * time.Minute, nil, 0, 5 * time.Minute, false},
		{"earlier end never moves it back", 1 * time.Minute, nil, 0, 5 * time.Minute, false},
		{"better frame", 6 * time.Minute, grey(64, 48, 200), 0.9, 6 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := loitering() // no ID: the same camera, type, zone and start
			ev.End = t0.Add(tc.end)
			got, err := f.sink.Handle(ctx, Fired{Event: ev, Frame: tc.frame, Score: tc.score})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != first.ID || !got.End.Equal(t0.Add(tc.wantEnd)) || got.SnapshotPath != first.SnapshotPath {
				t.Fatalf("update: %+v", got)
			}
			if pub := f.published(t); pub.ID != first.ID {
				t.Fatalf("published %s", pub.ID)
			}
			shot, _ := os.ReadFile(path)
			if changed := !bytes.Equal(shot, shot1); changed != tc.newPicture {
				t.Fatalf("snapshot changed = %v, want %v", changed, tc.newPicture)
			}
		})
	}
	all, err := f.db.AnalyticsEvents(ctx, matthan.AnalyticsEventFilter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("%d events stored, want 1 (%v)", len(all), err)
	}
	// Another start is another event.
	ev := loitering()
	ev.Start, ev.End = t0.Add(time.Hour), t0.Add(time.Hour+time.Minute)
	if got, err := f.sink.Handle(ctx, Fired{Event: ev}); err != nil || got.ID == first.ID || got.SnapshotPath != "" {
		t.Fatalf("a later event: %+v %v", got, err)
	}
}

func TestSinkUpdatesByIDAfterARestart(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	ev := loitering()
	ev.ID = "ev-rules-42"
	if _, err := f.sink.Handle(ctx, Fired{Event: ev, Frame: grey(32, 32, 90)}); err != nil {
		t.Fatal(err)
	}
	// A new sink over the same store knows the event from the store.
	again := New(Config{Dir: f.dir, Store: f.db, Now: func() time.Time { return t0 }})
	ev.End = t0.Add(10 * time.Minute)
	got, err := again.Handle(ctx, Fired{Event: ev, Frame: grey(32, 32, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "ev-rules-42" || !got.End.Equal(ev.End) || got.SnapshotPath != "cam-001/2026-03-02/ev-rules-42.jpg" {
		t.Fatalf("after restart: %+v", got)
	}
	if all, _ := f.db.AnalyticsEvents(ctx, matthan.AnalyticsEventFilter{}); len(all) != 1 {
		t.Fatalf("%d events stored, want 1", len(all))
	}
}

func TestSinkRefuses(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		edit func(e *matthan.AnalyticsEvent)
	}{
		{"camera escaping the directory", func(e *matthan.AnalyticsEvent) { e.CameraID = "../etc" }},
		{"ID with a slash", func(e *matthan.AnalyticsEvent) { e.ID = "a/b" }},
		{"unknown type", func(e *matthan.AnalyticsEvent) { e.Type = "speeding" }},
		{"box outside the picture", func(e *matthan.AnalyticsEvent) { e.Box = [4]float64{0, 0, 2, 1} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := loitering()
			tc.edit(&ev)
			if _, err := f.sink.Handle(t.Context(), Fired{Event: ev, Frame: grey(16, 16, 0)}); matthan.ErrorCode(err) != matthan.EINVALID {
				t.Fatalf("err %v, want invalid", err)
			}
		})
	}
	entries, _ := os.ReadDir(f.dir)
	if len(entries) != 0 {
		t.Fatalf("files written for refused events: %v", entries)
	}
}

func TestSinkConcurrentReportsMakeOneEvent(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ev := loitering()
			ev.End = t0.Add(time.Duration(i) * time.Second)
			if _, err := f.sink.Handle(context.Background(), Fired{Event: ev, Frame: grey(16, 16, byte(i)), Score: float64(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := f.db.AnalyticsEvents(t.Context(), matthan.AnalyticsEventFilter{})
	if err != nil || len(all) != 1 || !all[0].End.Equal(t0.Add(7*time.Second)) {
		t.Fatalf("events %v %v", all, err)
	}
}

func TestFootageAndNormBox(t *testing.T) {
	s := New(Config{})
	e := loitering()
	from, to := s.Footage(&e)
	if !from.Equal(t0.Add(-10*time.Second)) || !to.Equal(t0.Add(3*time.Minute+20*time.Second)) {
		t.Errorf("footage %v – %v", from, to)
	}
	s = New(Config{PreRoll: time.Minute, PostRoll: 2 * time.Minute})
	if from, to := s.Footage(&e); !from.Equal(t0.Add(-time.Minute)) || !to.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("footage %v – %v", from, to)
	}
	for _, tc := range []struct {
		b    analytics.Box
		w, h int
		want [4]float64
	}{
		{analytics.Box{X1: 32, Y1: 24, X2: 64, Y2: 48}, 64, 48, [4]float64{0.5, 0.5, 1, 1}},
		{analytics.Box{X1: -5, Y1: 10, X2: 70, Y2: 60}, 64, 48, [4]float64{0, 10.0 / 48, 1, 1}},
		{analytics.Box{X1: 1, Y1: 1, X2: 2, Y2: 2}, 0, 48, [4]float64{}},
	} {
		if got := NormBox(tc.b, tc.w, tc.h); got != tc.want {
			t.Errorf("NormBox(%v, %d, %d) = %v, want %v", tc.b, tc.w, tc.h, got, tc.want)
		}
	}
}

func TestEncodeJPEGRejectsBadFrames(t *testing.T) {
	for _, f := range []*analytics.Frame{
		{Width: 0, Height: 4},
		{Width: 4, Height: 4, BGR: make([]byte, 10)},
	} {
		if err := EncodeJPEG(&bytes.Buffer{}, f, nil, severityColor(matthan.SeverityInfo), 80); err == nil {
			t.Errorf("%dx%d with %d bytes: no error", f.Width, f.Height, len(f.BGR))
		}
	}
	// Boxes outside or across the border are clipped, not a panic.
	err := EncodeJPEG(&bytes.Buffer{}, grey(16, 16, 0), []analytics.Box{{X1: -10, Y1: -10, X2: 40, Y2: 40}, {X1: 20, Y1: 20, X2: 30, Y2: 30}, {X1: 5, Y1: 5, X2: 5, Y2: 9}},
		severityColor(matthan.SeverityWarning), 80)
	if err != nil {
		t.Fatal(err)
	}
}
