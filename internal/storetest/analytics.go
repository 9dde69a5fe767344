package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"matthan"
)

// AnalyticsStore is what RunAnalytics tests: a Store that also keeps
// analytics events.
type AnalyticsStore interface {
	matthan.Store
	matthan.EventStore
}

// RunAnalytics is the conformance suite of matthan.EventStore. open must
// return a new, empty store for each call; RunAnalytics closes it.
//
// Beyond the interface docs it pins down: times come back in UTC at
// microsecond precision, TrackIDs come back non-nil in the order stored,
// an event needs no registered camera, the list defaults to 100 results,
// and a zero ReviewedAt stays zero.
func RunAnalytics(t *testing.T, open func(t *testing.T) AnalyticsStore) {
	tests := []subtest[AnalyticsStore]{
		{"RoundTrip", testEventRoundTrip},
		{"Invalid", testEventInvalid},
		{"Conflict", testEventConflict},
		{"Update", testEventUpdate},
		{"Filters", testEventFilters},
		{"DefaultLimit", testEventDefaultLimit},
		{"Review", testEventReview},
		{"NotFound", testEventNotFound},
		{"Prune", testEventPrune},
	}
	runAll(t, open, tests)
}

var eventT0 = time.Date(2026, 3, 1, 15, 30, 0, 123456789, time.UTC) // 22:30 in Vietnam

func sampleEvent(id, camera string, typ matthan.EventType, start time.Time) *matthan.AnalyticsEvent {
	return &matthan.AnalyticsEvent{ID: id, Type: typ, CameraID: camera, Zone: "Cổng chợ",
		Start: start, End: start.Add(40 * time.Second), TrackIDs: []int64{7, 3},
		Box: [4]float64{0.25, 0.5, 0.375, 0.875}, Severity: matthan.SeverityAlarm,
		Summary: "A person stayed 3 min in Cổng chợ", SummaryVI: "Một người ở lại 3 phút tại Cổng chợ",
		SnapshotPath: camera + "/2026-03-01/" + id + ".jpg"}
}

func mustAddEvent(t *testing.T, s AnalyticsStore, e *matthan.AnalyticsEvent) {
	t.Helper()
	if err := s.AddAnalyticsEvent(t.Context(), e); err != nil {
		t.Fatalf("add %s: %v", e.ID, err)
	}
}

func eventIDs(es []*matthan.AnalyticsEvent) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func testEventRoundTrip(t *testing.T, s AnalyticsStore) {
	in := sampleEvent("ev-1", "cam-001", matthan.EventLoitering, eventT0)
	mustAddEvent(t, s, in)
	want := *in
	want.Start, want.End = eventT0.Truncate(time.Microsecond), eventT0.Add(40*time.Second).Truncate(time.Microsecond)
	want.Review = matthan.ReviewNone
	if !reflect.DeepEqual(*in, want) {
		t.Errorf("after add: %+v\nwant %+v", *in, want)
	}
	got, err := s.AnalyticsEvent(t.Context(), "ev-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
	if got.Start.Location() != time.UTC || !got.ReviewedAt.IsZero() {
		t.Errorf("start %v reviewed %v", got.Start.Location(), got.ReviewedAt)
	}

	// A minimal event: defaults filled, TrackIDs non-nil.
	min := &matthan.AnalyticsEvent{ID: "ev-2", Type: matthan.EventTamper, CameraID: "cam-002", Start: eventT0, End: eventT0}
	mustAddEvent(t, s, min)
	got, err = s.AnalyticsEvent(t.Context(), "ev-2")
	if err != nil {
		t.Fatal(err)
	}
	if got.TrackIDs == nil || len(got.TrackIDs) != 0 || got.Severity != matthan.SeverityAlarm || got.Review != matthan.ReviewNone || got.Box != [4]float64{} {
		t.Errorf("minimal event: %+v", got)
	}
}

func testEventInvalid(t *testing.T, s AnalyticsStore) {
	for _, tc := range []struct {
		name  string
		edit  func(e *matthan.AnalyticsEvent)
		field string
	}{
		{"no id", func(e *matthan.AnalyticsEvent) { e.ID = "" }, "id"},
		{"long id", func(e *matthan.AnalyticsEvent) { e.ID = strings.Repeat("x", 65) }, "id"},
		{"bad type", func(e *matthan.AnalyticsEvent) { e.Type = "speeding" }, "type"},
		{"no camera", func(e *matthan.AnalyticsEvent) { e.CameraID = "" }, "camera_id"},
		{"no start", func(e *matthan.AnalyticsEvent) { e.Start = time.Time{} }, "end"},
		{"end before start", func(e *matthan.AnalyticsEvent) { e.End = e.Start.Add(-time.Second) }, "end"},
		{"box over 1", func(e *matthan.AnalyticsEvent) { e.Box[2] = 1.5 }, "box"},
		{"box reversed", func(e *matthan.AnalyticsEvent) { e.Box = [4]float64{0.5, 0.5, 0.25, 0.75} }, "box"},
		{"bad severity", func(e *matthan.AnalyticsEvent) { e.Severity = "panic" }, "severity"},
		{"bad review", func(e *matthan.AnalyticsEvent) { e.Review = "maybe" }, "review"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sampleEvent("ev-bad", "cam-001", matthan.EventCrowd, eventT0)
			tc.edit(e)
			err := s.AddAnalyticsEvent(t.Context(), e)
			wantCode(t, err, matthan.EINVALID)
			if !strings.Contains(fmt.Sprint(err), tc.field) && !hasField(err, tc.field) {
				t.Errorf("error %v does not name %s", err, tc.field)
			}
		})
	}
}

