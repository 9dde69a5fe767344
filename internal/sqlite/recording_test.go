package sqlite

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/storetest"
)

func TestRecordingConformance(t *testing.T) {
	storetest.RunRecording(t, func(t *testing.T) storetest.RecordingStore {
		return openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	})
}

// TestMigrateFromInitialSchema opens a database as the first release left
// it (schema 1 only, with data in every table) and checks that the
// recording migration keeps the data and adds what it promises.
func TestMigrateFromInitialSchema(t *testing.T) {
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
	old := &DB{write: raw, read: raw, sealer: testSealer(t), now: time.Now}
	if err := old.migrateUpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	sealed, err := old.sealer.Seal([]byte("cam-pw"))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 12, 1, 7, 0, 0, 123000, time.UTC)
	// The INSERT of the first release: no record_sub column yet.
	if _, err := raw.ExecContext(ctx, `INSERT INTO cameras (id, name, area, address, latitude, longitude,
		owner_kind, owner_name, owner_contact, source, main_url, sub_url, username, password_sealed,
		enabled, tags, notes, created_at, updated_at)
		VALUES ('cam-001', 'Chợ', 'Khóm 1', '1 Lê Lợi', 10.5, 105.5, 'shop', 'Cô Ba', '0901', 'pull',
		'rtsp://10.0.0.5/101', 'rtsp://10.0.0.5/102', 'admin', ?, 1, '["chợ"]', 'n', ?, ?)`,
		sealed, toMicros(created), toMicros(created)); err != nil {
		t.Fatal(err)
	}
	if err := old.AddHealthEvent(ctx, &matthan.HealthEvent{CameraID: "cam-001", Stream: matthan.StreamMain, To: matthan.StateStreaming}); err != nil {
		t.Fatal(err)
	}
	if err := old.CreateUser(ctx, &matthan.User{Name: "admin", Role: matthan.RoleAdmin, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := old.AddAudit(ctx, &matthan.AuditEntry{User: "admin", Action: "camera.create", CameraID: "cam-001"}); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := openAt(t, path)
	defer db.Close()
	var version int
	if err := db.read.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version < 2 {
		t.Fatalf("schema version %d after Open, want at least 2", version)
	}
	c, err := db.Camera(ctx, "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	want := matthan.Camera{ID: "cam-001", Name: "Chợ", Area: "Khóm 1", Address: "1 Lê Lợi", Latitude: 10.5, Longitude: 105.5,
		Owner: matthan.Owner{Kind: matthan.OwnerShop, Name: "Cô Ba", Contact: "0901"}, Source: matthan.SourcePull,
		MainURL: "rtsp://10.0.0.5/101", SubURL: "rtsp://10.0.0.5/102", Username: "admin", Password: "cam-pw",
		Enabled: true, RecordSub: false, Tags: []string{"chợ"}, Notes: "n", CreatedAt: created, UpdatedAt: created,
		// A camera from before contributions is the ward's own.
		Approval: matthan.ApprovalApproved, Sharing: matthan.Sharing{Mode: matthan.ShareLive}}
	if !c.CreatedAt.Equal(created) || !c.UpdatedAt.Equal(created) {
		t.Errorf("migrated camera times = %v, %v; want %v", c.CreatedAt, c.UpdatedAt, created)
	}
	got := *c
	got.CreatedAt, got.UpdatedAt = created, created
	if !reflect.DeepEqual(got, want) {
		t.Errorf("migrated camera:\n got %+v\nwant %+v", got, want)
	}
	if es, err := db.HealthEvents(ctx, matthan.HealthEventFilter{}); err != nil || len(es) != 1 {
		t.Errorf("health events after migration = %d, %v; want 1", len(es), err)
	}
	if _, err := db.UserByName(ctx, "admin"); err != nil {
		t.Errorf("user after migration: %v", err)
	}
	if as, err := db.Audit(ctx, matthan.AuditFilter{}); err != nil || len(as) != 1 {
		t.Errorf("audit after migration = %d, %v; want 1", len(as), err)
	}

	// The new column and tables work on the migrated database.
	c.RecordSub = true
	if err := db.UpdateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Camera(ctx, "cam-001"); err != nil || !got.RecordSub {
		t.Errorf("record_sub after update = %v, %v; want true", got.RecordSub, err)
	}
	seg := &matthan.Segment{CameraID: "cam-001", Stream: matthan.StreamMain, Path: "cam-001/2026-03-01/main-20260301T080000Z.mp4",
		Start: created, End: created.Add(time.Minute)}
	if err := db.AddSegment(ctx, seg); err != nil {
		t.Fatal(err)
	}
	if err := db.AddGap(ctx, &matthan.Gap{CameraID: "cam-001", Stream: matthan.StreamMain, Start: created, Reason: matthan.GapNodeStopped}); err != nil {
		t.Fatal(err)
	}
}

// TestSegmentQueriesUseIndexes guards against a schema or query change
// that turns the recorder's and playback's queries into table scans.
func TestSegmentQueriesUseIndexes(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	where, args := overlap("segments", "cam-001", matthan.StreamMain, time.Unix(100, 0), time.Unix(200, 0))
	tests := []struct {
		name string
		sql  string
		args []any
		want []string // in the plan
	}{
		{"last", `SELECT ` + segmentColumns + ` FROM segments WHERE camera_id = ? AND stream = ? ORDER BY start_at DESC, id DESC LIMIT 1`,
			[]any{"c", "main"}, []string{"USING INDEX segments_camera_stream_start (camera_id=? AND stream=?)"}},
		{"path", `SELECT ` + segmentColumns + ` FROM segments WHERE path = ?`, []any{"p"}, []string{"(path=?)"}},
		// Both ends of the start range bound: no walk through older footage.
		{"overlap", `SELECT ` + segmentColumns + ` FROM segments` + where + ` ORDER BY start_at, id LIMIT 10`, args,
			[]string{"segments_camera_stream_start (camera_id=? AND stream=? AND start_at>? AND start_at<?)", "COVERING INDEX segments_span"}},
		{"open gaps", `SELECT id FROM gaps WHERE end_at IS NULL ORDER BY start_at, id`, nil, []string{"USING INDEX gaps_open"}},
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
		for _, w := range tt.want {
			if !strings.Contains(strings.Join(plan, "; "), w) {
				t.Errorf("%s: query plan %q lacks %q", tt.name, plan, w)
			}
		}
	}
}
