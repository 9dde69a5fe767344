//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatTicks(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    uint64
		wantErr bool
	}{
		{"plain", "30931 (cat) R 30927 30927 28627 0 -1 4194304 99 0 0 0 7 5 0 0 20 0 1 0 126557 3133440 415", 12, false},
		{"name with spaces and parens", "42 (a b) (c)) S 1 42 42 0 -1 0 0 0 0 0 100 250 0 0 20 0 9 0 1 1 1", 350, false},
		{"truncated", "42 (x) S 1 2 3", 0, true},
		{"no name", "42 x S", 0, true},
		{"not a number", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 u 250 0 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatTicks([]byte(tt.stat))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseStatTicks = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestOwnProcessFigures(t *testing.T) {
	// The readers must work on a real /proc: this process has used some CPU
	// and holds some memory.
	busy := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(busy) {
	}
	ticks, err := cpuTicks(os.Getpid())
	if err != nil || ticks == 0 {
		t.Fatalf("cpuTicks = %d, %v; want > 0", ticks, err)
	}
	m, err := processMemory(os.Getpid())
	if err != nil || m.PSS == 0 || m.RSS < m.PSS {
		t.Fatalf("processMemory = %+v, %v; want 0 < PSS <= RSS", m, err)
	}
	a, err := readMachineCPU()
	if err != nil || a.Total == 0 || a.Idle > a.Total {
		t.Fatalf("readMachineCPU = %+v, %v", a, err)
	}
}

func TestParseSmapsRollup(t *testing.T) {
	good := "55b996a79000-7ffed7be4000 ---p 00000000 00:00 0  [rollup]\nRss:                1704 kB\nPss:                 263 kB\nPss_Dirty:           112 kB\n"
	m, err := parseSmapsRollup([]byte(good))
	if err != nil || m.PSS != 263 || m.RSS != 1704 {
		t.Fatalf("parseSmapsRollup = %+v, %v; want PSS 263, RSS 1704", m, err)
	}
	for _, bad := range []string{"Rss: 1 kB\n", "Rss: 1 kB\nPss: x kB\n", "Rss: 1 MB\nPss: 1 kB\n"} {
		if _, err := parseSmapsRollup([]byte(bad)); err == nil {
			t.Errorf("parseSmapsRollup(%q) succeeded", bad)
		}
	}
}

func TestMachineBusy(t *testing.T) {
	a, err := parseMachineCPU([]byte("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n"))
	if err != nil || a.Total != 1000 || a.Idle != 850 {
		t.Fatalf("parseMachineCPU = %+v, %v", a, err)
	}
	b := machineCPU{Total: 2000, Idle: 1350} // 1000 more ticks, 500 of them idle
	if got := busyPercent(a, b); got != 50 {
		t.Fatalf("busyPercent = %v, want 50", got)
	}
	if _, err := parseMachineCPU([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("parseMachineCPU accepted a line that is not cpu")
	}
}

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
