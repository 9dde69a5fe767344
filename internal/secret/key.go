package secret

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the size of the node key in bytes (AES-256).
const KeySize = 32

// LoadOrCreateKey returns the node key stored at path, creating it with
// KeySize random bytes on first start. The file is created with mode 0600
// (its directory with 0700 if missing). An existing key that other users can
// read, or that has the wrong size, is refused rather than silently used or
// replaced: replacing it would make every sealed password unreadable.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := loadKey(path)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := createKey(path); err != nil {
		return nil, err
	}
	// Load what is on disk: another process may have won the race to create it.
	return loadKey(path)
}

func loadKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("node key %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("node key %s has permissions %#o: other users can read it; run `chmod 600 %s`", path, perm, path)
	}
	if st.Size() != KeySize {
		return nil, fmt.Errorf("node key %s has %d bytes, want %d: the file is damaged or not a node key", path, st.Size(), KeySize)
	}
	key := make([]byte, KeySize)
	if _, err := f.ReadAt(key, 0); err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	return key, nil
}

// createKey writes a new key to a temporary file and links it into place, so
// a crash never leaves a short key file and an existing key is never replaced.
func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("node key directory: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".node-key-*")
	if err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp uses 0600 already; Chmod makes it explicit whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("node key: %w", err)
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return fmt.Errorf("node key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("node key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("node key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the new directory entry durable
		d.Close()
	}
	return nil
}
