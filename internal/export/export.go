package export

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"matthan"
	"matthan/internal/privacy"
)

// Limits of one export.
const (
	MaxRange   = 7 * 24 * time.Hour // longest range one package may cover
	MaxCameras = 64
	maxParts   = 10_000 // clips per camera: a guard against a clip source that never advances

	// DefaultKeep is how long exports are kept unless configured: footage
	// used for a fine must stay usable for a year.
	DefaultKeep = 365 * 24 * time.Hour
	// MinKeep is the shortest keep time allowed.
	MinKeep = DefaultKeep

	// gapTolerance: holes shorter than this between segments are frame
	// timing, not missing footage.
	gapTolerance = time.Second
)

// PlaybackClip is one MP4 built from recorded segments; *playback.Clip is one.
type PlaybackClip interface {
	WriteTo(w io.Writer) (int64, error)
	Size() int64
	Segments() []*matthan.Segment
	Start() time.Time
	End() time.Time
	Close() error
}

// OpenClipFunc builds the clip of a camera stream starting at from (at the
// keyframe before it) and ending at to or earlier, where the codec
// parameters change; ENOTFOUND when nothing is recorded there.
type OpenClipFunc func(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string,
	stream matthan.StreamRole, from, to time.Time) (PlaybackClip, error)

// Store is what Export needs of the node's store.
type Store interface {
	Camera(ctx context.Context, id string) (*matthan.Camera, error)
	AddAudit(ctx context.Context, e *matthan.AuditEntry) error
}

// Deps are what Export works with.
type Deps struct {
	Store     Store
	Index     matthan.RecordingIndex
	RecordDir string             // recordings root
	ExportDir string             // where packages are kept: DATA/exports
	Key       ed25519.PrivateKey // the node's signing key
	NodeName  string
	Keep      time.Duration // how long a package is kept; 0: DefaultKeep
	OpenClip  OpenClipFunc  // nil: playback.Open
	// FFmpeg re-encodes the clips of cameras with privacy masks (ffprobe
	// beside it reads their frame size); "": both on PATH.
	FFmpeg string
	// Cut closes a stream's segment that is still being written and holds
	// footage before to, and returns once it is indexed (recorder.Cut), so
	// an export of the last minutes has them. nil: indexed footage only.
	Cut func(ctx context.Context, cameraID string, stream matthan.StreamRole, to time.Time) error
	Now func() time.Time
	Log *slog.Logger
}

// Request asks for an evidence package.
type Request struct {
	CameraIDs []string
	Stream    matthan.StreamRole // "": main
	From, To  time.Time
	User      string // who exports: goes into the manifest and the audit
	Reason    string // why (required by Law 91/2025/QH15)
	Case      string // case number, if any
	Remote    string // client address, for the audit
}

// Result is a package written and kept under Deps.ExportDir.
type Result struct {
	ID        string
	Path      string // the kept zip
	Size      int64
	SHA256    string // of the whole zip
	KeepUntil time.Time
	Manifest  *Manifest
	// Warnings are facts a person must see: a source segment that no
	// longer matches its recorded digest, a camera with no footage.
	Warnings []string
}