func hasField(err error, field string) bool {
	if e, ok := err.(*matthan.Error); ok {
		for _, f := range e.Fields {
			if f.Field == field {
				return true
			}
		}
	}
	return false
}

func testEventConflict(t *testing.T, s AnalyticsStore) {
	mustAddEvent(t, s, sampleEvent("ev-1", "cam-001", matthan.EventCrowd, eventT0))
	wantCode(t, s.AddAnalyticsEvent(t.Context(), sampleEvent("ev-1", "cam-002", matthan.EventDumping, eventT0)), matthan.ECONFLICT)
}

func testEventUpdate(t *testing.T, s AnalyticsStore) {
	ctx := t.Context()
	e := sampleEvent("ev-1", "cam-001", matthan.EventIllegalParking, eventT0)
	e.SnapshotPath = ""
	mustAddEvent(t, s, e)

	later := eventT0.Add(5 * time.Minute)
	got, err := s.UpdateAnalyticsEvent(ctx, "ev-1", later, "cam-001/2026-03-01/ev-1.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !got.End.Equal(later.Truncate(time.Microsecond)) || got.SnapshotPath != "cam-001/2026-03-01/ev-1.jpg" || !got.Start.Equal(e.Start) {
		t.Fatalf("after update: %+v", got)
	}
	// An earlier End never moves it back; "" keeps the snapshot.
	got, err = s.UpdateAnalyticsEvent(ctx, "ev-1", eventT0.Add(time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	if !got.End.Equal(later.Truncate(time.Microsecond)) || got.SnapshotPath != "cam-001/2026-03-01/ev-1.jpg" {
		t.Fatalf("after an earlier update: %+v", got)
	}
	if again, _ := s.AnalyticsEvent(ctx, "ev-1"); !reflect.DeepEqual(again, got) {
		t.Fatalf("read back %+v, update returned %+v", again, got)
	}
}

func testEventFilters(t *testing.T, s AnalyticsStore) {
	ctx := t.Context()
	// ev-a 0..40s cam-1 loitering; ev-b 10m cam-2 crowd; ev-c 20m cam-1 crowd; ev-d 30m cam-1 tamper.
	mustAddEvent(t, s, sampleEvent("ev-a", "cam-1", matthan.EventLoitering, eventT0))
	mustAddEvent(t, s, sampleEvent("ev-b", "cam-2", matthan.EventCrowd, eventT0.Add(10*time.Minute)))
	mustAddEvent(t, s, sampleEvent("ev-c", "cam-1", matthan.EventCrowd, eventT0.Add(20*time.Minute)))
	mustAddEvent(t, s, sampleEvent("ev-d", "cam-1", matthan.EventTamper, eventT0.Add(30*time.Minute)))
	if _, err := s.ReviewAnalyticsEvent(ctx, "ev-c", matthan.ReviewFalseAlarm, "Lá cây", "officer", eventT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    matthan.AnalyticsEventFilter
		want []string
	}{
		{"all newest first", matthan.AnalyticsEventFilter{}, []string{"ev-d", "ev-c", "ev-b", "ev-a"}},
		{"camera", matthan.AnalyticsEventFilter{CameraID: "cam-1"}, []string{"ev-d", "ev-c", "ev-a"}},
		{"type", matthan.AnalyticsEventFilter{Type: matthan.EventCrowd}, []string{"ev-c", "ev-b"}},
		{"camera and type", matthan.AnalyticsEventFilter{CameraID: "cam-1", Type: matthan.EventCrowd}, []string{"ev-c"}},
		{"unreviewed", matthan.AnalyticsEventFilter{Review: matthan.ReviewNone}, []string{"ev-d", "ev-b", "ev-a"}},
		{"false alarms", matthan.AnalyticsEventFilter{Review: matthan.ReviewFalseAlarm}, []string{"ev-c"}},
		{"limit", matthan.AnalyticsEventFilter{Limit: 2}, []string{"ev-d", "ev-c"}},
		// [From, To) overlaps the span: ev-a ends at 40 s, so From = 30 s still finds it.
		{"from inside a span", matthan.AnalyticsEventFilter{From: eventT0.Add(30 * time.Second), To: eventT0.Add(10 * time.Minute)}, []string{"ev-a"}},
		{"to is exclusive", matthan.AnalyticsEventFilter{From: eventT0.Add(time.Minute), To: eventT0.Add(20 * time.Minute)}, []string{"ev-b"}},
		{"nothing", matthan.AnalyticsEventFilter{CameraID: "cam-9"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.AnalyticsEvents(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !reflect.DeepEqual(eventIDs(got), tc.want) {
				t.Errorf("got %v, want %v", eventIDs(got), tc.want)
			}
		})
	}
}

func testEventDefaultLimit(t *testing.T, s AnalyticsStore) {
	for i := range 105 {
		mustAddEvent(t, s, sampleEvent(fmt.Sprintf("ev-%03d", i), "cam-1", matthan.EventCrowd, eventT0.Add(time.Duration(i)*time.Second)))
	}
	got, err := s.AnalyticsEvents(t.Context(), matthan.AnalyticsEventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || got[0].ID != "ev-104" {
		t.Fatalf("%d events, first %s", len(got), got[0].ID)
	}
}

func testEventReview(t *testing.T, s AnalyticsStore) {
	ctx := t.Context()
	mustAddEvent(t, s, sampleEvent("ev-1", "cam-1", matthan.EventThreeRiders, eventT0))
	at := eventT0.Add(2 * time.Hour)
	got, err := s.ReviewAnalyticsEvent(ctx, "ev-1", matthan.ReviewConfirmed, "  Ba người trên một xe máy  ", "officer", at)
	if err != nil {
		t.Fatal(err)
	}
	if got.Review != matthan.ReviewConfirmed || got.ReviewNote != "Ba người trên một xe máy" || got.ReviewedBy != "officer" ||
		!got.ReviewedAt.Equal(at.Truncate(time.Microsecond)) || got.ReviewedAt.Location() != time.UTC {
		t.Fatalf("after review: %+v", got)
	}
	// A review changes nothing else.
	want := sampleEvent("ev-1", "cam-1", matthan.EventThreeRiders, eventT0)
	if got.End != want.End.Truncate(time.Microsecond) || got.Summary != want.Summary || !reflect.DeepEqual(got.TrackIDs, want.TrackIDs) {
		t.Fatalf("review changed the event: %+v", got)
	}

	for _, tc := range []struct {
		name   string
		review matthan.Review
		note   string
		by     string
	}{
		{"unknown review", "maybe", "", "officer"},
		{"long note", matthan.ReviewFalseAlarm, strings.Repeat("x", 2001), "officer"},
		{"nobody", matthan.ReviewConfirmed, "", ""},
	} {
		_, err := s.ReviewAnalyticsEvent(ctx, "ev-1", tc.review, tc.note, tc.by, at)
		if matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("%s: %v, want invalid", tc.name, err)
		}
	}

	got, err = s.ReviewAnalyticsEvent(ctx, "ev-1", matthan.ReviewNone, "ignored", "admin", at)
	if err != nil {
		t.Fatal(err)
	}
	if got.Review != matthan.ReviewNone || got.ReviewNote != "" || got.ReviewedBy != "" || !got.ReviewedAt.IsZero() {
		t.Fatalf("after clearing: %+v", got)
	}
}

func testEventNotFound(t *testing.T, s AnalyticsStore) {
	ctx := t.Context()
	_, err := s.AnalyticsEvent(ctx, "ev-none")
	wantCode(t, err, matthan.ENOTFOUND)
	_, err = s.UpdateAnalyticsEvent(ctx, "ev-none", eventT0, "")
	wantCode(t, err, matthan.ENOTFOUND)
	_, err = s.ReviewAnalyticsEvent(ctx, "ev-none", matthan.ReviewConfirmed, "", "officer", eventT0)
	wantCode(t, err, matthan.ENOTFOUND)
}

func testEventPrune(t *testing.T, s AnalyticsStore) {
	ctx := t.Context()
	old := sampleEvent("ev-old", "cam-1", matthan.EventCrowd, eventT0)
	reviewed := sampleEvent("ev-reviewed", "cam-1", matthan.EventLoitering, eventT0.Add(time.Minute))
	fresh := sampleEvent("ev-fresh", "cam-2", matthan.EventTamper, eventT0.Add(time.Hour))
	for _, e := range []*matthan.AnalyticsEvent{old, reviewed, fresh} {
		mustAddEvent(t, s, e)
	}
	if _, err := s.ReviewAnalyticsEvent(ctx, reviewed.ID, matthan.ReviewFalseAlarm, "Mưa", "officer", eventT0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	gone, err := s.PruneAnalyticsEvents(ctx, eventT0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if ids := eventIDs(gone); len(ids) != 1 || ids[0] != "ev-old" || gone[0].SnapshotPath != old.SnapshotPath {
		t.Fatalf("pruned %v, want only the unreviewed old event with its snapshot path", ids)
	}
	left, err := s.AnalyticsEvents(ctx, matthan.AnalyticsEventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := eventIDs(left); len(ids) != 2 || ids[0] != "ev-fresh" || ids[1] != "ev-reviewed" {
		t.Fatalf("left %v: a reviewed event (a label) and a recent one must stay", ids)
	}
	if again, err := s.PruneAnalyticsEvents(ctx, eventT0.Add(30*time.Minute)); err != nil || len(again) != 0 {
		t.Fatalf("pruning again: %v %v", eventIDs(again), err)
	}
}
