package httpapi

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/export"
)

// caseEnv is an evidence env (recordings of cam-1) with cases, and events
// from the same database.
func newCaseEnv(t *testing.T) *evidenceEnv {
	t.Helper()
	e := newEvidenceEnv(t, true)
	// Set before any request: handlers read deps when called.
	e.api.deps.Cases = &Cases{Store: e.db, KeepDays: 30}
	e.api.deps.Events = e.db
	return e
}

type caseDetailJSON struct {
	matthan.Case
	LocksUntil *time.Time          `json:"locks_until"`
	Items      []*matthan.CaseItem `json:"items"`
	Log        []*matthan.CaseLog  `json:"log"`
	Locks      []lockView          `json:"locks"`
}

// TestCaseLifecycle: open a case, attach an event and footage (locked
// with the case number), a note and a person; remove one with a reason;
// export a real package; close (the locks get their end); reopen (locked
// again); the whole log in order with its users, and the audit rows.
func TestCaseLifecycle(t *testing.T) {
	e := newCaseEnv(t)
	ctx := t.Context()
	ev := &matthan.AnalyticsEvent{ID: "ev-1", Type: matthan.EventLoitering, CameraID: "cam-1", Start: pbWall0.Add(2 * time.Second),
		End: pbWall0.Add(4 * time.Second), SummaryVI: "Một người ở lại trước cổng"}
	if err := e.db.AddAnalyticsEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}

	r := e.do("POST", "/api/cases", "officer", map[string]any{"number": "VV-2026-0042", "title": "Trộm xe máy trước nhà số 12",
		"description": "Xe Wave màu đỏ bị lấy lúc rạng sáng"})
	if r.status != http.StatusCreated {
		t.Fatalf("open = %d %s", r.status, r.body)
	}
	c := decode[matthan.Case](t, r)
	if c.ID == 0 || c.Status != matthan.CaseOpen || c.KeepDays != 30 || c.OpenedBy != "officer" || !c.OpenedAt.Equal(e.now()) {
		t.Fatalf("opened %s", r.body)
	}
	expectError(t, e.do("POST", "/api/cases", "admin", map[string]any{"number": "VV-2026-0042", "title": "x"}), http.StatusConflict, matthan.ECONFLICT)
	base := fmt.Sprintf("/api/cases/%d", c.ID)

	add := func(user string, body map[string]any) matthan.CaseItem {
		t.Helper()
		e.advance(time.Minute)
		r := e.do("POST", base+"/items", user, body)
		if r.status != http.StatusCreated {
			t.Fatalf("add %v = %d %s", body, r.status, r.body)
		}
		return decode[matthan.CaseItem](t, r)
	}
	event := add("officer", map[string]any{"kind": "event", "event_id": "ev-1"})
	if event.CameraID != "cam-1" || !event.From.Equal(ev.Start.Add(-2*time.Minute)) || !event.To.Equal(ev.End.Add(2*time.Minute)) ||
		event.LockID == 0 || event.Text != ev.SummaryVI {
		t.Errorf("event item %+v", event)
	}
	footage := add("officer", map[string]any{"kind": "footage", "camera_id": "cam-1", "from": "15/01/2026 08:00:00", "to": "15/01/2026 08:00:20"})
	if !footage.From.Equal(pbWall0) || footage.LockID == 0 {
		t.Errorf("footage item %+v", footage)
	}
	note := add("admin", map[string]any{"kind": "note", "text": "Nhân chứng: bà Lan, bán nước đầu hẻm"})
	person := add("officer", map[string]any{"kind": "person", "text": "Nam, khoảng 25 tuổi, áo khoác đen, mũ bảo hiểm đỏ"})
	if person.Kind != matthan.CaseItemPerson || note.LockID != 0 {
		t.Errorf("person %+v, note %+v", person, note)
	}

	detail := func() caseDetailJSON {
		t.Helper()
		r := e.do("GET", base, "officer", nil)
		if r.status != http.StatusOK {
			t.Fatalf("get = %d %s", r.status, r.body)
		}
		return decode[caseDetailJSON](t, r)
	}
	d := detail()
	if len(d.Locks) != 2 || d.Locks[0].Case != "VV-2026-0042" || d.Locks[1].Case != "VV-2026-0042" || !d.Locks[0].Active || !d.Locks[1].Active {
		t.Fatalf("locks %+v", d.Locks)
	}

	// Removing is soft and needs a reason.
	expectError(t, e.do("DELETE", fmt.Sprintf("%s/items/%d", base, note.ID), "officer", nil), http.StatusBadRequest, matthan.EINVALID)
	e.advance(time.Minute)
	r = e.do("DELETE", fmt.Sprintf("%s/items/%d", base, note.ID), "officer", map[string]any{"reason": "Ghi nhầm vụ việc"})
	if r.status != http.StatusOK {
		t.Fatalf("remove = %d %s", r.status, r.body)
	}
	if it := decode[matthan.CaseItem](t, r); it.RemovedBy != "officer" || it.RemoveReason != "Ghi nhầm vụ việc" || !it.RemovedAt.Equal(e.now()) {
		t.Errorf("removed %s", r.body)
	}
	expectError(t, e.do("DELETE", fmt.Sprintf("%s/items/%d", base, note.ID), "officer", map[string]any{"reason": "x"}), http.StatusConflict, matthan.ECONFLICT)

	// The owner's sharing holds for a case too: on request only, no package.
	setMode := func(m matthan.SharingMode) {
		t.Helper()
		cam, err := e.db.Camera(ctx, "cam-1")
		if err != nil {
			t.Fatal(err)
		}
		cam.Sharing.Mode = m
		if err := e.db.UpdateCamera(ctx, cam); err != nil {
			t.Fatal(err)
		}
	}
	setMode(matthan.ShareOnRequest)
	expectError(t, e.do("POST", base+"/exports", "officer", map[string]any{"reason": "r"}), http.StatusForbidden, matthan.EFORBIDDEN)
	if rows := e.auditRows("export"); len(rows) != 0 {
		t.Errorf("a refused export was made: %+v", rows)
	}
	setMode(matthan.ShareLive)

	// Export: by default every footage item of the case, labelled with its number.
	e.advance(time.Minute)
	r = e.do("POST", base+"/exports", "officer", map[string]any{"reason": "Công an quận yêu cầu"})
	if r.status != http.StatusCreated {
		t.Fatalf("export = %d %s", r.status, r.body)
	}
	x := decode[createdExport](t, r)
	if x.Case != "VV-2026-0042" || !slices.Equal(x.Cameras, []string{"cam-1"}) || !x.From.Equal(event.From) || !x.To.Equal(event.To) || x.Size <= 0 {
		t.Errorf("export %s", r.body)
	}
	pkg := e.raw("GET", x.Download, "officer", nil)
	rep, err := export.VerifyKey(bytes.NewReader(pkg.body), int64(len(pkg.body)), e.key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK || rep.Manifest.Case != "VV-2026-0042" || rep.FilesChecked < 2 {
		t.Errorf("verify: %+v, %v", rep, err)
	}

	// Close: the locks end keep_days later; nothing more is attached.
	e.advance(time.Hour)
	r = e.do("POST", base+"/close", "officer", map[string]any{"reason": "Đã thu hồi xe"})
	if r.status != http.StatusOK {
		t.Fatalf("close = %d %s", r.status, r.body)
	}
	until := e.now().Add(30 * 24 * time.Hour)
	if cl := decode[caseDetailJSON](t, r); cl.Status != matthan.CaseClosed || cl.LocksUntil == nil || !cl.LocksUntil.Equal(until) {
		t.Errorf("closed %s", r.body)
	}
	d = detail()
	for _, l := range d.Locks {
		if l.ReleasedAt == nil || !l.ReleasedAt.Equal(until) {
			t.Errorf("lock after closing %+v, want its end at %v", l, until)
		}
	}
	expectError(t, e.do("POST", base+"/items", "officer", map[string]any{"kind": "note", "text": "x"}), http.StatusConflict, matthan.ECONFLICT)
	expectError(t, e.do("POST", base+"/close", "officer", nil), http.StatusConflict, matthan.ECONFLICT)
	if l := decode[[]matthan.Case](t, e.do("GET", "/api/cases?status=closed", "officer", nil)); len(l) != 1 || l[0].ID != c.ID {
		t.Errorf("closed cases %+v", l)
	}

	// Reopen: locked again, with no end.
	e.advance(time.Hour)
	if r := e.do("POST", base+"/reopen", "admin", map[string]any{"reason": "Có nhân chứng mới"}); r.status != http.StatusOK {
		t.Fatalf("reopen = %d %s", r.status, r.body)
	}
	d = detail()
	var open []lockView
	for _, l := range d.Locks {
		if l.ReleasedAt == nil {
			open = append(open, l)
		}
	}
	if d.Status != matthan.CaseOpen || len(open) != 2 || len(d.Locks) != 4 {
		t.Errorf("after reopening: status %s, locks %+v", d.Status, d.Locks)
	}
	if len(d.Items) != 5 || !d.Items[2].Removed() || d.Items[4].Kind != matthan.CaseItemExport || d.Items[4].ExportID != x.ID {
		t.Errorf("items %+v", d.Items)
	}

	var got []string
	for _, l := range d.Log {
		got = append(got, string(l.Action)+" by "+l.User)
	}
	want := []string{"open by officer", "add_item by officer", "add_item by officer", "add_item by admin", "add_item by officer",
		"remove_item by officer", "export by officer", "add_item by officer", "close by officer", "reopen by admin"}
	if !slices.Equal(got, want) {
		t.Errorf("log\n got %q\nwant %q", got, want)
	}
	for i := 1; i < len(d.Log); i++ {
		if d.Log[i].At.Before(d.Log[i-1].At) {
			t.Errorf("log out of order at %d: %+v", i, d.Log)
		}
	}

	// The audit log has each action, with the case's camera.
	for _, a := range []string{"case.open", "case.item.add", "case.item.remove", "case.export", "case.close", "case.reopen"} {
		rows := e.auditRows(a)
		if len(rows) == 0 || !strings.Contains(rows[0].Detail, "VV-2026-0042") {
			t.Errorf("audit %s: %+v", a, rows)
		}
	}
	if rows := e.auditRows("case.close"); len(rows) != 1 || rows[0].CameraID != "cam-1" || rows[0].User != "officer" {
		t.Errorf("close audit %+v", rows)
	}
	if rows := e.auditRows("export"); len(rows) != 1 || rows[0].CameraID != "cam-1" {
		t.Errorf("export audit %+v", rows)
	}
}

