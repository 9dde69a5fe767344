package sqlite

import (
	"path/filepath"
	"testing"

	"matthan/internal/storetest"
)

func TestSessionStoreConformance(t *testing.T) {
	storetest.RunSessions(t, func(t *testing.T) storetest.SessionStore {
		return openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	})
}