// Export writes an evidence package of req under d.ExportDir, records an
// audit entry per camera, and only then returns the package.
func Export(ctx context.Context, d Deps, req Request) (*Result, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	cams, err := req.validate()
	if err != nil {
		return nil, err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	keep := d.Keep
	if keep == 0 {
		keep = DefaultKeep
	}
	if keep < MinKeep {
		return nil, fmt.Errorf("export: keep time %s is shorter than the minimum %s", keep, MinKeep)
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	open := d.OpenClip
	if open == nil {
		open = openPlayback
	}
	created := now().UTC().Truncate(time.Second)
	id, err := newID(created)
	if err != nil {
		return nil, err
	}
	pub := d.Key.Public().(ed25519.PublicKey)
	m := &Manifest{
		Format: FormatV1,
		ID:     id,
		Node: Node{ID: NodeID(pub), Name: d.NodeName, Algorithm: "ed25519",
			PublicKey: base64.StdEncoding.EncodeToString(pub)},
		ExportedBy: req.User,
		Reason:     req.Reason,
		Case:       req.Case,
		CreatedAt:  At(created),
		TimeZone:   LocalZoneName + " (UTC+07:00)",
		Range:      Span{From: At(req.From), To: At(req.To)},
		Stream:     req.Stream,
		Files:      []File{},
	}
	cameras := make([]*matthan.Camera, len(cams))
	for i, id := range cams {
		c, err := d.Store.Camera(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("export: camera %s: %w", id, err)
		}
		cameras[i] = c
	}

	if err := os.MkdirAll(d.ExportDir, 0o700); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	tmp, err := os.CreateTemp(d.ExportDir, ".tmp-"+id+"-*.zip")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	pw := newPackageWriter(newWriteback(tmp), created)
	defer pw.abort()
	res := &Result{ID: id, Manifest: m, KeepUntil: created.Add(keep)}
	checks := newSegmentChecks(ctx, d.RecordDir)
	defer checks.close()
	clips := 0
	pending := make([]cameraChecks, len(cameras))
	for i, c := range cameras {
		entry, p, err := d.exportCamera(ctx, pw, open, checks, c, req)
		if err != nil {
			return nil, fmt.Errorf("export: camera %s: %w", c.ID, err)
		}
		pending[i] = p
		clips += len(entry.Clips)
		m.Cameras = append(m.Cameras, entry)
	}
	for i := range m.Cameras {
		warnings, err := pending[i].finish(checks, &m.Cameras[i])
		if err != nil {
			return nil, fmt.Errorf("export: camera %s: %w", m.Cameras[i].ID, err)
		}
		res.Warnings = append(res.Warnings, warnings...)
	}
	if clips == 0 {
		return nil, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("nothing is recorded from %s to %s (Vietnam time) for %s", matthan.FormatLocal(req.From), matthan.FormatLocal(req.To), strings.Join(cams, ", ")),
			fmt.Sprintf("không có ghi hình từ %s đến %s (giờ Việt Nam) của %s", matthan.FormatLocal(req.From), matthan.FormatLocal(req.To), strings.Join(cams, ", ")))
	}
	if err := pw.add(ReadmeName, strings.NewReader(readme(m))); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	pemKey, err := publicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	if err := pw.add(PublicKeyName, strings.NewReader(pemKey)); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m.Files = pw.files
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export: manifest: %w", err)
	}
	mb = append(mb, '\n')
	if err := pw.addUnlisted(ManifestName, mb); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := pw.addUnlisted(SignatureName, ed25519.Sign(d.Key, mb)); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if res.Size, res.SHA256, err = pw.close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}

	// The audit comes before anyone can have the package.
	for _, c := range cameras {
		e := &matthan.AuditEntry{At: created, User: req.User, Action: "export", CameraID: c.ID,
			Stream: req.Stream, Remote: req.Remote, Detail: auditDetail(req, id, res.SHA256)}
		if err := d.Store.AddAudit(ctx, e); err != nil {
			return nil, fmt.Errorf("export: audit entry: %w", err)
		}
	}

	res.Path = filepath.Join(d.ExportDir, id+".zip")
	if err := os.Rename(tmp.Name(), res.Path); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	done = true
	if err := writeSidecar(d.ExportDir, storedOf(res, req, cams, created)); err != nil {
		os.Remove(res.Path)
		return nil, fmt.Errorf("export: %w", err)
	}
	syncDir(d.ExportDir)
	for _, w := range res.Warnings {
		log.Warn("evidence export", "export", id, "warning", w)
	}
	log.Info("evidence package exported", "export", id, "user", req.User, "cameras", strings.Join(cams, ","),
		"bytes", res.Size, "sha256", res.SHA256)
	return res, nil
}

func (d *Deps) check() error {
	switch {
	case d.Store == nil || d.Index == nil:
		return errors.New("export: Deps.Store and Deps.Index are required")
	case len(d.Key) != ed25519.PrivateKeySize:
		return errors.New("export: Deps.Key is not an Ed25519 private key")
	case d.RecordDir == "" || d.ExportDir == "":
		return errors.New("export: Deps.RecordDir and Deps.ExportDir are required")
	}
	return nil
}

