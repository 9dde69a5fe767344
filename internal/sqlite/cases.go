package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"matthan"
)

// Cases (vụ việc): each change writes the case's log entry, and locks or
// releases its footage, in one transaction, so the chain of custody never
// misses a step that happened.

var _ matthan.CaseStore = (*DB)(nil)

// caseColumns end with the count of the case's items not removed, so
// that a list of cases needs no query per case.
const caseColumns = `id, number, title, description, status, opened_by, opened_at, closed_by, closed_at, keep_days,
	(SELECT COUNT(*) FROM case_items i WHERE i.case_id = cases.id AND i.removed_at = 0)`

const caseItemColumns = `id, case_id, kind, event_id, camera_id, from_at, to_at, text, export_id, lock_id,
	added_by, added_at, removed_by, removed_at, remove_reason`

func fromOptMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// stampOr is at as stored, or now when at is zero.
func (db *DB) stampOr(at time.Time) time.Time {
	if at.IsZero() {
		return db.stamp()
	}
	return storedTime(at)
}

// CreateCase validates and stores an open case and logs its opening.
func (db *DB) CreateCase(ctx context.Context, c *matthan.Case) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c.Status, c.ClosedBy, c.ClosedAt = matthan.CaseOpen, "", time.Time{}
	c.OpenedAt = db.stampOr(c.OpenedAt)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO cases (number, title, description, status, opened_by, opened_at, keep_days)
		VALUES (?, ?, ?, 'open', ?, ?, ?)`, c.Number, c.Title, c.Description, c.OpenedBy, toMicros(c.OpenedAt), c.KeepDays)
	if isUniqueViolation(err) {
		return matthan.Errorf(matthan.ECONFLICT, fmt.Sprintf("case number %s is taken", c.Number),
			fmt.Sprintf("Số vụ việc %s đã được dùng", c.Number))
	}
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	if err := addCaseLog(ctx, tx, &matthan.CaseLog{CaseID: id, At: c.OpenedAt, User: c.OpenedBy,
		Action: matthan.CaseActionOpen, Detail: c.Number + ": " + c.Title}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.ID = id
	return nil
}

// Case returns case id.
func (db *DB) Case(ctx context.Context, id int64) (*matthan.Case, error) {
	return getCase(ctx, db.read, id)
}

func getCase(ctx context.Context, q queryRower, id int64) (*matthan.Case, error) {
	return byID(ctx, q, "cases", caseColumns, id, scanCase, matthan.ErrCaseNotFound, "case")
}

// Cases returns the cases matching f, newest first.
func (db *DB) Cases(ctx context.Context, f matthan.CaseFilter) ([]*matthan.Case, error) {
	var c conds
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases`+c.where()+` ORDER BY opened_at DESC, id DESC`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	out, err := scanAll(rows, scanCase)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	return out, nil
}

func scanCase(s scanner) (*matthan.Case, error) {
	var (
		c              matthan.Case
		status         string
		opened, closed int64
	)
	if err := s.Scan(&c.ID, &c.Number, &c.Title, &c.Description, &status, &c.OpenedBy, &opened, &c.ClosedBy, &closed, &c.KeepDays, &c.Items); err != nil {
		return nil, err
	}
	c.Status, c.OpenedAt, c.ClosedAt = matthan.CaseStatus(status), fromMicros(opened), fromOptMicros(closed)
	return &c, nil
}

// lockCaseItem locks the footage of a footage or event item of case c.
func lockCaseItem(ctx context.Context, tx *sql.Tx, c *matthan.Case, it *matthan.CaseItem, by string, at time.Time) error {
	reason := fmt.Sprintf("case %s, item %d (%s)", c.Number, it.ID, it.Kind)
	res, err := tx.ExecContext(ctx, `INSERT INTO evidence_locks
		(camera_id, start_at, end_at, case_number, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		it.CameraID, toMicros(it.From), toMicros(it.To), c.Number, reason, by, toMicros(at))
	if err != nil {
		return fmt.Errorf("lock case footage: %w", err)
	}
	if it.LockID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("lock case footage: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE case_items SET lock_id = ? WHERE id = ?`, it.LockID, it.ID); err != nil {
		return fmt.Errorf("lock case footage: %w", err)
	}
	return nil
}

