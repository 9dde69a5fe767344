package ingest

import (
	"testing"
	"time"

	"matthan"
)

func TestBackoffDelay(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		failures int
		state    matthan.StreamState
		r        float64
		want     time.Duration
	}{
		{1, matthan.StateOffline, 0, time.Second},
		{2, matthan.StateOffline, 0, 2 * time.Second},
		{5, matthan.StateOffline, 0, 16 * time.Second},
		{6, matthan.StateOffline, 0, 30 * time.Second}, // capped
		{100, matthan.StateStalled, 0, 30 * time.Second},
		{1, matthan.StateOffline, 0.5, 875 * time.Millisecond},
		{4, matthan.StateOffline, 1, 6 * time.Second},
		{1, matthan.StateAuthFailed, 0, time.Minute},
		{1, matthan.StateAuthFailed, 1, 75 * time.Second},
		{20, matthan.StateBadURL, 0, time.Minute},
		{1, matthan.StateUnsupported, 0.5, 67500 * time.Millisecond},
	} {
		if got := backoffDelay(cfg, tc.failures, tc.state, tc.r); got != tc.want {
			t.Errorf("backoffDelay(%d, %s, %v) = %v, want %v", tc.failures, tc.state, tc.r, got, tc.want)
		}
	}
}

// With the real jitter source, delays spread and stay within the bounds.
func TestBackoffJitterBounds(t *testing.T) {
	m := NewManager(Config{}, nil, nil, nil, nil)
	cfg := m.cfg
	for failures := 1; failures <= 12; failures++ {
		base := min(cfg.BackoffMin<<(failures-1), cfg.BackoffMax)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := backoffDelay(cfg, failures, matthan.StateOffline, m.rand())
			if d < base*3/4 || d > base || d > cfg.BackoffMax {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", failures, d, base*3/4, base)
			}
			seen[d] = true
			a := backoffDelay(cfg, failures, matthan.StateAuthFailed, m.rand())
			if a < cfg.AuthBackoff || a > cfg.AuthBackoff*5/4 {
				t.Fatalf("auth delay %v outside [%v, %v]", a, cfg.AuthBackoff, cfg.AuthBackoff*5/4)
			}
		}
		if len(seen) < 20 {
			t.Fatalf("attempt %d: only %d distinct delays in 200: no jitter", failures, len(seen))
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d      time.Duration
		en, vi string
	}{
		{750 * time.Millisecond, "0.8 s", "0,8 giây"},
		{8 * time.Second, "8 s", "8 giây"},
		{59940 * time.Millisecond, "59.9 s", "59,9 giây"},
		{time.Minute, "1 min", "1 phút"},
		{75 * time.Second, "1 min 15 s", "1 phút 15 giây"},
	} {
		en, vi := matthan.FormatDuration(tc.d)
		if en != tc.en || vi != tc.vi {
			t.Errorf("matthan.FormatDuration(%v) = %q, %q; want %q, %q", tc.d, en, vi, tc.en, tc.vi)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for _, c := range []Config{
		{StallTimeout: -time.Second},
		{BackoffMin: time.Minute, BackoffMax: time.Second},
		{Transport: "quic"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v passed Validate", c)
		}
	}
}
