package auth

import (
	"fmt"
	"sync"
	"time"

	"matthan"
)

// LimitError says sign-in is refused for a while after too many failures.
// It unwraps to a *matthan.Error with code matthan.ETOOMANY.
type LimitError struct {
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the bilingual message.
func (e *LimitError) Unwrap() error {
	mins := int((e.RetryAfter + time.Minute - 1) / time.Minute)
	return matthan.Errorf(matthan.ETOOMANY,
		fmt.Sprintf("Too many failed sign-ins; try again in %d minute(s)", mins),
		fmt.Sprintf("Đăng nhập sai quá nhiều lần; vui lòng thử lại sau %d phút", mins))
}

// limiter counts sign-in failures per key (a client address, a user name)
// in a sliding window, in memory, for a bounded number of keys.
type limiter struct {
	max    int           // failures in window that block a key
	window time.Duration // how far back failures count
	keys   int           // most keys remembered

	mu sync.Mutex
	m  map[string][]time.Time // the last max failures, oldest first
}

func newLimiter(max int, window time.Duration, keys int) *limiter {
	return &limiter{max: max, window: window, keys: keys, m: map[string][]time.Time{}}
}

// blocked returns how long until each key may try again; 0 when all may.
func (l *limiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if times := l.recent(k, now); len(times) >= l.max {
			wait = max(wait, times[len(times)-l.max].Add(l.window).Sub(now))
		}
	}
	return wait
}

// fail records a failure for each key and returns the first key's count.
func (l *limiter) fail(now time.Time, keys ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := 0
	for i, k := range keys {
		times := l.recent(k, now)
		if times == nil && len(l.m) >= l.keys {
			l.evict(now)
		}
		times = append(times, now)
		if len(times) > l.max {
			times = times[len(times)-l.max:]
		}
		l.m[k] = times
		if i == 0 {
			first = len(times)
		}
	}
	return first
}

// clear forgets a key's failures.
func (l *limiter) clear(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}

// recent returns key's failures within the window, dropping older ones.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	times := l.m[key]
	i := 0
	for i < len(times) && !now.Before(times[i].Add(l.window)) {
		i++
	}
	if i == len(times) {
		delete(l.m, key)
		return nil
	}
	if i > 0 {
		times = append([]time.Time(nil), times[i:]...)
		l.m[key] = times
	}
	return times
}

// evict makes room: keys with no recent failure go first, then the key
// whose last failure is oldest.
func (l *limiter) evict(now time.Time) {
	var oldest string
	var at time.Time
	for k, times := range l.m {
		last := times[len(times)-1]
		if !now.Before(last.Add(l.window)) {
			delete(l.m, k)
			continue
		}
		if oldest == "" || last.Before(at) {
			oldest, at = k, last
		}
	}
	if len(l.m) >= l.keys {
		delete(l.m, oldest)
	}
}

// size is how many keys are remembered (for tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
