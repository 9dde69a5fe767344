package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"matthan"
)

var _ matthan.SessionStore = (*DB)(nil)

func errUserNotFound(name string) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("user %q not found", name),
		fmt.Sprintf("Không tìm thấy người dùng %q", name))
}

func errLastAdmin() error {
	return matthan.Errorf(matthan.ECONFLICT,
		"The last admin cannot be removed or demoted; make another admin first",
		"Không thể xóa hoặc hạ quyền quản trị viên cuối cùng; hãy tạo một quản trị viên khác trước")
}

// otherAdmins counts the admins other than the user with id.
func otherAdmins(ctx context.Context, tx *sql.Tx, id int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND id <> ?`,
		string(matthan.RoleAdmin), id).Scan(&n)
	return n, err
}

// UpdateUser stores u's role and password hash. The check for the last
// admin and the change happen in one write transaction, so two admins
// demoting each other at once cannot leave the node without one.
func (db *DB) UpdateUser(ctx context.Context, u *matthan.User) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update user %q: %w", u.Name, err)
	}
	defer tx.Rollback()
	old, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, u.Name))
	if errors.Is(err, sql.ErrNoRows) {
		return errUserNotFound(u.Name)
	} else if err != nil {
		return fmt.Errorf("update user %q: %w", u.Name, err)
	}
	if old.Role == matthan.RoleAdmin && u.Role != matthan.RoleAdmin {
		if n, err := otherAdmins(ctx, tx, old.ID); err != nil {
			return fmt.Errorf("update user %q: %w", u.Name, err)
		} else if n == 0 {
			return errLastAdmin()
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, password_hash = ? WHERE id = ?`,
		string(u.Role), u.PasswordHash, old.ID); err != nil {
		return fmt.Errorf("update user %q: %w", u.Name, err)
	}
	if old.PasswordHash != u.PasswordHash {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, old.ID); err != nil {
			return fmt.Errorf("update user %q: end sessions: %w", u.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update user %q: %w", u.Name, err)
	}
	u.ID, u.CreatedAt = old.ID, old.CreatedAt
	return nil
}

// ReplacePasswordHash swaps the hash of name from old to new, and only so.
func (db *DB) ReplacePasswordHash(ctx context.Context, name, old, new string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?`, new, name, old)
	if err != nil {
		return fmt.Errorf("replace password hash of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("the password of user %q changed meanwhile", name),
			fmt.Sprintf("Mật khẩu của người dùng %q vừa được đổi", name))
	}
	return nil
}

// DeleteUser removes a user; their sessions and tokens go by cascade.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	defer tx.Rollback()
	old, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return errUserNotFound(name)
	} else if err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	if old.Role == matthan.RoleAdmin {
		if n, err := otherAdmins(ctx, tx, old.ID); err != nil {
			return fmt.Errorf("delete user %q: %w", name, err)
		} else if n == 0 {
			return errLastAdmin()
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, old.ID); err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	return nil
}

// CreateSession stores s for the user named s.User.
func (db *DB) CreateSession(ctx context.Context, s *matthan.Session) error {
	if len(s.Hash) == 0 || s.CSRFToken == "" {
		return matthan.Errorf(matthan.EINVALID, "a session needs a token hash and a CSRF token",
			"Phiên đăng nhập cần mã băm và mã CSRF")
	}
	s.CreatedAt, s.LastSeen = storedTime(s.CreatedAt), storedTime(s.LastSeen)
	s.IdleExpires, s.Expires = storedTime(s.IdleExpires), storedTime(s.Expires)
	res, err := db.write.ExecContext(ctx, `INSERT INTO sessions
		(token_hash, user_id, csrf_token, created_at, last_seen, idle_expires, expires, remote, user_agent)
		SELECT ?, id, ?, ?, ?, ?, ?, ?, ? FROM users WHERE name = ?`,
		s.Hash, s.CSRFToken, toMicros(s.CreatedAt), toMicros(s.LastSeen), toMicros(s.IdleExpires),
		toMicros(s.Expires), s.Remote, s.UserAgent, s.User)
	if isUniqueViolation(err) {
		return matthan.Errorf(matthan.ECONFLICT, "session already exists", "Phiên đăng nhập đã tồn tại")
	} else if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUserNotFound(s.User)
	}
	return nil
}

func errSessionNotFound() error {
	return matthan.Errorf(matthan.ENOTFOUND, "session not found", "Không tìm thấy phiên đăng nhập")
}

// Session returns the session whose token hashes to hash.
func (db *DB) Session(ctx context.Context, hash []byte) (*matthan.Session, error) {
	var (
		s                            = matthan.Session{Hash: hash}
		created, seen, idle, expires int64
	)
	err := db.read.QueryRowContext(ctx, `SELECT u.name, s.csrf_token, s.created_at, s.last_seen, s.idle_expires,
		s.expires, s.remote, s.user_agent FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, hash).
		Scan(&s.User, &s.CSRFToken, &created, &seen, &idle, &expires, &s.Remote, &s.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	s.CreatedAt, s.LastSeen, s.IdleExpires, s.Expires = fromMicros(created), fromMicros(seen), fromMicros(idle), fromMicros(expires)
	return &s, nil
}

