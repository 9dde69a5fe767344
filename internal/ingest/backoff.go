package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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

// formatDuration writes d for people: "0.8 s", "8 s", "1 min 30 s" and
// "0,8 giây", "8 giây", "1 phút 30 giây".
func formatDuration(d time.Duration) (en, vi string) {
	if d < time.Minute {
		s := strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', -1, 64)
		return s + " s", strings.Replace(s, ".", ",", 1) + " giây"
	}
	d = d.Round(time.Second)
	mins, secs := int(d/time.Minute), int(d%time.Minute/time.Second)
	en, vi = fmt.Sprintf("%d min", mins), fmt.Sprintf("%d phút", mins)
	if secs > 0 {
		en += fmt.Sprintf(" %d s", secs)
		vi += fmt.Sprintf(" %d giây", secs)
	}
	return en, vi
}
