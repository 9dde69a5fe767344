package events

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
)

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	store := openDB(t)
	sink := New(Config{Dir: dir, Store: store})
	frame := &analytics.Frame{CameraID: "cam-1", Width: 64, Height: 48, BGR: bytes.Repeat([]byte{90}, 64*48*3)}
	start0 := time.Date(2025, 11, 1, 15, 0, 0, 0, time.UTC)
	var stored []*matthan.AnalyticsEvent
	for i, start := range []time.Time{start0, start0.Add(time.Minute), start0.Add(400 * 24 * time.Hour)} {
		e, err := sink.Handle(t.Context(), Fired{Event: matthan.AnalyticsEvent{ID: []string{"ev-a", "ev-b", "ev-c"}[i], Type: matthan.EventCrowd,
			CameraID: "cam-1", Start: start, End: start.Add(10 * time.Second)}, Frame: frame})
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, e)
	}
	if _, err := store.ReviewAnalyticsEvent(t.Context(), "ev-b", matthan.ReviewConfirmed, "", "officer", start0); err != nil {
		t.Fatal(err)
	}
	n, err := Prune(t.Context(), store, dir, start0.Add(365*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	exists := func(e *matthan.AnalyticsEvent) bool {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(e.SnapshotPath)))
		return err == nil
	}
	if exists(stored[0]) || !exists(stored[1]) || !exists(stored[2]) {
		t.Fatalf("snapshots left: a %v b %v c %v; want only the pruned event's gone", exists(stored[0]), exists(stored[1]), exists(stored[2]))
	}
	if _, err := store.AnalyticsEvent(t.Context(), "ev-a"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("ev-a after prune: %v", err)
	}
}
