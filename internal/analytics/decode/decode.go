// Package decode turns a camera's sub-stream into a few raw pictures a
// second for analytics: a supervised ffmpeg subprocess is fed Annex-B from
// the stream's hub and writes BGR24 frames back.
//
// ffmpeg decodes every frame (a P-frame needs the ones before it anyway) but
// converts and writes back only every Kth, K = the camera's frame rate ÷ FPS
// rounded down (a 10 fps sub-stream: 2; 25 fps: 5): moving raw pictures
// through the pipe costs more than decoding a quiet street's. ffmpeg's
// select filter counts frames, not time (the raw H.264/H.265 demuxer knows
// no timestamps), so Go measures the frame rate from the units' PTS, picks
// K, and matches the Kth units to the frames that come back; it then keeps
// one frame every 1/FPS of media time by each unit's PTS and wall time. A
// camera that changes its frame rate gets a new ffmpeg at its next keyframe.
//
// Nothing here can slow recording: the hub never waits for a subscriber,
// and a decoder that falls behind is moved to the next keyframe by the hub.
package decode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"matthan/internal/analytics"
	"matthan/internal/childproc"
	"matthan/internal/media"
)

// Config says what a Decoder decodes and how often.
type Config struct {
	CameraID string
	// FPS is how many frames a second are kept (default 5). Frames are
	// picked by media time, so the rate holds whatever the camera sends.
	FPS float64
	// Width scales frames down to this width, keeping the aspect ratio
	// (height rounded to even); 0 or a width above the source's keeps it.
	Width int
	// Queue is the hub subscription's queue, in units (default 64).
	Queue int
	// Buffer is how many frames wait for the consumer (default 2); when it
	// is full the oldest waiting frame is dropped (counted in Stats.Lost).
	Buffer int
	// FFmpeg is the ffmpeg binary (default "ffmpeg").
	FFmpeg string
	// Starting, when set, is shared by the decoders of a node: an ffmpeg
	// starts only while it has room, and holds its place until its first
	// frame is back or it ended. Each start costs a tenth of a second or
	// more of CPU (loading FFmpeg's libraries); 63 at once stall the
	// node's own streams. A decoder that finds it full waits for the
	// stream's next keyframe.
	Starting chan struct{}
	// MinBackoff and MaxBackoff bound the wait before restarting an ffmpeg
	// that exited (defaults 500 ms and 30 s); the wait doubles on each
	// failure in a row and is reset by a run that produced frames.
	MinBackoff, MaxBackoff time.Duration
	Log                    *slog.Logger
}

