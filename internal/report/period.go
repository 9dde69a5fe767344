package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"matthan"
)

// PeriodKind says whether a report covers a month or a quarter.
type PeriodKind string

const (
	Month   PeriodKind = "month"
	Quarter PeriodKind = "quarter"
)

// Period is a calendar month or quarter in Asia/Ho_Chi_Minh: [From, To).
type Period struct {
	Kind PeriodKind
	Year int
	N    int       // the month 1–12, or the quarter 1–4
	From time.Time // UTC: local midnight of the first day
	To   time.Time // UTC: local midnight after the last day
}

// NewPeriod returns month n (1–12) or quarter n (1–4) of year.
func NewPeriod(kind PeriodKind, year, n int) (Period, error) {
	first := 0
	switch {
	case year < 1990 || year > 2199:
	case kind == Month && n >= 1 && n <= 12:
		first = n
	case kind == Quarter && n >= 1 && n <= 4:
		first = 3*(n-1) + 1
	}
	if first == 0 {
		return Period{}, badPeriod(fmt.Sprintf("%s %d/%d", kind, n, year))
	}
	from := time.Date(year, time.Month(first), 1, 0, 0, 0, 0, matthan.Vietnam)
	months := 1
	if kind == Quarter {
		months = 3
	}
	return Period{Kind: kind, Year: year, N: n, From: from.UTC(), To: from.AddDate(0, months, 0).UTC()}, nil
}

// ParsePeriod reads "2026-11" (a month) or "2026-Q4" (a quarter; "q4" too).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	y, rest, ok := strings.Cut(s, "-")
	year, err := strconv.Atoi(y)
	if !ok || err != nil || len(y) != 4 || rest == "" {
		return Period{}, badPeriod(s)
	}
	kind := Month
	if rest[0] == 'Q' || rest[0] == 'q' {
		kind, rest = Quarter, rest[1:]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || len(rest) > 2 || rest == "" || rest[0] == '+' || rest[0] == '-' {
		return Period{}, badPeriod(s)
	}
	if kind == Month && len(rest) != 2 {
		return Period{}, badPeriod(s)
	}
	return NewPeriod(kind, year, n)
}

func badPeriod(s string) error {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return &matthan.Error{Code: matthan.EINVALID, Message: "Invalid report period", MessageVI: "Kỳ báo cáo không hợp lệ",
		Fields: []matthan.FieldError{{Field: "period",
			Message:   fmt.Sprintf("%q: write a month as 2026-11 or a quarter as 2026-Q4 (years 1990 to 2199)", s),
			MessageVI: fmt.Sprintf("%q: hãy viết tháng dạng 2026-11 hoặc quý dạng 2026-Q4 (năm 1990 đến 2199)", s)}}}
}

// PeriodOf returns the month or quarter that t falls in (Vietnam time).
func PeriodOf(kind PeriodKind, t time.Time) Period {
	l := t.In(matthan.Vietnam)
	n := int(l.Month())
	if kind == Quarter {
		n = (n-1)/3 + 1
	}
	p, _ := NewPeriod(kind, l.Year(), n) // a real time's month is valid
	return p
}

// String is the period as ParsePeriod reads it.
func (p Period) String() string {
	if p.Kind == Quarter {
		return fmt.Sprintf("%d-Q%d", p.Year, p.N)
	}
	return fmt.Sprintf("%d-%02d", p.Year, p.N)
}

// Previous is the month or quarter before p.
func (p Period) Previous() Period {
	last := p.From.Add(-time.Hour) // inside the previous period
	return PeriodOf(p.Kind, last)
}

var romans = [...]string{"I", "II", "III", "IV"}

// LabelVI names the period as a Vietnamese report does: "tháng 11/2026",
// "quý IV/2026".
func (p Period) LabelVI() string {
	if p.Kind == Quarter {
		return fmt.Sprintf("quý %s/%d", romans[p.N-1], p.Year)
	}
	return fmt.Sprintf("tháng %02d/%d", p.N, p.Year)
}

// LabelEN names the period in English: "November 2026", "Q4 2026".
func (p Period) LabelEN() string {
	if p.Kind == Quarter {
		return fmt.Sprintf("Q%d %d", p.N, p.Year)
	}
	return fmt.Sprintf("%s %d", time.Month(p.N), p.Year)
}

// Days is the number of days in the period.
func (p Period) Days() int { return int(p.To.Sub(p.From) / (24 * time.Hour)) }

// Bucket is one step of the traffic counts over time: a day of a month or
// a week (seven days from the period's first day; the last may be shorter)
// of a quarter.
type Bucket struct {
	Label   string    `json:"label"`    // "05" (a day) or "T3" / "W3" (a week), for charts
	LabelVI string    `json:"label_vi"` // "05/11" or "Tuần 3 (15/10–21/10)"
	LabelEN string    `json:"label_en"`
	From    time.Time `json:"from"` // UTC
	To      time.Time `json:"to"`
}

// Buckets cuts the period into days (a month) or weeks (a quarter).
func (p Period) Buckets() []Bucket {
	var out []Bucket
	day := 24 * time.Hour
	if p.Kind == Month {
		for from := p.From; from.Before(p.To); from = from.Add(day) {
			l := from.In(matthan.Vietnam)
			out = append(out, Bucket{Label: l.Format("02"), LabelVI: l.Format("02/01"), LabelEN: l.Format("02/01"),
				From: from, To: from.Add(day)})
		}
		return out
	}
	for i, from := 0, p.From; from.Before(p.To); i, from = i+1, from.Add(7*day) {
		to := from.Add(7 * day)
		if to.After(p.To) {
			to = p.To
		}
		span := from.In(matthan.Vietnam).Format("02/01") + "–" + to.Add(-day).In(matthan.Vietnam).Format("02/01")
		out = append(out, Bucket{Label: strconv.Itoa(i + 1), LabelVI: fmt.Sprintf("Tuần %d (%s)", i+1, span),
			LabelEN: fmt.Sprintf("Week %d (%s)", i+1, span), From: from, To: to})
	}
	return out
}
