package rtsp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/media"
	"matthan/internal/sim"
	"matthan/internal/sim/simtest"
)

func TestProbe(t *testing.T) {
	ward := simtest.Start(t, sim.Config{Cameras: 2, H265Every: 2}) // cam-002's main stream is H.265
	const user, pass = "admin", "mat-khau-dung-1"
	closed := fmt.Sprintf("rtsp://127.0.0.1:%d/cam", freePort(t))

	type want struct {
		codec         media.Codec
		width, height int
		fps           float64
		state         matthan.StreamState // a failure
		reason        string              // part of the English reason
	}
	for _, tc := range []struct {
		name  string
		fault bool // cam-001 asks for user and pass
		req   PullRequest
		want  want
	}{
		{"H.264 main", false, PullRequest{URL: ward.URL("cam-001", matthan.StreamMain)},
			want{codec: media.H264, width: 1920, height: 1080, fps: 25}},
		{"H.264 sub", false, PullRequest{URL: ward.URL("cam-001", matthan.StreamSub)},
			want{codec: media.H264, width: 640, height: 360, fps: 10}},
		{"H.265 main", false, PullRequest{URL: ward.URL("cam-002", matthan.StreamMain)},
			want{codec: media.H265, width: 1920, height: 1080, fps: 25}},
		{"nothing listening", false, PullRequest{URL: closed, Username: user, Password: pass},
			want{state: matthan.StateOffline, reason: "nothing listens"}},
		{"no stream at the path", false, PullRequest{URL: ward.URL("cam-009", matthan.StreamMain)},
			want{state: matthan.StateBadURL, reason: "no stream at this path"}},
		{"right password", true, PullRequest{URL: ward.URL("cam-001", matthan.StreamMain), Username: user, Password: pass},
			want{codec: media.H264, width: 1920, height: 1080, fps: 25}},
		{"wrong password", true, PullRequest{URL: ward.URL("cam-001", matthan.StreamMain), Username: user, Password: "sai-mat-khau-9"},
			want{state: matthan.StateAuthFailed, reason: "refused the user name or password"}},
		{"no password", true, PullRequest{URL: ward.URL("cam-001", matthan.StreamMain)},
			want{state: matthan.StateAuthFailed, reason: "requires a user name and password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sim.Fault{Kind: sim.FaultNone}
			if tc.fault {
				f = sim.Fault{Kind: sim.FaultPassword, User: user, Password: pass}
			}
			if err := ward.SetFault("cam-001", f); err != nil {
				t.Fatal(err)
			}
			tc.req.Transport = TransportTCP
			start := time.Now()
			res, err := Probe(t.Context(), tc.req, testLog(t))
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("the probe took %v", took)
			}
			if tc.want.state != "" {
				se, ok := err.(*matthan.StreamError)
				if !ok {
					t.Fatalf("got %+v, %v; want a %s failure", res, err, tc.want.state)
				}
				if se.State != tc.want.state || !strings.Contains(se.Reason, tc.want.reason) || se.ReasonVI == "" {
					t.Errorf("got %s %q / %q, want %s %q", se.State, se.Reason, se.ReasonVI, tc.want.state, tc.want.reason)
				}
				if tc.req.Password != "" && strings.Contains(se.Error()+se.ReasonVI+fmt.Sprint(se.Err), tc.req.Password) {
					t.Errorf("the password is in the error: %v", se)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Codec != tc.want.codec || res.Width != tc.want.width || res.Height != tc.want.height || res.Audio != "" {
				t.Errorf("got %+v, want %s %dx%d without audio", res, tc.want.codec, tc.want.width, tc.want.height)
			}
			if res.FPS < tc.want.fps*0.8 || res.FPS > tc.want.fps*1.2 {
				t.Errorf("fps %.1f, want about %.0f", res.FPS, tc.want.fps)
			}
		})
	}
}

// TestProbeStalled: a camera that answers and plays but sends no picture
// is told apart from one that cannot be reached.
func TestProbeStalled(t *testing.T) {
	ward := simtest.Start(t, sim.Config{Cameras: 2, H265Every: 2})
	if err := ward.SetFault("cam-001", sim.Fault{Kind: sim.FaultStall}); err != nil {
		t.Fatal(err)
	}
	_, err := Probe(t.Context(), PullRequest{URL: ward.URL("cam-001", matthan.StreamSub), Transport: TransportTCP,
		Timeout: time.Second}, testLog(t))
	se, ok := err.(*matthan.StreamError)
	if !ok || se.State != matthan.StateStalled {
		t.Fatalf("got %v, want a stalled stream", err)
	}
}
