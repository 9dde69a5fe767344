package matthan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Times are stored in UTC and shown to people in Asia/Ho_Chi_Minh as
// dd/MM/yyyy HH:mm:ss (design/time.md). This file is the one place that rule lives.

// LocalLayout is how people in Vietnam write a time: dd/MM/yyyy HH:mm:ss.
const LocalLayout = "02/01/2006 15:04:05"

// Vietnam is Asia/Ho_Chi_Minh: UTC+7 without daylight saving since 1975, so
// a fixed zone is exact and needs no tzdata on the machine.
var Vietnam = time.FixedZone("Asia/Ho_Chi_Minh", 7*3600)

// FormatLocal writes t as dd/MM/yyyy HH:mm:ss in Asia/Ho_Chi_Minh.
func FormatLocal(t time.Time) string { return t.In(Vietnam).Format(LocalLayout) }

// maxInputTime bounds what ParseTime accepts: no footage is from outside
// these years, and wider times overflow durations computed from them.
var minInputTime, maxInputTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseTime reads a time a person or a client gives: RFC 3339 in UTC or
// with an offset (2026-03-01T08:00:00+07:00, fractions allowed), or
// dd/MM/yyyy HH:mm:ss meaning Asia/Ho_Chi_Minh. A '+' of an offset that a
// query string turned into a space is read as '+'. It returns the time in
// UTC, or an EINVALID *matthan.Error naming field.
func ParseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return checkRange(field, s, t)
	}
	// "2026-03-01T08:00:00 07:00": an unescaped '+' in a URL query.
	if n := len(s); n > 6 && s[n-6] == ' ' && strings.Contains(s, "T") {
		if t, err := time.Parse(time.RFC3339Nano, s[:n-6]+"+"+s[n-5:]); err == nil {
			return checkRange(field, s, t)
		}
	}
	if t, err := time.ParseInLocation(LocalLayout, s, Vietnam); err == nil {
		return checkRange(field, s, t)
	}
	return time.Time{}, badTime(field, s)
}

func checkRange(field, s string, t time.Time) (time.Time, error) {
	if t.Before(minInputTime) || !t.Before(maxInputTime) {
		return time.Time{}, badTime(field, s)
	}
	return t.UTC(), nil
}

func badTime(field, s string) error {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return &Error{
		Code:      EINVALID,
		Message:   "Invalid time",
		MessageVI: "Thời điểm không hợp lệ",
		Fields: []FieldError{{
			Field: field,
			Message: fmt.Sprintf("%q: write RFC 3339 (2026-03-01T08:00:00+07:00) or dd/MM/yyyy HH:mm:ss (01/03/2026 08:00:00, Vietnam time) between 1970 and 2199",
				s),
			MessageVI: fmt.Sprintf("%q: hãy viết theo RFC 3339 (2026-03-01T08:00:00+07:00) hoặc dd/MM/yyyy HH:mm:ss (01/03/2026 08:00:00, giờ Việt Nam), trong khoảng 1970 đến 2199",
				s),
		}},
	}
}

// FormatDuration writes a duration for people, in English and Vietnamese:
// under a minute in seconds to a tenth ("1.5 s", "1,5 giây"), else hours,
// minutes and whole seconds ("1 h 30 min", "1 giờ 30 phút").
func FormatDuration(d time.Duration) (en, vi string) {
	if d < time.Minute {
		s := strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', -1, 64)
		return s + " s", strings.Replace(s, ".", ",", 1) + " giây"
	}
	d = d.Round(time.Second)
	var ens, vis []string
	for _, p := range []struct {
		n      int
		en, vi string
	}{{int(d / time.Hour), "h", "giờ"}, {int(d/time.Minute) % 60, "min", "phút"}, {int(d/time.Second) % 60, "s", "giây"}} {
		if p.n > 0 {
			ens, vis = append(ens, fmt.Sprintf("%d %s", p.n, p.en)), append(vis, fmt.Sprintf("%d %s", p.n, p.vi))
		}
	}
	return strings.Join(ens, " "), strings.Join(vis, " ")
}
