package matthan

import (
	"context"
	"time"
)

// Segment is one recorded file of one stream, with its index row.
type Segment struct {
	ID       int64      `json:"id"`
	CameraID string     `json:"camera_id"`
	Stream   StreamRole `json:"stream"`
	// Path is the file's location below the recordings directory, with '/'
	// separators: CAMERA/YYYY-MM-DD/STREAM-YYYYMMDDTHHMMSSZ.mp4 (UTC).
	Path string `json:"path"`

	Start      time.Time     `json:"start"` // wall-clock time of the first sample, UTC
	End        time.Time     `json:"end"`   // wall-clock time the last sample ends, UTC
	MediaStart time.Duration `json:"media_start"`
	Duration   time.Duration `json:"duration"` // media time covered

	Frames int64  `json:"frames"` // video frames
	Bytes  int64  `json:"bytes"`  // file size
	Codec  string `json:"codec"`  // video codec, "H264" or "H265"
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Audio  string `json:"audio,omitempty"` // "AAC", "G711", or ""
	// Keyframes lists where fragments that start with a video keyframe
	// begin: what playback seeks to without reading the file.
	Keyframes []Keyframe `json:"keyframes"`

	SHA256     string `json:"sha256"`      // hex digest of the whole file
	PrevSHA256 string `json:"prev_sha256"` // previous segment of this camera stream ("" for the first): a hash chain
	Recovered  bool   `json:"recovered"`   // indexed at start-up from a file a crash left open
	// Open marks the segment being written now, as far as it reached the
	// file: it has no index row, ID or SHA-256 yet (recorder.Index).
	Open bool `json:"open,omitempty"`
}

// Keyframe is a random-access point in a segment file.
type Keyframe struct {
	Offset int64         `json:"offset"` // byte offset of the fragment (moof) it starts
	Time   time.Duration `json:"time"`   // media time since the segment's start
}

// SegmentFilter selects segments overlapping [From, To); zero fields match all.
type SegmentFilter struct {
	CameraID string
	Stream   StreamRole
	From, To time.Time
	Limit    int // 0: a default chosen by the store
}

// GapReason says why a stream was not recorded for a while.
type GapReason string

const (
	GapOffline     GapReason = "offline"      // the camera could not be reached or dropped
	GapStalled     GapReason = "stalled"      // connected, but no (valid) video
	GapAuthFailed  GapReason = "auth_failed"  // the camera refused our credentials
	GapUnsupported GapReason = "unsupported"  // no video codec we can record
	GapDisabled    GapReason = "disabled"     // switched off in the registry
	GapDiskFull    GapReason = "disk_full"    // no space left, or the floor of free space reached
	GapDiskError   GapReason = "disk_error"   // writing failed (read-only, I/O error)
	GapNodeStopped GapReason = "node_stopped" // the node was not running
	GapOverload    GapReason = "overload"     // the node was too busy: the recorder fell behind and skipped to a keyframe
)

// Gap is a stretch of time a stream was not recorded, with its reason.
// End is zero while the gap is still open.
type Gap struct {
	ID       int64      `json:"id"`
	CameraID string     `json:"camera_id"`
	Stream   StreamRole `json:"stream"`
	Start    time.Time  `json:"start"`
	End      time.Time  `json:"end"`
	Reason   GapReason  `json:"reason"`
	Detail   string     `json:"detail,omitempty"` // English, for people
}

// GapFilter selects gaps overlapping [From, To); zero fields match all.
type GapFilter struct {
	CameraID string
	Stream   StreamRole
	From, To time.Time
	Limit    int
}

// RecordingIndex keeps the index of recorded segments and gaps. Store
// adapters implement it beside Store, with the same conformance suite.
type RecordingIndex interface {
	AddSegment(ctx context.Context, s *Segment) error                  // sets ID; ECONFLICT if Path exists
	Segments(ctx context.Context, f SegmentFilter) ([]*Segment, error) // ordered by Start
	// LastSegment is the newest segment of a camera stream, for the hash
	// chain; ENOTFOUND if there is none.
	LastSegment(ctx context.Context, cameraID string, stream StreamRole) (*Segment, error)
	SegmentByPath(ctx context.Context, path string) (*Segment, error)
	DeleteSegment(ctx context.Context, id int64) error

	AddGap(ctx context.Context, g *Gap) error                  // sets ID
	EndGap(ctx context.Context, id int64, end time.Time) error // closes an open gap
	Gaps(ctx context.Context, f GapFilter) ([]*Gap, error)     // ordered by Start
	OpenGaps(ctx context.Context) ([]*Gap, error)              // gaps with no End yet

	// RecordingBytes sums the Bytes of segments per camera, for cameras
	// with any: of all segments when from and to are zero (answered from
	// running totals, cheap enough for every retention sweep), else of the
	// segments that start in [from, to) (a zero bound is open).
	RecordingBytes(ctx context.Context, from, to time.Time) (map[string]int64, error)

	// AddLock stores a new, active lock and sets its ID (and CreatedAt
	// when zero); EINVALID without camera, case, reason or creator, or
	// unless End is after Start.
	AddLock(ctx context.Context, l *EvidenceLock) error
	// ReleaseLock ends a lock (at zero means now; a time still to come
	// schedules the release, as closing a case does); ENOTFOUND, ECONFLICT
	// when already released, EINVALID without who releases it.
	ReleaseLock(ctx context.Context, id int64, by string, at time.Time) error
	// Locks returns the locks overlapping [From, To) like Segments,
	// ordered by Start.
	Locks(ctx context.Context, f LockFilter) ([]*EvidenceLock, error)
}

// EvidenceLock keeps a camera's footage in [Start, End) from retention, for a
// case, until an officer releases it. Both actions are audited.
type EvidenceLock struct {
	ID         int64     `json:"id"`
	CameraID   string    `json:"camera_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Case       string    `json:"case"`   // case number (số vụ việc)
	Reason     string    `json:"reason"` // why the footage is kept
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	ReleasedBy string    `json:"released_by,omitempty"`
	ReleasedAt time.Time `json:"released_at"` // zero while the lock holds; a future time: it holds until then
}

// LockFilter selects evidence locks; zero fields match all.
type LockFilter struct {
	ID       int64
	CameraID string
	Case     string // case number
	Active   bool   // only locks that hold now: not released, or released at a time still to come
	From, To time.Time
}
