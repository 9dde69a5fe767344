package live

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"matthan"
	"matthan/internal/media"
	"matthan/internal/rtsp"
	"matthan/internal/sim"
)

// simLibrary is the simulator's 3 s synthetic clip, converted once and
// cached where internal/sim's own tests cache it.
func simLibrary(t *testing.T) *sim.Library {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sim")
	if c, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(c, "matthan-test-sim")
	}
	srcDir := filepath.Join(dir, "src")
	src := filepath.Join(srcDir, "testsrc-3s.mp4")
	if _, err := os.Stat(src); err != nil {
		if err := os.MkdirAll(srcDir, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp := src + ".tmp.mp4"
		if out, err := runTool(t, time.Minute, "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
			"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "3",
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1", tmp); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		if err := os.Rename(tmp, src); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lib, err := sim.Prepare(ctx, srcDir, filepath.Join(dir, "lib"), testLogger(t))
	if err != nil {
		t.Fatalf("sim.Prepare: %v", err)
	}
	return lib
}

// Viewers of one camera share its one RTSP session: three WebRTC viewers
// and one MSE viewer of a simulated camera leave the camera with a single
// reader, pulled by our RTSP client into one hub.
func TestViewersShareOneCameraConnection(t *testing.T) {
	cams, err := sim.New(simLibrary(t), sim.Config{Addr: "127.0.0.1:0", Cameras: 1}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cams.Close)
	cam := cams.Cameras()[0]

	hub := media.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	pulled := make(chan error, 1)
	go func() {
		pulled <- rtsp.Pull(ctx, rtsp.PullRequest{URL: cam.SubURL, Username: cam.Username, Password: cam.Password}, hub, testLogger(t))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-pulled; err != nil {
			t.Errorf("pull: %v", err)
		}
	})
	eventually(t, 10*time.Second, "the camera streams into the hub", func() bool { return hub.Desc() != nil })

	env := newTestEnv(t, hubMap{cam.ID + "/sub": hub}, ICEConfig{})
	var viewers []*whepClient
	for range 3 {
		c, res := dialWHEP(t, env, cam.ID, string(matthan.StreamSub), offerCodecs{h264: true})
		if res != nil {
			_, e := apiError(t, res)
			t.Fatalf("WHEP refused: %s", e.Message)
		}
		viewers = append(viewers, c)
	}
	ws := dialMSE(t, env, cam.ID, string(matthan.StreamSub))
	readHeader(t, ws)
	readMessage(t, ws) // init
	eventually(t, 10*time.Second, "every WebRTC viewer gets 20 frames", func() bool {
		for _, c := range viewers {
			if c.frameCount() < 20 {
				return false
			}
		}
		return true
	})
	for range 10 {
		readMessage(t, ws) // MSE fragments keep coming
	}

	if n := hub.Subscribers(); n != 4 {
		t.Errorf("hub subscribers = %d, want 4 (one per viewer)", n)
	}
	if n := env.srv.Sessions(); n != 4 {
		t.Errorf("Sessions() = %d, want 4", n)
	}
	ctl := httptest.NewServer(cams.ControlHandler())
	defer ctl.Close()
	res, err := http.Get(ctl.URL + "/cameras")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list []struct {
		ID      string `json:"id"`
		Readers int    `json:"readers"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Readers != 1 {
		t.Errorf("camera readers = %+v, want one RTSP session for 4 viewers", list)
	}
}
