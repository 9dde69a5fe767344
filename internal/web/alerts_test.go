package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/bus"
	"matthan/internal/testutil"
)

// The stream marks each analytics event with whether the user's
// subscription wants it now; others still come, for the review queue.
func TestEventsStreamFollowsSubscription(t *testing.T) {
	e := newEnv(t)
	b := bus.New()
	e.web.deps.Bus, e.web.deps.Alerts = b, e.db
	clock := time.Date(2026, 3, 9, 12, 0, 0, 0, matthan.Vietnam) // noon in Vietnam
	e.web.now = func() time.Time { return clock }
	ctx := context.Background()
	if err := e.db.SetAlertSubscription(ctx, &matthan.AlertSubscription{User: "officer", Areas: []string{"Khóm 2"},
		Types: []matthan.EventType{matthan.EventTamper, matthan.EventNoHelmet}, MinSeverity: matthan.SeverityWarning,
		QuietFrom: "22:00", QuietTo: "06:00", Desktop: false}); err != nil {
		t.Fatal(err)
	}
	ev := func(id, cam string, typ matthan.EventType, sev matthan.Severity) *matthan.AnalyticsEvent {
		return &matthan.AnalyticsEvent{ID: id, Type: typ, CameraID: cam, Start: downSince, End: downSince,
			Severity: sev, Review: matthan.ReviewNone}
	}
	for _, tc := range []struct {
		name, user     string
		e              *matthan.AnalyticsEvent
		at             time.Time
		alert, desktop bool
	}{
		{"wanted", "officer", ev("a", "cam-003", matthan.EventTamper, matthan.SeverityAlarm), clock, true, false},
		{"warning is enough", "officer", ev("b", "cam-004", matthan.EventNoHelmet, matthan.SeverityWarning), clock, true, false},
		{"type not chosen", "officer", ev("c", "cam-003", matthan.EventLoitering, matthan.SeverityAlarm), clock, false, false},
		{"other area", "officer", ev("d", "cam-001", matthan.EventTamper, matthan.SeverityAlarm), clock, false, false},
		{"quiet hours across midnight", "officer", ev("e", "cam-003", matthan.EventTamper, matthan.SeverityAlarm), clock.Add(12*time.Hour + 30*time.Minute), false, false},
		{"another user keeps the default", "admin", ev("f", "cam-001", matthan.EventLoitering, matthan.SeverityAlarm), clock, true, true},
		{"default: no warnings", "admin", ev("g", "cam-003", matthan.EventNoHelmet, matthan.SeverityWarning), clock, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			clock = tc.at
			s, stop := openSSE(t, e)
			defer stop()
			b.Publish(ctx, matthan.Event{Topic: matthan.TopicAnalytics, CameraID: tc.e.CameraID, At: tc.e.Start, Data: tc.e})
			name, data := s.next(t)
			var live liveEvent
			if err := json.Unmarshal([]byte(data), &live); name != "analytics" || err != nil {
				t.Fatalf("got %s %s (%v)", name, data, err)
			}
			if live.ID != tc.e.ID || live.Alert != tc.alert || live.Desktop != tc.desktop {
				t.Errorf("got %+v, want alert %v desktop %v", live, tc.alert, tc.desktop)
			}
		})
	}
}

