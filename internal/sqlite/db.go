// Package sqlite implements matthan.Store on SQLite through the pure-Go
// driver modernc.org/sqlite.
//
// The database runs in WAL mode with one writer connection, through which
// every write is serialised, and a small pool of read-only connections that
// read while the writer writes. The schema comes from numbered migrations
// embedded in the binary and applied at Open.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"matthan"
)

const (
	busyTimeout = 5 * time.Second
	readConns   = 4
	// defaultLimit and maxLimit bound list queries when the caller sets no
	// limit, or a silly one.
	defaultLimit = 100
	maxLimit     = 10_000
)

// DB is a matthan.Store backed by one SQLite database file.
type DB struct {
	write  *sql.DB // exactly one connection: SQLite allows one writer anyway
	read   *sql.DB // query_only connections
	sealer matthan.Sealer
	now    func() time.Time
}

var _ matthan.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and brings its schema
// up to date. sealer encrypts camera passwords at rest.
func Open(ctx context.Context, path string, sealer matthan.Sealer) (*DB, error) {
	if sealer == nil {
		return nil, errors.New("sqlite: open: a sealer is required")
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		// The writer and the readers must share one file.
		return nil, fmt.Errorf("sqlite: open: %q must be a plain file path", path)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeout.Milliseconds())
	write, err := sql.Open("sqlite", path+"?"+common+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Connect the writer first so WAL mode is set before any reader opens.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)

	db := &DB{write: write, read: read, sealer: sealer, now: time.Now}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// createPrivate creates the database file with mode 0600 before SQLite does
// (SQLite gives its -wal and -shm files the same mode): it holds user
// password hashes and sealed camera passwords.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// Close closes both connection pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// stamp returns the store's current time as it will be read back: UTC,
// truncated to microseconds.
func (db *DB) stamp() time.Time {
	return storedTime(db.now())
}

// storedTime returns t as the store keeps it: UTC, microsecond precision
// (PostgreSQL's timestamptz has the same).
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// limit applies the default and the cap to a caller's limit.
func limit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return min(n, maxLimit)
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func errCameraNotFound(id string) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("camera %q not found", id),
		fmt.Sprintf("Không tìm thấy camera %q", id))
}

// conds collects the conditions of a WHERE clause and their arguments, so
// each query says only which filters apply.
type conds struct {
	sql  []string
	args []any
}

// add appends a condition and the arguments of its placeholders.
func (c *conds) add(cond string, args ...any) {
	c.sql = append(c.sql, cond)
	c.args = append(c.args, args...)
}

// where is " WHERE a AND b …", or "" when no condition applies.
func (c *conds) where() string {
	if len(c.sql) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.sql, " AND ")
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryRower is a database or a transaction, for reads inside either.
type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// byID reads the row of table with id (columns, in scan's order); a
// missing row is notFound(id), what names it in other errors.
func byID[T any](ctx context.Context, q queryRower, table, columns string, id int64, scan func(scanner) (T, error),
	notFound func(int64) error, what string) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM `+table+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(id)
	}
	if err != nil {
		return v, fmt.Errorf("%s %d: %w", what, id, err)
	}
	return v, nil
}

// scanAll reads every row with scan and closes rows; the slice is never nil.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
