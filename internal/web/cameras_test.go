package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/testutil"
)

const camTestPassword = "mat-khau-camera-42"

func TestCameraPages(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c, err := e.db.Camera(ctx, "cam-003")
	if err != nil {
		t.Fatal(err)
	}
	c.Username, c.Password = "admin", camTestPassword
	c.QuotaBytes = 2_500_000_000
	if err := e.db.UpdateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	evil := &matthan.Camera{ID: "cam-evil", Name: `<img src=x onerror=alert(1)>`, Area: "Khóm 3", Latitude: 10.03, Longitude: 105.77,
		Owner: matthan.Owner{Kind: matthan.OwnerWard}, Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/x", Enabled: false}
	if err := e.db.CreateCamera(ctx, evil); err != nil {
		t.Fatal(err)
	}
	e.status.set("cam-002", matthan.StreamStatus{Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateAuthFailed,
		Reason: "the camera refused the user name or password", ReasonVI: "camera từ chối tên đăng nhập hoặc mật khẩu",
		Since: time.Date(2026, 1, 15, 1, 2, 3, 0, time.UTC)}})

	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
	}{
		{"list", "admin", "/cameras", 200, []string{`lang="vi"`, "Quản lý camera", "Cổng chợ An Bình", `data-camera="cam-004"`,
			"Hộ gia đình", "Sai mật khẩu", "camera từ chối tên đăng nhập hoặc mật khẩu · 15/01/2026 08:02:03", "Đang tắt",
			`data-search="cam-001 cổng chợ an bình khóm 1`, `href="/cameras/new"`}, nil},
		{"list in English", "admin", "/cameras?lang=en", 200, []string{"Household", "Wrong password", "the camera refused the user name or password", "Delete"}, nil},
		{"new", "admin", "/cameras/new", 200, []string{`data-mode="new"`, `name="id"`, "Kiểm tra kết nối", "Tạo camera", `value="household"`}, []string{`name="tags"`}},
		{"edit", "admin", "/cameras/cam-003/edit", 200, []string{`data-mode="edit"`, `data-id="cam-003"`, `value="Tiệm vàng Kim Long"`,
			`value="shop" selected`, "Để trống để giữ mật khẩu đã lưu", `value="2.5"`, `value="rtsp://127.0.0.1:1/cam-003/main"`},
			[]string{camTestPassword, `name="id"`}},
		{"edit in English", "admin", "/cameras/cam-001/edit?lang=en", 200, []string{"Test connection", "No password stored", "Save"}, []string{camTestPassword}},
		{"unknown camera", "admin", "/cameras/cam-404/edit", 404, nil, []string{"cam-form"}},
		{"officer", "officer", "/cameras", 403, []string{"Vai trò của bạn không được xem trang này"}, []string{"cam-table"}},
		{"viewer", "viewer", "/cameras/new", 403, nil, []string{"cam-form"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			body := e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, "camera.")
			if strings.Contains(body, "<img src=x") {
				t.Error("a camera's name is not escaped")
			}
		})
	}
	e.signIn("")
	for _, p := range []string{"/cameras", "/cameras/new", "/cameras/cam-001/edit"} {
		if res, _ := e.get(p); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape(p) {
			t.Errorf("%s signed out: %d %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

func TestCameraFormInBrowser(t *testing.T) {
	e := newEnv(t)
	c2, err := e.db.Camera(t.Context(), "cam-002")
	if err != nil {
		t.Fatal(err)
	}
	c2.Username, c2.Password = "admin", camTestPassword
	if err := e.db.UpdateCamera(t.Context(), c2); err != nil {
		t.Fatal(err)
	}
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	eval, wait := browserPage(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/cameras/new"), chromedp.WaitVisible(`#cam-form`)); err != nil {
		t.Fatal(err)
	}
	// The brand list comes from /api/presets and fills the URLs.
	wait(`document.querySelectorAll('#cam-brand option').length > 1`)
	eval(`document.getElementById('cam-brand').value = 'hikvision';
		document.getElementById('cam-host').value = '192.168.1.64';
		document.getElementById('cam-channel').value = '2';
		document.getElementById('cam-fill').click(); ''`)
	if got := eval(`document.querySelector('[name=main_url]').value + ' ' + document.querySelector('[name=sub_url]').value`); got !=
		"rtsp://192.168.1.64:554/Streaming/Channels/201 rtsp://192.168.1.64:554/Streaming/Channels/202" {
		t.Errorf("preset URLs: %q", got)
	}

	// A bad URL: the API's message shows under the field.
	fill := func(mainURL string) {
		eval(fmt.Sprintf(`(() => {
			const f = document.getElementById('cam-form').elements;
			f.namedItem('id').value = 'cam-new';
			f.namedItem('name').value = 'Ngõ 5 "Hòa Bình"';
			f.namedItem('area').value = 'Khóm 3';
			f.namedItem('latitude').value = '10.0355';
			f.namedItem('longitude').value = '105.7733';
			f.namedItem('owner.kind').value = 'ward';
			f.namedItem('main_url').value = %q;
			f.namedItem('sub_url').value = '';
			f.namedItem('username').value = 'admin';
			f.namedItem('password').value = %q;
			return '';
		})()`, mainURL, camTestPassword))
	}
	fill("http://127.0.0.1/cam")
	if err := chromedp.Do(ctx, chromedp.Click(`#cam-form button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.querySelector('[data-error="main_url"]').hidden`)
	if msg := eval(`document.querySelector('[data-error="main_url"]').textContent`); !strings.Contains(msg, "rtsp://") {
		t.Errorf("main_url error %q", msg)
	}
	if eval(`document.querySelector('[name=main_url]').getAttribute('aria-invalid') || ''`) != "true" {
		t.Error("the bad field is not marked")
	}
	testutil.Screenshot(t, ctx, "camera-form", testutil.FullPage)

	// Test connection to a port nobody listens on: the reason in words.
	closed := "rtsp://127.0.0.1:9/cam"
	fill(closed)
	if err := chromedp.Do(ctx, chromedp.Click(`#cam-test`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('#cam-test-result li[data-role="main"]') !== null`)
	if got := eval(`document.getElementById('cam-test-result').textContent`); !strings.Contains(got, "Không kết nối được") || !strings.Contains(got, "Luồng chính") {
		t.Errorf("test result %q", got)
	}

	// Fixed, it is created and the list shows it.
	fill("rtsp://127.0.0.1:8554/cam-new")
	if err := chromedp.Do(ctx, chromedp.Click(`#cam-form button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`location.pathname === '/cameras' && document.querySelector('tr[data-camera="cam-new"]') !== null`)
	c, err := e.db.Camera(t.Context(), "cam-new")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != `Ngõ 5 "Hòa Bình"` || c.Password != camTestPassword || !c.Enabled || c.Latitude != 10.0355 {
		t.Errorf("stored %+v", c)
	}

	// Disable from the list.
	if err := chromedp.Do(ctx, chromedp.Click(`tr[data-camera="cam-002"] button[data-toggle="off"]`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('tr[data-camera="cam-002"] button[data-toggle="on"]') !== null`)
	if c, err := e.db.Camera(t.Context(), "cam-002"); err != nil || c.Enabled || c.Password != camTestPassword || c.SubURL != c2.SubURL {
		t.Errorf("after disabling: %+v %v", c, err)
	}

	// Delete asks first, naming the camera.
	if err := chromedp.Do(ctx, chromedp.Click(`tr[data-camera="cam-new"] button[data-delete]`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('cam-delete-dialog').open`)
	if q := eval(`document.getElementById('cam-delete-text').textContent`); !strings.Contains(q, `«Ngõ 5 "Hòa Bình"» (cam-new)`) {
		t.Errorf("confirmation %q", q)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#cam-delete-yes`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('tr[data-camera="cam-new"]') === null && !document.getElementById('cam-delete-dialog').open`)
	if _, err := e.db.Camera(t.Context(), "cam-new"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	// The filter box hides what does not match.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#cam-filter`, "kim long")); err != nil {
		t.Fatal(err)
	}
	if n := eval(`String([...document.querySelectorAll('#cam-table tbody tr')].filter(r => !r.hidden).length)`); n != "1" {
		t.Errorf("%s rows shown for 'kim long'", n)
	}
	testutil.Screenshot(t, ctx, "cameras", testutil.FullPage)
}
