package matthan

import (
	"fmt"
	"slices"
	"time"
)

// RoleContributor is a household, shop, school or agency that shares its
// cameras facing the street: it registers them, sets their sharing, and
// sees every access to them, never anyone else's data.
const RoleContributor Role = "contributor"

// Approval is where a contributed camera's registration stands. The police
// approve a camera before the node connects to it.
type Approval string

const (
	ApprovalPending  Approval = "pending"
	ApprovalApproved Approval = "approved"
	ApprovalRejected Approval = "rejected"
)

// SharingMode is what an owner lets the police use of a camera.
type SharingMode string

const (
	ShareLive       SharingMode = "live"       // live view and recordings
	ShareRecordings SharingMode = "recordings" // recordings, no live view
	ShareOnRequest  SharingMode = "on_request" // recorded; seen only on a request the owner grants
	ShareRevoked    SharingMode = "revoked"    // nothing: not connected, not recorded, not shown
)

// SharingModes lists the modes, from the most shared.
var SharingModes = []SharingMode{ShareLive, ShareRecordings, ShareOnRequest, ShareRevoked}

// Sharing is an owner's choice for one camera. The ward's own cameras are
// shared live all day. Windows, when set, limit live view and playback to
// those hours of the day (Vietnam time); footage of other hours is not
// shown. Paused stops the camera at once (no connection, no recording, no
// live view) until the owner resumes; footage shared before stays shared.
type Sharing struct {
	Mode    SharingMode  `json:"mode"`
	Windows []TimeWindow `json:"windows,omitempty"`
	Paused  bool         `json:"paused"`
}

// TimeWindow is a part of each day, "HH:MM" to "HH:MM" in Vietnam time; a
// window whose end is before its start runs across midnight (22:00–06:00).
type TimeWindow struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Contains reports whether t falls in the window (From included, To not).
// A window that does not parse contains nothing: Validate refuses it.
func (w TimeWindow) Contains(t time.Time) bool {
	from, err1 := parseClock(w.From)
	to, err2 := parseClock(w.To)
	if err1 != nil || err2 != nil || from == to {
		return false
	}
	l := t.In(Vietnam)
	d := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
	if from < to {
		return d >= from && d < to
	}
	return d >= from || d < to
}

// parseClock reads "HH:MM" (00:00 to 23:59) as the time since midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Access is a use of a camera that sharing allows or not.
type Access string

const (
	AccessLive     Access = "live"     // watch it now
	AccessPlayback Access = "playback" // play back or export its footage of a moment
)

// inWindows reports whether t is in one of the windows (always, without).
func (s Sharing) inWindows(t time.Time) bool {
	return len(s.Windows) == 0 || slices.ContainsFunc(s.Windows, func(w TimeWindow) bool { return w.Contains(t) })
}

// Validate checks the mode and windows, naming each wrong field in both
// languages (prefix "sharing").
func (s Sharing) Validate() error {
	var bad []FieldError
	if !slices.Contains(SharingModes, s.Mode) {
		bad = append(bad, FieldError{Field: "sharing.mode",
			Message:   "Sharing must be live, recordings, on_request or revoked",
			MessageVI: "Chế độ chia sẻ phải là live, recordings, on_request hoặc revoked"})
	}
	if len(s.Windows) > 8 {
		bad = append(bad, FieldError{Field: "sharing.windows", Message: "At most 8 time windows", MessageVI: "Tối đa 8 khung giờ"})
	}
	for i, w := range s.Windows {
		from, err1 := parseClock(w.From)
		to, err2 := parseClock(w.To)
		if err1 != nil || err2 != nil || from == to {
			bad = append(bad, FieldError{Field: fmt.Sprintf("sharing.windows[%d]", i),
				Message:   "A window needs a start and a different end, as HH:MM",
				MessageVI: "Khung giờ cần giờ bắt đầu và giờ kết thúc khác nhau, dạng HH:MM"})
		}
	}
	if len(bad) > 0 {
		return &Error{Code: EINVALID, Message: "The sharing settings are not valid", MessageVI: "Cài đặt chia sẻ không hợp lệ", Fields: bad}
	}
	return nil
}

// Active reports whether the node should connect to and record the camera:
// switched on, approved, not paused, and not revoked.
func (c *Camera) Active() bool {
	en, _ := c.InactiveReason()
	return en == ""
}

// InactiveReason says, in both languages, why the node does not connect to
// the camera; "" when it does.
func (c *Camera) InactiveReason() (en, vi string) {
	switch {
	case !c.Enabled:
		return "the camera is switched off in the registry", "camera đang bị tắt trong danh sách quản lý"
	case c.approval() != ApprovalApproved:
		return "the camera's registration is not approved", "đăng ký camera chưa được duyệt"
	case c.sharingMode() == ShareRevoked:
		return "the owner has stopped sharing the camera", "chủ camera đã ngừng chia sẻ"
	case c.Sharing.Paused:
		return "the owner has paused sharing the camera", "chủ camera đang tạm dừng chia sẻ"
	}
	return "", ""
}

// Allows reports whether the police may use the camera for access at the
// moment at (now for live view, the footage's time for playback), and if
// not, why, in both languages.
func (c *Camera) Allows(access Access, at time.Time) (ok bool, why, whyVI string) {
	switch {
	case c.approval() != ApprovalApproved:
		return false, "This camera's registration is not approved", "Camera này chưa được duyệt đăng ký"
	case c.sharingMode() == ShareRevoked:
		return false, "The owner has stopped sharing this camera", "Chủ camera đã ngừng chia sẻ camera này"
	case c.sharingMode() == ShareOnRequest:
		return false, "The owner shares this camera only on request", "Chủ camera chỉ chia sẻ khi có yêu cầu"
	case access == AccessLive && c.Sharing.Paused:
		return false, "The owner has paused sharing this camera", "Chủ camera đang tạm dừng chia sẻ camera này"
	case access == AccessLive && c.sharingMode() == ShareRecordings:
		return false, "The owner shares recordings of this camera, not its live view", "Chủ camera chỉ chia sẻ bản ghi, không chia sẻ hình trực tiếp"
	case !c.Sharing.inWindows(at):
		return false, "The owner does not share this camera at that time of day", "Chủ camera không chia sẻ camera này vào giờ đó"
	}
	return true, "", ""
}

// approval and sharingMode read a camera stored before contributions
// existed (empty fields) as the ward's own: approved, shared live.
func (c *Camera) approval() Approval {
	if c.Approval == "" {
		return ApprovalApproved
	}
	return c.Approval
}

func (c *Camera) sharingMode() SharingMode {
	if c.Sharing.Mode == "" {
		return ShareLive
	}
	return c.Sharing.Mode
}
