package report

import (
	"testing"
	"time"

	"matthan"
)

func TestParsePeriod(t *testing.T) {
	vn := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, matthan.Vietnam).UTC()
	}
	for _, tc := range []struct {
		in                string
		kind              PeriodKind
		from, to          time.Time
		str, vi, en, prev string
		days, buckets     int
	}{
		{"2026-11", Month, vn(2026, 11, 1), vn(2026, 12, 1), "2026-11", "tháng 11/2026", "November 2026", "2026-10", 30, 30},
		{"2026-01", Month, vn(2026, 1, 1), vn(2026, 2, 1), "2026-01", "tháng 01/2026", "January 2026", "2025-12", 31, 31},
		{"2028-02", Month, vn(2028, 2, 1), vn(2028, 3, 1), "2028-02", "tháng 02/2028", "February 2028", "2028-01", 29, 29},
		{"2026-Q4", Quarter, vn(2026, 10, 1), vn(2027, 1, 1), "2026-Q4", "quý IV/2026", "Q4 2026", "2026-Q3", 92, 14},
		{" 2026-q1 ", Quarter, vn(2026, 1, 1), vn(2026, 4, 1), "2026-Q1", "quý I/2026", "Q1 2026", "2025-Q4", 90, 13},
	} {
		p, err := ParsePeriod(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if p.Kind != tc.kind || !p.From.Equal(tc.from) || !p.To.Equal(tc.to) || p.String() != tc.str ||
			p.LabelVI() != tc.vi || p.LabelEN() != tc.en || p.Previous().String() != tc.prev || p.Days() != tc.days {
			t.Errorf("%q: %+v %s %s %s prev %s days %d", tc.in, p, p, p.LabelVI(), p.LabelEN(), p.Previous(), p.Days())
		}
		bs := p.Buckets()
		if len(bs) != tc.buckets || !bs[0].From.Equal(p.From) || !bs[len(bs)-1].To.Equal(p.To) {
			t.Errorf("%q: %d buckets %v … %v", tc.in, len(bs), bs[0], bs[len(bs)-1])
		}
	}
	q4, _ := ParsePeriod("2026-Q4")
	if b := q4.Buckets()[13]; b.LabelVI != "Tuần 14 (31/12–31/12)" || b.To.Sub(b.From) != 24*time.Hour {
		t.Errorf("the last week of Q4: %+v", b)
	}
	if b := q4.Buckets()[0]; b.LabelVI != "Tuần 1 (01/10–07/10)" || b.LabelEN != "Week 1 (01/10–07/10)" {
		t.Errorf("the first week of Q4: %+v", b)
	}
	for _, bad := range []string{"", "2026", "2026-13", "2026-00", "2026-1", "2026-Q5", "2026-Q0", "26-11", "2026-Q", "2026-+1",
		"2026-011", "1989-01", "2200-01", "2026/11", "2026-Q-1", "abcd-11"} {
		if _, err := ParsePeriod(bad); matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("ParsePeriod(%q) = %v, want EINVALID", bad, err)
		}
	}
	if p := PeriodOf(Quarter, time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC)); p.String() != "2027-Q1" { // 01:00 on 1/1 in Vietnam
		t.Errorf("PeriodOf: %s", p)
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-Q4", "2026-q1", "2026-13", "x", "9999-Q9", "2026-+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		q, err := ParsePeriod(p.String())
		if err != nil || q != p {
			t.Fatalf("%q → %s does not read back: %v", s, p, err)
		}
		if !p.From.Before(p.To) || len(p.Buckets()) == 0 {
			t.Fatalf("%q: empty period %+v", s, p)
		}
	})
}
