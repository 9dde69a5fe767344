package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"matthan"
	"matthan/internal/playback"
)

// Playback: recorded spans and gaps, clips as one MP4, HLS for timeline
// scrubbing, and thumbnails. Every access to footage is audited.

// hlsTokenTTL is how long the part URLs of a playlist stay valid.
const hlsTokenTTL = 12 * time.Hour

// defaultListRange is what /recordings lists without from and to.
const defaultListRange = 24 * time.Hour

func errRecordingsOff() error {
	return matthan.Errorf(matthan.ENOTFOUND,
		"Recordings are not available on this node",
		"Nút này không có dữ liệu ghi hình")
}

// playbackTarget checks recordings are served, the camera exists and the
// stream query is valid.
func (s *Server) playbackTarget(r *http.Request) (id string, stream matthan.StreamRole, err error) {
	if s.deps.Recordings == nil {
		return "", "", errRecordingsOff()
	}
	id = r.PathValue("id")
	if _, err := s.deps.Store.Camera(r.Context(), id); err != nil {
		return "", "", fmt.Errorf("camera: %w", err)
	}
	stream = matthan.StreamMain
	if v := r.URL.Query().Get("stream"); v != "" {
		stream = matthan.StreamRole(v)
		if stream != matthan.StreamMain && stream != matthan.StreamSub {
			return "", "", fieldInvalid("stream", `Must be "main" or "sub"`, `Phải là "main" hoặc "sub"`)
		}
	}
	return id, stream, nil
}

func fieldInvalid(field, en, vi string) error {
	return &matthan.Error{Code: matthan.EINVALID, Message: "Invalid query", MessageVI: "Tham số truy vấn không hợp lệ",
		Fields: []matthan.FieldError{{Field: field, Message: en, MessageVI: vi}}}
}

// queryTime reads a time from the query; ok is false when it is absent.
func queryTime(q url.Values, name string) (t time.Time, ok bool, err error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err = matthan.ParseTime(name, v)
	return t, err == nil, err
}

// queryRange reads from and to, both required, with to after from.
func queryRange(q url.Values) (from, to time.Time, err error) {
	from, okFrom, err := queryTime(q, "from")
	if err != nil {
		return from, to, err
	}
	to, okTo, err := queryTime(q, "to")
	if err != nil {
		return from, to, err
	}
	switch {
	case !okFrom:
		return from, to, fieldInvalid("from", "required", "bắt buộc")
	case !okTo:
		return from, to, fieldInvalid("to", "required", "bắt buộc")
	case !to.After(from):
		return from, to, fieldInvalid("to", "Must be after from", "Phải sau thời điểm bắt đầu (from)")
	}
	return from, to, nil
}

// auditPlayback records an access to footage. The footage is about to be
// served, so a failing audit write refuses it: no unlogged viewing.
func (s *Server) auditPlayback(r *http.Request, u *matthan.User, action, id string, stream matthan.StreamRole, detail string) error {
	e := &matthan.AuditEntry{At: s.now().UTC(), User: u.Name, Action: action, CameraID: id,
		Stream: stream, Remote: remoteHost(r), Detail: detail}
	if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	s.log.InfoContext(r.Context(), "playback", "camera", id, "stream", string(stream), "action", action, "user", u.Name)
	return nil
}

func rangeDetail(from, to time.Time) string {
	return "from=" + from.UTC().Format(time.RFC3339Nano) + " to=" + to.UTC().Format(time.RFC3339Nano)
}

func (s *Server) handleRecordings(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	id, stream, err := s.playbackTarget(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, okFrom, err := queryTime(q, "from")
	if err != nil {
		return err
	}
	to, okTo, err := queryTime(q, "to")
	if err != nil {
		return err
	}
	if !okTo {
		to = s.now().UTC()
	}
	if !okFrom {
		from = to.Add(-defaultListRange)
	}
	spans, gaps, err := playback.Spans(r.Context(), s.deps.Recordings, id, stream, from, to)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		CameraID string             `json:"camera_id"`
		Stream   matthan.StreamRole `json:"stream"`
		From     time.Time          `json:"from"`
		To       time.Time          `json:"to"`
		Spans    []playback.Span    `json:"spans"`
		Gaps     []*matthan.Gap     `json:"gaps"`
	}{id, stream, from, to, spans, gaps})
	return nil
}

