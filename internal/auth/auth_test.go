package auth

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

func newUsers(t *testing.T) (*Users, *sqlite.DB, *time.Time) {
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
	now := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)
	return &Users{Store: db, Now: func() time.Time { return now }}, db, &now
}

func addUser(t *testing.T, db *sqlite.DB, name, pw string) {
	t.Helper()
	h, err := secret.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(context.Background(), &matthan.User{Name: name, Role: matthan.RoleViewer, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticate(t *testing.T) {
	u, db, _ := newUsers(t)
	ctx := context.Background()
	addUser(t, db, "lan", "mật khẩu đúng")

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
}

func TestCacheRemembersOnlySuccessesAndExpires(t *testing.T) {
	u, db, now := newUsers(t)
	ctx := context.Background()
	addUser(t, db, "lan", "pw-lan-123")
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
