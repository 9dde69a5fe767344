package export

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Problem codes: what Verify found wrong.
const (
	ProblemNotZip           = "not_zip"
	ProblemManifestMissing  = "manifest_missing"
	ProblemManifestInvalid  = "manifest_invalid"
	ProblemSignatureMissing = "signature_missing"
	ProblemSignatureInvalid = "signature_invalid" // the manifest was changed, or the signature replaced
	ProblemKeyMismatch      = "key_mismatch"      // signed by another node than expected
	ProblemFileMissing      = "file_missing"
	ProblemFileChanged      = "file_changed"
	ProblemFileUnreadable   = "file_unreadable"
	ProblemFileUnexpected   = "file_unexpected"
	ProblemFileDuplicate    = "file_duplicate"
	ProblemChainBroken      = "chain_broken"
)

// Note codes: facts a reader must see that do not fail a package.
const (
	NoteChainRestart   = "chain_restart"   // declared: earlier segments were gone at export time
	NoteSegmentChanged = "segment_changed" // a source segment no longer matched its index digest at export
	NoteGap            = "gap"             // no footage for part of the range
	NotePrivacyMasked  = "privacy_masked"  // a clip was re-encoded to hide private areas
)

// Problem is one thing Verify found, in English and Vietnamese.
type Problem struct {
	Code      string `json:"code"`
	File      string `json:"file,omitempty"`
	Message   string `json:"message"`
	MessageVI string `json:"message_vi"`
}

// Report is what Verify found.
type Report struct {
	OK             bool      `json:"ok"` // no problems
	Problems       []Problem `json:"problems"`
	Notes          []Problem `json:"notes"`
	Manifest       *Manifest `json:"-"` // nil when manifest.json could not be read
	NodeID         string    `json:"node_id,omitempty"`
	SignatureValid bool      `json:"signature_valid"`
	FilesChecked   int       `json:"files_checked"`
}

func (r *Report) problem(code, file, en, vi string) {
	r.Problems = append(r.Problems, Problem{Code: code, File: file, Message: en, MessageVI: vi})
}

func (r *Report) note(code, file, en, vi string) {
	r.Notes = append(r.Notes, Problem{Code: code, File: file, Message: en, MessageVI: vi})
}

// Verify checks an evidence package offline: the manifest's signature by
// the public key it names, every file's size and SHA-256, no file missing
// or added, and the hash chain of the source segments. Any byte of r is
// untrusted. The error is only for a nil reader: what is wrong with the
// package is in the report.
func Verify(r io.ReaderAt, size int64) (*Report, error) {
	return VerifyKey(r, size, nil)
}