// validate checks a request and returns its cameras, sorted and unique.
func (r *Request) validate() ([]string, error) {
	if r.Stream == "" {
		r.Stream = matthan.StreamMain
	}
	r.From, r.To = r.From.UTC(), r.To.UTC()
	r.User, r.Reason, r.Case = strings.TrimSpace(r.User), strings.TrimSpace(r.Reason), strings.TrimSpace(r.Case)
	var fields []matthan.FieldError
	add := func(name, en, vi string) {
		fields = append(fields, matthan.FieldError{Field: name, Message: en, MessageVI: vi})
	}
	cams := slices.Clone(r.CameraIDs)
	slices.Sort(cams)
	cams = slices.Compact(cams)
	cams = slices.DeleteFunc(cams, func(s string) bool { return s == "" })
	switch {
	case len(cams) == 0:
		add("cameras", "Choose at least one camera", "Hãy chọn ít nhất một camera")
	case len(cams) > MaxCameras:
		add("cameras", fmt.Sprintf("At most %d cameras per package", MaxCameras), fmt.Sprintf("Tối đa %d camera mỗi gói", MaxCameras))
	}
	if !slices.Contains(matthan.StreamRoles, r.Stream) {
		add("stream", `Must be "main" or "sub"`, `Phải là "main" hoặc "sub"`)
	}
	switch {
	case r.From.IsZero() || r.To.IsZero():
		add("range", "Both the start and the end are required", "Cần cả thời điểm bắt đầu và kết thúc")
	case !r.To.After(r.From):
		add("range", "The end must be after the start", "Thời điểm kết thúc phải sau thời điểm bắt đầu")
	case r.To.Sub(r.From) > MaxRange:
		add("range", fmt.Sprintf("At most %d days per package", int(MaxRange.Hours()/24)),
			fmt.Sprintf("Tối đa %d ngày mỗi gói", int(MaxRange.Hours()/24)))
	}
	if r.User == "" {
		add("user", "Who exports is required", "Cần ghi rõ người trích xuất")
	}
	if r.Reason == "" {
		add("reason", "A reason is required: every access to footage must be justified",
			"Cần nêu lý do: mọi truy cập dữ liệu ghi hình đều phải có căn cứ")
	}
	for name, v := range map[string]string{"user": r.User, "reason": r.Reason, "case": r.Case} {
		if len(v) > 2000 {
			add(name, "At most 2000 bytes", "Tối đa 2000 byte")
		}
	}
	if len(fields) > 0 {
		slices.SortFunc(fields, func(a, b matthan.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return nil, &matthan.Error{Code: matthan.EINVALID, Message: "The export request is not valid",
			MessageVI: "Yêu cầu trích xuất không hợp lệ", Fields: fields}
	}
	return cams, nil
}

// cameraChecks are a camera's warnings so far and the checks of its
// source segments, one per entry.Segments, still running.
type cameraChecks struct {
	warnings []string
	checks   []*segmentCheck
}

// finish waits for the checks and records them in entry.
func (p cameraChecks) finish(checks *segmentChecks, entry *Camera) ([]string, error) {
	warnings := p.warnings
	for i, c := range p.checks {
		check, err := checks.wait(c)
		if err != nil {
			return nil, err
		}
		s := &entry.Segments[i]
		s.FileCheck = check
		if check != FileOK {
			warnings = append(warnings, fmt.Sprintf("camera %s: source segment %s is %s since it was recorded (its SHA-256 no longer matches the index) / đoạn ghi hình gốc %s đã bị thay đổi hoặc mất", entry.ID, s.Path, check, s.Path))
		}
	}
	return warnings, nil
}

// cutTimeout bounds the wait for a recording segment to close: it closes
// at the next keyframe, which comes every few seconds.
const cutTimeout = 15 * time.Second

// exportCamera writes a camera's clips and describes them; the checks of
// its source segments go on in checks.
func (d *Deps) exportCamera(ctx context.Context, pw *packageWriter, open OpenClipFunc, checks *segmentChecks, c *matthan.Camera, req Request) (Camera, cameraChecks, error) {
	entry := Camera{ID: c.ID, Name: c.Name, Owner: c.Owner, Area: c.Area, Address: c.Address,
		Latitude: c.Latitude, Longitude: c.Longitude, Clips: []Clip{}, Segments: []Segment{}, Gaps: []Gap{}}
	if len(c.PrivacyMasks) > 0 {
		entry.PrivacyMasks = slices.Clone(c.PrivacyMasks)
	}
	var p cameraChecks
	if d.Cut != nil {
		cctx, cancel := context.WithTimeout(ctx, cutTimeout)
		err := d.Cut(cctx, c.ID, req.Stream, req.To)
		cancel()
		if err != nil {
			p.warnings = append(p.warnings, fmt.Sprintf("camera %s: the segment being recorded now could not be closed in time (%v); the package ends where the indexed footage ends / không đóng kịp đoạn đang ghi, gói chứng cứ chỉ gồm phần đã ghi xong", c.ID, err))
		}
	}
	used := map[string]*matthan.Segment{}
	from, prevEnd := req.From, time.Time{}
	for part := 1; part <= maxParts && from.Before(req.To); {
		clip, err := open(ctx, d.Index, d.RecordDir, c.ID, req.Stream, from, req.To)
		if matthan.ErrorCode(err) == matthan.ENOTFOUND {
			break
		}
		if err != nil {
			return entry, p, err
		}
		if !clip.End().After(prevEnd) || !clip.End().After(from) {
			clip.Close() // nothing new: the recording ends before the range does
			break
		}
		for _, s := range clip.Segments() {
			checks.add(s) // while the clip is written
		}
		ce, err := d.writeClip(ctx, pw, c.ID, part, clip, entry.PrivacyMasks)
		clip.Close()
		if err != nil {
			return entry, p, err
		}
		for _, s := range clip.Segments() {
			used[s.Path] = s
		}
		entry.Clips = append(entry.Clips, ce)
		opened := from
		prevEnd, from = clip.End(), clip.End()
		if nf, ok := clip.(interface{ NextFrom() time.Time }); ok {
			// The clip says where the rest begins, or (zero) that it
			// covers the whole range.
			next := nf.NextFrom()
			if !next.After(opened) {
				break
			}
			from = next
		}
		part++
	}
	if len(entry.Clips) == 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("camera %s: nothing recorded in the range / không có ghi hình trong khoảng thời gian", c.ID))
	}

	// The source segments: those the clips read, and every segment in the
	// range, so a reader sees the whole chain across the range.
	lo := req.From
	if len(entry.Clips) > 0 && entry.Clips[0].Start.UTC.Before(lo) {
		lo = entry.Clips[0].Start.UTC
	}
	segs, err := d.Index.Segments(ctx, matthan.SegmentFilter{CameraID: c.ID, Stream: req.Stream, From: lo, To: req.To, Limit: 100_000})
	if err != nil {
		return entry, p, fmt.Errorf("segments: %w", err)
	}
	for _, s := range segs {
		used[s.Path] = s
	}
	all := make([]*matthan.Segment, 0, len(used))
	for _, s := range used {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b *matthan.Segment) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	for i, s := range all {
		p.checks = append(p.checks, checks.add(s))
		entry.Segments = append(entry.Segments, Segment{
			Path: s.Path, Start: At(s.Start), End: At(s.End), Bytes: s.Bytes,
			SHA256: s.SHA256, PrevSHA256: s.PrevSHA256, Recovered: s.Recovered,
			ChainBreak: i > 0 && s.PrevSHA256 != all[i-1].SHA256,
		})
	}
	gaps, err := d.gaps(ctx, c.ID, req, all)
	if err != nil {
		return entry, p, err
	}
	entry.Gaps = gaps
	if last := len(gaps) - 1; d.Cut == nil && len(entry.Clips) > 0 && last >= 0 &&
		gaps[last].Reason == GapUnknown && gaps[last].End.UTC.Equal(req.To.UTC()) {
		// Without a recorder to close it (the command line beside a
		// running node), a segment being written is not in the index yet.
		p.warnings = append(p.warnings, fmt.Sprintf("camera %s: no closed recording from %s to the end of the range; if the camera is being recorded now, that footage is in the segment still being written: export it from the web or the API, which close it, or again once it is closed / không có đoạn ghi đã đóng từ %s đến cuối khoảng: nếu camera đang được ghi, phần đó nằm trong đoạn đang ghi; hãy trích xuất qua giao diện web hoặc API, hoặc thử lại khi đoạn đó đã đóng",
			c.ID, gaps[last].Start.Local, gaps[last].Start.Local))
	}
	return entry, p, nil
}

