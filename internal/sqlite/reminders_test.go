package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"matthan"
)

func TestReminders(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	clock := time.Date(2026, 11, 27, 15, 0, 0, 123456789, time.UTC)
	db.now = func() time.Time { return clock }

	gate := &matthan.Reminder{CameraID: "nha-co-ba-1", Recipient: "nha-co-ba", EventID: "ev-1", SnapshotPath: "nha-co-ba-1/2026-11-27/ev-1.jpg",
		SeenAt: time.Date(2026, 11, 27, 23, 10, 0, 0, matthan.Vietnam).Add(-24 * time.Hour), What: "  Sơ hở an ninh: cổng mở lúc nửa đêm ",
		Advice: "Đề nghị khóa cổng\nvào ban đêm.", CreatedBy: "officer"}
	if err := db.CreateReminder(ctx, gate); err != nil {
		t.Fatal(err)
	}
	if gate.ID == 0 || !gate.CreatedAt.Equal(storedTime(clock)) || gate.What != "Sơ hở an ninh: cổng mở lúc nửa đêm" ||
		!gate.FollowUpAt.Equal(storedTime(clock).Add(matthan.DefaultFollowUp)) || !gate.Delivered.Portal || gate.Delivered.Email != matthan.EmailNone {
		t.Fatalf("created %+v", gate)
	}
	got, err := db.Reminder(ctx, gate.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SeenAt.Location() != time.UTC || !got.SeenAt.Equal(gate.SeenAt) || got.Advice != gate.Advice || got.SnapshotPath != gate.SnapshotPath ||
		got.Acked() || got.Delivered != gate.Delivered {
		t.Fatalf("read back %+v, stored %+v", got, gate)
	}

	// A ward camera has no portal owner: only with an e-mail address.
	ward := &matthan.Reminder{CameraID: "cam-001", SeenAt: clock.Add(-time.Hour), What: "Xe máy để ngoài", Advice: "Cất xe vào nhà"}
	err = db.CreateReminder(ctx, ward)
	if matthan.ErrorCode(err) != matthan.EINVALID || !slices.Contains(reminderFields(err), "email") {
		t.Fatalf("a ward camera's reminder without e-mail: %v", err)
	}
	ward.Email, ward.FollowUpAt = "chu.nha@example.com", clock.Add(time.Hour)
	if err := db.CreateReminder(ctx, ward); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	other := &matthan.Reminder{CameraID: "tiem-vang-1", Recipient: "tiem-vang", SeenAt: clock, What: "Cửa cuốn mở", Advice: "Đóng cửa cuốn",
		FollowUpAt: clock.Add(48 * time.Hour)}
	if err := db.CreateReminder(ctx, other); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		r    matthan.Reminder
		want []string
	}{
		{"empty", matthan.Reminder{}, []string{"camera_id", "seen_at", "what", "advice"}},
		{"future, bad mail", matthan.Reminder{CameraID: "c", Recipient: "a", Email: "not-mail", SeenAt: clock.Add(time.Hour), What: "x", Advice: "y"},
			[]string{"email", "seen_at"}},
		{"control characters", matthan.Reminder{CameraID: "c", Recipient: "a", SeenAt: clock, What: "x\x00", Advice: "y"}, []string{"what"}},
	} {
		err := db.CreateReminder(ctx, &tc.r)
		if matthan.ErrorCode(err) != matthan.EINVALID || !slices.Equal(reminderFields(err), tc.want) {
			t.Errorf("%s: %v, fields %v, want %v", tc.name, err, reminderFields(err), tc.want)
		}
		if e, ok := err.(*matthan.Error); ok && (e.MessageVI == "" || e.Fields[0].MessageVI == "") {
			t.Errorf("%s: not bilingual: %+v", tc.name, e)
		}
	}

	ids := func(f matthan.ReminderFilter) []int64 {
		t.Helper()
		list, err := db.Reminders(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	later := clock.Add(2 * time.Hour) // the ward camera's follow-up is due, the others not
	for _, tc := range []struct {
		name string
		f    matthan.ReminderFilter
		want []int64
	}{
		{"all, newest first", matthan.ReminderFilter{}, []int64{other.ID, ward.ID, gate.ID}},
		{"recipient", matthan.ReminderFilter{Recipient: "nha-co-ba"}, []int64{gate.ID}},
		{"camera", matthan.ReminderFilter{CameraID: "tiem-vang-1"}, []int64{other.ID}},
		{"overdue", matthan.ReminderFilter{OverdueAt: later}, []int64{ward.ID}},
		{"overdue in 4 days", matthan.ReminderFilter{OverdueAt: clock.Add(96 * time.Hour)}, []int64{other.ID, ward.ID, gate.ID}},
		{"limit", matthan.ReminderFilter{Limit: 1}, []int64{other.ID}},
	} {
		if got := ids(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// Only the recipient acknowledges; the first acknowledgement stays.
	if _, err := db.AckReminder(ctx, gate.ID, "tiem-vang", "không phải nhà tôi", clock); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("another owner acknowledging: %v", err)
	}
	if _, err := db.AckReminder(ctx, ward.ID, "", "", clock); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("acknowledging a ward camera's reminder: %v", err)
	}
	if _, err := db.AckReminder(ctx, 999, "nha-co-ba", "", clock); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("unknown reminder: %v", err)
	}
	acked, err := db.AckReminder(ctx, gate.ID, "nha-co-ba", " Đã lắp khóa mới ", clock)
	if err != nil {
		t.Fatal(err)
	}
	if !acked.AckedAt.Equal(storedTime(clock)) || acked.AckNote != "Đã lắp khóa mới" {
		t.Fatalf("acknowledged %+v", acked)
	}
	again, err := db.AckReminder(ctx, gate.ID, "nha-co-ba", "lần hai", clock.Add(time.Hour))
	if err != nil || !again.AckedAt.Equal(acked.AckedAt) || again.AckNote != "Đã lắp khóa mới" {
		t.Fatalf("second acknowledgement: %+v %v", again, err)
	}
	if got := ids(matthan.ReminderFilter{Unacked: true}); !slices.Equal(got, []int64{other.ID, ward.ID}) {
		t.Errorf("unacknowledged: %v", got)
	}

	// Follow-ups: counted and rescheduled; none once acknowledged.
	next := later.Add(72 * time.Hour)
	fu, err := db.FollowUpReminder(ctx, ward.ID, next)
	if err != nil {
		t.Fatal(err)
	}
	if fu.FollowUps != 1 || !fu.FollowUpAt.Equal(storedTime(next)) {
		t.Fatalf("followed up %+v", fu)
	}
	if got := ids(matthan.ReminderFilter{OverdueAt: later}); len(got) != 0 {
		t.Errorf("overdue after the follow-up: %v", got)
	}
	if _, err := db.FollowUpReminder(ctx, gate.ID, next); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("following up an acknowledged reminder: %v", err)
	}
	if _, err := db.FollowUpReminder(ctx, 999, next); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("following up an unknown reminder: %v", err)
	}

	// The e-mail's fate is recorded; the portal stays delivered.
	d, err := db.SetReminderDelivery(ctx, ward.ID, matthan.Delivery{Email: matthan.EmailFailed, EmailError: "550 mailbox unavailable", EmailAt: clock})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Delivered.Portal || d.Delivered.Email != matthan.EmailFailed || d.Delivered.EmailError != "550 mailbox unavailable" ||
		!d.Delivered.EmailAt.Equal(storedTime(clock)) || d.FollowUps != 1 {
		t.Errorf("delivery %+v", d)
	}
	if _, err := db.SetReminderDelivery(ctx, 999, matthan.Delivery{}); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("delivery of an unknown reminder: %v", err)
	}
}

func reminderFields(err error) []string {
	e, ok := err.(*matthan.Error)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}
