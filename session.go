package matthan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Session is one browser's sign-in. The browser holds a random token in a
// cookie; the store keeps only the token's SHA-256, so a copy of the
// database signs nobody in.
type Session struct {
	Hash        []byte    `json:"-"` // SHA-256 of the cookie's token
	User        string    `json:"user"`
	CSRFToken   string    `json:"-"` // random per session; sent back in X-CSRF-Token
	CreatedAt   time.Time `json:"created_at"`
	LastSeen    time.Time `json:"last_seen"`
	IdleExpires time.Time `json:"idle_expires"` // moves forward while the session is used
	Expires     time.Time `json:"expires"`      // absolute end, never moves
	Remote      string    `json:"remote"`
	UserAgent   string    `json:"user_agent"`
}

// Scope is one kind of access an API token may be given.
type Scope string

const (
	ScopeRead     Scope = "read"     // registry, health, lists: no video
	ScopeLive     Scope = "live"     // live video
	ScopePlayback Scope = "playback" // recordings, thumbnails, evidence locks
	ScopeExport   Scope = "export"   // evidence packages
	ScopeAdmin    Scope = "admin"    // cameras, users, audit log
	ScopeOwn      Scope = "own"      // a contributor's own cameras: register, share, see who used them
)

// Scopes is a set of scopes. A session or a password sign-in has all of
// them; what a request may do is its user's role's scopes intersected with
// these (Effective).
type Scopes []Scope

// AllScopes returns every scope, in display order.
func AllScopes() Scopes {
	return Scopes{ScopeRead, ScopeLive, ScopePlayback, ScopeExport, ScopeAdmin, ScopeOwn}
}

// RoleScopes returns what a role may do at most.
func RoleScopes(r Role) Scopes {
	switch r {
	case RoleAdmin:
		return Scopes{ScopeRead, ScopeLive, ScopePlayback, ScopeExport, ScopeAdmin}
	case RoleOfficer:
		return Scopes{ScopeRead, ScopeLive, ScopePlayback, ScopeExport}
	case RoleViewer:
		return Scopes{ScopeRead, ScopeLive}
	case RoleContributor:
		return Scopes{ScopeOwn}
	}
	return Scopes{}
}

// Has reports whether s holds x.
func (s Scopes) Has(x Scope) bool { return slices.Contains(s, x) }

// Effective returns the scopes of s that role r may use.
func (s Scopes) Effective(r Role) Scopes {
	out := Scopes{}
	for _, x := range RoleScopes(r) {
		if s.Has(x) {
			out = append(out, x)
		}
	}
	return out
}

// String is the scopes joined by commas, as the CLI takes them.
func (s Scopes) String() string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}

// ParseScopes reads "read,live" into Scopes in display order, without
// duplicates. An unknown scope is an EINVALID error.
func ParseScopes(list []string) (Scopes, error) {
	var want Scopes
	for _, item := range list {
		for _, x := range strings.Split(item, ",") {
			x = strings.TrimSpace(x)
			if x == "" {
				continue
			}
			if !AllScopes().Has(Scope(x)) {
				return nil, &Error{Code: EINVALID,
					Message:   fmt.Sprintf("Unknown scope %q; use read, live, playback, export or admin", x),
					MessageVI: fmt.Sprintf("Phạm vi %q không hợp lệ; hãy dùng read, live, playback, export hoặc admin", x),
					Fields:    []FieldError{{Field: "scopes", Message: "Unknown scope", MessageVI: "Phạm vi không hợp lệ"}}}
			}
			want = append(want, Scope(x))
		}
	}
	out := Scopes{}
	for _, x := range AllScopes() {
		if want.Has(x) {
			out = append(out, x)
		}
	}
	return out, nil
}

// APIToken lets a script call the API as a user, limited to some scopes.
// The secret ("mt_…") is shown once when made; the store keeps its SHA-256.
type APIToken struct {
	ID        int64     `json:"id"`
	User      string    `json:"user"`
	Name      string    `json:"name"`
	Scopes    Scopes    `json:"scopes"`
	Hash      []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never
	LastUsed  time.Time `json:"last_used,omitzero"`  // zero: not yet
}

// Expired reports whether the token can no longer be used at now.
func (t *APIToken) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// SessionStore keeps sessions and API tokens and changes users. It is a
// port of its own beside Store; the SQLite store implements both and
// passes internal/storetest.RunSessions.
//
// Sessions and tokens belong to a user by name and go when the user goes.
// Methods return *Error with ENOTFOUND, ECONFLICT or EINVALID where it applies.
type SessionStore interface {
	// UpdateUser stores u's Role and PasswordHash for the user named
	// u.Name. A changed password hash ends every session of the user, in
	// the same transaction. ECONFLICT if no admin would be left.
	UpdateUser(ctx context.Context, u *User) error
	// ReplacePasswordHash swaps the hash only while it is still old (a
	// rehash of the same password: sessions stay). ECONFLICT otherwise.
	ReplacePasswordHash(ctx context.Context, name, old, new string) error
	// DeleteUser removes a user with their sessions and tokens. ECONFLICT
	// if they are the last admin.
	DeleteUser(ctx context.Context, name string) error

	CreateSession(ctx context.Context, s *Session) error // ENOTFOUND for an unknown user
	Session(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records use: LastSeen and IdleExpires move forward.
	TouchSession(ctx context.Context, hash []byte, lastSeen, idleExpires time.Time) error
	DeleteSession(ctx context.Context, hash []byte) error // no error if already gone
	DeleteUserSessions(ctx context.Context, user string) (int, error)
	// DeleteExpiredSessions removes sessions past either expiry at now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	CreateToken(ctx context.Context, t *APIToken) error // sets ID and CreatedAt (when zero)
	TokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	Tokens(ctx context.Context, user string) ([]*APIToken, error) // "" means every user's; ordered by ID
	DeleteToken(ctx context.Context, id int64) error
	TouchToken(ctx context.Context, id int64, at time.Time) error
}