// TestCaseValidation: bad input answers bilingual field errors.
func TestCaseValidation(t *testing.T) {
	e := newCaseEnv(t)
	f := fieldNames(expectError(t, e.do("POST", "/api/cases", "officer", map[string]any{"number": "VV 2026", "keep_days": 9999}),
		http.StatusBadRequest, matthan.EINVALID))
	if !slices.Equal(f, []string{"number", "title", "keep_days"}) {
		t.Errorf("case fields %v", f)
	}
	expectError(t, e.do("GET", "/api/cases?status=maybe", "officer", nil), http.StatusBadRequest, matthan.EINVALID)
	expectError(t, e.do("GET", "/api/cases/999", "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
	expectError(t, e.do("GET", "/api/cases/abc", "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)

	r := e.do("POST", "/api/cases", "officer", map[string]any{"number": "VV-2026-0043", "title": "Đánh nhau"})
	if r.status != http.StatusCreated {
		t.Fatalf("open = %d %s", r.status, r.body)
	}
	base := fmt.Sprintf("/api/cases/%d", decode[matthan.Case](t, r).ID)
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"no kind", map[string]any{}, []string{"kind"}},
		{"footage of an unknown camera", map[string]any{"kind": "footage", "camera_id": "nope"}, []string{"from", "to", "camera_id"}},
		{"backwards", map[string]any{"kind": "footage", "camera_id": "cam-1", "from": "15/01/2026 08:00:20", "to": "15/01/2026 08:00:00"}, []string{"to"}},
		{"unknown event", map[string]any{"kind": "event", "event_id": "ev-nope"}, []string{"event_id"}},
		{"empty person", map[string]any{"kind": "person", "text": " "}, []string{"text"}},
		{"export by hand", map[string]any{"kind": "export"}, []string{"kind", "export_id"}},
	} {
		got := fieldNames(expectError(t, e.do("POST", base+"/items", "officer", tc.body), http.StatusBadRequest, matthan.EINVALID))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.want)
		}
	}
	// Nothing to export: no footage and no cameras given.
	got := fieldNames(expectError(t, e.do("POST", base+"/exports", "officer", map[string]any{}), http.StatusBadRequest, matthan.EINVALID))
	if !slices.Equal(got, []string{"cameras", "reason"}) {
		t.Errorf("export fields %v", got)
	}
}

