package auth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"matthan"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)
	l := newLimiter(3, 15*time.Minute, 100)
	for i := range 3 {
		if w := l.blocked(t0, "ip:a", "name:lan"); w != 0 {
			t.Fatalf("blocked before failure %d", i+1)
		}
		if n := l.fail(t0.Add(time.Duration(i)*time.Minute), "ip:a", "name:lan"); n != i+1 {
			t.Fatalf("failure count %d, want %d", n, i+1)
		}
	}
	// Blocked until the oldest of the last three failures leaves the window.
	if w := l.blocked(t0.Add(3*time.Minute), "ip:b", "name:lan"); w != 12*time.Minute {
		t.Errorf("name blocked for %v, want 12m", w)
	}
	if w := l.blocked(t0.Add(3*time.Minute), "ip:a", "name:hoa"); w != 12*time.Minute {
		t.Errorf("address blocked for %v, want 12m", w)
	}
	if w := l.blocked(t0.Add(3*time.Minute), "ip:b", "name:hoa"); w != 0 {
		t.Errorf("others blocked for %v", w)
	}
	if w := l.blocked(t0.Add(15*time.Minute), "ip:a"); w != 0 {
		t.Errorf("still blocked after the window: %v", w)
	}
	l.clear("name:lan")
	if w := l.blocked(t0.Add(3*time.Minute), "name:lan"); w != 0 {
		t.Errorf("name blocked after clear: %v", w)
	}
}

func TestLimiterIsBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)
	l := newLimiter(2, time.Minute, 10)
	for i := range 1000 {
		l.fail(t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("ip:%d", i))
	}
	if n := l.size(); n > 10 {
		t.Fatalf("limiter holds %d keys, bound is 10", n)
	}
	// The newest keys are the ones kept.
	l.fail(t0.Add(time.Second), "ip:999")
	if w := l.blocked(t0.Add(time.Second), "ip:999"); w == 0 {
		t.Error("a recent key was evicted before older ones")
	}
}

func TestLimitErrorIsBilingual(t *testing.T) {
	err := error(&LimitError{RetryAfter: 61 * time.Second})
	if matthan.ErrorCode(err) != matthan.ETOOMANY {
		t.Fatalf("code %q", matthan.ErrorCode(err))
	}
	var e *matthan.Error
	if !errors.As(err, &e) || e.Message == e.MessageVI || e.MessageVI == "" {
		t.Fatalf("not bilingual: %+v", e)
	}
	if want := "2 phút"; !strings.Contains(e.MessageVI, want) {
		t.Errorf("%q lacks %q", e.MessageVI, want)
	}
	if d, ok := IsLimited(fmt.Errorf("wrapped: %w", err)); !ok || d != 61*time.Second {
		t.Errorf("IsLimited = %v %v", d, ok)
	}
}
