package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/httpapi"
	"matthan/internal/testutil"
)

// withCases serves cases, and the analytics events attached to them (with
// snapshots under dir), from the env's SQLite store.
func withCases(dir string) envOption {
	return func(e *env, api *httpapi.Deps) {
		api.Events, api.EventsDir = e.db, dir
		api.Cases = &httpapi.Cases{Store: e.db, KeepDays: 365}
	}
}

func TestCasesPages(t *testing.T) {
	e := portalEnv(t, withCases(t.TempDir()))
	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
		prefix           string
	}{
		{"officer's list", "officer", "/cases?status=open", 200, []string{`lang="vi"`, `>Vụ việc</a>`, "Mở vụ việc", `<option value="open" selected>Đang mở</option>`,
			"Số vụ việc", "Mở bởi / lúc", `"case.s.closed":"Đã đóng"`, "/static/cases.js"}, []string{`<option value="closed" selected>`}, "case."},
		{"admin's list in English", "admin", "/cases?lang=en&status=closed", 200, []string{"Cases", ">Cases</a>", `<option value="closed" selected>Closed</option>`,
			"Open a case", `"case.s.open":"Open"`}, nil, "case."},
		{"a case", "officer", "/cases/7", 200, []string{`data-case="7"`, "Nhật ký lưu giữ chứng cứ", "Trích xuất gói chứng cứ", "Thêm mô tả phương tiện",
			`<option value="cam-003">Tiệm vàng Kim Long</option>`, `"case.a.remove_item":"Gỡ mục"`, "/static/case.js"}, nil, "case."},
		{"a case in English", "admin", "/cases/7?lang=en", 200, []string{"Chain of custody", "Export an evidence package", `"case.a.add_item":"Added an item"`}, nil, "case."},
		{"not a case number", "officer", "/cases/abc", 404, []string{"Không có vụ việc này"}, []string{"case-log"}, "case."},
		{"the review queue's case dialog", "officer", "/review", 200, []string{`id="review-case"`, "Đưa sự kiện này vào một vụ việc đang mở",
			`"review.case":"Đưa vào vụ việc"`}, nil, "review."},
		{"the review queue's case dialog in English", "admin", "/review?lang=en", 200, []string{"Add this event to an open case", `"review.case.done":"Added to the case"`}, nil, "review."},
		{"a viewer may not see cases", "viewer", "/cases", 403, []string{"Vai trò của bạn không được xem trang này"}, []string{"case-table"}, "case."},
		{"nor one case", "viewer", "/cases/1", 403, nil, []string{"case-log"}, "case."},
		{"a viewer has no link", "viewer", "/", 200, nil, []string{`href="/cases"`}, "case."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, tc.prefix)
		})
	}
	// A contributor is sent to the portal, a stranger to sign in.
	for _, path := range []string{"/cases", "/cases/1"} {
		e.signIn("kimlong")
		if res, _ := e.get(path); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/my" {
			t.Errorf("contributor %s: %d %q", path, res.StatusCode, res.Header.Get("Location"))
		}
		e.signIn("")
		if res, _ := e.get(path); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("signed out %s: %d %q", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// The flow the issue asks for: an officer opens a case, attaches an event
// from the review queue, adds a note and a vehicle, removes the note with
// a reason, closes the case, and its chain of custody lists it all.
func TestCaseFlowInBrowser(t *testing.T) {
	dir := t.TempDir()
	e := portalEnv(t, withCases(dir))
	e.addEvent(dir, &matthan.AnalyticsEvent{ID: "ev-loiter", Type: matthan.EventLoitering, CameraID: "cam-001", Zone: "Cổng chợ",
		Start: downSince, End: downSince.Add(time.Minute), Severity: matthan.SeverityWarning,
		Summary: "Loitering at the gate", SummaryVI: "Lảng vảng ở cổng chợ", SnapshotPath: "cam-001/2026-03-09/ev-loiter.jpg"})
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	eval, wait := browserPage(t, ctx)
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	e.signIn("officer")

	// A bad number first: the error stands under its field.
	do(chromedp.Navigate(e.srv.URL+"/cases"), chromedp.WaitVisible(`#case-new input[name=number]`),
		chromedp.SendKeys(`#case-new input[name=number]`, "VV 2026"), chromedp.SendKeys(`#case-new input[name=title]`, "Trộm xe máy ở chợ"),
		chromedp.Click(`#case-new button[type=submit]`))
	wait(`!document.querySelector('#case-new [data-error="number"]').hidden`)
	if msg := eval(`document.querySelector('#case-new [data-error="number"]').textContent`); !strings.Contains(msg, "VV-2026-0042") {
		t.Errorf("number error %q", msg)
	}
	do(chromedp.SetValue(`#case-new input[name=number]`, "VV-2026-0042"), chromedp.Click(`#case-new button[type=submit]`))
	wait(`location.pathname.startsWith('/cases/') && document.querySelector('#case .case-number')?.textContent === 'VV-2026-0042'`)
	caseURL := eval(`location.pathname`)

	// The event from the review queue.
	row := `.review-row[data-event="ev-loiter"]`
	do(chromedp.Navigate(e.srv.URL+"/review"), chromedp.WaitVisible(row+` button.to-case`), chromedp.Click(row+` button.to-case`))
	wait(`document.getElementById('review-case').open && !document.querySelector('#review-case [data-add]').disabled`)
	if got := eval(`document.querySelector('#review-case select').selectedOptions[0].textContent`); got != "VV-2026-0042 · Trộm xe máy ở chợ" {
		t.Errorf("case option %q", got)
	}
	do(chromedp.Click(`#review-case [data-add]`))
	wait(`!document.querySelector('#review-case .case-done').hidden`)

	// A note and a vehicle on the case's page; the note is removed.
	do(chromedp.Navigate(e.srv.URL+caseURL), chromedp.WaitVisible(`.case-item[data-kind="event"] img.thumb`))
	add := func(kind, text string, n int) {
		t.Helper()
		do(chromedp.SetValue(`#case-add-text select[name=kind]`, kind), chromedp.SendKeys(`#case-add-text textarea[name=text]`, text),
			chromedp.Click(`#case-add-text button[type=submit]`))
		wait(`document.querySelectorAll('.case-item').length === ` + itoa(int64(n)))
	}
	add("note", "Nhân chứng thấy hai người", 2)
	add("vehicle", "Xe Wave màu đỏ, biển 59-X1 123.45", 3)
	note := `.case-item[data-kind="note"]`
	do(chromedp.Click(note+` button.remove`), chromedp.SendKeys(note+` input.remove-reason`, "Nhập nhầm vụ việc"), chromedp.Click(note+` button.remove`))
	wait(`document.querySelector('` + note + `')?.classList.contains('removed')`)
	for js, want := range map[string]string{
		`getComputedStyle(document.querySelector('` + note + ` .text')).textDecorationLine`:            "line-through",
		`document.querySelector('` + note + ` .removal').textContent.replace(/ · \d\d\/.* · /, ' · ')`: "Đã gỡ bởi officer · Lý do: Nhập nhầm vụ việc",
		`document.querySelector('.case-item[data-kind="vehicle"] .text').textContent`:                  "Xe Wave màu đỏ, biển 59-X1 123.45",
		`document.querySelector('.case-item[data-kind="event"] .text').textContent`:                    "Lảng vảng ở cổng chợ",
		`document.querySelector('.case-item[data-kind="event"] a.watch').getAttribute('href')`:         "/playback?camera=cam-001&at=" + strings.ReplaceAll(downSince.UTC().Format("2006-01-02T15:04:05.000Z"), ":", "%3A"),
		`String(document.querySelector('.case-item[data-kind="event"] img.thumb').naturalWidth)`:       "64",
	} {
		if got := eval(js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}

	// A footage time not in dd/MM/yyyy HH:mm:ss is refused in the page.
	do(chromedp.SetValue(`#case-add-footage select[name=camera_id]`, "cam-002"),
		chromedp.SendKeys(`#case-add-footage input[name=from]`, "09/03/2026 08:00:00"),
		chromedp.SendKeys(`#case-add-footage input[name=to]`, "8 giờ"), chromedp.Click(`#case-add-footage button[type=submit]`))
	wait(`!document.querySelector('#case-add-footage [data-error="to"]').hidden`)
	if got := eval(`document.querySelector('#case-add-footage [data-error="from"]').hidden + ' ' + document.querySelector('#case-add-footage [data-error="to"]').textContent`); got != "true Hãy nhập thời gian dạng dd/MM/yyyy HH:mm:ss (giờ Việt Nam)" {
		t.Errorf("footage time error %q", got)
	}

	// Closed: the add forms go, reopening is offered, and the log lists
	// every action with the officer's name.
	do(chromedp.Click(`#case-state .case-close`))
	wait(`document.getElementById('case').dataset.status === 'closed' && document.getElementById('case-open-forms').hidden`)
	if got := eval(`[...document.querySelectorAll('#case-log tbody tr')].map((r) => r.dataset.action + ' ' + r.querySelector('.user').textContent + ' ' + r.querySelector('.action').textContent).join('\n')`); got !=
		"open officer Mở vụ việc\nadd_item officer Thêm mục\nadd_item officer Thêm mục\nadd_item officer Thêm mục\nremove_item officer Gỡ mục\nclose officer Đóng vụ việc" {
		t.Errorf("log:\n%s", got)
	}
	testutil.Screenshot(t, ctx, "case", testutil.FullPage)

	// The list shows it closed with its two items left.
	do(chromedp.Navigate(e.srv.URL + "/cases?status=closed"))
	wait(`document.querySelector('#case-table tr[data-status="closed"] .items')?.textContent === '2'`)
	testutil.Screenshot(t, ctx, "cases")
}
