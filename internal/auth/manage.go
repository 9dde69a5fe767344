package auth

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"matthan"
)

// Actor is who does an account operation, for the audit log.
type Actor struct {
	User   string
	Remote string // client address, or "cli"
}

// Password rules.
const (
	MinPasswordLen = 10   // characters
	maxPasswordLen = 1024 // bytes: argon2 would take more, but no one types it
	maxNameLen     = 64
	maxTokenName   = 100
)

func fieldError(field, en, vi string) error {
	return &matthan.Error{Code: matthan.EINVALID, Message: en, MessageVI: vi,
		Fields: []matthan.FieldError{{Field: field, Message: en, MessageVI: vi}}}
}

// ValidatePassword checks a new password; field names it in the error.
func ValidatePassword(field, pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fieldError(field,
			fmt.Sprintf("The password must have at least %d characters", MinPasswordLen),
			fmt.Sprintf("Mật khẩu phải có ít nhất %d ký tự", MinPasswordLen))
	}
	if len(pw) > maxPasswordLen {
		return fieldError(field, "The password is too long (at most 1024 bytes)", "Mật khẩu quá dài (tối đa 1024 byte)")
	}
	return nil
}

// ValidateUserName checks a new user name: letters (Vietnamese ones too),
// digits, '.', '_' and '-'; no spaces or ':' (HTTP Basic and RTSP URLs
// could not carry it).
func ValidateUserName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > maxNameLen {
		return fieldError("name", "The user name must have 1 to 64 characters", "Tên đăng nhập phải có từ 1 đến 64 ký tự")
	}
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '.' && c != '_' && c != '-' {
			return fieldError("name", "The user name may hold only letters, digits, '.', '_' and '-'",
				"Tên đăng nhập chỉ được gồm chữ, số, '.', '_' và '-'")
		}
	}
	return nil
}

// ValidateRole checks a role name.
func ValidateRole(r matthan.Role) error {
	switch r {
	case matthan.RoleAdmin, matthan.RoleOfficer, matthan.RoleViewer, matthan.RoleContributor:
		return nil
	}
	return fieldError("role", "The role must be admin, officer, viewer or contributor",
		"Vai trò phải là admin (quản trị), officer (cán bộ trực), viewer (người xem) hoặc contributor (người đóng góp camera)")
}