// AddCaseItem stores an item of an open case and locks its footage, if it
// has any, with no end while the case is open.
func (db *DB) AddCaseItem(ctx context.Context, it *matthan.CaseItem) error {
	if err := it.Validate(); err != nil {
		return err
	}
	it.AddedAt = db.stampOr(it.AddedAt)
	if it.Footage() {
		it.From, it.To = storedTime(it.From), storedTime(it.To)
	} else {
		it.CameraID, it.From, it.To = "", time.Time{}, time.Time{}
	}
	it.LockID, it.RemovedBy, it.RemovedAt, it.RemoveReason = 0, "", time.Time{}, ""
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add case item: %w", err)
	}
	defer tx.Rollback()
	c, err := getCase(ctx, tx, it.CaseID)
	if err != nil {
		return err
	}
	if c.Status != matthan.CaseOpen {
		return matthan.ErrCaseClosed(c.Number)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO case_items (case_id, kind, event_id, camera_id, from_at, to_at, text, export_id,
		added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.CaseID, string(it.Kind), it.EventID, it.CameraID, optMicros(it.From), optMicros(it.To), it.Text, it.ExportID,
		it.AddedBy, toMicros(it.AddedAt))
	if err != nil {
		return fmt.Errorf("add case item: %w", err)
	}
	if it.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add case item: %w", err)
	}
	if it.Footage() {
		if err := lockCaseItem(ctx, tx, c, it, it.AddedBy, it.AddedAt); err != nil {
			return err
		}
	}
	if err := addCaseLog(ctx, tx, &matthan.CaseLog{CaseID: c.ID, At: it.AddedAt, User: it.AddedBy,
		Action: matthan.CaseActionAddItem, ItemID: it.ID, Detail: itemDetail(it)}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add case item: %w", err)
	}
	return nil
}

// The case log is the ward's record, read by its officers and handed to
// courts: its details are written in Vietnamese, times in Vietnam time.

// caseItemKindsVI names each kind of item in the log.
var caseItemKindsVI = map[matthan.CaseItemKind]string{
	matthan.CaseItemEvent: "sự kiện", matthan.CaseItemFootage: "đoạn ghi hình", matthan.CaseItemNote: "ghi chú",
	matthan.CaseItemPerson: "người", matthan.CaseItemVehicle: "phương tiện", matthan.CaseItemExport: "gói chứng cứ",
}

// itemDetail describes an item for the log.
func itemDetail(it *matthan.CaseItem) string {
	var b strings.Builder
	b.WriteString(cmp.Or(caseItemKindsVI[it.Kind], string(it.Kind)))
	if it.EventID != "" {
		b.WriteString("; sự kiện " + it.EventID)
	}
	if it.Footage() {
		fmt.Fprintf(&b, "; camera %s, %s – %s; khóa chứng cứ số %d", it.CameraID,
			matthan.FormatLocal(it.From), matthan.FormatLocal(it.To), it.LockID)
	}
	if it.ExportID != "" {
		b.WriteString("; gói " + it.ExportID)
	}
	if it.Text != "" {
		b.WriteString("; " + it.Text)
	}
	return b.String()
}

// CaseItems returns the items of a case, removed ones too, in order added.
func (db *DB) CaseItems(ctx context.Context, caseID int64) ([]*matthan.CaseItem, error) {
	return caseItems(ctx, db.read, caseID)
}

