package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/auth"
	"matthan/internal/secret"
)

// Passwords set in these tests; like secrets(), never in a body or a log.
const (
	newAdminPassword = "Mật-khẩu-mới-của-admin"
	hoaPassword      = "Hoa-trực-đêm-2026"
)

// browser is a client with a cookie jar, as the web UI is.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.srv.Client()
	c.Jar = jar
	return &browser{e: e, c: &c}
}

// send makes a request with extra headers (name, value, …) and checks the
// answer for leaked passwords.
func (b *browser) send(method, path string, body any, hdr ...string) resp {
	b.e.t.Helper()
	return b.e.send(b.c, method, path, body, hdr...)
}

func (e *env) send(c *http.Client, method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	for _, s := range append(secrets(), newAdminPassword, hoaPassword) {
		if bytes.Contains(data, []byte(s)) {
			e.t.Errorf("%s %s: response contains a password: %s", method, path, data)
		}
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// signIn signs the browser in and keeps its CSRF token.
func (b *browser) signIn(name, pw string) {
	b.e.t.Helper()
	r := b.send("POST", "/api/session", map[string]string{"name": name, "password": pw})
	if r.status != http.StatusOK {
		b.e.t.Fatalf("sign in as %s: %d %s", name, r.status, r.body)
	}
	b.csrf = decode[sessionView](b.e.t, r).CSRFToken
	if b.csrf == "" {
		b.e.t.Fatalf("no csrf_token: %s", r.body)
	}
}

// write is an unsafe request with the CSRF token.
func (b *browser) write(method, path string, body any) resp {
	b.e.t.Helper()
	return b.send(method, path, body, auth.CSRFHeader, b.csrf)
}

func (e *env) auditActions(action string) []matthan.AuditEntry {
	e.t.Helper()
	rows, err := e.db.Audit(e.t.Context(), matthan.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []matthan.AuditEntry
	for _, r := range rows {
		if r.Action == action {
			out = append(out, *r)
		}
	}
	return out
}

func checkLogsClean(t *testing.T, e *env) {
	t.Cleanup(func() {
		for _, s := range []string{newAdminPassword, hoaPassword} {
			if strings.Contains(e.logs.String(), s) {
				t.Errorf("a password was logged:\n%s", e.logs.String())
			}
		}
	})
}

func TestSessionSignInAndCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("admin", adminPassword)

	who := decode[sessionView](t, b.send("GET", "/api/session", nil))
	if who.User == nil || who.User.Name != "admin" || who.Via != "session" || who.CSRFToken != b.csrf || who.Expires == nil ||
		who.Scopes.String() != "read,live,playback,export,admin" {
		t.Errorf("who am I = %+v", who)
	}
	if r := b.send("GET", "/api/cameras", nil); r.status != http.StatusOK {
		t.Fatalf("GET with the cookie: %d %s", r.status, r.body)
	}
	// Unsafe methods need the CSRF token, from this site.
	expectError(t, b.send("POST", "/api/cameras", cameraBody("cam-1")), 403, matthan.EFORBIDDEN)
	expectError(t, b.send("POST", "/api/cameras", cameraBody("cam-1"), auth.CSRFHeader, "wrong"), 403, matthan.EFORBIDDEN)
	expectError(t, b.send("POST", "/api/cameras", cameraBody("cam-1"), auth.CSRFHeader, b.csrf, "Origin", "http://evil.example"), 403, matthan.EFORBIDDEN)
	if r := b.send("POST", "/api/cameras", cameraBody("cam-1"), auth.CSRFHeader, b.csrf, "Origin", e.srv.URL); r.status != http.StatusCreated {
		t.Fatalf("POST with the token: %d %s", r.status, r.body)
	}
	// Signing in from a page of another site is refused too.
	other := e.browser()
	expectError(t, other.send("POST", "/api/session", map[string]string{"name": "admin", "password": adminPassword}, "Origin", "http://evil.example"),
		403, matthan.EFORBIDDEN)

	// Sign-out needs the token as well, then the cookie is worthless.
	expectError(t, b.send("DELETE", "/api/session", nil), 403, matthan.EFORBIDDEN)
	if r := b.write("DELETE", "/api/session", nil); r.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	expectError(t, b.send("GET", "/api/cameras", nil), 401, matthan.EUNAUTHORIZED)
	// A 401 to the page's fetch() does not invite HTTP Basic: the browser
	// would show its own password dialog over the page.
	r := b.send("GET", "/api/cameras", nil, "Sec-Fetch-Mode", "cors")
	expectError(t, r, 401, matthan.EUNAUTHORIZED)
	if r.header.Get("WWW-Authenticate") != "" {
		t.Error("a 401 to fetch() invites HTTP Basic")
	}
	if n := len(e.auditActions("session.sign_in")); n != 1 {
		t.Errorf("%d sign-in audit rows", n)
	}
	if rows := e.auditActions("session.sign_out"); len(rows) != 1 || rows[0].User != "admin" || rows[0].Remote != "127.0.0.1" {
		t.Errorf("sign-out audit %+v", rows)
	}
}

func TestSignInErrors(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, body := range []any{map[string]string{"name": "admin", "password": "wrong"}, map[string]string{"name": "ghost", "password": adminPassword}} {
		r := b.send("POST", "/api/session", body)
		expectError(t, r, 401, matthan.EUNAUTHORIZED)
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Error("a failed sign-in set a cookie")
		}
	}
	expectError(t, b.send("POST", "/api/session", map[string]any{"name": "admin", "pw": "x"}), 400, matthan.EINVALID)
	expectError(t, b.send("GET", "/api/session", nil), 401, matthan.EUNAUTHORIZED)
	// Signing out without a session is harmless.
	if r := b.send("DELETE", "/api/session", nil); r.status != http.StatusNoContent {
		t.Errorf("sign out without a session: %d", r.status)
	}
}

func TestSignInRateLimit(t *testing.T) {
	e := newEnvWith(t, func(d *Deps) {
		d.Sessions = auth.NewSessions(d.Store.(auth.Store), auth.Config{Now: d.Now, Log: d.Log,
			Users: &auth.Users{Store: d.Store, Now: d.Now, Hashing: secret.TestArgon2()}})
	})
	b := e.browser()
	wrong := map[string]string{"name": "officer", "password": "guess"}
	for range auth.DefaultMaxFailures {
		expectError(t, b.send("POST", "/api/session", wrong), 401, matthan.EUNAUTHORIZED)
	}
	r := b.send("POST", "/api/session", map[string]string{"name": "officer", "password": officerPassword})
	expectError(t, r, http.StatusTooManyRequests, matthan.ETOOMANY)
	if ra := r.header.Get("Retry-After"); ra != "900" {
		t.Errorf("Retry-After %q, want 900", ra)
	}
	// HTTP Basic from the same address is limited as well.
	expectError(t, e.do("GET", "/api/cameras", "viewer", nil), http.StatusTooManyRequests, matthan.ETOOMANY)

	e.advance(auth.DefaultFailureWindow)
	b.signIn("officer", officerPassword)
	if r := e.do("GET", "/api/cameras", "viewer", nil); r.status != http.StatusOK {
		t.Errorf("after the window: %d %s", r.status, r.body)
	}
	if strings.Contains(e.logs.String(), "guess") {
		t.Error("a typed password was logged")
	}
}

func TestRevokeAll(t *testing.T) {
	e := newEnv(t)
	wall, laptop, phone := e.browser(), e.browser(), e.browser()
	wall.signIn("officer", officerPassword)
	laptop.signIn("officer", officerPassword)
	phone.signIn("viewer", viewerPassword)
	r := laptop.write("POST", "/api/session/revoke-all", nil)
	if r.status != http.StatusOK || decode[map[string]int](t, r)["ended"] != 2 {
		t.Fatalf("revoke-all: %d %s", r.status, r.body)
	}
	for _, b := range []*browser{wall, laptop} {
		expectError(t, b.send("GET", "/api/session", nil), 401, matthan.EUNAUTHORIZED)
	}
	// The wall still sends its ended session's cookie: no Basic dialog.
	if h := wall.send("GET", "/api/cameras", nil).header.Get("WWW-Authenticate"); h != "" {
		t.Errorf("WWW-Authenticate %q to a browser with a session cookie", h)
	}
	if r := phone.send("GET", "/api/session", nil); r.status != http.StatusOK {
		t.Errorf("another user's session ended: %d", r.status)
	}
	if rows := e.auditActions("session.revoke_all"); len(rows) != 1 || rows[0].User != "officer" || rows[0].Detail != "sessions=2" {
		t.Errorf("audit %+v", rows)
	}
}

func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	checkLogsClean(t, e)
	b, other := e.browser(), e.browser()
	b.signIn("admin", adminPassword)
	other.signIn("admin", adminPassword)
	for _, tc := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"current": "wrong", "new": newAdminPassword}, "current"},
		{map[string]string{"current": adminPassword, "new": "ngắn"}, "new"},
	} {
		err := expectError(t, b.write("POST", "/api/session/password", tc.body), 400, matthan.EINVALID)
		if len(err.Fields) != 1 || err.Fields[0].Field != tc.field {
			t.Errorf("fields %+v, want %s", err.Fields, tc.field)
		}
	}
	r := b.write("POST", "/api/session/password", map[string]string{"current": adminPassword, "new": newAdminPassword})
	if r.status != http.StatusOK {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	// This browser stays in with a new session and CSRF token; others are out.
	fresh := decode[sessionView](t, r).CSRFToken
	if fresh == "" || fresh == b.csrf {
		t.Errorf("csrf after change %q", fresh)
	}
	b.csrf = fresh
	if r := b.write("POST", "/api/cameras", cameraBody("cam-1")); r.status != http.StatusCreated {
		t.Errorf("after change: %d %s", r.status, r.body)
	}
	expectError(t, other.send("GET", "/api/session", nil), 401, matthan.EUNAUTHORIZED)
	expectError(t, e.do("GET", "/api/cameras", "admin", nil), 401, matthan.EUNAUTHORIZED)
	if r := e.doAuth("GET", "/api/cameras", "admin", newAdminPassword, nil); r.status != http.StatusOK {
		t.Errorf("new password: %d", r.status)
	}
	if n := len(e.auditActions("user.password")); n != 1 {
		t.Errorf("%d password audit rows", n)
	}
}

