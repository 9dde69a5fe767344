package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/config"
	"matthan/internal/secret"
	"matthan/internal/sim"
	"matthan/internal/sim/simtest"
	"matthan/internal/sqlite"
	"matthan/internal/testutil"
)

const adminPassword = "quan-tri-123"

// ward is a node with simulated cameras registered, as `matthan demo` runs it.
type ward struct {
	node *Node
	sim  *sim.Server
	logs *testutil.Logs // everything the node and the simulator logged
	stop func() error   // stops the node (once) and returns what Run returned
}

// startWard runs the simulator (from the repo's clips) and a node on free
// loopback ports. The converted clips are cached across test runs.
func startWard(t *testing.T, cameras int, tweak func(*config.Config)) *ward {
	t.Helper()
	logs := &testutil.Logs{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	lib := simtest.Prepare(t, filepath.Join("..", "..", "testdata", "clips"), "real", log)
	cams, err := sim.New(lib, sim.Config{Addr: "127.0.0.1:0", Cameras: cameras, H265Every: 4}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cams.Close)

	cfg := config.Default()
	cfg.Data, cfg.HTTP, cfg.RTSP = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.AdminPassword = adminPassword
	cfg.Ingest.Transport = "tcp"
	cfg.Ingest.StallTimeout = 2 * time.Second
	cfg.Ingest.BackoffMin, cfg.Ingest.BackoffMax = 200*time.Millisecond, 2*time.Second
	cfg.Ingest.AuthBackoff = 4 * time.Second
	if tweak != nil {
		tweak(&cfg)
	}
	n, err := Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(t.Context(), n.Store, cams.Cameras()); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("node stopped with: %v", err)
		}
	})
	return &ward{node: n, sim: cams, logs: logs, stop: stop}
}

// apiCamera is the part of GET /api/cameras these tests read.
type apiCamera struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Area    string `json:"area"`
	Streams []struct {
		Role    string  `json:"role"`
		State   string  `json:"state"`
		Reason  string  `json:"reason"`
		FPS     float64 `json:"fps"`
		Bitrate float64 `json:"bitrate"`
		Width   int     `json:"width"`
		Codec   string  `json:"codec"`
	} `json:"streams"`
}

