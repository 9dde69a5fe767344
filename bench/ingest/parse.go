//go:build linux

package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"matthan/bench/internal/benchproc"
)

// streamFigures are the node's counters for one stream, from /metrics.
type streamFigures struct {
	Up         bool
	Frames     uint64
	Bytes      uint64
	Lost       uint64
	Reconnects uint64
	Skips      uint64
}

// parseNodeMetrics reads the per-stream families the benchmark needs from the
// node's Prometheus text exposition, keyed by "camera/stream".
func parseNodeMetrics(b []byte) (map[string]streamFigures, error) {
	out := map[string]streamFigures{}
	err := benchproc.EachSample(b, func(s benchproc.Sample) error {
		var set func(f *streamFigures, v float64)
		switch s.Name {
		case "matthan_stream_up":
			set = func(f *streamFigures, v float64) { f.Up = v == 1 }
		case "matthan_stream_frames_total":
			set = func(f *streamFigures, v float64) { f.Frames = uint64(v) }
		case "matthan_stream_bytes_total":
			set = func(f *streamFigures, v float64) { f.Bytes = uint64(v) }
		case "matthan_stream_packets_lost_total":
			set = func(f *streamFigures, v float64) { f.Lost = uint64(v) }
		case "matthan_stream_reconnects_total":
			set = func(f *streamFigures, v float64) { f.Reconnects = uint64(v) }
		case "matthan_stream_skips_total":
			set = func(f *streamFigures, v float64) { f.Skips = uint64(v) }
		default:
			return nil
		}
		camera, stream := benchproc.Label(s.Labels, "camera"), benchproc.Label(s.Labels, "stream")
		if camera == "" || stream == "" {
			return fmt.Errorf("metrics: no camera or stream label in %q", s.Line)
		}
		v, err := strconv.ParseFloat(s.Value, 64)
		if err != nil {
			return fmt.Errorf("metrics: value of %q: %w", s.Line, err)
		}
		key := camera + "/" + stream
		f := out[key]
		set(&f, v)
		out[key] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ffmpegWatcher reads one ffmpeg's stderr: the progress line it rewrites
// every half second ("frame= 1234 fps= 25 ... \r"), and warnings of RTP
// packets it missed ("RTP: missed 3 packets").
type ffmpegWatcher struct {
	now func() time.Time

	mu      sync.Mutex
	partial []byte
	frames  uint64
	at      time.Time // when frames was read
	missed  uint64
	tail    []string // last lines that are not progress, for error reports
}

var (
	frameRe  = regexp.MustCompile(`frame=\s*(\d+)`)
	missedRe = regexp.MustCompile(`RTP: missed (\d+) packets`)
)

func newFFmpegWatcher() *ffmpegWatcher { return &ffmpegWatcher{now: time.Now} }

// Write takes stderr bytes; lines end in '\n' or, for progress, '\r'.
func (w *ffmpegWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexAny(w.partial, "\r\n")
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 64*1024 { // never grow without bound on odd output
		w.partial = w.partial[:0]
	}
	return len(p), nil
}

func (w *ffmpegWatcher) line(s string) {
	if s == "" {
		return
	}
	if m := frameRe.FindStringSubmatch(s); m != nil {
		if n, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			w.frames, w.at = n, w.now()
		}
		return
	}
	if m := missedRe.FindStringSubmatch(s); m != nil {
		if n, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			w.missed += n
		}
	}
	w.tail = append(w.tail, s)
	if len(w.tail) > 5 {
		w.tail = w.tail[1:]
	}
}

// progress returns the last frame count ffmpeg reported and when it came.
func (w *ffmpegWatcher) progress() (frames uint64, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames, w.at
}

// missedPackets returns the RTP packets ffmpeg said it missed.
func (w *ffmpegWatcher) missedPackets() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.missed
}

// lastLines returns ffmpeg's last non-progress lines.
func (w *ffmpegWatcher) lastLines() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.tail, " | ")
}