// CreateUser adds a user with a password.
func (s *Sessions) CreateUser(ctx context.Context, by Actor, name string, role matthan.Role, password string) (*matthan.User, error) {
	if err := ValidateUserName(name); err != nil {
		return nil, err
	}
	if err := ValidateRole(role); err != nil {
		return nil, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return nil, err
	}
	hash, err := s.users.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	u := &matthan.User{Name: name, Role: role, PasswordHash: hash, CreatedAt: s.now()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	s.audit(ctx, &matthan.AuditEntry{User: by.User, Action: "user.create", Remote: by.Remote,
		Detail: fmt.Sprintf("user=%s role=%s", name, role)})
	return u, nil
}

// UserChange is what UpdateUser changes; zero fields stay as they are.
type UserChange struct {
	Role     matthan.Role
	Password string
}

// UpdateUser changes a user's role or password. A new password ends the
// user's sessions; the last admin cannot be demoted (ECONFLICT).
func (s *Sessions) UpdateUser(ctx context.Context, by Actor, name string, ch UserChange) (*matthan.User, error) {
	if ch.Role != "" {
		if err := ValidateRole(ch.Role); err != nil {
			return nil, err
		}
	}
	if ch.Password != "" {
		if err := ValidatePassword("password", ch.Password); err != nil {
			return nil, err
		}
	}
	u, err := s.store.UserByName(ctx, name)
	if err != nil {
		return nil, err
	}
	var what []string
	if ch.Role != "" && ch.Role != u.Role {
		what = append(what, fmt.Sprintf("role=%s→%s", u.Role, ch.Role))
		u.Role = ch.Role
	}
	if ch.Password != "" {
		if u.PasswordHash, err = s.users.Hash(ctx, ch.Password); err != nil {
			return nil, err
		}
		what = append(what, "password")
	}
	if len(what) == 0 {
		return u, nil
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	s.audit(ctx, &matthan.AuditEntry{User: by.User, Action: "user.update", Remote: by.Remote,
		Detail: "user=" + name + " " + strings.Join(what, " ")})
	if ch.Password != "" {
		s.passwordChanged(name)
	}
	return u, nil
}

// DeleteUser removes a user with their sessions and tokens; not the last
// admin (ECONFLICT).
func (s *Sessions) DeleteUser(ctx context.Context, by Actor, name string) error {
	if err := s.store.DeleteUser(ctx, name); err != nil {
		return err
	}
	s.audit(ctx, &matthan.AuditEntry{User: by.User, Action: "user.delete", Remote: by.Remote, Detail: "user=" + name})
	return nil
}

// ChangePassword is a user changing their own password: the current one
// must be right (and counts towards the rate limit when wrong). Every
// session of the user ends; when r came with a session cookie, a new
// session is started on w so this browser stays signed in, and returned.
func (s *Sessions) ChangePassword(ctx context.Context, w http.ResponseWriter, r *http.Request, u *matthan.User, current, next string) (*matthan.Session, error) {
	remote := RemoteHost(r)
	if _, err := s.checkPassword(ctx, remote, u.Name, current); matthan.ErrorCode(err) == matthan.EUNAUTHORIZED {
		return nil, fieldError("current", "The current password is wrong", "Mật khẩu hiện tại không đúng")
	} else if err != nil {
		return nil, err
	}
	if err := ValidatePassword("new", next); err != nil {
		return nil, err
	}
	if next == current {
		return nil, fieldError("new", "The new password must differ from the current one", "Mật khẩu mới phải khác mật khẩu hiện tại")
	}
	stored, err := s.store.UserByName(ctx, u.Name)
	if err != nil {
		return nil, err
	}
	if stored.PasswordHash, err = s.users.Hash(ctx, next); err != nil {
		return nil, err
	}
	if err := s.store.UpdateUser(ctx, stored); err != nil {
		return nil, err
	}
	s.audit(ctx, &matthan.AuditEntry{User: u.Name, Action: "user.password", Remote: remote, Detail: "user=" + u.Name})
	s.passwordChanged(u.Name)
	if !ByCookie(r) {
		return nil, nil
	}
	return s.start(ctx, w, r, u.Name)
}

func (s *Sessions) passwordChanged(user string) {
	if s.cfg.OnPasswordChanged != nil {
		s.cfg.OnPasswordChanged(user)
	}
}

// TokenRequest describes a new API token.
type TokenRequest struct {
	User      string
	Name      string
	Scopes    matthan.Scopes
	ExpiresAt time.Time // zero: never
}

// CreateToken makes an API token and returns its secret ("mt_…"), which is
// shown once and never stored. The scopes must be ones the user's role has.
func (s *Sessions) CreateToken(ctx context.Context, by Actor, req TokenRequest) (string, *matthan.APIToken, error) {
	if utf8.RuneCountInString(req.Name) > maxTokenName {
		return "", nil, fieldError("name", "The token name is too long (at most 100 characters)", "Tên mã truy cập quá dài (tối đa 100 ký tự)")
	}
	if len(req.Scopes) == 0 {
		return "", nil, fieldError("scopes", "Give the token at least one scope", "Hãy chọn ít nhất một phạm vi cho mã truy cập")
	}
	now := s.now()
	if !req.ExpiresAt.IsZero() && !req.ExpiresAt.After(now) {
		return "", nil, fieldError("expires", "The expiry must be in the future", "Thời hạn phải ở tương lai")
	}
	u, err := s.store.UserByName(ctx, req.User)
	if err != nil {
		return "", nil, err
	}
	allowed := matthan.RoleScopes(u.Role)
	for _, x := range req.Scopes {
		if !allowed.Has(x) {
			return "", nil, fieldError("scopes",
				fmt.Sprintf("Role %s cannot use scope %s", u.Role, x),
				fmt.Sprintf("Vai trò %s không dùng được phạm vi %s", u.Role, x))
		}
	}
	secret := TokenPrefix + randomToken()
	t := &matthan.APIToken{User: u.Name, Name: req.Name, Scopes: req.Scopes, Hash: hashToken(secret),
		CreatedAt: now, ExpiresAt: req.ExpiresAt}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	s.audit(ctx, &matthan.AuditEntry{User: by.User, Action: "token.create", Remote: by.Remote,
		Detail: fmt.Sprintf("token=%d user=%s scopes=%s", t.ID, t.User, t.Scopes)})
	return secret, t, nil
}

// Tokens lists the tokens of user, or everyone's when user is "".
func (s *Sessions) Tokens(ctx context.Context, user string) ([]*matthan.APIToken, error) {
	return s.store.Tokens(ctx, user)
}

// RevokeToken deletes token id. With owner set, only a token of owner is
// found (ENOTFOUND otherwise, so others' token IDs stay unknown).
func (s *Sessions) RevokeToken(ctx context.Context, by Actor, id int64, owner string) error {
	toks, err := s.store.Tokens(ctx, owner)
	if err != nil {
		return err
	}
	var found *matthan.APIToken
	for _, t := range toks {
		if t.ID == id {
			found = t
		}
	}
	if found == nil {
		return matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("API token %d not found", id),
			fmt.Sprintf("Không tìm thấy mã truy cập %d", id))
	}
	if err := s.store.DeleteToken(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, &matthan.AuditEntry{User: by.User, Action: "token.revoke", Remote: by.Remote,
		Detail: fmt.Sprintf("token=%d user=%s", id, found.User)})
	return nil
}

// ParseTTL reads a lifetime such as "90d", "12h" or "30m" ("d" is 24h).
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 || d > 100*365*24*time.Hour {
		return 0, fieldError("expires", fmt.Sprintf("%q is not a lifetime such as 90d, 12h or 30m", s),
			fmt.Sprintf("%q không phải thời hạn hợp lệ, ví dụ 90d, 12h hoặc 30m", s))
	}
	return d, nil
}
