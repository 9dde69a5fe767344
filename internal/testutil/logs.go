// Package testutil holds helpers shared by tests of several packages.
package testutil

import (
	"bytes"
	"sync"
)

// Logs collects log output written from many goroutines, so a test can
// check what was (and what was never) logged, e.g. a password.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
