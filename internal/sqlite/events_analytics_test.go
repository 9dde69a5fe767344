package sqlite

import (
	"path/filepath"
	"testing"

	"matthan/internal/storetest"
)

func TestEventStoreConformance(t *testing.T) {
	storetest.RunAnalytics(t, func(t *testing.T) storetest.AnalyticsStore {
		return openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	})
}
