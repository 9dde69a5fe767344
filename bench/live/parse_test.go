//go:build linux

package main

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

const sampleMetrics = `# HELP matthan_stream_up Whether the stream is receiving media.
# TYPE matthan_stream_up gauge
matthan_stream_up{camera="cam-001",stream="main"} 1
matthan_stream_up{camera="cam-001",stream="sub"} 0
matthan_stream_frames_total{camera="cam-001",stream="main"} 1250
matthan_stream_bytes_total{camera="cam-001",stream="main"} 2.6843545e+07
matthan_stream_bytes_total{camera="cam-001",stream="sub"} 1000 1764000000000
matthan_ingest_something_else{camera="cam-001",stream="main"} 7
# HELP matthan_live_viewers Live viewers now.
matthan_live_viewers{transport="webrtc"} 50
matthan_live_viewers{transport="mse"} 0
matthan_live_frames_total{transport="webrtc"} 12345
matthan_live_bytes_total{transport="webrtc"} 9.5e+08
matthan_live_skips_total 3
matthan_live_send_delay_seconds_sum 0.25
go_goroutines 42
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics([]byte(sampleMetrics))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Streams["cam-001/main"], (streamFigures{Up: true, Frames: 1250, Bytes: 26843545}); got != want {
		t.Errorf("cam-001/main = %+v, want %+v", got, want)
	}
	if got, want := m.Streams["cam-001/sub"], (streamFigures{Up: false, Bytes: 1000}); got != want {
		t.Errorf("cam-001/sub = %+v, want %+v (a sample's timestamp is not its value)", got, want)
	}
	if m.Viewers["webrtc"] != 50 || m.Viewers["mse"] != 0 || m.Frames["webrtc"] != 12345 || m.Bytes["webrtc"] != 9.5e8 || m.Skips != 3 {
		t.Errorf("live figures = viewers %v, frames %v, bytes %v, skips %v", m.Viewers, m.Frames, m.Bytes, m.Skips)
	}

	for _, bad := range []string{
		`matthan_stream_up{camera="cam-001"} 1`,         // no stream label
		`matthan_live_viewers{transport="webrtc"} many`, // not a number
		`matthan_live_viewers{transport="webrtc"`,       // cut
		`matthan_live_skips_total`,                      // no value
	} {
		if _, err := parseMetrics([]byte(bad + "\n")); err == nil {
			t.Errorf("parseMetrics(%q) = nil error", bad)
		}
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte(sampleMetrics))
	f.Add([]byte("matthan_live_viewers{transport=\"webrtc\"} 1\n{}\n}{ 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMetrics(b)
		if err == nil && (m.Streams == nil || m.Viewers == nil) {
			t.Fatal("no maps without an error")
		}
	})
}

func TestParseToken(t *testing.T) {
	out := "API token 1 for admin (scopes live, expires 2027-02-25) / Mã truy cập 1 cho admin:\n\n    mt_AbC-123_xyz\n\nShown only now: keep it secret.\nUse: Authorization: Bearer <token>\n"
	tok, err := parseToken([]byte(out))
	if err != nil || tok != "mt_AbC-123_xyz" {
		t.Errorf("parseToken = %q, %v", tok, err)
	}
	for _, bad := range []string{"no token here", "mt_a mt_b"} {
		if tok, err := parseToken([]byte(bad)); err == nil {
			t.Errorf("parseToken(%q) = %q, want an error", bad, tok)
		}
	}
}

func TestParseLists(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"10,50", []int{10, 50}, true},
		{" 100, 10 ,10,", []int{10, 100}, true},
		{"0", nil, false},
		{"ten", nil, false},
		{"", nil, false},
	} {
		got, err := parseCounts(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("parseCounts(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
	got, err := parseList("mse, webrtc,mse", "webrtc", "mse")
	if err != nil || !slices.Equal(got, []string{"mse", "webrtc"}) {
		t.Errorf("parseList = %v, %v", got, err)
	}
	if _, err := parseList("webrtc,hls", "webrtc", "mse"); err == nil {
		t.Error("parseList accepted hls")
	}
}

func TestPercentiles(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	st := summarizeLatency(xs)
	// Nearest rank, as player.js: the 50th and the 95th of 100 values.
	if st.Samples != 100 || st.Median != 50 || st.P95 != 95 || st.Min != 1 || st.Max != 100 {
		t.Errorf("summarizeLatency(1…100) = %+v", st)
	}
	if one := summarizeLatency([]float64{42}); one.Median != 42 || one.P95 != 42 {
		t.Errorf("one sample: %+v", one)
	}
	empty := summarizeLatency(nil)
	if !math.IsNaN(float64(empty.Median)) || empty.Samples != 0 {
		t.Errorf("no samples: %+v", empty)
	}
	b, err := json.Marshal(empty)
	if err != nil || !strings.Contains(string(b), `"median_ms":null`) {
		t.Errorf("JSON of no samples = %s, %v: want null figures", b, err)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median = %v, want 2.5", m)
	}
}

func TestViewersPerCore(t *testing.T) {
	// 50 viewers cost 25% of a core more than none: 200 viewers per core.
	if got := viewersPerCore(50, 28, 3); got != 200 {
		t.Errorf("viewersPerCore = %v, want 200", got)
	}
	if got := viewersPerCore(10, 3, 3.5); !math.IsInf(got, 1) {
		t.Errorf("no measurable extra CPU = %v, want +Inf", got)
	}
}