// VerifyKey is Verify that also requires the package to be signed by the
// node whose public key is expected (nil: any node).
func VerifyKey(r io.ReaderAt, size int64, expected ed25519.PublicKey) (*Report, error) {
	if r == nil {
		return nil, errors.New("verify: no package to read")
	}
	rep := &Report{Problems: []Problem{}, Notes: []Problem{}}
	defer func() { rep.OK = len(rep.Problems) == 0 }()

	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		rep.problem(ProblemNotZip, "",
			fmt.Sprintf("the package is not a complete zip archive (truncated or damaged): %v", err),
			fmt.Sprintf("gói không phải là tệp zip hoàn chỉnh (bị cắt cụt hoặc hư hỏng): %v", err))
		return rep, nil
	}
	entries := map[string]*zip.File{}
	var order []string
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			rep.problem(ProblemFileDuplicate, f.Name,
				fmt.Sprintf("file %s appears more than once in the package", f.Name),
				fmt.Sprintf("tệp %s xuất hiện nhiều lần trong gói", f.Name))
			continue
		}
		entries[f.Name] = f
		order = append(order, f.Name)
	}

	mf := entries[ManifestName]
	if mf == nil {
		rep.problem(ProblemManifestMissing, ManifestName,
			"manifest.json is missing: this is not an evidence package, or it was taken out",
			"thiếu tệp manifest.json: đây không phải gói chứng cứ, hoặc tệp đã bị lấy ra")
		return rep, nil
	}
	mb, err := readEntry(mf, maxManifestSize)
	if err != nil {
		rep.problem(ProblemFileUnreadable, ManifestName,
			fmt.Sprintf("manifest.json cannot be read: %v", err),
			fmt.Sprintf("không đọc được manifest.json: %v", err))
		return rep, nil
	}
	var sig []byte
	if sf := entries[SignatureName]; sf == nil {
		rep.problem(ProblemSignatureMissing, SignatureName,
			"manifest.sig is missing: the package is not signed",
			"thiếu tệp manifest.sig: gói không có chữ ký")
	} else if sig, err = readEntry(sf, 1024); err != nil {
		rep.problem(ProblemFileUnreadable, SignatureName,
			fmt.Sprintf("manifest.sig cannot be read: %v", err),
			fmt.Sprintf("không đọc được manifest.sig: %v", err))
		sig = nil
	}

	m, err := ParseManifest(mb)
	if err != nil {
		rep.problem(ProblemManifestInvalid, ManifestName,
			fmt.Sprintf("manifest.json is not a valid manifest: %v", err),
			fmt.Sprintf("manifest.json không phải bản kê hợp lệ: %v", err))
		if expected != nil && sig != nil && !ed25519.Verify(expected, mb, sig) {
			rep.signatureInvalid()
		}
		return rep, nil
	}
	rep.Manifest = m
	pub, _ := m.PublicKey() // ParseManifest checked it
	rep.NodeID = NodeID(pub)
	if sig != nil {
		switch {
		case len(sig) != ed25519.SignatureSize:
			rep.problem(ProblemSignatureInvalid, SignatureName,
				fmt.Sprintf("manifest.sig is not an Ed25519 signature (%d bytes, want %d)", len(sig), ed25519.SignatureSize),
				fmt.Sprintf("manifest.sig không phải chữ ký Ed25519 (%d byte, cần %d)", len(sig), ed25519.SignatureSize))
		case !ed25519.Verify(pub, mb, sig):
			rep.signatureInvalid()
		default:
			rep.SignatureValid = true
		}
	}
	if rep.NodeID != m.Node.ID {
		rep.problem(ProblemManifestInvalid, ManifestName,
			fmt.Sprintf("manifest.json names node %s, but its public key is node %s's", m.Node.ID, rep.NodeID),
			fmt.Sprintf("manifest.json ghi nút %s, nhưng khóa công khai là của nút %s", m.Node.ID, rep.NodeID))
	}
	if expected != nil && !bytes.Equal(pub, expected) {
		rep.problem(ProblemKeyMismatch, SignatureName,
			fmt.Sprintf("the package is signed by node %s, not by the expected node %s", rep.NodeID, NodeID(expected)),
			fmt.Sprintf("gói được ký bởi nút %s, không phải nút cần kiểm tra %s", rep.NodeID, NodeID(expected)))
	}

	rep.checkFiles(m, entries, order, pub)
	rep.checkChains(m)
	return rep, nil
}

func (r *Report) signatureInvalid() {
	r.problem(ProblemSignatureInvalid, ManifestName,
		"manifest.json was modified after signing (or manifest.sig is not its signature)",
		"manifest.json đã bị sửa sau khi ký (hoặc manifest.sig không phải chữ ký của nó)")
}