// An officer changes their alerts on the account page; the banner follows.
func TestAccountAlertsInBrowser(t *testing.T) {
	e := newEnv(t)
	b := bus.New()
	e.web.deps.Bus, e.web.deps.Alerts = b, e.db
	e.signIn("officer")
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	const form = `#acct-alerts`
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/account"), chromedp.WaitVisible(form)); err != nil {
		t.Fatal(err)
	}
	// The default: every type and area ticked, alarms only, desktop on.
	if got := eval[string](t, ctx, `[...document.querySelectorAll('#acct-alerts input:checked')].map((x) => x.value).join(' ')`); got != "loitering three_riders no_helmet illegal_parking dumping crowd line_crossing tamper security_lapse Khóm 1 Khóm 2 on" {
		t.Errorf("ticked by default: %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(form+` input[value=tamper]`),
		chromedp.SetValue(form+` [name=min_severity]`, "warning"),
		chromedp.Click(form+` button[type=submit]`),
		chromedp.WaitVisible(form+` [data-result].ok-text`),
	); err != nil {
		t.Fatal(err)
	}
	// Reloaded, the page shows what was saved.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(form)); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.querySelector('#acct-alerts input[value=tamper]').checked + ' ' + document.querySelector('#acct-alerts input[value=crowd]').checked + ' ' + document.querySelector('#acct-alerts [name=min_severity]').value`); got != "false true warning" {
		t.Errorf("after reload: %q, want tamper off, crowd on, warning", got)
	}
	sub, err := e.db.AlertSubscription(context.Background(), "officer")
	if err != nil || len(sub.Types) != len(matthan.EventTypes)-1 || len(sub.Areas) != 0 || sub.MinSeverity != matthan.SeverityWarning {
		t.Fatalf("stored %+v %v", sub, err)
	}

	// The page's stream is open once the banner has heard of a camera
	// down (health alerts are not subject to the subscription).
	e.status.set("cam-001", matthan.StreamStatus{Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateOffline, Since: downSince}})
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`#alerts .alert[data-camera="cam-001"]`)); err != nil {
		t.Fatal(err)
	}
	// A tamper alarm is not wanted any more; a warning now is.
	bg := context.Background()
	for _, ev := range []*matthan.AnalyticsEvent{
		{ID: "ev-tamper", Type: matthan.EventTamper, CameraID: "cam-002", Start: downSince, End: downSince, Severity: matthan.SeverityAlarm, Review: matthan.ReviewNone, Summary: "Lens covered", SummaryVI: "Ống kính bị che"},
		{ID: "ev-helmet", Type: matthan.EventNoHelmet, CameraID: "cam-002", Start: downSince, End: downSince, Severity: matthan.SeverityWarning, Review: matthan.ReviewNone, Summary: "No helmet", SummaryVI: "Không đội mũ"},
	} {
		b.Publish(bg, matthan.Event{Topic: matthan.TopicAnalytics, CameraID: ev.CameraID, At: ev.Start, Data: ev})
	}
	// Events come in order: once the second is shown, the first was handled.
	waitFor(t, ctx, `document.querySelector('#alerts .alert.event[data-event="ev-helmet"]')`)
	if eval[bool](t, ctx, `!!document.querySelector('#alerts [data-event="ev-tamper"]')`) {
		t.Error("the unwanted tamper alarm reached the banner")
	}
	if got := eval[string](t, ctx, `document.querySelector('#alerts [data-event="ev-helmet"] strong').textContent`); got != "Không đội mũ bảo hiểm" {
		t.Errorf("a warning's banner says %q, want its type without 'Báo động'", got)
	}
}

// The account page shows the alerts form to those who hear of analytics
// events, in both languages.
func TestAccountAlertsForm(t *testing.T) {
	e := newEnv(t)
	e.web.deps.Alerts = e.db
	if err := e.db.SetAlertSubscription(context.Background(), &matthan.AlertSubscription{User: "officer", Cameras: []string{"cam-009"},
		Areas: []string{"Khóm 9"}, Types: []matthan.EventType{matthan.EventCrowd}, MinSeverity: matthan.SeverityInfo,
		QuietFrom: "22:00", QuietTo: "06:00"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, path string
		want, notWant    []string
	}{
		{"officer", "officer", "/account", []string{"Cảnh báo tôi nhận", "Phá hoại camera", `value="crowd" checked`, `value="Khóm 9" checked`,
			`value="Khóm 1">`, `<option value="info" selected>Thông tin</option>`, `value="22:00"`, `value="06:00"`, "cam-009",
			`"cameras":["cam-009"]`}, []string{`value="tamper" checked`, `name="desktop" checked`}},
		{"admin in English", "admin", "/account?lang=en", []string{"Alerts I receive", "Camera tampering", `value="tamper" checked`,
			`<option value="alarm" selected>Alarm</option>`, `name="desktop" checked`}, []string{"cam-009"}},
		{"viewer", "viewer", "/account", nil, []string{`id="acct-alerts"`, `id="account-alerts"`, `name="min_severity"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, http.StatusOK, tc.want, tc.notWant, "account.")
		})
	}
}
