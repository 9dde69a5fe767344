package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"matthan"
)

var _ matthan.DonationStore = (*DB)(nil)

func errDonationNotFound(id int64) error {
	return matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("donation %d not found", id),
		fmt.Sprintf("Không tìm thấy khoản đóng góp %d", id))
}

func errCostNotFound(id int64) error {
	return matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("camera cost %d not found", id),
		fmt.Sprintf("Không tìm thấy khoản chi %d", id))
}

func errReceiptInUse(no string) error {
	return &matthan.Error{Code: matthan.ECONFLICT,
		Message:   fmt.Sprintf("Receipt number %q is already in the ledger", no),
		MessageVI: fmt.Sprintf("Số phiếu thu %q đã có trong sổ", no),
		Fields: []matthan.FieldError{{Field: "receipt_no", Message: "This receipt number is already used by another donation",
			MessageVI: "Số phiếu thu này đã dùng cho khoản đóng góp khác"}}}
}

func errUnknownCameras(field string, ids []string) error {
	list := strings.Join(ids, ", ")
	return &matthan.Error{Code: matthan.EINVALID,
		Message: "The ledger entry names cameras that do not exist", MessageVI: "Mục trong sổ ghi camera không tồn tại",
		Fields: []matthan.FieldError{{Field: field, Message: "Unknown camera: " + list, MessageVI: "Không có camera: " + list}}}
}

// missingCameras returns those of ids that are not in the registry.
func missingCameras(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ids []string) ([]string, error) {
	var missing []string
	for _, id := range ids {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cameras WHERE id = ?`, id).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// CreateDonation stores d (Validate applies) and sets its ID and times.
// Every camera it names must exist; the receipt number must be new.
func (db *DB) CreateDonation(ctx context.Context, d *matthan.Donation) error {
	if err := d.Validate(); err != nil {
		return err
	}
	now := db.stamp()
	var newID int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if missing, err := missingCameras(ctx, tx, d.Cameras); err != nil {
			return err
		} else if len(missing) > 0 {
			return errUnknownCameras("cameras", missing)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO donations (donor_kind, donor_name, donor_address, donor_contact, anonymous,
			kind, amount_vnd, equipment, date, purpose, works, receipt_no, note, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.Donor.Kind, d.Donor.Name, d.Donor.Address, d.Donor.Contact, d.Donor.Anonymous,
			d.Kind, d.AmountVND, d.Equipment, d.Date, d.Purpose, d.Works, d.ReceiptNo, d.Note, d.CreatedBy,
			toMicros(now), toMicros(now))
		if isUniqueViolation(err) {
			return errReceiptInUse(d.ReceiptNo)
		}
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		newID = id
		return setDonationCameras(ctx, tx, id, d.Cameras)
	})
	if err != nil {
		return wrapLedger("create donation", err)
	}
	d.ID, d.CreatedAt, d.UpdatedAt = newID, now, now
	return nil
}

// UpdateDonation replaces donation d.ID's fields (not who created it, nor
// when). Cameras it already names may since have been removed; newly named
// ones must exist.
func (db *DB) UpdateDonation(ctx context.Context, d *matthan.Donation) error {
	if err := d.Validate(); err != nil {
		return err
	}
	now := db.stamp()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := donationCameras(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		var added []string
		for _, id := range d.Cameras {
			if !slices.Contains(old, id) {
				added = append(added, id)
			}
		}
		if missing, err := missingCameras(ctx, tx, added); err != nil {
			return err
		} else if len(missing) > 0 {
			return errUnknownCameras("cameras", missing)
		}
		res, err := tx.ExecContext(ctx, `UPDATE donations SET donor_kind = ?, donor_name = ?, donor_address = ?, donor_contact = ?,
			anonymous = ?, kind = ?, amount_vnd = ?, equipment = ?, date = ?, purpose = ?, works = ?, receipt_no = ?, note = ?,
			updated_at = ? WHERE id = ?`,
			d.Donor.Kind, d.Donor.Name, d.Donor.Address, d.Donor.Contact, d.Donor.Anonymous,
			d.Kind, d.AmountVND, d.Equipment, d.Date, d.Purpose, d.Works, d.ReceiptNo, d.Note, toMicros(now), d.ID)
		if isUniqueViolation(err) {
			return errReceiptInUse(d.ReceiptNo)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errDonationNotFound(d.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM donation_cameras WHERE donation_id = ?`, d.ID); err != nil {
			return err
		}
		return setDonationCameras(ctx, tx, d.ID, d.Cameras)
	})
	if err != nil {
		return wrapLedger(fmt.Sprintf("update donation %d", d.ID), err)
	}
	got, err := db.Donation(ctx, d.ID)
	if err != nil {
		return err
	}
	*d = *got
	return nil
}

