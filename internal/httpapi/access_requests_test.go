package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
)

// TestAccessRequests: footage of a camera shared on request is refused
// until its owner grants an officer's request; the grant lets that officer
// (only) play back that footage (only), until the owner revokes it, and
// the owner sees every step.
func TestAccessRequests(t *testing.T) {
	e := newPlaybackEnv(t, func(d *Deps) { d.Events = d.Store.(matthan.EventStore) })
	ctx := t.Context()
	as := e.addContributors("nha-co-ba", "tiem-vang")
	cam, err := e.db.Camera(ctx, "cam-1")
	if err != nil {
		t.Fatal(err)
	}
	cam.Contributor, cam.Sharing = "nha-co-ba", matthan.Sharing{Mode: matthan.ShareOnRequest}
	if err := e.db.UpdateCamera(ctx, cam); err != nil {
		t.Fatal(err)
	}
	from, to := e.segs[0].Start, e.segs[1].End
	ev := &matthan.AnalyticsEvent{ID: "ev-1", Type: matthan.EventLoitering, CameraID: "cam-1", Start: from.Add(time.Second), End: from.Add(2 * time.Second)}
	if err := e.db.AddAnalyticsEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	eventIDs := func(user string) []string {
		t.Helper()
		var ids []string
		for _, v := range decode[[]eventView](t, e.do("GET", "/api/events", user, nil)) {
			ids = append(ids, v.ID)
		}
		return ids
	}
	clip := "/api/cameras/cam-1/clip.mp4?" + rng(from.Add(time.Second), to.Add(-time.Second))

	if ids := eventIDs("officer"); len(ids) != 0 {
		t.Errorf("an on-request camera's event shown before any grant: %v", ids)
	}
	refused := expectError(t, e.get(clip, "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	if !strings.Contains(refused.MessageVI, "chỉ chia sẻ khi có yêu cầu") {
		t.Fatalf("refusal says %q", refused.MessageVI)
	}

	// Asking: bad fields named; only for on-request cameras; viewers cannot.
	fields := fieldNames(expectError(t, e.do("POST", "/api/cameras/cam-1/access-requests", "officer",
		map[string]any{"from": "hôm qua", "to": to.Format(time.RFC3339)}), http.StatusBadRequest, matthan.EINVALID))
	if !slices.Contains(fields, "from") {
		t.Errorf("bad from: fields %v", fields)
	}
	fields = fieldNames(expectError(t, e.do("POST", "/api/cameras/cam-1/access-requests", "officer",
		map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)}), http.StatusBadRequest, matthan.EINVALID))
	if !slices.Equal(fields, []string{"reason"}) {
		t.Errorf("no reason: fields %v", fields)
	}
	expectError(t, e.do("POST", "/api/cameras/cam-2/access-requests", "officer",
		map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "reason": "x"}), http.StatusConflict, matthan.ECONFLICT)
	if r := e.do("POST", "/api/cameras/cam-1/access-requests", "viewer", map[string]any{}); r.status != http.StatusForbidden {
		t.Errorf("a viewer asking: %d", r.status)
	}
	r := e.do("POST", "/api/cameras/cam-1/access-requests", "officer", map[string]any{
		"from": matthan.FormatLocal(from), "to": matthan.FormatLocal(to), "reason": "Mất trộm xe máy trước số 12", "case_id": 42})
	if r.status != http.StatusCreated {
		t.Fatalf("request: %d %s", r.status, r.body)
	}
	req := decode[accessRequestView](t, r)
	if req.Status != matthan.RequestPending || req.Requester != "officer" || !req.From.Equal(from) || req.CameraName == "" || req.Active {
		t.Fatalf("request %s", r.body)
	}
	expectError(t, e.get(clip, "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN) // pending is not granted

	// Only the camera's owner sees and answers it.
	if other := decode[[]accessRequestView](t, as("tiem-vang", "GET", "/api/my/access-requests", nil)); len(other) != 0 {
		t.Fatalf("another owner sees %+v", other)
	}
	grant := fmt.Sprintf("/api/my/access-requests/%d/grant", req.ID)
	expectError(t, as("tiem-vang", "POST", grant, nil), http.StatusNotFound, matthan.ENOTFOUND)
	if r := e.do("POST", grant, "officer", nil); r.status != http.StatusForbidden {
		t.Errorf("the officer granting their own request: %d", r.status)
	}
	mine := decode[[]accessRequestView](t, as("nha-co-ba", "GET", "/api/my/access-requests?status=pending", nil))
	if len(mine) != 1 || mine[0].ID != req.ID || mine[0].Reason != "Mất trộm xe máy trước số 12" || mine[0].FromLocal != matthan.FormatLocal(from) {
		t.Fatalf("the owner's requests %+v", mine)
	}
	r = as("nha-co-ba", "POST", grant, map[string]any{"note": "Đồng ý, mong sớm tìm được xe"})
	if g := decode[accessRequestView](t, r); g.Status != matthan.RequestGranted || !g.Active || g.UntilLocal == "" {
		t.Fatalf("granted %s", r.body)
	}
	expectError(t, as("nha-co-ba", "POST", grant, nil), http.StatusConflict, matthan.ECONFLICT)

	// Granted: that officer plays back that footage; not wider, not another user.
	if r := e.get(clip, "officer", nil); r.status != http.StatusOK {
		t.Fatalf("clip after the grant: %d %s", r.status, r.body)
	}
	wider := "/api/cameras/cam-1/clip.mp4?" + rng(from.Add(-time.Minute), to)
	expectError(t, e.get(wider, "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	expectError(t, e.get(clip, "admin", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	if ids, other := eventIDs("officer"), eventIDs("admin"); !slices.Equal(ids, []string{"ev-1"}) || len(other) != 0 {
		t.Errorf("events after the grant: the officer sees %v, the admin %v", ids, other)
	}
	if list := decode[[]accessRequestView](t, e.do("GET", "/api/access-requests?mine=true", "officer", nil)); len(list) != 1 || list[0].Note == "" {
		t.Fatalf("the officer's requests %+v", list)
	}

	// Revoked: refused again at once.
	r = as("nha-co-ba", "POST", fmt.Sprintf("/api/my/access-requests/%d/revoke", req.ID), nil)
	if g := decode[accessRequestView](t, r); g.Status != matthan.RequestRevoked || g.Active {
		t.Fatalf("revoked %s", r.body)
	}
	expectError(t, e.get(clip, "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN)

	// The owner saw every step, with the officer's reason.
	var steps []string
	for _, a := range decode[[]matthan.AuditEntry](t, as("nha-co-ba", "GET", "/api/my/access", nil)) {
		if strings.HasPrefix(a.Action, "access.") || a.Action == "playback.mp4" {
			steps = append(steps, a.User+" "+a.Action)
			if a.Action == "access.request" && !strings.Contains(a.Detail, "Mất trộm xe máy") {
				t.Errorf("the request's audit detail %q lacks the reason", a.Detail)
			}
		}
	}
	want := []string{"nha-co-ba access.revoke", "officer playback.mp4", "nha-co-ba access.grant", "officer access.request"}
	if !slices.Equal(steps, want) {
		t.Errorf("the owner's access log %v, want %v", steps, want)
	}
}
