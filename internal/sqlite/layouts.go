package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"matthan"
)

// maxLayoutCameras bounds a layout's camera list: a ward has dozens of
// cameras, not thousands.
const maxLayoutCameras = 500

// validLayout checks what a user may type or send.
func validLayout(l *matthan.Layout) error {
	var bad []matthan.FieldError
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" || len([]rune(l.Name)) > 80 {
		bad = append(bad, matthan.FieldError{Field: "name",
			Message: "A name of 1 to 80 characters is required", MessageVI: "Cần đặt tên từ 1 đến 80 ký tự"})
	}
	if !slices.Contains(matthan.LayoutSizes, l.Size) {
		bad = append(bad, matthan.FieldError{Field: "size",
			Message: "The layout must have 1, 4, 9, 16 or 25 tiles", MessageVI: "Bố cục phải có 1, 4, 9, 16 hoặc 25 ô"})
	}
	if !slices.Contains(matthan.LayoutRotations, l.Rotation) {
		bad = append(bad, matthan.FieldError{Field: "rotation",
			Message: "Rotation must be off, 10, 30 or 60 seconds", MessageVI: "Tự chuyển trang phải là tắt, 10, 30 hoặc 60 giây"})
	}
	if len(l.Cameras) > maxLayoutCameras || slices.Contains(l.Cameras, "") {
		bad = append(bad, matthan.FieldError{Field: "cameras",
			Message:   fmt.Sprintf("The camera list must hold up to %d camera IDs", maxLayoutCameras),
			MessageVI: fmt.Sprintf("Danh sách camera chỉ gồm tối đa %d mã camera", maxLayoutCameras)})
	}
	if len(bad) > 0 {
		return &matthan.Error{Code: matthan.EINVALID,
			Message: "The layout has invalid fields", MessageVI: "Bố cục có trường không hợp lệ", Fields: bad}
	}
	if l.Cameras == nil {
		l.Cameras = []string{}
	}
	return nil
}

func errLayoutNotFound(id int64) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("layout %d not found", id),
		fmt.Sprintf("Không tìm thấy bố cục %d", id))
}

func errLayoutExists(name string) error {
	return &matthan.Error{Code: matthan.ECONFLICT,
		Message:   fmt.Sprintf("You already have a layout named %q", name),
		MessageVI: fmt.Sprintf("Bạn đã có bố cục tên %q", name),
		Fields:    []matthan.FieldError{{Field: "name", Message: "Name in use", MessageVI: "Tên đã dùng"}}}
}

// CreateLayout stores a new layout of l.User and sets its ID and times.
// EINVALID for bad fields, ENOTFOUND for an unknown user, ECONFLICT when
// the user already has a layout with that name.
func (db *DB) CreateLayout(ctx context.Context, l *matthan.Layout) error {
	if err := validLayout(l); err != nil {
		return err
	}
	cams, _ := json.Marshal(l.Cameras) // strings: cannot fail
	now := db.stamp()
	res, err := db.write.ExecContext(ctx, `INSERT INTO layouts (user_id, name, size, cameras, rotation, created_at, updated_at)
		SELECT id, ?, ?, ?, ?, ?, ? FROM users WHERE name = ?`,
		l.Name, l.Size, string(cams), l.Rotation, toMicros(now), toMicros(now), l.User)
	if isUniqueViolation(err) {
		return errLayoutExists(l.Name)
	}
	if err != nil {
		return fmt.Errorf("create layout: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUserNotFound(l.User)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create layout: %w", err)
	}
	l.ID, l.CreatedAt, l.UpdatedAt = id, now, now
	return nil
}

// UpdateLayout replaces the fields of layout l.ID, which must be l.User's:
// another user's layout is ENOTFOUND, as if it did not exist.
func (db *DB) UpdateLayout(ctx context.Context, l *matthan.Layout) error {
	if err := validLayout(l); err != nil {
		return err
	}
	cams, _ := json.Marshal(l.Cameras)
	now := db.stamp()
	res, err := db.write.ExecContext(ctx, `UPDATE layouts SET name = ?, size = ?, cameras = ?, rotation = ?, updated_at = ?
		WHERE id = ? AND user_id = (SELECT id FROM users WHERE name = ?)`,
		l.Name, l.Size, string(cams), l.Rotation, toMicros(now), l.ID, l.User)
	if isUniqueViolation(err) {
		return errLayoutExists(l.Name)
	}
	if err != nil {
		return fmt.Errorf("update layout %d: %w", l.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLayoutNotFound(l.ID)
	}
	got, err := db.layout(ctx, l.User, l.ID)
	if err != nil {
		return err
	}
	*l = *got
	return nil
}

// DeleteLayout removes layout id of user; ENOTFOUND if user has none such.
func (db *DB) DeleteLayout(ctx context.Context, user string, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM layouts WHERE id = ? AND user_id = (SELECT id FROM users WHERE name = ?)`, id, user)
	if err != nil {
		return fmt.Errorf("delete layout %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLayoutNotFound(id)
	}
	return nil
}

// Layouts returns user's layouts ordered by name.
func (db *DB) Layouts(ctx context.Context, user string) ([]*matthan.Layout, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+layoutColumns+` FROM layouts l JOIN users u ON u.id = l.user_id
		WHERE u.name = ? ORDER BY l.name, l.id`, user)
	if err != nil {
		return nil, fmt.Errorf("layouts: %w", err)
	}
	out, err := scanAll(rows, scanLayout)
	if err != nil {
		return nil, fmt.Errorf("layouts: %w", err)
	}
	return out, nil
}

func (db *DB) layout(ctx context.Context, user string, id int64) (*matthan.Layout, error) {
	l, err := scanLayout(db.write.QueryRowContext(ctx, `SELECT `+layoutColumns+` FROM layouts l JOIN users u ON u.id = l.user_id
		WHERE l.id = ? AND u.name = ?`, id, user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errLayoutNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("layout %d: %w", id, err)
	}
	return l, nil
}

const layoutColumns = `l.id, u.name, l.name, l.size, l.cameras, l.rotation, l.created_at, l.updated_at`

func scanLayout(s scanner) (*matthan.Layout, error) {
	var (
		l                matthan.Layout
		cams             string
		created, updated int64
	)
	if err := s.Scan(&l.ID, &l.User, &l.Name, &l.Size, &cams, &l.Rotation, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cams), &l.Cameras); err != nil {
		return nil, fmt.Errorf("layout %d: cameras: %w", l.ID, err)
	}
	if l.Cameras == nil {
		l.Cameras = []string{}
	}
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &l, nil
}
