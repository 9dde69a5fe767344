package httpapi

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/auth"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
	"matthan/internal/testutil"
)

// Secrets that must never come back in a response body or a log line.
const (
	camPassword     = "Cam3ra-S3cret!"
	urlPassword     = "pa55-in-url#9"
	queryPassword   = "qp-Secret-77"
	adminPassword   = "admin-pw-Đúng"
	viewerPassword  = "viewer-pw"
	officerPassword = "officer-pw"
)

func secrets() []string {
	return []string{camPassword, urlPassword, queryPassword, adminPassword, viewerPassword, officerPassword}
}

// userHashes are made once, in secret.HashPassword's documented format but
// with few PBKDF2 rounds: the real count costs seconds under -race, and
// secret.CheckPassword reads the count from the hash.
var userHashes = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for name, pw := range map[string]string{"admin": adminPassword, "viewer": viewerPassword, "officer": officerPassword} {
		salt := []byte("salt-" + name)
		sum, err := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
		if err != nil {
			panic(err)
		}
		b64 := base64.RawStdEncoding
		h := "pbkdf2-sha256$1000$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(sum)
		if !secret.CheckPassword(h, pw) || secret.CheckPassword(h, pw+"x") {
			panic("test hash format no longer matches internal/secret")
		}
		m[name] = h
	}
	return m
})

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

// env is a server on a real SQLite store, with every response checked for
// leaked secrets.
type env struct {
	t      *testing.T
	db     *sqlite.DB
	srv    *httptest.Server
	api    *Server
	status *fakeStatus
	logs   *testutil.Logs
	clock  time.Time

	mu      sync.Mutex
	changed []string
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith builds an env; edit, if set, changes the API's Deps.
func newEnvWith(t *testing.T, edit func(*Deps)) *env {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for name, h := range userHashes() {
		role := matthan.Role(name)
		if err := db.CreateUser(ctx, &matthan.User{Name: name, Role: role, PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}

	e := &env{t: t, db: db, status: &fakeStatus{m: map[string][]matthan.StreamStatus{}},
		logs: &testutil.Logs{}, clock: time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)}
	deps := Deps{
		Store:  db,
		Status: e.status,
		OnCameraChanged: func(id string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.changed = append(e.changed, id)
		},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "matthan_up 1\n")
		}),
		Log:            slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:            e.now,
		AccessRequests: db,
		Reports:        db,
	}
	// Cheap argon2id costs: the real ones take ~200 ms a hash under -race.
	// Tests try many wrong passwords from one address; the rate limiter's
	// own tests (session_test.go) use the real limit.
	deps.Sessions = auth.NewSessions(db, auth.Config{Now: e.now, Log: deps.Log, MaxFailures: 1000,
		Users: &auth.Users{Store: db, Now: e.now, Log: deps.Log, Hashing: secret.TestArgon2()}})
	if edit != nil {
		edit(&deps)
	}
	e.api = New(deps)
	e.srv = httptest.NewServer(e.api.Handler())
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		// No password ever reaches the logs.
		logs := e.logs.String()
		for _, s := range secrets() {
			if strings.Contains(logs, s) {
				t.Errorf("log output contains secret %q:\n%s", s, logs)
			}
		}
	})
	return e
}

