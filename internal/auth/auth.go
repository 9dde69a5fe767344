// Package auth signs users in against the store. Both the HTTP API and the
// RTSP server use it, so a password works the same everywhere.
package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"matthan"
	"matthan/internal/secret"
)

// CacheFor is how long a successful password check is remembered. Password
// hashes are deliberately slow (PBKDF2); an API client or RTSP player signs
// in on every request, so the hash is checked once per this period. The
// cache key covers the stored hash, so a changed password or a deleted user
// takes effect at once.
const CacheFor = 5 * time.Minute

const maxCache = 1024

// Users checks user names and passwords.
type Users struct {
	Store matthan.Store
	Now   func() time.Time // nil means time.Now

	mu        sync.Mutex
	cache     map[[32]byte]time.Time // sha256(stored hash, password) → expiry
	dummyOnce sync.Once
	dummyHash string
}

// Authenticate returns the user if name and password match, or an
// EUNAUTHORIZED *matthan.Error that does not say which of the two was wrong.
func (u *Users) Authenticate(ctx context.Context, name, password string) (*matthan.User, error) {
	user, err := u.Store.UserByName(ctx, name)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		// Spend the same time as for a known user, so timing does not tell
		// which user names exist.
		u.check(u.dummy(), password)
		return nil, errWrong()
	} else if err != nil {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	if !u.check(user.PasswordHash, password) {
		return nil, errWrong()
	}
	return user, nil
}

func errWrong() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"Sign in with a valid user name and password",
		"Vui lòng đăng nhập bằng tên đăng nhập và mật khẩu hợp lệ")
}

// check is secret.CheckPassword with a short memory of successes.
func (u *Users) check(hash, password string) bool {
	key := sha256.Sum256([]byte(hash + "\x00" + password))
	now := time.Now()
	if u.Now != nil {
		now = u.Now()
	}
	u.mu.Lock()
	exp, ok := u.cache[key]
	u.mu.Unlock()
	if ok && now.Before(exp) {
		return true
	}
	if !secret.CheckPassword(hash, password) {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cache == nil {
		u.cache = map[[32]byte]time.Time{}
	}
	if len(u.cache) >= maxCache {
		for k, e := range u.cache {
			if !now.Before(e) {
				delete(u.cache, k)
			}
		}
		if len(u.cache) >= maxCache {
			clear(u.cache)
		}
	}
	u.cache[key] = now.Add(CacheFor)
	return true
}

// cached reports how many successful checks are remembered (for tests).
func (u *Users) cached() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.cache)
}

// dummy returns a real hash, made once, to check unknown users against.
func (u *Users) dummy() string {
	u.dummyOnce.Do(func() {
		u.dummyHash, _ = secret.HashPassword("unknown user")
	})
	return u.dummyHash
}
