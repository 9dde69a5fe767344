package matthan

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// TopicAnalytics carries analytics events on the Bus, as they are fired and
// each time they are updated (a later End, a snapshot, a review).
// Data: *AnalyticsEvent (a copy; subscribers may keep it).
const TopicAnalytics = "analytics"

// EventType names the rule that fired an analytics event.
type EventType string

const (
	EventLoitering      EventType = "loitering"
	EventThreeRiders    EventType = "three_riders"
	EventNoHelmet       EventType = "no_helmet"
	EventIllegalParking EventType = "illegal_parking"
	EventDumping        EventType = "dumping"
	EventCrowd          EventType = "crowd"
	EventLineCrossing   EventType = "line_crossing"
	EventTamper         EventType = "tamper"
	EventSecurityLapse  EventType = "security_lapse"
)

// EventTypes lists every event type, in display order.
var EventTypes = []EventType{EventLoitering, EventThreeRiders, EventNoHelmet, EventIllegalParking,
	EventDumping, EventCrowd, EventLineCrossing, EventTamper, EventSecurityLapse}

// Severity says how urgently an event wants a person's attention.
type Severity string

const (
	SeverityInfo    Severity = "info"    // kept for the record and the morning review
	SeverityWarning Severity = "warning" // worth a look soon
	SeverityAlarm   Severity = "alarm"   // someone should look now
)

// Severities lists the severities from the mildest up.
var Severities = []Severity{SeverityInfo, SeverityWarning, SeverityAlarm}

// Rank orders severities: info 1, warning 2, alarm 3; an unknown one is 0.
func (s Severity) Rank() int { return slices.Index(Severities, s) + 1 }

// Review is an officer's verdict on an event. Marks are kept as labels for
// evaluation and for training the next models.
type Review string

const (
	ReviewNone       Review = "none" // not reviewed yet
	ReviewConfirmed  Review = "confirmed"
	ReviewFalseAlarm Review = "false_alarm"
)

// Reviews lists the review states.
var Reviews = []Review{ReviewNone, ReviewConfirmed, ReviewFalseAlarm}

// AnalyticsEvent is something a rule noticed on a camera over a span of
// time: a person loitering, a motorbike with three riders, a covered lens.
// One event covers the whole span: while the rule keeps firing, the event's
// End moves forward rather than a new event being made.
type AnalyticsEvent struct {
	ID       string    `json:"id"`
	Type     EventType `json:"type"`
	CameraID string    `json:"camera_id"`
	Zone     string    `json:"zone,omitempty"` // the zone's name; "" for the whole picture
	Start    time.Time `json:"start"`          // UTC
	End      time.Time `json:"end"`            // UTC; End >= Start
	TrackIDs []int64   `json:"track_ids"`      // the tracks involved; non-nil
	// Box is where in the picture, normalised to 0..1 of its width and
	// height: [x1, y1, x2, y2]. The zero box means the whole picture.
	Box       [4]float64 `json:"box"`
	Severity  Severity   `json:"severity"`
	Summary   string     `json:"summary"`    // one English line an officer reads
	SummaryVI string     `json:"summary_vi"` // the same in Vietnamese
	// SnapshotPath is the best snapshot (JPEG with boxes), relative to the
	// node's events directory (CAMERA/YYYY-MM-DD/ID.jpg); "" until written.
	SnapshotPath string    `json:"snapshot_path,omitempty"`
	Review       Review    `json:"review"`
	ReviewNote   string    `json:"review_note,omitempty"`
	ReviewedBy   string    `json:"reviewed_by,omitempty"`
	ReviewedAt   time.Time `json:"reviewed_at,omitzero"` // UTC; zero while not reviewed
}

// Footage is the span of recordings that shows the event: from pre before
// its start to post after its end.
func (e *AnalyticsEvent) Footage(pre, post time.Duration) (from, to time.Time) {
	return e.Start.Add(-pre), e.End.Add(post)
}

