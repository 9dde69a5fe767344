// Package storetest is the conformance suite that every matthan.Store
// adapter (SQLite, PostgreSQL) must pass, so callers can rely on the same
// behaviour whichever store a node runs.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"matthan"
)

// Run runs the suite. open must return a new, empty store for each call;
// Run closes it when the subtest ends.
//
// Beyond the matthan.Store docs, the suite pins down:
//   - times come back in UTC, truncated to microseconds;
//   - Tags come back non-nil (empty when none) and Password in plaintext;
//   - RecordSub is false unless set, and kept like every other field;
//   - UpdateCamera always moves UpdatedAt forward and keeps CreatedAt;
//   - health events need an existing camera and go when it is deleted;
//     audit entries stay;
//   - lists return a non-nil, empty slice when nothing matches;
//   - HealthEvents and Audit default to 100 results; Users are ordered by name.
func Run(t *testing.T, open func(t *testing.T) matthan.Store) {
	tests := []subtest[matthan.Store]{
		{"CameraRoundTrip", testCameraRoundTrip},
		{"CameraMinimal", testCameraMinimal},
		{"CameraShared", testCameraShared},
		{"CameraUpdate", testCameraUpdate},
		{"CameraFilters", testCameraFilters},
		{"CameraNotFound", testCameraNotFound},
		{"CameraConflict", testCameraConflict},
		{"CameraInvalid", testCameraInvalid},
		{"HealthEvents", testHealthEvents},
		{"HealthEventsDefaultLimit", testHealthEventsDefaultLimit},
		{"HealthEventUnknownCamera", testHealthEventUnknownCamera},
		{"Users", testUsers},
		{"Audit", testAudit},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	runAll(t, open, tests)
}

// fullCamera returns a camera with every field set.
func fullCamera(id string) *matthan.Camera {
	return &matthan.Camera{
		ID:        id,
		Name:      "Ngã tư chợ " + id,
		Area:      "Khóm 3",
		Address:   "12 Nguyễn Trãi, phường 1",
		Latitude:  10.776889,
		Longitude: 106.700806,
		Owner:     matthan.Owner{Kind: matthan.OwnerShop, Name: "Tạp hóa Cô Ba", Contact: "0901234567"},
		Source:    matthan.SourcePull,
		MainURL:   "rtsp://10.0.0.5:554/Streaming/Channels/101",
		SubURL:    "rtsp://10.0.0.5:554/Streaming/Channels/102",
		Username:  "admin",
		Password:  "Mk@123#chợ",
		Enabled:   true,
		RecordSub: true,
		Tags:      []string{"chợ", "ngã tư", "night"},
		Notes:     "Facing the market gate.\nLắp năm 2025.",
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want code %s", code)
	}
	var e *matthan.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a *matthan.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("err code = %s (%v), want %s", e.Code, err, code)
	}
	if e.Message == "" || e.MessageVI == "" || e.Message == e.MessageVI {
		t.Errorf("error %q lacks an English and a Vietnamese message (vi: %q)", e.Message, e.MessageVI)
	}
}

func mustUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.IsZero() {
		t.Errorf("%s is zero", what)
	}
	if tm.Location() != time.UTC {
		t.Errorf("%s = %v is not in UTC", what, tm)
	}
	if tm.Nanosecond()%1000 != 0 {
		t.Errorf("%s = %v has sub-microsecond digits", what, tm)
	}
}

// sameCamera fails unless got and want agree on every field, times compared
// as instants.
func sameCamera(t *testing.T, got, want *matthan.Camera) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("camera %s times = (%v, %v), want (%v, %v)", want.ID, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	mustUTC(t, "CreatedAt", got.CreatedAt)
	mustUTC(t, "UpdatedAt", got.UpdatedAt)
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g.Tags == nil {
		t.Errorf("camera %s Tags = nil, want a non-nil slice", want.ID)
	}
	if len(w.Tags) == 0 {
		w.Tags = []string{}
	}
	// A camera stored with no approval or sharing is the ward's own: it
	// comes back approved and shared live.
	if w.Approval == "" {
		w.Approval = matthan.ApprovalApproved
	}
	if w.Sharing.Mode == "" {
		w.Sharing.Mode = matthan.ShareLive
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("camera %s:\n got %+v\nwant %+v", want.ID, g, w)
	}
}

