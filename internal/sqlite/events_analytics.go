package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"matthan"
)

// The SQLite store is a matthan.EventStore.
var _ matthan.EventStore = (*DB)(nil)

// maxReviewNote bounds an officer's note on an event.
const maxReviewNote = 2000

// AddAnalyticsEvent stores a new event; times are kept in UTC at
// microsecond precision and e is set to what was stored.
func (db *DB) AddAnalyticsEvent(ctx context.Context, e *matthan.AnalyticsEvent) error {
	if err := e.Validate(); err != nil {
		return err
	}
	e.Start, e.End = storedTime(e.Start), storedTime(e.End)
	if !e.ReviewedAt.IsZero() {
		e.ReviewedAt = storedTime(e.ReviewedAt)
	}
	tracks, _ := json.Marshal(e.TrackIDs) // integers: cannot fail
	_, err := db.write.ExecContext(ctx, `INSERT INTO analytics_events
		(id, type, camera_id, zone, start_at, end_at, track_ids, box_x1, box_y1, box_x2, box_y2,
		 severity, summary, summary_vi, snapshot, review, review_note, reviewed_by, reviewed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, string(e.Type), e.CameraID, e.Zone, toMicros(e.Start), toMicros(e.End), string(tracks),
		e.Box[0], e.Box[1], e.Box[2], e.Box[3], string(e.Severity), e.Summary, e.SummaryVI, e.SnapshotPath,
		string(e.Review), e.ReviewNote, e.ReviewedBy, optMicros(e.ReviewedAt))
	if isUniqueViolation(err) {
		return &matthan.Error{Code: matthan.ECONFLICT,
			Message:   fmt.Sprintf("An event with ID %q exists already", e.ID),
			MessageVI: fmt.Sprintf("Đã có sự kiện mang mã %q", e.ID),
			Fields:    []matthan.FieldError{{Field: "id", Message: "ID in use", MessageVI: "Mã đã dùng"}}}
	}
	if err != nil {
		return fmt.Errorf("add event %q: %w", e.ID, err)
	}
	return nil
}

// UpdateAnalyticsEvent moves the event's End forward (a later End only)
// and sets its snapshot when one is given.
func (db *DB) UpdateAnalyticsEvent(ctx context.Context, id string, end time.Time, snapshot string) (*matthan.AnalyticsEvent, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE analytics_events
		SET end_at = MAX(end_at, ?), snapshot = CASE WHEN ? = '' THEN snapshot ELSE ? END WHERE id = ?`,
		toMicros(storedTime(end)), snapshot, snapshot, id)
	if err != nil {
		return nil, fmt.Errorf("update event %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, matthan.ErrEventNotFound(id)
	}
	return db.analyticsEvent(ctx, db.write, id)
}

// AnalyticsEvent returns one event; ENOTFOUND if there is none.
func (db *DB) AnalyticsEvent(ctx context.Context, id string) (*matthan.AnalyticsEvent, error) {
	return db.analyticsEvent(ctx, db.read, id)
}

func (db *DB) analyticsEvent(ctx context.Context, q *sql.DB, id string) (*matthan.AnalyticsEvent, error) {
	e, err := scanAnalyticsEvent(q.QueryRowContext(ctx, `SELECT `+analyticsColumns+` FROM analytics_events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, matthan.ErrEventNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("event %q: %w", id, err)
	}
	return e, nil
}

// AnalyticsEvents returns matching events, newest Start first. From and To
// select the events whose span overlaps [From, To).
func (db *DB) AnalyticsEvents(ctx context.Context, f matthan.AnalyticsEventFilter) ([]*matthan.AnalyticsEvent, error) {
	var c conds
	if f.CameraID != "" {
		c.add("camera_id = ?", f.CameraID)
	}
	if f.Type != "" {
		c.add("type = ?", string(f.Type))
	}
	if f.Review != "" {
		c.add("review = ?", string(f.Review))
	}
	if !f.From.IsZero() {
		c.add("end_at >= ?", toMicros(f.From))
	}
	if !f.To.IsZero() {
		c.add("start_at < ?", toMicros(f.To))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+analyticsColumns+` FROM analytics_events`+c.where()+
		` ORDER BY start_at DESC, id DESC LIMIT ?`, append(c.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out, err := scanAll(rows, scanAnalyticsEvent)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return out, nil
}

// ReviewAnalyticsEvent records a verdict. Clearing it (ReviewNone) clears
// the note, reviewer and time as well.
func (db *DB) ReviewAnalyticsEvent(ctx context.Context, id string, review matthan.Review, note, by string, at time.Time) (*matthan.AnalyticsEvent, error) {
	note = strings.TrimSpace(note)
	var bad []matthan.FieldError
	if !slices.Contains(matthan.Reviews, review) {
		bad = append(bad, matthan.FieldError{Field: "review",
			Message: "Review must be none, confirmed or false_alarm", MessageVI: "Đánh giá phải là none, confirmed hoặc false_alarm"})
	}
	if len(note) > maxReviewNote {
		bad = append(bad, matthan.FieldError{Field: "note",
			Message: fmt.Sprintf("At most %d bytes", maxReviewNote), MessageVI: fmt.Sprintf("Tối đa %d byte", maxReviewNote)})
	}
	if review != matthan.ReviewNone && by == "" {
		bad = append(bad, matthan.FieldError{Field: "reviewed_by", Message: "required", MessageVI: "bắt buộc"})
	}
	if len(bad) > 0 {
		return nil, &matthan.Error{Code: matthan.EINVALID, Message: "The review has invalid fields",
			MessageVI: "Đánh giá có trường không hợp lệ", Fields: bad}
	}
	if review == matthan.ReviewNone {
		note, by, at = "", "", time.Time{}
	} else if at.IsZero() {
		at = db.now()
	}
	res, err := db.write.ExecContext(ctx, `UPDATE analytics_events SET review = ?, review_note = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?`,
		string(review), note, by, optMicros(storedTime(at)), id)
	if err != nil {
		return nil, fmt.Errorf("review event %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, matthan.ErrEventNotFound(id)
	}
	return db.analyticsEvent(ctx, db.write, id)
}

// PruneAnalyticsEvents deletes the unreviewed events that ended before t
// and returns them (for their snapshots).
func (db *DB) PruneAnalyticsEvents(ctx context.Context, endedBefore time.Time) ([]*matthan.AnalyticsEvent, error) {
	rows, err := db.write.QueryContext(ctx, `DELETE FROM analytics_events WHERE review = ? AND end_at < ? RETURNING `+analyticsColumns,
		string(matthan.ReviewNone), toMicros(endedBefore))
	if err != nil {
		return nil, fmt.Errorf("prune events: %w", err)
	}
	out, err := scanAll(rows, scanAnalyticsEvent)
	if err != nil {
		return nil, fmt.Errorf("prune events: %w", err)
	}
	return out, nil
}

// optMicros stores the zero time as 0 ("not set").
func optMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toMicros(t)
}

const analyticsColumns = `id, type, camera_id, zone, start_at, end_at, track_ids, box_x1, box_y1, box_x2, box_y2,
	severity, summary, summary_vi, snapshot, review, review_note, reviewed_by, reviewed_at`

func scanAnalyticsEvent(s scanner) (*matthan.AnalyticsEvent, error) {
	var (
		e                    matthan.AnalyticsEvent
		typ, sev, rev        string
		tracks               string
		start, end, reviewed int64
	)
	if err := s.Scan(&e.ID, &typ, &e.CameraID, &e.Zone, &start, &end, &tracks, &e.Box[0], &e.Box[1], &e.Box[2], &e.Box[3],
		&sev, &e.Summary, &e.SummaryVI, &e.SnapshotPath, &rev, &e.ReviewNote, &e.ReviewedBy, &reviewed); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tracks), &e.TrackIDs); err != nil {
		return nil, fmt.Errorf("event %q: track IDs: %w", e.ID, err)
	}
	if e.TrackIDs == nil {
		e.TrackIDs = []int64{}
	}
	e.Type, e.Severity, e.Review = matthan.EventType(typ), matthan.Severity(sev), matthan.Review(rev)
	e.Start, e.End = fromMicros(start), fromMicros(end)
	if reviewed != 0 {
		e.ReviewedAt = fromMicros(reviewed)
	}
	return &e, nil
}
