package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"matthan"
)

// segmentChecks hashes source segment files against the index on their own
// goroutines while the clips are written, so the export takes about as long
// as its largest pass instead of the sum. The two passes cannot share one
// read: a check hashes the whole file, a clip reads only samples in range.
type segmentChecks struct {
	dir    string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // a check was queued

	mu     sync.Mutex
	queue  []*segmentCheck
	byPath map[string]*segmentCheck
}

// segmentCheck is one segment's check; result is set when done closes.
type segmentCheck struct {
	seg    *matthan.Segment
	done   chan struct{}
	result string
}

// newSegmentChecks starts the checkers; close stops them.
func newSegmentChecks(ctx context.Context, dir string) *segmentChecks {
	ctx, cancel := context.WithCancel(ctx)
	sc := &segmentChecks{dir: dir, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1),
		byPath: map[string]*segmentCheck{}}
	// One core stays with the clip writer; the disk gains little beyond four readers.
	workers := min(max(runtime.GOMAXPROCS(0)-1, 1), 4)
	sc.wg.Add(workers)
	for range workers {
		go sc.run()
	}
	return sc
}

// add queues a segment's check, once per file.
func (sc *segmentChecks) add(s *matthan.Segment) *segmentCheck {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if c, ok := sc.byPath[s.Path]; ok {
		return c
	}
	c := &segmentCheck{seg: s, done: make(chan struct{})}
	sc.byPath[s.Path] = c
	sc.queue = append(sc.queue, c)
	select {
	case sc.wake <- struct{}{}:
	default:
	}
	return c
}

// wait returns a check's result: FileOK, FileChanged or FileMissing.
func (sc *segmentChecks) wait(c *segmentCheck) (string, error) {
	select {
	case <-c.done:
	case <-sc.ctx.Done():
	}
	// A check cut short by the end of ctx is no finding about the file.
	if err := sc.ctx.Err(); err != nil {
		return "", err
	}
	return c.result, nil
}

func (sc *segmentChecks) run() {
	defer sc.wg.Done()
	for {
		sc.mu.Lock()
		var c *segmentCheck
		if len(sc.queue) > 0 {
			c, sc.queue = sc.queue[0], sc.queue[1:]
		}
		more := len(sc.queue) > 0
		sc.mu.Unlock()
		if c == nil {
			select {
			case <-sc.wake:
				continue
			case <-sc.ctx.Done():
				return
			}
		}
		if more { // pass the wake-up on to an idle checker
			select {
			case sc.wake <- struct{}{}:
			default:
			}
		}
		c.result = checkSegment(sc.ctx, sc.dir, c.seg)
		close(c.done)
	}
}

// close stops the checkers and waits for them.
func (sc *segmentChecks) close() {
	sc.cancel()
	sc.wg.Wait()
}

// checkSegment hashes a source segment file and compares it with the index.
func checkSegment(ctx context.Context, dir string, s *matthan.Segment) string {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(s.Path)))
	if err != nil {
		return FileMissing
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, readerCtx{ctx, f}, make([]byte, 256<<10)); err != nil {
		return FileMissing
	}
	if hex.EncodeToString(h.Sum(nil)) != s.SHA256 {
		return FileChanged
	}
	return FileOK
}

// readerCtx stops a long read when ctx ends.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