// DeleteDonation removes donation id from the ledger.
func (db *DB) DeleteDonation(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM donations WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete donation %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errDonationNotFound(id)
	}
	return nil
}

// Donation returns donation id.
func (db *DB) Donation(ctx context.Context, id int64) (*matthan.Donation, error) {
	ds, err := db.donations(ctx, conds{sql: []string{"d.id = ?"}, args: []any{id}}, 1)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, errDonationNotFound(id)
	}
	return ds[0], nil
}

// Donations returns the donations f selects, newest date first.
func (db *DB) Donations(ctx context.Context, f matthan.LedgerFilter) ([]*matthan.Donation, error) {
	var c conds
	if f.Year != 0 {
		c.add("substr(d.date, 1, 4) = ?", fmt.Sprintf("%04d", f.Year))
	}
	if f.CameraID != "" {
		c.add("EXISTS (SELECT 1 FROM donation_cameras dc WHERE dc.donation_id = d.id AND dc.camera_id = ?)", f.CameraID)
	}
	if f.Area != "" {
		c.add(`EXISTS (SELECT 1 FROM donation_cameras dc JOIN cameras cam ON cam.id = dc.camera_id
			WHERE dc.donation_id = d.id AND cam.area = ?)`, f.Area)
	}
	return db.donations(ctx, c, limit(f.Limit))
}

func (db *DB) donations(ctx context.Context, c conds, n int) ([]*matthan.Donation, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, d.donor_kind, d.donor_name, d.donor_address, d.donor_contact, d.anonymous,
		d.kind, d.amount_vnd, d.equipment, d.date, d.purpose, d.works, d.receipt_no, d.note, d.created_by, d.created_at, d.updated_at,
		COALESCE((SELECT group_concat(camera_id, ',') FROM (SELECT camera_id FROM donation_cameras WHERE donation_id = d.id ORDER BY camera_id)), '')
		FROM donations d`+c.where()+` ORDER BY d.date DESC, d.id DESC LIMIT ?`, append(c.args, n)...)
	if err != nil {
		return nil, fmt.Errorf("donations: %w", err)
	}
	defer rows.Close()
	out := []*matthan.Donation{}
	for rows.Next() {
		var (
			d                matthan.Donation
			cams             string
			created, updated int64
		)
		if err := rows.Scan(&d.ID, &d.Donor.Kind, &d.Donor.Name, &d.Donor.Address, &d.Donor.Contact, &d.Donor.Anonymous,
			&d.Kind, &d.AmountVND, &d.Equipment, &d.Date, &d.Purpose, &d.Works, &d.ReceiptNo, &d.Note, &d.CreatedBy,
			&created, &updated, &cams); err != nil {
			return nil, fmt.Errorf("donations: %w", err)
		}
		d.Cameras = []string{}
		if cams != "" {
			d.Cameras = strings.Split(cams, ",") // camera IDs are slugs: no commas
		}
		d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("donations: %w", err)
	}
	return out, nil
}

func setDonationCameras(ctx context.Context, tx *sql.Tx, id int64, cams []string) error {
	for _, c := range cams {
		if _, err := tx.ExecContext(ctx, `INSERT INTO donation_cameras (donation_id, camera_id) VALUES (?, ?)`, id, c); err != nil {
			return err
		}
	}
	return nil
}

func donationCameras(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT camera_id FROM donation_cameras WHERE donation_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateCameraCost stores c (Validate applies) for an existing camera and
// sets its ID and times.
func (db *DB) CreateCameraCost(ctx context.Context, c *matthan.CameraCost) error {
	if err := c.Validate(); err != nil {
		return err
	}
	now := db.stamp()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if missing, err := missingCameras(ctx, tx, []string{c.CameraID}); err != nil {
			return err
		} else if len(missing) > 0 {
			return errUnknownCameras("camera_id", missing)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO camera_costs (camera_id, kind, amount_vnd, date, invoice_no, note, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.CameraID, c.Kind, c.AmountVND, c.Date, c.InvoiceNo, c.Note, c.CreatedBy, toMicros(now), toMicros(now))
		if err != nil {
			return err
		}
		c.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return wrapLedger("create camera cost", err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// UpdateCameraCost replaces cost c.ID's fields (not who created it, nor
// when). Moving it to another camera needs that camera to exist.
func (db *DB) UpdateCameraCost(ctx context.Context, c *matthan.CameraCost) error {
	if err := c.Validate(); err != nil {
		return err
	}
	now := db.stamp()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, `SELECT camera_id FROM camera_costs WHERE id = ?`, c.ID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return errCostNotFound(c.ID)
		} else if err != nil {
			return err
		}
		if old != c.CameraID {
			if missing, err := missingCameras(ctx, tx, []string{c.CameraID}); err != nil {
				return err
			} else if len(missing) > 0 {
				return errUnknownCameras("camera_id", missing)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE camera_costs SET camera_id = ?, kind = ?, amount_vnd = ?, date = ?, invoice_no = ?, note = ?,
			updated_at = ? WHERE id = ?`, c.CameraID, c.Kind, c.AmountVND, c.Date, c.InvoiceNo, c.Note, toMicros(now), c.ID)
		return err
	})
	if err != nil {
		return wrapLedger(fmt.Sprintf("update camera cost %d", c.ID), err)
	}
	got, err := db.CameraCost(ctx, c.ID)
	if err != nil {
		return err
	}
	*c = *got
	return nil
}