func TestUsersAdmin(t *testing.T) {
	e := newEnv(t)
	checkLogsClean(t, e)
	expectError(t, e.do("GET", "/api/users", "officer", nil), 403, matthan.EFORBIDDEN)
	expectError(t, e.do("POST", "/api/users", "officer", map[string]string{"name": "hoa", "role": "viewer", "password": hoaPassword}), 403, matthan.EFORBIDDEN)

	r := e.do("POST", "/api/users", "admin", map[string]string{"name": "hoa", "role": "viewer", "password": hoaPassword})
	if r.status != http.StatusCreated || decode[matthan.User](t, r).Name != "hoa" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	expectError(t, e.do("POST", "/api/users", "admin", map[string]string{"name": "hoa", "role": "viewer", "password": hoaPassword}), 409, matthan.ECONFLICT)
	err := expectError(t, e.do("POST", "/api/users", "admin", map[string]string{"name": "x y", "role": "boss", "password": "short"}), 400, matthan.EINVALID)
	if len(err.Fields) != 1 {
		t.Errorf("fields %+v", err.Fields)
	}
	users := decode[[]matthan.User](t, e.do("GET", "/api/users", "admin", nil))
	if len(users) != 4 {
		t.Errorf("users %+v", users)
	}

	hoa := e.browser()
	hoa.signIn("hoa", hoaPassword)
	if r := e.do("PUT", "/api/users/hoa", "admin", map[string]string{"role": "officer"}); r.status != http.StatusOK ||
		decode[matthan.User](t, r).Role != matthan.RoleOfficer {
		t.Fatalf("promote: %d %s", r.status, r.body)
	}
	if r := hoa.send("GET", "/api/session", nil); r.status != http.StatusOK || decode[sessionView](t, r).User.Role != matthan.RoleOfficer {
		t.Errorf("a role change should keep the session and show the new role: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/users/hoa", "admin", map[string]string{"password": hoaPassword + "-2"}); r.status != http.StatusOK {
		t.Fatalf("set password: %d %s", r.status, r.body)
	}
	expectError(t, hoa.send("GET", "/api/session", nil), 401, matthan.EUNAUTHORIZED)

	// The last admin can neither be demoted nor deleted.
	expectError(t, e.do("PUT", "/api/users/admin", "admin", map[string]string{"role": "viewer"}), 409, matthan.ECONFLICT)
	expectError(t, e.do("DELETE", "/api/users/admin", "admin", nil), 409, matthan.ECONFLICT)
	expectError(t, e.do("DELETE", "/api/users/ghost", "admin", nil), 404, matthan.ENOTFOUND)
	if r := e.do("DELETE", "/api/users/hoa", "admin", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, action := range []string{"user.create", "user.update", "user.delete"} {
		if len(e.auditActions(action)) == 0 {
			t.Errorf("no %s audit row", action)
		}
	}
	if rows := e.auditActions("user.update"); len(rows) != 2 || rows[0].Detail != "user=hoa password" {
		t.Errorf("update audit %+v", rows)
	}
}

type tokenView struct {
	Token string `json:"token"`
	matthan.APIToken
}

func TestTokenScopes(t *testing.T) {
	e := newPlaybackEnv(t)
	bearer := func(method, path, token string, body any) resp {
		t.Helper()
		return e.send(e.srv.Client(), method, path, body, "Authorization", "Bearer "+token)
	}
	mk := func(user string, body map[string]any) tokenView {
		t.Helper()
		r := e.do("POST", "/api/tokens", user, body)
		if r.status != http.StatusCreated {
			t.Fatalf("create token %v: %d %s", body, r.status, r.body)
		}
		return decode[tokenView](t, r)
	}
	live := mk("officer", map[string]any{"name": "wall", "scopes": []string{"live"}})
	play := mk("officer", map[string]any{"name": "review", "scopes": []string{"read", "playback"}, "expires": "1h"})
	if !strings.HasPrefix(live.Token, "mt_") || live.User != "officer" || live.Scopes.String() != "live" || !live.ExpiresAt.IsZero() {
		t.Fatalf("token %+v", live)
	}
	if !play.ExpiresAt.Equal(e.now().Add(time.Hour)) {
		t.Errorf("expires_at %v", play.ExpiresAt)
	}
	clip := "/api/cameras/cam-1/clip.mp4?" + rng(pbWall0, pbWall0.Add(2*time.Second))

	if r := bearer("GET", "/api/cameras", live.Token, nil); r.status != http.StatusOK {
		t.Errorf("live token lists cameras: %d", r.status)
	}
	expectError(t, bearer("GET", clip, live.Token, nil), 403, matthan.EFORBIDDEN)
	expectError(t, bearer("POST", "/api/exports", live.Token, map[string]any{}), 403, matthan.EFORBIDDEN)
	if r := bearer("GET", clip, play.Token, nil); r.status != http.StatusOK {
		t.Errorf("playback token fetches a clip: %d %s", r.status, r.body)
	}
	expectError(t, bearer("GET", "/api/exports", play.Token, nil), 403, matthan.EFORBIDDEN)
	if who := decode[sessionView](t, bearer("GET", "/api/session", play.Token, nil)); who.Via != "token" || who.Scopes.String() != "read,playback" {
		t.Errorf("who am I by token: %+v", who)
	}
	// A token makes no token with more than it has; an officer no admin token.
	expectError(t, bearer("POST", "/api/tokens", play.Token, map[string]any{"scopes": []string{"export"}}), 403, matthan.EFORBIDDEN)
	expectError(t, e.do("POST", "/api/tokens", "officer", map[string]any{"scopes": []string{"admin"}}), 403, matthan.EFORBIDDEN)
	expectError(t, e.do("POST", "/api/tokens", "viewer", map[string]any{"scopes": []string{"live"}, "user": "officer"}), 403, matthan.EFORBIDDEN)
	expectError(t, e.do("POST", "/api/tokens", "officer", map[string]any{"scopes": []string{"root"}}), 400, matthan.EINVALID)
	expectError(t, e.do("POST", "/api/tokens", "officer", map[string]any{"scopes": []string{"live"}, "expires": "soon"}), 400, matthan.EINVALID)
	// An admin makes one for another user, within that user's role.
	if tv := mk("admin", map[string]any{"scopes": []string{"live"}, "user": "viewer"}); tv.User != "viewer" {
		t.Errorf("admin-made token %+v", tv)
	}
	expectError(t, e.do("POST", "/api/tokens", "admin", map[string]any{"scopes": []string{"playback"}, "user": "viewer"}), 400, matthan.EINVALID)

	// Lists: one's own; an admin sees all. Secrets never come back.
	mine := decode[[]tokenView](t, e.do("GET", "/api/tokens", "officer", nil))
	all := decode[[]tokenView](t, e.do("GET", "/api/tokens", "admin", nil))
	if len(mine) != 2 || len(all) != 3 || mine[0].Token != "" || strings.Contains(string(e.do("GET", "/api/tokens", "admin", nil).body), "mt_") {
		t.Errorf("lists: mine %d, all %d", len(mine), len(all))
	}

	// Expired and revoked tokens get 401.
	e.advance(time.Hour)
	expectError(t, bearer("GET", "/api/cameras", play.Token, nil), 401, matthan.EUNAUTHORIZED)
	expectError(t, e.do("DELETE", "/api/tokens/"+itoa(live.ID), "viewer", nil), 404, matthan.ENOTFOUND)
	if r := bearer("DELETE", "/api/tokens/"+itoa(live.ID), live.Token, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke own token: %d %s", r.status, r.body)
	}
	expectError(t, bearer("GET", "/api/cameras", live.Token, nil), 401, matthan.EUNAUTHORIZED)
	if n := len(e.auditActions("token.create")); n != 3 {
		t.Errorf("%d token.create rows", n)
	}
	if n := len(e.auditActions("token.revoke")); n != 1 {
		t.Errorf("%d token.revoke rows", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestMetricsNeedTokenOrLoopback(t *testing.T) {
	e := newEnv(t)
	// The test server is on loopback: allowed (TestHealthzAndMetrics).
	tok := decode[tokenView](t, e.do("POST", "/api/tokens", "viewer", map[string]any{"name": "prometheus", "scopes": []string{"read"}}))
	get := func(hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/metrics", nil) // from 192.0.2.1
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		e.api.Handler().ServeHTTP(w, req)
		return w
	}
	for name, tc := range map[string]struct {
		hdr    []string
		status int
	}{
		"no token":  {nil, 401},
		"password":  {[]string{"Authorization", "Basic YWRtaW46eA=="}, 401},
		"bad token": {[]string{"Authorization", "Bearer mt_nope"}, 401},
		"token":     {[]string{"Authorization", "Bearer " + tok.Token}, 200},
	} {
		if w := get(tc.hdr...); w.Code != tc.status {
			t.Errorf("%s: %d, want %d: %s", name, w.Code, tc.status, w.Body)
		} else if tc.status == 200 && !strings.Contains(w.Body.String(), "matthan_up 1") {
			t.Errorf("%s: body %q", name, w.Body)
		}
	}
}