func (c *Config) defaults() {
	if c.FPS <= 0 {
		c.FPS = 5
	}
	if c.Queue <= 0 {
		c.Queue = 64
	}
	if c.Buffer <= 0 {
		c.Buffer = 2
	}
	if c.FFmpeg == "" {
		c.FFmpeg = "ffmpeg"
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(30*time.Second, c.MinBackoff)
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Stats is what decoding a camera costs and what it produced.
type Stats struct {
	CameraID string
	Running  bool // an ffmpeg is running now
	PID      int  // of the running ffmpeg, 0 when none
	Starts   uint64
	Restarts uint64 // starts after an exit or a new stream description
	// StartWaits counts keyframes passed while the node's other ffmpegs
	// were starting (Config.Starting full).
	StartWaits uint64
	// CPU is the CPU time (user+system) of every ffmpeg child so far.
	CPU           time.Duration
	UnitsWritten  uint64 // access units fed to ffmpeg
	HubSkips      uint64 // times the hub moved us to the next keyframe
	Decoded       uint64 // frames out of ffmpeg (every KeepEvery-th unit)
	Dropped       uint64 // decoded but not kept (over the rate)
	Delivered     uint64 // frames sent to Frames()
	Lost          uint64 // kept but dropped because the consumer was slow
	Width, Height int    // of the frames delivered now
	KeepEvery     int    // ffmpeg writes back every KeepEvery-th frame it decodes; 0 before the first start
	LastError     string // why the last ffmpeg ended, "" if none did
}

// Decoder decodes one camera's stream. Create it with New, run it with Run,
// read frames from Frames.
type Decoder struct {
	hub *media.Hub
	cfg Config
	out chan *analytics.Frame

	mu        sync.Mutex
	cur       *proc
	cpuDone   time.Duration // CPU of the children that exited
	lastError string
	w, h      int
	keepEvery int

	starts, restarts, units, skips    atomic.Uint64
	startWaits                        atomic.Uint64
	decoded, dropped, delivered, lost atomic.Uint64
}

// New returns a decoder of hub's video; nothing runs until Run.
func New(hub *media.Hub, cfg Config) *Decoder {
	cfg.defaults()
	return &Decoder{hub: hub, cfg: cfg, out: make(chan *analytics.Frame, cfg.Buffer)}
}

// Frames delivers the kept frames. Each frame is the receiver's to keep.
// The channel is never closed.
func (d *Decoder) Frames() <-chan *analytics.Frame { return d.out }

// Stats returns the decoder's counters and its ffmpeg's CPU time so far.
func (d *Decoder) Stats() Stats {
	d.mu.Lock()
	s := Stats{CameraID: d.cfg.CameraID, CPU: d.cpuDone, LastError: d.lastError, Width: d.w, Height: d.h, KeepEvery: d.keepEvery}
	if p := d.cur; p != nil {
		s.Running, s.PID = true, p.pid
		if cpu, err := processCPU(p.pid); err == nil {
			s.CPU += cpu
		}
	}
	d.mu.Unlock()
	s.Starts, s.Restarts, s.StartWaits = d.starts.Load(), d.restarts.Load(), d.startWaits.Load()
	s.UnitsWritten, s.HubSkips = d.units.Load(), d.skips.Load()
	s.Decoded, s.Dropped = d.decoded.Load(), d.dropped.Load()
	s.Delivered, s.Lost = d.delivered.Load(), d.lost.Load()
	return s
}

// Run subscribes to the hub and decodes until ctx ends, restarting ffmpeg
// whenever it exits (with back-off) or the stream's description changes.
func (d *Decoder) Run(ctx context.Context) error {
	sub := d.hub.Subscribe(d.cfg.Queue)
	defer sub.Close()
	log := d.cfg.Log.With("camera", d.cfg.CameraID)

	var (
		p        *proc
		retryAt  time.Time
		backoff  = d.cfg.MinBackoff
		lastSkip uint64
		rate     frameRate
		held     []*media.Unit // a keyframe and what follows it, until the frame rate is known
	)
	stop := func() {
		if p != nil {
			p.kill()
			<-p.done
			d.ended(p)
			p = nil
		}
	}
	defer stop()
	for {
		var done <-chan struct{}
		if p != nil {
			done = p.done
		}
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			d.ended(p)
			if p.frames.Load() > 0 {
				backoff = d.cfg.MinBackoff
			}
			log.Warn("decode: ffmpeg exited; restarting", "err", p.err, "stderr", p.stderr.String(), "in", backoff)
			retryAt = time.Now().Add(backoff)
			backoff = min(backoff*2, d.cfg.MaxBackoff)
			p = nil
		case u, ok := <-sub.Units():
			if !ok {
				return nil
			}
			if n := sub.Skips(); n != lastSkip {
				d.skips.Add(n - lastSkip)
				lastSkip = n
			}
			v := u.Desc.Video()
			if v < 0 || u.Track != v {
				continue
			}
			rate.add(u.PTS)
			if p != nil && u.Desc != p.desc {
				log.Info("decode: the stream's description changed; restarting ffmpeg")
				stop()
				retryAt = time.Time{}
			}
			if p != nil && u.Key {
				if k, ok := rate.keepEvery(d.cfg.FPS); ok && k != p.every {
					log.Info("decode: the camera's frame rate changed; restarting ffmpeg", "keep_every", k, "was", p.every)
					stop()
					retryAt = time.Time{}
				}
			}
			if p == nil {
				if len(held) > 0 && u.Desc != held[0].Desc {
					held = held[:0]
				}
				if len(held) == 0 && (!u.Key || time.Now().Before(retryAt)) {
					continue
				}
				held = append(held, u)
				every, ok := rate.keepEvery(d.cfg.FPS)
				if !ok && len(held) < maxHeld {
					continue
				}
				if !d.takeStartPlace() {
					held = held[:0]
					continue
				}
				np, err := d.start(ctx, u.Desc, every)
				if err != nil {
					d.leaveStartPlace()
					log.Warn("decode: cannot start ffmpeg", "err", err, "in", backoff)
					d.setError(err)
					retryAt = time.Now().Add(backoff)
					backoff = min(backoff*2, d.cfg.MaxBackoff)
					held = held[:0]
					continue
				}
				p = np
				for _, h := range held[:len(held)-1] {
					d.write(p, h)
				}
				held = held[:0]
			}
			d.write(p, u)
		}
	}
}

// takeStartPlace takes a place among the ffmpegs starting on the node, if
// there is room (always, without Config.Starting).
func (d *Decoder) takeStartPlace() bool {
	if d.cfg.Starting == nil {
		return true
	}
	select {
	case d.cfg.Starting <- struct{}{}:
		return true
	default:
		d.startWaits.Add(1)
		return false
	}
}

func (d *Decoder) leaveStartPlace() {
	if d.cfg.Starting != nil {
		<-d.cfg.Starting
	}
}

// write feeds u to p. A write error means ffmpeg is ending: its done
// channel says why.
func (d *Decoder) write(p *proc, u *media.Unit) {
	if err := p.write(u); err == nil {
		d.units.Add(1)
	}
}

// maxHeld bounds the units held after a keyframe while the frame rate is
// measured; a stream whose rate cannot be told is decoded keeping every frame.
const maxHeld = 4

// frameRate measures a stream's frame interval from its units' PTS: the
// median of the last few intervals, so a lost or late unit does not move it.
type frameRate struct {
	last     time.Duration
	have     bool
	interval [7]time.Duration
	n        int // intervals seen, capped at len(interval)
	next     int
}

func (r *frameRate) add(pts time.Duration) {
	d, first := pts-r.last, !r.have
	r.last, r.have = pts, true
	if first || d <= 0 || d > time.Second { // the first unit, a new stream, a gap, or the same instant
		return
	}
	r.interval[r.next] = d
	r.next = (r.next + 1) % len(r.interval)
	r.n = min(r.n+1, len(r.interval))
}

// keepEvery is K for keeping fps frames a second: the most frames that can be
// skipped between two kept ones without going under fps (at least 1); ok is
// false until two intervals are known.
func (r *frameRate) keepEvery(fps float64) (int, bool) {
	if r.n < 2 {
		return 1, false
	}
	s := slices.Clone(r.interval[:r.n])
	slices.Sort(s)
	med := s[len(s)/2]
	// A little over the ratio, so 25 fps → 5 at 5 fps despite rounding.
	return max(1, int(float64(time.Second)/fps/float64(med)+0.05)), true
}

func (d *Decoder) setError(err error) {
	d.mu.Lock()
	d.lastError = err.Error()
	d.mu.Unlock()
}

// ended books an exited ffmpeg's CPU time and why it ended.
func (d *Decoder) ended(p *proc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur != p {
		return // already booked
	}
	d.cur = nil
	d.cpuDone += p.cpu
	if p.err != nil && !p.killed.Load() {
		d.lastError = p.err.Error()
	}
}

// start runs ffmpeg for desc's video track, writing back every every-th frame.
func (d *Decoder) start(ctx context.Context, desc *media.Desc, every int) (*proc, error) {
	tr := desc.Tracks[desc.Video()]
	sw, sh := tr.Width, tr.Height
	if sw == 0 || sh == 0 {
		var err error
		if sw, sh, err = sizeFromSPS(tr); err != nil {
			return nil, err
		}
	}
	w, h := OutputSize(sw, sh, d.cfg.Width)
	format := "h264"
	if tr.Codec == media.H265 {
		format = "hevc"
	}
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error",
		// Low delay: no probing beyond the first frame, no frame threads
		// (each adds a frame of latency; one thread per camera scales best).
		"-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0", "-threads", "1",
		"-f", format, "-i", "pipe:0",
		"-an", "-fps_mode", "passthrough"}
	var filters []string
	if every > 1 {
		filters = append(filters, fmt.Sprintf(`select=not(mod(n\,%d))`, every)) // before scale: only kept frames are scaled
	}
	if w != sw || h != sh {
		filters = append(filters, fmt.Sprintf("scale=%d:%d:flags=bilinear", w, h))
	}
	if len(filters) > 0 {
		args = append(args, "-vf", strings.Join(filters, ","))
	}
	args = append(args, "-f", "rawvideo", "-pix_fmt", "bgr24", "-flush_packets", "1", "pipe:1")

	pctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(pctx, d.cfg.FFmpeg, args...)
	childproc.Own(cmd)
	p := &proc{desc: desc, track: tr, cancel: cancel, done: make(chan struct{}), w: w, h: h, every: every}
	p.started = sync.OnceFunc(d.leaveStartPlace)
	cmd.Stderr = &p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ffmpeg stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ffmpeg stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", d.cfg.FFmpeg, err)
	}
	p.stdin, p.pid = stdin, cmd.Process.Pid
	d.mu.Lock()
	d.cur = p
	d.w, d.h, d.keepEvery = w, h, every
	d.mu.Unlock()
	if d.starts.Add(1) > 1 {
		d.restarts.Add(1)
	}
	go func() {
		defer close(p.done)
		defer p.started() // ended before its first frame
		rerr := d.read(pctx, p, stdout)
		if rerr != nil {
			cancel() // ffmpeg may still be running: stop it before waiting
		}
		stdin.Close()
		werr := cmd.Wait()
		if cmd.ProcessState != nil {
			p.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		p.err = errors.Join(werr, rerr)
		if p.err == nil {
			p.err = errors.New("ffmpeg ended its output")
		}
		cancel()
	}()
	return p, nil
}

