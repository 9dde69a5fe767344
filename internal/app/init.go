package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"

	"matthan"
	"matthan/internal/auth"
	"matthan/internal/config"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

// Init runs `matthan init`: on first run it creates the data directory, the
// node key and user "admin", and prints admin's password once (unless
// --admin-password / MATTHAN_ADMIN_PASSWORD gave it). When an admin exists
// it says so and changes nothing.
func Init(ctx context.Context, cfg config.Config, out io.Writer) error {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	store, err := openStore(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer store.Close()
	users, err := store.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Role == matthan.RoleAdmin {
			fmt.Fprintf(out, "This node already has an admin (%s); nothing changed.\n", u.Name)
			fmt.Fprintf(out, "Nút này đã có quản trị viên (%s); không thay đổi gì.\n", u.Name)
			return nil
		}
	}
	pw, generated := cfg.AdminPassword, false
	if pw == "" {
		pw, generated = newPassword(), true
	}
	hash, err := (&auth.Users{}).Hash(ctx, pw)
	if err != nil {
		return err
	}
	if err := store.CreateUser(ctx, &matthan.User{Name: "admin", Role: matthan.RoleAdmin, PasswordHash: hash}); err != nil {
		return err
	}
	if err := store.AddAudit(ctx, &matthan.AuditEntry{User: osUser(), Action: "user.create", Remote: "cli",
		Detail: "user=admin role=admin (matthan init)"}); err != nil {
		return err
	}
	fmt.Fprintf(out, "Created user admin in %s / Đã tạo người dùng admin trong %s\n", cfg.Data, cfg.Data)
	if !generated {
		fmt.Fprintln(out, "Its password is the one configured. / Mật khẩu là mật khẩu đã cấu hình.")
		return nil
	}
	fmt.Fprintf(out, "One-time password / Mật khẩu dùng một lần:\n\n    %s\n\n", pw)
	fmt.Fprintln(out, "It is shown only now: sign in and change it. / Chỉ hiển thị lần này: hãy đăng nhập và đổi mật khẩu.")
	return nil
}

// newPassword returns a random password of 22 URL-safe characters.
func newPassword() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openStore opens the store of the node whose data directory is data,
// creating the node key on first use. SQLite in WAL mode lets a command
// use it beside a running node.
func openStore(ctx context.Context, data string) (*sqlite.DB, error) {
	key, err := secret.LoadOrCreateKey(filepath.Join(data, "node.key"))
	if err != nil {
		return nil, err
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, filepath.Join(data, "matthan.db"), sealer)
}

// openExistingStore is openStore for commands that need a node made
// already: they never start an empty one by mistake.
func openExistingStore(ctx context.Context, data string) (*sqlite.DB, error) {
	for _, name := range []string{"matthan.db", "node.key"} {
		if _, err := os.Stat(filepath.Join(data, name)); err != nil {
			return nil, fmt.Errorf("no node data in %s (%s: %w); give the node's data directory with --data / không thấy dữ liệu của nút trong %s", data, name, err, data)
		}
	}
	return openStore(ctx, data)
}

// osUser names who runs a command, for the audit log.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

// removeAdminPasswordFile deletes the generated admin password once admin
// has chosen another: the file would only tell an old, wrong password.
func removeAdminPasswordFile(data, name string, log *slog.Logger) {
	if name != "admin" {
		return
	}
	path := AdminPasswordFile(data)
	err := os.Remove(path)
	switch {
	case err == nil:
		log.Info("admin changed the generated password; its file is removed", "file", path)
	case !errors.Is(err, os.ErrNotExist):
		log.Warn("generated admin password file not removed", "file", path, "err", err)
	}
}
