package storetest

import (
	"maps"
	"reflect"
	"testing"
	"time"

	"matthan"
)

// The retention part of the recording suite pins down:
//   - a camera's RetainDays and QuotaBytes are 0 unless set, kept like every
//     other field, and out of range (days outside 0..3650, negative bytes)
//     is EINVALID;
//   - RecordingBytes with zero bounds is every segment's bytes per camera,
//     kept current by AddSegment and DeleteSegment, cameras without
//     segments left out; with bounds it counts segments starting in them;
//   - AddLock sets ID and stored times (UTC, µs; CreatedAt now when zero);
//     ReleaseLock records who and when, once; Locks overlap like Segments,
//     ordered by Start, Active leaving out released locks.
var retentionTests = []subtest[RecordingStore]{
	{"CameraRetentionSettings", testCameraRetentionSettings},
	{"RecordingBytes", testRecordingBytes},
	{"LockRoundTrip", testLockRoundTrip},
	{"LockInvalid", testLockInvalid},
	{"ReleaseLock", testReleaseLock},
	{"LockOverlap", testLockOverlap},
}

func testCameraRetentionSettings(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	plain := fullCamera("cam-plain")
	if err := s.CreateCamera(ctx, plain); err != nil {
		t.Fatal(err)
	}
	c := fullCamera("cam-kept")
	c.RetainDays, c.QuotaBytes = 90, 5<<40
	if err := s.CreateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*matthan.Camera{plain, c} {
		got, err := s.Camera(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameCamera(t, got, want)
	}

	for _, set := range []struct {
		days  int
		quota int64
	}{{7, 1}, {0, 0}, {3650, 1 << 62}} {
		c.RetainDays, c.QuotaBytes = set.days, set.quota
		if err := s.UpdateCamera(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Camera(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RetainDays != set.days || got.QuotaBytes != set.quota {
			t.Errorf("after update to (%d, %d): stored (%d, %d)", set.days, set.quota, got.RetainDays, got.QuotaBytes)
		}
	}

	for _, bad := range []struct {
		days  int
		quota int64
	}{{-1, 0}, {3651, 0}, {0, -1}} {
		b := fullCamera("cam-bad")
		b.RetainDays, b.QuotaBytes = bad.days, bad.quota
		wantCode(t, s.CreateCamera(ctx, b), matthan.EINVALID)
		c.RetainDays, c.QuotaBytes = bad.days, bad.quota
		wantCode(t, s.UpdateCamera(ctx, c), matthan.EINVALID)
	}
	if _, err := s.Camera(ctx, "cam-bad"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("a camera with invalid retention was stored: %v", err)
	}
	if got, err := s.Camera(ctx, c.ID); err != nil || got.RetainDays != 3650 {
		t.Errorf("a refused update changed the camera: %+v, %v", got, err)
	}
}

func testRecordingBytes(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	bytes := func(from, to time.Time) map[string]int64 {
		t.Helper()
		got, err := s.RecordingBytes(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			t.Fatal("RecordingBytes returned a nil map")
		}
		return got
	}
	if got := bytes(time.Time{}, time.Time{}); len(got) != 0 {
		t.Errorf("empty index: RecordingBytes = %v, want {}", got)
	}
	var segs []*matthan.Segment
	add := func(camera string, stream matthan.StreamRole, start time.Time, n int64) {
		seg := fullSegment(camera, stream, start, time.Minute)
		seg.Bytes = n
		segs = append(segs, mustAddSegment(t, s, seg))
	}
	add("cam-a", matthan.StreamMain, recBase, 100)
	add("cam-a", matthan.StreamSub, recBase, 10)
	add("cam-a", matthan.StreamMain, recBase.Add(time.Minute), 200)
	add("cam-b", matthan.StreamMain, recBase.Add(time.Hour), 1<<40)
	add("cam-c", matthan.StreamMain, recBase.Add(2*time.Hour), 0)

	tests := []struct {
		name     string
		from, to time.Time
		want     map[string]int64
	}{
		{"all", time.Time{}, time.Time{}, map[string]int64{"cam-a": 310, "cam-b": 1 << 40, "cam-c": 0}},
		{"from", recBase.Add(time.Minute), time.Time{}, map[string]int64{"cam-a": 200, "cam-b": 1 << 40, "cam-c": 0}},
		// A segment counts where it starts, not where it overlaps.
		{"to", time.Time{}, recBase.Add(time.Minute), map[string]int64{"cam-a": 110}},
		{"both", recBase.Add(30 * time.Second), recBase.Add(90 * time.Minute), map[string]int64{"cam-a": 200, "cam-b": 1 << 40}},
		{"none", recBase.Add(3 * time.Hour), time.Time{}, map[string]int64{}},
	}
	for _, tt := range tests {
		if got := bytes(tt.from, tt.to); !maps.Equal(got, tt.want) {
			t.Errorf("%s: RecordingBytes = %v, want %v", tt.name, got, tt.want)
		}
	}

	// Totals follow deletions, and a camera with nothing left drops out.
	if err := s.DeleteSegment(ctx, segs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSegment(ctx, segs[3].ID); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"cam-a": 210, "cam-c": 0}
	if got := bytes(time.Time{}, time.Time{}); !maps.Equal(got, want) {
		t.Errorf("after deletions: RecordingBytes = %v, want %v", got, want)
	}
	add("cam-b", matthan.StreamMain, recBase.Add(5*time.Hour), 7)
	want["cam-b"] = 7
	if got := bytes(time.Time{}, time.Time{}); !maps.Equal(got, want) {
		t.Errorf("after re-adding: RecordingBytes = %v, want %v", got, want)
	}
}

func newLock(camera string, start time.Time, d time.Duration) *matthan.EvidenceLock {
	return &matthan.EvidenceLock{
		CameraID:  camera,
		Start:     start,
		End:       start.Add(d),
		Case:      "VV-2026/0142",
		Reason:    "Trộm xe máy trước chợ",
		CreatedBy: "officer.tuan",
	}
}

func mustAddLock(t *testing.T, s RecordingStore, l *matthan.EvidenceLock) *matthan.EvidenceLock {
	t.Helper()
	if err := s.AddLock(t.Context(), l); err != nil {
		t.Fatalf("AddLock: %v", err)
	}
	if l.ID == 0 {
		t.Fatal("AddLock did not set ID")
	}
	return l
}

func locks(t *testing.T, s RecordingStore, f matthan.LockFilter) []*matthan.EvidenceLock {
	t.Helper()
	ls, err := s.Locks(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if ls == nil {
		t.Fatal("Locks returned nil, want a non-nil slice")
	}
	return ls
}

func lockIDs(ls []*matthan.EvidenceLock) []int64 {
	ids := []int64{}
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	return ids
}

func testLockRoundTrip(t *testing.T, s RecordingStore) {
	before := time.Now().Add(-time.Second)
	l := newLock("cam-001", recBase.Add(1234567).In(hcm), 10*time.Minute)
	sent := *l
	mustAddLock(t, s, l)
	mustUTC(t, "Start", l.Start)
	mustUTC(t, "End", l.End)
	mustUTC(t, "CreatedAt", l.CreatedAt)
	if !l.Start.Equal(sent.Start.Truncate(time.Microsecond)) || !l.End.Equal(sent.End.Truncate(time.Microsecond)) {
		t.Errorf("AddLock set [%v, %v), want the stored [%v, %v)", l.Start, l.End, sent.Start, sent.End)
	}
	if l.CreatedAt.Before(before) || l.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", l.CreatedAt)
	}
	// A given creation time is kept (a lock imported from another node).
	given := newLock("cam-002", recBase, time.Minute)
	given.CreatedAt = recBase.Add(time.Hour + 999)
	mustAddLock(t, s, given)

	got := locks(t, s, matthan.LockFilter{})
	if len(got) != 2 {
		t.Fatalf("Locks = %d locks, want 2", len(got))
	}
	for i, want := range []*matthan.EvidenceLock{given, l} {
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("lock %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	if !got[0].CreatedAt.Equal(recBase.Add(time.Hour)) {
		t.Errorf("given CreatedAt stored as %v", got[0].CreatedAt)
	}
	// Locks need no registered camera, like footage.
	if got[1].Case != "VV-2026/0142" || got[1].Reason != "Trộm xe máy trước chợ" || !got[1].ReleasedAt.IsZero() {
		t.Errorf("lock fields lost: %+v", got[1])
	}
}

func testLockInvalid(t *testing.T, s RecordingStore) {
	tests := []struct {
		name   string
		change func(*matthan.EvidenceLock)
	}{
		{"no camera", func(l *matthan.EvidenceLock) { l.CameraID = "" }},
		{"no case", func(l *matthan.EvidenceLock) { l.Case = " " }},
		{"no reason", func(l *matthan.EvidenceLock) { l.Reason = "" }},
		{"no creator", func(l *matthan.EvidenceLock) { l.CreatedBy = "" }},
		{"no start", func(l *matthan.EvidenceLock) { l.Start = time.Time{} }},
		{"no end", func(l *matthan.EvidenceLock) { l.End = time.Time{} }},
		{"empty range", func(l *matthan.EvidenceLock) { l.End = l.Start }},
		{"end before start", func(l *matthan.EvidenceLock) { l.End = l.Start.Add(-time.Minute) }},
		{"empty once stored", func(l *matthan.EvidenceLock) { l.End = l.Start.Add(500 * time.Nanosecond) }},
		{"already released", func(l *matthan.EvidenceLock) { l.ReleasedBy, l.ReleasedAt = "x", recBase }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLock("cam-001", recBase, time.Hour)
			tt.change(l)
			wantCode(t, s.AddLock(t.Context(), l), matthan.EINVALID)
			if l.ID != 0 {
				t.Errorf("a refused lock got ID %d", l.ID)
			}
		})
	}
	if got := locks(t, s, matthan.LockFilter{}); len(got) != 0 {
		t.Errorf("refused locks were stored: %v", lockIDs(got))
	}
}

func testReleaseLock(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	a := mustAddLock(t, s, newLock("cam-001", recBase, time.Hour))
	b := mustAddLock(t, s, newLock("cam-001", recBase.Add(time.Hour), time.Hour))

	wantCode(t, s.ReleaseLock(ctx, a.ID, "", recBase), matthan.EINVALID)
	wantCode(t, s.ReleaseLock(ctx, a.ID+b.ID+100, "officer.lan", recBase), matthan.ENOTFOUND)
	at := recBase.Add(24*time.Hour + 999).In(hcm)
	if err := s.ReleaseLock(ctx, a.ID, "officer.lan", at); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.ReleaseLock(ctx, a.ID, "officer.lan", at.Add(time.Hour)), matthan.ECONFLICT)
	before := time.Now().Add(-time.Second)
	if err := s.ReleaseLock(ctx, b.ID, "officer.tuan", time.Time{}); err != nil {
		t.Fatal(err)
	}

	all := locks(t, s, matthan.LockFilter{CameraID: "cam-001"})
	if len(all) != 2 {
		t.Fatalf("Locks = %v, want both (released locks are history)", lockIDs(all))
	}
	if all[0].ReleasedBy != "officer.lan" || !all[0].ReleasedAt.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("released lock = %q at %v, want officer.lan at %v", all[0].ReleasedBy, all[0].ReleasedAt, at)
	}
	mustUTC(t, "ReleasedAt", all[0].ReleasedAt)
	if all[1].ReleasedBy != "officer.tuan" || all[1].ReleasedAt.Before(before) {
		t.Errorf("lock released at zero time = %q at %v, want now", all[1].ReleasedBy, all[1].ReleasedAt)
	}
	if got := locks(t, s, matthan.LockFilter{Active: true}); len(got) != 0 {
		t.Errorf("active locks after release = %v, want none", lockIDs(got))
	}
}

func testLockOverlap(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	// Added out of order: Locks orders by Start.
	lateLock := newLock("cam-a", recBase.Add(2*time.Hour), time.Hour)
	lateLock.Case = "VV-2026-099"
	late := mustAddLock(t, s, lateLock)                                                   // [2h, 3h)
	early := mustAddLock(t, s, newLock("cam-a", recBase, time.Hour))                      // [0, 1h)
	long := mustAddLock(t, s, newLock("cam-a", recBase.Add(-24*time.Hour), 48*time.Hour)) // [-24h, 24h)
	other := mustAddLock(t, s, newLock("cam-b", recBase.Add(30*time.Minute), time.Hour))  // [30m, 90m)
	if err := s.ReleaseLock(ctx, early.ID, "officer.lan", recBase.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	at := func(d time.Duration) time.Time { return recBase.Add(d) }
	tests := []struct {
		name string
		f    matthan.LockFilter
		want []*matthan.EvidenceLock
	}{
		{"all", matthan.LockFilter{}, []*matthan.EvidenceLock{long, early, other, late}},
		{"camera", matthan.LockFilter{CameraID: "cam-a"}, []*matthan.EvidenceLock{long, early, late}},
		{"active", matthan.LockFilter{Active: true}, []*matthan.EvidenceLock{long, other, late}},
		{"active camera", matthan.LockFilter{CameraID: "cam-a", Active: true}, []*matthan.EvidenceLock{long, late}},
		{"inside one", matthan.LockFilter{CameraID: "cam-a", From: at(10 * time.Minute), To: at(20 * time.Minute)}, []*matthan.EvidenceLock{long, early}},
		{"end is exclusive", matthan.LockFilter{CameraID: "cam-a", From: at(time.Hour), To: at(2 * time.Hour)}, []*matthan.EvidenceLock{long}},
		{"start is inclusive", matthan.LockFilter{CameraID: "cam-a", From: at(90 * time.Minute), To: at(2*time.Hour + time.Microsecond)}, []*matthan.EvidenceLock{long, late}},
		{"from only", matthan.LockFilter{From: at(24 * time.Hour)}, []*matthan.EvidenceLock{}},
		{"to only", matthan.LockFilter{To: at(0)}, []*matthan.EvidenceLock{long}},
		{"empty range", matthan.LockFilter{From: at(time.Hour), To: at(time.Hour)}, []*matthan.EvidenceLock{}},
		{"backwards range", matthan.LockFilter{From: at(2 * time.Hour), To: at(time.Hour)}, []*matthan.EvidenceLock{}},
		{"by ID", matthan.LockFilter{ID: other.ID}, []*matthan.EvidenceLock{other}},
		{"unknown ID", matthan.LockFilter{ID: late.ID + early.ID + long.ID + other.ID}, []*matthan.EvidenceLock{}},
		{"by case", matthan.LockFilter{Case: "VV-2026-099"}, []*matthan.EvidenceLock{late}},
		{"case and camera", matthan.LockFilter{Case: "VV-2026-099", CameraID: "cam-b"}, []*matthan.EvidenceLock{}},
	}
	for _, tt := range tests {
		got, want := lockIDs(locks(t, s, tt.f)), lockIDs(tt.want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Locks = %v, want %v", tt.name, got, want)
		}
	}
}