func (w *ward) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+w.node.HTTPAddr()+path, nil)
	req.SetBasicAuth("admin", adminPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (w *ward) cameras(t *testing.T) []apiCamera {
	t.Helper()
	code, b := w.get(t, "/api/cameras")
	if code != 200 {
		t.Fatalf("GET /api/cameras = %d %s", code, b)
	}
	var cams []apiCamera
	if err := json.Unmarshal(b, &cams); err != nil {
		t.Fatalf("GET /api/cameras: %v in %s", err, b)
	}
	return cams
}

// status returns a stream's live status from the ingest manager.
func (w *ward) status(id string, role matthan.StreamRole) matthan.StreamStatus {
	for _, s := range w.node.Ingest.Status(id) {
		if s.Role == role {
			return s
		}
	}
	return matthan.StreamStatus{}
}

// waitState waits until a stream is in state, and returns how long it took.
func (w *ward) waitState(t *testing.T, id string, role matthan.StreamRole, state matthan.StreamState, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if w.status(id, role).State == state {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := w.status(id, role)
	t.Fatalf("%s/%s: state %s (%s) after %v, want %s", id, role, s.State, s.Reason, within, state)
	return 0
}

// The demo's promise: within 10 seconds the API lists all 8 cameras as streaming.
func TestWardStreamsWithinTenSeconds(t *testing.T) {
	w := startWard(t, 8, nil)
	start := time.Now()
	for {
		cams := w.cameras(t)
		streaming := 0
		for _, c := range cams {
			for _, s := range c.Streams {
				if s.State == "streaming" {
					streaming++
				}
			}
		}
		if len(cams) == 8 && streaming == 16 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("after 10 s, %d of 16 streams of %d cameras are streaming", streaming, len(cams))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("all 8 cameras streaming after %v", time.Since(start).Round(time.Millisecond))

	time.Sleep(2 * time.Second) // let the figures fill their window
	for _, c := range w.cameras(t) {
		if c.Name == "" || c.Area == "" {
			t.Errorf("%s: name %q area %q", c.ID, c.Name, c.Area)
		}
		for _, s := range c.Streams {
			wantFPS := 25.0
			if s.Role == "sub" {
				wantFPS = 10
			}
			// A sanity check of the figure, wide enough for a loaded machine
			// where units arrive in bursts (rates are exact in ingest's own tests).
			if s.FPS < wantFPS*0.6 || s.FPS > wantFPS*1.4 || s.Bitrate < 100e3 {
				t.Errorf("%s/%s: fps %.1f bitrate %.0f, want about %v fps", c.ID, s.Role, s.FPS, s.Bitrate, wantFPS)
			}
		}
	}
	if code, _ := w.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	_, metrics := w.get(t, "/metrics")
	for _, want := range []string{`matthan_stream_frames_total{camera="cam-001",stream="main"}`,
		`matthan_stream_state{camera="cam-008",stream="sub",state="streaming"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The restream is read by ffmpeg, a peer we did not write, with no errors,
// and every viewing is audited.
func TestRestreamReadByFFmpeg(t *testing.T) {
	w := startWard(t, 4, nil)
	for _, id := range []string{"cam-001", "cam-004"} { // H.264 and H.265 mains
		w.waitState(t, id, matthan.StreamMain, matthan.StateStreaming, 10*time.Second)
	}
	for _, path := range []string{"cam-001/main", "cam-001/sub", "cam-004/main"} {
		url := fmt.Sprintf("rtsp://admin:%s@%s/%s", adminPassword, w.node.RTSPAddr(), path)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		out, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
			"-i", url, "-t", "4", "-f", "null", "-").CombinedOutput()
		cancel()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("ffmpeg reading %s: %v\n%s", path, err, out)
		}
	}
	audit, err := w.node.Store.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) < 2 || audit[0].Action != "live.rtsp" || audit[0].User != "admin" {
		t.Errorf("audit for cam-001 = %+v, want two live.rtsp entries by admin", audit)
	}
}

// frames returns a stream's frame counter.
func (w *ward) frames(id string) uint64 { return w.status(id, matthan.StreamMain).Stats.Frames }

// Faults from the simulator reach the right state, recover, and never
// disturb the camera next door.
func TestFaultsAreNamedAndContained(t *testing.T) {
	w := startWard(t, 6, nil)
	for i := 0; i < 6; i++ {
		w.waitState(t, sim.CameraID(i), matthan.StreamMain, matthan.StateStreaming, 10*time.Second)
	}

	// cam-006 is never touched: it must stream, without a gap, throughout.
	var bystander sync.WaitGroup
	stopWatch := make(chan struct{})
	bystander.Add(1)
	go func() {
		defer bystander.Done()
		last, lastChange := w.frames("cam-006"), time.Now()
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
			s := w.status("cam-006", matthan.StreamMain)
			if s.State != matthan.StateStreaming {
				t.Errorf("bystander cam-006 went %s: %s", s.State, s.Reason)
			}
			if f := s.Stats.Frames; f != last {
				last, lastChange = f, time.Now()
			} else if time.Since(lastChange) > time.Second {
				t.Errorf("bystander cam-006 got no frame for %v", time.Since(lastChange))
				lastChange = time.Now()
			}
		}
	}()
	defer func() { close(stopWatch); bystander.Wait() }()

	setFault := func(id string, f sim.Fault) {
		t.Helper()
		if err := w.sim.SetFault(id, f); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("drop reconnects within the back-off bound", func(t *testing.T) {
		before := w.status("cam-001", matthan.StreamMain).Stats.Reconnects
		dropped := time.Now()
		setFault("cam-001", sim.Fault{Kind: sim.FaultDrop})
		// The first retry comes after at most backoff-min (200 ms); allow for setup.
		for w.status("cam-001", matthan.StreamMain).Stats.Reconnects == before {
			if time.Since(dropped) > 3*time.Second {
				t.Fatal("no reconnect within 3 s of the drop")
			}
			time.Sleep(20 * time.Millisecond)
		}
		w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 3*time.Second)
		t.Logf("cam-001 streaming again %v after the drop", time.Since(dropped).Round(time.Millisecond))
	})

	t.Run("stall is detected within the timeout and recovers", func(t *testing.T) {
		setFault("cam-002", sim.Fault{Kind: sim.FaultStall})
		took := w.waitState(t, "cam-002", matthan.StreamMain, matthan.StateStalled, 2*time.Second+1500*time.Millisecond)
		s := w.status("cam-002", matthan.StreamMain)
		if !strings.Contains(s.Reason, "2 s") || s.ReasonVI == "" {
			t.Errorf("stall reason %q / %q, want it to name the 2 s timeout, in both languages", s.Reason, s.ReasonVI)
		}
		t.Logf("stall detected after %v: %s", took.Round(time.Millisecond), s.Reason)
		setFault("cam-002", sim.Fault{Kind: sim.FaultNone})
		w.waitState(t, "cam-002", matthan.StreamMain, matthan.StateStreaming, 5*time.Second)
	})

	t.Run("wrong password is auth failed and not hammered", func(t *testing.T) {
		setFault("cam-003", sim.Fault{Kind: sim.FaultPassword, User: "admin", Password: "mat-khau-moi"})
		w.waitState(t, "cam-003", matthan.StreamMain, matthan.StateAuthFailed, 5*time.Second)
		s := w.status("cam-003", matthan.StreamMain)
		if !strings.Contains(strings.ToLower(s.Reason), "password") || !strings.Contains(s.ReasonVI, "mật khẩu") {
			t.Errorf("auth reason %q / %q, want it to say the password was refused", s.Reason, s.ReasonVI)
		}
		if strings.Contains(s.Reason+s.ReasonVI, "mat-khau-moi") {
			t.Error("the reason shows a password")
		}
		attempts := s.Stats.Reconnects
		time.Sleep(3 * time.Second) // auth-backoff is 4 s: no new attempt yet
		if got := w.status("cam-003", matthan.StreamMain).Stats.Reconnects; got != attempts {
			t.Errorf("retried %d times within 3 s of an auth failure; auth-backoff is 4 s", got-attempts)
		}
		setFault("cam-003", sim.Fault{Kind: sim.FaultNone})
		w.waitState(t, "cam-003", matthan.StreamMain, matthan.StateStreaming, 8*time.Second)
	})

	t.Run("resolution change mid-stream is seen", func(t *testing.T) {
		setFault("cam-005", sim.Fault{Kind: sim.FaultResolution})
		deadline := time.Now().Add(6 * time.Second)
		for w.status("cam-005", matthan.StreamMain).Stats.Width != 1280 {
			if time.Now().After(deadline) {
				t.Fatalf("width still %d after the camera switched to 1280x720", w.status("cam-005", matthan.StreamMain).Stats.Width)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if s := w.status("cam-005", matthan.StreamMain); s.State != matthan.StateStreaming || s.Stats.Height != 720 {
			t.Errorf("after the switch: %s %dx%d", s.State, s.Stats.Width, s.Stats.Height)
		}
	})

	t.Run("garbage is survived and named", func(t *testing.T) {
		setFault("cam-001", sim.Fault{Kind: sim.FaultGarbage})
		w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStalled, 5*time.Second)
		if s := w.status("cam-001", matthan.StreamMain); !strings.Contains(s.Reason, "not valid video") {
			t.Errorf("garbage reason %q, want it to say the data is not valid video", s.Reason)
		}
		setFault("cam-001", sim.Fault{Kind: sim.FaultNone})
		w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 6*time.Second)
	})

	t.Run("a camera gone dark is offline and stored as an event", func(t *testing.T) {
		setFault("cam-002", sim.Fault{Kind: sim.FaultOffline})
		w.waitState(t, "cam-002", matthan.StreamMain, matthan.StateOffline, 5*time.Second)
		events, err := w.node.Store.HealthEvents(t.Context(), matthan.HealthEventFilter{CameraID: "cam-002"})
		if err != nil {
			t.Fatal(err)
		}
		var latest *matthan.HealthEvent // of the main stream; the sub stream has its own
		for _, e := range events {
			if e.Stream == matthan.StreamMain {
				latest = e
				break
			}
		}
		if latest == nil || latest.To != matthan.StateOffline || latest.ReasonVI == "" {
			t.Errorf("latest health event of cam-002/main = %+v, want offline with a reason", latest)
		}
		// Its restream says so instead of hanging a viewer on a silent stream.
		url := fmt.Sprintf("rtsp://admin:%s@%s/cam-002/main", adminPassword, w.node.RTSPAddr())
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", url).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), "404") {
			t.Errorf("ffprobe of an offline camera's restream: %v %s, want 404", err, out)
		}
		setFault("cam-002", sim.Fault{Kind: sim.FaultNone})
		w.waitState(t, "cam-002", matthan.StreamMain, matthan.StateStreaming, 6*time.Second)
	})
}

// A camera behind NAT pushes to the node with ffmpeg (a publisher we did not
// write); the node restreams it, and switching the camera off hangs up on it.
func TestPushCameraThroughTheNode(t *testing.T) {
	w := startWard(t, 1, nil)
	body := `{"id": "cam-nha-ba-tu", "name": "Nhà bà Tư – hẻm 12", "area": "Khóm 3",
		"latitude": 10.0312, "longitude": 105.7821,
		"owner": {"kind": "household", "name": "Nguyễn Thị Tư", "contact": "0912345678"},
		"source": "push", "username": "nha-ba-tu", "password": "day-len-2026", "enabled": true}`
	if code, b := w.send(t, "POST", "/api/cameras", body); code != 201 {
		t.Fatalf("create push camera = %d %s", code, b)
	}
	w.waitState(t, "cam-nha-ba-tu", matthan.StreamMain, matthan.StateOffline, 3*time.Second)

	clip := filepath.Join("..", "..", "testdata", "clips", "motorbikes_roundabout_960x540.mp4")
	push := func(password string) *exec.Cmd {
		url := fmt.Sprintf("rtsp://nha-ba-tu:%s@%s/cam-nha-ba-tu/main", password, w.node.RTSPAddr())
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i", clip,
			"-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", url)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}

	// The wrong password is refused; the camera stays offline.
	bad := push("sai-mat-khau")
	if err := waitExit(bad, 10*time.Second); err == nil {
		t.Error("a publisher with the wrong password was accepted")
	}

	good := push("day-len-2026")
	w.waitState(t, "cam-nha-ba-tu", matthan.StreamMain, matthan.StateStreaming, 10*time.Second)
	url := fmt.Sprintf("rtsp://admin:%s@%s/cam-nha-ba-tu/main", adminPassword, w.node.RTSPAddr())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	out, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
		"-i", url, "-t", "3", "-f", "null", "-").CombinedOutput()
	cancel()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("reading the pushed camera's restream: %v\n%s", err, out)
	}

	// Switched off in the registry: the node hangs up on the publisher.
	body = strings.Replace(body, `"enabled": true`, `"enabled": false`, 1)
	if code, b := w.send(t, "PUT", "/api/cameras/cam-nha-ba-tu", body); code != 200 {
		t.Fatalf("disable = %d %s", code, b)
	}
	w.waitState(t, "cam-nha-ba-tu", matthan.StreamMain, matthan.StateDisabled, 3*time.Second)
	if err := waitExit(good, 10*time.Second); err == nil {
		t.Error("ffmpeg kept publishing happily after the camera was switched off")
	}
}

// waitExit waits for cmd to end and returns its error, or kills it after d.
func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return nil // still running: treated as accepted
	}
}

func (w *ward) send(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, "http://"+w.node.HTTPAddr()+path, strings.NewReader(body))
	req.SetBasicAuth("admin", adminPassword)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// A camera that needs a password streams once the right one is registered;
// the password is stored sealed and never shows in the API or the logs.
func TestCameraWithPassword(t *testing.T) {
	w := startWard(t, 2, nil)
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 10*time.Second)
	const user, pass = "admin", "Kh0ng-Ai-Biet#2026"
	if err := w.sim.SetFault("cam-001", sim.Fault{Kind: sim.FaultPassword, User: user, Password: pass}); err != nil {
		t.Fatal(err)
	}
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateAuthFailed, 5*time.Second)

	code, b := w.get(t, "/api/cameras/cam-001")
	if code != 200 {
		t.Fatalf("GET camera = %d %s", code, b)
	}
	var cam map[string]any
	if err := json.Unmarshal(b, &cam); err != nil {
		t.Fatal(err)
	}
	cam["username"], cam["password"] = user, pass
	body, _ := json.Marshal(cam)
	if code, b := w.send(t, "PUT", "/api/cameras/cam-001", string(body)); code != 200 {
		t.Fatalf("PUT camera = %d %s", code, b)
	}
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 10*time.Second)
	w.waitState(t, "cam-001", matthan.StreamSub, matthan.StateStreaming, 10*time.Second)

	_, list := w.get(t, "/api/cameras")
	_, one := w.get(t, "/api/cameras/cam-001")
	for what, text := range map[string]string{"camera list": string(list), "camera": string(one), "logs": w.logs.String()} {
		if strings.Contains(text, pass) {
			t.Errorf("the camera password shows in the %s", what)
		}
	}
	if !strings.Contains(string(one), `"has_password":true`) {
		t.Errorf("camera JSON does not say it has a password: %s", one)
	}
}

// Every camera is recorded from the moment it streams; stopping the node
// finishes and indexes the open segments, and ffprobe reads them cleanly.
func TestWardIsRecorded(t *testing.T) {
	w := startWard(t, 2, nil)
	for _, id := range []string{"cam-001", "cam-002"} {
		w.waitState(t, id, matthan.StreamMain, matthan.StateStreaming, 10*time.Second)
	}
	time.Sleep(4 * time.Second)
	// The segment being written (5 min long) plays before it closes.
	now := time.Now().UTC()
	code, body := w.get(t, "/api/cameras/cam-001/clip.mp4?from="+now.Add(-30*time.Second).Format(time.RFC3339)+"&to="+now.Format(time.RFC3339))
	if code != http.StatusOK {
		t.Fatalf("clip of the last seconds: %d %s", code, body)
	}
	live := filepath.Join(t.TempDir(), "live.mp4")
	os.WriteFile(live, body, 0o644)
	if out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", live).CombinedOutput(); err != nil ||
		strings.Contains(string(out), "rror") || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == "0" {
		t.Fatalf("ffprobe of the clip of the open segment: %v %s", err, out)
	}
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	// The node closed its store; read the index as the next start would.
	key, err := secret.LoadOrCreateKey(filepath.Join(w.node.Config.Data, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := secret.NewSealer(key)
	store, err := sqlite.Open(context.Background(), filepath.Join(w.node.Config.Data, "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, id := range []string{"cam-001", "cam-002"} {
		segs, err := store.Segments(context.Background(), matthan.SegmentFilter{CameraID: id, Stream: matthan.StreamMain})
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) == 0 {
			t.Fatalf("%s: no segment indexed", id)
		}
		var frames int64
		for _, s := range segs {
			frames += s.Frames
			path := filepath.Join(w.node.Config.RecordDir(), filepath.FromSlash(s.Path))
			out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width", "-of", "csv", path).CombinedOutput()
			if err != nil || strings.Contains(string(out), "rror") {
				t.Errorf("ffprobe %s: %v\n%s", s.Path, err, out)
			}
		}
		// About 4 s at 25 fps streamed before the stop (and the first
		// fragment starts at a keyframe, up to 2 s in).
		if frames < 25 {
			t.Errorf("%s: %d frames recorded in about 4 s of streaming", id, frames)
		}
		if segs[0].SHA256 == "" {
			t.Errorf("%s: segment without a hash", id)
		}
	}
}