// checkFiles compares every listed file with the package's entries.
func (r *Report) checkFiles(m *Manifest, entries map[string]*zip.File, order []string, pub []byte) {
	clips := map[string]bool{}
	for _, c := range m.Cameras {
		for _, cl := range c.Clips {
			clips[cl.File] = true
		}
	}
	listed := map[string]bool{ManifestName: true, SignatureName: true}
	for _, f := range m.Files {
		listed[f.Name] = true
		kind, kindVI := "file", "tệp"
		if clips[f.Name] {
			kind, kindVI = "clip", "tệp video"
		}
		zf := entries[f.Name]
		if zf == nil {
			r.problem(ProblemFileMissing, f.Name,
				fmt.Sprintf("file %s listed in the manifest is missing", f.Name),
				fmt.Sprintf("tệp %s có trong bản kê nhưng bị thiếu trong gói", f.Name))
			continue
		}
		r.FilesChecked++
		n, sum, head, err := hashEntry(zf, f.Size)
		switch {
		case err != nil:
			r.problem(ProblemFileUnreadable, f.Name,
				fmt.Sprintf("%s %s cannot be read: %v", kind, f.Name, err),
				fmt.Sprintf("không đọc được %s %s: %v", kindVI, f.Name, err))
		case n != f.Size:
			r.problem(ProblemFileChanged, f.Name,
				fmt.Sprintf("%s %s: size differs from the manifest (file was changed)", kind, f.Name),
				fmt.Sprintf("%s %s: kích thước khác với bản kê (tệp đã bị thay đổi)", kindVI, f.Name))
		case sum != f.SHA256:
			r.problem(ProblemFileChanged, f.Name,
				fmt.Sprintf("%s %s: SHA-256 does not match the manifest (file was changed)", kind, f.Name),
				fmt.Sprintf("%s %s: SHA-256 không khớp với bản kê (tệp đã bị thay đổi)", kindVI, f.Name))
		case f.Name == PublicKeyName && !pemHolds(head, pub):
			r.problem(ProblemManifestInvalid, f.Name,
				fmt.Sprintf("%s does not hold the public key the manifest names", f.Name),
				fmt.Sprintf("%s không chứa khóa công khai ghi trong bản kê", f.Name))
		}
	}
	for _, name := range order {
		if !listed[name] {
			r.problem(ProblemFileUnexpected, name,
				fmt.Sprintf("unexpected file %s (not listed in the manifest)", name),
				fmt.Sprintf("tệp lạ %s (không có trong bản kê)", name))
		}
	}
}

// checkChains checks each camera's hash chain as the manifest states it.
func (r *Report) checkChains(m *Manifest) {
	for _, c := range m.Cameras {
		bad := map[int]bool{}
		for _, i := range c.chainBreaks() {
			bad[i] = true
			prev, s := c.Segments[i-1], c.Segments[i]
			r.problem(ProblemChainBroken, ManifestName,
				fmt.Sprintf("camera %s: hash chain broken: segment %s does not follow %s (its prev_sha256 is not that segment's SHA-256)", c.ID, s.Path, prev.Path),
				fmt.Sprintf("camera %s: chuỗi băm bị đứt: đoạn %s không nối tiếp đoạn %s (prev_sha256 không khớp SHA-256 của đoạn đó)", c.ID, s.Path, prev.Path))
		}
		for i, s := range c.Segments {
			if s.ChainBreak && i > 0 && !bad[i] {
				r.note(NoteChainRestart, "",
					fmt.Sprintf("camera %s: the hash chain restarts at segment %s: the segments before it were deleted or lost before the export", c.ID, s.Path),
					fmt.Sprintf("camera %s: chuỗi băm bắt đầu lại ở đoạn %s: các đoạn trước đó đã bị xóa hoặc mất trước khi trích xuất", c.ID, s.Path))
			}
			if s.FileCheck != FileOK {
				r.note(NoteSegmentChanged, "",
					fmt.Sprintf("camera %s: at export, source segment %s was %s on the node (its SHA-256 no longer matched the index)", c.ID, s.Path, s.FileCheck),
					fmt.Sprintf("camera %s: khi trích xuất, đoạn ghi hình gốc %s trên nút đã bị thay đổi hoặc mất (SHA-256 không còn khớp chỉ mục)", c.ID, s.Path))
			}
		}
		for _, cl := range c.Clips {
			if cl.PrivacyMasked {
				r.note(NotePrivacyMasked, cl.File,
					fmt.Sprintf("camera %s: clip %s was re-encoded (%s) to hide %d private area(s); it is not the recorded bytes: the source segments' SHA-256 hash chain states what was recorded", c.ID, cl.File, cl.Codec, len(c.PrivacyMasks)),
					fmt.Sprintf("camera %s: tệp video %s đã được mã hóa lại (%s) để che %d vùng riêng tư; đây không phải dữ liệu ghi gốc: chuỗi băm SHA-256 của các đoạn ghi hình gốc xác nhận nội dung đã ghi", c.ID, cl.File, cl.Codec, len(c.PrivacyMasks)))
			}
		}
		for _, g := range c.Gaps {
			r.note(NoteGap, "",
				fmt.Sprintf("camera %s: no footage from %s to %s (%s)", c.ID, g.Start.Local, g.End.Local, g.Reason),
				fmt.Sprintf("camera %s: không có ghi hình từ %s đến %s (%s)", c.ID, g.Start.Local, g.End.Local, g.Reason))
		}
	}
}

