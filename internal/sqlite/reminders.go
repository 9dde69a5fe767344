package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"matthan"
)

var _ matthan.ReminderStore = (*DB)(nil)

const reminderColumns = `id, camera_id, recipient, email, event_id, snapshot_path, seen_at, what, advice,
	created_by, created_at, acked_at, ack_note, follow_up_at, follow_ups, delivered`

// CreateReminder stores r (Validate applies, with the store's clock) and
// sets its ID and CreatedAt. The portal channel is the store itself, so a
// stored reminder is always delivered there.
func (db *DB) CreateReminder(ctx context.Context, r *matthan.Reminder) error {
	now := db.stamp()
	if err := r.Validate(now); err != nil {
		return err
	}
	r.Delivered.Portal = true
	r.SeenAt, r.FollowUpAt, r.CreatedAt = storedTime(r.SeenAt), storedTime(r.FollowUpAt), now
	delivered, err := json.Marshal(r.Delivered)
	if err != nil {
		return fmt.Errorf("create reminder: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO reminders (camera_id, recipient, email, event_id, snapshot_path, seen_at,
		what, advice, created_by, created_at, acked_at, ack_note, follow_up_at, follow_ups, delivered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?, 0, ?)`,
		r.CameraID, r.Recipient, r.Email, r.EventID, r.SnapshotPath, toMicros(r.SeenAt), r.What, r.Advice,
		r.CreatedBy, toMicros(now), toMicros(r.FollowUpAt), string(delivered))
	if err != nil {
		return fmt.Errorf("create reminder: %w", err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create reminder: %w", err)
	}
	r.AckedAt, r.AckNote, r.FollowUps = time.Time{}, "", 0
	return nil
}

// Reminder returns reminder id.
func (db *DB) Reminder(ctx context.Context, id int64) (*matthan.Reminder, error) {
	return db.reminder(ctx, db.read, id)
}

func (db *DB) reminder(ctx context.Context, q queryRower, id int64) (*matthan.Reminder, error) {
	return byID(ctx, q, "reminders", reminderColumns, id, scanReminder, matthan.ErrReminderNotFound, "reminder")
}

// Reminders returns the reminders f selects, newest first.
func (db *DB) Reminders(ctx context.Context, f matthan.ReminderFilter) ([]*matthan.Reminder, error) {
	var c conds
	if f.Recipient != "" {
		c.add("recipient = ?", f.Recipient)
	}
	if f.CameraID != "" {
		c.add("camera_id = ?", f.CameraID)
	}
	if f.Unacked || !f.OverdueAt.IsZero() {
		c.add("acked_at = 0")
	}
	if !f.OverdueAt.IsZero() {
		c.add("follow_up_at < ?", toMicros(f.OverdueAt))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+reminderColumns+` FROM reminders`+c.where()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(c.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("reminders: %w", err)
	}
	out, err := scanAll(rows, scanReminder)
	if err != nil {
		return nil, fmt.Errorf("reminders: %w", err)
	}
	return out, nil
}

// SetReminderDelivery records how reminder id was delivered; the portal
// stays true.
func (db *DB) SetReminderDelivery(ctx context.Context, id int64, d matthan.Delivery) (*matthan.Reminder, error) {
	d.Portal = true
	if !d.EmailAt.IsZero() {
		d.EmailAt = storedTime(d.EmailAt)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("reminder %d delivery: %w", id, err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE reminders SET delivered = ? WHERE id = ?`, string(b), id)
	if err != nil {
		return nil, fmt.Errorf("reminder %d delivery: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, matthan.ErrReminderNotFound(id)
	}
	return db.Reminder(ctx, id)
}

// AckReminder records recipient's acknowledgement of reminder id. Another
// user's reminder is ENOTFOUND, so nobody learns it exists; a second
// acknowledgement keeps the first.
func (db *DB) AckReminder(ctx context.Context, id int64, recipient, note string, at time.Time) (*matthan.Reminder, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 1000 || !utf8.ValidString(note) {
		return nil, &matthan.Error{Code: matthan.EINVALID, Message: "The acknowledgement is not valid", MessageVI: "Xác nhận không hợp lệ",
			Fields: []matthan.FieldError{{Field: "note", Message: "At most 1000 characters of text", MessageVI: "Tối đa 1000 ký tự"}}}
	}
	var out *matthan.Reminder
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := db.reminder(ctx, tx, id)
		if err != nil {
			return err
		}
		if recipient == "" || r.Recipient != recipient {
			return matthan.ErrReminderNotFound(id)
		}
		if !r.Acked() {
			r.AckedAt, r.AckNote = storedTime(at), note
			if _, err := tx.ExecContext(ctx, `UPDATE reminders SET acked_at = ?, ack_note = ? WHERE id = ?`,
				toMicros(r.AckedAt), r.AckNote, id); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, wrapLedger(fmt.Sprintf("acknowledge reminder %d", id), err)
	}
	return out, nil
}

// FollowUpReminder counts a follow-up of reminder id and sets its next
// check to next; ECONFLICT once the owner has acknowledged it.
func (db *DB) FollowUpReminder(ctx context.Context, id int64, next time.Time) (*matthan.Reminder, error) {
	var out *matthan.Reminder
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := db.reminder(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Acked() {
			return matthan.ErrReminderAcked(id)
		}
		r.FollowUps++
		r.FollowUpAt = storedTime(next)
		if _, err := tx.ExecContext(ctx, `UPDATE reminders SET follow_ups = ?, follow_up_at = ? WHERE id = ?`,
			r.FollowUps, toMicros(r.FollowUpAt), id); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, wrapLedger(fmt.Sprintf("follow up reminder %d", id), err)
	}
	return out, nil
}

func scanReminder(s scanner) (*matthan.Reminder, error) {
	var (
		r                              matthan.Reminder
		seen, created, acked, followUp int64
		delivered                      string
	)
	if err := s.Scan(&r.ID, &r.CameraID, &r.Recipient, &r.Email, &r.EventID, &r.SnapshotPath, &seen, &r.What, &r.Advice,
		&r.CreatedBy, &created, &acked, &r.AckNote, &followUp, &r.FollowUps, &delivered); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(delivered), &r.Delivered); err != nil {
		return nil, fmt.Errorf("reminder %d delivery: %w", r.ID, err)
	}
	r.SeenAt, r.CreatedAt, r.FollowUpAt = fromMicros(seen), fromMicros(created), fromMicros(followUp)
	if acked != 0 {
		r.AckedAt = fromMicros(acked)
	}
	return &r, nil
}