// TestCaseAuth: cases are for officers and admins only.
func TestCaseAuth(t *testing.T) {
	e := newCaseEnv(t)
	e.addContributors("nha-co-ba")
	r := e.do("POST", "/api/cases", "officer", map[string]any{"number": "VV-2026-0044", "title": "Mất trộm"})
	if r.status != http.StatusCreated {
		t.Fatalf("open = %d %s", r.status, r.body)
	}
	base := fmt.Sprintf("/api/cases/%d", decode[matthan.Case](t, r).ID)
	for _, rq := range []struct{ method, path string }{
		{"POST", "/api/cases"}, {"GET", "/api/cases"}, {"GET", base}, {"POST", base + "/items"}, {"DELETE", base + "/items/1"},
		{"POST", base + "/close"}, {"POST", base + "/reopen"}, {"POST", base + "/exports"},
	} {
		for _, who := range []struct{ user, pw string }{{"nha-co-ba", officerPassword}, {"viewer", viewerPassword}} {
			if r := e.doAuth(rq.method, rq.path, who.user, who.pw, map[string]any{}); r.status != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", who.user, rq.method, rq.path, r.status)
			}
		}
	}
	// A node without cases answers 404.
	e.api.deps.Cases = nil
	expectError(t, e.do("GET", "/api/cases", "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
}
