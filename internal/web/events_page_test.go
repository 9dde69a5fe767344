package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/bus"
	"matthan/internal/httpapi"
	"matthan/internal/testutil"
)

// withEvents serves analytics events from the env's SQLite store, with
// snapshots under dir.
func withEvents(dir string) envOption {
	return func(e *env, api *httpapi.Deps) {
		api.Events, api.EventsDir = e.db, dir
	}
}

// addEvent stores an analytics event and, when it has a snapshot path,
// writes a real JPEG there.
func (e *env) addEvent(dir string, ev *matthan.AnalyticsEvent) {
	e.t.Helper()
	if err := e.db.AddAnalyticsEvent(context.Background(), ev); err != nil {
		e.t.Fatal(err)
	}
	if ev.SnapshotPath == "" {
		return
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(10, 10, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(ev.SnapshotPath))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func TestReviewPageRolesAndLanguages(t *testing.T) {
	e := newEnv(t)
	// A camera name is user input: it must reach the page as text.
	evil := testCameras()[0]
	evil.ID, evil.Name = "cam-666", `<script>alert("x")</script>`
	if err := e.db.CreateCamera(context.Background(), evil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user       string
		status     int
		navToQueue bool
	}{
		{"", http.StatusSeeOther, false},
		{"viewer", http.StatusForbidden, false},
		{"officer", http.StatusOK, true},
		{"admin", http.StatusOK, true},
	} {
		e.signIn(tc.user)
		res, body := e.get("/review?camera=cam-002&type=crowd&review=none&date=2026-03-09")
		if res.StatusCode != tc.status {
			t.Errorf("%q: status %d, want %d", tc.user, res.StatusCode, tc.status)
		}
		if tc.status == http.StatusSeeOther && !strings.HasPrefix(res.Header.Get("Location"), "/login?next=%2Freview") {
			t.Errorf("signed out: sent to %q", res.Header.Get("Location"))
		}
		if tc.user == "" {
			continue
		}
		_, health := e.get("/health")
		if got := strings.Contains(health, `href="/review"`); got != tc.navToQueue {
			t.Errorf("%s: nav link to the review queue %v, want %v", tc.user, got, tc.navToQueue)
		}
		if tc.status != http.StatusOK {
			continue
		}
		for _, want := range []string{"Sự kiện cần xem xét", ">Sự kiện</a>", "Lảng vảng", "Chưa xem xét",
			`<option value="cam-002" selected>`, `<option value="crowd" selected>`, `<option value="none" selected>`,
			`value="2026-03-09"`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`, `"review.confirm":"Xác nhận"`, `/static/events.js`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s vi: no %q", tc.user, want)
			}
		}
		if strings.Contains(body, `<script>alert(`) {
			t.Errorf("%s: the camera name is not escaped", tc.user)
		}
	}
	_, body := e.get("/review?lang=en&date=bogus")
	for _, want := range []string{"Events to review", ">Events</a>", "Loitering", "Not reviewed", "Watch footage", `value=""`} {
		if !strings.Contains(body, want) {
			t.Errorf("en: no %q", want)
		}
	}
	if strings.Contains(body, "bogus") {
		t.Error("a bad date is put back into the page")
	}
}

// sse reads one server-sent event stream.
type sse struct{ r *bufio.Reader }

func openSSE(t *testing.T, e *env) (*sse, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stop := func() { cancel(); res.Body.Close() }
	t.Cleanup(stop) // before the server closes, which waits for the stream
	s := &sse{r: bufio.NewReader(res.Body)}
	for { // the subscriptions are in place once the stream says it is ready
		line, err := s.r.ReadString('\n')
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if line == ": ready\n" {
			break
		}
	}
	return s, stop
}

// next returns the next event's name and data.
func (s *sse) next(t *testing.T) (name, data string) {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimSpace(line[len("event: "):])
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimSpace(line[len("data: "):])
		case line == "\n" && name != "":
			return name, data
		}
	}
}

func TestEventsStreamSendsAnalyticsToReviewers(t *testing.T) {
	e := newEnv(t)
	b := bus.New()
	e.web.deps.Bus = b
	ctx := context.Background()
	ev := &matthan.AnalyticsEvent{ID: "ev-9", Type: matthan.EventTamper, CameraID: "cam-003", Zone: "Cửa",
		Start: downSince, End: downSince.Add(time.Minute), Severity: matthan.SeverityAlarm, Review: matthan.ReviewNone,
		Summary: "<script>alert(1)</script> lens covered", SummaryVI: "Ống kính bị che"}
	health := &matthan.HealthEvent{CameraID: "cam-001", Stream: matthan.StreamMain, From: matthan.StateStreaming,
		To: matthan.StateOffline, At: downSince, Reason: "gone", ReasonVI: "mất"}

	for _, role := range []string{"officer", "admin", "viewer"} {
		e.signIn(role)
		s, stop := openSSE(t, e)
		b.Publish(ctx, matthan.Event{Topic: matthan.TopicAnalytics, CameraID: ev.CameraID, At: ev.Start, Data: ev})
		// Time for the analytics event to go out first, were it sent to a
		// viewer, so the viewer's first event tells.
		time.Sleep(50 * time.Millisecond)
		b.Publish(ctx, matthan.Event{Topic: matthan.TopicHealth, CameraID: "cam-001", At: downSince, Data: health})
		// Health and analytics come on their own subscriptions: either may
		// come first.
		got := map[string]string{}
		for range 2 {
			if role == "viewer" && len(got) == 1 {
				break
			}
			name, data := s.next(t)
			got[name] = data
		}
		if role == "viewer" {
			if _, ok := got["health"]; !ok || len(got) != 1 {
				t.Errorf("viewer got %v, want the health alert and no analytics", got)
			}
			stop()
			continue
		}
		data, ok := got["analytics"]
		if _, health := got["health"]; !ok || !health {
			t.Fatalf("%s: got %v, want an analytics event and a health alert", role, got)
		}
		if strings.Contains(data, "<script>") {
			t.Errorf("%s: raw markup in the stream: %s", role, data)
		}
		var live liveEvent
		if err := json.Unmarshal([]byte(data), &live); err != nil {
			t.Fatal(err)
		}
		want := liveEvent{ID: "ev-9", Type: matthan.EventTamper, CameraID: "cam-003", CameraName: "Tiệm vàng Kim Long", Zone: "Cửa",
			Summary: ev.Summary, SummaryVI: "Ống kính bị che", Severity: matthan.SeverityAlarm, Start: "2026-03-09T01:02:03Z",
			StartLocal: "09/03/2026 08:02:03", EndLocal: "09/03/2026 08:03:03", Review: matthan.ReviewNone,
			Alert: true, Desktop: true} // no Alerts store: the default subscription, which wants alarms
		if live != want {
			t.Errorf("%s:\n got %+v\nwant %+v", role, live, want)
		}
		stop()
	}
}

func TestReviewInBrowser(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, withEvents(dir))
	e.setWard()
	b := bus.New()
	e.web.deps.Bus = b
	e.addEvent(dir, &matthan.AnalyticsEvent{ID: "ev-1", Type: matthan.EventLoitering, CameraID: "cam-001", Zone: "Cổng chợ",
		Start: downSince, End: downSince.Add(3 * time.Minute), Severity: matthan.SeverityWarning,
		Summary: "A person loitered for 3 minutes", SummaryVI: "Một người lảng vảng 3 phút", SnapshotPath: "cam-001/2026-03-09/ev-1.jpg"})
	e.addEvent(dir, &matthan.AnalyticsEvent{ID: "ev-2", Type: matthan.EventCrowd, CameraID: "cam-002",
		Start: downSince.Add(-time.Hour), End: downSince.Add(-50 * time.Minute), Severity: matthan.SeverityInfo,
		Summary:   `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`,
		SummaryVI: `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`})
	e.signIn("officer")
	base := uiServer(e, nil)
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1000), chromedp.Navigate(base+"/review")); err != nil {
		t.Fatal(err)
	}
	const ev1 = `document.querySelector('.review-row[data-event="ev-1"]')`
	waitFor(t, ctx, ev1+`?.querySelector('img.thumb')?.complete && `+ev1+`.querySelector('img.thumb').naturalWidth === 64`)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('.review-row')].map((r) => r.dataset.event).join(' ')`); got != "ev-1 ev-2" {
		t.Errorf("rows %q, want the newest first", got)
	}
	for js, want := range map[string]string{
		ev1 + `.querySelector('.summary').textContent`:           "Một người lảng vảng 3 phút",
		ev1 + `.querySelector('.type').textContent`:              "Lảng vảng",
		ev1 + `.querySelector('.camera').textContent`:            "Cổng chợ An Bình",
		ev1 + `.querySelector('.zone').textContent`:              "Cổng chợ",
		ev1 + `.querySelector('.time').textContent`:              "09/03/2026 08:02:03 – 09/03/2026 08:05:03",
		ev1 + `.querySelector('a.footage').getAttribute('href')`: "/playback?camera=cam-001&at=2026-03-09T01%3A02%3A03Z",
		ev1 + `.className`: "review-row sev-warning",
		`document.querySelector('.review-row[data-event="ev-2"] .summary').textContent`: `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`,
		`String(window.__xss)`: "undefined",
	} {
		if got := eval[string](t, ctx, js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}
	if !strings.HasPrefix(eval[string](t, ctx, ev1+`.querySelector('a.clip').getAttribute('href')`), "/api/cameras/cam-001/clip.mp4?from=") {
		t.Error("no clip link")
	}
	// The thumbnail opens large.
	eval[bool](t, ctx, ev1+`.querySelector('img.thumb').click() || true`)
	waitFor(t, ctx, `document.getElementById('review-big').open && document.querySelector('#review-big img').naturalWidth === 64`)
	eval[bool](t, ctx, `document.getElementById('review-big').close() || true`)

	// Confirm with a note: the API stores who and when.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`.review-row[data-event="ev-1"] input.note`, "Đã báo tổ dân phòng"),
		chromedp.Click(`.review-row[data-event="ev-1"] button.confirm`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, ev1+`?.dataset.review === 'confirmed'`)
	if got := eval[string](t, ctx, ev1+`.querySelector('.reviewer').textContent`); !strings.HasPrefix(got, "bởi officer lúc ") {
		t.Errorf("reviewer line %q", got)
	}
	stored, err := e.db.AnalyticsEvent(context.Background(), "ev-1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Review != matthan.ReviewConfirmed || stored.ReviewNote != "Đã báo tổ dân phòng" || stored.ReviewedBy != "officer" || stored.ReviewedAt.IsZero() {
		t.Errorf("stored review: %+v", stored)
	}

	// An alarm fires: the queue gets it on top, the banner announces it.
	ev3 := &matthan.AnalyticsEvent{ID: "ev-3", Type: matthan.EventTamper, CameraID: "cam-002", Start: downSince.Add(time.Hour),
		End: downSince.Add(time.Hour), Severity: matthan.SeverityAlarm, Summary: "Lens covered", SummaryVI: "Ống kính bị che"}
	e.addEvent(dir, ev3)
	b.Publish(context.Background(), matthan.Event{Topic: matthan.TopicAnalytics, CameraID: ev3.CameraID, At: ev3.Start, Data: ev3})
	waitFor(t, ctx, `document.querySelector('.review-row')?.dataset.event === 'ev-3'`)
	waitFor(t, ctx, `document.querySelector('#alerts .alert.event[data-event="ev-3"]')`)
	if got := eval[string](t, ctx, `document.querySelector('#alerts .alert.event').textContent`); !strings.Contains(got, "Báo động: Phá hoại camera") || !strings.Contains(got, "Ống kính bị che · 09/03/2026 09:02:03") {
		t.Errorf("banner %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.review-row').className`); got != "review-row sev-alarm fresh" {
		t.Errorf("live row class %q", got)
	}
	testutil.Screenshot(t, ctx, "review")
}
