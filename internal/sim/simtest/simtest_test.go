package simtest

import (
	"strings"
	"testing"

	"matthan"
	"matthan/internal/sim"
)

func TestStart(t *testing.T) {
	s := Start(t, sim.Config{Cameras: 2})
	cams := s.Cameras()
	if len(cams) != 2 {
		t.Fatalf("%d cameras, want 2", len(cams))
	}
	if u := s.URL(cams[1].ID, matthan.StreamMain); !strings.HasPrefix(u, "rtsp://127.0.0.1:") {
		t.Errorf("main stream of %s at %q, want a loopback RTSP URL", cams[1].ID, u)
	}
	if names := Library(t).ClipNames(); len(names) != 1 {
		t.Errorf("clips %v, want the one test pattern", names)
	}
}
