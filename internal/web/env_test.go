package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/httpapi"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
	"matthan/internal/testutil"
)

// env is the screen on a real SQLite store with the real JSON API beside
// it, as the node serves them. Sign-in is stood in for: every request is
// from env.user (pages get it from Deps.User, the API through HTTP Basic
// added by the test server), so page tests do not depend on sessions.
type env struct {
	t      *testing.T
	db     *sqlite.DB
	srv    *httptest.Server
	web    *Server
	status *fakeStatus
	logs   *testutil.Logs

	mu   sync.Mutex
	user *matthan.User // nil: nobody is signed in
}

const testPassword = "test-password-1"

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash, err := secret.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	users := map[matthan.Role]*matthan.User{}
	for _, role := range []matthan.Role{matthan.RoleAdmin, matthan.RoleOfficer, matthan.RoleViewer} {
		u := &matthan.User{Name: string(role), Role: role, PasswordHash: hash}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users[role] = u
	}
	for _, c := range testCameras() {
		if err := db.CreateCamera(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, db: db, status: &fakeStatus{m: map[string][]matthan.StreamStatus{}}, logs: &testutil.Logs{},
		user: users[matthan.RoleAdmin]}
	api := httpapi.New(httpapi.Deps{Store: db, Status: e.status})
	e.web, err = New(Deps{
		Store:  db,
		Status: e.status,
		User: func(r *http.Request) (*matthan.User, error) {
			if u := e.signedIn(); u != nil {
				return u, nil
			}
			return nil, matthan.Errorf(matthan.EUNAUTHORIZED, "Sign in", "Đăng nhập")
		},
		CSRFToken: func(*http.Request) string { return "test-csrf" },
		Log:       slog.New(slog.NewTextHandler(e.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := e.signedIn(); u != nil {
			r.SetBasicAuth(u.Name, testPassword)
		}
		api.Handler().ServeHTTP(w, r)
	}))
	mux.Handle("/", e.web.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) signedIn() *matthan.User {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.user
}

// signIn makes the next requests come from user name ("" signs out).
func (e *env) signIn(name string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "" {
		e.user = nil
		return
	}
	u, err := e.db.UserByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	e.user = u
}

// testCameras is a small ward: public and contributed cameras in two areas.
func testCameras() []*matthan.Camera {
	cam := func(id, name, area string, owner matthan.Owner, lat, lng float64) *matthan.Camera {
		return &matthan.Camera{ID: id, Name: name, Area: area, Address: "12 Lê Lợi", Latitude: lat, Longitude: lng,
			Owner: owner, Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/" + id + "/main",
			SubURL: "rtsp://127.0.0.1:1/" + id + "/sub", Enabled: true}
	}
	return []*matthan.Camera{
		cam("cam-001", "Cổng chợ An Bình", "Khóm 1", matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND phường"}, 10.0301, 105.7701),
		cam("cam-002", "Ngã ba Trần Phú", "Khóm 1", matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND phường"}, 10.0312, 105.7722),
		cam("cam-003", "Tiệm vàng Kim Long", "Khóm 2", matthan.Owner{Kind: matthan.OwnerShop, Name: "Tiệm vàng Kim Long"}, 10.0333, 105.7690),
		cam("cam-004", "Nhà ông Sáu", "Khóm 2", matthan.Owner{Kind: matthan.OwnerHousehold, Name: "Nguyễn Văn Sáu"}, 10.0340, 105.7711),
	}
}

// fakeStatus is a StatusSource with fixed answers.
type fakeStatus struct {
	mu sync.Mutex
	m  map[string][]matthan.StreamStatus
}

func (f *fakeStatus) Status(id string) []matthan.StreamStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[id]
}

func (f *fakeStatus) set(id string, st ...matthan.StreamStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[id] = st
}

// browser starts a headless Debian chromium for the test and returns a
// context to drive it with chromedp.
func browser(t *testing.T) context.Context {
	t.Helper()
	const bin = "/usr/bin/chromium"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("Debian's chromium is not installed (make setup installs it): ", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1920, 1080),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser; it must not run under a
	// timeout, which would stop the whole browser when it fires.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal("start chromium: ", err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}
