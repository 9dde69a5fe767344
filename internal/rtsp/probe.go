package rtsp

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"matthan"
	"matthan/internal/media"
)

// DefaultProbeTimeout bounds each request of a test connection when
// PullRequest.Timeout is zero: a person is waiting for the answer.
const DefaultProbeTimeout = 5 * time.Second

// ProbeResult is what a camera's stream carried on a test connection.
type ProbeResult struct {
	Codec  media.Codec // H264 or H265
	Width  int
	Height int
	FPS    float64     // measured over the first second of pictures; 0 when unknown
	Audio  media.Codec // AAC, G711, or "" without audio
}

// probeSpan is how much video a probe watches to measure the frame rate;
// probeWait bounds the wall time it waits for that after the first picture.
const (
	probeSpan = time.Second
	probeWait = 2 * time.Second
)

// Probe connects to a stream once, as Pull does, waits for its first
// pictures and says what it carries. A failure is a *matthan.StreamError
// with the same reasons as the health of a pulled stream (wrong password,
// nothing listening, no stream at that path, not H.264/H.265 video…),
// never containing the password. It returns within about twice the
// request timeout (DefaultProbeTimeout when zero).
func Probe(ctx context.Context, req PullRequest, log *slog.Logger) (ProbeResult, error) {
	if req.Timeout <= 0 {
		req.Timeout = DefaultProbeTimeout
	}
	// Requests time out by themselves after req.Timeout; the extra time is
	// for the first keyframe and the frame rate.
	pctx, cancel := context.WithTimeout(ctx, 2*req.Timeout+probeWait)
	defer cancel()
	pr := &probeReceiver{done: make(chan struct{}), firstCh: make(chan struct{})}
	errc := make(chan error, 1)
	go func() { errc <- Pull(pctx, req, pr, log) }()

	first := pr.firstCh
	var firstWait <-chan time.Time
	for {
		select {
		case <-first:
			// Give the frame rate a moment, but not forever at 1 fps.
			t := time.NewTimer(probeWait)
			defer t.Stop()
			firstWait, first = t.C, nil
		case <-firstWait:
			cancel()
			<-errc
			return pr.result(), nil
		case <-pr.done:
			cancel()
			<-errc
			return pr.result(), nil
		case err := <-errc:
			if res, ok := pr.resultIfAny(); ok {
				return res, nil
			}
			if ctx.Err() != nil {
				return ProbeResult{}, ctx.Err()
			}
			if err == nil { // our deadline: connected, but no picture came
				secs := int(math.Round((2*req.Timeout + probeWait).Seconds()))
				return ProbeResult{}, streamError(matthan.StateStalled,
					fmt.Sprintf("the camera accepted the connection but sent no video within %d s", secs),
					fmt.Sprintf("camera nhận kết nối nhưng không gửi hình trong %d giây", secs),
					fmt.Errorf("no video within %d s", secs))
			}
			return ProbeResult{}, err
		}
	}
}

// probeReceiver keeps the first video unit's description and times the
// pictures after it.
type probeReceiver struct {
	mu      sync.Mutex
	desc    *media.Desc
	firstAt time.Duration // PTS of the first picture
	lastAt  time.Duration
	frames  int
	done    chan struct{} // closed once enough video was seen
	closed  bool
	firstCh chan struct{} // closed at the first picture
}

func (p *probeReceiver) WriteUnit(u *media.Unit) {
	if u.Desc == nil || u.Track != u.Desc.Video() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.frames == 0 {
		p.desc, p.firstAt = u.Desc, u.PTS
		close(p.firstCh)
	}
	p.frames++
	p.lastAt = u.PTS
	if p.lastAt-p.firstAt >= probeSpan {
		p.closed = true
		close(p.done)
	}
}

func (p *probeReceiver) PacketsLost(uint64)  {}
func (p *probeReceiver) DecodeErrors(uint64) {}

func (p *probeReceiver) resultIfAny() (ProbeResult, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.desc == nil {
		return ProbeResult{}, false
	}
	v := p.desc.Tracks[p.desc.Video()]
	res := ProbeResult{Codec: v.Codec, Width: v.Width, Height: v.Height}
	for _, t := range p.desc.Tracks {
		if !t.IsVideo() {
			res.Audio = t.Codec
			break
		}
	}
	if span := p.lastAt - p.firstAt; p.frames > 2 && span > 0 {
		res.FPS = math.Round(float64(p.frames-1)/span.Seconds()*10) / 10
	}
	return res, true
}

func (p *probeReceiver) result() ProbeResult {
	res, _ := p.resultIfAny()
	return res
}