// read turns ffmpeg's output into frames, until it ends.
func (d *Decoder) read(ctx context.Context, p *proc, stdout io.Reader) error {
	size := p.w * p.h * 3
	interval := time.Duration(float64(time.Second) / d.cfg.FPS)
	tolerance := interval / 10 // for cameras whose frame interval does not divide it
	var due time.Duration
	first := true
	var buf []byte
	for {
		if buf == nil {
			buf = make([]byte, size)
		}
		if _, err := io.ReadFull(stdout, buf); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read a frame: %w", err)
		}
		p.frames.Add(1)
		p.started()
		d.decoded.Add(1)
		src, ok := p.pop()
		if !ok {
			// More frames than units written: cannot happen with a sane
			// decoder; keep the frame's time unknown rather than wrong.
			d.dropped.Add(1)
			continue
		}
		if !first && src.pts < due-tolerance {
			d.dropped.Add(1)
			continue // buf is reused
		}
		if first || src.pts >= due+interval {
			due = src.pts // first frame, or after a gap: restart the grid
		}
		first = false
		due += interval
		d.deliver(&analytics.Frame{CameraID: d.cfg.CameraID, At: src.wall.UTC(), PTS: src.pts,
			Width: p.w, Height: p.h, BGR: buf})
		buf = nil
	}
}

