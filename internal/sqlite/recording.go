package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"matthan"
)

var _ matthan.RecordingIndex = (*DB)(nil)

const (
	// A day of one-minute segments of a few cameras fits one default page;
	// the cap bounds what a caller can ask the store to hold in memory.
	defaultRecordingLimit = 1000
	maxRecordingLimit     = 100_000
)

func recordingLimit(n int) int {
	if n <= 0 {
		return defaultRecordingLimit
	}
	return min(n, maxRecordingLimit)
}

const segmentColumns = `id, camera_id, stream, path, start_at, end_at, media_start, duration,
	frames, bytes, codec, width, height, audio, keyframes, sha256, prev_sha256, recovered`

// encodeKeyframes writes keyframes as JSON pairs [offset, media time in ns]:
// about a third of the size of JSON objects, and a segment has hundreds.
func encodeKeyframes(ks []matthan.Keyframe) (string, error) {
	pairs := make([][2]int64, len(ks))
	for i, k := range ks {
		pairs[i] = [2]int64{k.Offset, int64(k.Time)}
	}
	j, err := json.Marshal(pairs)
	return string(j), err
}

func decodeKeyframes(s string) ([]matthan.Keyframe, error) {
	var pairs [][2]int64
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, err
	}
	ks := make([]matthan.Keyframe, len(pairs))
	for i, p := range pairs {
		ks[i] = matthan.Keyframe{Offset: p[0], Time: time.Duration(p[1])}
	}
	return ks, nil
}

func invalid(en, vi string, fields []matthan.FieldError) error {
	return &matthan.Error{Code: matthan.EINVALID, Message: en, MessageVI: vi, Fields: fields}
}

func field(name, en, vi string) matthan.FieldError {
	return matthan.FieldError{Field: name, Message: en, MessageVI: vi}
}

func validStream(s matthan.StreamRole) bool { return slices.Contains(matthan.StreamRoles, s) }

