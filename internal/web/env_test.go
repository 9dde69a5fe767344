package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

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

// envOption adds to the API that the env serves, e.g. withRecordings.
type envOption func(e *env, api *httpapi.Deps)

func newEnv(t *testing.T, opts ...envOption) *env {
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
	deps := httpapi.Deps{Store: db, Status: e.status, AnalyticsSettings: db, AccessRequests: db, Reports: db}
	for _, o := range opts {
		o(e, &deps)
	}
	api := httpapi.New(deps)
	e.web, err = New(Deps{
		Store:             db,
		Status:            e.status,
		AnalyticsSettings: db,
		Reports:           db,
		AccessRequests:    db,
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