type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func caseItems(ctx context.Context, q queryer, caseID int64) ([]*matthan.CaseItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+caseItemColumns+` FROM case_items WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("case items: %w", err)
	}
	out, err := scanAll(rows, scanCaseItem)
	if err != nil {
		return nil, fmt.Errorf("case items: %w", err)
	}
	return out, nil
}

func scanCaseItem(s scanner) (*matthan.CaseItem, error) {
	var (
		it                      matthan.CaseItem
		kind                    string
		from, to, added, remove int64
	)
	if err := s.Scan(&it.ID, &it.CaseID, &kind, &it.EventID, &it.CameraID, &from, &to, &it.Text, &it.ExportID, &it.LockID,
		&it.AddedBy, &added, &it.RemovedBy, &remove, &it.RemoveReason); err != nil {
		return nil, err
	}
	it.Kind, it.From, it.To = matthan.CaseItemKind(kind), fromOptMicros(from), fromOptMicros(to)
	it.AddedAt, it.RemovedAt = fromMicros(added), fromOptMicros(remove)
	return &it, nil
}

// RemoveCaseItem marks an item removed, keeping it, and releases its lock
// now. A closed case's items cannot be removed.
func (db *DB) RemoveCaseItem(ctx context.Context, caseID, itemID int64, by, why string, at time.Time) (*matthan.CaseItem, error) {
	by, why = strings.TrimSpace(by), strings.TrimSpace(why)
	var fields []matthan.FieldError
	if why == "" {
		fields = append(fields, field("reason", "Say why the item is removed", "Hãy ghi lý do gỡ mục này"))
	}
	if by == "" {
		fields = append(fields, field("removed_by", "required", "bắt buộc"))
	}
	if len(fields) > 0 {
		return nil, invalid("The removal has invalid fields", "Yêu cầu gỡ mục có trường không hợp lệ", fields)
	}
	stamp := db.stampOr(at)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("remove case item: %w", err)
	}
	defer tx.Rollback()
	c, err := getCase(ctx, tx, caseID)
	if err != nil {
		return nil, err
	}
	if c.Status != matthan.CaseOpen {
		return nil, matthan.ErrCaseClosed(c.Number)
	}
	it, err := scanCaseItem(tx.QueryRowContext(ctx, `SELECT `+caseItemColumns+` FROM case_items WHERE id = ? AND case_id = ?`, itemID, caseID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("case %s has no item %d", c.Number, itemID),
			fmt.Sprintf("Vụ việc %s không có mục %d", c.Number, itemID))
	}
	if err != nil {
		return nil, fmt.Errorf("remove case item: %w", err)
	}
	if it.Removed() {
		return nil, matthan.Errorf(matthan.ECONFLICT, fmt.Sprintf("item %d was removed already", itemID),
			fmt.Sprintf("Mục %d đã được gỡ trước đó", itemID))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE case_items SET removed_by = ?, removed_at = ?, remove_reason = ? WHERE id = ?`,
		by, toMicros(stamp), why, itemID); err != nil {
		return nil, fmt.Errorf("remove case item: %w", err)
	}
	if it.LockID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE evidence_locks SET released_by = ?, released_at = ?
			WHERE id = ? AND released_at IS NULL`, by, toMicros(stamp), it.LockID); err != nil {
			return nil, fmt.Errorf("remove case item: release lock: %w", err)
		}
	}
	if err := addCaseLog(ctx, tx, &matthan.CaseLog{CaseID: caseID, At: stamp, User: by, Action: matthan.CaseActionRemoveItem,
		ItemID: itemID, Detail: itemDetail(it) + "; lý do: " + why}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("remove case item: %w", err)
	}
	it.RemovedBy, it.RemovedAt, it.RemoveReason = by, stamp, why
	return it, nil
}

// CloseCase closes an open case. Its footage locks are released at
// ClosedAt + KeepDays: until then they hold.
func (db *DB) CloseCase(ctx context.Context, id int64, by, why string, at time.Time) (*matthan.Case, error) {
	if strings.TrimSpace(by) == "" {
		return nil, invalid("Who closes the case is required", "Cần ghi rõ người đóng vụ việc",
			[]matthan.FieldError{field("closed_by", "required", "bắt buộc")})
	}
	stamp := db.stampOr(at)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("close case: %w", err)
	}
	defer tx.Rollback()
	c, err := getCase(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != matthan.CaseOpen {
		return nil, matthan.Errorf(matthan.ECONFLICT, fmt.Sprintf("case %s is closed already", c.Number),
			fmt.Sprintf("Vụ việc %s đã đóng trước đó", c.Number))
	}
	c.Status, c.ClosedBy, c.ClosedAt = matthan.CaseClosed, by, stamp
	until := c.LocksUntil()
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'closed', closed_by = ?, closed_at = ? WHERE id = ?`,
		by, toMicros(stamp), id); err != nil {
		return nil, fmt.Errorf("close case: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE evidence_locks SET released_by = ?, released_at = ?
		WHERE released_at IS NULL AND id IN (SELECT lock_id FROM case_items WHERE case_id = ? AND lock_id != 0)`,
		by, toMicros(until), id)
	if err != nil {
		return nil, fmt.Errorf("close case: locks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("close case: locks: %w", err)
	}
	detail := fmt.Sprintf("%d khóa chứng cứ hết hạn lúc %s, %d ngày sau khi đóng", n, matthan.FormatLocal(until), c.KeepDays)
	if why = strings.TrimSpace(why); why != "" {
		detail += "; lý do: " + why
	}
	if err := addCaseLog(ctx, tx, &matthan.CaseLog{CaseID: id, At: stamp, User: by, Action: matthan.CaseActionClose, Detail: detail}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("close case: %w", err)
	}
	return c, nil
}

// ReopenCase opens a closed case again and locks the footage of its
// items (not removed) again, with no end; the old locks stay as history.
func (db *DB) ReopenCase(ctx context.Context, id int64, by, why string, at time.Time) (*matthan.Case, error) {
	by, why = strings.TrimSpace(by), strings.TrimSpace(why)
	if by == "" {
		return nil, invalid("Who reopens the case is required", "Cần ghi rõ người mở lại vụ việc",
			[]matthan.FieldError{field("reopened_by", "required", "bắt buộc")})
	}
	stamp := db.stampOr(at)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reopen case: %w", err)
	}
	defer tx.Rollback()
	c, err := getCase(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != matthan.CaseClosed {
		return nil, matthan.Errorf(matthan.ECONFLICT, fmt.Sprintf("case %s is open already", c.Number),
			fmt.Sprintf("Vụ việc %s đang mở", c.Number))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'open', closed_by = '', closed_at = 0 WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("reopen case: %w", err)
	}
	c.Status, c.ClosedBy, c.ClosedAt = matthan.CaseOpen, "", time.Time{}
	items, err := caseItems(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, it := range items {
		if !it.Footage() || it.Removed() {
			continue
		}
		if err := lockCaseItem(ctx, tx, c, it, by, stamp); err != nil {
			return nil, err
		}
		n++
	}
	detail := fmt.Sprintf("khóa lại %d đoạn ghi hình, không thời hạn", n)
	if why != "" {
		detail += "; lý do: " + why
	}
	if err := addCaseLog(ctx, tx, &matthan.CaseLog{CaseID: id, At: stamp, User: by, Action: matthan.CaseActionReopen, Detail: detail}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("reopen case: %w", err)
	}
	return c, nil
}

// AddCaseLog records an action done outside the store, such as an export.
func (db *DB) AddCaseLog(ctx context.Context, e *matthan.CaseLog) error {
	if strings.TrimSpace(e.User) == "" || e.Action == "" {
		return invalid("A case log entry needs a user and an action", "Nhật ký vụ việc cần người thực hiện và hành động",
			[]matthan.FieldError{field("user", "required", "bắt buộc")})
	}
	e.At = db.stampOr(e.At)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("case log: %w", err)
	}
	defer tx.Rollback()
	if _, err := getCase(ctx, tx, e.CaseID); err != nil {
		return err
	}
	if err := addCaseLog(ctx, tx, e); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("case log: %w", err)
	}
	return nil
}

func addCaseLog(ctx context.Context, tx *sql.Tx, e *matthan.CaseLog) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO case_logs (case_id, at, user, action, item_id, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		e.CaseID, toMicros(e.At), e.User, string(e.Action), e.ItemID, e.Detail)
	if err != nil {
		return fmt.Errorf("case log: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("case log: %w", err)
	}
	return nil
}

// CaseLogs returns a case's log, in order.
func (db *DB) CaseLogs(ctx context.Context, caseID int64) ([]*matthan.CaseLog, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, case_id, at, user, action, item_id, detail FROM case_logs
		WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("case log: %w", err)
	}
	defer rows.Close()
	out := []*matthan.CaseLog{}
	for rows.Next() {
		var (
			e      matthan.CaseLog
			at     int64
			action string
		)
		if err := rows.Scan(&e.ID, &e.CaseID, &at, &e.User, &action, &e.ItemID, &e.Detail); err != nil {
			return nil, fmt.Errorf("case log: %w", err)
		}
		e.At, e.Action = fromMicros(at), matthan.CaseAction(action)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case log: %w", err)
	}
	return out, nil
}
