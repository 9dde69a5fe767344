package pipeline

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/events"
	"matthan/internal/analytics/rules"
	"matthan/internal/media"
)

// roundabout decodes the first seconds of the shipped roundabout clip
// (motorbikes with riders, cars) to BGR frames at 5 fps, 640×360, stamped
// from wall0 as the decoder would.
func roundabout(t *testing.T, seconds int, wall0 time.Time) []*analytics.Frame {
	t.Helper()
	const w, h = 640, 360
	src := filepath.Join("..", "..", "..", "testdata", "clips", "motorbikes_roundabout_960x540.mp4")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", src, "-t", strconv.Itoa(seconds),
		"-vf", "fps=5,scale=640:360", "-f", "rawvideo", "-pix_fmt", "bgr24", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	n := len(out) / (w * h * 3)
	frames := make([]*analytics.Frame, n)
	for i := range n {
		frames[i] = &analytics.Frame{CameraID: "cam-001", At: wall0.Add(time.Duration(i) * 200 * time.Millisecond),
			PTS: time.Duration(i) * 200 * time.Millisecond, Width: w, Height: h, BGR: out[i*w*h*3 : (i+1)*w*h*3]}
	}
	return frames
}

func newCamera(t *testing.T, det analytics.Detector, r rules.Config, fired *[]events.Fired) *Camera {
	t.Helper()
	c, err := New(Config{CameraID: "cam-001", Rules: r}, Deps{Hub: media.NewHub(), Detector: det,
		Fire: func(_ context.Context, f events.Fired) error { *fired = append(*fired, f); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRoundaboutCrowd runs the real detector and tracker over real traffic:
// riders and motorbikes are tracked with stable IDs, and a crowd rule over
// the whole picture fires one event (updated, not repeated).
func TestRoundaboutCrowd(t *testing.T) {
	det, err := detect.NewYOLOX(detect.Options{})
	if err != nil { // without ONNX Runtime the message says to run make setup
		t.Fatal(err)
	}
	defer det.Close()
	wall0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) // 10:00 in Vietnam
	whole := rules.Zone{Name: "ngã tư", Kind: rules.Generic, Polygon: []rules.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}, {X: 0, Y: 1}}}
	var fired []events.Fired
	c := newCamera(t, det, rules.Config{Zones: []rules.Zone{whole},
		Rules: rules.Rules{Crowd: []rules.Crowd{{Zone: "ngã tư", MoreThan: 3, For: time.Second}}}}, &fired)
	classes := map[analytics.Class]map[int64]bool{}
	for _, f := range roundabout(t, 6, wall0) {
		res := c.Step(t.Context(), f)
		for _, tr := range res.Tracks {
			if classes[tr.Class] == nil {
				classes[tr.Class] = map[int64]bool{}
			}
			classes[tr.Class][tr.ID] = true
		}
	}
	st := c.Stats()
	if st.Frames < 25 || st.Detections < st.Frames/2 || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Tracks, not detections: a few riders and bikes cross in 6 s, so the
	// IDs stay few (a tracker that lost its objects every frame would make
	// one ID per detection, hundreds).
	if n := len(classes[analytics.Person]); n < 3 || n > 40 {
		t.Errorf("%d person tracks", n)
	}
	if n := len(classes[analytics.Motorcycle]); n < 2 || n > 30 {
		t.Errorf("%d motorcycle tracks", n)
	}
	if len(fired) == 0 {
		t.Fatal("no crowd event")
	}
	ids := map[string]bool{}
	for _, f := range fired {
		ids[f.Event.ID] = true
		if f.Event.Type != matthan.EventCrowd || f.Event.CameraID != "cam-001" || f.Event.SummaryVI == "" || f.Frame == nil {
			t.Fatalf("event %+v", f.Event)
		}
	}
	if len(ids) != 1 {
		t.Errorf("%d crowd events for one busy roundabout, want 1 (updated)", len(ids))
	}
}

// TestBadRulesAreRefused: a camera's rules are checked when it starts, with
// a message that names the field.
func TestBadRulesAreRefused(t *testing.T) {
	_, err := New(Config{CameraID: "cam-001", Rules: rules.Config{Zones: []rules.Zone{{Name: "z"}}}}, Deps{Hub: media.NewHub()})
	if matthan.ErrorCode(err) != matthan.EINVALID {
		t.Fatalf("err %v, want EINVALID", err)
	}
}

// TestMotionOnly: without a detector (no ONNX Runtime), the camera still
// finds motion, and runs no rule on objects it cannot see.
func TestMotionOnly(t *testing.T) {
	var fired []events.Fired
	c := newCamera(t, nil, rules.Config{}, &fired)
	moving := 0
	for _, f := range roundabout(t, 3, time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)) {
		if res := c.Step(t.Context(), f); len(res.Motion) > 0 {
			moving++
		}
	}
	if moving < 10 || len(fired) != 0 || c.Stats().Detections != 0 {
		t.Fatalf("%d frames with motion, %d events, stats %+v", moving, len(fired), c.Stats())
	}
	if c.Last() == nil || c.Last().Width != 640 {
		t.Fatalf("last result %+v", c.Last())
	}
}
