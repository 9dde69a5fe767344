package matthan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AlertSubscription is one user's choice of which analytics events alert
// them live on the screen (the banner and the desktop notification). It
// does not hide events anywhere else: the review queue shows every event.
//
// Zero lists match all. Cameras and Areas both choose places: an event
// matches when its camera is listed or lies in a listed area.
type AlertSubscription struct {
	User        string      `json:"-"`       // the user's name, as Layout.User and Session.User
	Cameras     []string    `json:"cameras"` // camera IDs; empty: every camera
	Areas       []string    `json:"areas"`   // Camera.Area values; empty: every area
	Types       []EventType `json:"types"`   // empty: every type
	MinSeverity Severity    `json:"min_severity"`
	// QuietFrom and QuietTo ("HH:MM", Asia/Ho_Chi_Minh) hold back alerts
	// each day from QuietFrom (inclusive) to QuietTo (exclusive); "22:00"
	// to "06:00" spans midnight. Both "" means no quiet hours.
	QuietFrom string `json:"quiet_from"`
	QuietTo   string `json:"quiet_to"`
	Desktop   bool   `json:"desktop"` // desktop notifications besides the banner
	// UpdatedAt is set by the store; zero for a user who never chose.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// DefaultAlertSubscription is what a user who never chose gets: alarms
// from every camera, with desktop notifications, as the screen alerted
// before subscriptions existed. Warnings come from every street all day;
// a user asks for them.
func DefaultAlertSubscription(user string) *AlertSubscription {
	return &AlertSubscription{User: user, Cameras: []string{}, Areas: []string{}, Types: []EventType{},
		MinSeverity: SeverityAlarm, Desktop: true}
}

// Bounds on what a user may send: a ward has dozens of cameras and areas.
const (
	maxSubscriptionCameras = 500
	maxSubscriptionAreas   = 100
	maxAreaLen             = 100 // characters
)

// Validate checks what a user may send. It trims areas and the quiet
// hours and replaces nil lists with empty ones.
func (s *AlertSubscription) Validate() error {
	if s.Cameras == nil {
		s.Cameras = []string{}
	}
	if s.Areas == nil {
		s.Areas = []string{}
	}
	if s.Types == nil {
		s.Types = []EventType{}
	}
	for i, a := range s.Areas {
		s.Areas[i] = strings.TrimSpace(a)
	}
	s.QuietFrom, s.QuietTo = strings.TrimSpace(s.QuietFrom), strings.TrimSpace(s.QuietTo)

	var bad []FieldError
	add := func(field, en, vi string) {
		bad = append(bad, FieldError{Field: field, Message: en, MessageVI: vi})
	}
	if len(s.Cameras) > maxSubscriptionCameras || slices.Contains(s.Cameras, "") {
		add("cameras", fmt.Sprintf("The camera list must hold up to %d camera IDs", maxSubscriptionCameras),
			fmt.Sprintf("Danh sách camera chỉ gồm tối đa %d mã camera", maxSubscriptionCameras))
	}
	if len(s.Areas) > maxSubscriptionAreas || slices.ContainsFunc(s.Areas, func(a string) bool {
		return a == "" || len([]rune(a)) > maxAreaLen
	}) {
		add("areas", fmt.Sprintf("The area list must hold up to %d names of 1 to %d characters", maxSubscriptionAreas, maxAreaLen),
			fmt.Sprintf("Danh sách khu vực chỉ gồm tối đa %d tên, mỗi tên từ 1 đến %d ký tự", maxSubscriptionAreas, maxAreaLen))
	}
	for _, t := range s.Types {
		if !slices.Contains(EventTypes, t) {
			add("types", fmt.Sprintf("Unknown event type %q", clipForMessage(string(t), 40)),
				fmt.Sprintf("Loại sự kiện %q không hợp lệ", clipForMessage(string(t), 40)))
			break
		}
	}
	if s.MinSeverity.Rank() == 0 {
		add("min_severity", "The minimum severity must be info, warning or alarm",
			"Mức độ tối thiểu phải là info, warning hoặc alarm")
	}
	from, errFrom := parseClock(s.QuietFrom)
	to, errTo := parseClock(s.QuietTo)
	switch {
	case s.QuietFrom == "" && s.QuietTo == "":
	case s.QuietFrom == "" || s.QuietTo == "":
		field := "quiet_from"
		if s.QuietTo == "" {
			field = "quiet_to"
		}
		add(field, "Give both the start and the end of the quiet hours, or neither",
			"Hãy nhập cả giờ bắt đầu và giờ kết thúc của giờ yên lặng, hoặc bỏ trống cả hai")
	default:
		if errFrom != nil {
			add("quiet_from", "Write the time as HH:MM, e.g. 22:00 (Vietnam time)", "Hãy viết giờ dạng HH:MM, ví dụ 22:00 (giờ Việt Nam)")
		}
		if errTo != nil {
			add("quiet_to", "Write the time as HH:MM, e.g. 06:00 (Vietnam time)", "Hãy viết giờ dạng HH:MM, ví dụ 06:00 (giờ Việt Nam)")
		}
		if errFrom == nil && errTo == nil && from == to {
			add("quiet_to", "The quiet hours must end at another time than they start",
				"Giờ kết thúc của giờ yên lặng phải khác giờ bắt đầu")
		}
	}
	if len(bad) > 0 {
		return &Error{Code: EINVALID, Message: "The alert settings have invalid fields",
			MessageVI: "Cài đặt cảnh báo có trường không hợp lệ", Fields: bad}
	}
	return nil
}

// Wants reports whether e should alert the user at now. cam is the
// event's camera, nil when unknown (deleted): it then matches only a
// subscription to every place or one that lists its ID.
func (s *AlertSubscription) Wants(e *AnalyticsEvent, cam *Camera, now time.Time) bool {
	if len(s.Cameras) > 0 || len(s.Areas) > 0 {
		inArea := cam != nil && slices.Contains(s.Areas, cam.Area)
		if !inArea && !slices.Contains(s.Cameras, e.CameraID) {
			return false
		}
	}
	if len(s.Types) > 0 && !slices.Contains(s.Types, e.Type) {
		return false
	}
	if e.Severity.Rank() < s.MinSeverity.Rank() {
		return false
	}
	return !s.Quiet(now)
}

// Quiet reports whether now lies in the quiet hours (Vietnam time). Hours
// that do not parse count as none: Validate refuses them.
func (s *AlertSubscription) Quiet(now time.Time) bool {
	return TimeWindow{From: s.QuietFrom, To: s.QuietTo}.Contains(now)
}

func clipForMessage(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// AlertSubscriptionStore keeps each user's alert subscription. The SQLite
// store implements it; a subscription goes when its user goes.
type AlertSubscriptionStore interface {
	// AlertSubscription returns the user's subscription, or
	// DefaultAlertSubscription when they never chose. ENOTFOUND for an
	// unknown user.
	AlertSubscription(ctx context.Context, user string) (*AlertSubscription, error)
	// SetAlertSubscription replaces the subscription of s.User (Validate
	// applies) and sets s.UpdatedAt. ENOTFOUND for an unknown user.
	SetAlertSubscription(ctx context.Context, s *AlertSubscription) error
}