// writeClip adds a clip to the package as CAMERA-PART.mp4: its recorded
// samples as they are, or re-encoded with the masks when there are any.
func (d *Deps) writeClip(ctx context.Context, pw *packageWriter, cameraID string, part int, clip PlaybackClip, masks []matthan.PrivacyMask) (Clip, error) {
	name := fmt.Sprintf("%s-%d.mp4", cameraID, part)
	dur := clip.End().Sub(clip.Start())
	if d, ok := clip.(interface{ Duration() time.Duration }); ok {
		dur = d.Duration() // less the gaps between its segments
	}
	ce := Clip{File: name, Start: At(clip.Start()), End: At(clip.End()),
		DurationSeconds: seconds(dur), Segments: []string{}}
	for _, s := range clip.Segments() {
		ce.Segments = append(ce.Segments, s.Path)
	}
	if segs := clip.Segments(); len(segs) > 0 {
		ce.Codec, ce.Width, ce.Height, ce.Audio = segs[0].Codec, segs[0].Width, segs[0].Height, segs[0].Audio
	}
	if len(masks) > 0 {
		if err := d.writeMaskedClip(ctx, pw, name, clip, masks); err != nil {
			return ce, fmt.Errorf("clip %s: %w", name, err)
		}
		ce.PrivacyMasked, ce.SourceCodec, ce.Codec = true, ce.Codec, string(privacy.ClipCodec)
		return ce, nil
	}
	n, err := pw.addFrom(name, clip)
	if err != nil {
		return ce, fmt.Errorf("clip %s: %w", name, err)
	}
	if n != clip.Size() {
		return ce, fmt.Errorf("clip %s: wrote %d bytes, the clip said %d", name, n, clip.Size())
	}
	return ce, nil
}

