package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan/internal/testutil"
)

// get fetches path without following redirects.
func (e *env) get(path string, cookies ...*http.Cookie) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestLoginPageInBothLanguages(t *testing.T) {
	e := newEnv(t)
	e.signIn("")
	res, body := e.get("/login")
	if res.StatusCode != 200 || !strings.Contains(body, "Đăng nhập") || !strings.Contains(body, `lang="vi"`) {
		t.Fatalf("vi login: %d\n%s", res.StatusCode, body)
	}
	res, body = e.get("/login?lang=en")
	if res.StatusCode != 200 || !strings.Contains(body, "Sign in") || !strings.Contains(body, `lang="en"`) {
		t.Fatalf("en login: %d\n%s", res.StatusCode, body)
	}
	var lang *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == langCookie {
			lang = c
		}
	}
	if lang == nil || lang.Value != "en" {
		t.Fatalf("no language cookie: %v", res.Cookies())
	}
	if _, body = e.get("/login", lang); !strings.Contains(body, "User name") {
		t.Fatal("the language cookie is not honoured")
	}
}

func TestLoginKeepsNextOnThisSite(t *testing.T) {
	e := newEnv(t)
	e.signIn("")
	for next, want := range map[string]string{
		"/health":              "/health",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
		`/\evil.example`:       "/",
	} {
		_, body := e.get("/login?next=" + next)
		if !strings.Contains(body, `data-next="`+want+`"`) {
			t.Errorf("next=%q: want %q in the form", next, want)
		}
	}
	e.signIn("admin")
	if res, _ := e.get("/login?next=/health"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/health" {
		t.Errorf("signed in: %d %q, want a redirect to /health", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestStaticAssetsAreEmbedded(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/static/app.css", "/static/app.js", "/static/login.js", "/static/favicon.svg"} {
		if res, body := e.get(p); res.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

// TestLoginPageRunsInBrowser loads the sign-in page in chromium and checks
// that its scripts run without errors (the module graph loads).
func TestLoginPageRunsInBrowser(t *testing.T) {
	e := newEnv(t)
	e.signIn("")
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(`#login`),
	); err != nil {
		t.Fatal(err)
	}
	// Signing in with a wrong password shows the API's message in Vietnamese
	// (the stand-in sign-in has no /api/session yet: any error shows).
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`input[name=name]`, "admin"),
		chromedp.SendKeys(`input[name=password]`, "wrong"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`#login-error`),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#login-error').textContent`))
	if err != nil || msg == "" {
		t.Fatalf("no error shown: %q %v", msg, err)
	}
}

// checkPage fetches path as the signed-in user and checks its status, that
// it shows every want and no notWant, and that no message key starting with
// prefix is left untranslated. It returns the page.
func (e *env) checkPage(t *testing.T, path string, status int, want, notWant []string, prefix string) string {
	t.Helper()
	res, body := e.get(path)
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d\n%s", res.StatusCode, status, body)
	}
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	for _, s := range notWant {
		if strings.Contains(body, s) {
			t.Errorf("page has %q", s)
		}
	}
	if k := untranslated(body, prefix); k != "" {
		t.Errorf("message key %q is shown untranslated", k)
	}
	return body
}
