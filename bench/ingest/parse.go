//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
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
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue // a family without labels: not per stream
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			return nil, fmt.Errorf("metrics: cannot read line %q", line)
		}
		var set func(f *streamFigures, v float64)
		switch name {
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
			continue
		}
		camera, stream := label(labels, "camera"), label(labels, "stream")
		if camera == "" || stream == "" {
			return nil, fmt.Errorf("metrics: no camera or stream label in %q", line)
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: value of %q: %w", line, err)
		}
		key := camera + "/" + stream
		f := out[key]
		set(&f, v)
		out[key] = f
	}
	return out, sc.Err()
}

// label returns a label's value from `a="x",b="y"`. Our camera IDs and roles
// never hold quotes or commas, so no unescaping is needed.
func label(labels, name string) string {
	for part := range strings.SplitSeq(labels, ",") {
		k, v, ok := strings.Cut(part, "=")
		if ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
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
