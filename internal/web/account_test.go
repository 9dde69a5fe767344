package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/testutil"
)

// The account page's actions call API routes of internal/auth; here the
// page itself is checked: who, which role, the forms, in both languages.
func TestAccountPage(t *testing.T) {
	e := newEnv(t)
	evil := &matthan.User{Name: `<b>tuan</b>`, Role: matthan.RoleOfficer, PasswordHash: "x"}
	if err := e.db.CreateUser(t.Context(), evil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, path string
		want, notWant    []string
	}{
		{"admin", "admin", "/account", []string{`lang="vi"`, "Tài khoản của tôi", `id="acct-name">admin<`, "Quản trị", "Đổi mật khẩu",
			"Đăng xuất ở mọi nơi", "Mã truy cập API", `value="admin"`, "/static/account.js"}, nil},
		{"officer in English", "officer", "/account?lang=en", []string{"My account", "Officer on duty", "Sign out everywhere", "API tokens",
			`value="export"`}, []string{`value="admin"`}},
		{"viewer", "viewer", "/account", []string{"Người xem", `value="live"`}, []string{`value="playback"`, `value="export"`}},
		{"escaped name", `<b>tuan</b>`, "/account", []string{"&lt;b&gt;tuan&lt;/b&gt;"}, []string{"<b>tuan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, http.StatusOK, tc.want, tc.notWant, "account.")
		})
	}
	e.signIn("")
	if res, _ := e.get("/account"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Faccount" {
		t.Errorf("signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestAccountPageInBrowser(t *testing.T) {
	e := newEnv(t)
	e.signIn("officer")
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/account"), chromedp.WaitVisible(`#acct-password`),
		// The token list leaves "loading" whatever the API answers.
		chromedp.Poll[chromedp.Void](`!document.querySelector('#acct-tokens tbody').textContent.includes('Đang tải')`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal(err)
	}
	// Two different new passwords are caught before any request.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#acct-password [name=current]`, "cu-1234567"),
		chromedp.SendKeys(`#acct-password [name=new]`, "moi-1234567"),
		chromedp.SendKeys(`#acct-password [name=repeat]`, "khac-1234567"),
		chromedp.Click(`#acct-password button[type=submit]`),
		chromedp.WaitVisible(`#acct-password [data-result]`),
	); err != nil {
		t.Fatal(err)
	}
	if msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#acct-password [data-result]').textContent`)); msg != "Hai lần nhập mật khẩu mới không khớp" {
		t.Errorf("mismatch message %q", msg)
	}
	testutil.Screenshot(t, ctx, "account", testutil.FullPage)
}