// testCameraShared: a contributed camera keeps its owner's account, its
// approval, the owner's sharing choice, direction and privacy masks.
func testCameraShared(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	c := fullCamera("cam-002")
	north := 15.5
	c.Contributor, c.Approval, c.ApprovalNote, c.Direction = "nha-co-ba", matthan.ApprovalPending, "chờ kiểm tra", &north
	c.Sharing = matthan.Sharing{Mode: matthan.ShareRecordings, Paused: true, Windows: []matthan.TimeWindow{{From: "22:00", To: "06:00"}}}
	c.PrivacyMasks = []matthan.PrivacyMask{{Name: "cửa sổ nhà bên", Polygon: []matthan.Point{{X: 0.1, Y: 0.2}, {X: 0.4, Y: 0.2}, {X: 0.4, Y: 0.5}}}}
	if err := s.CreateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCamera(ctx, fullCamera("cam-003")); err != nil {
		t.Fatal(err)
	}
	if mine, err := s.Cameras(ctx, matthan.CameraFilter{Contributor: "nha-co-ba"}); err != nil || len(mine) != 1 || mine[0].ID != "cam-002" {
		t.Fatalf("the contributor's cameras: %v, %v", mine, err)
	}
	if waiting, err := s.Cameras(ctx, matthan.CameraFilter{Approval: matthan.ApprovalPending}); err != nil || len(waiting) != 1 || waiting[0].ID != "cam-002" {
		t.Fatalf("the registrations waiting: %v, %v", waiting, err)
	}
	got, err := s.Camera(ctx, "cam-002")
	if err != nil {
		t.Fatal(err)
	}
	sameCamera(t, got, c)
	c.Approval, c.Sharing, c.Direction, c.PrivacyMasks = matthan.ApprovalApproved, matthan.Sharing{Mode: matthan.ShareRevoked}, nil, nil
	if err := s.UpdateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Camera(ctx, "cam-002"); err != nil {
		t.Fatal(err)
	}
	sameCamera(t, got, c)
}

func testCameraRoundTrip(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	before := time.Now()
	c := fullCamera("cam-001")
	if err := s.CreateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	mustUTC(t, "CreatedAt", c.CreatedAt)
	if !c.CreatedAt.Equal(c.UpdatedAt) {
		t.Errorf("after create CreatedAt %v != UpdatedAt %v", c.CreatedAt, c.UpdatedAt)
	}
	if c.CreatedAt.Before(before.Add(-time.Second)) || c.CreatedAt.After(after.Add(time.Second)) {
		t.Errorf("CreatedAt %v is not the time of creation (%v..%v)", c.CreatedAt, before, after)
	}
	got, err := s.Camera(ctx, "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	sameCamera(t, got, c)

	list, err := s.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("Cameras returned %d, want 1", len(list))
	}
	sameCamera(t, list[0], c)

	// A pushed camera with no sub URL, negative coordinates and odd tags.
	p := fullCamera("cam-push")
	p.Source, p.SubURL, p.Latitude, p.Longitude = matthan.SourcePush, "", -33.8688, -151.2093
	p.Tags = []string{"", `quote "x"`, "a,b", "[]"}
	p.Owner = matthan.Owner{Kind: matthan.OwnerHousehold, Name: "Nhà ông Tư", Contact: "tu@example.vn"}
	if err := s.CreateCamera(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err = s.Camera(ctx, "cam-push")
	if err != nil {
		t.Fatal(err)
	}
	sameCamera(t, got, p)
}

func testCameraMinimal(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	c := &matthan.Camera{ID: "cam-min"}
	if err := s.CreateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Camera(ctx, "cam-min")
	if err != nil {
		t.Fatal(err)
	}
	sameCamera(t, got, c)
	if got.Password != "" || len(got.Tags) != 0 || got.Enabled || got.RecordSub {
		t.Errorf("minimal camera came back as %+v", got)
	}
}

func testCameraUpdate(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	c := fullCamera("cam-001")
	if err := s.CreateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	created, prevUpdated := c.CreatedAt, c.UpdatedAt

	u := &matthan.Camera{
		ID:        "cam-001",
		Name:      "Cổng trường",
		Area:      "Ấp 2",
		Address:   "5 Lê Lợi",
		Latitude:  21.0285,
		Longitude: 105.8542,
		Owner:     matthan.Owner{Kind: matthan.OwnerSchool, Name: "THCS Lê Lợi", Contact: "school@example.vn"},
		Source:    matthan.SourcePush,
		MainURL:   "rtsp://10.0.0.9/cam/realmonitor?channel=1&subtype=0",
		SubURL:    "rtsp://10.0.0.9/cam/realmonitor?channel=1&subtype=1",
		Username:  "viewer",
		Password:  "new-secret",
		Enabled:   false,
		Tags:      []string{"school"},
		Notes:     "moved",
		CreatedAt: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), // ignored
	}
	for i, change := range []func(*matthan.Camera){
		func(*matthan.Camera) {},
		func(c *matthan.Camera) { c.Password, c.Tags = "", nil }, // clear password and tags
		func(c *matthan.Camera) { c.Password, c.Enabled, c.RecordSub = "back again", true, true },
		func(c *matthan.Camera) { c.RecordSub = false },
	} {
		change(u)
		if err := s.UpdateCamera(ctx, u); err != nil {
			t.Fatal(err)
		}
		if !u.CreatedAt.Equal(created) {
			t.Errorf("update %d: CreatedAt = %v, want %v (unchanged)", i, u.CreatedAt, created)
		}
		if !u.UpdatedAt.After(prevUpdated) {
			t.Errorf("update %d: UpdatedAt = %v, not after %v", i, u.UpdatedAt, prevUpdated)
		}
		prevUpdated = u.UpdatedAt
		got, err := s.Camera(ctx, "cam-001")
		if err != nil {
			t.Fatal(err)
		}
		sameCamera(t, got, u)
	}
}

