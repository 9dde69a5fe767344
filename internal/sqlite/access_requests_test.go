package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"matthan"
)

func TestAccessRequests(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	clock := time.Date(2026, 11, 27, 15, 0, 0, 123456789, time.UTC)
	db.now = func() time.Time { return clock }
	for _, c := range []struct{ id, owner string }{{"nha-co-ba-1", "nha-co-ba"}, {"tiem-vang-1", "tiem-vang"}} {
		cam := &matthan.Camera{ID: c.id, Name: c.id, Area: "Khóm 1", Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1/x",
			Contributor: c.owner, Sharing: matthan.Sharing{Mode: matthan.ShareOnRequest}}
		if err := db.CreateCamera(ctx, cam); err != nil {
			t.Fatal(err)
		}
	}

	// Validation names each bad field.
	for _, tc := range []struct {
		name string
		r    matthan.AccessRequest
		want []string
	}{
		{"empty", matthan.AccessRequest{}, []string{"camera_id", "from", "reason"}},
		{"backwards", matthan.AccessRequest{CameraID: "nha-co-ba-1", From: clock, To: clock.Add(-time.Hour), Reason: "x"}, []string{"to"}},
		{"too long", matthan.AccessRequest{CameraID: "nha-co-ba-1", From: clock.Add(-8 * 24 * time.Hour), To: clock, Reason: "x"}, []string{"to"}},
		{"future", matthan.AccessRequest{CameraID: "nha-co-ba-1", From: clock.Add(time.Hour), To: clock.Add(2 * time.Hour), Reason: "x"}, []string{"from"}},
	} {
		err := db.CreateAccessRequest(ctx, &tc.r)
		if matthan.ErrorCode(err) != matthan.EINVALID || !slices.Equal(reminderFields(err), tc.want) {
			t.Errorf("%s: %v (fields %v), want %v", tc.name, err, reminderFields(err), tc.want)
		}
	}

	theft := &matthan.AccessRequest{CameraID: "nha-co-ba-1", Requester: "officer", From: clock.Add(-3 * time.Hour), To: clock.Add(-2 * time.Hour),
		Reason: "  Mất trộm xe máy trước số 12 ", CaseID: 7}
	if err := db.CreateAccessRequest(ctx, theft); err != nil {
		t.Fatal(err)
	}
	if theft.ID == 0 || theft.Status != matthan.RequestPending || theft.Reason != "Mất trộm xe máy trước số 12" || !theft.CreatedAt.Equal(storedTime(clock)) {
		t.Fatalf("created %+v", theft)
	}
	other := &matthan.AccessRequest{CameraID: "tiem-vang-1", Requester: "officer2", From: clock.Add(-time.Hour), To: clock, Reason: "Đánh nhau"}
	if err := db.CreateAccessRequest(ctx, other); err != nil {
		t.Fatal(err)
	}

	// Each owner sees the requests for their own cameras only.
	mine, err := db.AccessRequests(ctx, matthan.AccessRequestFilter{Contributor: "nha-co-ba"})
	if err != nil || len(mine) != 1 || mine[0].ID != theft.ID || mine[0].CaseID != 7 || !mine[0].From.Equal(storedTime(theft.From)) {
		t.Fatalf("nha-co-ba's requests: %+v, %v", mine, err)
	}
	if byReq, _ := db.AccessRequests(ctx, matthan.AccessRequestFilter{Requester: "officer2", Status: matthan.RequestPending}); len(byReq) != 1 || byReq[0].ID != other.ID {
		t.Fatalf("officer2's pending requests: %+v", byReq)
	}

	// Pending → granted → revoked; nothing else.
	if _, err := db.DecideAccessRequest(ctx, theft.ID, matthan.RequestRevoked, "nha-co-ba", "", clock); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Fatalf("revoke a pending request: %v", err)
	}
	clock = clock.Add(time.Minute)
	g, err := db.DecideAccessRequest(ctx, theft.ID, matthan.RequestGranted, "nha-co-ba", " Đồng ý ", clock)
	if err != nil {
		t.Fatal(err)
	}
	if g.Status != matthan.RequestGranted || g.Note != "Đồng ý" || !g.Until.Equal(storedTime(clock).Add(matthan.GrantDays*24*time.Hour)) {
		t.Fatalf("granted %+v", g)
	}
	if !g.Covers(theft.From.Add(time.Minute), theft.To, clock) || g.Covers(theft.From.Add(-time.Second), theft.To, clock) ||
		g.Covers(theft.From, theft.To, g.Until) {
		t.Fatal("Covers: inside the range and before Until only")
	}
	if _, err := db.DecideAccessRequest(ctx, theft.ID, matthan.RequestRefused, "nha-co-ba", "", clock); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Fatalf("refuse a granted request: %v", err)
	}
	clock = clock.Add(time.Hour)
	rv, err := db.DecideAccessRequest(ctx, theft.ID, matthan.RequestRevoked, "nha-co-ba", "", clock)
	if err != nil || rv.Covers(theft.From, theft.To, clock) {
		t.Fatalf("revoked: %+v, %v", rv, err)
	}
	got, err := db.AccessRequest(ctx, theft.ID)
	if err != nil || got.Status != matthan.RequestRevoked || !got.Until.Equal(storedTime(clock)) || got.DecidedBy != "nha-co-ba" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if _, err := db.AccessRequest(ctx, 999); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("unknown request: %v", err)
	}
}
