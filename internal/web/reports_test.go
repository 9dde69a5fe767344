package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/report/reporttest"
	"matthan/internal/testutil"
)

// reportsOn makes the pages read the seeded ward of reporttest at its time.
func (e *env) reportsOn() {
	e.t.Helper()
	ward, path := reporttest.Open(e.t)
	reporttest.Seed(e.t, ward, path)
	e.web.deps.Store, e.web.deps.Reports = ward, ward
	e.web.now = func() time.Time { return reporttest.Now }
}

func TestReportsPage(t *testing.T) {
	e := newEnv(t)
	e.reportsOn()
	e.signIn("officer")
	body := e.checkPage(t, "/reports?period=2026-10", 200, []string{
		"Báo cáo an ninh trật tự: tháng 10/2026", "Từ 01/10/2026 đến 31/10/2026", "Số camera: 4",
		`data-figure="events">10<`, `data-figure="confirmed">3<`, `data-figure="false">2<`, "60%",
		"Người đi xe máy không đội mũ bảo hiểm", `<td class="num">3</td><td class="num">6</td><td>giảm 50%</td>`,
		`data-figure="sent">3<`, `data-figure="acked">2<`, `data-figure="uptime">97,97%<`,
		"<td>Cổng chợ An Bình (rp-cho)</td><td>Khóm 1</td><td class=\"num\">98,92%</td><td class=\"num\">8</td><td>Mất kết nối camera</td>",
		"<td>Nhà ông Sáu (rp-ongsau)</td><td>Khóm 2</td><td class=\"num\">Không có dữ liệu</td>",
		`data-figure="raised">447.000.000 ₫<`, `data-figure="spent">8.500.000 ₫<`,
		"Quỹ chung / camera đã xóa",
		`href="/api/reports/ward.csv?period=2026-10"`, `href="/api/reports/ward.pdf?period=2026-10"`,
		`<option value="2026-10" selected>Tháng 10/2026</option>`, `<option value="2026-Q4" >Quý IV/2026</option>`,
		`<a href="/reports" aria-current="page">Báo cáo</a>`,
	}, nil, "report.")
	hours := between(body, `data-chart="hours"`, "</svg>")
	if n := strings.Count(hours, `class="bar"`); n != 24 {
		t.Errorf("%d bars by hour, want 24", n)
	}
	if n := strings.Count(between(body, `data-chart="traffic-0"`, "</svg>"), `class="bar"`); n != 31 {
		t.Errorf("%d bars of no-helmet days, want 31", n)
	}

	// One area, in English.
	e.checkPage(t, "/reports?period=2026-Q4&area=Kh%C3%B3m+2&lang=en", 200, []string{
		"Ward report: Q4 2026 · Khóm 2", "The period is not over: figures up to 20/11/2026 10:00:00.",
		"Three riders on a motorbike", "Events by hour of day", "Previous: Q3 2026",
		`href="/api/reports/ward.csv?area=Kh%C3%B3m&#43;2&amp;period=2026-Q4"`, `<option value="Khóm 2" selected>Khóm 2</option>`,
		`data-figure="spent">1.200.000 ₫<`,
	}, []string{"Cổng chợ An Bình"}, "report.")

	// A bad period is said, and this month is shown instead.
	e.checkPage(t, "/reports?period=2026-13&lang=vi", 200, []string{"Kỳ báo cáo không hợp lệ", "Báo cáo an ninh trật tự: tháng 11/2026"}, nil, "report.")

	// Viewers may not; contributors go to their portal.
	e.signIn("viewer")
	e.checkPage(t, "/reports", 403, []string{"Vai trò của bạn không được xem trang này"}, []string{"Báo cáo an ninh"}, "report.")
	if err := e.db.CreateUser(t.Context(), &matthan.User{Name: "nha-co-ba", Role: matthan.RoleContributor, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	e.signIn("nha-co-ba")
	if res, _ := e.get("/reports"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/my" {
		t.Errorf("a contributor: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The nav shows the page to officers only.
	e.signIn("viewer")
	if _, body := e.get("/"); strings.Contains(body, `href="/reports"`) {
		t.Error("a viewer's nav links to the reports")
	}
}

// TestReportsWithoutData: a ward with nothing recorded says so, in words
// and in its charts, rather than drawing zeros.
func TestReportsWithoutData(t *testing.T) {
	e := newEnv(t)
	e.web.now = func() time.Time { return reporttest.Now }
	body := e.checkPage(t, "/reports?period=2026-10", 200, []string{"Không có dữ liệu — không có sự kiện nào trong kỳ",
		"Trong kỳ không gửi phiếu nhắc nhở nào.", "Trong kỳ không có khoản đóng góp hay khoản chi nào.", `data-figure="uptime">Không có dữ liệu<`}, nil, "report.")
	if strings.Contains(body, `class="bar"`) {
		t.Error("a chart without data has bars")
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

func TestReportsInBrowser(t *testing.T) {
	e := newEnv(t)
	e.reportsOn()
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	eval, wait := browserPage(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/reports?period=2026-Q4"), chromedp.WaitVisible(`#report-form`)); err != nil {
		t.Fatal(err)
	}
	count := func(sel string) string {
		return eval(`String(document.querySelectorAll(` + jsString(sel) + `).length)`)
	}
	for sel, want := range map[string]string{
		`[data-chart=hours] svg rect.bar`:              "24",
		`[data-chart=types] svg .bar`:                  "4",
		`[data-chart=review] svg rect.bar`:             "3",
		`[data-chart=traffic-0] svg rect.bar`:          "8", // weeks begun by 20/11
		`[data-chart=traffic-0] svg .nodata-mark`:      "6", // weeks to come: no data, not zero
		`[data-chart=traffic-0] svg polyline.prev`:     "1", // the third quarter
		`[data-chart=traffic-1] svg circle.prev-point`: "14",
	} {
		if got := count(sel); got != want {
			t.Errorf("%s: %s, want %s", sel, got, want)
		}
	}
	// The charts are drawn, not just present: the hour chart has width.
	if w := eval(`String(Math.round(document.querySelector('[data-chart=hours] svg').getBoundingClientRect().width))`); w == "0" {
		t.Error("the hour chart has no width")
	}
	if h := eval(`document.querySelector('[data-chart=hours] rect.bar[data-label="7"]').getAttribute('data-value')`); h != "4" {
		t.Errorf("7 h: %s events, want 4", h)
	}

	// Choose October for Khóm 1 with the pickers.
	eval(`(() => { const f = document.getElementById('report-form');
		f.elements.period.value = '2026-10'; f.elements.area.value = 'Khóm 1'; return ''; })()`)
	if err := chromedp.Do(ctx, chromedp.Click(`#report-form button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`location.search.includes('period=2026-10') && document.querySelectorAll('[data-chart=traffic-0] svg rect.bar').length === 31`)
	if got := eval(`document.querySelector('h1').textContent`); got != "Báo cáo an ninh trật tự: tháng 10/2026 · Khóm 1" {
		t.Errorf("title %q", got)
	}
	if got := eval(`document.querySelector('[data-figure=raised]').textContent`); got != "217.500.000 ₫" {
		t.Errorf("raised in Khóm 1: %q", got)
	}
	if got := eval(`document.getElementById('report-pdf').getAttribute('href')`); got != "/api/reports/ward.pdf?area=Kh%C3%B3m+1&period=2026-10" {
		t.Errorf("pdf link %q", got)
	}

	// English by the switch the other pages use; the charts follow.
	if err := chromedp.Do(ctx, chromedp.Click(`a.lang`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.documentElement.lang === 'en'`)
	if got := eval(`document.querySelector('h1').textContent`); got != "Ward report: October 2026 · Khóm 1" {
		t.Errorf("English title %q", got)
	}
	if got := eval(`document.querySelector('[data-chart=hours] svg title').textContent`); got != "Events by hour of day" {
		t.Errorf("English chart %q", got)
	}
	if got := count(`[data-chart=traffic-0] svg rect.bar`); got != "31" {
		t.Errorf("English no-helmet bars: %s", got)
	}
	testutil.Screenshot(t, ctx, "reports", testutil.FullPage)
}

var jsQuote = regexp.MustCompile(`[\\']`)

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string { return "'" + jsQuote.ReplaceAllString(s, `\$0`) + "'" }