func testCameraFilters(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	cams := []struct {
		id, area string
		kind     matthan.OwnerKind
		enabled  bool
	}{
		// Out of ID order, to check the ordering.
		{"cam-c", "Khóm 1", matthan.OwnerWard, true},
		{"cam-a", "Khóm 1", matthan.OwnerHousehold, false},
		{"cam-e", "Khóm 2", matthan.OwnerHousehold, true},
		{"cam-b", "Khóm 2", matthan.OwnerWard, true},
		{"cam-d", "Khóm 10", matthan.OwnerShop, false},
	}
	for _, c := range cams {
		cam := fullCamera(c.id)
		cam.Area, cam.Owner.Kind, cam.Enabled = c.area, c.kind, c.enabled
		if err := s.CreateCamera(ctx, cam); err != nil {
			t.Fatal(err)
		}
	}
	yes, no := true, false
	tests := []struct {
		name string
		f    matthan.CameraFilter
		want []string
	}{
		{"all", matthan.CameraFilter{}, []string{"cam-a", "cam-b", "cam-c", "cam-d", "cam-e"}},
		{"area", matthan.CameraFilter{Area: "Khóm 1"}, []string{"cam-a", "cam-c"}},
		{"area is exact", matthan.CameraFilter{Area: "Khóm"}, []string{}},
		{"owner kind", matthan.CameraFilter{OwnerKind: matthan.OwnerHousehold}, []string{"cam-a", "cam-e"}},
		{"enabled", matthan.CameraFilter{Enabled: &yes}, []string{"cam-b", "cam-c", "cam-e"}},
		{"disabled", matthan.CameraFilter{Enabled: &no}, []string{"cam-a", "cam-d"}},
		{"area and kind", matthan.CameraFilter{Area: "Khóm 2", OwnerKind: matthan.OwnerWard}, []string{"cam-b"}},
		{"all three", matthan.CameraFilter{Area: "Khóm 1", OwnerKind: matthan.OwnerHousehold, Enabled: &yes}, []string{}},
		{"no match", matthan.CameraFilter{OwnerKind: matthan.OwnerAgency}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Cameras(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Error("Cameras returned nil, want an empty slice")
			}
			ids := []string{}
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("Cameras(%+v) = %v, want %v", tt.f, ids, tt.want)
			}
		})
	}
}

