package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"matthan"
)

// Clock is a time of day in Asia/Ho_Chi_Minh, in minutes after midnight,
// written "HH:MM".
type Clock int

// At returns the clock time h:m.
func At(h, m int) Clock { return Clock(h*60 + m) }

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// MarshalText writes "HH:MM".
func (c Clock) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads "HH:MM" (00:00 to 24:00).
func (c *Clock) UnmarshalText(b []byte) error {
	var h, m int
	if _, err := fmt.Sscanf(string(b), "%d:%d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return fmt.Errorf("clock time %q: want HH:MM", b)
	}
	*c = At(h, m)
	return nil
}

// Schedule is a window of the week in Asia/Ho_Chi_Minh: on Days (every day
// when empty), from From to To. A window whose To is not after From runs
// across midnight and belongs to the day it starts on: a Friday night
// 22:00–05:00 ends on Saturday at 05:00. From is in the window, To is not.
type Schedule struct {
	Name string         `json:"name"`
	Days []time.Weekday `json:"days,omitempty"`
	From Clock          `json:"from"`
	To   Clock          `json:"to"`
}

// Night is the ward's default night window, 22:00–05:00 every day.
func Night() Schedule { return Schedule{Name: "night", From: At(22, 0), To: At(5, 0)} }

// Noon is the ward's default noon window, 11:30–13:30 every day, when the
// street is empty and houses are closed.
func Noon() Schedule { return Schedule{Name: "noon", From: At(11, 30), To: At(13, 30)} }

// Active reports whether t falls in the window.
func (s Schedule) Active(t time.Time) bool {
	local := t.In(matthan.Vietnam)
	sec := local.Hour()*3600 + local.Minute()*60 + local.Second()
	from, to := int(s.From)*60, int(s.To)*60
	day := local.Weekday()
	switch {
	case from < to:
		return s.on(day) && sec >= from && sec < to
	case from == to: // 00:00–00:00 and the like: the whole day
		return s.on(day)
	}
	// Across midnight: the evening part is today's, the morning part
	// yesterday's.
	if sec >= from {
		return s.on(day)
	}
	return sec < to && s.on((day+6)%7)
}

func (s Schedule) on(d time.Weekday) bool { return len(s.Days) == 0 || slices.Contains(s.Days, d) }

func (s Schedule) validate(field string) []matthan.FieldError {
	var errs []matthan.FieldError
	if s.From < 0 || s.From > At(24, 0) || s.To < 0 || s.To > At(24, 0) {
		errs = append(errs, fieldErr(field, "from and to must be between 00:00 and 24:00",
			"giờ bắt đầu và kết thúc phải trong khoảng 00:00 đến 24:00"))
	}
	for _, d := range s.Days {
		if d < time.Sunday || d > time.Saturday {
			errs = append(errs, fieldErr(field+".days", fmt.Sprintf("unknown weekday %d (0 is Sunday, 6 Saturday)", d),
				fmt.Sprintf("ngày trong tuần %d không hợp lệ (0 là Chủ nhật, 6 là thứ Bảy)", d)))
			break
		}
	}
	return errs
}

// describe writes the window for an officer, in English and Vietnamese.
func (s Schedule) describe() (en, vi string) {
	en = fmt.Sprintf("%s–%s", s.From, s.To)
	vi = en
	if s.Name != "" {
		en = s.Name + " " + en
		vi = s.Name + " " + vi
	}
	if len(s.Days) > 0 {
		var de, dv []string
		for _, d := range s.Days {
			de = append(de, d.String()[:3])
			dv = append(dv, weekdayVI(d))
		}
		en += " on " + strings.Join(de, ", ")
		vi += " vào " + strings.Join(dv, ", ")
	}
	return en, vi
}

func weekdayVI(d time.Weekday) string {
	return [7]string{"Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy"}[d%7]
}

// anyActive is true when there is no schedule (always) or one is active.
func anyActive(ss []Schedule, t time.Time) bool {
	if len(ss) == 0 {
		return true
	}
	for _, s := range ss {
		if s.Active(t) {
			return true
		}
	}
	return false
}
