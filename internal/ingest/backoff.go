package ingest

import (
	"time"

	"matthan"
)

// backoffJitter is the share of a delay that jitter may take off (or, for
// the slow states, add).
const backoffJitter = 0.25

// backoffDelay is the wait before retry number failures (1 for the first
// retry) of a stream whose last session ended in state; r in [0, 1) is the
// jitter draw.
//
// The base doubles from BackoffMin up to BackoffMax and jitter takes up to
// 25% off it, so every delay lies in [0.75·BackoffMin, BackoffMax]. Failures
// that retrying soon cannot fix wait AuthBackoff plus up to 25%.
func backoffDelay(cfg Config, failures int, state matthan.StreamState, r float64) time.Duration {
	base := cfg.BackoffMin
	for i := 1; i < failures && base < cfg.BackoffMax; i++ {
		base *= 2
	}
	base = min(base, cfg.BackoffMax)
	d := base - time.Duration(r*backoffJitter*float64(base))
	switch state {
	case matthan.StateAuthFailed, matthan.StateBadURL, matthan.StateUnsupported:
		d = max(d, cfg.AuthBackoff+time.Duration(r*backoffJitter*float64(cfg.AuthBackoff)))
	}
	return d.Round(time.Millisecond)
}
