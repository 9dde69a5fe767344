package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/analytics/decode"
	"matthan/internal/media"
)

// mainFrames gives frames of a camera's main stream near a moment, for
// crops the analysed sub-stream is too small for (a rider's head under
// helmet.MinHeadPx). Decoding a main stream costs several times the
// sub-stream's, so it runs only while someone asks.
type mainFrames interface {
	// want asks for frames from now on for a while (mainIdle); false when
	// the node's main-stream decoders are all taken (Deps.MainSlots).
	want(ctx context.Context) bool
	// nearest returns the kept frame closest to at, if one is within
	// mainTolerance; nil otherwise (none decoded that far yet, or gone).
	nearest(at time.Time) *analytics.Frame
	close()
}

const (
	// mainFPS keeps nearly every frame of a 25 fps main stream, so the
	// nearest one is within 20 ms of the analysed frame: a rider at
	// 150 px/s of the sub-stream is 9 px off in a 1080p frame.
	mainFPS = 25
	// mainWidth bounds the decoded width: heads big enough to judge,
	// frames small enough to keep a second of.
	mainWidth = 1280
	// mainTolerance is how far from the asked moment a frame may be.
	mainTolerance = 30 * time.Millisecond
	// mainKeep is how much media time of frames is kept: the analysed
	// frame's crops wait for the main stream's decoder, which runs behind.
	mainKeep = time.Second
	// mainIdle stops the decoder this long after the last want.
	mainIdle = 10 * time.Second
)

// mainStream decodes a camera's main stream on demand into a short ring
// of frames. It owns one decoder goroutine while running.
type mainStream struct {
	hub *media.Hub
	cfg decode.Config
	now func() time.Time
	// slots bounds the decoders running on the node, a token each; nil:
	// no bound.
	slots chan struct{}

	mu     sync.Mutex
	frames []*analytics.Frame // by At, the last mainKeep
	wanted time.Time          // wall clock of the last want
	cancel context.CancelFunc // nil: not running
	done   chan struct{}
}

func newMainStream(hub *media.Hub, camera string, slots, starting chan struct{}, log *slog.Logger) *mainStream {
	return &mainStream{hub: hub, now: time.Now, slots: slots,
		cfg: decode.Config{CameraID: camera, FPS: mainFPS, Width: mainWidth, Buffer: 8, Starting: starting, Log: log}}
}

func (m *mainStream) want(ctx context.Context) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel != nil {
		m.wanted = m.now()
		return true
	}
	if m.slots != nil {
		select {
		case m.slots <- struct{}{}:
		default:
			return false // every slot is taken: not this time
		}
	}
	m.wanted = m.now()
	ctx, cancel := context.WithCancel(ctx)
	m.cancel, m.done = cancel, make(chan struct{})
	go m.run(ctx, m.done)
	return true
}

// run decodes until ctx ends or nobody wanted frames for mainIdle, then
// gives its slot back.
func (m *mainStream) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	if m.slots != nil {
		defer func() { <-m.slots }()
	}
	dec := decode.New(m.hub, m.cfg)
	decoded := make(chan struct{})
	go func() {
		defer close(decoded)
		dec.Run(ctx) // returns when ctx ends; its errors are its Stats'
	}()
	defer func() { <-decoded }()
	idle := time.NewTicker(time.Second)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-dec.Frames():
			m.add(f)
		case <-idle.C:
			if m.stopIfIdle() {
				return
			}
		}
	}
}

func (m *mainStream) add(f *analytics.Frame) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frames = append(m.frames, f)
	drop := 0
	for drop < len(m.frames) && f.At.Sub(m.frames[drop].At) > mainKeep {
		drop++
	}
	m.frames = append(m.frames[:0], m.frames[drop:]...)
}

// stopIfIdle ends the run when nobody wanted frames for mainIdle, and
// drops the kept frames (they are a second of full-size pictures).
func (m *mainStream) stopIfIdle() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel == nil || m.now().Sub(m.wanted) < mainIdle {
		return false
	}
	m.cancel()
	m.cancel, m.frames = nil, nil
	return true
}

func (m *mainStream) nearest(at time.Time) *analytics.Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *analytics.Frame
	for _, f := range m.frames {
		if d := f.At.Sub(at).Abs(); d <= mainTolerance && (best == nil || d < best.At.Sub(at).Abs()) {
			best = f
		}
	}
	return best
}

// running reports whether the decoder runs, for tests and counters.
func (m *mainStream) running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cancel != nil
}

// close stops the decoder and waits for it.
func (m *mainStream) close() {
	m.mu.Lock()
	cancel, done := m.cancel, m.done
	m.cancel, m.frames = nil, nil
	m.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if done != nil {
		<-done
	}
}
