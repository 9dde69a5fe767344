//go:build linux

package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseNodeMetrics(t *testing.T) {
	text := `# HELP matthan_stream_up 1 when the stream is streaming, else 0.
# TYPE matthan_stream_up gauge
matthan_stream_up{camera="cam-001",stream="main"} 1
matthan_stream_up{camera="cam-002",stream="main"} 0
matthan_stream_frames_total{camera="cam-001",stream="main"} 1.2345e+06
matthan_stream_frames_total{camera="cam-002",stream="main"} 10
matthan_stream_bytes_total{camera="cam-001",stream="main"} 5000
matthan_stream_packets_lost_total{camera="cam-001",stream="main"} 3
matthan_stream_reconnects_total{camera="cam-002",stream="main"} 2
matthan_stream_skips_total{camera="cam-002",stream="main"} 4
matthan_stream_fps{camera="cam-001",stream="main"} 25
matthan_stream_state{camera="cam-001",stream="main",state="streaming"} 1
go_goroutines 12
`
	got, err := parseNodeMetrics([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]streamFigures{
		"cam-001/main": {Up: true, Frames: 1234500, Bytes: 5000, Lost: 3},
		"cam-002/main": {Frames: 10, Reconnects: 2, Skips: 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d streams, want %d: %+v", len(got), len(want), got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %+v, want %+v", k, got[k], w)
		}
	}
	if _, err := parseNodeMetrics([]byte(`matthan_stream_up{camera="x",stream="main"}1` + "\n")); err == nil {
		t.Error("a sample without a space before its value was accepted")
	}
	if _, err := parseNodeMetrics([]byte(`matthan_stream_up{camera="x",stream="main"} ` + "\n")); err == nil {
		t.Error("a sample without a value was accepted")
	}
	if _, err := parseNodeMetrics([]byte(`matthan_stream_up{stream="main"} 1` + "\n")); err == nil {
		t.Error("a sample without a camera label was accepted")
	}
}

func TestFFmpegWatcher(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := newFFmpegWatcher()
	w.now = func() time.Time { return now }
	// Progress lines end in '\r' and may arrive split anywhere.
	chunks := []string{
		"Input #0, rtsp, from 'rtsp://127.0.0.1:1/cam-001/main':\n",
		"frame=   12 fps=0.0 q=-1.0 size=N/A time=00:00:00.44 bitrate=N/A speed=0.9x    \rfr",
		"ame=  25 fps= 25 q=-1.0 size=N/A time=00:00:01.00 bitrate=N/A speed=   1x    \r",
		"[rtsp @ 0x55] RTP: missed 3 packets\n",
		"[rtsp @ 0x55] RTP: missed 2 packets\n",
		"frame=  50 fps= 25 q=-1.0 size=N/A",
	}
	for _, c := range chunks {
		if n, err := w.Write([]byte(c)); n != len(c) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	frames, at := w.progress()
	if frames != 25 || !at.Equal(now) {
		t.Errorf("progress = %d at %v, want 25 (the last complete line)", frames, at)
	}
	if got := w.missedPackets(); got != 5 {
		t.Errorf("missedPackets = %d, want 5", got)
	}
	if got := w.lastLines(); !strings.Contains(got, "missed 2 packets") || !strings.Contains(got, "Input #0") {
		t.Errorf("lastLines = %q", got)
	}
}

func TestNoLoss(t *testing.T) {
	full := func(n int, frames float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = frames
		}
		return out
	}
	tests := []struct {
		name string
		r    phaseResult
		ok   bool
	}{
		{"clean", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: full(3, 499)}, true},
		{"edge jitter", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: []float64{496, 500, 503}}, true},
		{"packets lost", phaseResult{Streams: 3, Streaming: 3, Window: 20, Lost: 1, Frames: full(3, 500)}, false},
		{"reconnected", phaseResult{Streams: 3, Streaming: 3, Window: 20, Reconnects: 1, Frames: full(3, 500)}, false},
		{"a stream down", phaseResult{Streams: 3, Streaming: 2, Window: 20, Frames: full(3, 500)}, false},
		{"a stream short", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: []float64{500, 480, 500}}, false},
		{"recorder skipped", phaseResult{Streams: 3, Streaming: 3, Window: 20, Skips: 1, Frames: full(3, 500)}, false},
		{"recorded whole", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: full(3, 500), Disk: &diskFigures{Files: 3}}, true},
		{"recording short", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: full(3, 500), Disk: &diskFigures{Files: 3},
			RecordShort: []string{"cam-002: 400 of 900 frames recorded, 1 holes"}}, false},
		{"recording damaged", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: full(3, 500), Disk: &diskFigures{Files: 3, BadFiles: 1}}, false},
		{"node killed", phaseResult{Streams: 3, Streaming: 3, Window: 20, Frames: full(3, 500), Disk: &diskFigures{Files: 3}, StopErr: "signal: killed"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok, why := noLoss([]*phaseResult{&tt.r}); ok != tt.ok {
				t.Fatalf("noLoss = %v (%s), want %v", ok, why, tt.ok)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
