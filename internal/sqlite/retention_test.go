package sqlite

import (
	"database/sql"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
)

// TestMigrateRetention opens a database as the recording release left it
// (schema 2, with cameras and segments) and checks that migration 3 keeps
// the cameras with the node's defaults and counts the existing footage.
func TestMigrateRetention(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "matthan.db")
	if err := createPrivate(path); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	old := &DB{write: raw, read: raw, sealer: testSealer(t), now: func() time.Time { return now }}
	if err := old.migrateUpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// The INSERT of release 2: no retention columns yet.
	if _, err := raw.ExecContext(ctx, `INSERT INTO cameras (id, name, source, main_url, enabled, record_sub, created_at, updated_at)
		VALUES ('cam-001', 'Chợ', 'pull', 'rtsp://10.0.0.5/101', 1, 1, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	for i, seg := range []struct {
		camera string
		bytes  int64
	}{{"cam-001", 100}, {"cam-001", 250}, {"cam-002", 7}} {
		if _, err := raw.ExecContext(ctx, `INSERT INTO segments (camera_id, stream, path, start_at, end_at, bytes)
			VALUES (?, 'main', ?, ?, ?, ?)`, seg.camera, seg.camera+"/"+string(rune('a'+i))+".mp4",
			toMicros(now.Add(time.Duration(i)*time.Minute)), toMicros(now.Add(time.Duration(i+1)*time.Minute)), seg.bytes); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := openAt(t, path)
	defer db.Close()
	c, err := db.Camera(ctx, "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	if c.RetainDays != 0 || c.QuotaBytes != 0 || !c.RecordSub {
		t.Errorf("migrated camera: retain %d, quota %d, record_sub %v; want 0, 0, true", c.RetainDays, c.QuotaBytes, c.RecordSub)
	}
	got, err := db.RecordingBytes(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"cam-001": 350, "cam-002": 7}; !maps.Equal(got, want) {
		t.Errorf("RecordingBytes after migration = %v, want %v", got, want)
	}
	// The running totals keep counting on the migrated database.
	if err := db.AddSegment(ctx, &matthan.Segment{CameraID: "cam-002", Stream: matthan.StreamMain, Path: "cam-002/z.mp4",
		Start: now, End: now.Add(time.Minute), Bytes: 3}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RecordingBytes(ctx, time.Time{}, time.Time{}); err != nil || got["cam-002"] != 10 {
		t.Errorf("RecordingBytes after a new segment = %v, %v; want cam-002: 10", got, err)
	}
}

// TestRetentionQueriesUseIndexes guards the queries a retention sweep makes
// every minute against turning into table scans.
func TestRetentionQueriesUseIndexes(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	tests := []struct {
		name string
		sql  string
		args []any
		want string
	}{
		{"active locks of a camera", `SELECT id FROM evidence_locks WHERE camera_id = ? AND released_at IS NULL AND start_at < ? AND end_at > ? ORDER BY start_at, id`,
			[]any{"c", 2, 1}, "evidence_locks_active (camera_id=? AND start_at<?)"},
		{"usage", `SELECT camera_id, bytes FROM recording_usage WHERE segments > 0`, nil, "SCAN recording_usage"},
		{"bytes written lately", `SELECT camera_id, SUM(bytes) FROM segments INDEXED BY segments_start WHERE start_at >= ? GROUP BY camera_id`,
			[]any{1}, "segments_start (start_at>?)"},
	}
	for _, tt := range tests {
		rows, err := db.read.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+tt.sql, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "; "), tt.want) {
			t.Errorf("%s: query plan %q lacks %q", tt.name, plan, tt.want)
		}
	}
}