// Validate checks what a rule or a store must not accept. It fills an empty
// Severity with DefaultSeverity, an empty Review with ReviewNone and nil
// TrackIDs with an empty slice.
func (e *AnalyticsEvent) Validate() error {
	if e.Severity == "" {
		e.Severity = DefaultSeverity(e.Type)
	}
	if e.Review == "" {
		e.Review = ReviewNone
	}
	if e.TrackIDs == nil {
		e.TrackIDs = []int64{}
	}
	var bad []FieldError
	add := func(field, en, vi string) {
		bad = append(bad, FieldError{Field: field, Message: en, MessageVI: vi})
	}
	if e.ID == "" || len(e.ID) > 64 {
		add("id", "An ID of 1 to 64 bytes is required", "Cần mã sự kiện dài 1 đến 64 byte")
	}
	if !slices.Contains(EventTypes, e.Type) {
		add("type", "Unknown event type", "Loại sự kiện không hợp lệ")
	}
	if e.CameraID == "" {
		add("camera_id", "required", "bắt buộc")
	}
	if e.Start.IsZero() || e.End.Before(e.Start) {
		add("end", "Start is required and End must not be before it", "Cần thời điểm bắt đầu và thời điểm kết thúc không được trước nó")
	}
	for _, v := range e.Box {
		if !(v >= 0 && v <= 1) { // also catches NaN
			add("box", "Box coordinates must be between 0 and 1", "Tọa độ khung phải nằm trong khoảng 0 đến 1")
			break
		}
	}
	if e.Box[2] < e.Box[0] || e.Box[3] < e.Box[1] {
		add("box", "The box must be [x1, y1, x2, y2] with x1 ≤ x2 and y1 ≤ y2", "Khung phải có dạng [x1, y1, x2, y2] với x1 ≤ x2 và y1 ≤ y2")
	}
	if e.Severity.Rank() == 0 {
		add("severity", "Severity must be info, warning or alarm", "Mức độ phải là info, warning hoặc alarm")
	}
	if !slices.Contains(Reviews, e.Review) {
		add("review", "Review must be none, confirmed or false_alarm", "Đánh giá phải là none, confirmed hoặc false_alarm")
	}
	if len(bad) > 0 {
		return &Error{Code: EINVALID, Message: "The event has invalid fields", MessageVI: "Sự kiện có trường không hợp lệ", Fields: bad}
	}
	return nil
}

// DefaultSeverity is a type's severity when its rule sets none: what
// someone may be doing to a person or to the cameras now is an alarm; what
// breaks the ward's rules is a warning; a reminder is info.
func DefaultSeverity(t EventType) Severity {
	switch t {
	case EventTamper, EventLoitering:
		return SeverityAlarm
	case EventSecurityLapse:
		return SeverityInfo
	}
	return SeverityWarning
}

// AnalyticsEventFilter selects events in EventStore.AnalyticsEvents; zero
// fields match all. From and To select events whose span overlaps
// [From, To).
type AnalyticsEventFilter struct {
	CameraID string
	Type     EventType
	Review   Review
	From, To time.Time
	Limit    int // 0 means a default limit chosen by the store
}

// EventStore keeps analytics events and their reviews. It is a port of its
// own beside Store; the SQLite store implements both and passes
// internal/storetest.RunAnalytics. Events outlive their camera and its
// footage: they are the ward's record and the review labels.
// Methods return *Error with ENOTFOUND, ECONFLICT or EINVALID where it applies.
type EventStore interface {
	// AddAnalyticsEvent stores a new event (Validate applies). ECONFLICT
	// if its ID is taken.
	AddAnalyticsEvent(ctx context.Context, e *AnalyticsEvent) error
	// UpdateAnalyticsEvent moves an event's End forward (never back) and,
	// when snapshot is not "", sets its SnapshotPath. It returns the event
	// as stored.
	UpdateAnalyticsEvent(ctx context.Context, id string, end time.Time, snapshot string) (*AnalyticsEvent, error)
	AnalyticsEvent(ctx context.Context, id string) (*AnalyticsEvent, error)
	// AnalyticsEvents returns matching events, newest Start first.
	AnalyticsEvents(ctx context.Context, f AnalyticsEventFilter) ([]*AnalyticsEvent, error)
	// ReviewAnalyticsEvent records an officer's verdict (ReviewNone clears
	// it) with a note, who and when. It returns the event as stored.
	ReviewAnalyticsEvent(ctx context.Context, id string, review Review, note, by string, at time.Time) (*AnalyticsEvent, error)
	// PruneAnalyticsEvents deletes the events nobody reviewed that ended
	// before t and returns them, so their snapshots can go too. Reviewed
	// events stay: they are the labels for evaluation and training.
	PruneAnalyticsEvents(ctx context.Context, endedBefore time.Time) ([]*AnalyticsEvent, error)
}

// ErrEventNotFound is the ENOTFOUND error for an unknown event ID.
func ErrEventNotFound(id string) error {
	return Errorf(ENOTFOUND, fmt.Sprintf("Event %q not found", id), fmt.Sprintf("Không tìm thấy sự kiện %q", id))
}