func testCameraNotFound(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	_, err := s.Camera(ctx, "nope")
	wantCode(t, err, matthan.ENOTFOUND)
	wantCode(t, s.UpdateCamera(ctx, fullCamera("nope")), matthan.ENOTFOUND)
	wantCode(t, s.DeleteCamera(ctx, "nope"), matthan.ENOTFOUND)

	if err := s.CreateCamera(ctx, fullCamera("cam-001")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCamera(ctx, "cam-001"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Camera(ctx, "cam-001")
	wantCode(t, err, matthan.ENOTFOUND)
	wantCode(t, s.DeleteCamera(ctx, "cam-001"), matthan.ENOTFOUND)
	if list, err := s.Cameras(ctx, matthan.CameraFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("after delete Cameras = %d cameras, %v; want none", len(list), err)
	}
}

func testCameraConflict(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	first := fullCamera("cam-001")
	if err := s.CreateCamera(ctx, first); err != nil {
		t.Fatal(err)
	}
	dup := fullCamera("cam-001")
	dup.Name, dup.Password = "impostor", "other"
	wantCode(t, s.CreateCamera(ctx, dup), matthan.ECONFLICT)
	got, err := s.Camera(ctx, "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	sameCamera(t, got, first)
}

func testCameraInvalid(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	wantCode(t, s.CreateCamera(ctx, &matthan.Camera{Name: "no id"}), matthan.EINVALID)
}

func mustCamera(t *testing.T, s matthan.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.CreateCamera(t.Context(), fullCamera(id)); err != nil {
			t.Fatal(err)
		}
	}
}

func testHealthEvents(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	mustCamera(t, s, "cam-a", "cam-b")
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	hcm := time.FixedZone("ICT", 7*3600)
	var added []*matthan.HealthEvent
	for i := range 6 {
		e := &matthan.HealthEvent{
			CameraID: []string{"cam-a", "cam-b"}[i%2],
			Stream:   matthan.StreamMain,
			From:     matthan.StateConnecting,
			To:       matthan.StateOffline,
			Reason:   fmt.Sprintf("connection refused %d", i),
			ReasonVI: fmt.Sprintf("bị từ chối kết nối %d", i),
			// Given in Vietnam time with nanoseconds: must come back UTC, µs.
			At: base.Add(time.Duration(i)*time.Minute + 1234567).In(hcm),
		}
		if err := s.AddHealthEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("AddHealthEvent did not set ID")
		}
		added = append(added, e)
	}
	// An event written late but stamped early must sort by time, not ID.
	late := &matthan.HealthEvent{CameraID: "cam-a", Stream: matthan.StreamSub, From: matthan.StateStreaming,
		To: matthan.StateStalled, Reason: "no media for 10 s", ReasonVI: "không có hình 10 giây", At: base.Add(-time.Hour)}
	if err := s.AddHealthEvent(ctx, late); err != nil {
		t.Fatal(err)
	}
	// A zero At becomes now.
	now := &matthan.HealthEvent{CameraID: "cam-b", Stream: matthan.StreamMain, To: matthan.StateStreaming}
	if err := s.AddHealthEvent(ctx, now); err != nil {
		t.Fatal(err)
	}
	if time.Since(now.At).Abs() > time.Minute {
		t.Errorf("zero At became %v, want about now", now.At)
	}

	ids := func(es []*matthan.HealthEvent) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    matthan.HealthEventFilter
		want []*matthan.HealthEvent
	}{
		{"all", matthan.HealthEventFilter{}, []*matthan.HealthEvent{now, added[5], added[4], added[3], added[2], added[1], added[0], late}},
		{"camera", matthan.HealthEventFilter{CameraID: "cam-a"}, []*matthan.HealthEvent{added[4], added[2], added[0], late}},
		{"since", matthan.HealthEventFilter{Since: base.Add(3 * time.Minute)}, []*matthan.HealthEvent{now, added[5], added[4], added[3]}},
		{"since is inclusive", matthan.HealthEventFilter{Since: added[2].At}, []*matthan.HealthEvent{now, added[5], added[4], added[3], added[2]}},
		{"camera and since", matthan.HealthEventFilter{CameraID: "cam-b", Since: base.Add(2 * time.Minute).In(hcm)}, []*matthan.HealthEvent{now, added[5], added[3]}},
		{"limit", matthan.HealthEventFilter{Limit: 2}, []*matthan.HealthEvent{now, added[5]}},
		{"unknown camera", matthan.HealthEventFilter{CameraID: "nope"}, []*matthan.HealthEvent{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.HealthEvents(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Error("HealthEvents returned nil, want an empty slice")
			}
			if !reflect.DeepEqual(ids(got), ids(tt.want)) {
				t.Fatalf("HealthEvents(%+v) IDs = %v, want %v", tt.f, ids(got), ids(tt.want))
			}
			for i, g := range got {
				w := *tt.want[i]
				mustUTC(t, "At", g.At)
				if !g.At.Equal(w.At) || !g.At.Equal(w.At.Truncate(time.Microsecond)) {
					t.Errorf("event %d At = %v, want %v", g.ID, g.At, w.At)
				}
				gv := *g
				gv.At, w.At = time.Time{}, time.Time{}
				if !reflect.DeepEqual(gv, w) {
					t.Errorf("event:\n got %+v\nwant %+v", gv, w)
				}
			}
		})
	}

	// Deleting a camera takes its health history with it.
	if err := s.DeleteCamera(ctx, "cam-a"); err != nil {
		t.Fatal(err)
	}
	got, err := s.HealthEvents(ctx, matthan.HealthEventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.CameraID == "cam-a" {
			t.Fatalf("event %d of a deleted camera survived", e.ID)
		}
	}
	if len(got) != 4 {
		t.Fatalf("after delete %d events, want cam-b's 4", len(got))
	}
}

