package retention

import (
	"testing"
	"time"

	"matthan"
)

// TestAnalyticsEventTimes: a long event stands for its whole span (an
// instant every minute from start to end), only the camera's events in the
// asked range count.
func TestAnalyticsEventTimes(t *testing.T) {
	e := newEnv(t, nil)
	t0 := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	add := func(id, cam string, start time.Time, d time.Duration) {
		t.Helper()
		ev := &matthan.AnalyticsEvent{ID: id, Type: matthan.EventLoitering, CameraID: cam, Start: start, End: start.Add(d),
			TrackIDs: []int64{1}, Severity: matthan.SeverityWarning, Summary: "Loitering", SummaryVI: "Lảng vảng"}
		if err := e.db.AddAnalyticsEvent(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	add("a", "cam-1", t0, 150*time.Second)
	add("b", "cam-2", t0, time.Minute)
	add("c", "cam-1", t0.Add(3*time.Hour), time.Minute)
	got, err := AnalyticsEvents{Store: e.db}.EventTimes(t.Context(), "cam-1", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(150 * time.Second)}
	if len(got) != len(want) {
		t.Fatalf("times %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("times %v, want %v", got, want)
		}
	}
}