// readEntry reads a small entry whole, refusing one larger than limit.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return b, nil
}

// hashEntry hashes an entry, reading at most one byte more than the
// manifest says it has (a compressed entry could expand without end). A
// zip CRC mismatch is not an error here: the SHA-256 decides, and says so
// more precisely. head keeps the first bytes, for the public key file.
func hashEntry(f *zip.File, want int64) (n int64, sum string, head []byte, err error) {
	rc, err := f.Open()
	if err != nil {
		return 0, "", nil, err
	}
	defer rc.Close()
	h := sha256.New()
	hb := &headBuffer{max: 4096}
	n, err = io.Copy(io.MultiWriter(h, hb), io.LimitReader(rc, want+1))
	if err != nil && !errors.Is(err, zip.ErrChecksum) {
		return n, "", nil, err
	}
	return n, hex.EncodeToString(h.Sum(nil)), hb.b, nil
}

type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// pemHolds reports whether b is a PEM public key equal to pub.
func pemHolds(b, pub []byte) bool {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return false
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return false
	}
	ek, ok := k.(ed25519.PublicKey)
	return ok && bytes.Equal(ek, pub)
}

// WriteText prints the report for a person: OK or FAILED, what the package
// is, and every problem and note in English and Vietnamese.
func (r *Report) WriteText(w io.Writer, name string) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("Evidence package / Gói chứng cứ: %s\n", name)
	if m := r.Manifest; m != nil {
		p("  Package / Mã gói:        %s\n", m.ID)
		p("  Node / Nút ký:           %s (%s), Ed25519 key %s\n", m.Node.ID, m.Node.Name, m.Node.PublicKey)
		p("  Created / Lập lúc:       %s (Asia/Ho_Chi_Minh), %s UTC\n", m.CreatedAt.Local, m.CreatedAt.UTC.Format("2006-01-02 15:04:05"))
		p("  Exported by / Người lập: %s\n", m.ExportedBy)
		p("  Reason / Lý do:          %s\n", m.Reason)
		if m.Case != "" {
			p("  Case / Vụ việc:          %s\n", m.Case)
		}
		p("  Range / Khoảng:          %s – %s (Asia/Ho_Chi_Minh)\n", m.Range.From.Local, m.Range.To.Local)
		for _, c := range m.Cameras {
			p("  Camera %s: %s — %s (%.6f, %.6f); %d clip(s), %d segment(s)\n",
				c.ID, c.Name, c.Address, c.Latitude, c.Longitude, len(c.Clips), len(c.Segments))
		}
		p("  Files checked / Số tệp đã kiểm tra: %d\n", r.FilesChecked)
	}
	for _, n := range r.Notes {
		p("  note: %s\n        %s\n", n.Message, n.MessageVI)
	}
	if len(r.Problems) == 0 {
		p("OK — the package is intact and signed by node %s. Check that this is the node you expect.\n", r.NodeID)
		p("HỢP LỆ — gói còn nguyên vẹn và được ký bởi nút %s. Hãy đối chiếu đúng nút đã trích xuất.\n", r.NodeID)
	} else {
		p("FAILED — %d problem(s) / KHÔNG HỢP LỆ — %d lỗi:\n", len(r.Problems), len(r.Problems))
		for _, pr := range r.Problems {
			p("  - %s\n    %s\n", pr.Message, pr.MessageVI)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
