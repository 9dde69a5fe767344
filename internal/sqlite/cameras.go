package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"matthan"
)

const cameraColumns = `id, name, area, address, latitude, longitude,
	owner_kind, owner_name, owner_contact, source, main_url, sub_url,
	username, password_sealed, enabled, record_sub, retain_days, quota_bytes, tags, notes,
	contributor, approval, approval_note, sharing, direction, privacy_masks, created_at, updated_at`

// cameraRow is a camera's column values as stored: tags and sharing in
// JSON, the password sealed, the zero approval and sharing made explicit.
type cameraRow struct {
	tags     string
	password []byte
	approval string
	sharing  string
	masks    string
}

func (db *DB) encodeCamera(c *matthan.Camera) (cameraRow, error) {
	if err := validateRetention(c); err != nil {
		return cameraRow{}, err
	}
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	j, err := json.Marshal(tags)
	if err != nil {
		return cameraRow{}, fmt.Errorf("tags: %w", err)
	}
	var sealed []byte
	if c.Password != "" {
		if sealed, err = db.sealer.Seal([]byte(c.Password)); err != nil {
			return cameraRow{}, fmt.Errorf("seal password: %w", err)
		}
	}
	approval := c.Approval
	if approval == "" {
		approval = matthan.ApprovalApproved
	}
	sharing := c.Sharing
	if sharing.Mode == "" {
		sharing.Mode = matthan.ShareLive
	}
	sj, err := json.Marshal(sharing)
	if err != nil {
		return cameraRow{}, fmt.Errorf("sharing: %w", err)
	}
	masks := c.PrivacyMasks
	if masks == nil {
		masks = []matthan.PrivacyMask{}
	}
	mj, err := json.Marshal(masks)
	if err != nil {
		return cameraRow{}, fmt.Errorf("privacy masks: %w", err)
	}
	return cameraRow{tags: string(j), password: sealed, approval: string(approval), sharing: string(sj), masks: string(mj)}, nil
}

func errCameraIDRequired() error {
	return &matthan.Error{
		Code: matthan.EINVALID, Message: "camera id is required", MessageVI: "Cần có mã camera",
		Fields: []matthan.FieldError{{Field: "id", Message: "required", MessageVI: "bắt buộc"}},
	}
}

