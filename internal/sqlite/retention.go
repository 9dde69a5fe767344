package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"matthan"
)

// validateRetention checks a camera's retention settings. The HTTP layer
// validates the whole camera first; this keeps the store's CHECKs from
// surfacing as internal errors for any other caller.
func validateRetention(c *matthan.Camera) error {
	var fields []matthan.FieldError
	if c.RetainDays < 0 || c.RetainDays > matthan.CameraRetainDaysMax {
		fields = append(fields, field("retain_days",
			fmt.Sprintf("Must be from 0 to %d", matthan.CameraRetainDaysMax),
			fmt.Sprintf("Phải từ 0 đến %d", matthan.CameraRetainDaysMax)))
	}
	if c.QuotaBytes < 0 {
		fields = append(fields, field("quota_bytes", "Must not be negative", "Không được âm"))
	}
	if len(fields) == 0 {
		return nil
	}
	return invalid("The camera has invalid fields", "Thông tin camera có trường không hợp lệ", fields)
}

// RecordingBytes sums segment bytes per camera: from the running totals
// the triggers of migration 3 keep when from and to are zero, else over
// the segments starting in [from, to).
func (db *DB) RecordingBytes(ctx context.Context, from, to time.Time) (map[string]int64, error) {
	q := `SELECT camera_id, bytes FROM recording_usage WHERE segments > 0`
	var c conds
	if !from.IsZero() || !to.IsZero() {
		if !from.IsZero() {
			c.add("start_at >= ?", toMicros(from))
		}
		if !to.IsZero() {
			c.add("start_at < ?", toMicros(to))
		}
		// The planner, knowing no statistics, prefers the camera index
		// for GROUP BY and walks every segment; a window of recent days
		// is a small part of the start index.
		q = `SELECT camera_id, SUM(bytes) FROM segments INDEXED BY segments_start` + c.where() + ` GROUP BY camera_id`
	}
	rows, err := db.read.QueryContext(ctx, q, c.args...)
	if err != nil {
		return nil, fmt.Errorf("recording bytes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("recording bytes: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recording bytes: %w", err)
	}
	return out, nil
}

func errLockNotFound(id int64) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("evidence lock %d not found", id),
		fmt.Sprintf("Không tìm thấy khóa chứng cứ %d", id))
}

// AddLock stores a new active lock and sets its ID; Start, End and
// CreatedAt (now when zero) are set to the stored times.
func (db *DB) AddLock(ctx context.Context, l *matthan.EvidenceLock) error {
	var fields []matthan.FieldError
	for _, f := range []struct{ name, v string }{
		{"camera_id", l.CameraID}, {"case", l.Case}, {"reason", l.Reason}, {"created_by", l.CreatedBy},
	} {
		if strings.TrimSpace(f.v) == "" {
			fields = append(fields, field(f.name, "required", "bắt buộc"))
		}
	}
	if l.Start.IsZero() {
		fields = append(fields, field("start", "required", "bắt buộc"))
	}
	start, end := storedTime(l.Start), storedTime(l.End)
	if l.End.IsZero() {
		fields = append(fields, field("end", "required", "bắt buộc"))
	} else if !end.After(start) {
		fields = append(fields, field("end", "Must be after the start", "Phải sau thời điểm bắt đầu"))
	}
	if l.ReleasedBy != "" || !l.ReleasedAt.IsZero() {
		fields = append(fields, field("released_at", "A new lock cannot be released already",
			"Khóa mới không thể đã được mở"))
	}
	if len(fields) > 0 {
		return invalid("The evidence lock has invalid fields", "Khóa chứng cứ có trường không hợp lệ", fields)
	}
	created := storedTime(l.CreatedAt)
	if l.CreatedAt.IsZero() {
		created = db.stamp()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO evidence_locks
		(camera_id, start_at, end_at, case_number, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		l.CameraID, toMicros(start), toMicros(end), l.Case, l.Reason, l.CreatedBy, toMicros(created))
	if err != nil {
		return fmt.Errorf("add evidence lock for %s: %w", l.CameraID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add evidence lock for %s: %w", l.CameraID, err)
	}
	l.ID, l.Start, l.End, l.CreatedAt = id, start, end, created
	return nil
}

// ReleaseLock ends lock id; released locks are history and stay stored.
func (db *DB) ReleaseLock(ctx context.Context, id int64, by string, at time.Time) error {
	if strings.TrimSpace(by) == "" {
		return invalid("Who releases the lock is required", "Cần ghi rõ người mở khóa",
			[]matthan.FieldError{field("released_by", "required", "bắt buộc")})
	}
	stamp := storedTime(at)
	if at.IsZero() {
		stamp = db.stamp()
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("release evidence lock %d: %w", id, err)
	}
	defer tx.Rollback()
	var released sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT released_at FROM evidence_locks WHERE id = ?`, id).Scan(&released)
	if errors.Is(err, sql.ErrNoRows) {
		return errLockNotFound(id)
	}
	if err != nil {
		return fmt.Errorf("release evidence lock %d: %w", id, err)
	}
	if released.Valid {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("evidence lock %d has already been released", id),
			fmt.Sprintf("Khóa chứng cứ %d đã được mở trước đó", id))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE evidence_locks SET released_by = ?, released_at = ? WHERE id = ?`,
		by, toMicros(stamp), id); err != nil {
		return fmt.Errorf("release evidence lock %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("release evidence lock %d: %w", id, err)
	}
	return nil
}

// Locks returns the locks overlapping [f.From, f.To), ordered by Start
// (then ID); Active leaves out released ones (a release scheduled for
// later has not happened yet).
func (db *DB) Locks(ctx context.Context, f matthan.LockFilter) ([]*matthan.EvidenceLock, error) {
	var c conds
	if f.ID != 0 {
		c.add("id = ?", f.ID)
	}
	if f.CameraID != "" {
		c.add("camera_id = ?", f.CameraID)
	}
	if f.Case != "" {
		c.add("case_number = ?", f.Case)
	}
	if f.Active {
		// A closed case schedules its locks' release: released_at in the
		// future, and the lock holds until then.
		c.add("(released_at IS NULL OR released_at > ?)", toMicros(db.stamp()))
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		c.add("0")
	}
	if !f.To.IsZero() {
		c.add("start_at < ?", toMicros(f.To))
	}
	if !f.From.IsZero() {
		c.add("end_at > ?", toMicros(f.From)) // locks are never empty
	}
	q := `SELECT id, camera_id, start_at, end_at, case_number, reason, created_by, created_at, released_by, released_at
		FROM evidence_locks` + c.where()
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY start_at, id`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("evidence locks: %w", err)
	}
	defer rows.Close()
	locks := []*matthan.EvidenceLock{}
	for rows.Next() {
		var (
			l                   matthan.EvidenceLock
			start, end, created int64
			released            sql.NullInt64
		)
		if err := rows.Scan(&l.ID, &l.CameraID, &start, &end, &l.Case, &l.Reason, &l.CreatedBy, &created,
			&l.ReleasedBy, &released); err != nil {
			return nil, fmt.Errorf("evidence locks: %w", err)
		}
		l.Start, l.End, l.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
		if released.Valid {
			l.ReleasedAt = fromMicros(released.Int64)
		}
		locks = append(locks, &l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evidence locks: %w", err)
	}
	return locks, nil
}
