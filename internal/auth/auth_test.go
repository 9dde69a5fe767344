package auth

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	sealer, err := secret.NewSealer(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newUsers(t *testing.T) (*Users, *sqlite.DB, *time.Time) {
	t.Helper()
	db := openDB(t)
	now := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)
	return &Users{Store: db, Now: func() time.Time { return now }, Hashing: secret.TestArgon2()}, db, &now
}

func addUser(t *testing.T, db *sqlite.DB, name, pw string, role matthan.Role) {
	t.Helper()
	h, err := secret.HashPasswordWith(pw, secret.TestArgon2())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(context.Background(), &matthan.User{Name: name, Role: role, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
}

// pbkdf2Hash is a hash as nodes stored them before argon2id.
func pbkdf2Hash(t *testing.T, pw string) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	sum, err := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawStdEncoding
	return "pbkdf2-sha256$1000$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(sum)
}

func TestAuthenticate(t *testing.T) {
	u, db, _ := newUsers(t)
	ctx := context.Background()
	addUser(t, db, "lan", "mật khẩu đúng", matthan.RoleViewer)

	got, err := u.Authenticate(ctx, "lan", "mật khẩu đúng")
	if err != nil || got.Name != "lan" {
		t.Fatalf("right password: %v %v", got, err)
	}
	for _, tc := range [][2]string{{"lan", "wrong"}, {"ghost", "mật khẩu đúng"}, {"", ""}} {
		_, err := u.Authenticate(ctx, tc[0], tc[1])
		if matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
			t.Errorf("%q/%q: err %v, want EUNAUTHORIZED", tc[0], tc[1], err)
		}
	}
	// Unknown users are checked against a hash with the same costs as
	// everyone's, so they take as long.
	if !strings.HasPrefix(u.dummy(), "$argon2id$") || secret.NeedsRehash(u.dummy(), u.Hashing) {
		t.Errorf("dummy hash %q does not have the configured costs", u.dummy())
	}
}

func TestOldHashIsUpgradedOnSignIn(t *testing.T) {
	u, db, _ := newUsers(t)
	ctx := context.Background()
	old := pbkdf2Hash(t, "mật-khẩu-cũ-123")
	if err := db.CreateUser(ctx, &matthan.User{Name: "hung", Role: matthan.RoleOfficer, PasswordHash: old}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Authenticate(ctx, "hung", "wrong"); err == nil {
		t.Fatal("wrong password passed")
	}
	if stored, _ := db.UserByName(ctx, "hung"); stored.PasswordHash != old {
		t.Fatal("a failed sign-in changed the hash")
	}
	got, err := u.Authenticate(ctx, "hung", "mật-khẩu-cũ-123")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := db.UserByName(ctx, "hung")
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || got.PasswordHash != stored.PasswordHash {
		t.Fatalf("hash after sign-in = %q (returned %q), want argon2id with the configured costs", stored.PasswordHash, got.PasswordHash)
	}
	if !secret.CheckPassword(stored.PasswordHash, "mật-khẩu-cũ-123") {
		t.Fatal("the new hash does not verify the password")
	}
	// Signing in again works and leaves the (current) hash alone.
	if _, err := u.Authenticate(ctx, "hung", "mật-khẩu-cũ-123"); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.UserByName(ctx, "hung"); again.PasswordHash != stored.PasswordHash {
		t.Error("a current hash was replaced")
	}
}

func TestCacheRemembersOnlySuccessesAndExpires(t *testing.T) {
	u, db, now := newUsers(t)
	ctx := context.Background()
	addUser(t, db, "lan", "pw-lan-123", matthan.RoleViewer)
	for range 3 {
		if _, err := u.Authenticate(ctx, "lan", "pw-lan-123"); err != nil {
			t.Fatal(err)
		}
	}
	if n := u.cached(); n != 1 {
		t.Fatalf("cache has %d entries after one user's sign-ins, want 1", n)
	}
	if _, err := u.Authenticate(ctx, "lan", "wrong"); err == nil {
		t.Fatal("a wrong password passed after a right one")
	}
	if n := u.cached(); n != 1 {
		t.Errorf("a failure was cached: %d entries", n)
	}
	*now = now.Add(CacheFor + time.Second)
	if _, err := u.Authenticate(ctx, "lan", "pw-lan-123"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestHashingWaitsForASlot(t *testing.T) {
	u, _, _ := newUsers(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Fill every slot, then a hash must wait, and give up with its context.
	u.acquire(ctx)
	for len(u.slots) < cap(u.slots) {
		u.acquire(ctx)
	}
	cancel()
	if _, err := u.Hash(ctx, "x"); err == nil {
		t.Fatal("hashed without a free slot")
	}
}