func testHealthEventsDefaultLimit(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	mustCamera(t, s, "cam-a")
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 105 {
		e := &matthan.HealthEvent{CameraID: "cam-a", Stream: matthan.StreamMain, To: matthan.StateStreaming, At: base.Add(time.Duration(i) * time.Second)}
		if err := s.AddHealthEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.HealthEvents(ctx, matthan.HealthEventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Fatalf("default limit gave %d events, want 100", len(got))
	}
	if want := base.Add(104 * time.Second); !got[0].At.Equal(want) {
		t.Errorf("newest event At = %v, want %v", got[0].At, want)
	}
	got, err = s.HealthEvents(ctx, matthan.HealthEventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 105 {
		t.Fatalf("limit 1000 gave %d events, want 105", len(got))
	}
}

func testHealthEventUnknownCamera(t *testing.T, s matthan.Store) {
	err := s.AddHealthEvent(t.Context(), &matthan.HealthEvent{CameraID: "nope", Stream: matthan.StreamMain, To: matthan.StateOffline})
	wantCode(t, err, matthan.ENOTFOUND)
}

func testUsers(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	users := []*matthan.User{
		{Name: "tuan", Role: matthan.RoleOfficer, PasswordHash: "pbkdf2-sha256$1$c2FsdA$aGFzaA"},
		{Name: "admin", Role: matthan.RoleAdmin, PasswordHash: "h-admin"},
		{Name: "Nguyễn Văn A", Role: matthan.RoleViewer},
	}
	for _, u := range users {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 {
			t.Fatal("CreateUser did not set ID")
		}
		mustUTC(t, "CreatedAt", u.CreatedAt)
	}
	if users[0].ID == users[1].ID {
		t.Fatal("two users got the same ID")
	}
	wantCode(t, s.CreateUser(ctx, &matthan.User{Name: "admin", Role: matthan.RoleViewer}), matthan.ECONFLICT)
	wantCode(t, s.CreateUser(ctx, &matthan.User{Role: matthan.RoleViewer}), matthan.EINVALID)

	got, err := s.UserByName(ctx, "tuan")
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, users[0])
	got, err = s.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, users[1]) // the conflicting create changed nothing
	_, err = s.UserByName(ctx, "nobody")
	wantCode(t, err, matthan.ENOTFOUND)

	all, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("Users returned %d, want 3", len(all))
	}
	for i, want := range []*matthan.User{users[2], users[1], users[0]} { // by name
		sameUser(t, all[i], want)
	}
}

func sameUser(t *testing.T, got, want *matthan.User) {
	t.Helper()
	mustUTC(t, "CreatedAt", got.CreatedAt)
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("user %s CreatedAt = %v, want %v", want.Name, got.CreatedAt, want.CreatedAt)
	}
	g, w := *got, *want
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if g != w {
		t.Errorf("user:\n got %+v\nwant %+v", g, w)
	}
}

