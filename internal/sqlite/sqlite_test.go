package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/storetest"
)

func testSealer(t *testing.T) matthan.Sealer {
	t.Helper()
	s, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) matthan.Store {
		return openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	})
}

func TestPasswordNotInFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "matthan.db")
	db := openAt(t, path)
	const password = "Pl41ntext-Camera-Password"
	c := &matthan.Camera{ID: "cam-001", Username: "admin", Password: password, MainURL: "rtsp://10.0.0.5/live"}
	if err := db.CreateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	c.Password = password + "-2"
	if err := db.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	if err := db.read.QueryRowContext(t.Context(), `SELECT password_sealed FROM cameras WHERE id = 'cam-001'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || bytes.Contains(sealed, []byte(password)) {
		t.Fatalf("password_sealed = %q, want sealed bytes", sealed)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Every file SQLite left (db, -wal, -shm) must be free of the plaintext.
	files, _ := filepath.Glob(path + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(password)) {
			t.Errorf("%s contains the plaintext password", f)
		}
		if st, _ := os.Stat(f); st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %#o, want it private to the owner", f, st.Mode().Perm())
		}
	}
	// The camera's URL and user name are plain data and do reach the file.
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("rtsp://10.0.0.5/live")) {
		t.Error("the file does not hold the camera at all: the check above proves nothing")
	}
}

func TestWrongKeyIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "matthan.db")
	db := openAt(t, path)
	if err := db.CreateCamera(t.Context(), &matthan.Camera{ID: "cam-001", Password: "Xq9-unique-pw"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	other, _ := secret.NewSealer(bytes.Repeat([]byte{8}, secret.KeySize))
	db, err := Open(t.Context(), path, other)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Camera(t.Context(), "cam-001")
	if err == nil {
		t.Fatal("a camera sealed with another key was opened")
	}
	if !strings.Contains(err.Error(), "another node key") || strings.Contains(err.Error(), "Xq9-unique-pw") {
		t.Fatalf("error %q mentions the password", err)
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub", "matthan.db") // directory created by Open
	db := openAt(t, path)
	c := &matthan.Camera{ID: "cam-001", Name: "Chợ", Password: "pw", Tags: []string{"a"}}
	if err := db.CreateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &matthan.User{Name: "admin", Role: matthan.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		db = openAt(t, path)
		got, err := db.Camera(ctx, "cam-001")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Chợ" || got.Password != "pw" || !got.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("after reopen camera = %+v, want %+v", got, c)
		}
		if _, err := db.UserByName(ctx, "admin"); err != nil {
			t.Error(err)
		}
		var rows, distinct int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows != len(ms) || distinct != len(ms) {
			t.Errorf("schema_migrations has %d rows (%d versions), want one per migration (%d)", rows, distinct, len(ms))
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPragmas(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	ctx := t.Context()
	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "foreign_keys", "1"},
		{"write", "synchronous", "1"}, // NORMAL
		{"write", "busy_timeout", "5000"},
		{"read", "foreign_keys", "1"},
		{"read", "busy_timeout", "5000"},
		{"read", "query_only", "1"},
	}
	for _, tt := range tests {
		pool := db.write
		if tt.pool == "read" {
			pool = db.read
		}
		var got string
		if err := pool.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s pool: PRAGMA %s = %s, want %s", tt.pool, tt.pragma, got, tt.want)
		}
	}
	if _, err := db.read.ExecContext(ctx, `DELETE FROM cameras`); err == nil {
		t.Error("the read pool accepted a write")
	}
	if n := db.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer allows %d connections, want 1", n)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "matthan.db")
	db := openAt(t, path)
	if _, err := db.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(t.Context(), path, testSealer(t))
	if err == nil || !strings.Contains(err.Error(), "schema version 9999") {
		t.Fatalf("Open of a newer database: err = %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	s := testSealer(t)
	for _, path := range []string{"", ":memory:", "file:x.db", filepath.Join(t.TempDir(), "a?b.db")} {
		if db, err := Open(context.Background(), path, s); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), nil); err == nil {
		t.Error("Open without a sealer succeeded")
	}
}
