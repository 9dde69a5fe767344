package matthan

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	tests := []struct {
		in   string
		want time.Time // zero: invalid
	}{
		{"2026-01-15T01:00:00Z", utc("2026-01-15T01:00:00Z")},
		{"2026-01-15T08:00:00+07:00", utc("2026-01-15T01:00:00Z")},
		{"2026-01-15T08:00:00 07:00", utc("2026-01-15T01:00:00Z")}, // '+' lost in a query string
		{"2026-01-15T01:00:00.25Z", utc("2026-01-15T01:00:00.25Z")},
		{" 15/01/2026 08:00:00 ", utc("2026-01-15T01:00:00Z")},
		{"01/01/2026 00:00:00", utc("2025-12-31T17:00:00Z")},
		{"2026-01-15 08:00:00", time.Time{}},
		{"32/01/2026 08:00:00", time.Time{}},
		{"15/01/2026", time.Time{}},
		{"1960-01-01T00:00:00Z", time.Time{}},
		{"9999-01-01T00:00:00Z", time.Time{}},
		{"", time.Time{}},
		{"now", time.Time{}},
	}
	for _, tc := range tests {
		got, err := ParseTime("from", tc.in)
		if tc.want.IsZero() {
			var e *Error
			if err == nil || ErrorCode(err) != EINVALID {
				t.Errorf("%q: %v, %v; want EINVALID", tc.in, got, err)
			} else if e = err.(*Error); len(e.Fields) != 1 || e.Fields[0].Field != "from" || e.Fields[0].MessageVI == "" {
				t.Errorf("%q: error %+v", tc.in, e)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseTime: any input gives a UTC time in the accepted years or a
// bilingual EINVALID, never a panic.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-01-15T08:00:00+07:00", "2026-01-15T08:00:00 07:00", "15/01/2026 08:00:00",
		"2026-01-15T01:00:00.123456789Z", "31/12/2199 23:59:59", "", "\xff", strings.Repeat("9", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime("at", s)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].MessageVI == "" {
				t.Fatalf("%q: error %#v", s, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Before(minInputTime) || !got.Before(maxInputTime) {
			t.Fatalf("%q: %v", s, got)
		}
	})
}

func TestFormatLocal(t *testing.T) {
	if s := FormatLocal(time.Date(2026, 3, 1, 17, 30, 0, 0, time.UTC)); s != "02/03/2026 00:30:00" {
		t.Errorf("FormatLocal = %q, want 02/03/2026 00:30:00", s)
	}
}
