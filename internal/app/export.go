package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"matthan"
	"matthan/internal/config"
	"matthan/internal/export"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

// ExportOptions are `matthan export`'s own flags; the node's options
// (--data, --record.dir, --config, MATTHAN_*) come from config.Load.
type ExportOptions struct {
	Cameras  []string
	From, To string // RFC 3339, or dd/MM/yyyy HH:mm:ss in Vietnam time
	Reason   string
	Case     string
	User     string // default: the operating-system user
	Stream   string
	Output   string
	Out      io.Writer // where the summary goes
}

// Flags declares the export flags on fs.
func (o *ExportOptions) Flags(fs *flag.FlagSet) {
	fs.Func("camera", "camera ID to export (repeat for several cameras)", func(s string) error {
		for _, id := range strings.Split(s, ",") {
			if id = strings.TrimSpace(id); id != "" {
				o.Cameras = append(o.Cameras, id)
			}
		}
		return nil
	})
	fs.StringVar(&o.From, "from", "", "start: RFC 3339 (2026-03-01T08:00:00+07:00) or dd/MM/yyyy HH:mm:ss, Vietnam time")
	fs.StringVar(&o.To, "to", "", "end, written like --from")
	fs.StringVar(&o.Reason, "reason", "", "why the footage is exported (required, recorded in the audit log)")
	fs.StringVar(&o.Case, "case", "", "case number (số vụ việc)")
	fs.StringVar(&o.User, "user", "", "who exports (default: the operating-system user)")
	fs.StringVar(&o.Stream, "stream", string(matthan.StreamMain), "stream to export: main or sub")
	fs.StringVar(&o.Output, "o", "", "write the evidence package to this file (required)")
}

// Export runs `matthan export`: it opens the node's store directly (SQLite
// in WAL mode lets it run beside a running node), writes the package under
// DATA/exports with its audit entries, and copies it to --o.
func Export(ctx context.Context, cfg config.Config, o ExportOptions) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	req, err := o.request()
	if err != nil {
		return err
	}
	for _, name := range []string{"matthan.db", "node.key"} {
		if _, err := os.Stat(filepath.Join(cfg.Data, name)); err != nil {
			return fmt.Errorf("no node data in %s (%s: %w); give the node's data directory with --data / không thấy dữ liệu của nút trong %s", cfg.Data, name, err, cfg.Data)
		}
	}
	key, err := secret.LoadOrCreateKey(filepath.Join(cfg.Data, "node.key"))
	if err != nil {
		return err
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return err
	}
	store, err := sqlite.Open(ctx, filepath.Join(cfg.Data, "matthan.db"), sealer)
	if err != nil {
		return err
	}
	defer store.Close()
	signing, err := export.LoadOrCreateSigningKey(cfg.Data)
	if err != nil {
		return err
	}
	node := cfg.Node
	if node == "" {
		node, _ = os.Hostname()
	}
	res, err := export.Export(ctx, export.Deps{
		Store: store, Index: store, RecordDir: cfg.RecordDir(), ExportDir: ExportDir(cfg.Data),
		Key: signing, NodeName: node, Keep: cfg.Export.Keep, Log: NewLogger(cfg, node).With("component", "export"),
	}, req)
	if err != nil {
		return err
	}
	if err := copyFile(res.Path, o.Output); err != nil {
		return fmt.Errorf("writing %s: %w (the node keeps its copy at %s)", o.Output, err, res.Path)
	}
	m := res.Manifest
	fmt.Fprintf(o.Out, "Evidence package / Gói chứng cứ: %s\n", o.Output)
	fmt.Fprintf(o.Out, "  %s, %d bytes, SHA-256 %s\n", res.ID, res.Size, res.SHA256)
	fmt.Fprintf(o.Out, "  Range / Khoảng: %s – %s (Asia/Ho_Chi_Minh)\n", m.Range.From.Local, m.Range.To.Local)
	for _, c := range m.Cameras {
		fmt.Fprintf(o.Out, "  Camera %s: %d clip(s), %d gap(s)\n", c.ID, len(c.Clips), len(c.Gaps))
	}
	fmt.Fprintf(o.Out, "  Signed by node / Ký bởi nút %s, public key %s\n", m.Node.ID, m.Node.PublicKey)
	fmt.Fprintf(o.Out, "  Kept on the node until / Lưu trên nút đến %s: %s\n", matthan.FormatLocal(res.KeepUntil), res.Path)
	for _, w := range res.Warnings {
		fmt.Fprintf(o.Out, "  WARNING / CẢNH BÁO: %s\n", w)
	}
	return nil
}