func (s *Server) handleClip(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id, stream, err := s.playbackTarget(r)
	if err != nil {
		return err
	}
	from, to, err := queryRange(r.URL.Query())
	if err != nil {
		return err
	}
	if err := s.playbackShared(r, id, from, to); err != nil {
		return err
	}
	clip, err := playback.Open(r.Context(), s.deps.Recordings, s.deps.RecordingsDir, id, stream, from, to)
	if err != nil {
		return err
	}
	defer clip.Close()
	detail := rangeDetail(from, to)
	if rg := r.Header.Get("Range"); rg != "" {
		detail += " range=" + rg
	}
	if err := s.auditPlayback(r, u, "playback.mp4", id, stream, detail); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	disp := "inline"
	if r.URL.Query().Get("download") == "1" {
		disp = "attachment"
	}
	h.Set("Content-Disposition", fmt.Sprintf(`%s; filename="%s"`, disp, clipFilename(id, stream, clip.Start())))
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", clipETag(clip))
	h.Set("X-Matthan-Clip-Start", clip.Start().UTC().Format(time.RFC3339Nano))
	h.Set("X-Matthan-Clip-End", clip.End().UTC().Format(time.RFC3339Nano))
	if next := clip.NextFrom(); !next.IsZero() {
		// The clip stopped early (codec parameters changed, or the longest
		// clip was reached): ask again from here for the rest.
		h.Set("X-Matthan-Next-From", next.UTC().Format(time.RFC3339Nano))
	}
	http.ServeContent(w, r, "", time.Time{}, clip.NewReader())
	return nil
}

// clipFilename names a clip by camera, stream and local start time.
func clipFilename(id string, stream matthan.StreamRole, start time.Time) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
	local := strings.NewReplacer("/", "", ":", "", " ", "_").Replace(matthan.FormatLocal(start))
	// ddMMyyyy_HHmmss reads as the local date people write.
	return fmt.Sprintf("%s_%s_%s.mp4", safe, stream, local)
}

