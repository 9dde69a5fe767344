package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"matthan"
	"matthan/internal/export"
)

// Evidence: locks that keep a camera's footage from retention for a case,
// and signed evidence packages. Every change and every download is audited.

// maxTextBytes bounds a case number or a reason, as internal/export does.
const maxTextBytes = 2000

// lockInput is the body of POST /api/cameras/{id}/locks. Times are RFC 3339
// or dd/MM/yyyy HH:mm:ss in Vietnam time.
type lockInput struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Case   string `json:"case"`
	Reason string `json:"reason"`
}

// lockView is a lock as the API shows it, its times also in Vietnam time.
type lockView struct {
	ID              int64      `json:"id"`
	CameraID        string     `json:"camera_id"`
	Start           time.Time  `json:"start"`
	End             time.Time  `json:"end"`
	StartLocal      string     `json:"start_local"`
	EndLocal        string     `json:"end_local"`
	Case            string     `json:"case"`
	Reason          string     `json:"reason"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	CreatedAtLocal  string     `json:"created_at_local"`
	Active          bool       `json:"active"`
	ReleasedBy      string     `json:"released_by,omitempty"`
	ReleasedAt      *time.Time `json:"released_at,omitempty"`
	ReleasedAtLocal string     `json:"released_at_local,omitempty"`
}

func viewLock(l *matthan.EvidenceLock, now time.Time) lockView {
	v := lockView{ID: l.ID, CameraID: l.CameraID, Start: l.Start.UTC(), End: l.End.UTC(),
		StartLocal: matthan.FormatLocal(l.Start), EndLocal: matthan.FormatLocal(l.End),
		Case: l.Case, Reason: l.Reason, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt.UTC(), CreatedAtLocal: matthan.FormatLocal(l.CreatedAt),
		Active: l.ReleasedAt.IsZero() || l.ReleasedAt.After(now), ReleasedBy: l.ReleasedBy}
	if !l.ReleasedAt.IsZero() {
		at := l.ReleasedAt.UTC()
		v.ReleasedAt, v.ReleasedAtLocal = &at, matthan.FormatLocal(at)
	}
	return v
}

// fieldErrors collects the field errors of a request body.
type fieldErrors []matthan.FieldError

func (f *fieldErrors) add(field, en, vi string) {
	*f = append(*f, matthan.FieldError{Field: field, Message: en, MessageVI: vi})
}

// time reads a required time field.
func (f *fieldErrors) time(field, v string) time.Time {
	if strings.TrimSpace(v) == "" {
		f.add(field, "required", "bắt buộc")
		return time.Time{}
	}
	t, err := matthan.ParseTime(field, v)
	var e *matthan.Error
	if errors.As(err, &e) {
		*f = append(*f, e.Fields...)
	}
	return t
}

// text reads a free-text field, trimmed and bounded.
func (f *fieldErrors) text(field, v string, required bool) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		f.add(field, "required", "bắt buộc")
	case len(v) > maxTextBytes:
		f.add(field, fmt.Sprintf("At most %d bytes", maxTextBytes), fmt.Sprintf("Tối đa %d byte", maxTextBytes))
	}
	return v
}

// rangeAfter checks that to is after from when both were read.
func (f *fieldErrors) rangeAfter(from, to time.Time) {
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		f.add("to", "Must be after from", "Phải sau thời điểm bắt đầu (from)")
	}
}

func (f fieldErrors) err(en, vi string) error {
	if len(f) == 0 {
		return nil
	}
	return &matthan.Error{Code: matthan.EINVALID, Message: en, MessageVI: vi, Fields: f}
}

// localRange writes a range for audit details, in both zones.
func localRange(from, to time.Time) string {
	return fmt.Sprintf("%s – %s (Asia/Ho_Chi_Minh), %s – %s (UTC)", matthan.FormatLocal(from), matthan.FormatLocal(to),
		from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
}

// auditEvidence records a change to evidence that is already done: a
// failing audit write is logged rather than answered, since the client
// would retry a change that happened. The lock row itself keeps who and
// when, so the change is never unrecorded.
func (s *Server) auditEvidence(r *http.Request, u *matthan.User, action, camera, detail string) {
	e := &matthan.AuditEntry{At: s.now().UTC(), User: u.Name, Action: action, CameraID: camera,
		Remote: remoteHost(r), Detail: detail}
	if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "audit write failed", "camera", camera, "action", action, "err", err)
	}
	s.log.InfoContext(r.Context(), "evidence", "camera", camera, "action", action, "user", u.Name)
}

func errLocksOff() error {
	return matthan.Errorf(matthan.ENOTFOUND,
		"Evidence locks are not available on this node",
		"Nút này không hỗ trợ khóa chứng cứ")
}

func errLockNotFound() error {
	return matthan.Errorf(matthan.ENOTFOUND, "No such evidence lock", "Không có khóa chứng cứ này")
}

// handleCreateLock answers POST /api/cameras/{id}/locks: the camera's
// footage in [from, to) is kept from retention until the lock is released.
func (s *Server) handleCreateLock(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.Recordings == nil {
		return errLocksOff()
	}
	id := r.PathValue("id")
	if _, err := s.deps.Store.Camera(r.Context(), id); err != nil {
		return fmt.Errorf("camera: %w", err)
	}
	var in lockInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var bad fieldErrors
	l := &matthan.EvidenceLock{CameraID: id, CreatedBy: u.Name, CreatedAt: s.now().UTC()}
	l.Start, l.End = bad.time("from", in.From), bad.time("to", in.To)
	bad.rangeAfter(l.Start, l.End)
	l.Case = bad.text("case", in.Case, true)
	l.Reason = bad.text("reason", in.Reason, true)
	if err := bad.err("The evidence lock has invalid fields", "Khóa chứng cứ có trường không hợp lệ"); err != nil {
		return err
	}
	if err := s.deps.Recordings.AddLock(r.Context(), l); err != nil {
		return fmt.Errorf("add evidence lock: %w", err)
	}
	s.auditEvidence(r, u, "evidence.lock", id, fmt.Sprintf("lock %d; case: %s; reason: %s; range: %s",
		l.ID, l.Case, l.Reason, localRange(l.Start, l.End)))
	s.writeJSON(w, r, http.StatusCreated, viewLock(l, s.now()))
	return nil
}

// handleListLocks answers GET /api/locks, by start time. Query (all
// optional): camera, active (1: only locks that still hold), from and to
// (locks overlapping the range).
func (s *Server) handleListLocks(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	if s.deps.Recordings == nil {
		return errLocksOff()
	}
	q := r.URL.Query()
	f := matthan.LockFilter{CameraID: q.Get("camera")}
	if v := q.Get("active"); v != "" {
		active, err := strconv.ParseBool(v)
		if err != nil {
			return fieldInvalid("active", "Must be 1 or 0 (true or false)", "Phải là 1 hoặc 0 (true hoặc false)")
		}
		f.Active = active
	}
	var err error
	if f.From, _, err = queryTime(q, "from"); err != nil {
		return err
	}
	if f.To, _, err = queryTime(q, "to"); err != nil {
		return err
	}
	locks, err := s.deps.Recordings.Locks(r.Context(), f)
	if err != nil {
		return fmt.Errorf("evidence locks: %w", err)
	}
	views := make([]lockView, 0, len(locks))
	for _, l := range locks {
		views = append(views, viewLock(l, s.now()))
	}
	s.writeJSON(w, r, http.StatusOK, views)
	return nil
}

// releaseInput is the optional body of a release: why the lock ends.
type releaseInput struct {
	Reason string `json:"reason"`
}

// handleReleaseLock answers POST /api/locks/{lockID}/release; 409 when the
// lock was released already. The body {"reason": "..."} is optional.
func (s *Server) handleReleaseLock(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.Recordings == nil {
		return errLocksOff()
	}
	id, err := strconv.ParseInt(r.PathValue("lockID"), 10, 64)
	if err != nil || id <= 0 {
		return errLockNotFound()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return badBody("The request body is larger than 1 MiB", "Nội dung yêu cầu lớn hơn 1 MiB")
	}
	var in releaseInput
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(bytes.NewReader(body), &in); err != nil {
			return err
		}
	}
	var bad fieldErrors
	why := bad.text("reason", in.Reason, false)
	if err := bad.err("The release has invalid fields", "Yêu cầu mở khóa có trường không hợp lệ"); err != nil {
		return err
	}

	locks, err := s.deps.Recordings.Locks(r.Context(), matthan.LockFilter{ID: id})
	if err != nil {
		return fmt.Errorf("evidence locks: %w", err)
	}
	if len(locks) == 0 {
		return errLockNotFound()
	}
	l := locks[0]
	at := s.now().UTC()
	if err := s.deps.Recordings.ReleaseLock(r.Context(), id, u.Name, at); err != nil {
		return fmt.Errorf("release evidence lock: %w", err) // ECONFLICT when released already
	}
	l.ReleasedBy, l.ReleasedAt = u.Name, at
	detail := fmt.Sprintf("lock %d; case: %s; range: %s", l.ID, l.Case, localRange(l.Start, l.End))
	if why != "" {
		detail += "; reason for release: " + why
	}
	s.auditEvidence(r, u, "evidence.unlock", l.CameraID, detail)
	s.writeJSON(w, r, http.StatusOK, viewLock(l, s.now()))
	return nil
}

// exportInput is the body of POST /api/exports.
type exportInput struct {
	Cameras []string           `json:"cameras"`
	From    string             `json:"from"`
	To      string             `json:"to"`
	Reason  string             `json:"reason"`
	Case    string             `json:"case"`
	Stream  matthan.StreamRole `json:"stream"`
}

// exportView is a kept evidence package as the API shows it.
type exportView struct {
	ID             string    `json:"id"`
	Size           int64     `json:"size"`
	SHA256         string    `json:"sha256"`
	CreatedAt      time.Time `json:"created_at"`
	CreatedAtLocal string    `json:"created_at_local"`
	KeepUntil      time.Time `json:"keep_until"`
	KeepUntilLocal string    `json:"keep_until_local"`
	ExportedBy     string    `json:"exported_by"`
	Reason         string    `json:"reason"`
	Case           string    `json:"case,omitempty"`
	Cameras        []string  `json:"cameras"`
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	FromLocal      string    `json:"from_local"`
	ToLocal        string    `json:"to_local"`
	Download       string    `json:"download"` // URL of the zip
}

func viewExport(st export.Stored) exportView {
	cams := st.Cameras
	if cams == nil {
		cams = []string{}
	}
	return exportView{ID: st.ID, Size: st.Size, SHA256: st.SHA256,
		CreatedAt: st.CreatedAt.UTC(), CreatedAtLocal: matthan.FormatLocal(st.CreatedAt),
		KeepUntil: st.KeepUntil.UTC(), KeepUntilLocal: matthan.FormatLocal(st.KeepUntil),
		ExportedBy: st.ExportedBy, Reason: st.Reason, Case: st.Case, Cameras: cams,
		From: st.From.UTC(), To: st.To.UTC(), FromLocal: matthan.FormatLocal(st.From), ToLocal: matthan.FormatLocal(st.To),
		Download: "/api/exports/" + url.PathEscape(st.ID) + ".zip"}
}

func errExportsOff() error {
	return matthan.Errorf(matthan.ENOTFOUND,
		"Evidence export is not available on this node",
		"Nút này không hỗ trợ trích xuất chứng cứ")
}

func errExportNotFound() error {
	return matthan.Errorf(matthan.ENOTFOUND,
		"No such evidence package on this node",
		"Không có gói chứng cứ này trên nút")
}

// handleCreateExport answers POST /api/exports: it writes a signed evidence
// package (audited by internal/export, one row per camera) and answers 201
// with what was written and where to download it.
func (s *Server) handleCreateExport(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.Exports == nil {
		return errExportsOff()
	}
	var in exportInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var bad fieldErrors
	if len(in.Cameras) == 0 {
		bad.add("cameras", "Choose at least one camera", "Hãy chọn ít nhất một camera")
	}
	from, to := bad.time("from", in.From), bad.time("to", in.To)
	bad.rangeAfter(from, to)
	reason := bad.text("reason", in.Reason, true)
	kase := bad.text("case", in.Case, false)
	if in.Stream != "" && in.Stream != matthan.StreamMain && in.Stream != matthan.StreamSub {
		bad.add("stream", `Must be "main" or "sub"`, `Phải là "main" hoặc "sub"`)
	}
	if err := bad.err("The export request is not valid", "Yêu cầu trích xuất không hợp lệ"); err != nil {
		return err
	}
	_, v, err := s.exportShared(r, u, export.Request{CameraIDs: in.Cameras, Stream: in.Stream, From: from, To: to,
		Reason: reason, Case: kase})
	if err != nil {
		return err
	}
	w.Header().Set("Location", v.Download)
	s.writeJSON(w, r, http.StatusCreated, v)
	return nil
}

// createdView is a package just made, as the export routes answer.
type createdView struct {
	exportView
	ItemID    int64    `json:"item_id,omitempty"` // a case's export item
	NodeID    string   `json:"node_id"`
	PublicKey string   `json:"public_key"` // base64 Ed25519, for `matthan verify --key`
	Warnings  []string `json:"warnings"`
}

// exportShared makes the package req asks for, as u from r, once each
// camera's sharing allows playback of the range (an unknown camera is
// export's to report, with the others).
func (s *Server) exportShared(r *http.Request, u *matthan.User, req export.Request) (*export.Result, createdView, error) {
	for _, id := range req.CameraIDs {
		if err := s.playbackShared(r, id, req.From, req.To); err != nil && matthan.ErrorCode(err) != matthan.ENOTFOUND {
			return nil, createdView{}, err
		}
	}
	req.User, req.Remote = u.Name, remoteHost(r)
	// A client that hangs up (a closed tab, a proxy's timeout: a masked
	// camera's clips are re-encoded and take minutes) does not stop the
	// export: the package is kept and listed for download.
	res, err := export.Export(context.WithoutCancel(r.Context()), *s.deps.Exports, req)
	if err != nil {
		return nil, createdView{}, err
	}
	m := res.Manifest
	st := export.Stored{ID: res.ID, File: filepath.Base(res.Path), Size: res.Size, SHA256: res.SHA256,
		CreatedAt: m.CreatedAt.UTC, KeepUntil: res.KeepUntil, ExportedBy: m.ExportedBy, Reason: m.Reason,
		Case: m.Case, From: m.Range.From.UTC, To: m.Range.To.UTC}
	for _, c := range m.Cameras {
		st.Cameras = append(st.Cameras, c.ID)
	}
	v := createdView{exportView: viewExport(st), NodeID: m.Node.ID, PublicKey: m.Node.PublicKey, Warnings: res.Warnings}
	if v.Warnings == nil {
		v.Warnings = []string{}
	}
	return res, v, nil
}

// handleListExports answers GET /api/exports: the packages kept on the
// node, newest first.
func (s *Server) handleListExports(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	if s.deps.Exports == nil {
		return errExportsOff()
	}
	kept, err := export.List(s.deps.Exports.ExportDir)
	if err != nil {
		return err
	}
	views := make([]exportView, 0, len(kept))
	for i := len(kept) - 1; i >= 0; i-- {
		views = append(views, viewExport(kept[i]))
	}
	s.writeJSON(w, r, http.StatusOK, views)
	return nil
}

// handleDownloadExport answers GET /api/exports/{ID}.zip with the package,
// range requests allowed. Each request is audited before a byte is sent.
func (s *Server) handleDownloadExport(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.Exports == nil {
		return errExportsOff()
	}
	id, ok := strings.CutSuffix(r.PathValue("file"), ".zip")
	if !ok || id == "" {
		return errExportNotFound()
	}
	// Only a listed ID names a file: nothing from the URL reaches a path
	// unchecked.
	kept, err := export.List(s.deps.Exports.ExportDir)
	if err != nil {
		return err
	}
	var st *export.Stored
	for i := range kept {
		if kept[i].ID == id {
			st = &kept[i]
		}
	}
	if st == nil {
		return errExportNotFound()
	}
	f, err := os.Open(filepath.Join(s.deps.Exports.ExportDir, st.ID+".zip"))
	if errors.Is(err, fs.ErrNotExist) {
		return errExportNotFound()
	} else if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	detail := fmt.Sprintf("package %s; sha256: %s", st.ID, st.SHA256)
	if rg := r.Header.Get("Range"); rg != "" {
		detail += "; range=" + rg
	}
	cams := st.Cameras
	if len(cams) == 0 {
		cams = []string{""}
	}
	// One row per camera, as the export itself is audited, so the audit
	// log of a camera shows every copy of its footage. A failed write
	// refuses the download: no unlogged copy.
	for _, c := range cams {
		e := &matthan.AuditEntry{At: s.now().UTC(), User: u.Name, Action: "export.download", CameraID: c,
			Remote: remoteHost(r), Detail: detail}
		if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
			return fmt.Errorf("audit export.download: %w", err)
		}
	}
	s.log.InfoContext(r.Context(), "evidence package downloaded", "export", st.ID, "user", u.Name)
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.zip"`, st.ID))
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+st.SHA256+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
