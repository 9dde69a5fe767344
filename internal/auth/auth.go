// Package auth signs people and scripts in. Users checks a name and a
// password (the RTSP server and HTTP Basic use it); Sessions adds browser
// sessions with CSRF protection, API tokens, login rate limiting and the
// account operations, each audited.
package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"matthan"
	"matthan/internal/secret"
)

// CacheFor is how long a successful password check is remembered. Password
// hashes are deliberately slow (argon2id); an API client or RTSP player
// signs in on every request, so the hash is checked once per this period.
// The cache key covers the stored hash, so a changed password or a deleted
// user takes effect at once.
const CacheFor = 5 * time.Minute

const maxCache = 1024

// Users checks user names and passwords. Its zero value over a Store works.
type Users struct {
	Store matthan.Store
	Now   func() time.Time // nil means time.Now
	// Hashing are the argon2id costs of new hashes; zero means
	// secret.DefaultArgon2. Tests use secret.TestArgon2.
	Hashing secret.Argon2Params
	Log     *slog.Logger // nil discards

	mu        sync.Mutex
	cache     map[[32]byte]time.Time // sha256(stored hash, password) → expiry
	dummyOnce sync.Once
	dummyHash string
	slotsOnce sync.Once
	slots     chan struct{} // bounds concurrent hashing: each takes 19 MiB
}

// Authenticate returns the user if name and password match, or an
// EUNAUTHORIZED *matthan.Error that does not say which of the two was wrong.
// A hash older than argon2id with Hashing's costs is replaced on success.
func (u *Users) Authenticate(ctx context.Context, name, password string) (*matthan.User, error) {
	user, err := u.Store.UserByName(ctx, name)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		// Spend the same time as for a known user, so timing does not tell
		// which user names exist.
		if err := u.acquire(ctx); err != nil {
			return nil, err
		}
		secret.CheckPassword(u.dummy(), password)
		u.release()
		return nil, errWrong()
	} else if err != nil {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	ok, err := u.check(ctx, user.PasswordHash, password)
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, errWrong()
	}
	u.rehash(ctx, user, password)
	return user, nil
}

// Hash hashes a new password with the configured costs.
func (u *Users) Hash(ctx context.Context, password string) (string, error) {
	if err := u.acquire(ctx); err != nil {
		return "", err
	}
	defer u.release()
	return secret.HashPasswordWith(password, u.Hashing)
}

// rehash upgrades user's stored hash (PBKDF2, or weaker argon2id costs)
// now that the password is known to be right. A failure only costs the
// upgrade, never the sign-in.
func (u *Users) rehash(ctx context.Context, user *matthan.User, password string) {
	store, ok := u.Store.(matthan.SessionStore)
	if !ok || !secret.NeedsRehash(user.PasswordHash, u.Hashing) {
		return
	}
	h, err := u.Hash(ctx, password)
	if err == nil {
		err = store.ReplacePasswordHash(ctx, user.Name, user.PasswordHash, h)
	}
	if err != nil {
		u.log().WarnContext(ctx, "password hash not upgraded", "user", user.Name, "err", err)
		return
	}
	u.log().InfoContext(ctx, "password hash upgraded to argon2id", "user", user.Name)
	user.PasswordHash = h
	u.remember(h, password)
}

func errWrong() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"Sign in with a valid user name and password",
		"Vui lòng đăng nhập bằng tên đăng nhập và mật khẩu hợp lệ")
}

func (u *Users) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Users) log() *slog.Logger {
	if u.Log != nil {
		return u.Log
	}
	return slog.New(slog.DiscardHandler)
}

func cacheKey(hash, password string) [32]byte {
	return sha256.Sum256([]byte(hash + "\x00" + password))
}

// check is secret.CheckPassword with a short memory of successes.
func (u *Users) check(ctx context.Context, hash, password string) (bool, error) {
	u.mu.Lock()
	exp, ok := u.cache[cacheKey(hash, password)]
	u.mu.Unlock()
	if ok && u.now().Before(exp) {
		return true, nil
	}
	if err := u.acquire(ctx); err != nil {
		return false, err
	}
	match := secret.CheckPassword(hash, password)
	u.release()
	if match {
		u.remember(hash, password)
	}
	return match, nil
}

func (u *Users) remember(hash, password string) {
	now := u.now()
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
	u.cache[cacheKey(hash, password)] = now.Add(CacheFor)
}

// cached reports how many successful checks are remembered (for tests).
func (u *Users) cached() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.cache)
}

// acquire waits for a hashing slot: argon2id takes 19 MiB a check, so a
// burst of sign-ins waits rather than exhausting memory.
func (u *Users) acquire(ctx context.Context) error {
	u.slotsOnce.Do(func() { u.slots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0))) })
	select {
	case u.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("check password: %w", ctx.Err())
	}
}

func (u *Users) release() { <-u.slots }

// dummy returns a real hash with the configured costs, made once, to check
// unknown users against.
func (u *Users) dummy() string {
	u.dummyOnce.Do(func() {
		u.dummyHash, _ = secret.HashPasswordWith("unknown user", u.Hashing)
	})
	return u.dummyHash
}
