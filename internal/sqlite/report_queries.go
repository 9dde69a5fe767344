package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"matthan"
)

// Aggregates for the ward's monthly and quarterly reports (internal/report).
// Each is one query that sums in SQLite, so a quarter of a ward's cameras
// costs a few thousand rows, not the millions of events or segments behind
// them. Results come through callbacks of plain values, so this package
// does not depend on the report's types.

const microsPerHour = int64(time.Hour / time.Microsecond)

// EventCountsByHour calls fn once per camera, event type, review outcome
// and UTC hour with the number of analytics events that started in that
// hour, for events starting in [from, to). Vietnam has no daylight saving
// and a whole-hour offset, so UTC hours are local hours too.
func (db *DB) EventCountsByHour(ctx context.Context, from, to time.Time,
	fn func(cameraID string, typ matthan.EventType, review matthan.Review, hour time.Time, n int)) error {
	rows, err := db.read.QueryContext(ctx, `SELECT camera_id, type, review, start_at / ? AS h, COUNT(*)
		FROM analytics_events WHERE start_at >= ? AND start_at < ?
		GROUP BY camera_id, type, review, h`, microsPerHour, toMicros(from), toMicros(to))
	if err != nil {
		return fmt.Errorf("event counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cam, typ, review string
		var h int64
		var n int
		if err := rows.Scan(&cam, &typ, &review, &h, &n); err != nil {
			return fmt.Errorf("event counts: %w", err)
		}
		fn(cam, matthan.EventType(typ), matthan.Review(review), fromMicros(h*microsPerHour), n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("event counts: %w", err)
	}
	return nil
}

// ReminderCounts calls fn once per camera with the reminders created in
// [from, to) and how many of them their recipient has acknowledged so far.
func (db *DB) ReminderCounts(ctx context.Context, from, to time.Time, fn func(cameraID string, sent, acked int)) error {
	rows, err := db.read.QueryContext(ctx, `SELECT camera_id, COUNT(*), SUM(acked_at != 0)
		FROM reminders WHERE created_at >= ? AND created_at < ? GROUP BY camera_id`, toMicros(from), toMicros(to))
	if err != nil {
		return fmt.Errorf("reminder counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cam string
		var sent, acked int
		if err := rows.Scan(&cam, &sent, &acked); err != nil {
			return fmt.Errorf("reminder counts: %w", err)
		}
		fn(cam, sent, acked)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reminder counts: %w", err)
	}
	return nil
}

// GapTime calls fn once per camera and gap reason with how long the
// stream's recorded gaps cover [from, to): gaps are clipped to it, an open
// gap lasts until to, and overlapping gaps count once (the time goes to
// the gap that began first). The union is computed in the query: each gap,
// in order of start, adds only what reaches past every earlier gap's end.
func (db *DB) GapTime(ctx context.Context, stream matthan.StreamRole, from, to time.Time,
	fn func(cameraID string, reason matthan.GapReason, d time.Duration)) error {
	f, t := toMicros(from), toMicros(to)
	rows, err := db.read.QueryContext(ctx, `WITH g AS (
			SELECT camera_id, reason, MAX(start_at, ?1) AS s, MIN(COALESCE(end_at, ?2), ?2) AS e
			FROM gaps WHERE stream = ?3 AND start_at < ?2 AND (end_at IS NULL OR end_at > ?1)
		), w AS (
			SELECT camera_id, reason, s, e, MAX(e) OVER (PARTITION BY camera_id ORDER BY s, e
				ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
			FROM g WHERE e > s
		)
		SELECT camera_id, reason, SUM(MAX(0, e - MAX(s, COALESCE(before, s)))) FROM w
		GROUP BY camera_id, reason`, f, t, string(stream))
	if err != nil {
		return fmt.Errorf("gap time: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cam, reason string
		var us int64
		if err := rows.Scan(&cam, &reason, &us); err != nil {
			return fmt.Errorf("gap time: %w", err)
		}
		if us > 0 {
			fn(cam, matthan.GapReason(reason), time.Duration(us)*time.Microsecond)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("gap time: %w", err)
	}
	return nil
}

// FirstRecorded returns, for each camera in the registry with anything
// recorded of the stream, when its first segment or gap still indexed
// began: before it the node knows nothing of the camera. Two index lookups
// per camera.
func (db *DB) FirstRecorded(ctx context.Context, stream matthan.StreamRole) (map[string]time.Time, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id,
			(SELECT MIN(start_at) FROM segments WHERE camera_id = cameras.id AND stream = ?1),
			(SELECT MIN(start_at) FROM gaps WHERE camera_id = cameras.id AND stream = ?1)
		FROM cameras`, string(stream))
	if err != nil {
		return nil, fmt.Errorf("first recorded: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var seg, gap sql.NullInt64
		if err := rows.Scan(&id, &seg, &gap); err != nil {
			return nil, fmt.Errorf("first recorded: %w", err)
		}
		switch {
		case seg.Valid && gap.Valid:
			out[id] = fromMicros(min(seg.Int64, gap.Int64))
		case seg.Valid:
			out[id] = fromMicros(seg.Int64)
		case gap.Valid:
			out[id] = fromMicros(gap.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("first recorded: %w", err)
	}
	return out, nil
}