// ExportDir is where a node keeps its evidence packages.
func ExportDir(data string) string { return filepath.Join(data, "exports") }

func (o *ExportOptions) request() (export.Request, error) {
	var errs []error
	if o.Output == "" {
		errs = append(errs, errors.New("-o FILE is required: where to write the package / cần -o TỆP"))
	}
	if len(o.Cameras) == 0 {
		errs = append(errs, errors.New("--camera ID is required / cần --camera"))
	}
	if strings.TrimSpace(o.Reason) == "" {
		errs = append(errs, errors.New("--reason is required: every export must be justified / cần --reason: mọi lần trích xuất đều phải nêu lý do"))
	}
	from, err := matthan.ParseTime("--from", o.From)
	if err != nil {
		errs = append(errs, err)
	}
	to, err := matthan.ParseTime("--to", o.To)
	if err != nil {
		errs = append(errs, err)
	}
	who := o.User
	if who == "" {
		if u, err := user.Current(); err == nil {
			who = u.Username
		}
	}
	if len(errs) > 0 {
		return export.Request{}, errors.Join(errs...)
	}
	host, _ := os.Hostname()
	return export.Request{CameraIDs: o.Cameras, Stream: matthan.StreamRole(o.Stream), From: from, To: to,
		User: who, Reason: o.Reason, Case: o.Case, Remote: "cli@" + host}, nil
}

// copyFile copies src to dst through a temporary file beside dst, so dst
// is either the whole package or untouched.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".matthan-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
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
	return os.Rename(tmp.Name(), dst)
}

// VerifyOptions are `matthan verify`'s arguments.
type VerifyOptions struct {
	Path string // the package
	Key  string // expected node public key, base64 or hex; "" accepts any node
	Out  io.Writer
}

// ErrVerifyFailed is what `matthan verify` returns for a package that
// fails, after printing why.
var ErrVerifyFailed = errors.New("the evidence package failed verification / gói chứng cứ không hợp lệ")

// Flags declares verify's flags on fs.
func (o *VerifyOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Key, "key", "", "require this node public key (base64 or hex, as `matthan export` prints it)")
}

// Parse reads verify's flags and its one argument, the package, in any order.
func (o *VerifyOptions) Parse(fs *flag.FlagSet, args []string) error {
	path, err := parseOneArg(fs, args, "usage: matthan verify [--key PUBLIC-KEY] PACKAGE.zip")
	o.Path = path
	return err
}

// Verify runs `matthan verify`: it checks a package offline, prints a
// report, and returns ErrVerifyFailed when the package fails.
func Verify(ctx context.Context, o VerifyOptions) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	var expected ed25519.PublicKey
	if o.Key != "" {
		k, err := parsePublicKey(o.Key)
		if err != nil {
			return err
		}
		expected = k
	}
	f, err := os.Open(o.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a file / không phải là tệp", o.Path)
	}
	rep, err := export.VerifyKey(f, st.Size(), expected)
	if err != nil {
		return err
	}
	if err := rep.WriteText(o.Out, o.Path); err != nil {
		return err
	}
	if !rep.OK {
		return ErrVerifyFailed
	}
	return nil
}

func parsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){base64.StdEncoding.DecodeString, hex.DecodeString} {
		if k, err := dec(s); err == nil && len(k) == ed25519.PublicKeySize {
			return ed25519.PublicKey(bytes.Clone(k)), nil
		}
	}
	return nil, fmt.Errorf("--key %q is not an Ed25519 public key (32 bytes, base64 or hex) / không phải khóa công khai Ed25519", s)
}
