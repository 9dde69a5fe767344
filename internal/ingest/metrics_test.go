package ingest

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"matthan"
)

func TestMetricsText(t *testing.T) {
	off := pullCamera("cam-b")
	off.Enabled = false
	h := newHarness(t, Config{}, pullCamera("cam-a"), off)
	call := h.nextCall("rtsp://10.0.0.1/cam-a/main")
	for range 3 {
		call.r.WriteUnit(videoUnit(0, true, 100))
	}
	call.r.PacketsLost(2)
	h.expectEvent("cam-a", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)

	rec := httptest.NewRecorder()
	h.m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type %q", ct)
	}
	text := rec.Body.String()

	for _, line := range []string{
		"# TYPE matthan_stream_bytes_total counter",
		"# TYPE matthan_stream_frames_total counter",
		"# TYPE matthan_stream_reconnects_total counter",
		"# TYPE matthan_stream_packets_lost_total counter",
		"# TYPE matthan_stream_up gauge",
		"# TYPE matthan_stream_state gauge",
		"# TYPE matthan_stream_fps gauge",
		"# TYPE matthan_stream_bitrate_bits gauge",
		`matthan_stream_bytes_total{camera="cam-a",stream="main"} 300`,
		`matthan_stream_frames_total{camera="cam-a",stream="main"} 3`,
		`matthan_stream_packets_lost_total{camera="cam-a",stream="main"} 2`,
		`matthan_stream_reconnects_total{camera="cam-a",stream="main"} 0`,
		`matthan_stream_up{camera="cam-a",stream="main"} 1`,
		`matthan_stream_up{camera="cam-b",stream="main"} 0`,
		`matthan_stream_state{camera="cam-a",stream="main",state="streaming"} 1`,
		`matthan_stream_state{camera="cam-a",stream="main",state="offline"} 0`,
		`matthan_stream_state{camera="cam-b",stream="main",state="disabled"} 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}

	// Every line is a HELP/TYPE comment or a well-formed sample, and each
	// family is declared once before its samples.
	sample := regexp.MustCompile(`^([a-z_]+)\{camera="[^"]*",stream="(main|sub)"(,state="[a-z_]+")?\} -?[0-9.e+]+$`)
	declared := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name := strings.Fields(f)[0]
			if declared[name] {
				t.Errorf("%s declared twice", name)
			}
			declared[name] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("malformed line %q", line)
		} else if !declared[m[1]] {
			t.Errorf("sample before its TYPE: %q", line)
		}
	}
	if n := strings.Count(text, `matthan_stream_state{camera="cam-a",stream="main",`); n != len(allStates) {
		t.Errorf("%d state series for a stream, want %d", n, len(allStates))
	}
}

func TestEscapeLabel(t *testing.T) {
	for in, want := range map[string]string{
		"cam-001":           "cam-001",
		`a"b`:               `a\"b`,
		`a\b`:               `a\\b`,
		"a\nb":              `a\nb`,
		"Cổng chợ \"Bà\"\\": `Cổng chợ \"Bà\"\\`,
	} {
		if got := escapeLabel(in); got != want {
			t.Errorf("escapeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
