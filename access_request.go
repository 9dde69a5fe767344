package matthan

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Access requests: a camera whose owner shares it "on request" is recorded
// but shown to nobody until an officer asks for a stretch of its footage,
// says why, and the owner grants it. A grant lets that officer play back
// and export that footage (not watch live) for GrantDays; the owner may
// revoke it at any time, and sees every use in the access log.

// GrantDays is how long a granted request lets the officer use the footage.
const GrantDays = 30

// MaxRequestSpan bounds the footage one request asks for: an incident,
// not a month of someone's street.
const MaxRequestSpan = 7 * 24 * time.Hour

// RequestStatus is where an access request stands.
type RequestStatus string

const (
	RequestPending RequestStatus = "pending" // waiting for the owner
	RequestGranted RequestStatus = "granted"
	RequestRefused RequestStatus = "refused"
	RequestRevoked RequestStatus = "revoked" // granted, then taken back by the owner
)

// AccessRequest is an officer's request to see footage of an on-request
// camera.
type AccessRequest struct {
	ID        int64         `json:"id"`
	CameraID  string        `json:"camera_id"`
	Requester string        `json:"requester"` // the officer's user name
	From      time.Time     `json:"from"`      // UTC; the footage asked for
	To        time.Time     `json:"to"`
	Reason    string        `json:"reason"`
	CaseID    int64         `json:"case_id,omitempty"` // the case it is for, if any
	Status    RequestStatus `json:"status"`
	// DecidedBy and DecidedAt say who answered and when; Note is the
	// owner's word to the officer. Until is when a grant ends.
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Note      string    `json:"note,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	CreatedAt time.Time `json:"created_at"`
}

// Covers reports whether the request lets its requester play back footage
// of [from, to] at now: granted, not expired, and the footage inside the
// range asked for.
func (r *AccessRequest) Covers(from, to, now time.Time) bool {
	return r.Status == RequestGranted && now.Before(r.Until) && !from.Before(r.From) && !to.After(r.To)
}

// Validate checks a new request: EINVALID with one FieldError per bad
// field. It trims the reason and keeps times in UTC.
func (r *AccessRequest) Validate(now time.Time) error {
	var fe fieldErrors
	r.Reason = strings.TrimSpace(r.Reason)
	if !slugRe.MatchString(r.CameraID) {
		fe.add("camera_id", "Choose the camera", "Hãy chọn camera")
	}
	switch {
	case r.From.IsZero() || r.To.IsZero():
		fe.add("from", "Give the start and end of the footage (dd/MM/yyyy HH:mm:ss)", "Hãy nhập thời điểm bắt đầu và kết thúc của đoạn ghi hình (dd/MM/yyyy HH:mm:ss)")
	case !r.To.After(r.From):
		fe.add("to", "The end must be after the start", "Thời điểm kết thúc phải sau thời điểm bắt đầu")
	case r.To.Sub(r.From) > MaxRequestSpan:
		fe.add("to", "A request covers at most 7 days of footage", "Mỗi yêu cầu tối đa 7 ngày ghi hình")
	case r.From.After(now):
		fe.add("from", "The footage asked for is in the future", "Đoạn ghi hình yêu cầu ở tương lai")
	}
	reminderText(&fe, "reason", r.Reason, reminderNoteMax, "Say why you need this footage", "Hãy nêu lý do cần xem đoạn ghi hình này")
	if r.CaseID < 0 {
		fe.add("case_id", "Not a case number", "Số vụ việc không hợp lệ")
	}
	if len(fe) > 0 {
		return &Error{Code: EINVALID, Message: "The access request has invalid fields",
			MessageVI: "Yêu cầu xem bản ghi có trường không hợp lệ", Fields: fe}
	}
	r.From, r.To = r.From.UTC(), r.To.UTC()
	return nil
}

// AccessRequestFilter selects requests; zero fields match all.
type AccessRequestFilter struct {
	CameraID    string
	Contributor string // requests for this owner's cameras
	Requester   string
	Status      RequestStatus
	Limit       int // 0: the store's default
}

// AccessRequestStore keeps access requests.
type AccessRequestStore interface {
	// CreateAccessRequest stores r as pending (Validate applies with the
	// store's clock) and sets its ID and CreatedAt.
	CreateAccessRequest(ctx context.Context, r *AccessRequest) error
	AccessRequest(ctx context.Context, id int64) (*AccessRequest, error)
	// AccessRequests returns matching requests, newest first.
	AccessRequests(ctx context.Context, f AccessRequestFilter) ([]*AccessRequest, error)
	// DecideAccessRequest moves request id to status: a pending request to
	// granted (Until = at + GrantDays) or refused, a granted one to
	// revoked; ECONFLICT for any other move.
	DecideAccessRequest(ctx context.Context, id int64, status RequestStatus, by, note string, at time.Time) (*AccessRequest, error)
}

// ErrAccessRequestNotFound is the ENOTFOUND error for an unknown request
// (or one the asking user may not see).
func ErrAccessRequestNotFound(id int64) error {
	return Errorf(ENOTFOUND, fmt.Sprintf("Access request %d not found", id), fmt.Sprintf("Không tìm thấy yêu cầu xem bản ghi %d", id))
}

// CanDecide reports whether a request in status from may move to to.
func CanDecide(from, to RequestStatus) bool {
	switch to {
	case RequestGranted, RequestRefused:
		return from == RequestPending
	case RequestRevoked:
		return from == RequestGranted
	}
	return false
}