// TouchSession records that the session was used.
func (db *DB) TouchSession(ctx context.Context, hash []byte, lastSeen, idleExpires time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE sessions SET last_seen = ?, idle_expires = ? WHERE token_hash = ?`,
		toMicros(storedTime(lastSeen)), toMicros(storedTime(idleExpires)), hash)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errSessionNotFound()
	}
	return nil
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of user and says how many.
func (db *DB) DeleteUserSessions(ctx context.Context, user string) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = ?)`, user)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of %q: %w", user, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteExpiredSessions removes sessions idle or over their lifetime at now.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	us := toMicros(storedTime(now))
	res, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE idle_expires <= ? OR expires <= ?`, us, us)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CreateToken stores t for the user named t.User and sets its ID.
func (db *DB) CreateToken(ctx context.Context, t *matthan.APIToken) error {
	if len(t.Hash) == 0 {
		return matthan.Errorf(matthan.EINVALID, "a token needs a hash", "Mã truy cập cần có mã băm")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = db.stamp()
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsed = storedTime(t.CreatedAt), zeroOrStored(t.ExpiresAt), zeroOrStored(t.LastUsed)
	if t.Scopes == nil {
		t.Scopes = matthan.Scopes{}
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO api_tokens
		(token_hash, user_id, name, scopes, created_at, expires_at, last_used)
		SELECT ?, id, ?, ?, ?, ?, ? FROM users WHERE name = ?`,
		t.Hash, t.Name, t.Scopes.String(), toMicros(t.CreatedAt), zeroMicros(t.ExpiresAt), zeroMicros(t.LastUsed), t.User)
	if isUniqueViolation(err) {
		return matthan.Errorf(matthan.ECONFLICT, "token already exists", "Mã truy cập đã tồn tại")
	} else if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUserNotFound(t.User)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	t.ID = id
	return nil
}

// zeroOrStored keeps the zero time (never / not yet) as it is.
func zeroOrStored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return storedTime(t)
}

func zeroMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toMicros(t)
}

func zeroFromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

const tokenColumns = `t.id, u.name, t.name, t.scopes, t.token_hash, t.created_at, t.expires_at, t.last_used`

func scanToken(s scanner) (*matthan.APIToken, error) {
	var (
		t                         matthan.APIToken
		scopes                    string
		created, expires, lastUse int64
	)
	if err := s.Scan(&t.ID, &t.User, &t.Name, &scopes, &t.Hash, &created, &expires, &lastUse); err != nil {
		return nil, err
	}
	t.Scopes = matthan.Scopes{}
	for _, x := range strings.Split(scopes, ",") {
		if x != "" {
			t.Scopes = append(t.Scopes, matthan.Scope(x))
		}
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsed = fromMicros(created), zeroFromMicros(expires), zeroFromMicros(lastUse)
	return &t, nil
}

func errTokenNotFound() error {
	return matthan.Errorf(matthan.ENOTFOUND, "API token not found", "Không tìm thấy mã truy cập")
}

// TokenByHash returns the token whose secret hashes to hash.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (*matthan.APIToken, error) {
	t, err := scanToken(db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// Tokens lists the tokens of user, or of everyone when user is "".
func (db *DB) Tokens(ctx context.Context, user string) ([]*matthan.APIToken, error) {
	var c conds
	if user != "" {
		c.add("u.name = ?", user)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id`+c.where()+` ORDER BY t.id`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	out, err := scanAll(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return out, nil
}

// DeleteToken revokes a token.
func (db *DB) DeleteToken(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errTokenNotFound()
	}
	return nil
}

// TouchToken records when a token was last used.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE api_tokens SET last_used = ? WHERE id = ?`, toMicros(storedTime(at)), id); err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}
