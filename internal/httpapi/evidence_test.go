package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/export"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/playback/playbacktest"
)

// fakeClocks is a ClockSource with fixed offsets.
type fakeClocks struct {
	mu sync.Mutex
	m  map[string]time.Duration // "camera/role"
}

func (f *fakeClocks) ClockOffset(id string, role matthan.StreamRole) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.m[id+"/"+string(role)]
	return d, ok
}

// evidenceEnv is an API with recordings of "cam-1" (two 3-second segments
// of H.264 + AAC with a 10-second offline gap between them, from
// 15/01/2026 08:00:00 Vietnam time), a second camera "cam-2" with none,
// evidence export into exportDir, and camera clocks.
type evidenceEnv struct {
	*env
	dir       string
	exportDir string
	key       ed25519.PrivateKey
	clocks    *fakeClocks
	segs      []*matthan.Segment
}

func newEvidenceEnv(t *testing.T, record bool) *evidenceEnv {
	t.Helper()
	ee := &evidenceEnv{dir: t.TempDir(), exportDir: filepath.Join(t.TempDir(), "exports"),
		key:    ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)),
		clocks: &fakeClocks{m: map[string]time.Duration{}}}
	ee.env = newEnvWith(t, func(d *Deps) {
		index := d.Store.(matthan.RecordingIndex) // the same SQLite database
		d.Recordings, d.RecordingsDir = index, ee.dir
		d.Exports = &export.Deps{Store: d.Store.(export.Store), Index: index, RecordDir: ee.dir,
			ExportDir: ee.exportDir, Key: ee.key, NodeName: "node-test", Now: d.Now}
		d.Clocks = ee.clocks
	})
	for _, id := range []string{"cam-1", "cam-2"} {
		if r := ee.do("POST", "/api/cameras", "admin", cameraBody(id)); r.status != http.StatusCreated {
			t.Fatalf("create camera: %d %s", r.status, r.body)
		}
	}
	if record {
		c := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 6}, pbWall0)
		ee.segs = playbacktest.Record(t, ee.dir, ee.db, playbacktest.Recording{CameraID: "cam-1", Clip: c, Wall0: pbWall0,
			Segment: 3 * time.Second, GapAfter: map[int]time.Duration{0: 10 * time.Second}})
		if len(ee.segs) != 2 {
			t.Fatalf("%d segments", len(ee.segs))
		}
		gap := &matthan.Gap{CameraID: "cam-1", Stream: matthan.StreamMain, Start: ee.segs[0].End, End: ee.segs[1].Start,
			Reason: matthan.GapOffline, Detail: "camera unreachable"}
		if err := ee.db.AddGap(t.Context(), gap); err != nil {
			t.Fatal(err)
		}
	}
	return ee
}

// raw fetches a path as user without do's JSON checks.
func (e *env) raw(method, path, user string, hdr map[string]string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	pw := map[string]string{"admin": adminPassword, "viewer": viewerPassword, "officer": officerPassword}[user]
	req.SetBasicAuth(user, pw)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: body}
}