// DeleteCameraCost removes cost id.
func (db *DB) DeleteCameraCost(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM camera_costs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete camera cost %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errCostNotFound(id)
	}
	return nil
}

// CameraCost returns cost id.
func (db *DB) CameraCost(ctx context.Context, id int64) (*matthan.CameraCost, error) {
	cs, err := db.costs(ctx, conds{sql: []string{"k.id = ?"}, args: []any{id}}, 1)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errCostNotFound(id)
	}
	return cs[0], nil
}

// CameraCosts returns the costs f selects, newest date first.
func (db *DB) CameraCosts(ctx context.Context, f matthan.LedgerFilter) ([]*matthan.CameraCost, error) {
	var c conds
	if f.Year != 0 {
		c.add("substr(k.date, 1, 4) = ?", fmt.Sprintf("%04d", f.Year))
	}
	if f.CameraID != "" {
		c.add("k.camera_id = ?", f.CameraID)
	}
	if f.Area != "" {
		c.add("k.camera_id IN (SELECT id FROM cameras WHERE area = ?)", f.Area)
	}
	return db.costs(ctx, c, limit(f.Limit))
}

func (db *DB) costs(ctx context.Context, c conds, n int) ([]*matthan.CameraCost, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT k.id, k.camera_id, k.kind, k.amount_vnd, k.date, k.invoice_no, k.note,
		k.created_by, k.created_at, k.updated_at FROM camera_costs k`+c.where()+` ORDER BY k.date DESC, k.id DESC LIMIT ?`,
		append(c.args, n)...)
	if err != nil {
		return nil, fmt.Errorf("camera costs: %w", err)
	}
	defer rows.Close()
	out := []*matthan.CameraCost{}
	for rows.Next() {
		var (
			k                matthan.CameraCost
			created, updated int64
		)
		if err := rows.Scan(&k.ID, &k.CameraID, &k.Kind, &k.AmountVND, &k.Date, &k.InvoiceNo, &k.Note, &k.CreatedBy,
			&created, &updated); err != nil {
			return nil, fmt.Errorf("camera costs: %w", err)
		}
		k.CreatedAt, k.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("camera costs: %w", err)
	}
	return out, nil
}

// LedgerTotals sums the ledger (matthan.LedgerTotals says how money given
// for several cameras is shared out). Area and CameraID select shares:
// with Area "Khóm 1", a gift for one camera there and one elsewhere counts
// half.
func (db *DB) LedgerTotals(ctx context.Context, f matthan.LedgerFilter) (*matthan.LedgerTotals, error) {
	year := matthan.LedgerFilter{Year: f.Year, Limit: maxLimit}
	donations, err := db.Donations(ctx, year)
	if err != nil {
		return nil, err
	}
	costs, err := db.CameraCosts(ctx, year)
	if err != nil {
		return nil, err
	}
	areas, err := db.cameraAreas(ctx)
	if err != nil {
		return nil, err
	}

	t := &matthan.LedgerTotals{Areas: []matthan.AreaTotals{}, Cameras: []matthan.CameraTotals{}}
	byArea := map[string]*matthan.AreaTotals{}
	byCam := map[string]*matthan.CameraTotals{}
	areaCams := map[string]map[string]bool{}
	wanted := func(cam string) bool {
		return (f.CameraID == "" || cam == f.CameraID) && (f.Area == "" || (cam != "" && areas[cam] == f.Area))
	}
	area := func(a string) *matthan.AreaTotals {
		if byArea[a] == nil {
			byArea[a] = &matthan.AreaTotals{Area: a}
			areaCams[a] = map[string]bool{}
		}
		return byArea[a]
	}
	camera := func(id string) *matthan.CameraTotals {
		if byCam[id] == nil {
			byCam[id] = &matthan.CameraTotals{CameraID: id, Area: areas[id]}
			area(areas[id])
			areaCams[areas[id]][id] = true
		}
		return byCam[id]
	}
	donors := map[string]bool{}
	for _, d := range donations {
		cams := d.Cameras
		if len(cams) == 0 {
			cams = []string{""} // the general fund
		}
		counted := false
		for i, share := range matthan.ShareOut(d.AmountVND, len(cams)) {
			cam := cams[i]
			if !wanted(cam) {
				continue
			}
			counted = true
			t.RaisedVND += share
			if d.Kind == matthan.DonationEquipment {
				t.EquipmentVND += share
			} else {
				t.MoneyVND += share
			}
			if cam == "" {
				area("").RaisedVND += share
				continue
			}
			camera(cam).RaisedVND += share
			area(areas[cam]).RaisedVND += share
		}
		if counted {
			t.Donations++
			donors[string(d.Donor.Kind)+"\x00"+strings.ToLower(d.Donor.Name)] = true
		}
	}
	for _, k := range costs {
		if !wanted(k.CameraID) {
			continue
		}
		t.SpentVND += k.AmountVND
		camera(k.CameraID).SpentVND += k.AmountVND
		area(areas[k.CameraID]).SpentVND += k.AmountVND
	}
	t.Donors = len(donors)
	for a, at := range byArea {
		at.Cameras = len(areaCams[a])
		t.Areas = append(t.Areas, *at)
	}
	slices.SortFunc(t.Areas, func(a, b matthan.AreaTotals) int {
		if (a.Area == "") != (b.Area == "") {
			if a.Area == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Area, b.Area)
	})
	for _, ct := range byCam {
		t.Cameras = append(t.Cameras, *ct)
	}
	slices.SortFunc(t.Cameras, func(a, b matthan.CameraTotals) int { return cmp.Compare(a.CameraID, b.CameraID) })
	return t, nil
}

// cameraAreas maps each camera in the registry to its area.
func (db *DB) cameraAreas(ctx context.Context) (map[string]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, area FROM cameras`)
	if err != nil {
		return nil, fmt.Errorf("camera areas: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, area string
		if err := rows.Scan(&id, &area); err != nil {
			return nil, fmt.Errorf("camera areas: %w", err)
		}
		out[id] = area
	}
	return out, rows.Err()
}

// inTx runs fn in a write transaction, committed when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrapLedger passes domain errors through as they are and wraps the rest.
func wrapLedger(what string, err error) error {
	var e *matthan.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
