package httpapi

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/events"
)

// evT0 is 22:30 on 15/01/2026 in Vietnam.
var evT0 = time.Date(2026, 1, 15, 15, 30, 0, 0, time.UTC)

// newEventsEnv is an API with analytics events: ev-a (cam-1 loitering,
// with a snapshot written by the events sink), ev-b (cam-2 crowd, 10 min
// later) and ev-c (cam-1 tamper, 20 min later).
func newEventsEnv(t *testing.T) (*env, map[string]*matthan.AnalyticsEvent) {
	t.Helper()
	dir := t.TempDir()
	e := newEnvWith(t, func(d *Deps) {
		d.Events, d.EventsDir = d.Store.(matthan.EventStore), dir
	})
	sink := events.New(events.Config{Dir: dir, Store: e.db, Now: e.now})
	frame := &analytics.Frame{CameraID: "cam-1", Width: 64, Height: 48, BGR: bytes.Repeat([]byte{80}, 64*48*3)}
	out := map[string]*matthan.AnalyticsEvent{}
	for _, f := range []events.Fired{
		{Event: matthan.AnalyticsEvent{ID: "ev-a", Type: matthan.EventLoitering, CameraID: "cam-1", Zone: "Hẻm 5", Start: evT0, End: evT0.Add(3 * time.Minute),
			Box: [4]float64{0.25, 0.25, 0.5, 0.75}, Summary: "A person stayed 3 min", SummaryVI: "Một người ở lại 3 phút"}, Frame: frame},
		{Event: matthan.AnalyticsEvent{ID: "ev-b", Type: matthan.EventCrowd, CameraID: "cam-2", Start: evT0.Add(10 * time.Minute), End: evT0.Add(11 * time.Minute)}},
		{Event: matthan.AnalyticsEvent{ID: "ev-c", Type: matthan.EventTamper, CameraID: "cam-1", Start: evT0.Add(20 * time.Minute), End: evT0.Add(20 * time.Minute)}},
	} {
		got, err := sink.Handle(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		out[got.ID] = got
	}
	return e, out
}

func ids(t *testing.T, r resp) []string {
	t.Helper()
	var out []string
	for _, v := range decode[[]map[string]any](t, r) {
		out = append(out, v["id"].(string))
	}
	return out
}

func TestEventsList(t *testing.T) {
	e, _ := newEventsEnv(t)
	if r := e.do("POST", "/api/events/ev-c/review", "officer", map[string]string{"review": "false_alarm", "note": "Mưa to"}); r.status != http.StatusOK {
		t.Fatalf("review: %d %s", r.status, r.body)
	}
	q := url.QueryEscape
	for _, tc := range []struct {
		name  string
		query string
		want  []string
	}{
		{"all, newest first", "", []string{"ev-c", "ev-b", "ev-a"}},
		{"camera", "camera=cam-1", []string{"ev-c", "ev-a"}},
		{"type", "type=crowd", []string{"ev-b"}},
		{"to review", "review=none", []string{"ev-b", "ev-a"}},
		{"false alarms", "review=false_alarm", []string{"ev-c"}},
		{"from, in Vietnam time", "from=" + q("15/01/2026 22:35:00"), []string{"ev-c", "ev-b"}},
		{"range", "from=" + q(evT0.Add(time.Minute).Format(time.RFC3339)) + "&to=" + q(evT0.Add(15*time.Minute).Format(time.RFC3339)), []string{"ev-b", "ev-a"}},
		{"limit", "limit=1", []string{"ev-c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/api/events?"+tc.query, "officer", nil)
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := ids(t, r); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ query, field string }{
		{"type=speeding", "type"},
		{"review=maybe", "review"},
		{"from=yesterday", "from"},
		{"from=2026-01-15T10:00:00Z&to=2026-01-15T09:00:00Z", "to"},
		{"limit=0", "limit"},
	} {
		r := e.do("GET", "/api/events?"+tc.query, "officer", nil)
		er := decode[struct{ Error matthan.Error }](t, r).Error
		if r.status != http.StatusBadRequest || len(er.Fields) == 0 || er.Fields[0].Field != tc.field || er.MessageVI == "" {
			t.Errorf("%s: %d %s", tc.query, r.status, r.body)
		}
	}
}

func TestEventsAccess(t *testing.T) {
	e, _ := newEventsEnv(t)
	for _, tc := range []struct {
		user   string
		status int
	}{
		{"", http.StatusUnauthorized},
		{"viewer", http.StatusForbidden},
		{"officer", http.StatusOK},
		{"admin", http.StatusOK},
	} {
		if r := e.do("GET", "/api/events", tc.user, nil); r.status != tc.status {
			t.Errorf("%q: %d %s", tc.user, r.status, r.body)
		}
		if r := e.do("POST", "/api/events/ev-a/review", tc.user, map[string]string{"review": "confirmed"}); r.status != tc.status {
			t.Errorf("%q review: %d %s", tc.user, r.status, r.body)
		}
	}
	// A node without analytics answers 404.
	off := newEnv(t)
	if r := off.do("GET", "/api/events", "officer", nil); r.status != http.StatusNotFound {
		t.Errorf("without analytics: %d %s", r.status, r.body)
	}
}

func TestEventGetAndSnapshot(t *testing.T) {
	e, evs := newEventsEnv(t)
	r := e.do("GET", "/api/events/ev-a", "officer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	v := decode[struct {
		ID           string     `json:"id"`
		Zone         string     `json:"zone"`
		Severity     string     `json:"severity"`
		Box          [4]float64 `json:"box"`
		SnapshotURL  string     `json:"snapshot_url"`
		SnapshotPath *string    `json:"snapshot_path"`
		StartLocal   string     `json:"start_local"`
		Footage      struct {
			From, To time.Time
			ClipURL  string `json:"clip_url"`
		} `json:"footage"`
	}](t, r)
	if v.ID != "ev-a" || v.Zone != "Hẻm 5" || v.Severity != "alarm" || v.Box != [4]float64{0.25, 0.25, 0.5, 0.75} ||
		v.SnapshotURL != "/api/events/ev-a/snapshot.jpg" || v.SnapshotPath != nil || v.StartLocal != "15/01/2026 22:30:00" {
		t.Fatalf("event %s", r.body)
	}
	// The footage link spans 10 s before to 20 s after.
	if !v.Footage.From.Equal(evT0.Add(-10*time.Second)) || !v.Footage.To.Equal(evT0.Add(3*time.Minute+20*time.Second)) ||
		v.Footage.ClipURL != "/api/cameras/cam-1/clip.mp4?"+rng(v.Footage.From, v.Footage.To) {
		t.Fatalf("footage %+v", v.Footage)
	}

	snap := e.raw("GET", v.SnapshotURL, "officer", nil)
	if snap.status != http.StatusOK || snap.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("snapshot: %d %s", snap.status, snap.header)
	}
	img, err := jpeg.Decode(bytes.NewReader(snap.body))
	if err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("snapshot: %v %v", img, err)
	}
	a, err := e.db.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-1"})
	if err != nil || len(a) != 1 || a[0].Action != "event.snapshot" || a[0].User != "officer" || a[0].Detail != "event=ev-a" {
		t.Fatalf("audit %+v %v", a, err)
	}

	for _, tc := range []struct {
		path string
		user string
	}{
		{"/api/events/ev-none", "officer"},
		{"/api/events/ev-none/snapshot.jpg", "officer"},
		{"/api/events/ev-b/snapshot.jpg", "officer"}, // no snapshot
	} {
		if r := e.do("GET", tc.path, tc.user, nil); r.status != http.StatusNotFound {
			t.Errorf("%s: %d %s", tc.path, r.status, r.body)
		}
	}
	if r := e.raw("GET", v.SnapshotURL, "viewer", nil); r.status != http.StatusForbidden {
		t.Errorf("viewer snapshot: %d", r.status)
	}
	if p := evs["ev-a"].SnapshotPath; p != "cam-1/2026-01-15/ev-a.jpg" {
		t.Errorf("snapshot stored at %q", p)
	}
}