// CreateCamera stores a new camera and sets its CreatedAt and UpdatedAt.
func (db *DB) CreateCamera(ctx context.Context, c *matthan.Camera) error {
	if c.ID == "" {
		return errCameraIDRequired()
	}
	row, err := db.encodeCamera(c)
	if err != nil {
		return fmt.Errorf("create camera %q: %w", c.ID, err)
	}
	now := db.stamp()
	_, err = db.write.ExecContext(ctx, `INSERT INTO cameras (`+cameraColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Area, c.Address, c.Latitude, c.Longitude,
		string(c.Owner.Kind), c.Owner.Name, c.Owner.Contact, string(c.Source), c.MainURL, c.SubURL,
		c.Username, row.password, c.Enabled, c.RecordSub, c.RetainDays, c.QuotaBytes, row.tags, c.Notes,
		c.Contributor, row.approval, c.ApprovalNote, row.sharing, c.Direction, row.masks, toMicros(now), toMicros(now))
	if isUniqueViolation(err) {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("camera %q already exists", c.ID),
			fmt.Sprintf("Camera %q đã tồn tại", c.ID))
	}
	if err != nil {
		return fmt.Errorf("create camera %q: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// Camera returns the camera with id, its password opened.
func (db *DB) Camera(ctx context.Context, id string) (*matthan.Camera, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+cameraColumns+` FROM cameras WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("camera %q: %w", id, err)
	}
	cams, err := db.scanCameras(rows)
	if err != nil {
		return nil, fmt.Errorf("get %w", err) // err names the camera
	}
	if len(cams) == 0 {
		return nil, errCameraNotFound(id)
	}
	return cams[0], nil
}

// Cameras returns the cameras that match f, ordered by ID.
func (db *DB) Cameras(ctx context.Context, f matthan.CameraFilter) ([]*matthan.Camera, error) {
	var c conds
	if f.Area != "" {
		c.add("area = ?", f.Area)
	}
	if f.OwnerKind != "" {
		c.add("owner_kind = ?", string(f.OwnerKind))
	}
	if f.Enabled != nil {
		c.add("enabled = ?", *f.Enabled)
	}
	if f.Contributor != "" {
		c.add("contributor = ?", f.Contributor)
	}
	if f.Approval != "" {
		c.add("approval = ?", string(f.Approval))
	}
	q := `SELECT ` + cameraColumns + ` FROM cameras` + c.where()
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY id`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	cams, err := db.scanCameras(rows)
	if err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	return cams, nil
}

func (db *DB) scanCameras(rows *sql.Rows) ([]*matthan.Camera, error) {
	defer rows.Close()
	cams := []*matthan.Camera{}
	for rows.Next() {
		var (
			c                    matthan.Camera
			ownerKind, source    string
			sealed               []byte
			tags, approval       string
			sharing, masks       string
			createdAt, updatedAt int64
		)
		if err := rows.Scan(&c.ID, &c.Name, &c.Area, &c.Address, &c.Latitude, &c.Longitude,
			&ownerKind, &c.Owner.Name, &c.Owner.Contact, &source, &c.MainURL, &c.SubURL,
			&c.Username, &sealed, &c.Enabled, &c.RecordSub, &c.RetainDays, &c.QuotaBytes, &tags, &c.Notes,
			&c.Contributor, &approval, &c.ApprovalNote, &sharing, &c.Direction, &masks, &createdAt, &updatedAt); err != nil {
			return nil, err
		}
		c.Approval = matthan.Approval(approval)
		if err := json.Unmarshal([]byte(sharing), &c.Sharing); err != nil {
			return nil, fmt.Errorf("camera %q: sharing: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(masks), &c.PrivacyMasks); err != nil {
			return nil, fmt.Errorf("camera %q: privacy masks: %w", c.ID, err)
		}
		if len(c.PrivacyMasks) == 0 {
			c.PrivacyMasks = nil
		}
		c.Owner.Kind = matthan.OwnerKind(ownerKind)
		c.Source = matthan.SourceMode(source)
		c.CreatedAt, c.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
		if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
			return nil, fmt.Errorf("camera %q: tags: %w", c.ID, err)
		}
		if c.Tags == nil {
			c.Tags = []string{}
		}
		if len(sealed) > 0 {
			plain, err := db.sealer.Open(sealed)
			if err != nil {
				return nil, fmt.Errorf("camera %q: password: %w", c.ID, err)
			}
			c.Password = string(plain)
		}
		cams = append(cams, &c)
	}
	return cams, rows.Err()
}

// UpdateCamera replaces every field of the camera with c.ID except
// CreatedAt, and sets c.UpdatedAt (always later than the previous value)
// and c.CreatedAt to what is stored.
func (db *DB) UpdateCamera(ctx context.Context, c *matthan.Camera) error {
	if c.ID == "" {
		return errCameraIDRequired()
	}
	row, err := db.encodeCamera(c)
	if err != nil {
		return fmt.Errorf("update camera %q: %w", c.ID, err)
	}
	var createdAt, updatedAt int64
	err = db.write.QueryRowContext(ctx, `UPDATE cameras SET
			name = ?, area = ?, address = ?, latitude = ?, longitude = ?,
			owner_kind = ?, owner_name = ?, owner_contact = ?, source = ?, main_url = ?, sub_url = ?,
			username = ?, password_sealed = ?, enabled = ?, record_sub = ?, retain_days = ?, quota_bytes = ?,
			tags = ?, notes = ?, contributor = ?, approval = ?, approval_note = ?, sharing = ?, direction = ?,
			privacy_masks = ?, updated_at = MAX(?, updated_at + 1)
		WHERE id = ?
		RETURNING created_at, updated_at`,
		c.Name, c.Area, c.Address, c.Latitude, c.Longitude,
		string(c.Owner.Kind), c.Owner.Name, c.Owner.Contact, string(c.Source), c.MainURL, c.SubURL,
		c.Username, row.password, c.Enabled, c.RecordSub, c.RetainDays, c.QuotaBytes, row.tags, c.Notes,
		c.Contributor, row.approval, c.ApprovalNote, row.sharing, c.Direction,
		row.masks, toMicros(db.stamp()), c.ID).Scan(&createdAt, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return errCameraNotFound(c.ID)
	}
	if err != nil {
		return fmt.Errorf("update camera %q: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return nil
}

// DeleteCamera removes the camera with id and its health events. Audit
// entries, recorded segments and gaps that name it stay: footage outlives
// registry edits, and only retention deletes it.
func (db *DB) DeleteCamera(ctx context.Context, id string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM cameras WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete camera %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete camera %q: %w", id, err)
	} else if n == 0 {
		return errCameraNotFound(id)
	}
	return nil
}