// auditRows returns the audit rows of an action, newest first.
func (e *env) auditRows(action string) []*matthan.AuditEntry {
	e.t.Helper()
	all, err := e.db.Audit(e.t.Context(), matthan.AuditFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*matthan.AuditEntry
	for _, a := range all {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

func TestEvidenceLocks(t *testing.T) {
	e := newEvidenceEnv(t, true)
	body := map[string]any{"from": "15/01/2026 07:59:00", "to": "2026-01-15T08:01:00+07:00",
		"case": "VV-12/2026", "reason": "Trộm xe máy trước chợ"}
	r := e.do("POST", "/api/cameras/cam-1/locks", "officer", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create lock = %d %s", r.status, r.body)
	}
	l := decode[lockView](t, r)
	want := lockView{ID: l.ID, CameraID: "cam-1", Start: pbWall0.Add(-time.Minute), End: pbWall0.Add(time.Minute),
		StartLocal: "15/01/2026 07:59:00", EndLocal: "15/01/2026 08:01:00", Case: "VV-12/2026",
		Reason: "Trộm xe máy trước chợ", CreatedBy: "officer", CreatedAt: e.now(), CreatedAtLocal: "15/01/2026 15:00:00", Active: true}
	if l.ID == 0 || !l.Start.Equal(want.Start) || !l.End.Equal(want.End) || !l.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("lock = %+v, want %+v", l, want)
	}
	l.Start, l.End, l.CreatedAt = want.Start, want.End, want.CreatedAt
	if l != want {
		t.Errorf("lock = %+v\nwant %+v", l, want)
	}
	// A second lock on another camera, for the filters.
	body2 := map[string]any{"from": "15/01/2026 09:00:00", "to": "15/01/2026 10:00:00", "case": "VV-13/2026", "reason": "Đánh nhau"}
	if r := e.do("POST", "/api/cameras/cam-2/locks", "admin", body2); r.status != http.StatusCreated {
		t.Fatalf("create lock = %d %s", r.status, r.body)
	}

	audits := e.auditRows("evidence.lock")
	if len(audits) != 2 {
		t.Fatalf("%d evidence.lock audit rows, want 2", len(audits))
	}
	a := audits[len(audits)-1] // the first lock
	if a.User != "officer" || a.CameraID != "cam-1" || !strings.Contains(a.Detail, "VV-12/2026") ||
		!strings.Contains(a.Detail, "15/01/2026 07:59:00") || !strings.Contains(a.Detail, "Trộm xe máy") {
		t.Errorf("audit row %+v", a)
	}

	list := func(q string) []lockView {
		t.Helper()
		r := e.do("GET", "/api/locks"+q, "officer", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /api/locks%s = %d %s", q, r.status, r.body)
		}
		return decode[[]lockView](t, r)
	}
	ids := func(ls []lockView) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Case)
		}
		return out
	}
	for q, want := range map[string][]string{
		"":                                   {"VV-12/2026", "VV-13/2026"},
		"?camera=cam-1":                      {"VV-12/2026"},
		"?camera=cam-2&active=1":             {"VV-13/2026"},
		"?camera=nope":                       nil,
		"?from=15/01/2026%2009:30:00":        {"VV-13/2026"},
		"?to=15/01/2026%2008:30:00&active=1": {"VV-12/2026"},
	} {
		if got := ids(list(q)); !slices.Equal(got, want) {
			t.Errorf("GET /api/locks%s: cases %v, want %v", q, got, want)
		}
	}

	// A lock keeps footage from retention only: it is still played back
	// and exported as before.
	if r := e.raw("GET", "/api/cameras/cam-1/clip.mp4?"+rng(pbWall0, pbWall0.Add(2*time.Second)), "officer", nil); r.status != http.StatusOK {
		t.Errorf("clip of locked footage = %d %s", r.status, r.body)
	}

	// Release, with a reason.
	path := "/api/locks/" + strconv.FormatInt(l.ID, 10) + "/release"
	e.advance(time.Hour)
	r = e.do("POST", path, "officer", map[string]string{"reason": "Đã xử lý xong vụ việc"})
	if r.status != http.StatusOK {
		t.Fatalf("release = %d %s", r.status, r.body)
	}
	rel := decode[lockView](t, r)
	if rel.Active || rel.ReleasedBy != "officer" || rel.ReleasedAt == nil || !rel.ReleasedAt.Equal(e.now()) ||
		rel.ReleasedAtLocal != "15/01/2026 16:00:00" {
		t.Errorf("released lock %+v", rel)
	}
	un := e.auditRows("evidence.unlock")
	if len(un) != 1 || un[0].User != "officer" || un[0].CameraID != "cam-1" ||
		!strings.Contains(un[0].Detail, "Đã xử lý xong vụ việc") || !strings.Contains(un[0].Detail, "VV-12/2026") {
		t.Errorf("unlock audit rows %+v", un)
	}
	if got := ids(list("?active=1")); !slices.Equal(got, []string{"VV-13/2026"}) {
		t.Errorf("active locks after release: %v", got)
	}
	all := list("?camera=cam-1")
	if len(all) != 1 || all[0].Active || all[0].ReleasedBy != "officer" {
		t.Errorf("released lock is not listed as history: %+v", all)
	}
	// Releasing again conflicts; a release without a body works.
	expectError(t, e.do("POST", path, "admin", nil), http.StatusConflict, matthan.ECONFLICT)
	if len(e.auditRows("evidence.unlock")) != 1 {
		t.Error("a refused release was audited")
	}
	other := list("?camera=cam-2")[0]
	if r := e.do("POST", "/api/locks/"+strconv.FormatInt(other.ID, 10)+"/release", "admin", nil); r.status != http.StatusOK {
		t.Errorf("release without a body = %d %s", r.status, r.body)
	}
	for _, p := range []string{"/api/locks/999/release", "/api/locks/abc/release", "/api/locks/-1/release"} {
		expectError(t, e.do("POST", p, "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
	}
	expectError(t, e.do("POST", "/api/cameras/nope/locks", "officer", body), http.StatusNotFound, matthan.ENOTFOUND)
}

func TestEvidenceLockValidation(t *testing.T) {
	e := newEvidenceEnv(t, false)
	tests := []struct {
		name   string
		body   any
		fields []string
	}{
		{"empty", map[string]any{}, []string{"from", "to", "case", "reason"}},
		{"blank text", map[string]any{"from": "15/01/2026 08:00:00", "to": "15/01/2026 09:00:00", "case": " ", "reason": "\t"}, []string{"case", "reason"}},
		{"bad times", map[string]any{"from": "yesterday", "to": "31/02/2026 08:00:00", "case": "c", "reason": "r"}, []string{"from", "to"}},
		{"to before from", map[string]any{"from": "15/01/2026 09:00:00", "to": "15/01/2026 08:00:00", "case": "c", "reason": "r"}, []string{"to"}},
		{"reason too long", map[string]any{"from": "15/01/2026 08:00:00", "to": "15/01/2026 09:00:00", "case": "c", "reason": strings.Repeat("x", 2001)}, []string{"reason"}},
		{"unknown field", map[string]any{"from": "15/01/2026 08:00:00", "start": "x"}, []string{"start"}},
		{"wrong type", map[string]any{"from": 5}, []string{"from"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/cameras/cam-1/locks", "officer", tc.body)
			got := expectError(t, r, http.StatusBadRequest, matthan.EINVALID)
			if !slices.Equal(fieldNames(got), tc.fields) {
				t.Errorf("fields %v, want %v", fieldNames(got), tc.fields)
			}
		})
	}
	expectError(t, e.do("POST", "/api/cameras/cam-1/locks", "officer", "not json"), http.StatusBadRequest, matthan.EINVALID)
	r := e.do("GET", "/api/locks?active=maybe", "officer", nil)
	if got := expectError(t, r, http.StatusBadRequest, matthan.EINVALID); !slices.Equal(fieldNames(got), []string{"active"}) {
		t.Errorf("fields %v", fieldNames(got))
	}
	expectError(t, e.do("GET", "/api/locks?from=soon", "officer", nil), http.StatusBadRequest, matthan.EINVALID)
	r = e.do("POST", "/api/locks/1/release", "officer", `{"why": "x"}`)
	if got := expectError(t, r, http.StatusBadRequest, matthan.EINVALID); !slices.Equal(fieldNames(got), []string{"why"}) {
		t.Errorf("fields %v", fieldNames(got))
	}
	if n := len(e.auditRows("evidence.lock")); n != 0 {
		t.Errorf("%d audit rows for refused locks", n)
	}
	if locks, err := e.db.Locks(t.Context(), matthan.LockFilter{}); err != nil || len(locks) != 0 {
		t.Errorf("locks stored from invalid requests: %v %v", locks, err)
	}
}

// createdExport mirrors the POST /api/exports response.
type createdExport struct {
	exportView
	NodeID    string   `json:"node_id"`
	PublicKey string   `json:"public_key"`
	Warnings  []string `json:"warnings"`
}

func TestExportOverHTTP(t *testing.T) {
	e := newEvidenceEnv(t, true)
	body := map[string]any{"cameras": []string{"cam-1"}, "from": "15/01/2026 08:00:00", "to": "15/01/2026 08:00:20",
		"reason": "Công an phường yêu cầu", "case": "VV-12/2026"}
	r := e.do("POST", "/api/exports", "officer", body)
	if r.status != http.StatusCreated {
		t.Fatalf("export = %d %s", r.status, r.body)
	}
	x := decode[createdExport](t, r)
	if !strings.HasPrefix(x.ID, "exp-") || x.Size <= 0 || len(x.SHA256) != 64 || x.Download != "/api/exports/"+x.ID+".zip" ||
		r.header.Get("Location") != x.Download {
		t.Fatalf("export response %s", r.body)
	}
	if !x.KeepUntil.Equal(e.now().Add(export.DefaultKeep)) || x.KeepUntilLocal != "15/01/2027 15:00:00" {
		t.Errorf("keep until %s (%s)", x.KeepUntil, x.KeepUntilLocal)
	}
	if x.ExportedBy != "officer" || x.Case != "VV-12/2026" || x.Reason != "Công an phường yêu cầu" ||
		!slices.Equal(x.Cameras, []string{"cam-1"}) || x.FromLocal != "15/01/2026 08:00:00" || !x.From.Equal(pbWall0) {
		t.Errorf("export response %s", r.body)
	}
	if x.Warnings == nil || x.NodeID != export.NodeID(e.key.Public().(ed25519.PublicKey)) || x.PublicKey == "" {
		t.Errorf("export response %s", r.body)
	}
	made := e.auditRows("export")
	if len(made) != 1 || made[0].User != "officer" || made[0].CameraID != "cam-1" || made[0].Remote != "127.0.0.1" ||
		!strings.Contains(made[0].Detail, x.ID) {
		t.Errorf("export audit rows %+v", made)
	}

	// Download: the exact package, which verifies offline.
	d := e.raw("GET", x.Download, "admin", nil)
	if d.status != http.StatusOK || d.header.Get("Content-Type") != "application/zip" ||
		!strings.Contains(d.header.Get("Content-Disposition"), x.ID+".zip") {
		t.Fatalf("download = %d %v %s", d.status, d.header, d.body[:min(len(d.body), 200)])
	}
	sum := sha256.Sum256(d.body)
	if hex.EncodeToString(sum[:]) != x.SHA256 || int64(len(d.body)) != x.Size {
		t.Errorf("downloaded %d bytes with another digest than the export's", len(d.body))
	}
	rep, err := export.VerifyKey(bytes.NewReader(d.body), int64(len(d.body)), e.key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.FilesChecked < 2 || rep.Manifest.ExportedBy != "officer" || rep.Manifest.Case != "VV-12/2026" {
		t.Errorf("verify: %+v", rep)
	}
	// A range request is served and audited with its range.
	if p := e.raw("GET", x.Download, "officer", map[string]string{"Range": "bytes=0-99"}); p.status != http.StatusPartialContent ||
		!bytes.Equal(p.body, d.body[:100]) {
		t.Errorf("range download = %d, %d bytes", p.status, len(p.body))
	}
	dl := e.auditRows("export.download")
	if len(dl) != 2 || dl[1].User != "admin" || dl[1].CameraID != "cam-1" || !strings.Contains(dl[1].Detail, x.SHA256) ||
		!strings.Contains(dl[0].Detail, "range=bytes=0-99") {
		t.Errorf("download audit rows %+v", dl)
	}

	// The list, newest first.
	e.advance(time.Minute)
	body["cameras"] = []string{"cam-1", "cam-1"}
	if r := e.do("POST", "/api/exports", "admin", body); r.status != http.StatusCreated {
		t.Fatalf("second export = %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/exports", "officer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("list = %d %s", r.status, r.body)
	}
	list := decode[[]exportView](t, r)
	if len(list) != 2 || list[1].ID != x.ID || list[1].SHA256 != x.SHA256 || list[0].ExportedBy != "admin" ||
		list[1].Download != x.Download || list[1].CreatedAtLocal != "15/01/2026 15:00:00" {
		t.Errorf("list %s", r.body)
	}
	if got := decode[[]map[string]any](t, r)[0]["warnings"]; got != nil {
		t.Errorf("list shows warnings %v", got)
	}

	// Not found: unknown camera, nothing recorded, unknown package.
	for _, tc := range []struct {
		cams     []string
		from, to string
	}{
		{[]string{"nope"}, "15/01/2026 08:00:00", "15/01/2026 08:00:20"},
		{[]string{"cam-2"}, "15/01/2026 08:00:00", "15/01/2026 08:00:20"},
		{[]string{"cam-1"}, "16/01/2026 08:00:00", "16/01/2026 08:00:20"},
	} {
		b := map[string]any{"cameras": tc.cams, "from": tc.from, "to": tc.to, "reason": "r"}
		expectError(t, e.do("POST", "/api/exports", "officer", b), http.StatusNotFound, matthan.ENOTFOUND)
	}
	for _, p := range []string{"/api/exports/nope.zip", "/api/exports/" + x.ID, "/api/exports/.zip",
		"/api/exports/" + url.PathEscape("../"+x.ID) + ".zip"} {
		expectError(t, e.do("GET", p, "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
	}
	if n := len(e.auditRows("export.download")); n != 2 {
		t.Errorf("%d download audit rows after refused downloads, want 2", n)
	}
}

// TestExportOutlivesItsClient: an officer's export goes on when the browser
// gives up (a closed tab, a proxy's timeout; a masked camera's export
// re-encodes and can take minutes): the package is still written and kept,
// and a case's export is still recorded in the case.
func TestExportOutlivesItsClient(t *testing.T) {
	for _, caseExport := range []bool{false, true} {
		t.Run(map[bool]string{false: "export", true: "case export"}[caseExport], func(t *testing.T) {
			e := newCaseEnv(t)
			path := "/api/exports"
			body := map[string]any{"cameras": []string{"cam-1"}, "from": "15/01/2026 08:00:00",
				"to": "15/01/2026 08:00:20", "reason": "Công an phường yêu cầu"}
			var caseID int64
			if caseExport {
				r := e.do("POST", "/api/cases", "officer", map[string]any{"number": "VV-2026-0077", "title": "Trộm xe"})
				if r.status != http.StatusCreated {
					t.Fatalf("open case = %d %s", r.status, r.body)
				}
				caseID = decode[matthan.Case](t, r).ID
				path = fmt.Sprintf("/api/cases/%d/exports", caseID)
			}
			entered, left, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			e.api.deps.Exports.Cut = func(ctx context.Context, _ string, _ matthan.StreamRole, _ time.Time) error {
				close(entered)
				<-left
				// The server cancels a request's context soon after its
				// client hangs up; the export's must not follow it.
				deadline := time.Now().Add(500 * time.Millisecond)
				for ctx.Err() == nil && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				done <- ctx.Err()
				return nil
			}
			js, _ := json.Marshal(body)
			ctx, hangUp := context.WithCancel(t.Context())
			req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+path, bytes.NewReader(js))
			req.SetBasicAuth("officer", officerPassword)
			go func() {
				if res, err := e.srv.Client().Do(req); err == nil {
					res.Body.Close()
				}
			}()
			select {
			case <-entered:
			case <-time.After(10 * time.Second):
				t.Fatal("the export did not start")
			}
			hangUp()
			close(left)
			if err := <-done; err != nil {
				t.Fatalf("the export was cancelled with its client: %v", err)
			}
			waitUntil(t, "the package kept", func() bool {
				kept, err := export.List(e.api.deps.Exports.ExportDir)
				return err == nil && len(kept) == 1 && kept[0].ExportedBy == "officer" && slices.Equal(kept[0].Cameras, []string{"cam-1"})
			})
			if caseExport {
				waitUntil(t, "the package recorded in the case", func() bool {
					items, err := e.db.CaseItems(t.Context(), caseID)
					return err == nil && len(items) == 1 && items[0].Kind == matthan.CaseItemExport
				})
			}
		})
	}
}

// waitUntil polls ok for up to 10 s.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestExportValidation(t *testing.T) {
	e := newEvidenceEnv(t, false)
	ok := func() map[string]any {
		return map[string]any{"cameras": []string{"cam-1"}, "from": "15/01/2026 08:00:00", "to": "15/01/2026 09:00:00", "reason": "r"}
	}
	with := func(k string, v any) map[string]any {
		b := ok()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name   string
		body   any
		fields []string
	}{
		{"empty", map[string]any{}, []string{"cameras", "from", "to", "reason"}},
		{"no reason", with("reason", nil), []string{"reason"}},
		{"blank reason", with("reason", "   "), []string{"reason"}},
		{"no cameras", with("cameras", []string{}), []string{"cameras"}},
		{"bad from", with("from", "hôm qua"), []string{"from"}},
		{"to before from", with("to", "15/01/2026 07:00:00"), []string{"to"}},
		{"bad stream", with("stream", "third"), []string{"stream"}},
		{"case too long", with("case", strings.Repeat("c", 2001)), []string{"case"}},
		{"over a week", with("to", "30/01/2026 08:00:00"), []string{"range"}}, // internal/export's own limit
		{"unknown field", with("user", "someone else"), []string{"user"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := expectError(t, e.do("POST", "/api/exports", "officer", tc.body), http.StatusBadRequest, matthan.EINVALID)
			if !slices.Equal(fieldNames(got), tc.fields) {
				t.Errorf("fields %v, want %v", fieldNames(got), tc.fields)
			}
		})
	}
	if n := len(e.auditRows("export")); n != 0 {
		t.Errorf("%d export audit rows for refused requests", n)
	}
	if kept, err := export.List(e.exportDir); err != nil || len(kept) != 0 {
		t.Errorf("packages kept from refused requests: %v %v", kept, err)
	}
}

// TestEvidenceAuth: every new route needs a signed-in operator or admin.
func TestEvidenceAuth(t *testing.T) {
	e := newEvidenceEnv(t, false)
	routes := []struct{ method, path string }{
		{"POST", "/api/cameras/cam-1/locks"},
		{"GET", "/api/locks"},
		{"POST", "/api/locks/1/release"},
		{"POST", "/api/exports"},
		{"GET", "/api/exports"},
		{"GET", "/api/exports/exp-x.zip"},
		{"GET", "/api/cameras/cam-1/continuity"},
		{"GET", "/api/storage"},
	}
	for _, rt := range routes {
		expectError(t, e.do(rt.method, rt.path, "", nil), http.StatusUnauthorized, matthan.EUNAUTHORIZED)
		expectError(t, e.doAuth(rt.method, rt.path, "officer", "wrong", nil), http.StatusUnauthorized, matthan.EUNAUTHORIZED)
		expectError(t, e.do(rt.method, rt.path, "viewer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	}
	if n := len(e.auditRows("evidence.lock")) + len(e.auditRows("export.download")); n != 0 {
		t.Errorf("%d audit rows from refused requests", n)
	}
}

// TestEvidenceOff: a node without exports, recordings or storage figures
// answers 404 on those routes, with the reason.
func TestEvidenceOff(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	for _, rt := range []struct{ method, path string }{
		{"POST", "/api/cameras/cam-1/locks"}, {"GET", "/api/locks"}, {"POST", "/api/locks/1/release"},
		{"POST", "/api/exports"}, {"GET", "/api/exports"}, {"GET", "/api/exports/x.zip"},
		{"GET", "/api/cameras/cam-1/continuity"}, {"GET", "/api/storage"},
	} {
		expectError(t, e.do(rt.method, rt.path, "admin", nil), http.StatusNotFound, matthan.ENOTFOUND)
	}
	// And the camera shows no clock offset.
	v := decode[view](t, e.do("GET", "/api/cameras/cam-1", "viewer", nil))
	for _, s := range v.Streams {
		if _, ok := s["clock_offset_ms"]; ok {
			t.Errorf("clock_offset_ms without a clock source: %v", s)
		}
	}
}
