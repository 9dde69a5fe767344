//go:build linux

package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"matthan/bench/internal/benchproc"
)

// streamFigures are the node's counters for one camera stream.
type streamFigures struct {
	Up     bool
	Frames uint64
	Bytes  uint64 // payload bytes received from the camera
}

// nodeMetrics is what the benchmark reads from the node's /metrics.
type nodeMetrics struct {
	Streams map[string]streamFigures // by "camera/stream"
	Viewers map[string]float64       // matthan_live_viewers by transport
	Frames  map[string]float64       // matthan_live_frames_total by transport
	Bytes   map[string]float64       // matthan_live_bytes_total by transport
	Skips   float64                  // matthan_live_skips_total
}

// parseMetrics reads the families the benchmark needs from the node's
// Prometheus text exposition.
func parseMetrics(b []byte) (nodeMetrics, error) {
	m := nodeMetrics{Streams: map[string]streamFigures{}, Viewers: map[string]float64{},
		Frames: map[string]float64{}, Bytes: map[string]float64{}}
	err := benchproc.EachSample(b, func(s benchproc.Sample) error {
		switch s.Name {
		case "matthan_stream_up", "matthan_stream_frames_total", "matthan_stream_bytes_total",
			"matthan_live_viewers", "matthan_live_frames_total", "matthan_live_bytes_total", "matthan_live_skips_total":
		default:
			return nil
		}
		v, err := strconv.ParseFloat(s.Value, 64)
		if err != nil {
			return fmt.Errorf("metrics: value of %q: %w", s.Line, err)
		}
		if strings.HasPrefix(s.Name, "matthan_stream_") {
			camera, stream := benchproc.Label(s.Labels, "camera"), benchproc.Label(s.Labels, "stream")
			if camera == "" || stream == "" {
				return fmt.Errorf("metrics: no camera or stream label in %q", s.Line)
			}
			key := camera + "/" + stream
			f := m.Streams[key]
			switch s.Name {
			case "matthan_stream_up":
				f.Up = v == 1
			case "matthan_stream_frames_total":
				f.Frames = uint64(v)
			case "matthan_stream_bytes_total":
				f.Bytes = uint64(v)
			}
			m.Streams[key] = f
			return nil
		}
		switch t := benchproc.Label(s.Labels, "transport"); s.Name {
		case "matthan_live_viewers":
			m.Viewers[t] = v
		case "matthan_live_frames_total":
			m.Frames[t] = v
		case "matthan_live_bytes_total":
			m.Bytes[t] = v
		case "matthan_live_skips_total":
			m.Skips = v
		}
		return nil
	})
	return m, err
}

// parseToken finds the secret in `matthan token create`'s output: the one
// word that starts with "mt_".
func parseToken(out []byte) (string, error) {
	var found []string
	for _, w := range strings.Fields(string(out)) {
		if strings.HasPrefix(w, "mt_") {
			found = append(found, w)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("token create printed %d tokens, want 1: %q", len(found), out)
	}
	return found[0], nil
}

// parseCounts reads a comma-separated list of viewer counts, e.g. "10,50".
func parseCounts(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("viewer count %q: want a positive whole number", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no viewer counts in %q", s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseList reads a comma-separated list whose every item is one of allowed.
func parseList(s string, allowed ...string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !slices.Contains(allowed, part) {
			return nil, fmt.Errorf("%q: want one of %s", part, strings.Join(allowed, ", "))
		}
		if !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list, want some of %s", strings.Join(allowed, ", "))
	}
	return out, nil
}

// percentile is the nearest-rank percentile (q in [0,1]) of sorted values,
// as player.js computes it; NaN when there are none.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(len(sorted)-1, max(0, i))]
}

// median is the middle value (the mean of the two middle ones for an even
// count): for medians over rounds. NaN when there are none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// num is a figure that may be unknown (NaN): null in JSON.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, math.Round(f*1000)/1000, 'f', -1, 64), nil
}

// latencyStats summarizes latency samples in milliseconds.
type latencyStats struct {
	Samples int `json:"samples"`
	Median  num `json:"median_ms"`
	P95     num `json:"p95_ms"`
	Min     num `json:"min_ms"`
	Max     num `json:"max_ms"`
}

func summarizeLatency(values []float64) latencyStats {
	s := slices.Clone(values)
	slices.Sort(s)
	st := latencyStats{Samples: len(s), Median: num(percentile(s, 0.5)), P95: num(percentile(s, 0.95)),
		Min: num(math.NaN()), Max: num(math.NaN())}
	if len(s) > 0 {
		st.Min, st.Max = num(s[0]), num(s[len(s)-1])
	}
	return st
}
