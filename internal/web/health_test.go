package web

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/testutil"
)

// rowOrder lists the cameras of the health table, top to bottom.
func rowOrder(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr data-camera="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestHealthPage(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	// cam-004's main stream is fine but its sub-stream is down: the row
	// still counts as a problem.
	st := e.status.m["cam-004"]
	st[1].Health = matthan.Health{State: matthan.StateAuthFailed, Since: downSince, Reason: "Wrong password", ReasonVI: "Sai mật khẩu"}
	e.status.set("cam-004", st...)
	for _, role := range []string{"viewer", "officer", "admin"} {
		e.signIn(role)
		res, body := e.get("/health")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", role, res.StatusCode)
		}
		if got := strings.Join(rowOrder(body), " "); got != "cam-003 cam-004 cam-001 cam-002" {
			t.Errorf("%s: order %s, want the offline camera first, then the one with a down sub-stream", role, got)
		}
	}
	_, body := e.get("/health")
	for _, want := range []string{"Tình trạng camera", "Mất kết nối", "Camera không trả lời", "09/03/2026 08:02:03",
		"1920×1080", "H264", "2,50 Mbit/s", "25,0", "Luồng phụ: Sai mật khẩu camera", ">7<"} {
		if !strings.Contains(body, want) {
			t.Errorf("vi: no %q", want)
		}
	}
	// No recording index: no uptime figures.
	if n := strings.Count(body, `class="num">—</td>`); n < 8 {
		t.Errorf("uptime without an index: %d dashes, want 2 per camera", n)
	}
	_, body = e.get("/health?lang=en")
	for _, want := range []string{"Camera health", "Offline", "The camera does not answer", "2.50 Mbit/s", "Recorded 24 h", "Sub-stream: Camera password is wrong"} {
		if !strings.Contains(body, want) {
			t.Errorf("en: no %q", want)
		}
	}
	// The script's refresh gets the same table.
	res, rows := e.get("/ui/health")
	if res.StatusCode != 200 || strings.Join(rowOrder(rows), " ") != "cam-003 cam-004 cam-001 cam-002" || strings.Contains(rows, "<html") {
		t.Errorf("/ui/health: %d %s", res.StatusCode, rows)
	}
}

// TestHealthUptime measures uptime from real index rows through the
// recorder's continuity reports, over windows that cross local midnights.
func TestHealthUptime(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	e.web.deps.Recordings = e.db
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // 10/03/2026 09:00 in Vietnam
	e.web.now = func() time.Time { return now }
	add := func(cam string, from, to time.Time) {
		t.Helper()
		s := &matthan.Segment{CameraID: cam, Stream: matthan.StreamMain, Start: from, End: to, Duration: to.Sub(from),
			Path: fmt.Sprintf("%s/%s/main-%s.mp4", cam, from.Format("2006-01-02"), from.Format("20060102T150405Z")), Codec: "H264"}
		if err := e.db.AddSegment(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	// cam-001: 12 h from 30 h ago to 18 h ago: 6 h of it in the last 24 h.
	add("cam-001", now.Add(-30*time.Hour), now.Add(-18*time.Hour))
	// cam-002: all of the last 7 days, in daily segments.
	for d := 7; d > 0; d-- {
		add("cam-002", now.Add(-time.Duration(d)*24*time.Hour), now.Add(-time.Duration(d-1)*24*time.Hour))
	}
	e.signIn("officer")
	_, body := e.get("/health?lang=en")
	row := func(id string) string {
		i := strings.Index(body, `<tr data-camera="`+id+`"`)
		j := strings.Index(body[i:], "</tr>")
		return body[i : i+j]
	}
	for id, want := range map[string][]string{
		"cam-001": {">25.0 %<", ">7.1 %<"},
		"cam-002": {">100.0 %<", ">100.0 %<"},
		"cam-004": {">0.0 %<"},
	} {
		r := row(id)
		for _, w := range want {
			if !strings.Contains(r, w) {
				t.Errorf("%s: no %q in\n%s", id, w, r)
			}
		}
	}
	// Worst first: the offline camera, then by uptime.
	if got := strings.Join(rowOrder(body), " "); got != "cam-003 cam-004 cam-001 cam-002" {
		t.Errorf("order %s", got)
	}
}

func TestHealthInBrowser(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	base := uiServer(e, nil)
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/health")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.health-table tbody tr')`)
	if got := eval[string](t, ctx, `document.querySelector('.health-table tbody tr').dataset.camera`); got != "cam-003" {
		t.Errorf("first row %s, want the offline cam-003", got)
	}
	testutil.Screenshot(t, ctx, "health")

	// cam-001 goes offline: a health event refreshes the table at once.
	e.status.set("cam-001", matthan.StreamStatus{CameraID: "cam-001", Role: matthan.StreamMain,
		Health: matthan.Health{State: matthan.StateOffline, Since: downSince.Add(-time.Hour), Reason: "Connection refused", ReasonVI: "Camera từ chối kết nối"}})
	eval[bool](t, ctx, `document.dispatchEvent(new CustomEvent('matthan:health', { detail: { camera_id: 'cam-001', stream: 'main', state: 'offline', down: true } })) || true`)
	waitFor(t, ctx, `document.querySelector('tr[data-camera="cam-001"]').classList.contains('down')`)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('.health-table tbody tr')].map((r) => r.dataset.camera).join(' ')`); got != "cam-001 cam-003 cam-002 cam-004" {
		t.Errorf("after cam-001 went down: %s (down since earlier first)", got)
	}
}
