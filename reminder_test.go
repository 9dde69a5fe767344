package matthan

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReminderValidate(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	good := func() Reminder {
		return Reminder{CameraID: "nha-co-ba-1", Recipient: "nha-co-ba", SeenAt: now.Add(-time.Hour).In(Vietnam),
			What: " Cổng mở lúc nửa đêm ", Advice: "Khóa cổng\nvào ban đêm"}
	}
	r := good()
	if err := r.Validate(now); err != nil {
		t.Fatal(err)
	}
	if r.What != "Cổng mở lúc nửa đêm" || r.SeenAt.Location() != time.UTC || !r.FollowUpAt.Equal(now.Add(DefaultFollowUp)) ||
		r.Delivered.Email != EmailNone || r.Overdue(now) || !r.Overdue(now.Add(DefaultFollowUp+time.Second)) {
		t.Errorf("after Validate: %+v", r)
	}
	r.AckedAt = now
	if r.Overdue(now.Add(30 * 24 * time.Hour)) {
		t.Error("an acknowledged reminder is overdue")
	}

	for _, tc := range []struct {
		name   string
		edit   func(*Reminder)
		fields []string
	}{
		{"ward camera without e-mail", func(r *Reminder) { r.Recipient = "" }, []string{"email"}},
		{"ward camera with e-mail", func(r *Reminder) { r.Recipient, r.Email = "", "chu.nha@example.com" }, nil},
		{"bad e-mail", func(r *Reminder) { r.Email = "a@b" }, []string{"email"}},
		{"header injection", func(r *Reminder) { r.Email = "a@b.example>, c@d.example" }, []string{"email"}},
		{"bad camera", func(r *Reminder) { r.CameraID = "Cam 1" }, []string{"camera_id"}},
		{"future", func(r *Reminder) { r.SeenAt = now.Add(time.Hour) }, []string{"seen_at"}},
		{"no time", func(r *Reminder) { r.SeenAt = time.Time{} }, []string{"seen_at"}},
		{"blank", func(r *Reminder) { r.What, r.Advice = "  ", "" }, []string{"what", "advice"}},
		{"too long", func(r *Reminder) { r.Advice = strings.Repeat("ă", 2001) }, []string{"advice"}},
		{"control", func(r *Reminder) { r.What = "a\x07b" }, []string{"what"}},
		{"ack note too long", func(r *Reminder) { r.AckNote = strings.Repeat("x", 1001) }, []string{"ack_note"}},
	} {
		r := good()
		tc.edit(&r)
		err := r.Validate(now)
		var got []string
		if e, ok := err.(*Error); ok {
			if e.Code != EINVALID || e.MessageVI == "" {
				t.Errorf("%s: %+v", tc.name, e)
			}
			for _, f := range e.Fields {
				got = append(got, f.Field)
				if f.Message == "" || f.MessageVI == "" {
					t.Errorf("%s: field %s is not bilingual", tc.name, f.Field)
				}
			}
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
		}
	}
}

func TestReminderFromEvent(t *testing.T) {
	for _, typ := range EventTypes {
		if EventTypeVI(typ) == string(typ) {
			t.Errorf("event type %s has no Vietnamese name", typ)
		}
	}
	e := &AnalyticsEvent{Type: EventSecurityLapse, SummaryVI: " Cổng mở lúc 23:10 "}
	if got := ReminderWhat(e); got != "Sơ hở an ninh: Cổng mở lúc 23:10" {
		t.Errorf("ReminderWhat = %q", got)
	}
	if got := ReminderWhat(&AnalyticsEvent{Type: EventDumping}); got != "Đổ rác trái phép" {
		t.Errorf("without a summary: %q", got)
	}
	if DefaultAdvice(EventSecurityLapse) == "" || DefaultAdvice(EventLoitering) != "" {
		t.Error("default advice")
	}
}
