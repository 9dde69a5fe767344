package rtsp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/media"
)

// pullSession runs Pull in the background; stop cancels it and returns its error.
type pullSession struct {
	units  *collector
	cancel context.CancelFunc
	done   chan error
}

func startPull(t *testing.T, req PullRequest) *pullSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &pullSession{units: newCollector(), cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- Pull(ctx, req, p.units, testLog(t)) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels the session and returns what Pull returned.
func (p *pullSession) stop(t *testing.T) error {
	t.Helper()
	p.cancel()
	select {
	case err, ok := <-p.done:
		if ok {
			close(p.done)
		}
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Pull did not return 10 s after its context was cancelled")
		return nil
	}
}

// wait returns Pull's error when it ends by itself.
func (p *pullSession) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		close(p.done)
		return err
	case <-time.After(d):
		t.Fatalf("Pull still running after %v", d)
		return nil
	}
}

// pullError runs Pull to its end and returns its classified error.
func pullError(t *testing.T, req PullRequest) *matthan.StreamError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := Pull(ctx, req, newCollector(), testLog(t))
	var se *matthan.StreamError
	if !errors.As(err, &se) {
		t.Fatalf("Pull returned %v (%T), want a *matthan.StreamError", err, err)
	}
	if req.Password != "" {
		for _, s := range []string{se.Reason, se.ReasonVI, se.Error(), fmt.Sprint(se.Err)} {
			if strings.Contains(s, req.Password) {
				t.Errorf("password in error: %q", s)
			}
		}
	}
	return se
}

// checkVideo waits for two keyframes of the given size and checks timing.
func checkVideo(t *testing.T, c *collector, codec media.Codec, width, height int) {
	t.Helper()
	units := c.waitFor(t, 20*time.Second, fmt.Sprintf("two %s %dx%d keyframes", codec, width, height), func(u []*media.Unit) bool {
		return keyframes(u, codec, width, height) >= 2
	})
	var last time.Duration
	first := true
	for i, u := range units {
		if !u.IsVideo() {
			continue
		}
		if !first && u.PTS < last {
			t.Errorf("unit %d: PTS went back from %v to %v", i, last, u.PTS)
		}
		first, last = false, u.PTS
		if age := time.Since(u.Wall); age < -time.Minute || age > time.Minute {
			t.Errorf("unit %d: wall clock %v is far from now", i, u.Wall)
		}
	}
	// GStreamer and our hub both start at a keyframe. (An audio unit may come
	// first: its packet can complete before the keyframe's last one.)
	for _, u := range units {
		if u.IsVideo() {
			if !u.Key {
				t.Errorf("first video unit is not a keyframe")
			}
			break
		}
	}
}

func TestPullGStreamer(t *testing.T) {
	base := gstCamera(t)
	for _, tc := range []struct {
		name, path, transport string
		width, height         int
	}{
		{"main over TCP", "/main", TransportTCP, 1920, 1080},
		{"sub over UDP", "/sub", TransportUDP, 640, 360},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPull(t, PullRequest{URL: base + tc.path, Transport: tc.transport, Timeout: 5 * time.Second})
			checkVideo(t, p.units, media.H264, tc.width, tc.height)
			if tc.transport == TransportTCP {
				// GStreamer sends RTCP sender reports: units then carry the camera's clock.
				units := p.units.waitFor(t, 15*time.Second, "a unit timed by a sender report", func(us []*media.Unit) bool {
					return us[len(us)-1].WallFromSender
				})
				last := units[len(units)-1]
				if skew := time.Since(last.Wall); skew < -2*time.Second || skew > 2*time.Second {
					t.Errorf("wall clock from the sender report is %v away from ours", skew)
				}
			}
			if err := p.stop(t); err != nil {
				t.Errorf("Pull returned %v after cancel, want nil", err)
			}
		})
	}
	t.Run("unknown path", func(t *testing.T) {
		se := pullError(t, PullRequest{URL: base + "/nothing", Transport: TransportTCP})
		if se.State != matthan.StateBadURL {
			t.Errorf("state %s (%s), want %s", se.State, se.Reason, matthan.StateBadURL)
		}
	})
}

func TestPullFailures(t *testing.T) {
	closed := fmt.Sprintf("rtsp://127.0.0.1:%d/cam", freePort(t))
	for _, tc := range []struct {
		name  string
		req   PullRequest
		state matthan.StreamState
	}{
		{"unparsable URL", PullRequest{URL: "rtsp://[::1/x", Password: "pw1234"}, matthan.StateBadURL},
		{"wrong scheme", PullRequest{URL: "http://127.0.0.1/x"}, matthan.StateBadURL},
		{"no host", PullRequest{URL: "rtsp:///x"}, matthan.StateBadURL},
		{"unknown transport", PullRequest{URL: closed, Transport: "sctp"}, matthan.StateBadURL},
		{"connection refused", PullRequest{URL: closed, Username: "admin", Password: "pw1234"}, matthan.StateOffline},
		{"password in the URL stays out of errors", PullRequest{URL: "rtsp://admin:pw1234@" + strings.TrimPrefix(closed, "rtsp://")}, matthan.StateOffline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			se := pullError(t, tc.req)
			if se.State != tc.state || se.Reason == "" || se.ReasonVI == "" {
				t.Errorf("got %s %q / %q, want %s", se.State, se.Reason, se.ReasonVI, tc.state)
			}
			if strings.Contains(se.Error()+fmt.Sprint(se.Err), "pw1234") {
				t.Errorf("password leaked: %v", se.Err)
			}
		})
	}
}