func TestEventReview(t *testing.T) {
	e, _ := newEventsEnv(t)
	r := e.do("POST", "/api/events/ev-a/review", "officer", map[string]string{"review": "confirmed", "note": " Người lạ đứng lâu trước cổng "})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	v := decode[matthan.AnalyticsEvent](t, r)
	if v.Review != matthan.ReviewConfirmed || v.ReviewNote != "Người lạ đứng lâu trước cổng" || v.ReviewedBy != "officer" || !v.ReviewedAt.Equal(e.now()) {
		t.Fatalf("reviewed %s", r.body)
	}
	stored, err := e.db.AnalyticsEvent(t.Context(), "ev-a")
	if err != nil || stored.Review != matthan.ReviewConfirmed {
		t.Fatalf("stored %+v %v", stored, err)
	}
	a, err := e.db.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-1"})
	if err != nil || len(a) != 1 || a[0].Action != "event.review" || a[0].User != "officer" ||
		a[0].Detail != `event=ev-a review=confirmed note="Người lạ đứng lâu trước cổng"` {
		t.Fatalf("audit %+v %v", a, err)
	}

	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"unknown verdict", "/api/events/ev-a/review", map[string]string{"review": "maybe"}, http.StatusBadRequest},
		{"unknown field", "/api/events/ev-a/review", map[string]string{"review": "confirmed", "who": "x"}, http.StatusBadRequest},
		{"long note", "/api/events/ev-a/review", map[string]string{"review": "confirmed", "note": string(bytes.Repeat([]byte("x"), 2001))}, http.StatusBadRequest},
		{"unknown event", "/api/events/ev-none/review", map[string]string{"review": "confirmed"}, http.StatusNotFound},
	} {
		if r := e.do("POST", tc.path, "officer", tc.body); r.status != tc.status {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	// Clearing the verdict puts the event back in the queue.
	if r := e.do("POST", "/api/events/ev-a/review", "admin", map[string]string{"review": "none"}); r.status != http.StatusOK {
		t.Fatalf("clear: %d %s", r.status, r.body)
	}
	if got := ids(t, e.do("GET", "/api/events?review=none", "officer", nil)); !slices.Contains(got, "ev-a") {
		t.Fatalf("queue after clearing: %v", got)
	}
}

// TestEventsFollowSharing: what a camera saw is shown only where its owner
// shares that moment's footage: the list leaves such events out and the
// event itself is refused with the owner's reason.
func TestEventsFollowSharing(t *testing.T) {
	e, _ := newEventsEnv(t)
	c := &matthan.Camera{ID: "cam-1", Name: "Nhà ông Sáu", Area: "Khóm 2", Owner: matthan.Owner{Kind: matthan.OwnerHousehold, Name: "Nguyễn Văn Sáu"},
		Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/x", Enabled: true, Contributor: "chu-nha",
		Sharing: matthan.Sharing{Mode: matthan.ShareOnRequest}}
	if err := e.db.CreateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, e.do("GET", "/api/events", "officer", nil)); !slices.Equal(got, []string{"ev-b"}) {
		t.Fatalf("listed %v, want only the event of the camera that is shared", got)
	}
	err := expectError(t, e.do("GET", "/api/events/ev-a", "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	if !strings.Contains(err.MessageVI, "khi có yêu cầu") {
		t.Errorf("refusal %q", err.MessageVI)
	}
	c.Sharing.Mode = matthan.ShareLive
	if err := e.db.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, e.do("GET", "/api/events", "officer", nil)); len(got) != 3 {
		t.Fatalf("shared again: listed %v", got)
	}
}
