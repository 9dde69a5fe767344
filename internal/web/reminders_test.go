package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/httpapi"
	"matthan/internal/pdf"
	"matthan/internal/testutil"
)

// withReminders serves reminders (and the analytics events they are made
// from, with snapshots under dir) from the env's SQLite store.
func withReminders(dir string) envOption {
	return func(e *env, api *httpapi.Deps) {
		api.Events, api.EventsDir = e.db, dir
		api.Reminders = &httpapi.Reminders{Store: e.db, Ward: pdf.Ward{Name: "Phường An Bình", Authority: "CÔNG AN PHƯỜNG AN BÌNH"}}
	}
}

func TestRemindersPages(t *testing.T) {
	e := portalEnv(t)
	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
		prefix           string
	}{
		{"officer's list", "officer", "/reminders?unacked=true", 200, []string{`lang="vi"`, "Nhắc nhở chủ nhà", `>Nhắc nhở</a>`,
			`name="unacked" value="true" checked`, "Chỉ quá hạn theo dõi", "Người nhận", "Ghi nhận lúc", `"rem.overdue_state":"Quá hạn theo dõi"`,
			`"cam-003":"Tiệm vàng Kim Long"`, "/static/reminders.js"}, []string{`name="overdue" value="true" checked`}, "rem."},
		{"admin's list in English", "admin", "/reminders?lang=en&overdue=true", 200, []string{"Reminders to owners", ">Reminders</a>",
			`name="overdue" value="true" checked`, "Not acknowledged only", `"rem.followup":"Followed up"`}, nil, "rem."},
		{"the review queue's dialog", "officer", "/review", 200, []string{`id="review-remind"`, "Nhắc nhở chủ camera về sự kiện này",
			"E-mail chủ nhà (không bắt buộc)", `"review.remind":"Gửi nhắc nhở"`, `"security_lapse":"Đề nghị gia đình đóng, khóa cổng`},
			[]string{`"loitering":`}, "review."},
		{"the review queue's dialog in English", "admin", "/review?lang=en", 200, []string{"Remind the camera&#39;s owner of this event",
			`"review.remind.done":"Reminder sent"`}, nil, "review."},
		{"the owner's portal", "kimlong", "/my", 200, []string{`id="my-rem-section"`, "Nhắc nhở của công an phường",
			`"my.rem.ack":"Tôi đã nhận và sẽ khắc phục"`}, nil, "my."},
		{"the owner's portal in English", "kimlong", "/my?lang=en", 200, []string{"Reminders from the ward police", `"my.rem.ack":"Received; I will fix it"`}, nil, "my."},
		{"a viewer may not see reminders", "viewer", "/reminders", 403, []string{"Vai trò của bạn không được xem trang này"}, []string{"rem-table"}, "rem."},
		{"a viewer has no link", "viewer", "/", 200, nil, []string{`href="/reminders"`}, "rem."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, tc.prefix)
		})
	}
	// A contributor is sent to the portal, a stranger to sign in.
	e.signIn("kimlong")
	if res, _ := e.get("/reminders"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/my" {
		t.Errorf("contributor: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	e.signIn("")
	if res, _ := e.get("/reminders"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=%2Freminders") {
		t.Errorf("signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// The flow the issue asks for: an officer reminds the owner of a gate left
// open at night from the event, the owner acknowledges it in the portal
// with a note, and the officer's list shows it acknowledged.
func TestReminderFlowInBrowser(t *testing.T) {
	dir := t.TempDir()
	e := portalEnv(t, withReminders(dir))
	e.addEvent(dir, &matthan.AnalyticsEvent{ID: "ev-gate", Type: matthan.EventSecurityLapse, CameraID: "cam-003", Zone: "Cổng",
		Start: downSince, End: downSince.Add(time.Minute), Severity: matthan.SeverityWarning,
		Summary: "Gate open at night", SummaryVI: "Cổng mở lúc nửa đêm", SnapshotPath: "cam-003/2026-03-09/ev-gate.jpg"})
	e.addEvent(dir, &matthan.AnalyticsEvent{ID: "ev-ward", Type: matthan.EventDumping, CameraID: "cam-001",
		Start: downSince.Add(-time.Hour), End: downSince.Add(-time.Hour), Severity: matthan.SeverityInfo,
		Summary: "Rubbish left", SummaryVI: "Rác bị bỏ lại"})
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	eval, wait := browserPage(t, ctx)
	open := func(path, sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(sel)); err != nil {
			t.Fatal(err)
		}
	}
	click := func(sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(sel)); err != nil {
			t.Fatal(err)
		}
	}

	// The ward's own camera has no owner in the portal: the dialog asks for
	// an e-mail address under its field.
	e.signIn("officer")
	open("/review", `.review-row[data-event="ev-ward"] button.remind`)
	click(`.review-row[data-event="ev-ward"] button.remind`)
	wait(`document.getElementById('review-remind').open`)
	click(`#review-remind [data-send]`)
	wait(`!document.querySelector('#review-remind [data-error="email"]').hidden`)
	if msg := eval(`document.querySelector('#review-remind [data-error="email"]').textContent`); !strings.Contains(msg, "e-mail của chủ nhà") {
		t.Errorf("email error %q", msg)
	}
	// With an address it goes, but this node has no mail server: the
	// dialog says the e-mail failed, and why.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#review-remind input[name=email]`, "chu.nha@example.com")); err != nil {
		t.Fatal(err)
	}
	click(`#review-remind [data-send]`)
	wait(`!document.querySelector('#review-remind .remind-done').hidden`)
	if got := eval(`document.querySelector('#review-remind .remind-mail-failed').textContent`); !strings.HasPrefix(got, "Không gửi được e-mail") || !strings.Contains(got, "mail.smtp") {
		t.Errorf("mail failure line %q", got)
	}
	click(`#review-remind [data-close]`)

	// The gate: the default advice stands (the field is left empty).
	click(`.review-row[data-event="ev-gate"] button.remind`)
	wait(`document.getElementById('review-remind').open && document.querySelector('#review-remind [data-error="email"]').hidden`)
	if ph := eval(`document.querySelector('#review-remind textarea[name=advice]').placeholder`); ph != matthan.DefaultAdvice(matthan.EventSecurityLapse) {
		t.Errorf("advice placeholder %q", ph)
	}
	click(`#review-remind [data-send]`)
	wait(`!document.querySelector('#review-remind .remind-done').hidden`)
	if got := eval(`document.querySelector('#review-remind .remind-done').textContent + ' ' + document.querySelector('#review-remind .remind-done a').getAttribute('href')`); !strings.Contains(got, "Đã gửi nhắc nhở") || !strings.HasSuffix(got, "/reminders") {
		t.Errorf("done line %q", got)
	}
	testutil.Screenshot(t, ctx, "reminder-dialog")
	list, err := e.db.Reminders(context.Background(), matthan.ReminderFilter{Recipient: "kimlong"})
	if err != nil || len(list) != 1 || list[0].Recipient != "kimlong" || list[0].EventID != "ev-gate" || list[0].CreatedBy != "officer" ||
		list[0].Advice != matthan.DefaultAdvice(matthan.EventSecurityLapse) {
		t.Fatalf("stored %+v %v", list, err)
	}
	rem := `article.my-rem[data-reminder="` + itoa(list[0].ID) + `"]`
	row := `#rem-table tr[data-reminder="` + itoa(list[0].ID) + `"]`
	q := `document.querySelector('` + row + `')`

	// Not acknowledged yet: the officer records a follow-up (a visit).
	open("/reminders", row+` button.followup`)
	if got := eval(q + `.querySelector('.status').textContent`); got != "Chưa xác nhận" {
		t.Errorf("status before the owner acknowledges: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(row+` input.note`, "Đã đến nhà nhắc trực tiếp")); err != nil {
		t.Fatal(err)
	}
	click(row + ` button.followup`)
	wait(q + `?.querySelector('.count').textContent === 'Số lần đã theo dõi: 1'`)

	// The owner sees it with its snapshot and acknowledges it with a note.
	e.signIn("kimlong")
	open("/my", rem+` button.ack-btn`)
	wait(`document.querySelector('` + rem + ` img.snap')?.complete && document.querySelector('` + rem + ` img.snap').naturalWidth === 64`)
	if got := eval(`document.querySelector('` + rem + `').textContent`); !strings.Contains(got, "Sơ hở an ninh: Cổng mở lúc nửa đêm") ||
		!strings.Contains(got, "09/03/2026 08:02:03 · Tiệm vàng Kim Long") || !strings.Contains(got, "Đề nghị: Đề nghị gia đình đóng") {
		t.Errorf("reminder in the portal: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(rem+` input.note`, "Đã lắp khóa mới")); err != nil {
		t.Fatal(err)
	}
	click(rem + ` button.ack-btn`)
	wait(`document.querySelector('` + rem + `')?.dataset.acked === 'true'`)
	if got := eval(`document.querySelector('` + rem + ` .ack').textContent`); !strings.HasPrefix(got, "Bạn đã xác nhận lúc ") || !strings.HasSuffix(got, "Đã lắp khóa mới") {
		t.Errorf("acknowledged line %q", got)
	}
	// The owner's access log names the officer's actions in words.
	wait(`document.querySelector('#my-log tr[data-action="reminder.send"]') !== null`)
	if got := eval(`document.querySelector('#my-log tr[data-action="reminder.send"]').cells[2].textContent`); got != "Gửi nhắc nhở" {
		t.Errorf("access log action %q", got)
	}
	testutil.Screenshot(t, ctx, "my-reminders", testutil.FullPage)

	// The officer's list shows it acknowledged, with the note.
	e.signIn("officer")
	open("/reminders", row)
	for js, want := range map[string]string{
		q + `.dataset.acked`:                                      "true",
		q + `.querySelector('.camera').textContent`:               "Tiệm vàng Kim Longcam-003",
		q + `.querySelector('.recipient').textContent`:            "kimlong",
		q + `.querySelector('.time').textContent`:                 "09/03/2026 08:02:03",
		q + `.querySelector('.ack-note').textContent`:             "Đã lắp khóa mới",
		q + `.querySelector('.delivery').textContent`:             "Cổng thông tin",
		q + `.querySelector('a.notice-pdf').getAttribute('href')`: "/api/reminders/" + itoa(list[0].ID) + "/notice.pdf",
		`String(` + q + `.querySelector('button.followup'))`:      "null",
	} {
		if got := eval(js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}
	if got := eval(q + `.querySelector('.acked').textContent`); !strings.HasPrefix(got, "Đã xác nhận lúc ") {
		t.Errorf("status %q", got)
	}
	// The ward camera's reminder: no portal, the e-mail failed and why.
	if got := eval(`[...document.querySelectorAll('#rem-table tbody tr')].map((r) => r.querySelector('.camera').textContent + ' ' + r.querySelector('.recipient').textContent + ' ' + r.querySelector('.delivery').textContent).join('\n')`); got !=
		"Tiệm vàng Kim Longcam-003 kimlong Cổng thông tin\nCổng chợ An Bìnhcam-001 Camera của phường (không có tài khoản)chu.nha@example.com E-mail gửi lỗithis node has no mail server (mail.smtp) / máy chủ chưa cấu hình máy chủ thư (mail.smtp)" {
		t.Errorf("rows:\n%s", got)
	}
	testutil.Screenshot(t, ctx, "reminders", testutil.FullPage)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
