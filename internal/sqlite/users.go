package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"matthan"
)

// CreateUser stores a new user and sets its ID (and CreatedAt when zero).
// Names are unique, compared exactly.
func (db *DB) CreateUser(ctx context.Context, u *matthan.User) error {
	if u.Name == "" {
		return &matthan.Error{
			Code: matthan.EINVALID, Message: "user name is required", MessageVI: "Cần có tên người dùng",
			Fields: []matthan.FieldError{{Field: "name", Message: "required", MessageVI: "bắt buộc"}},
		}
	}
	created := storedTime(u.CreatedAt)
	if u.CreatedAt.IsZero() {
		created = db.stamp()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)`,
		u.Name, string(u.Role), u.PasswordHash, toMicros(created))
	if isUniqueViolation(err) {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("user %q already exists", u.Name),
			fmt.Sprintf("Người dùng %q đã tồn tại", u.Name))
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	u.ID, u.CreatedAt = id, created
	return nil
}

const userColumns = `id, name, role, password_hash, created_at`

func scanUser(s scanner) (*matthan.User, error) {
	var (
		u       matthan.User
		role    string
		created int64
	)
	if err := s.Scan(&u.ID, &u.Name, &role, &u.PasswordHash, &created); err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = matthan.Role(role), fromMicros(created)
	return &u, nil
}

// UserByName returns the user called name.
func (db *DB) UserByName(ctx context.Context, name string) (*matthan.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("user %q not found", name),
			fmt.Sprintf("Không tìm thấy người dùng %q", name))
	}
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// Users returns every user, ordered by name.
func (db *DB) Users(ctx context.Context) ([]*matthan.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	users := []*matthan.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return users, nil
}