// deliver sends f without ever waiting: a slow consumer loses the oldest frame.
// It counts before sending, so Stats never shows fewer than a reader holds.
func (d *Decoder) deliver(f *analytics.Frame) {
	for {
		d.delivered.Add(1)
		select {
		case d.out <- f:
			return
		default:
			d.delivered.Add(^uint64(0))
		}
		select {
		case <-d.out:
			d.lost.Add(1)
		default:
		}
	}
}

// OutputSize is the size of the frames for a source of sw×sh scaled to
// width (0 or a larger width keeps the source's size).
func OutputSize(sw, sh, width int) (int, int) {
	if width <= 0 || width >= sw {
		return sw, sh
	}
	w := max(width&^1, 2)
	return w, max((sh*w/sw+1)&^1, 2)
}

func sizeFromSPS(tr media.Track) (int, int, error) {
	switch tr.Codec {
	case media.H264:
		var s h264.SPS
		if err := s.Unmarshal(tr.SPS); err != nil {
			return 0, 0, fmt.Errorf("read the H.264 SPS: %w", err)
		}
		return s.Width(), s.Height(), nil
	case media.H265:
		var s h265.SPS
		if err := s.Unmarshal(tr.SPS); err != nil {
			return 0, 0, fmt.Errorf("read the H.265 SPS: %w", err)
		}
		return s.Width(), s.Height(), nil
	}
	return 0, 0, fmt.Errorf("codec %q cannot be decoded", tr.Codec)
}

