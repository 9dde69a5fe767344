package events

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"matthan"
)

// Prune deletes the events nobody reviewed that ended before t, with their
// snapshots under dir (and a day's folder once it is empty). Reviewed
// events stay: they are the labels for evaluation and training. It returns
// how many events went; a snapshot that cannot be removed is reported in
// the error after the others were handled.
func Prune(ctx context.Context, store matthan.EventStore, dir string, endedBefore time.Time) (int, error) {
	gone, err := store.PruneAnalyticsEvents(ctx, endedBefore)
	if err != nil {
		return 0, err
	}
	var errs []error
	days := map[string]bool{}
	for _, e := range gone {
		if e.SnapshotPath == "" || !filepath.IsLocal(filepath.FromSlash(e.SnapshotPath)) {
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(e.SnapshotPath))
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		days[filepath.Dir(full)] = true
	}
	for d := range days {
		os.Remove(d) // only when empty: other events of that day may stay
	}
	return len(gone), errors.Join(errs...)
}
