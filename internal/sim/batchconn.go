package sim

import (
	"net"
	"sync"
	"time"
)

// gortsplib writes every RTP packet (~1.4 KB) to a TCP reader's socket with
// its own syscall; with 100 cameras read over loopback those syscalls were
// most of the simulator's CPU time. batchConn gathers a connection's writes
// and sends them a moment later in one syscall, about one per frame: a
// camera's packets arrive a few milliseconds later, in far fewer writes.
const (
	batchDelay = 3 * time.Millisecond
	// batchMax is where Write stops gathering and sends at once, waiting for
	// the socket as an unbatched connection would (backpressure).
	batchMax = 256 << 10
)

// batchListener wraps accepted connections in batchConns.
type batchListener struct{ net.Listener }

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	b := &batchConn{Conn: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go b.run()
	return b, nil
}

type batchConn struct {
	net.Conn
	kick chan struct{} // a flush is wanted
	done chan struct{} // closed by Close: the flusher exits

	wmu sync.Mutex // serializes writes to the socket, keeping their order

	mu        sync.Mutex
	buf       []byte // gathered, not yet sent
	spare     []byte // the previous buffer, reused
	pending   bool   // a flush has been asked for
	err       error  // the first write error; later writes fail with it
	closeOnce sync.Once
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	c.buf = append(c.buf, p...)
	full := len(c.buf) >= batchMax
	if !full && !c.pending {
		c.pending = true
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()

	if full {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// run sends what was gathered, batchDelay after the first write of a batch.
func (c *batchConn) run() {
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
		}
		select {
		case <-c.done:
			return
		case <-time.After(batchDelay):
		}
		c.flush() //nolint:errcheck // kept in c.err for the next Write
	}
}

func (c *batchConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()

	c.mu.Lock()
	buf := c.buf
	c.buf, c.spare = c.spare[:0], nil
	c.pending = false
	c.mu.Unlock()

	var err error
	if len(buf) > 0 {
		_, err = c.Conn.Write(buf)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spare == nil && cap(buf) <= batchMax*2 {
		c.spare = buf[:0]
	}
	if err != nil && c.err == nil {
		c.err = err
	}
	return c.err
}

// Close sends what is gathered (an RTSP response may be waiting) and closes.
func (c *batchConn) Close() error {
	c.flush() //nolint:errcheck // closing anyway
	c.mu.Lock()
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.mu.Unlock()
	c.closeOnce.Do(func() { close(c.done) })
	return c.Conn.Close()
}