// writeMaskedClip adds the clip re-encoded by ffmpeg with the masks painted
// over its video. The recorded clip and the masked one are files (ffmpeg
// seeks in both) in a temporary directory beside the packages, removed
// after.
func (d *Deps) writeMaskedClip(ctx context.Context, pw *packageWriter, name string, clip PlaybackClip, masks []matthan.PrivacyMask) error {
	dir, err := os.MkdirTemp(d.ExportDir, ".tmp-mask-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src, dst := filepath.Join(dir, "recorded.mp4"), filepath.Join(dir, "masked.mp4")
	if err := writeFile(src, clip); err != nil {
		return err
	}
	if err := privacy.MaskClip(ctx, src, dst, masks, privacy.ClipOptions{FFmpeg: d.FFmpeg}); err != nil {
		return err
	}
	f, err := os.Open(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	n, err := pw.addFrom(name, writerTo{f})
	if err != nil {
		return err
	}
	if n != st.Size() {
		return fmt.Errorf("wrote %d bytes of the masked clip, its file has %d", n, st.Size())
	}
	return nil
}

// writeFile writes src to a new file at path.
func writeFile(path string, src io.WriterTo) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	_, err = src.WriteTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// gaps returns the parts of [req.From, req.To) that no segment covers,
// with the reasons the index recorded, or GapUnknown where it has none.
func (d *Deps) gaps(ctx context.Context, cameraID string, req Request, segs []*matthan.Segment) ([]Gap, error) {
	type span struct{ from, to time.Time }
	var holes []span
	cursor := req.From
	for _, s := range segs {
		if s.Start.Sub(cursor) > gapTolerance {
			holes = append(holes, span{cursor, minTime(s.Start, req.To)})
		}
		if s.End.After(cursor) {
			cursor = s.End
		}
		if !cursor.Before(req.To) {
			break
		}
	}
	if req.To.Sub(cursor) > gapTolerance {
		holes = append(holes, span{cursor, req.To})
	}
	out := []Gap{}
	if len(holes) == 0 {
		return out, nil
	}
	recorded, err := d.Index.Gaps(ctx, matthan.GapFilter{CameraID: cameraID, Stream: req.Stream, From: req.From, To: req.To, Limit: 100_000})
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	for _, h := range holes {
		at := h.from
		for _, g := range recorded {
			end := g.End
			if end.IsZero() { // still open
				end = h.to
			}
			from, to := maxTime(g.Start, at), minTime(end, h.to)
			if !to.After(from) {
				continue
			}
			if from.Sub(at) > gapTolerance {
				out = append(out, Gap{Start: At(at), End: At(from), Reason: GapUnknown})
			}
			out = append(out, Gap{Start: At(from), End: At(to), Reason: g.Reason, Detail: g.Detail})
			at = to
		}
		if h.to.Sub(at) > gapTolerance {
			out = append(out, Gap{Start: At(at), End: At(h.to), Reason: GapUnknown})
		}
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// newID names an export by its creation time and random bits.
func newID(created time.Time) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return "exp-" + created.Format("20060102T150405Z") + "-" + hex.EncodeToString(b), nil
}

func auditDetail(req Request, id, sum string) string {
	s := fmt.Sprintf("reason: %s; ", req.Reason)
	if req.Case != "" {
		s += fmt.Sprintf("case: %s; ", req.Case)
	}
	return s + fmt.Sprintf("range: %s – %s (Asia/Ho_Chi_Minh), %s – %s (UTC); package: %s; sha256: %s",
		matthan.FormatLocal(req.From), matthan.FormatLocal(req.To), req.From.Format(time.RFC3339), req.To.Format(time.RFC3339), id, sum)
}

// packageWriter writes a package's zip entries, stored and timestamped
// with the export's time, and lists each with its size and digest.
type packageWriter struct {
	bw       *bufio.Writer
	zw       *zip.Writer
	whole    *asyncHash // of the zip file
	size     *countWriter
	modified time.Time
	files    []File
}

func newPackageWriter(w io.Writer, modified time.Time) *packageWriter {
	pw := &packageWriter{whole: newAsyncHash(), size: &countWriter{}, modified: modified, files: []File{}}
	pw.bw = bufio.NewWriterSize(io.MultiWriter(w, pw.whole, pw.size), 1<<20)
	pw.zw = zip.NewWriter(pw.bw)
	return pw
}

func (pw *packageWriter) entry(name string) (io.Writer, error) {
	return pw.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: pw.modified})
}

// addFrom adds a listed file written by src.
func (pw *packageWriter) addFrom(name string, src io.WriterTo) (int64, error) {
	w, err := pw.entry(name)
	if err != nil {
		return 0, err
	}
	h := newAsyncHash()
	defer h.close()
	n, err := src.WriteTo(io.MultiWriter(w, h))
	if err != nil {
		return n, err
	}
	pw.files = append(pw.files, File{Name: name, Size: n, SHA256: h.sum()})
	return n, nil
}

// add adds a listed file read from r.
func (pw *packageWriter) add(name string, r io.Reader) error {
	_, err := pw.addFrom(name, writerTo{r})
	return err
}

// addUnlisted adds manifest.json or manifest.sig.
func (pw *packageWriter) addUnlisted(name string, b []byte) error {
	w, err := pw.entry(name)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// close finishes the zip and returns its size and digest.
func (pw *packageWriter) close() (int64, string, error) {
	if err := pw.zw.Close(); err != nil {
		return 0, "", err
	}
	if err := pw.bw.Flush(); err != nil {
		return 0, "", err
	}
	return pw.size.n, pw.whole.sum(), nil
}

// abort stops the package writer's hashing after a failure; it is a no-op
// after close.
func (pw *packageWriter) abort() { pw.whole.close() }

type writerTo struct{ r io.Reader }

func (w writerTo) WriteTo(dst io.Writer) (int64, error) { return io.Copy(dst, w.r) }

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