func testAudit(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	mustCamera(t, s, "cam-a")
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := []*matthan.AuditEntry{
		{At: base, User: "tuan", Action: "live.rtsp", CameraID: "cam-a", Stream: matthan.StreamMain, Remote: "10.1.1.1:5000", Detail: "tuần tra đêm"},
		{At: base.Add(time.Minute), User: "admin", Action: "camera.create", CameraID: "cam-a"},
		{At: base.Add(2 * time.Minute), User: "tuan", Action: "export", CameraID: "cam-b", Stream: matthan.StreamSub, Detail: "vụ việc 12/2026"},
		{At: base.Add(3 * time.Minute), User: "tuan", Action: "login", Remote: "[::1]:1234"},
	}
	for _, e := range entries {
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("AddAudit did not set ID")
		}
	}
	// Audit outlives the camera it mentions.
	if err := s.DeleteCamera(ctx, "cam-a"); err != nil {
		t.Fatal(err)
	}
	ids := func(es []*matthan.AuditEntry) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	e := entries
	tests := []struct {
		name string
		f    matthan.AuditFilter
		want []*matthan.AuditEntry
	}{
		{"all", matthan.AuditFilter{}, []*matthan.AuditEntry{e[3], e[2], e[1], e[0]}},
		{"user", matthan.AuditFilter{User: "tuan"}, []*matthan.AuditEntry{e[3], e[2], e[0]}},
		{"camera", matthan.AuditFilter{CameraID: "cam-a"}, []*matthan.AuditEntry{e[1], e[0]}},
		{"since", matthan.AuditFilter{Since: base.Add(time.Minute)}, []*matthan.AuditEntry{e[3], e[2], e[1]}},
		{"user camera since", matthan.AuditFilter{User: "tuan", CameraID: "cam-a", Since: base}, []*matthan.AuditEntry{e[0]}},
		{"limit", matthan.AuditFilter{Limit: 1}, []*matthan.AuditEntry{e[3]}},
		{"no match", matthan.AuditFilter{User: "nobody"}, []*matthan.AuditEntry{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Audit(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Error("Audit returned nil, want an empty slice")
			}
			if !reflect.DeepEqual(ids(got), ids(tt.want)) {
				t.Fatalf("Audit(%+v) IDs = %v, want %v", tt.f, ids(got), ids(tt.want))
			}
			for i, g := range got {
				mustUTC(t, "At", g.At)
				w := *tt.want[i]
				if !g.At.Equal(w.At) {
					t.Errorf("entry %d At = %v, want %v", g.ID, g.At, w.At)
				}
				gv := *g
				gv.At, w.At = time.Time{}, time.Time{}
				if gv != w {
					t.Errorf("entry:\n got %+v\nwant %+v", gv, w)
				}
			}
		})
	}

	// Default limit.
	for range 101 {
		if err := s.AddAudit(ctx, &matthan.AuditEntry{User: "bot", Action: "live.ws"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Audit(ctx, matthan.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Fatalf("default limit gave %d entries, want 100", len(got))
	}
	if got[0].User != "bot" || time.Since(got[0].At).Abs() > time.Minute {
		t.Errorf("newest entry = %+v, want one of bot's, stamped now", got[0])
	}
}

func testConcurrentWriters(t *testing.T, s matthan.Store) {
	ctx := t.Context()
	const writers, writes = 20, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes*2)
	for w := range writers {
		wg.Go(func() {
			id := fmt.Sprintf("cam-%02d", w)
			c := fullCamera(id)
			if err := s.CreateCamera(ctx, c); err != nil {
				errs <- err
				return
			}
			for i := range writes {
				var err error
				switch i % 4 {
				case 0:
					c.Notes = fmt.Sprintf("write %d", i)
					err = s.UpdateCamera(ctx, c)
				case 1:
					err = s.AddHealthEvent(ctx, &matthan.HealthEvent{CameraID: id, Stream: matthan.StreamMain, To: matthan.StateStreaming})
				case 2:
					err = s.AddAudit(ctx, &matthan.AuditEntry{User: id, Action: "live.rtsp", CameraID: id})
				case 3:
					err = s.CreateUser(ctx, &matthan.User{Name: fmt.Sprintf("%s-%d", id, i), Role: matthan.RoleViewer})
				}
				if err != nil {
					errs <- err
				}
				// Reads run alongside the writes.
				if _, err := s.Camera(ctx, id); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cams, err := s.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cams) != writers {
		t.Errorf("%d cameras, want %d", len(cams), writers)
	}
	for _, c := range cams {
		if c.Notes != fmt.Sprintf("write %d", writes-4) {
			t.Errorf("camera %s notes = %q, want the last update", c.ID, c.Notes)
		}
	}
	events, err := s.HealthEvents(ctx, matthan.HealthEventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := s.Audit(ctx, matthan.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers * writes / 4; len(events) != want || len(audit) != want || len(users) != want {
		t.Errorf("got %d events, %d audit entries, %d users; want %d of each", len(events), len(audit), len(users), want)
	}
}

// subtest is one named test of a suite.
type subtest[S any] struct {
	name string
	fn   func(t *testing.T, s S)
}

// runAll runs each test on a new store from open, closed when it ends.
func runAll[S interface{ Close() error }](t *testing.T, open func(t *testing.T) S, tests []subtest[S]) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}
