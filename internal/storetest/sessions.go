package storetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"matthan"
)

// SessionStore is what RunSessions tests: a Store that also keeps
// sessions and tokens.
type SessionStore interface {
	matthan.Store
	matthan.SessionStore
}

// RunSessions is the conformance suite of matthan.SessionStore. open must
// return a new, empty store for each call; RunSessions closes it.
//
// Beyond the interface docs it pins down: times come back in UTC at
// microsecond precision, a token's zero ExpiresAt and LastUsed stay zero,
// Scopes come back non-nil in the order stored, and Tokens returns a
// non-nil, empty slice when there are none.
func RunSessions(t *testing.T, open func(t *testing.T) SessionStore) {
	tests := []subtest[SessionStore]{
		{"UpdateUser", testUpdateUser},
		{"LastAdmin", testLastAdmin},
		{"ReplacePasswordHash", testReplacePasswordHash},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionsEndWithPasswordAndUser", testSessionsEnd},
		{"ExpiredSessions", testExpiredSessions},
		{"Tokens", testTokens},
	}
	runAll(t, open, tests)
}

var sessionT0 = time.Date(2026, 3, 1, 1, 2, 3, 456789000, time.UTC)

func mustUser(t *testing.T, s SessionStore, name string, role matthan.Role) *matthan.User {
	t.Helper()
	u := &matthan.User{Name: name, Role: role, PasswordHash: "hash-of-" + name}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func mustSession(t *testing.T, s SessionStore, user, token string) *matthan.Session {
	t.Helper()
	sess := &matthan.Session{Hash: hashOf(token), User: user, CSRFToken: "csrf-" + token,
		CreatedAt: sessionT0, LastSeen: sessionT0, IdleExpires: sessionT0.Add(12 * time.Hour), Expires: sessionT0.Add(7 * 24 * time.Hour),
		Remote: "192.168.1.20", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func testUpdateUser(t *testing.T, s SessionStore) {
	ctx := t.Context()
	mustUser(t, s, "admin", matthan.RoleAdmin)
	lan := mustUser(t, s, "lan", matthan.RoleViewer)
	mustSession(t, s, "lan", "a")

	// A role change keeps the sessions; the password hash is kept as given.
	if err := s.UpdateUser(ctx, &matthan.User{Name: "lan", Role: matthan.RoleOfficer, PasswordHash: lan.PasswordHash}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByName(ctx, "lan")
	if err != nil || got.Role != matthan.RoleOfficer || got.PasswordHash != lan.PasswordHash || got.ID != lan.ID {
		t.Fatalf("after role change: %+v %v", got, err)
	}
	if _, err := s.Session(ctx, hashOf("a")); err != nil {
		t.Errorf("a role change ended the session: %v", err)
	}
	wantCode(t, s.UpdateUser(ctx, &matthan.User{Name: "ghost", Role: matthan.RoleViewer}), matthan.ENOTFOUND)
	wantCode(t, s.DeleteUser(ctx, "ghost"), matthan.ENOTFOUND)
}

func testLastAdmin(t *testing.T, s SessionStore) {
	ctx := t.Context()
	admin := mustUser(t, s, "admin", matthan.RoleAdmin)
	mustUser(t, s, "lan", matthan.RoleViewer)
	demote := &matthan.User{Name: "admin", Role: matthan.RoleOfficer, PasswordHash: admin.PasswordHash}
	wantCode(t, s.UpdateUser(ctx, demote), matthan.ECONFLICT)
	wantCode(t, s.DeleteUser(ctx, "admin"), matthan.ECONFLICT)
	if u, _ := s.UserByName(ctx, "admin"); u == nil || u.Role != matthan.RoleAdmin {
		t.Fatalf("the last admin changed: %+v", u)
	}
	// A second admin makes either change possible, once.
	mustUser(t, s, "hung", matthan.RoleAdmin)
	if err := s.UpdateUser(ctx, demote); err != nil {
		t.Fatalf("demote with another admin: %v", err)
	}
	wantCode(t, s.DeleteUser(ctx, "hung"), matthan.ECONFLICT)
	if err := s.DeleteUser(ctx, "lan"); err != nil {
		t.Fatalf("delete a viewer: %v", err)
	}
	if _, err := s.UserByName(ctx, "lan"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("deleted user still there: %v", err)
	}
}

func testReplacePasswordHash(t *testing.T, s SessionStore) {
	ctx := t.Context()
	mustUser(t, s, "lan", matthan.RoleViewer)
	mustSession(t, s, "lan", "a")
	if err := s.ReplacePasswordHash(ctx, "lan", "hash-of-lan", "new-hash"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.ReplacePasswordHash(ctx, "lan", "hash-of-lan", "other"), matthan.ECONFLICT)
	wantCode(t, s.ReplacePasswordHash(ctx, "ghost", "", "x"), matthan.ECONFLICT)
	if u, _ := s.UserByName(ctx, "lan"); u.PasswordHash != "new-hash" {
		t.Errorf("hash = %q", u.PasswordHash)
	}
	if _, err := s.Session(ctx, hashOf("a")); err != nil {
		t.Errorf("a rehash ended the session: %v", err)
	}
}

func testSessionRoundTrip(t *testing.T, s SessionStore) {
	ctx := t.Context()
	mustUser(t, s, "lan", matthan.RoleViewer)
	want := mustSession(t, s, "lan", "a")
	got, err := s.Session(ctx, hashOf("a"))
	if err != nil {
		t.Fatal(err)
	}
	want.CreatedAt = sessionT0.Truncate(time.Microsecond)
	if !bytes.Equal(got.Hash, want.Hash) || got.User != "lan" || got.CSRFToken != want.CSRFToken ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC ||
		!got.LastSeen.Equal(want.LastSeen) || !got.IdleExpires.Equal(want.IdleExpires) ||
		!got.Expires.Equal(want.Expires) || got.Remote != want.Remote || got.UserAgent != want.UserAgent {
		t.Errorf("session = %+v, want %+v", got, want)
	}
	later := sessionT0.Add(time.Hour)
	if err := s.TouchSession(ctx, hashOf("a"), later, later.Add(12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Session(ctx, hashOf("a"))
	if !got.LastSeen.Equal(later.Truncate(time.Microsecond)) || !got.IdleExpires.Equal(later.Add(12*time.Hour).Truncate(time.Microsecond)) ||
		!got.Expires.Equal(want.Expires) {
		t.Errorf("after touch: %+v", got)
	}
	wantCode(t, func() error { _, err := s.Session(ctx, hashOf("b")); return err }(), matthan.ENOTFOUND)
	wantCode(t, s.TouchSession(ctx, hashOf("b"), later, later), matthan.ENOTFOUND)
	wantCode(t, s.CreateSession(ctx, &matthan.Session{Hash: hashOf("c"), User: "ghost", CSRFToken: "x",
		CreatedAt: sessionT0, LastSeen: sessionT0, IdleExpires: sessionT0, Expires: sessionT0}), matthan.ENOTFOUND)
	wantCode(t, s.CreateSession(ctx, &matthan.Session{User: "lan", CSRFToken: "x"}), matthan.EINVALID)
	if err := s.DeleteSession(ctx, hashOf("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, hashOf("a")); err != nil {
		t.Errorf("deleting a gone session: %v", err)
	}
	wantCode(t, func() error { _, err := s.Session(ctx, hashOf("a")); return err }(), matthan.ENOTFOUND)
}

func testSessionsEnd(t *testing.T, s SessionStore) {
	ctx := t.Context()
	mustUser(t, s, "admin", matthan.RoleAdmin)
	lan := mustUser(t, s, "lan", matthan.RoleOfficer)
	mustUser(t, s, "hoa", matthan.RoleViewer)
	for _, tok := range []string{"l1", "l2", "l3"} {
		mustSession(t, s, "lan", tok)
	}
	mustSession(t, s, "hoa", "h1")
	mustSession(t, s, "hoa", "h2")
	if err := s.CreateToken(ctx, &matthan.APIToken{User: "hoa", Name: "script", Hash: hashOf("t"), Scopes: matthan.Scopes{matthan.ScopeRead}}); err != nil {
		t.Fatal(err)
	}

	// A new password ends the user's sessions, not anyone else's.
	if err := s.UpdateUser(ctx, &matthan.User{Name: "lan", Role: lan.Role, PasswordHash: "new"}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"l1", "l2", "l3"} {
		wantCode(t, func() error { _, err := s.Session(ctx, hashOf(tok)); return err }(), matthan.ENOTFOUND)
	}
	if _, err := s.Session(ctx, hashOf("h1")); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}

	// Sign out everywhere.
	mustSession(t, s, "lan", "l4")
	if n, err := s.DeleteUserSessions(ctx, "lan"); err != nil || n != 1 {
		t.Errorf("DeleteUserSessions = %d, %v; want 1", n, err)
	}
	if n, err := s.DeleteUserSessions(ctx, "ghost"); err != nil || n != 0 {
		t.Errorf("DeleteUserSessions(ghost) = %d, %v", n, err)
	}

	// Deleting a user takes their sessions and tokens.
	if err := s.DeleteUser(ctx, "hoa"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := s.Session(ctx, hashOf("h2")); return err }(), matthan.ENOTFOUND)
	wantCode(t, func() error { _, err := s.TokenByHash(ctx, hashOf("t")); return err }(), matthan.ENOTFOUND)
	// A new user of the same name does not inherit them.
	mustUser(t, s, "hoa", matthan.RoleViewer)
	if toks, _ := s.Tokens(ctx, "hoa"); len(toks) != 0 {
		t.Errorf("new hoa has tokens %+v", toks)
	}
}

func testExpiredSessions(t *testing.T, s SessionStore) {
	ctx := t.Context()
	mustUser(t, s, "lan", matthan.RoleViewer)
	mustSession(t, s, "lan", "fresh")
	idle := mustSession(t, s, "lan", "idle")
	if err := s.TouchSession(ctx, idle.Hash, sessionT0, sessionT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	old := &matthan.Session{Hash: hashOf("old"), User: "lan", CSRFToken: "x", CreatedAt: sessionT0.Add(-8 * 24 * time.Hour),
		LastSeen: sessionT0, IdleExpires: sessionT0.Add(time.Hour), Expires: sessionT0.Add(30 * time.Second)}
	if err := s.CreateSession(ctx, old); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpiredSessions(ctx, sessionT0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	if _, err := s.Session(ctx, hashOf("fresh")); err != nil {
		t.Errorf("a live session was removed: %v", err)
	}
}

func testTokens(t *testing.T, s SessionStore) {
	ctx := t.Context()
	mustUser(t, s, "admin", matthan.RoleAdmin)
	mustUser(t, s, "lan", matthan.RoleOfficer)
	if toks, err := s.Tokens(ctx, ""); err != nil || toks == nil || len(toks) != 0 {
		t.Fatalf("Tokens on an empty store = %#v, %v", toks, err)
	}
	exp := sessionT0.Add(90 * 24 * time.Hour)
	a := &matthan.APIToken{User: "lan", Name: "Prometheus", Hash: hashOf("a"),
		Scopes: matthan.Scopes{matthan.ScopeRead, matthan.ScopeLive}, CreatedAt: sessionT0, ExpiresAt: exp}
	b := &matthan.APIToken{User: "admin", Name: "backup", Hash: hashOf("b")}
	c := &matthan.APIToken{User: "lan", Name: "tủ trực", Hash: hashOf("c"), Scopes: matthan.Scopes{matthan.ScopeExport}}
	for _, tok := range []*matthan.APIToken{a, b, c} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if a.ID == 0 || b.ID <= a.ID || c.ID <= b.ID || b.CreatedAt.IsZero() {
		t.Fatalf("IDs %d %d %d, b created %v", a.ID, b.ID, c.ID, b.CreatedAt)
	}
	wantCode(t, s.CreateToken(ctx, &matthan.APIToken{User: "lan", Hash: hashOf("a")}), matthan.ECONFLICT)
	wantCode(t, s.CreateToken(ctx, &matthan.APIToken{User: "ghost", Hash: hashOf("g")}), matthan.ENOTFOUND)
	wantCode(t, s.CreateToken(ctx, &matthan.APIToken{User: "lan"}), matthan.EINVALID)

	got, err := s.TokenByHash(ctx, hashOf("a"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.User != "lan" || got.Name != "Prometheus" || !slices.Equal(got.Scopes, a.Scopes) ||
		!bytes.Equal(got.Hash, hashOf("a")) || !got.CreatedAt.Equal(sessionT0.Truncate(time.Microsecond)) ||
		!got.ExpiresAt.Equal(exp.Truncate(time.Microsecond)) || !got.LastUsed.IsZero() {
		t.Errorf("token = %+v", got)
	}
	if got, _ := s.TokenByHash(ctx, hashOf("b")); got.Scopes == nil || len(got.Scopes) != 0 || !got.ExpiresAt.IsZero() {
		t.Errorf("token without scopes or expiry = %+v", got)
	}
	if err := s.TouchToken(ctx, a.ID, sessionT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TokenByHash(ctx, hashOf("a")); !got.LastUsed.Equal(sessionT0.Add(time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("last used = %v", got.LastUsed)
	}

	ids := func(toks []*matthan.APIToken) string {
		var out []int64
		for _, t := range toks {
			out = append(out, t.ID)
		}
		return fmt.Sprint(out)
	}
	all, _ := s.Tokens(ctx, "")
	lans, _ := s.Tokens(ctx, "lan")
	if ids(all) != fmt.Sprint([]int64{a.ID, b.ID, c.ID}) || ids(lans) != fmt.Sprint([]int64{a.ID, c.ID}) {
		t.Errorf("Tokens() = %s, Tokens(lan) = %s", ids(all), ids(lans))
	}
	if err := s.DeleteToken(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteToken(ctx, a.ID), matthan.ENOTFOUND)
	wantCode(t, func() error { _, err := s.TokenByHash(ctx, hashOf("a")); return err }(), matthan.ENOTFOUND)
}
