package export

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Stored is the sidecar kept beside each package in the exports directory
// (ID.json beside ID.zip): what the package is and until when it must be
// kept. Retention never reads the exports directory; Prune honours it.
type Stored struct {
	ID         string    `json:"id"`
	File       string    `json:"file"` // the zip's name in the exports directory
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	CreatedAt  time.Time `json:"created_at"`
	KeepUntil  time.Time `json:"keep_until"`
	ExportedBy string    `json:"exported_by"`
	Reason     string    `json:"reason"`
	Case       string    `json:"case,omitempty"`
	Cameras    []string  `json:"cameras"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
}

func storedOf(res *Result, req Request, cams []string, created time.Time) Stored {
	return Stored{ID: res.ID, File: filepath.Base(res.Path), Size: res.Size, SHA256: res.SHA256,
		CreatedAt: created, KeepUntil: res.KeepUntil, ExportedBy: req.User, Reason: req.Reason,
		Case: req.Case, Cameras: cams, From: req.From, To: req.To}
}

// writeSidecar writes ID.json through a temporary file, so a crash leaves
// either no sidecar or a whole one.
func writeSidecar(dir string, s Stored) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+s.ID+"-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, s.ID+".json"))
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the new entries durable
		d.Close()
	}
}

// List returns the packages kept in dir, oldest first. A missing
// directory holds none.
func List(dir string) ([]Stored, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exports: %w", err)
	}
	var out []Stored
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || filepath.Ext(name) != ".json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("exports: %w", err)
		}
		var s Stored
		if err := json.Unmarshal(b, &s); err != nil || s.ID+".json" != name {
			return nil, fmt.Errorf("exports: %s is not an export's sidecar", name)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Stored) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Prune deletes the packages whose keep-until time has passed at now, and
// never one younger than MinKeep whatever its sidecar says. It returns the
// IDs it deleted.
func Prune(dir string, now time.Time) ([]string, error) {
	kept, err := List(dir)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, s := range kept {
		if now.Before(s.KeepUntil) || now.Sub(s.CreatedAt) < MinKeep {
			continue
		}
		// The zip first: a sidecar without its zip is still listed and
		// removed on the next pass.
		if err := os.Remove(filepath.Join(dir, s.ID+".zip")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return gone, fmt.Errorf("exports: %w", err)
		}
		if err := os.Remove(filepath.Join(dir, s.ID+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return gone, fmt.Errorf("exports: %w", err)
		}
		gone = append(gone, s.ID)
	}
	return gone, nil
}

// publicKeyPEM writes the key as openssl reads it.
func publicKeyPEM(pub ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("export: public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
