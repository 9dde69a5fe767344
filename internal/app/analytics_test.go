package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/config"
)

// TestWardIsAnalysed: with analytics on, every camera's sub-stream is
// decoded and analysed by the node (real ffmpeg children, the real
// detector when ONNX Runtime is there), and the events API answers.
func TestWardIsAnalysed(t *testing.T) {
	w := startWard(t, 2, func(c *config.Config) { c.Analytics.Enabled, c.Analytics.FPS = true, 5 })
	for _, id := range []string{"cam-001", "cam-002"} {
		w.waitState(t, id, matthan.StreamSub, matthan.StateStreaming, 20*time.Second)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range []string{"cam-001", "cam-002"} {
		for {
			if r := w.node.Analytics.Last(id); r != nil && r.Width == 640 && r.Height == 360 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no analysed frame in 30 s (last %+v)", id, w.node.Analytics.Last(id))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if code, body := w.get(t, "/api/events"); code != http.StatusOK || body[0] != '[' {
		t.Fatalf("GET /api/events: %d %s", code, body)
	}
	// Boxes to draw over live video (normalised), for a signed-in viewer.
	if code, body := w.get(t, "/api/cameras/cam-001/analytics"); code != http.StatusOK || !strings.Contains(string(body), `"tracks":[`) {
		t.Fatalf("GET /api/cameras/cam-001/analytics: %d %s", code, body)
	}
	if code, _ := w.get(t, "/api/cameras/nope/analytics"); code != http.StatusNotFound {
		t.Fatalf("boxes of an unknown camera: %d", code)
	}
	if code, body := w.get(t, "/metrics"); code != http.StatusOK || !strings.Contains(string(body), `matthan_analytics_frames_total{camera="cam-001"}`) {
		t.Fatalf("GET /metrics: %d, no analytics counters:\n%s", code, body)
	}
}
