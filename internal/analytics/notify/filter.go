package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"matthan"
)

// Filter says which events a subscription (a webhook, the MQTT feed, one
// officer's alerts) wants. Zero fields match all.
type Filter struct {
	Cameras     []string
	Types       []matthan.EventType
	MinSeverity matthan.Severity
	Quiet       *QuietHours // nil: no quiet hours
}

// Match reports whether e should go out at now.
func (f Filter) Match(e *matthan.AnalyticsEvent, now time.Time) bool {
	if len(f.Cameras) > 0 && !slices.Contains(f.Cameras, e.CameraID) {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, e.Type) {
		return false
	}
	if e.Severity.Rank() < f.MinSeverity.Rank() {
		return false
	}
	return f.Quiet == nil || !f.Quiet.Suppresses(e, now)
}

// QuietHours hold back notifications during part of each day, in
// Asia/Ho_Chi_Minh: From 22:00 To 06:00 spans midnight. Events at least as
// severe as Except still go out; an empty Except holds back everything.
type QuietHours struct {
	From, To time.Duration // since local midnight
	Except   matthan.Severity
}

// ParseQuietHours reads "22:00-06:00" (Vietnam time).
func ParseQuietHours(s string, except matthan.Severity) (*QuietHours, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	f, err1 := parseClock(from)
	t, err2 := parseClock(to)
	if !ok || err1 != nil || err2 != nil {
		return nil, &matthan.Error{Code: matthan.EINVALID,
			Message:   fmt.Sprintf("Quiet hours %q: write HH:MM-HH:MM, e.g. 22:00-06:00 (Vietnam time)", s),
			MessageVI: fmt.Sprintf("Giờ yên lặng %q: hãy viết HH:MM-HH:MM, ví dụ 22:00-06:00 (giờ Việt Nam)", s)}
	}
	return &QuietHours{From: f, To: t, Except: except}, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Active reports whether now is within the quiet hours (From inclusive, To
// exclusive). From == To means no quiet hours.
func (q *QuietHours) Active(now time.Time) bool {
	l := now.In(matthan.Vietnam)
	d := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
	if q.From <= q.To {
		return d >= q.From && d < q.To
	}
	return d >= q.From || d < q.To
}

// Suppresses reports whether e is held back at now.
func (q *QuietHours) Suppresses(e *matthan.AnalyticsEvent, now time.Time) bool {
	if !q.Active(now) {
		return false
	}
	return q.Except == "" || e.Severity.Rank() < q.Except.Rank()
}