// clipETag identifies a clip's bytes: its header (every size and offset)
// and the hashes of the segments its samples come from.
func clipETag(c *playback.Clip) string {
	h := sha256.New()
	var hdr [4096]byte
	n, _ := c.ReadAt(hdr[:], 0)
	h.Write(hdr[:n])
	fmt.Fprintf(h, "%d", c.Size())
	for _, s := range c.Segments() {
		h.Write([]byte(s.SHA256))
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

func (s *Server) handleThumbnail(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id, stream, err := s.playbackTarget(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	at, ok, err := queryTime(q, "at")
	if err != nil {
		return err
	}
	if !ok {
		return fieldInvalid("at", "required", "bắt buộc")
	}
	width := 0
	if v := q.Get("width"); v != "" {
		if width, err = strconv.Atoi(v); err != nil || width < 0 || width > playback.MaxThumbnailWidth {
			return fieldInvalid("width", fmt.Sprintf("Must be a number of pixels up to %d", playback.MaxThumbnailWidth),
				fmt.Sprintf("Phải là số điểm ảnh, tối đa %d", playback.MaxThumbnailWidth))
		}
	}
	if err := s.playbackShared(r, id, at, at); err != nil {
		return err
	}
	jpeg, err := playback.Thumbnail(r.Context(), s.deps.Recordings, s.deps.RecordingsDir, id, stream, at,
		playback.ThumbnailOptions{FFmpeg: s.deps.FFmpeg, Width: width})
	if err != nil {
		return err
	}
	if jpeg, err = s.maskSnapshot(r.Context(), id, jpeg); err != nil {
		return err
	}
	if err := s.auditPlayback(r, u, "playback.thumbnail", id, stream, "at="+at.UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(jpeg)
	return nil
}

// HLS: the playlist is the audited start of a session. Its init and part
// URLs carry a token bound to the user, the camera and the exact bytes, so
// footage is only reachable through an audited playlist.

func (s *Server) handleHLSPlaylist(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id, stream, err := s.playbackTarget(r)
	if err != nil {
		return err
	}
	from, to, err := queryRange(r.URL.Query())
	if err != nil {
		return err
	}
	if err := s.playbackShared(r, id, from, to); err != nil {
		return err
	}
	pl, err := playback.NewPlaylist(r.Context(), s.deps.Recordings, s.deps.RecordingsDir, id, stream, from, to)
	if err != nil {
		return err
	}
	if err := s.auditPlayback(r, u, "playback.hls", id, stream, fmt.Sprintf("%s parts=%d", rangeDetail(from, to), len(pl.Parts))); err != nil {
		return err
	}
	exp := strconv.FormatInt(s.now().Add(hlsTokenTTL).Unix(), 10)
	initURL := func(path string) string {
		v := url.Values{"path": {path}, "exp": {exp}}
		v.Set("token", s.hlsToken(u.Name, id, v))
		return "init.mp4?" + v.Encode()
	}
	partURL := func(p playback.Part) string {
		v := url.Values{"path": {p.Segment.Path}, "from": {strconv.FormatInt(p.From, 10)},
			"to": {strconv.FormatInt(p.To, 10)}, "t": {strconv.FormatInt(p.OutStart, 10)}, "exp": {exp}}
		v.Set("token", s.hlsToken(u.Name, id, v))
		return "part.m4s?" + v.Encode()
	}
	var b bytes.Buffer
	if err := pl.Encode(&b, initURL, partURL); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(b.Bytes())
	return nil
}

// hlsToken signs the query values of an init or part URL (all but token)
// for a user and camera.
func (s *Server) hlsToken(user, camera string, v url.Values) string {
	m := hmac.New(sha256.New, s.hlsKey)
	fmt.Fprintf(m, "%s\x00%s", user, camera)
	for _, k := range []string{"path", "from", "to", "t", "exp"} {
		fmt.Fprintf(m, "\x00%s=%s", k, v.Get(k))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func errBadToken() error {
	return matthan.Errorf(matthan.EFORBIDDEN,
		"This playback link is not valid for you or has expired; open the playlist again",
		"Liên kết phát lại này không hợp lệ với bạn hoặc đã hết hạn; hãy mở lại danh sách phát")
}

// hlsSegment checks an init or part URL's token and returns its segment.
func (s *Server) hlsSegment(r *http.Request, u *matthan.User) (*matthan.Segment, error) {
	if s.deps.Recordings == nil {
		return nil, errRecordingsOff()
	}
	id := r.PathValue("id")
	q := r.URL.Query()
	want := s.hlsToken(u.Name, id, q)
	if !hmac.Equal([]byte(q.Get("token")), []byte(want)) {
		return nil, errBadToken()
	}
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || s.now().Unix() > exp {
		return nil, errBadToken()
	}
	seg, err := s.deps.Recordings.SegmentByPath(r.Context(), q.Get("path"))
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	if seg.CameraID != id {
		return nil, errBadToken()
	}
	return seg, nil
}

func (s *Server) handleHLSInit(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	seg, err := s.hlsSegment(r, u)
	if err != nil {
		return err
	}
	b, err := playback.ReadInit(s.deps.RecordingsDir, seg)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(b)
	return nil
}

func (s *Server) handleHLSPart(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	seg, err := s.hlsSegment(r, u)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
	t, err3 := strconv.ParseInt(q.Get("t"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || !playback.ValidPart(seg, from, to) {
		return fieldInvalid("from", "Not a part of this segment", "Không phải một phần của đoạn ghi hình này")
	}
	pw := &partWriter{w: w, size: to - from}
	if err := playback.WritePart(pw, s.deps.RecordingsDir, seg, from, to, t); err != nil {
		if !pw.started {
			return err
		}
		// Too late for an error status: the client sees a short body.
		s.log.ErrorContext(r.Context(), "hls part cut short", "camera", seg.CameraID, "path", seg.Path, "err", err)
	}
	return nil
}

// partWriter sends the headers of a part with its first bytes, so an error
// found before any byte is written can still be answered with its status.
type partWriter struct {
	w       http.ResponseWriter
	size    int64
	started bool
}

func (p *partWriter) Write(b []byte) (int, error) {
	if !p.started {
		p.started = true
		h := p.w.Header()
		h.Set("Content-Type", "video/iso.segment")
		h.Set("Content-Length", strconv.FormatInt(p.size, 10))
		h.Set("Cache-Control", "private, max-age=3600")
		p.w.WriteHeader(http.StatusOK)
	}
	return p.w.Write(b)
}
