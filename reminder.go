package matthan

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Reminders (nhắc nhở): an officer tells the owner of a place about a
// security lapse seen on a camera (a gate left open at night, goods left
// out), with what was seen, when, a snapshot and advice. The owner reads it
// in the contributor portal (and by e-mail, and on a printed notice) and
// acknowledges it; until they do, the officer follows up.

// DefaultFollowUp is how long after sending a reminder the officer checks
// again when it is not acknowledged.
const DefaultFollowUp = 3 * 24 * time.Hour

// Bounds on a reminder's text.
const (
	reminderWhatMax   = 1000
	reminderAdviceMax = 2000
	reminderNoteMax   = 1000
)

// EmailStatus is what became of a reminder's e-mail.
type EmailStatus string

const (
	EmailNone   EmailStatus = "none"   // no address was given
	EmailSent   EmailStatus = "sent"   // the mail server accepted it
	EmailFailed EmailStatus = "failed" // see Delivery.EmailError
)

// Delivery says which channels carried a reminder. The portal always
// does: a stored reminder is in its recipient's portal.
type Delivery struct {
	Portal     bool        `json:"portal"`
	Email      EmailStatus `json:"email"`
	EmailError string      `json:"email_error,omitempty"` // why it failed, as the mail server or the node said
	EmailAt    time.Time   `json:"email_at,omitzero"`     // UTC; when it was sent or failed
}

