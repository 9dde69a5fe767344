package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
	"matthan/internal/testutil"
)

const (
	lanPassword   = "Lan-mật-khẩu-2026"
	adminPassword = "Quản-trị-viên-01"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	s       *Sessions
	db      *sqlite.DB
	clock   *clock
	logs    *testutil.Logs
	changed []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := openDB(t)
	f := &fixture{db: db, clock: &clock{t: time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)}, logs: &testutil.Logs{}}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.s = NewSessions(db, Config{Now: f.clock.now, Log: log,
		Users:             &Users{Store: db, Now: f.clock.now, Hashing: secret.TestArgon2()},
		OnPasswordChanged: func(u string) { f.changed = append(f.changed, u) }})
	addUser(t, db, "lan", lanPassword, matthan.RoleOfficer)
	addUser(t, db, "admin", adminPassword, matthan.RoleAdmin)
	t.Cleanup(func() {
		for _, pw := range []string{lanPassword, adminPassword, "Mật-khẩu-mới-2026"} {
			if strings.Contains(f.logs.String(), pw) {
				t.Errorf("a password was logged:\n%s", f.logs.String())
			}
		}
	})
	return f
}

func request(method string, cookie *http.Cookie) *http.Request {
	r := httptest.NewRequest(method, "http://node.local:8080/api/cameras", nil)
	r.RemoteAddr = "192.168.1.20:51000"
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return r
}

// signIn signs lan in and returns the session cookie.
func (f *fixture) signIn(t *testing.T) (*http.Cookie, *matthan.Session) {
	t.Helper()
	w := httptest.NewRecorder()
	r := request("POST", nil)
	r.Header.Set("User-Agent", "Chromium wall screen")
	u, sess, err := f.s.SignInSession(r.Context(), w, r, "lan", lanPassword)
	if err != nil || u.Name != "lan" {
		t.Fatalf("sign in: %v %v", u, err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	return cookies[0], sess
}

func (f *fixture) auditActions(t *testing.T) []string {
	t.Helper()
	rows, err := f.db.Audit(context.Background(), matthan.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].User+" "+rows[i].Action)
	}
	return out
}

