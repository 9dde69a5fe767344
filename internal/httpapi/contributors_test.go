package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
)

// TestContributorCameras: a contributor registers a camera, the police
// approve it, the owner's sharing decides what officers may do, and the
// owner sees every access, while seeing nothing of anyone else's.
func TestContributorCameras(t *testing.T) {
	fl := &fakeLive{}
	e := newEnvWith(t, func(d *Deps) { d.Live = fl })
	as := e.addContributors("nha-co-ba", "tiem-vang")
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != http.StatusCreated {
		t.Fatalf("ward camera: %d %s", r.status, r.body)
	}

	// Registration: pending, the owner's, whatever the body claims.
	body := cameraBody("nha-co-ba-1")
	body["owner"] = map[string]any{"kind": "household", "name": "Nguyễn Thị Ba", "contact": "0903000111"}
	body["retain_days"] = 900
	body["direction"] = 90
	r := as("nha-co-ba", "POST", "/api/my/cameras", body)
	if r.status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	reg := decode[cameraView](t, r)
	if reg.Contributor != "nha-co-ba" || reg.Approval != matthan.ApprovalPending || reg.RetainDays != 0 || reg.Sharing.Mode != matthan.ShareLive ||
		reg.Direction == nil || *reg.Direction != 90 {
		t.Fatalf("registered %+v", reg)
	}
	ward := cameraBody("nha-co-ba-2")
	ward["owner"] = map[string]any{"kind": "ward", "name": "UBND phường"}
	fields := fieldNames(expectError(t, as("nha-co-ba", "POST", "/api/my/cameras", ward), http.StatusBadRequest, matthan.EINVALID))
	if !slices.Contains(fields, "owner.kind") {
		t.Errorf("a contributor registering a camera as the ward's: fields %v", fields)
	}

	// A contributor sees their own, and nothing else.
	if mine := decode[[]cameraView](t, as("nha-co-ba", "GET", "/api/my/cameras", nil)); len(mine) != 1 || mine[0].ID != "nha-co-ba-1" {
		t.Fatalf("own cameras: %+v", mine)
	}
	if other := decode[[]cameraView](t, as("tiem-vang", "GET", "/api/my/cameras", nil)); len(other) != 0 {
		t.Fatalf("another contributor sees %+v", other)
	}
	for _, p := range []string{"/api/cameras", "/api/cameras/cam-1", "/api/cameras/nha-co-ba-1", "/api/cameras/cam-1/health",
		"/api/events", "/api/audit", "/api/cameras/cam-1/recordings"} {
		if r := as("nha-co-ba", "GET", p, nil); r.status != http.StatusForbidden {
			t.Errorf("contributor GET %s: %d, want 403", p, r.status)
		}
	}
	if r := as("nha-co-ba", "POST", "/api/cameras/cam-1/live/main/whep", "offer"); r.status != http.StatusForbidden {
		t.Errorf("contributor live view of the ward's camera: %d", r.status)
	}
	expectError(t, as("tiem-vang", "PUT", "/api/my/cameras/nha-co-ba-1/sharing", map[string]any{"mode": "revoked"}), http.StatusNotFound, matthan.ENOTFOUND)
	expectError(t, as("nha-co-ba", "GET", "/api/my/access?camera=cam-1", nil), http.StatusNotFound, matthan.ENOTFOUND)

	// Not approved yet: officers may not watch it. Rejecting needs a note.
	err := expectError(t, e.do("POST", "/api/cameras/nha-co-ba-1/live/main/whep", "officer", "offer"), http.StatusForbidden, matthan.EFORBIDDEN)
	if !strings.Contains(err.MessageVI, "chưa được duyệt") {
		t.Errorf("refusal says %q", err.MessageVI)
	}
	expectError(t, e.do("POST", "/api/cameras/nha-co-ba-1/approval", "officer", map[string]any{"approval": "rejected"}), http.StatusBadRequest, matthan.EINVALID)
	if r := e.do("POST", "/api/cameras/nha-co-ba-1/approval", "viewer", map[string]any{"approval": "approved"}); r.status != http.StatusForbidden {
		t.Errorf("a viewer approving: %d", r.status)
	}
	if a := decode[cameraView](t, e.do("POST", "/api/cameras/nha-co-ba-1/approval", "officer", map[string]any{"approval": "approved", "note": "Đã kiểm tra"})); a.Approval != matthan.ApprovalApproved {
		t.Fatalf("after approval: %+v", a)
	}
	if r := e.do("POST", "/api/cameras/nha-co-ba-1/live/main/whep", "officer", "offer"); r.status != http.StatusCreated {
		t.Fatalf("officer live view of an approved camera: %d %s", r.status, r.body)
	}

	// The owner shares recordings only: no more live view.
	changedBefore := len(e.changed)
	if s := decode[cameraView](t, as("nha-co-ba", "PUT", "/api/my/cameras/nha-co-ba-1/sharing",
		map[string]any{"mode": "recordings", "windows": []map[string]string{{"from": "22:00", "to": "06:00"}}})); s.Sharing.Mode != matthan.ShareRecordings {
		t.Fatalf("after the sharing change: %+v", s.Sharing)
	}
	if len(e.changed) != changedBefore+1 {
		t.Error("the node was not told of the sharing change (it disconnects and cuts viewers)")
	}
	err = expectError(t, e.do("POST", "/api/cameras/nha-co-ba-1/live/main/whep", "officer", "offer"), http.StatusForbidden, matthan.EFORBIDDEN)
	if !strings.Contains(err.MessageVI, "chỉ chia sẻ bản ghi") {
		t.Errorf("refusal says %q", err.MessageVI)
	}
	// The boxes over live video show where people are now: shared as live view is.
	expectError(t, e.do("GET", "/api/cameras/nha-co-ba-1/analytics", "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	fields = fieldNames(expectError(t, as("nha-co-ba", "PUT", "/api/my/cameras/nha-co-ba-1/sharing", map[string]any{"mode": "all"}), http.StatusBadRequest, matthan.EINVALID))
	if !slices.Contains(fields, "sharing.mode") {
		t.Errorf("bad sharing: fields %v", fields)
	}

	// The owner sees who did what with the camera.
	var actions []string
	for _, a := range decode[[]matthan.AuditEntry](t, as("nha-co-ba", "GET", "/api/my/access", nil)) {
		if a.CameraID != "nha-co-ba-1" {
			t.Fatalf("the owner sees an entry of camera %s", a.CameraID)
		}
		actions = append(actions, a.User+" "+a.Action)
	}
	for _, want := range []string{"nha-co-ba camera.register", "officer camera.approval", "officer live.webrtc", "nha-co-ba camera.sharing"} {
		if !slices.Contains(actions, want) {
			t.Errorf("access log %v lacks %q", actions, want)
		}
	}
}

func TestSharedRange(t *testing.T) {
	vn := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, matthan.Vietnam) }
	c := &matthan.Camera{Sharing: matthan.Sharing{Mode: matthan.ShareRecordings, Windows: []matthan.TimeWindow{{From: "22:00", To: "06:00"}}}}
	if err := sharedRange(c, vn(23, 0), vn(23, 30)); err != nil {
		t.Errorf("inside the window: %v", err)
	}
	if err := sharedRange(c, vn(5, 30), vn(6, 10)); matthan.ErrorCode(err) != matthan.EFORBIDDEN {
		t.Errorf("a range running past the window's end: %v", err)
	}
	if err := sharedRange(c, vn(5, 30), vn(6, 0)); err != nil {
		t.Errorf("a range ending at the window's end: %v", err)
	}
	c.Sharing.Mode = matthan.ShareRevoked
	if err := sharedRange(c, vn(23, 0), vn(23, 30)); matthan.ErrorCode(err) != matthan.EFORBIDDEN {
		t.Errorf("revoked: %v", err)
	}
}
