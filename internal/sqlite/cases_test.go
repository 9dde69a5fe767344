package sqlite

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
)

func TestCases(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	clock := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return clock }

	// Bad input: every bad field named, in both languages.
	err := db.CreateCase(ctx, &matthan.Case{Number: "VV 2026", Title: " ", KeepDays: -1})
	if got, want := reminderFields(err), []string{"number", "title", "keep_days", "opened_by"}; !slices.Equal(got, want) {
		t.Fatalf("bad case: fields %v, want %v (%v)", got, want, err)
	}
	if e := err.(*matthan.Error); e.Fields[0].MessageVI == "" || e.MessageVI == "" {
		t.Errorf("no Vietnamese message: %+v", e)
	}

	c := &matthan.Case{Number: " VV-2026-0042 ", Title: "Trộm xe máy trước nhà số 12", OpenedBy: "officer.tuan"}
	if err := db.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.Number != "VV-2026-0042" || c.KeepDays != matthan.DefaultCaseKeepDays || c.Status != matthan.CaseOpen || !c.OpenedAt.Equal(clock) {
		t.Fatalf("created %+v", c)
	}
	if err := db.CreateCase(ctx, &matthan.Case{Number: "VV-2026-0042", Title: "x", OpenedBy: "a"}); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("same number: %v", err)
	}
	if _, err := db.Case(ctx, c.ID+100); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("unknown case: %v", err)
	}

	// Footage and an event lock their footage, labelled with the number.
	from := clock.Add(-2 * time.Hour)
	footage := &matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemFootage, CameraID: "cam-001", From: from, To: from.Add(10 * time.Minute), AddedBy: "officer.tuan"}
	event := &matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemEvent, EventID: "ev-1", CameraID: "cam-002", From: from, To: from.Add(5 * time.Minute), AddedBy: "officer.tuan"}
	person := &matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemPerson, Text: "Nam, áo khoác đen, mũ bảo hiểm đỏ", AddedBy: "officer.lan"}
	for _, it := range []*matthan.CaseItem{footage, event, person} {
		clock = clock.Add(time.Minute)
		if err := db.AddCaseItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if footage.LockID == 0 || event.LockID == 0 || person.LockID != 0 {
		t.Fatalf("locks: footage %d, event %d, person %d", footage.LockID, event.LockID, person.LockID)
	}
	active := func() map[int64]bool {
		t.Helper()
		ls, err := db.Locks(ctx, matthan.LockFilter{Active: true})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]bool{}
		for _, l := range ls {
			if l.Case != "VV-2026-0042" || l.CreatedBy == "" {
				t.Errorf("lock %+v", l)
			}
			out[l.ID] = true
		}
		return out
	}
	if a := active(); !a[footage.LockID] || !a[event.LockID] || len(a) != 2 {
		t.Fatalf("active locks %v", a)
	}
	for _, tc := range []struct {
		name string
		it   matthan.CaseItem
		want []string
	}{
		{"no kind", matthan.CaseItem{CaseID: c.ID, AddedBy: "a"}, []string{"kind"}},
		{"footage without range", matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemFootage, CameraID: "Bad Cam"}, []string{"camera_id", "from", "to", "added_by"}},
		{"backwards", matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemFootage, CameraID: "cam-001", From: from, To: from, AddedBy: "a"}, []string{"to"}},
		{"empty note", matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemNote, Text: " ", AddedBy: "a"}, []string{"text"}},
		{"event without id", matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemEvent, CameraID: "cam-001", From: from, To: from.Add(time.Second), AddedBy: "a"}, []string{"event_id"}},
	} {
		if got := reminderFields(db.AddCaseItem(ctx, &tc.it)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.want)
		}
	}

	// Removing is soft, needs a reason, and releases the lock.
	if _, err := db.RemoveCaseItem(ctx, c.ID, event.ID, "officer.lan", " ", time.Time{}); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("removal without reason: %v", err)
	}
	clock = clock.Add(time.Minute)
	removed, err := db.RemoveCaseItem(ctx, c.ID, event.ID, "officer.lan", "Nhầm camera", time.Time{})
	if err != nil || removed.RemovedBy != "officer.lan" || removed.RemoveReason != "Nhầm camera" || !removed.RemovedAt.Equal(clock) {
		t.Fatalf("removed %+v, %v", removed, err)
	}
	if _, err := db.RemoveCaseItem(ctx, c.ID, event.ID, "officer.lan", "again", time.Time{}); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("removed twice: %v", err)
	}
	if a := active(); !a[footage.LockID] || a[event.LockID] {
		t.Errorf("after removal, active locks %v", a)
	}
	items, err := db.CaseItems(ctx, c.ID)
	if err != nil || len(items) != 3 || !items[1].Removed() || items[2].Text != person.Text || items[0].LockID != footage.LockID {
		t.Fatalf("items %+v, %v", items, err)
	}
	if list, err := db.Cases(ctx, matthan.CaseFilter{}); err != nil || len(list) != 1 || list[0].Items != 2 {
		t.Fatalf("the case list counts the items not removed: %+v, %v", list, err)
	}

	// Closing schedules the locks' end at ClosedAt + KeepDays.
	clock = clock.Add(time.Hour)
	closed, err := db.CloseCase(ctx, c.ID, "officer.tuan", "Đã bắt được đối tượng", time.Time{})
	if err != nil || closed.Status != matthan.CaseClosed || !closed.ClosedAt.Equal(clock) {
		t.Fatalf("closed %+v, %v", closed, err)
	}
	until := clock.Add(365 * 24 * time.Hour)
	ls, err := db.Locks(ctx, matthan.LockFilter{CameraID: "cam-001"})
	if err != nil || len(ls) != 1 || !ls[0].ReleasedAt.Equal(until) {
		t.Fatalf("lock after closing %+v, %v (want its end at %v)", ls, err, until)
	}
	if a := active(); !a[footage.LockID] {
		t.Errorf("closed case's lock ended early: %v", a)
	}
	if err := db.AddCaseItem(ctx, &matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemNote, Text: "x", AddedBy: "a"}); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("item added to a closed case: %v", err)
	}
	if _, err := db.CloseCase(ctx, c.ID, "officer.tuan", "", time.Time{}); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("closed twice: %v", err)
	}
	clock = until.Add(time.Second)
	if a := active(); len(a) != 0 {
		t.Errorf("locks past the case's days: %v", a)
	}
	if cs, err := db.Cases(ctx, matthan.CaseFilter{Status: matthan.CaseOpen}); err != nil || len(cs) != 0 {
		t.Errorf("open cases %v, %v", cs, err)
	}

	// Reopening locks the footage again (not the removed event's).
	reopened, err := db.ReopenCase(ctx, c.ID, "officer.lan", "Có nhân chứng mới", time.Time{})
	if err != nil || reopened.Status != matthan.CaseOpen || !reopened.ClosedAt.IsZero() {
		t.Fatalf("reopened %+v, %v", reopened, err)
	}
	items, _ = db.CaseItems(ctx, c.ID)
	if a := active(); len(a) != 1 || !a[items[0].LockID] || items[0].LockID == footage.LockID {
		t.Errorf("after reopening, active locks %v, item lock %d", a, items[0].LockID)
	}
	if cs, err := db.Cases(ctx, matthan.CaseFilter{Status: matthan.CaseOpen}); err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Errorf("open cases %v, %v", cs, err)
	}

	if err := db.AddCaseLog(ctx, &matthan.CaseLog{CaseID: c.ID, User: "officer.lan", Action: matthan.CaseActionExport, Detail: "package x"}); err != nil {
		t.Fatal(err)
	}
	logs, err := db.CaseLogs(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range logs {
		got = append(got, string(e.Action)+" by "+e.User)
	}
	want := []string{"open by officer.tuan", "add_item by officer.tuan", "add_item by officer.tuan", "add_item by officer.lan",
		"remove_item by officer.lan", "close by officer.tuan", "reopen by officer.lan", "export by officer.lan"}
	if !slices.Equal(got, want) {
		t.Errorf("log\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(logs[4].Detail, "Nhầm camera") || logs[4].ItemID != event.ID {
		t.Errorf("removal log %+v", logs[4])
	}
	// The record is in Vietnamese, with Vietnam time.
	if want := "đoạn ghi hình; camera cam-001, " + matthan.FormatLocal(from) + " – " + matthan.FormatLocal(from.Add(10*time.Minute)) + "; khóa chứng cứ số"; !strings.HasPrefix(logs[1].Detail, want) {
		t.Errorf("footage log %q, want it to start with %q", logs[1].Detail, want)
	}

	// The chain of custody cannot be rewritten, nor items deleted.
	for _, q := range []string{`UPDATE case_logs SET user = 'x'`, `DELETE FROM case_logs`, `DELETE FROM case_items`, `DELETE FROM cases`} {
		if _, err := db.write.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}