func TestSignInSetsASecureCookie(t *testing.T) {
	f := newFixture(t)
	c, sess := f.signIn(t)
	if c.Name != CookieName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure ||
		c.MaxAge != int(DefaultLifetime/time.Second) || len(c.Value) != 43 {
		t.Errorf("cookie = %+v", c)
	}
	// Only the token's hash is stored.
	stored, err := f.db.Session(context.Background(), hashToken(c.Value))
	if err != nil {
		t.Fatal(err)
	}
	if stored.User != "lan" || stored.Remote != "192.168.1.20" || stored.UserAgent != "Chromium wall screen" ||
		stored.CSRFToken != sess.CSRFToken || len(sess.CSRFToken) != 43 ||
		!stored.IdleExpires.Equal(f.clock.now().Add(DefaultIdleTimeout)) || !stored.Expires.Equal(f.clock.now().Add(DefaultLifetime)) {
		t.Errorf("stored session = %+v", stored)
	}
	if _, err := f.db.Session(context.Background(), []byte(c.Value)); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Error("the raw token is stored")
	}

	// Over TLS the cookie is Secure.
	w := httptest.NewRecorder()
	r := request("POST", nil)
	r.TLS = &tls.ConnectionState{}
	if _, err := f.s.SignIn(r.Context(), w, r, "lan", lanPassword); err != nil {
		t.Fatal(err)
	}
	if c := w.Result().Cookies()[0]; !c.Secure {
		t.Error("cookie over TLS is not Secure")
	}
	if got := f.auditActions(t); len(got) != 2 || got[0] != "lan session.sign_in" {
		t.Errorf("audit %v", got)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	c, _ := f.signIn(t)
	user := func() error {
		u, _, err := f.s.User(request("GET", c))
		if err == nil && u.Name != "lan" {
			t.Fatalf("user %v", u)
		}
		return err
	}
	// Used every 11 hours, the session lives through the night and beyond.
	for range 3 {
		f.clock.advance(11 * time.Hour)
		if err := user(); err != nil {
			t.Fatalf("used session ended: %v", err)
		}
	}
	// Unused for 12 hours, it ends.
	f.clock.advance(12 * time.Hour)
	if err := user(); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
		t.Fatalf("idle session: %v", err)
	}
	if err := user(); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
		t.Fatalf("ended session came back: %v", err)
	}

	// However much it is used, it ends 7 days after sign-in.
	c, _ = f.signIn(t)
	start := f.clock.now()
	for f.clock.now().Before(start.Add(DefaultLifetime - 10*time.Hour)) {
		f.clock.advance(10 * time.Hour)
		if err := user(); err != nil {
			t.Fatalf("at %v: %v", f.clock.now().Sub(start), err)
		}
	}
	f.clock.advance(10 * time.Hour)
	if err := user(); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
		t.Fatalf("session past its lifetime: %v", err)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t)
	c, sess := f.signIn(t)
	if got := f.s.CSRFToken(request("GET", c)); got != sess.CSRFToken {
		t.Fatalf("CSRFToken = %q, want the session's", got)
	}
	if got := f.s.CSRFToken(request("GET", nil)); got != "" {
		t.Fatalf("CSRFToken without a session = %q", got)
	}
	form := func(token string) *http.Request {
		r := httptest.NewRequest("POST", "http://node.local:8080/cameras/new", strings.NewReader(url.Values{CSRFField: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(c)
		return r
	}
	with := func(method string, hdr ...string) *http.Request {
		r := request(method, c)
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	// A token that differs in its first character (a random token may
	// start with any letter, "x" included).
	wrong := "x" + sess.CSRFToken[1:]
	if sess.CSRFToken[0] == 'x' {
		wrong = "y" + sess.CSRFToken[1:]
	}
	tests := []struct {
		name string
		r    *http.Request
		ok   bool
	}{
		{"GET needs no token", with("GET"), true},
		{"POST with the token", with("POST", CSRFHeader, sess.CSRFToken), true},
		{"DELETE with the token and own origin", with("DELETE", CSRFHeader, sess.CSRFToken, "Origin", "http://node.local:8080"), true},
		{"form with the token", form(sess.CSRFToken), true},
		{"POST without a token", with("POST"), false},
		{"PUT with a wrong token", with("PUT", CSRFHeader, wrong), false},
		{"PATCH with an empty token", with("PATCH", CSRFHeader, ""), false},
		{"form with a wrong token", form("nope"), false},
		{"POST from another site", with("POST", CSRFHeader, sess.CSRFToken, "Origin", "http://evil.example"), false},
		{"POST from another port", with("POST", CSRFHeader, sess.CSRFToken, "Origin", "http://node.local:9999"), false},
		{"POST from a null origin", with("POST", CSRFHeader, sess.CSRFToken, "Origin", "null"), false},
		{"GET (WebSocket) from another site", with("GET", "Origin", "http://evil.example"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, err := range map[string]error{
				"CheckCSRF":    f.s.CheckCSRF(tt.r),
				"Authenticate": func() error { _, _, err := f.s.Authenticate(tt.r); return err }(),
			} {
				if tt.ok && err != nil {
					t.Errorf("%s: %v", name, err)
				}
				if !tt.ok && matthan.ErrorCode(err) != matthan.EFORBIDDEN {
					t.Errorf("%s: err %v, want EFORBIDDEN", name, err)
				}
			}
		})
	}
	// A Basic request (a script) needs no CSRF token, but a browser that
	// cached Basic credentials must not lend them to another site.
	r := request("POST", c)
	r.SetBasicAuth("lan", lanPassword)
	if u, _, err := f.s.Authenticate(r); err != nil || u.Name != "lan" {
		t.Errorf("Basic POST: %v %v", u, err)
	}
	r.Header.Set("Origin", "http://evil.example")
	if _, _, err := f.s.Authenticate(r); matthan.ErrorCode(err) != matthan.EFORBIDDEN {
		t.Errorf("Basic POST from another site: %v", err)
	}
}

func TestSignOutAndRevokeAll(t *testing.T) {
	f := newFixture(t)
	a, _ := f.signIn(t)
	b, _ := f.signIn(t)
	c, _ := f.signIn(t)
	w := httptest.NewRecorder()
	if err := f.s.SignOut(w, request("DELETE", a)); err != nil {
		t.Fatal(err)
	}
	if got := w.Result().Cookies(); len(got) != 1 || got[0].MaxAge >= 0 {
		t.Errorf("sign-out cookie %v", got)
	}
	if _, _, err := f.s.User(request("GET", a)); err == nil {
		t.Error("signed-out session still works")
	}
	if _, _, err := f.s.User(request("GET", b)); err != nil {
		t.Fatal(err)
	}
	n, err := f.s.RevokeAll(context.Background(), "lan", "192.168.1.20")
	if err != nil || n != 2 {
		t.Fatalf("RevokeAll = %d %v", n, err)
	}
	for _, ck := range []*http.Cookie{b, c} {
		if _, _, err := f.s.User(request("GET", ck)); err == nil {
			t.Error("a session survived sign-out everywhere")
		}
	}
	if got := f.auditActions(t); strings.Join(got[3:], ",") != "lan session.sign_out,lan session.revoke_all" {
		t.Errorf("audit %v", got)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	try := func(name, pw, addr string) error {
		r := request("POST", nil)
		r.RemoteAddr = addr + ":4000"
		_, err := f.s.SignIn(ctx, httptest.NewRecorder(), r, name, pw)
		return err
	}
	for i := range DefaultMaxFailures {
		if err := try("lan", "guess", "10.0.0.9"); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The address and the name are blocked, even with the right password.
	for _, tc := range [][3]string{{"lan", lanPassword, "10.0.0.9"}, {"lan", lanPassword, "10.0.0.10"}, {"admin", adminPassword, "10.0.0.9"}} {
		err := try(tc[0], tc[1], tc[2])
		if d, ok := IsLimited(err); !ok || d <= 0 || d > DefaultFailureWindow {
			t.Errorf("%v: err %v, want a LimitError", tc, err)
		}
	}
	// Another name from another address is not.
	if err := try("admin", adminPassword, "10.0.0.11"); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(DefaultFailureWindow)
	if err := try("lan", lanPassword, "10.0.0.9"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	logs := f.logs.String()
	if n := strings.Count(logs, "sign-in failed"); n != DefaultMaxFailures {
		t.Errorf("%d failures logged, want %d", n, DefaultMaxFailures)
	}
	if strings.Contains(logs, "lan") || strings.Contains(logs, "guess") {
		t.Errorf("the typed name or password was logged:\n%s", logs)
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	by := Actor{User: "admin", Remote: "cli"}
	bearer := func(secret string) (*matthan.User, matthan.Scopes, error) {
		r := request("GET", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		return f.s.Authenticate(r)
	}
	secretLive, _, err := f.s.CreateToken(ctx, by, TokenRequest{User: "lan", Name: "wall", Scopes: matthan.Scopes{matthan.ScopeLive},
		ExpiresAt: f.clock.now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secretLive, "mt_") || len(secretLive) != 46 {
		t.Fatalf("secret %q", secretLive)
	}
	u, scopes, err := bearer(secretLive)
	if err != nil || u.Name != "lan" || scopes.String() != "live" {
		t.Fatalf("bearer: %v %v %v", u, scopes, err)
	}
	if toks, _ := f.s.Tokens(ctx, "lan"); len(toks) != 1 || !toks[0].LastUsed.Equal(f.clock.now()) {
		t.Errorf("last used not recorded: %+v", toks)
	}
	// An officer's token cannot have admin.
	_, _, err = f.s.CreateToken(ctx, by, TokenRequest{User: "lan", Scopes: matthan.Scopes{matthan.ScopeAdmin}})
	if matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("officer token with admin scope: %v", err)
	}
	for _, bad := range []string{"", "mt_", "mt_nope", "Bearer", secretLive + "x", "xx" + secretLive[2:]} {
		if _, _, err := bearer(bad); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	f.clock.advance(24 * time.Hour)
	if _, _, err := bearer(secretLive); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
		t.Errorf("expired token: %v", err)
	}
	secretRead, read, err := f.s.CreateToken(ctx, by, TokenRequest{User: "lan", Scopes: matthan.Scopes{matthan.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.RevokeToken(ctx, Actor{User: "lan"}, read.ID, "admin"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("revoking another user's token: %v", err)
	}
	if err := f.s.RevokeToken(ctx, Actor{User: "lan"}, read.ID, "lan"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bearer(secretRead); matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
		t.Errorf("revoked token: %v", err)
	}
	got := f.auditActions(t)
	if strings.Join(got, ",") != "admin token.create,admin token.create,lan token.revoke" {
		t.Errorf("audit %v", got)
	}
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const next = "Mật-khẩu-mới-2026"
	old, _ := f.signIn(t)
	other, _ := f.signIn(t)
	lan, _ := f.db.UserByName(ctx, "lan")
	change := func(current, next string) (*matthan.Session, *httptest.ResponseRecorder, error) {
		w := httptest.NewRecorder()
		sess, err := f.s.ChangePassword(ctx, w, request("POST", old), lan, current, next)
		return sess, w, err
	}
	for _, tc := range []struct{ current, next, field string }{
		{"wrong", next, "current"},
		{lanPassword, "short", "new"},
		{lanPassword, lanPassword, "new"},
	} {
		_, _, err := change(tc.current, tc.next)
		var e *matthan.Error
		if !errors.As(err, &e) || e.Code != matthan.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != tc.field ||
			e.Fields[0].MessageVI == "" || e.Fields[0].MessageVI == e.Fields[0].Message {
			t.Errorf("%+v: err %v", tc, err)
		}
	}
	sess, w, err := change(lanPassword, next)
	if err != nil || sess == nil {
		t.Fatalf("change: %v %v", sess, err)
	}
	// Every old session ended; this browser has a new one.
	for _, c := range []*http.Cookie{old, other} {
		if _, _, err := f.s.User(request("GET", c)); err == nil {
			t.Error("an old session survived the password change")
		}
	}
	if _, _, err := f.s.User(request("GET", w.Result().Cookies()[0])); err != nil {
		t.Errorf("new session: %v", err)
	}
	if _, err := f.s.users.Authenticate(ctx, "lan", lanPassword); err == nil {
		t.Error("old password still works")
	}
	if _, err := f.s.users.Authenticate(ctx, "lan", next); err != nil {
		t.Errorf("new password: %v", err)
	}
	if len(f.changed) != 1 || f.changed[0] != "lan" {
		t.Errorf("OnPasswordChanged calls %v", f.changed)
	}
}

func TestManageUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	by := Actor{User: "admin", Remote: "192.168.1.2"}
	for _, tc := range []struct {
		name, pw string
		role     matthan.Role
		field    string
	}{
		{"", "mười-ký-tự-ok", matthan.RoleViewer, "name"},
		{"có dấu cách", "mười-ký-tự-ok", matthan.RoleViewer, "name"},
		{"a:b", "mười-ký-tự-ok", matthan.RoleViewer, "name"},
		{"hoa", "mười-ký-tự-ok", "operator", "role"},
		{"hoa", "chín-ký-t", matthan.RoleViewer, "password"},
	} {
		_, err := f.s.CreateUser(ctx, by, tc.name, tc.role, tc.pw)
		var e *matthan.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%+v: %v", tc, err)
		}
	}
	u, err := f.s.CreateUser(ctx, by, "cb.hoà", matthan.RoleViewer, "mười-ký-tự-ok")
	if err != nil || u.ID == 0 {
		t.Fatalf("create: %v %v", u, err)
	}
	if _, err := f.s.CreateUser(ctx, by, "cb.hoà", matthan.RoleViewer, "mười-ký-tự-ok"); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := f.s.UpdateUser(ctx, by, "cb.hoà", UserChange{Role: matthan.RoleOfficer}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.UpdateUser(ctx, by, "admin", UserChange{Role: matthan.RoleViewer}); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("demote the last admin: %v", err)
	}
	if err := f.s.DeleteUser(ctx, by, "admin"); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("delete the last admin: %v", err)
	}
	if err := f.s.DeleteUser(ctx, by, "cb.hoà"); err != nil {
		t.Fatal(err)
	}
	got := f.auditActions(t)
	if strings.Join(got, ",") != "admin user.create,admin user.update,admin user.delete" {
		t.Errorf("audit %v", got)
	}
}
