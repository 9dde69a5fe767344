package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"matthan"
)

var _ matthan.AccessRequestStore = (*DB)(nil)

const accessRequestColumns = `id, camera_id, requester, from_us, to_us, reason, case_id, status,
	decided_by, decided_at, note, until, created_at`

// CreateAccessRequest stores r as pending and sets its ID and CreatedAt.
func (db *DB) CreateAccessRequest(ctx context.Context, r *matthan.AccessRequest) error {
	now := db.stamp()
	if err := r.Validate(now); err != nil {
		return err
	}
	r.From, r.To, r.CreatedAt = storedTime(r.From), storedTime(r.To), now
	r.Status, r.DecidedBy, r.DecidedAt, r.Note, r.Until = matthan.RequestPending, "", time.Time{}, "", time.Time{}
	res, err := db.write.ExecContext(ctx, `INSERT INTO access_requests (camera_id, requester, from_us, to_us, reason, case_id, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.CameraID, r.Requester, toMicros(r.From), toMicros(r.To), r.Reason, r.CaseID, string(r.Status), toMicros(now))
	if err != nil {
		return fmt.Errorf("create access request: %w", err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create access request: %w", err)
	}
	return nil
}

// AccessRequest returns request id.
func (db *DB) AccessRequest(ctx context.Context, id int64) (*matthan.AccessRequest, error) {
	return db.accessRequest(ctx, db.read, id)
}

func (db *DB) accessRequest(ctx context.Context, q queryRower, id int64) (*matthan.AccessRequest, error) {
	return byID(ctx, q, "access_requests", accessRequestColumns, id, scanAccessRequest, matthan.ErrAccessRequestNotFound, "access request")
}

// AccessRequests returns the requests f selects, newest first.
func (db *DB) AccessRequests(ctx context.Context, f matthan.AccessRequestFilter) ([]*matthan.AccessRequest, error) {
	var c conds
	if f.CameraID != "" {
		c.add("camera_id = ?", f.CameraID)
	}
	if f.Contributor != "" {
		c.add("camera_id IN (SELECT id FROM cameras WHERE contributor = ?)", f.Contributor)
	}
	if f.Requester != "" {
		c.add("requester = ?", f.Requester)
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+accessRequestColumns+` FROM access_requests`+c.where()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(c.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("access requests: %w", err)
	}
	out, err := scanAll(rows, scanAccessRequest)
	if err != nil {
		return nil, fmt.Errorf("access requests: %w", err)
	}
	return out, nil
}

// DecideAccessRequest records the owner's answer, in one transaction so
// two answers at once cannot both apply.
func (db *DB) DecideAccessRequest(ctx context.Context, id int64, status matthan.RequestStatus, by, note string, at time.Time) (*matthan.AccessRequest, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 1000 || !utf8.ValidString(note) {
		return nil, &matthan.Error{Code: matthan.EINVALID, Message: "The answer is not valid", MessageVI: "Câu trả lời không hợp lệ",
			Fields: []matthan.FieldError{{Field: "note", Message: "At most 1000 characters of text", MessageVI: "Tối đa 1000 ký tự"}}}
	}
	at = storedTime(at)
	var out *matthan.AccessRequest
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := db.accessRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if !matthan.CanDecide(r.Status, status) {
			return matthan.Errorf(matthan.ECONFLICT,
				fmt.Sprintf("Access request %d is %s: it cannot become %s", id, r.Status, status),
				fmt.Sprintf("Yêu cầu xem bản ghi %d đang ở trạng thái %s, không thể chuyển sang %s", id, r.Status, status))
		}
		r.Status, r.DecidedBy, r.DecidedAt, r.Note = status, by, at, note
		switch status {
		case matthan.RequestGranted:
			r.Until = at.Add(matthan.GrantDays * 24 * time.Hour)
		case matthan.RequestRevoked:
			r.Until = at
		}
		if _, err := tx.ExecContext(ctx, `UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, note = ?, until = ? WHERE id = ?`,
			string(r.Status), r.DecidedBy, toMicros(at), r.Note, untilMicros(r.Until), id); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, wrapLedger(fmt.Sprintf("decide access request %d", id), err)
	}
	return out, nil
}

func untilMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toMicros(t)
}

func scanAccessRequest(s scanner) (*matthan.AccessRequest, error) {
	var (
		r                                 matthan.AccessRequest
		status                            string
		from, to, decided, until, created int64
	)
	if err := s.Scan(&r.ID, &r.CameraID, &r.Requester, &from, &to, &r.Reason, &r.CaseID, &status,
		&r.DecidedBy, &decided, &r.Note, &until, &created); err != nil {
		return nil, err
	}
	r.Status = matthan.RequestStatus(status)
	r.From, r.To, r.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(created)
	if decided != 0 {
		r.DecidedAt = fromMicros(decided)
	}
	if until != 0 {
		r.Until = fromMicros(until)
	}
	return &r, nil
}