// addContributors creates contributor accounts that sign in with the
// officer's test password, and returns a request as one of them.
func (e *env) addContributors(names ...string) func(user, method, path string, body any) resp {
	e.t.Helper()
	for _, name := range names {
		if err := e.db.CreateUser(e.t.Context(), &matthan.User{Name: name, Role: matthan.RoleContributor, PasswordHash: userHashes()["officer"]}); err != nil {
			e.t.Fatal(err)
		}
	}
	return func(user, method, path string, body any) resp {
		e.t.Helper()
		return e.doAuth(method, path, user, officerPassword, body)
	}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request as user (with their real password; "" for none).
func (e *env) do(method, path, user string, body any) resp {
	e.t.Helper()
	pw := map[string]string{"admin": adminPassword, "viewer": viewerPassword, "officer": officerPassword}[user]
	return e.doAuth(method, path, user, pw, body)
}

func (e *env) doAuth(method, path, user, pw string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range secrets() {
		if bytes.Contains(data, []byte(s)) {
			e.t.Errorf("%s %s: response contains secret %q: %s", method, path, s, data)
		}
	}
	if len(data) > 0 && !strings.HasPrefix(path, "/healthz") && !strings.HasPrefix(path, "/metrics") {
		if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

func (e *env) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = e.clock.Add(d)
}

func (e *env) changedIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.changed)
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// apiError is the error body.
type apiError struct {
	Error matthan.Error `json:"error"`
}

// expectError checks status, code and that every message is bilingual.
func expectError(t *testing.T, r resp, status int, code string) matthan.Error {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	e := decode[apiError](t, r).Error
	if e.Code != code {
		t.Errorf("code = %q, want %q", e.Code, code)
	}
	if e.Message == "" || e.MessageVI == "" || e.Message == e.MessageVI {
		t.Errorf("error not bilingual: %+v", e)
	}
	for _, f := range e.Fields {
		if f.Field == "" || f.Message == "" || f.MessageVI == "" || f.Message == f.MessageVI {
			t.Errorf("field error not bilingual: %+v", f)
		}
	}
	return e
}

func fieldNames(e matthan.Error) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// cameraBody is a valid create body; tests change it.
func cameraBody(id string) map[string]any {
	return map[string]any{
		"id":        id,
		"name":      "Ngã tư chợ " + id,
		"area":      "Khóm 1",
		"address":   "1 Lê Lợi",
		"latitude":  10.03,
		"longitude": 105.78,
		"owner":     map[string]any{"kind": "shop", "name": "Tạp hóa Bà Tư", "contact": "0912345678"},
		"source":    "pull",
		"main_url":  "rtsp://192.168.1.64:554/Streaming/Channels/101",
		"sub_url":   "rtsp://192.168.1.64:554/Streaming/Channels/102",
		"username":  "admin",
		"password":  camPassword,
		"tags":      []string{"chợ"},
	}
}

// view mirrors cameraView for decoding responses.
type view struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Area        string   `json:"area"`
	MainURL     string   `json:"main_url"`
	SubURL      string   `json:"sub_url"`
	Username    string   `json:"username"`
	HasPassword bool     `json:"has_password"`
	Enabled     bool     `json:"enabled"`
	Tags        []string `json:"tags"`
	Owner       matthan.Owner
	Streams     []map[string]any `json:"streams"`
}

func TestHealthzAndMetrics(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/healthz", "", nil)
	if r.status != 200 || string(r.body) != "ok" {
		t.Errorf("healthz = %d %q", r.status, r.body)
	}
	r = e.do("GET", "/metrics", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "matthan_up 1") {
		t.Errorf("metrics = %d %q", r.status, r.body)
	}
	if r := e.do("POST", "/healthz", "", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", r.status)
	}
}

func TestCameraLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	// Create.
	r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-001"))
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	if loc := r.header.Get("Location"); loc != "/api/cameras/cam-001" {
		t.Errorf("Location = %q", loc)
	}
	v := decode[view](t, r)
	if v.ID != "cam-001" || v.Name != "Ngã tư chợ cam-001" || !v.HasPassword || !v.Enabled || v.Username != "admin" {
		t.Errorf("created view = %+v", v)
	}
	if bytes.Contains(r.body, []byte(`"password"`)) {
		t.Errorf("response has a password key: %s", r.body)
	}
	stored, err := e.db.Camera(ctx, "cam-001")
	if err != nil || stored.Password != camPassword {
		t.Fatalf("stored password = %q, %v", stored.Password, err)
	}

	// Get and list; each stream reports a state even before ingest speaks.
	v = decode[view](t, e.do("GET", "/api/cameras/cam-001", "viewer", nil))
	if len(v.Streams) != 2 || v.Streams[0]["role"] != "main" || v.Streams[0]["state"] != "connecting" {
		t.Errorf("streams = %v", v.Streams)
	}
	for _, key := range []string{"state", "reason", "reason_vi", "fps", "bitrate", "codec", "width", "height",
		"keyframe_interval", "packets_lost", "reconnects", "last_frame_at", "since"} {
		if _, ok := v.Streams[0][key]; !ok {
			t.Errorf("stream lacks %q: %v", key, v.Streams[0])
		}
	}
	list := decode[[]view](t, e.do("GET", "/api/cameras", "officer", nil))
	if len(list) != 1 || list[0].ID != "cam-001" || list[0].Area != "Khóm 1" {
		t.Errorf("list = %+v", list)
	}

	// Update without a password keeps it.
	body := cameraBody("cam-001")
	delete(body, "password")
	body["name"] = "Cổng trường"
	body["enabled"] = false
	r = e.do("PUT", "/api/cameras/cam-001", "admin", body)
	if r.status != 200 {
		t.Fatalf("update = %d %s", r.status, r.body)
	}
	v = decode[view](t, r)
	if v.Name != "Cổng trường" || v.Enabled || !v.HasPassword || v.Streams[0]["state"] != "disabled" {
		t.Errorf("updated view = %+v", v)
	}
	if stored, _ := e.db.Camera(ctx, "cam-001"); stored.Password != camPassword {
		t.Errorf("password lost on update: %q", stored.Password)
	}

	// Enabled omitted on update keeps the stored value; "" clears the password.
	delete(body, "enabled")
	body["password"] = ""
	v = decode[view](t, e.do("PUT", "/api/cameras/cam-001", "admin", body))
	if v.Enabled || v.HasPassword {
		t.Errorf("after clearing: enabled=%v has_password=%v", v.Enabled, v.HasPassword)
	}
	if stored, _ := e.db.Camera(ctx, "cam-001"); stored.Password != "" {
		t.Errorf("password not cleared")
	}

	// Sending back what was read (read-only fields included) is accepted.
	var echo map[string]any
	json.Unmarshal(e.do("GET", "/api/cameras/cam-001", "admin", nil).body, &echo)
	if r := e.do("PUT", "/api/cameras/cam-001", "admin", echo); r.status != 200 {
		t.Errorf("round trip PUT = %d %s", r.status, r.body)
	}

	// Delete.
	if r := e.do("DELETE", "/api/cameras/cam-001", "admin", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", r.status, r.body)
	}
	expectError(t, e.do("GET", "/api/cameras/cam-001", "admin", nil), 404, matthan.ENOTFOUND)

	if got := e.changedIDs(); !slices.Equal(got, []string{"cam-001", "cam-001", "cam-001", "cam-001", "cam-001"}) {
		t.Errorf("OnCameraChanged calls = %v", got)
	}

	// Every change is audited, newest first.
	audit, err := e.db.Audit(ctx, matthan.AuditFilter{CameraID: "cam-001"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
		if a.User != "admin" || a.Remote != "127.0.0.1" || !a.At.Equal(e.clock) {
			t.Errorf("audit entry = %+v", a)
		}
	}
	want := []string{"camera.delete", "camera.update", "camera.update", "camera.update", "camera.create"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
	if d := audit[3].Detail; !strings.Contains(d, "name") || !strings.Contains(d, "enabled") || strings.Contains(d, "password") {
		t.Errorf("first update detail = %q", d)
	}
	if d := audit[2].Detail; d != "changed: password" {
		t.Errorf("clearing update detail = %q", d)
	}
	// Reads are not audited.
	if n := len(audit); n != 5 {
		t.Errorf("%d audit rows", n)
	}
}

func TestListFilters(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		id, area, owner string
		enabled         bool
	}{
		{"cam-a", "Khóm 1", "ward", true},
		{"cam-b", "Khóm 1", "shop", true},
		{"cam-c", "Khóm 2", "household", false},
		{"cam-d", "Khóm 2", "shop", true},
	} {
		b := cameraBody(c.id)
		b["area"], b["enabled"] = c.area, c.enabled
		b["owner"] = map[string]any{"kind": c.owner, "name": "Chủ " + c.id, "contact": "ba.tu@example.vn"}
		if r := e.do("POST", "/api/cameras", "admin", b); r.status != 201 {
			t.Fatalf("create %s: %d %s", c.id, r.status, r.body)
		}
	}
	e.status.set("cam-a", matthan.StreamStatus{CameraID: "cam-a", Role: matthan.StreamMain,
		Health: matthan.Health{State: matthan.StateStreaming, Reason: "Receiving video", ReasonVI: "Đang nhận hình",
			Since: e.clock},
		Stats: matthan.StreamStats{FPS: 25, Bitrate: 4e6, Codec: "H265", Width: 1920, Height: 1080,
			KeyframeInterval: 2, Reconnects: 3, LastFrameAt: e.clock}})
	e.status.set("cam-b", matthan.StreamStatus{CameraID: "cam-b", Role: matthan.StreamMain,
		Health: matthan.Health{State: matthan.StateOffline, Reason: "Connection refused", ReasonVI: "Bị từ chối kết nối"}})

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"cam-a", "cam-b", "cam-c", "cam-d"}},
		{"?area=Kh%C3%B3m%201", []string{"cam-a", "cam-b"}},
		{"?owner=shop", []string{"cam-b", "cam-d"}},
		{"?enabled=false", []string{"cam-c"}},
		{"?enabled=true&area=Kh%C3%B3m%202", []string{"cam-d"}},
		{"?status=streaming", []string{"cam-a"}},
		{"?status=offline", []string{"cam-b"}},
		{"?status=connecting", []string{"cam-d"}},
		{"?status=disabled", []string{"cam-c"}},
		{"?area=none", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := e.do("GET", "/api/cameras"+tc.query, "viewer", nil)
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			var ids []string
			for _, v := range decode[[]view](t, r) {
				ids = append(ids, v.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ids = %v, want %v", ids, tc.want)
			}
			if len(tc.want) == 0 && strings.TrimSpace(string(r.body)) != "[]" {
				t.Errorf("empty list body = %s", r.body)
			}
		})
	}

	// The live figures come through, flat on each stream.
	list := decode[[]view](t, e.do("GET", "/api/cameras?status=streaming", "viewer", nil))
	s := list[0].Streams[0]
	if s["fps"] != 25.0 || s["bitrate"] != 4e6 || s["codec"] != "H265" || s["width"] != 1920.0 ||
		s["reason_vi"] != "Đang nhận hình" || s["reconnects"] != 3.0 || s["last_frame_at"] != "2026-01-15T08:00:00Z" {
		t.Errorf("stream = %v", s)
	}
	if s := list[0].Streams[1]; s["role"] != "sub" || s["state"] != "connecting" {
		t.Errorf("unreported sub stream = %v", s)
	}

	for _, q := range []string{"?owner=police", "?enabled=maybe", "?status=happy"} {
		expectError(t, e.do("GET", "/api/cameras"+q, "viewer", nil), 400, matthan.EINVALID)
	}
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		edit   func(b map[string]any)
		fields []string
	}{
		{"bad id", func(b map[string]any) { b["id"] = "Cam 1" }, []string{"id"}},
		{"no name", func(b map[string]any) { b["name"] = "" }, []string{"name"}},
		{"no location", func(b map[string]any) { b["latitude"], b["longitude"] = 0, 0 }, []string{"location"}},
		{"latitude", func(b map[string]any) { b["latitude"] = 100 }, []string{"latitude"}},
		{"owner", func(b map[string]any) { b["owner"] = map[string]any{"kind": "shop"} }, []string{"owner.name", "owner.contact"}},
		{"http url", func(b map[string]any) { b["main_url"] = "http://x/" }, []string{"main_url"}},
		{"no main url", func(b map[string]any) { delete(b, "main_url") }, []string{"main_url"}},
		{"tags", func(b map[string]any) { b["tags"] = []string{"a,b"} }, []string{"tags"}},
		{"several", func(b map[string]any) { b["id"], b["area"], b["source"] = "", "", "ftp" }, []string{"id", "area", "source"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := cameraBody("cam-v")
			tc.edit(b)
			err := expectError(t, e.do("POST", "/api/cameras", "admin", b), 400, matthan.EINVALID)
			if got := fieldNames(err); !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
	// The Vietnamese message carries diacritics.
	b := cameraBody("cam-v")
	b["name"] = ""
	err := expectError(t, e.do("POST", "/api/cameras", "admin", b), 400, matthan.EINVALID)
	if err.Fields[0].MessageVI != "Tên camera là bắt buộc" {
		t.Errorf("name message_vi = %q", err.Fields[0].MessageVI)
	}
	if cams, _ := e.db.Cameras(context.Background(), matthan.CameraFilter{}); len(cams) != 0 {
		t.Errorf("invalid cameras were stored: %d", len(cams))
	}
	if n := len(e.changedIDs()); n != 0 {
		t.Errorf("OnCameraChanged called %d times for rejected input", n)
	}
}

func TestPresets(t *testing.T) {
	e := newEnv(t)
	brands := decode[[]matthan.Brand](t, e.do("GET", "/api/presets", "viewer", nil))
	if len(brands) != 4 || brands[0].ID != "hikvision" || brands[0].Name != "Hikvision" {
		t.Errorf("presets = %+v", brands)
	}

	for _, tc := range []struct {
		preset    map[string]any
		main, sub string
	}{
		{map[string]any{"brand": "hikvision", "host": "192.168.1.64", "channel": 1},
			"rtsp://192.168.1.64:554/Streaming/Channels/101", "rtsp://192.168.1.64:554/Streaming/Channels/102"},
		{map[string]any{"brand": "kbvision", "host": "10.0.0.9", "port": 8554, "channel": 3},
			"rtsp://10.0.0.9:8554/cam/realmonitor?channel=3&subtype=0", "rtsp://10.0.0.9:8554/cam/realmonitor?channel=3&subtype=1"},
	} {
		b := cameraBody("cam-p-" + tc.preset["brand"].(string))
		delete(b, "main_url")
		delete(b, "sub_url")
		b["preset"] = tc.preset
		r := e.do("POST", "/api/cameras", "admin", b)
		if r.status != 201 {
			t.Fatalf("create with preset: %d %s", r.status, r.body)
		}
		v := decode[view](t, r)
		if v.MainURL != tc.main || v.SubURL != tc.sub {
			t.Errorf("preset urls = %q %q, want %q %q", v.MainURL, v.SubURL, tc.main, tc.sub)
		}
	}

	b := cameraBody("cam-p-bad")
	delete(b, "main_url")
	delete(b, "sub_url")
	b["preset"] = map[string]any{"brand": "axis"}
	err := expectError(t, e.do("POST", "/api/cameras", "admin", b), 400, matthan.EINVALID)
	if got := fieldNames(err); !slices.Equal(got, []string{"preset.brand", "preset.host"}) {
		t.Errorf("bad preset fields = %v", got)
	}

	b = cameraBody("cam-p-both")
	b["preset"] = map[string]any{"brand": "dahua", "host": "h"}
	err = expectError(t, e.do("POST", "/api/cameras", "admin", b), 400, matthan.EINVALID)
	if got := fieldNames(err); !slices.Equal(got, []string{"preset"}) {
		t.Errorf("preset with URLs fields = %v", got)
	}
}

func TestCredentialsInURLAreMovedAndRedacted(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	b := cameraBody("cam-url")
	delete(b, "password")
	delete(b, "username")
	b["main_url"] = "rtsp://operator:" + urlPassword + "@192.168.1.70/Streaming/Channels/101"
	r := e.do("POST", "/api/cameras", "admin", b)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	v := decode[view](t, r)
	if v.MainURL != "rtsp://192.168.1.70/Streaming/Channels/101" || v.Username != "operator" || !v.HasPassword {
		t.Errorf("view = %+v", v)
	}
	stored, _ := e.db.Camera(ctx, "cam-url")
	if stored.Password != urlPassword || stored.MainURL != "rtsp://192.168.1.70/Streaming/Channels/101" {
		t.Errorf("stored = %q %q", stored.MainURL, stored.Password)
	}

	// A password some cameras take in the query is shown redacted, and
	// sending the redacted URL back keeps the real one.
	b = cameraBody("cam-q")
	b["main_url"] = "rtsp://10.0.0.8/live?user=admin&password=" + queryPassword
	r = e.do("POST", "/api/cameras", "admin", b)
	v = decode[view](t, r)
	if v.MainURL != "rtsp://10.0.0.8/live?user=admin&password=***" {
		t.Errorf("redacted url = %q", v.MainURL)
	}
	b["main_url"] = v.MainURL
	if r := e.do("PUT", "/api/cameras/cam-q", "admin", b); r.status != 200 {
		t.Fatalf("put = %d %s", r.status, r.body)
	}
	if stored, _ := e.db.Camera(ctx, "cam-q"); !strings.HasSuffix(stored.MainURL, queryPassword) {
		t.Errorf("round trip replaced the URL: %q", stored.MainURL)
	}
	list := e.do("GET", "/api/cameras", "viewer", nil)
	if !bytes.Contains(list.body, []byte("password=***")) {
		t.Errorf("list not redacted: %s", list.body)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name, method, path, user, pw string
		body                         any
		status                       int
	}{
		{"no credentials", "GET", "/api/cameras", "", "", nil, 401},
		{"wrong password", "GET", "/api/cameras", "admin", "nope", nil, 401},
		{"unknown user", "GET", "/api/cameras", "ghost", adminPassword, nil, 401},
		{"viewer lists", "GET", "/api/cameras", "viewer", viewerPassword, nil, 200},
		{"officer gets", "GET", "/api/cameras/cam-1", "officer", officerPassword, nil, 200},
		{"viewer health", "GET", "/api/cameras/cam-1/health", "viewer", viewerPassword, nil, 200},
		{"viewer cannot create", "POST", "/api/cameras", "viewer", viewerPassword, cameraBody("cam-2"), 403},
		{"officer cannot update", "PUT", "/api/cameras/cam-1", "officer", officerPassword, cameraBody("cam-1"), 403},
		{"officer cannot delete", "DELETE", "/api/cameras/cam-1", "officer", officerPassword, nil, 403},
		{"officer cannot read audit", "GET", "/api/audit", "officer", officerPassword, nil, 403},
		{"no credentials for presets", "GET", "/api/presets", "", "", nil, 401},
		{"admin reads audit", "GET", "/api/audit", "admin", adminPassword, nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.doAuth(tc.method, tc.path, tc.user, tc.pw, tc.body)
			switch tc.status {
			case 401:
				expectError(t, r, 401, matthan.EUNAUTHORIZED)
				if h := r.header.Get("WWW-Authenticate"); h != `Basic realm="matthan"` {
					t.Errorf("WWW-Authenticate = %q", h)
				}
			case 403:
				expectError(t, r, 403, matthan.EFORBIDDEN)
			default:
				if r.status != tc.status {
					t.Errorf("status = %d, want %d: %s", r.status, tc.status, r.body)
				}
			}
		})
	}
	// Forbidden attempts changed nothing and were not audited as changes.
	audit := decode[[]matthan.AuditEntry](t, e.do("GET", "/api/audit", "admin", nil))
	if len(audit) != 1 || audit[0].Action != "camera.create" || audit[0].CameraID != "cam-1" {
		t.Errorf("audit = %+v", audit)
	}
	if r := e.do("GET", "/api/audit?camera=cam-9", "admin", nil); strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("filtered audit = %s", r.body)
	}
	expectError(t, e.do("GET", "/api/audit?limit=0", "admin", nil), 400, matthan.EINVALID)
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	big := `{"id":"cam-big","notes":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	for _, tc := range []struct {
		name, body, wantEN string
		fields             []string
	}{
		{"syntax", `{"id": "cam-1",}`, "Malformed JSON at byte", nil},
		{"truncated", `{"id": "cam-1"`, "Malformed JSON", nil},
		{"empty", ``, "empty", nil},
		{"unknown field", `{"id":"cam-1","colour":"red"}`, "unknown field", []string{"colour"}},
		{"wrong type", `{"id":"cam-1","latitude":"north"}`, "wrong type", []string{"latitude"}},
		{"array", `[1,2]`, "must be a JSON object", nil},
		{"two objects", `{"id":"a"} {"id":"b"}`, "exactly one JSON object", nil},
		{"too big", big, "larger than 1 MiB", nil},
		{"password wrong type", `{"id":"cam-1","password":12345}`, "wrong type", []string{"password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := expectError(t, e.do("POST", "/api/cameras", "admin", tc.body), 400, matthan.EINVALID)
			if !strings.Contains(err.Message, tc.wantEN) {
				t.Errorf("message = %q, want it to contain %q", err.Message, tc.wantEN)
			}
			if got := fieldNames(err); !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
	// Same rules on update.
	e.do("POST", "/api/cameras", "admin", cameraBody("cam-1"))
	expectError(t, e.do("PUT", "/api/cameras/cam-1", "admin", `{"nope":1}`), 400, matthan.EINVALID)
}

func TestNotFoundAndConflict(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != 201 {
		t.Fatalf("create = %d", r.status)
	}
	expectError(t, e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")), 409, matthan.ECONFLICT)
	expectError(t, e.do("GET", "/api/cameras/cam-x", "viewer", nil), 404, matthan.ENOTFOUND)
	expectError(t, e.do("PUT", "/api/cameras/cam-x", "admin", cameraBody("cam-x")), 404, matthan.ENOTFOUND)
	expectError(t, e.do("DELETE", "/api/cameras/cam-x", "admin", nil), 404, matthan.ENOTFOUND)
	expectError(t, e.do("GET", "/api/cameras/cam-x/health", "viewer", nil), 404, matthan.ENOTFOUND)
	err := expectError(t, e.do("PUT", "/api/cameras/cam-1", "admin", cameraBody("cam-2")), 400, matthan.EINVALID)
	if got := fieldNames(err); !slices.Equal(got, []string{"id"}) {
		t.Errorf("id change fields = %v", got)
	}
	if got := e.changedIDs(); !slices.Equal(got, []string{"cam-1"}) {
		t.Errorf("OnCameraChanged = %v", got)
	}
}

func TestHealthEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.do("POST", "/api/cameras", "admin", cameraBody("cam-1"))
	for i, to := range []matthan.StreamState{matthan.StateStreaming, matthan.StateOffline} {
		ev := &matthan.HealthEvent{CameraID: "cam-1", Stream: matthan.StreamMain, To: to,
			Reason: "r", ReasonVI: "lý do", At: e.clock.Add(time.Duration(i) * time.Minute)}
		if err := e.db.AddHealthEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	events := decode[[]matthan.HealthEvent](t, e.do("GET", "/api/cameras/cam-1/health", "viewer", nil))
	if len(events) != 2 || events[0].To != matthan.StateOffline || events[1].To != matthan.StateStreaming {
		t.Errorf("events = %+v", events)
	}
	events = decode[[]matthan.HealthEvent](t, e.do("GET", "/api/cameras/cam-1/health?since=2026-01-15T15:00:30%2B07:00", "viewer", nil))
	if len(events) != 1 || events[0].To != matthan.StateOffline {
		t.Errorf("events since = %+v", events)
	}
	events = decode[[]matthan.HealthEvent](t, e.do("GET", "/api/cameras/cam-1/health?limit=1", "viewer", nil))
	if len(events) != 1 {
		t.Errorf("limit=1 gave %d events", len(events))
	}
	err := expectError(t, e.do("GET", "/api/cameras/cam-1/health?since=yesterday&limit=x", "viewer", nil), 400, matthan.EINVALID)
	if got := fieldNames(err); !slices.Equal(got, []string{"since", "limit"}) {
		t.Errorf("fields = %v", got)
	}
}

// failingStore breaks one call to show how unclassified errors are handled.
type failingStore struct{ matthan.Store }

func (failingStore) Cameras(context.Context, matthan.CameraFilter) ([]*matthan.Camera, error) {
	return nil, errors.New("disk on fire")
}

func TestInternalErrorIsHiddenAndLoggedOnce(t *testing.T) {
	e := newEnvWith(t, func(d *Deps) { d.Store = failingStore{d.Store} })
	r := e.do("GET", "/api/cameras", "viewer", nil)
	err := expectError(t, r, 500, matthan.EINTERNAL)
	if strings.Contains(string(r.body), "disk on fire") {
		t.Errorf("internal error leaked: %s", r.body)
	}
	if n := strings.Count(e.logs.String(), "disk on fire"); n != 1 {
		t.Errorf("real error logged %d times, want 1:\n%s", n, e.logs.String())
	}
	if err.Message == "" {
		t.Error("no message")
	}
}

func TestMetricsDisabled(t *testing.T) {
	s := New(Deps{})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("metrics without a handler = %d", rec.Code)
	}
}