// Reminder is one reminder to the owner of a camera's place.
type Reminder struct {
	ID       int64  `json:"id"`
	CameraID string `json:"camera_id"`
	// Recipient is the contributor (user name) who owns the camera; "" for
	// a ward camera, whose reminder goes only by e-mail and on paper.
	Recipient string `json:"recipient"`
	Email     string `json:"email,omitempty"` // the owner's e-mail address, given by the officer; optional
	// EventID is the analytics event it is about; "" for one written by
	// hand. SnapshotPath is that event's snapshot, relative to the node's
	// events directory ("" for none).
	EventID      string    `json:"event_id,omitempty"`
	SnapshotPath string    `json:"snapshot_path,omitempty"`
	SeenAt       time.Time `json:"seen_at"` // UTC; when it was seen
	What         string    `json:"what"`    // what was seen, in Vietnamese
	Advice       string    `json:"advice"`  // what the owner should do
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`        // UTC; set by the store
	AckedAt      time.Time `json:"acked_at,omitzero"` // UTC; zero until acknowledged
	AckNote      string    `json:"ack_note,omitempty"`
	// FollowUpAt is when the officer checks again if it is not
	// acknowledged (CreatedAt + DefaultFollowUp when not set); FollowUps
	// counts the follow-ups done.
	FollowUpAt time.Time `json:"follow_up_at"`
	FollowUps  int       `json:"follow_ups"`
	Delivered  Delivery  `json:"delivered"`
}

// Acked reports whether the owner has acknowledged the reminder.
func (r *Reminder) Acked() bool { return !r.AckedAt.IsZero() }

// Overdue reports whether the reminder waits for a follow-up at now: not
// acknowledged and past its follow-up time.
func (r *Reminder) Overdue(now time.Time) bool { return !r.Acked() && r.FollowUpAt.Before(now) }

// Validate checks a reminder before it is stored: EINVALID with one
// FieldError per bad field. It trims text, keeps times in UTC, and fills
// an unset FollowUpAt (from now) and Delivery.Email.
func (r *Reminder) Validate(now time.Time) error {
	var fe fieldErrors
	r.Recipient, r.Email, r.EventID = strings.TrimSpace(r.Recipient), strings.TrimSpace(r.Email), strings.TrimSpace(r.EventID)
	r.What, r.Advice, r.AckNote = strings.TrimSpace(r.What), strings.TrimSpace(r.Advice), strings.TrimSpace(r.AckNote)
	if !slugRe.MatchString(r.CameraID) {
		fe.add("camera_id", "Choose the camera that saw it", "Hãy chọn camera đã ghi nhận sự việc")
	}
	if r.Email != "" && (!strings.Contains(r.Email, "@") || !ValidContact(r.Email) || strings.ContainsAny(r.Email, "<>,;\"")) {
		fe.add("email", "Not an e-mail address (like ten@example.com)", "Không phải địa chỉ e-mail (dạng ten@example.com)")
	}
	if r.Recipient == "" && r.Email == "" && slugRe.MatchString(r.CameraID) {
		fe.add("email", "This camera has no owner with a portal account: give the owner's e-mail address (or print the notice)",
			"Camera này không có chủ sở hữu có tài khoản trên cổng thông tin: hãy nhập e-mail của chủ nhà (hoặc in phiếu nhắc nhở)")
	}
	if r.SeenAt.IsZero() {
		fe.add("seen_at", "When was it seen? (dd/MM/yyyy HH:mm:ss)", "Thời điểm ghi nhận là bắt buộc (dd/MM/yyyy HH:mm:ss)")
	} else if !now.IsZero() && r.SeenAt.After(now.Add(5*time.Minute)) {
		fe.add("seen_at", "The time seen is in the future", "Thời điểm ghi nhận ở tương lai")
	}
	reminderText(&fe, "what", r.What, reminderWhatMax, "Say what was seen", "Hãy ghi sự việc đã ghi nhận")
	reminderText(&fe, "advice", r.Advice, reminderAdviceMax, "Give the owner advice on what to do", "Hãy ghi lời khuyên cho chủ nhà")
	if r.AckNote != "" {
		reminderText(&fe, "ack_note", r.AckNote, reminderNoteMax, "", "")
	}
	if len(fe) > 0 {
		return &Error{Code: EINVALID, Message: "The reminder has invalid fields",
			MessageVI: "Phiếu nhắc nhở có trường không hợp lệ", Fields: fe}
	}
	r.SeenAt = r.SeenAt.UTC()
	if r.FollowUpAt.IsZero() {
		r.FollowUpAt = now.Add(DefaultFollowUp)
	}
	r.FollowUpAt = r.FollowUpAt.UTC()
	if r.Delivered.Email == "" {
		r.Delivered.Email = EmailNone
	}
	return nil
}

// reminderText checks a required text of several lines.
func reminderText(fe *fieldErrors, field, v string, max int, reqEN, reqVI string) {
	switch {
	case v == "":
		fe.add(field, reqEN, reqVI)
	case utf8.RuneCountInString(v) > max:
		fe.add(field, fmt.Sprintf("Must be at most %d characters", max), fmt.Sprintf("Tối đa %d ký tự", max))
	case !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\r' && c != '\t' }):
		fe.add(field, "Contains invalid characters", "Chứa ký tự không hợp lệ")
	}
}

// ReminderFilter selects reminders in ReminderStore.Reminders; zero fields
// match all.
type ReminderFilter struct {
	Recipient string
	CameraID  string
	Unacked   bool      // only those not acknowledged
	OverdueAt time.Time // non-zero: only those not acknowledged whose FollowUpAt is before it
	Limit     int       // 0 means a default limit chosen by the store
}

// ReminderStore keeps reminders. Methods return *Error with ENOTFOUND,
// ECONFLICT or EINVALID where it applies.
type ReminderStore interface {
	// CreateReminder stores r (Validate applies with the store's clock)
	// and sets its ID and CreatedAt.
	CreateReminder(ctx context.Context, r *Reminder) error
	Reminder(ctx context.Context, id int64) (*Reminder, error)
	// Reminders returns matching reminders, newest first.
	Reminders(ctx context.Context, f ReminderFilter) ([]*Reminder, error)
	// SetReminderDelivery records how the reminder was delivered.
	SetReminderDelivery(ctx context.Context, id int64, d Delivery) (*Reminder, error)
	// AckReminder records the recipient's acknowledgement with a note.
	// ENOTFOUND unless recipient is the reminder's; acknowledging again
	// keeps the first acknowledgement.
	AckReminder(ctx context.Context, id int64, recipient, note string, at time.Time) (*Reminder, error)
	// FollowUpReminder counts a follow-up and sets the next check to next.
	// ECONFLICT once it is acknowledged.
	FollowUpReminder(ctx context.Context, id int64, next time.Time) (*Reminder, error)
}

// ErrReminderNotFound is the ENOTFOUND error for an unknown reminder (or
// one the asking contributor may not see).
func ErrReminderNotFound(id int64) error {
	return Errorf(ENOTFOUND, fmt.Sprintf("Reminder %d not found", id), fmt.Sprintf("Không tìm thấy phiếu nhắc nhở %d", id))
}

// ErrReminderAcked is the ECONFLICT error for following up a reminder the
// owner has acknowledged.
func ErrReminderAcked(id int64) error {
	return Errorf(ECONFLICT, fmt.Sprintf("Reminder %d is already acknowledged by the owner", id),
		fmt.Sprintf("Chủ nhà đã xác nhận phiếu nhắc nhở %d", id))
}

// eventNamesVI names each event type for owners, in Vietnamese.
var eventNamesVI = map[EventType]string{
	EventLoitering:      "Người lảng vảng",
	EventThreeRiders:    "Xe chở ba người",
	EventNoHelmet:       "Người đi xe máy không đội mũ bảo hiểm",
	EventIllegalParking: "Đỗ xe sai quy định",
	EventDumping:        "Đổ rác trái phép",
	EventCrowd:          "Tụ tập đông người",
	EventLineCrossing:   "Vượt vạch",
	EventTamper:         "Camera bị che chắn hoặc tác động",
	EventSecurityLapse:  "Sơ hở an ninh",
}

// EventTypeVI is the event type's Vietnamese name ("Sơ hở an ninh").
func EventTypeVI(t EventType) string {
	if n, ok := eventNamesVI[t]; ok {
		return n
	}
	return string(t)
}

// ReminderWhat is what a reminder made from event e says was seen: the
// type's Vietnamese name and the event's Vietnamese summary.
func ReminderWhat(e *AnalyticsEvent) string {
	what := EventTypeVI(e.Type)
	if s := strings.TrimSpace(e.SummaryVI); s != "" {
		what += ": " + s
	}
	return what
}

// DefaultAdvice is the advice for an event type when the officer writes
// none; "" where there is no sensible default.
func DefaultAdvice(t EventType) string {
	switch t {
	case EventSecurityLapse:
		return "Đề nghị gia đình đóng, khóa cổng và cửa vào ban đêm, không để tài sản (xe máy, hàng hóa) ở ngoài không người trông coi."
	case EventDumping:
		return "Đề nghị không để rác ngoài giờ thu gom và bỏ rác đúng nơi quy định."
	case EventIllegalParking:
		return "Đề nghị không để xe lấn chiếm lòng đường, vỉa hè trước nhà."
	}
	return ""
}