// proc is one ffmpeg run.
type proc struct {
	desc   *media.Desc
	track  media.Track
	pid    int
	w, h   int
	every  int // ffmpeg writes back frames 0, every, 2·every, …
	stdin  io.WriteCloser
	cancel context.CancelFunc
	killed atomic.Bool
	stderr tailBuffer
	frames atomic.Uint64
	done   chan struct{}
	// started leaves the node's start place (Config.Starting), once.
	started func()
	// Set before done is closed.
	err error
	cpu time.Duration

	buf     []byte // Annex-B being written; only the Run goroutine uses it
	written int    // units written; only the Run goroutine uses it

	mu      sync.Mutex
	pending []source // units written and not yet matched to a frame
}

// source is what a frame takes from the unit it was decoded from.
type source struct {
	pts  time.Duration
	wall time.Time
}

// maxPending bounds the units waiting for their frame, so a decoder that
// drops frames (a broken unit) cannot make the list grow without end.
const maxPending = 256

var (
	startCode = []byte{0, 0, 0, 1}
	audH264   = []byte{0x09, 0xf0}       // access unit delimiter, any slice type
	audH265   = []byte{0x46, 0x01, 0x50} // AUD_NUT, any slice type
)

// write sends u to ffmpeg as Annex-B: parameter sets before each keyframe,
// then the unit, then an access unit delimiter so that ffmpeg's parser knows
// at once that the unit is complete (it would otherwise wait for the next).
func (p *proc) write(u *media.Unit) error {
	b := p.buf[:0]
	if u.Key {
		for _, ps := range [][]byte{p.track.VPS, p.track.SPS, p.track.PPS} {
			if len(ps) > 0 {
				b = append(append(b, startCode...), ps...)
			}
		}
	}
	for _, n := range u.Data {
		if len(n) == 0 || isAUD(p.track.Codec, n) {
			continue
		}
		b = append(append(b, startCode...), n...)
	}
	aud := audH264
	if p.track.Codec == media.H265 {
		aud = audH265
	}
	b = append(append(b, startCode...), aud...)
	p.buf = b
	if p.written%p.every == 0 {
		p.push(source{pts: u.PTS, wall: u.Wall}) // a frame will come back for it
	}
	p.written++
	if _, err := p.stdin.Write(b); err != nil {
		return fmt.Errorf("write to ffmpeg: %w", err)
	}
	return nil
}

func isAUD(c media.Codec, n []byte) bool {
	if c == media.H265 {
		return (n[0]>>1)&0x3f == 35
	}
	return n[0]&0x1f == 9
}

func (p *proc) push(s source) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) >= maxPending {
		p.pending = slices.Delete(p.pending, 0, 1)
	}
	p.pending = append(p.pending, s)
}

// pop returns the source of the next frame out of ffmpeg. A decoder outputs
// frames in presentation order and has decoded every earlier one by then,
// so the frame is the written unit with the smallest PTS (which is simply
// the oldest one for streams without B-frames).
func (p *proc) pop() (source, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) == 0 {
		return source{}, false
	}
	i := 0
	for j, s := range p.pending {
		if s.pts < p.pending[i].pts {
			i = j
		}
	}
	s := p.pending[i]
	p.pending = slices.Delete(p.pending, i, i+1)
	return s, true
}

func (p *proc) kill() {
	p.killed.Store(true)
	p.cancel()
}

// tailBuffer keeps the last few KiB of ffmpeg's stderr for the log.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

const tailMax = 2048

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}

// parseStatCPU reads utime+stime (fields 14 and 15) of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat cpu: %w", err)
		}
		ticks += n
	}
	// USER_HZ is 100 on every Linux user-space ABI.
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
