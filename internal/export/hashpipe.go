package export

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// asyncHash is a SHA-256 computed on its own goroutine from copies of what
// is written, so the writer goes on writing meanwhile: an export hashes
// each byte several times and would otherwise be bound by one core.
type asyncHash struct {
	h    hash.Hash
	free chan []byte // buffers to copy into; bounds the memory and the lag
	full chan []byte // buffers to hash, in order
	cur  []byte      // being filled; nil: take one from free
	done chan struct{}
	once sync.Once
}

const (
	asyncHashBuffers = 4
	asyncHashBufSize = 1 << 20
)

func newAsyncHash() *asyncHash {
	a := &asyncHash{h: sha256.New(), free: make(chan []byte, asyncHashBuffers),
		full: make(chan []byte, asyncHashBuffers), done: make(chan struct{})}
	for range asyncHashBuffers {
		a.free <- make([]byte, asyncHashBufSize)
	}
	go a.run()
	return a
}

func (a *asyncHash) run() {
	defer close(a.done)
	for b := range a.full {
		a.h.Write(b)
		a.free <- b[:cap(b)]
	}
}

// Write queues a copy of p to be hashed, a full buffer at a time.
func (a *asyncHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if a.cur == nil {
			a.cur = (<-a.free)[:0]
		}
		k := copy(a.cur[len(a.cur):cap(a.cur)], p)
		a.cur = a.cur[:len(a.cur)+k]
		p = p[k:]
		if len(a.cur) == cap(a.cur) {
			a.full <- a.cur
			a.cur = nil
		}
	}
	return n, nil
}

// close hashes what is left and stops the hashing goroutine; h is then
// the digest of all written.
func (a *asyncHash) close() {
	a.once.Do(func() {
		if len(a.cur) > 0 {
			a.full <- a.cur
		}
		a.cur = nil
		close(a.full)
	})
	<-a.done
}

// sum closes a and returns its digest in hex.
func (a *asyncHash) sum() string {
	a.close()
	return hex.EncodeToString(a.h.Sum(nil))
}
