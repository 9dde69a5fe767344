package ingest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when the test says so; timers fire during Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]struct{}
	made   chan struct{} // closed and replaced whenever a timer is armed
}

type fakeTimer struct {
	clk *fakeClock
	at  time.Time
	c   chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{
		now:    time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC),
		timers: make(map[*fakeTimer]struct{}),
		made:   make(chan struct{}),
	}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers[t] = struct{}{}
	close(c.made)
	c.made = make(chan struct{})
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	_, armed := t.clk.timers[t]
	delete(t.clk.timers, t)
	return armed
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for t := range c.timers {
		if !t.at.After(c.now) {
			t.c <- t.at
			delete(c.timers, t)
		}
	}
}

// waitDue waits until some goroutine has armed a timer due exactly at at.
// The real-time limit only turns a broken supervisor into a failure.
func (c *fakeClock) waitDue(t *testing.T, at time.Time) {
	t.Helper()
	limit := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		var pending []string
		found := false
		for tm := range c.timers {
			found = found || tm.at.Equal(at)
			pending = append(pending, fmt.Sprint(tm.at.Sub(c.now)))
		}
		made := c.made
		c.mu.Unlock()
		if found {
			return
		}
		select {
		case <-made:
		case <-limit:
			sort.Strings(pending)
			t.Fatalf("no timer due in %s; timers due in %v", at.Sub(c.Now()), pending)
		}
	}
}

// waitDueIn waits for a timer due d from now.
func (c *fakeClock) waitDueIn(t *testing.T, d time.Duration) {
	t.Helper()
	c.waitDue(t, c.Now().Add(d))
}
