package sqlite

import (
	"context"
	"fmt"

	"matthan"
)

// AddHealthEvent stores e and sets its ID. A zero At becomes now; At is
// stored in UTC with microsecond precision and e.At is set to that.
func (db *DB) AddHealthEvent(ctx context.Context, e *matthan.HealthEvent) error {
	if e.CameraID == "" {
		return errCameraIDRequired()
	}
	at := storedTime(e.At)
	if e.At.IsZero() {
		at = db.stamp()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO health_events
		(camera_id, stream, from_state, to_state, reason, reason_vi, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.CameraID, string(e.Stream), string(e.From), string(e.To), e.Reason, e.ReasonVI, toMicros(at))
	if isForeignKeyViolation(err) {
		return errCameraNotFound(e.CameraID)
	}
	if err != nil {
		return fmt.Errorf("add health event for %q: %w", e.CameraID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add health event for %q: %w", e.CameraID, err)
	}
	e.ID, e.At = id, at
	return nil
}

// HealthEvents returns matching events, newest first.
func (db *DB) HealthEvents(ctx context.Context, f matthan.HealthEventFilter) ([]*matthan.HealthEvent, error) {
	var c conds
	if f.CameraID != "" {
		c.add("camera_id = ?", f.CameraID)
	}
	if !f.Since.IsZero() {
		c.add("at >= ?", toMicros(f.Since))
	}
	q := `SELECT id, camera_id, stream, from_state, to_state, reason, reason_vi, at FROM health_events` + c.where()
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY at DESC, id DESC LIMIT ?`, append(c.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("health events: %w", err)
	}
	defer rows.Close()
	events := []*matthan.HealthEvent{}
	for rows.Next() {
		var (
			e                matthan.HealthEvent
			stream, from, to string
			at               int64
		)
		if err := rows.Scan(&e.ID, &e.CameraID, &stream, &from, &to, &e.Reason, &e.ReasonVI, &at); err != nil {
			return nil, fmt.Errorf("health events: %w", err)
		}
		e.Stream, e.From, e.To = matthan.StreamRole(stream), matthan.StreamState(from), matthan.StreamState(to)
		e.At = fromMicros(at)
		events = append(events, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("health events: %w", err)
	}
	return events, nil
}

// AddAudit stores e and sets its ID. A zero At becomes now; e.At is set to
// the stored time (UTC, microseconds).
func (db *DB) AddAudit(ctx context.Context, e *matthan.AuditEntry) error {
	if e.Action == "" {
		return &matthan.Error{
			Code: matthan.EINVALID, Message: "audit action is required", MessageVI: "Cần có hành động cần ghi nhật ký",
			Fields: []matthan.FieldError{{Field: "action", Message: "required", MessageVI: "bắt buộc"}},
		}
	}
	at := storedTime(e.At)
	if e.At.IsZero() {
		at = db.stamp()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO audit
		(at, user, action, camera_id, stream, remote, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		toMicros(at), e.User, e.Action, e.CameraID, string(e.Stream), e.Remote, e.Detail)
	if err != nil {
		return fmt.Errorf("add audit %q: %w", e.Action, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add audit %q: %w", e.Action, err)
	}
	e.ID, e.At = id, at
	return nil
}

// Audit returns matching audit entries, newest first.
func (db *DB) Audit(ctx context.Context, f matthan.AuditFilter) ([]*matthan.AuditEntry, error) {
	var c conds
	if f.User != "" {
		c.add("user = ?", f.User)
	}
	if f.CameraID != "" {
		c.add("camera_id = ?", f.CameraID)
	}
	if !f.Since.IsZero() {
		c.add("at >= ?", toMicros(f.Since))
	}
	q := `SELECT id, at, user, action, camera_id, stream, remote, detail FROM audit` + c.where()
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY at DESC, id DESC LIMIT ?`, append(c.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	entries := []*matthan.AuditEntry{}
	for rows.Next() {
		var (
			e      matthan.AuditEntry
			stream string
			at     int64
		)
		if err := rows.Scan(&e.ID, &at, &e.User, &e.Action, &e.CameraID, &stream, &e.Remote, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		e.At, e.Stream = fromMicros(at), matthan.StreamRole(stream)
		entries = append(entries, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return entries, nil
}
