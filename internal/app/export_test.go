package app

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/config"
	"matthan/internal/export"
	"matthan/internal/export/exporttest"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// exportCLI runs `matthan export ARGS` as cmd/matthan wires it.
func exportCLI(ctx context.Context, args ...string) (string, error) {
	fs := flag.NewFlagSet("matthan export", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	var out bytes.Buffer
	opts := ExportOptions{Out: &out}
	opts.Flags(fs)
	cfg, err := config.Load(fs, args, func(string) string { return "" })
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		err = Export(ctx, cfg, opts)
	}
	return out.String(), err
}

// verifyCLI runs `matthan verify ARGS` as cmd/matthan wires it.
func verifyCLI(ctx context.Context, args ...string) (string, error) {
	fs := flag.NewFlagSet("matthan verify", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	var out bytes.Buffer
	opts := VerifyOptions{Out: &out}
	opts.Flags(fs)
	if err := opts.Parse(fs, args); err != nil {
		return "", err
	}
	err := Verify(ctx, opts)
	return out.String(), err
}

// TestExportVerifyCLI exports from a node's data directory while its store
// is open (as when the node runs), verifies the package, then tampers with
// it and verifies again.
func TestExportVerifyCLI(t *testing.T) {
	ctx := context.Background()
	wall0 := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC) // 08:00 in Vietnam
	n := exporttest.New(t)
	n.AddCamera(t, matthan.Camera{ID: "cam-001", Name: "Ngã tư", Area: "Khóm 1", Address: "12 Lê Lợi",
		Latitude: 10.77, Longitude: 106.7, Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND Phường 1"}})
	n.Record(t, "cam-001", fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 8}, wall0), 4*time.Second)

	pkg := filepath.Join(t.TempDir(), "goi chung cu.zip")
	out, err := exportCLI(ctx, "--camera", "cam-001", "--from", "01/03/2026 08:00:01", "--to", "2026-03-01T01:00:07Z",
		"--reason", "Va chạm giao thông", "--case", "7/2026", "--user", "tuan", "-o", pkg, "--data", n.Data)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	for _, s := range []string{"Camera cam-001: 1 clip(s), 0 gap(s)", "01/03/2026 08:00:01 – 01/03/2026 08:00:07", "Signed by node"} {
		if !strings.Contains(out, s) {
			t.Errorf("export output lacks %q:\n%s", s, out)
		}
	}
	audit, err := n.DB.Audit(ctx, matthan.AuditFilter{})
	if err != nil || len(audit) != 1 || audit[0].Action != "export" || audit[0].User != "tuan" || !strings.Contains(audit[0].Detail, "case: 7/2026") {
		t.Fatalf("audit %+v, %v", audit, err)
	}
	kept, err := export.List(ExportDir(n.Data))
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept %+v, %v", kept, err)
	}

	key, err := export.LoadOrCreateSigningKey(n.Data)
	if err != nil {
		t.Fatal(err)
	}
	pub := base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	out, err = verifyCLI(ctx, pkg, "--key", pub)
	if err != nil || !strings.Contains(out, "OK — the package is intact") {
		t.Fatalf("verify: %v\n%s", err, out)
	}

	_, other, _ := ed25519.GenerateKey(nil)
	out, err = verifyCLI(ctx, "--key", base64.StdEncoding.EncodeToString(other.Public().(ed25519.PublicKey)), pkg)
	if !errors.Is(err, ErrVerifyFailed) || !strings.Contains(out, "not by the expected node") {
		t.Fatalf("verify with another key: %v\n%s", err, out)
	}

	flipClipByte(t, pkg, "cam-001-1.mp4")
	out, err = verifyCLI(ctx, pkg)
	if !errors.Is(err, ErrVerifyFailed) {
		t.Fatalf("tampered package: err %v\n%s", err, out)
	}
	for _, s := range []string{"FAILED — 1 problem(s)", "clip cam-001-1.mp4: SHA-256 does not match the manifest (file was changed)",
		"tệp video cam-001-1.mp4: SHA-256 không khớp với bản kê (tệp đã bị thay đổi)"} {
		if !strings.Contains(out, s) {
			t.Errorf("verify output lacks %q:\n%s", s, out)
		}
	}
}

func flipClipByte(t *testing.T, path, name string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			off, _ := f.DataOffset()
			b[off+500] ^= 1
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestExportCLIRefuses(t *testing.T) {
	ctx := context.Background()
	n := exporttest.New(t)
	empty := t.TempDir()
	out := filepath.Join(t.TempDir(), "p.zip")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no reason", []string{"--camera", "cam-001", "--from", "01/03/2026 08:00:00", "--to", "01/03/2026 08:10:00", "-o", out, "--data", n.Data},
			"--reason is required"},
		{"bad time", []string{"--camera", "cam-001", "--from", "2026/03/01 08:00", "--to", "01/03/2026 08:10:00", "--reason", "x", "-o", out, "--data", n.Data},
			`--from: "2026/03/01 08:00": write RFC 3339`},
		{"no output", []string{"--camera", "cam-001", "--from", "01/03/2026 08:00:00", "--to", "01/03/2026 08:10:00", "--reason", "x", "--data", n.Data},
			"-o FILE is required"},
		{"not a data directory", []string{"--camera", "cam-001", "--from", "01/03/2026 08:00:00", "--to", "01/03/2026 08:10:00", "--reason", "x", "-o", out, "--data", empty},
			"no node data in " + empty},
		{"unknown camera", []string{"--camera", "cam-404", "--from", "01/03/2026 08:00:00", "--to", "01/03/2026 08:10:00", "--reason", "x", "-o", out, "--data", n.Data},
			"cam-404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exportCLI(ctx, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused export wrote %s", out)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused export wrote into a directory that is not a node's: %v", entries)
	}
	if _, err := verifyCLI(ctx); err == nil || !strings.Contains(err.Error(), "usage: matthan verify") {
		t.Errorf("verify without a package: %v", err)
	}
}