// validDigest accepts "" or a lowercase hex SHA-256: the hash chain is
// compared as strings, so one spelling only.
func validDigest(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func validateSegment(s *matthan.Segment) error {
	var fields []matthan.FieldError
	if s.CameraID == "" {
		fields = append(fields, field("camera_id", "required", "bắt buộc"))
	}
	if !validStream(s.Stream) {
		fields = append(fields, field("stream", `Must be "main" or "sub"`, `Phải là "main" hoặc "sub"`))
	}
	switch {
	case s.Path == "":
		fields = append(fields, field("path", "required", "bắt buộc"))
	case !fs.ValidPath(s.Path) || s.Path == ".":
		// Playback joins it to the recordings directory: no way out of it.
		fields = append(fields, field("path",
			"Must be a relative path with '/' separators and no '.' or '..' elements",
			"Phải là đường dẫn tương đối, ngăn cách bằng '/', không có phần '.' hay '..'"))
	}
	if s.Start.IsZero() {
		fields = append(fields, field("start", "required", "bắt buộc"))
	}
	if s.End.Before(s.Start) {
		fields = append(fields, field("end", "Must not be before the start", "Không được trước thời điểm bắt đầu"))
	}
	for name, v := range map[string]int64{"duration": int64(s.Duration), "frames": s.Frames, "bytes": s.Bytes} {
		if v < 0 {
			fields = append(fields, field(name, "Must not be negative", "Không được âm"))
		}
	}
	if !validDigest(s.SHA256) {
		fields = append(fields, field("sha256", "Must be a lowercase hex SHA-256", "Phải là mã SHA-256 dạng hex chữ thường"))
	}
	if !validDigest(s.PrevSHA256) {
		fields = append(fields, field("prev_sha256", "Must be a lowercase hex SHA-256", "Phải là mã SHA-256 dạng hex chữ thường"))
	}
	if len(fields) == 0 {
		return nil
	}
	slices.SortFunc(fields, func(a, b matthan.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return invalid("The segment has invalid fields", "Đoạn ghi hình có trường không hợp lệ", fields)
}

// AddSegment stores s and sets its ID; s.Start and s.End are set to the
// stored times (UTC, microseconds). A path already indexed is ECONFLICT.
func (db *DB) AddSegment(ctx context.Context, s *matthan.Segment) error {
	if err := validateSegment(s); err != nil {
		return err
	}
	keyframes, err := encodeKeyframes(s.Keyframes)
	if err != nil {
		return fmt.Errorf("add segment %s: keyframes: %w", s.Path, err)
	}
	start, end := storedTime(s.Start), storedTime(s.End)
	res, err := db.write.ExecContext(ctx, `INSERT INTO segments (camera_id, stream, path, start_at, end_at,
		media_start, duration, frames, bytes, codec, width, height, audio, keyframes, sha256, prev_sha256, recovered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.CameraID, string(s.Stream), s.Path, toMicros(start), toMicros(end),
		int64(s.MediaStart), int64(s.Duration), s.Frames, s.Bytes, s.Codec, s.Width, s.Height, s.Audio,
		keyframes, s.SHA256, s.PrevSHA256, s.Recovered)
	if isUniqueViolation(err) {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("segment %q is already indexed", s.Path),
			fmt.Sprintf("Đoạn ghi hình %q đã có trong chỉ mục", s.Path))
	}
	if err != nil {
		return fmt.Errorf("add segment %s: %w", s.Path, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add segment %s: %w", s.Path, err)
	}
	s.ID, s.Start, s.End = id, start, end
	return nil
}

// overlap builds the WHERE terms for rows of table ("segments" or "gaps")
// overlapping [from, to); a zero bound is open, and an empty range (to not
// after from) matches nothing. A span [start, end) overlaps when start < to
// and end > from; a zero-length span counts as the instant at its start. A
// gap with no end yet lasts until now and on.
func overlap(table string, camera string, stream matthan.StreamRole, from, to time.Time) (string, []any) {
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return " WHERE 0", nil
	}
	var c conds
	if camera != "" {
		c.add("camera_id = ?", camera)
	}
	if stream != "" {
		c.add("stream = ?", string(stream))
	}
	if !to.IsZero() {
		c.add("start_at < ?", toMicros(to))
	}
	if !from.IsZero() {
		f := toMicros(from)
		if table == "gaps" {
			c.add("(end_at IS NULL OR end_at > ? OR start_at >= ?)", f, f)
		} else {
			// No segment starts earlier than from less the longest span:
			// that bounds the index range on start_at on both sides, so a
			// query for last hour does not walk years of footage. The
			// longest span is read from the segments_span index.
			c.add("(end_at > ? OR start_at >= ?)", f, f)
			c.add("start_at >= ? - (SELECT COALESCE(MAX(end_at - start_at), 0) FROM segments)", f)
		}
	}
	return c.where(), c.args
}

// Segments returns the segments overlapping [f.From, f.To), ordered by
// Start (then ID). The default limit is 1000, the most 100000.
func (db *DB) Segments(ctx context.Context, f matthan.SegmentFilter) ([]*matthan.Segment, error) {
	where, args := overlap("segments", f.CameraID, f.Stream, f.From, f.To)
	args = append(args, recordingLimit(f.Limit))
	segs, err := db.querySegments(ctx, `SELECT `+segmentColumns+` FROM segments`+where+
		` ORDER BY start_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	return segs, nil
}

// LastSegment returns the segment of a camera stream with the latest Start.
func (db *DB) LastSegment(ctx context.Context, cameraID string, stream matthan.StreamRole) (*matthan.Segment, error) {
	segs, err := db.querySegments(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE camera_id = ? AND stream = ? ORDER BY start_at DESC, id DESC LIMIT 1`, cameraID, string(stream))
	if err != nil {
		return nil, fmt.Errorf("last segment of %s/%s: %w", cameraID, stream, err)
	}
	if len(segs) == 0 {
		return nil, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("camera %q has no recorded %s stream", cameraID, stream),
			fmt.Sprintf("Camera %q chưa có đoạn ghi hình nào của luồng %s", cameraID, stream))
	}
	return segs[0], nil
}

// SegmentByPath returns the segment indexed for path.
func (db *DB) SegmentByPath(ctx context.Context, path string) (*matthan.Segment, error) {
	segs, err := db.querySegments(ctx, `SELECT `+segmentColumns+` FROM segments WHERE path = ?`, path)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", path, err)
	}
	if len(segs) == 0 {
		return nil, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("segment %q is not indexed", path),
			fmt.Sprintf("Đoạn ghi hình %q không có trong chỉ mục", path))
	}
	return segs[0], nil
}

// DeleteSegment removes a segment's index row (not its file).
func (db *DB) DeleteSegment(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM segments WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete segment %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete segment %d: %w", id, err)
	} else if n == 0 {
		return matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("segment %d not found", id),
			fmt.Sprintf("Không tìm thấy đoạn ghi hình %d", id))
	}
	return nil
}

func (db *DB) querySegments(ctx context.Context, q string, args ...any) ([]*matthan.Segment, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	segs := []*matthan.Segment{}
	for rows.Next() {
		var (
			s                   matthan.Segment
			stream, keyframes   string
			start, end          int64
			mediaStart, mediaNs int64
		)
		if err := rows.Scan(&s.ID, &s.CameraID, &stream, &s.Path, &start, &end, &mediaStart, &mediaNs,
			&s.Frames, &s.Bytes, &s.Codec, &s.Width, &s.Height, &s.Audio, &keyframes,
			&s.SHA256, &s.PrevSHA256, &s.Recovered); err != nil {
			return nil, err
		}
		s.Stream = matthan.StreamRole(stream)
		s.Start, s.End = fromMicros(start), fromMicros(end)
		s.MediaStart, s.Duration = time.Duration(mediaStart), time.Duration(mediaNs)
		if s.Keyframes, err = decodeKeyframes(keyframes); err != nil {
			return nil, fmt.Errorf("segment %s: keyframes: %w", s.Path, err)
		}
		segs = append(segs, &s)
	}
	return segs, rows.Err()
}

func errGapNotFound(id int64) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("gap %d not found", id),
		fmt.Sprintf("Không tìm thấy khoảng mất hình %d", id))
}

// AddGap stores g and sets its ID; g.Start and g.End are set to the stored
// times. A zero End leaves the gap open; a gap learnt after the fact (the
// node was stopped) may be added closed.
func (db *DB) AddGap(ctx context.Context, g *matthan.Gap) error {
	var fields []matthan.FieldError
	if g.CameraID == "" {
		fields = append(fields, field("camera_id", "required", "bắt buộc"))
	}
	if !validStream(g.Stream) {
		fields = append(fields, field("stream", `Must be "main" or "sub"`, `Phải là "main" hoặc "sub"`))
	}
	if g.Start.IsZero() {
		fields = append(fields, field("start", "required", "bắt buộc"))
	}
	if !g.End.IsZero() && g.End.Before(g.Start) {
		fields = append(fields, field("end", "Must not be before the start", "Không được trước thời điểm bắt đầu"))
	}
	if g.Reason == "" {
		fields = append(fields, field("reason", "required", "bắt buộc"))
	}
	if len(fields) > 0 {
		return invalid("The gap has invalid fields", "Khoảng mất hình có trường không hợp lệ", fields)
	}
	start, end := storedTime(g.Start), sql.NullInt64{}
	if !g.End.IsZero() {
		end = sql.NullInt64{Int64: toMicros(storedTime(g.End)), Valid: true}
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO gaps (camera_id, stream, start_at, end_at, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?)`,
		g.CameraID, string(g.Stream), toMicros(start), end, string(g.Reason), g.Detail)
	if err != nil {
		return fmt.Errorf("add gap for %s/%s: %w", g.CameraID, g.Stream, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add gap for %s/%s: %w", g.CameraID, g.Stream, err)
	}
	g.ID, g.Start = id, start
	if end.Valid {
		g.End = fromMicros(end.Int64)
	}
	return nil
}

// EndGap closes the open gap id at end. A gap already closed is ECONFLICT:
// its end is history, not to be moved.
func (db *DB) EndGap(ctx context.Context, id int64, end time.Time) error {
	if end.IsZero() {
		return invalid("The end of the gap is required", "Cần có thời điểm kết thúc khoảng mất hình",
			[]matthan.FieldError{field("end", "required", "bắt buộc")})
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("end gap %d: %w", id, err)
	}
	defer tx.Rollback()
	var start int64
	var stored sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT start_at, end_at FROM gaps WHERE id = ?`, id).Scan(&start, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return errGapNotFound(id)
	}
	if err != nil {
		return fmt.Errorf("end gap %d: %w", id, err)
	}
	if stored.Valid {
		return matthan.Errorf(matthan.ECONFLICT,
			fmt.Sprintf("gap %d has already ended", id),
			fmt.Sprintf("Khoảng mất hình %d đã kết thúc rồi", id))
	}
	e := toMicros(storedTime(end))
	if e < start {
		return invalid("The gap cannot end before it starts", "Khoảng mất hình không thể kết thúc trước khi bắt đầu",
			[]matthan.FieldError{field("end", "Must not be before the start", "Không được trước thời điểm bắt đầu")})
	}
	if _, err := tx.ExecContext(ctx, `UPDATE gaps SET end_at = ? WHERE id = ?`, e, id); err != nil {
		return fmt.Errorf("end gap %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end gap %d: %w", id, err)
	}
	return nil
}

// Gaps returns the gaps overlapping [f.From, f.To), open ones included,
// ordered by Start (then ID). The default limit is 1000, the most 100000.
func (db *DB) Gaps(ctx context.Context, f matthan.GapFilter) ([]*matthan.Gap, error) {
	where, args := overlap("gaps", f.CameraID, f.Stream, f.From, f.To)
	args = append(args, recordingLimit(f.Limit))
	gaps, err := db.queryGaps(ctx, `SELECT id, camera_id, stream, start_at, end_at, reason, detail FROM gaps`+
		where+` ORDER BY start_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	return gaps, nil
}

// OpenGaps returns every gap not yet ended, ordered by Start.
func (db *DB) OpenGaps(ctx context.Context) ([]*matthan.Gap, error) {
	gaps, err := db.queryGaps(ctx, `SELECT id, camera_id, stream, start_at, end_at, reason, detail FROM gaps
		WHERE end_at IS NULL ORDER BY start_at, id`)
	if err != nil {
		return nil, fmt.Errorf("open gaps: %w", err)
	}
	return gaps, nil
}

func (db *DB) queryGaps(ctx context.Context, q string, args ...any) ([]*matthan.Gap, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	gaps := []*matthan.Gap{}
	for rows.Next() {
		var (
			g              matthan.Gap
			stream, reason string
			start          int64
			end            sql.NullInt64
		)
		if err := rows.Scan(&g.ID, &g.CameraID, &stream, &start, &end, &reason, &g.Detail); err != nil {
			return nil, err
		}
		g.Stream, g.Reason = matthan.StreamRole(stream), matthan.GapReason(reason)
		g.Start = fromMicros(start)
		if end.Valid {
			g.End = fromMicros(end.Int64)
		}
		gaps = append(gaps, &g)
	}
	return gaps, rows.Err()
}
