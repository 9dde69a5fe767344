package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"matthan"
	"matthan/internal/media"
)

// clipDir holds the clips ffmpeg makes for this package's tests, once per run.
var clipDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "matthan-live-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// runTool runs a tool in its own process group, killed with the group on
// timeout, and returns its combined output.
func runTool(t testing.TB, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var clipMu sync.Mutex

// clip returns the units of a short test clip made by ffmpeg (no B-frames,
// a keyframe every second, parameter sets only before the first keyframe,
// as many cameras send them): H.264 640×360 2 s or H.265 320×240 1 s, 25 fps.
func clip(t testing.TB, codec media.Codec) (media.Track, [][][]byte) {
	t.Helper()
	clipMu.Lock()
	defer clipMu.Unlock()
	var path string
	var args []string
	if codec == media.H264 {
		path = filepath.Join(clipDir, "clip.h264")
		args = []string{"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "2", "-c:v", "libx264",
			"-preset", "veryfast", "-pix_fmt", "yuv420p", "-profile:v", "high", "-threads", "1",
			"-x264-params", "keyint=25:min-keyint=25:scenecut=0:bframes=0", "-f", "h264", path}
	} else {
		path = filepath.Join(clipDir, "clip.h265")
		args = []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "1", "-c:v", "libx265",
			"-preset", "ultrafast", "-pix_fmt", "yuv420p",
			"-x265-params", "keyint=25:min-keyint=25:scenecut=0:bframes=0:pools=1:frame-threads=1:log-level=error", "-f", "hevc", path}
	}
	if _, err := os.Stat(path); err != nil {
		if out, err := runTool(t, time.Minute, "ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nalus := splitAnnexB(b)
	track := media.Track{Codec: codec, ClockRate: 90000}
	var aus [][][]byte
	var cur [][]byte
	for _, n := range nalus {
		vcl := false
		if codec == media.H264 {
			switch h264NALUType(n) {
			case 7:
				track.SPS = n
			case 8:
				track.PPS = n
			case 1, 5:
				vcl = true
			}
		} else {
			switch typ := h265NALUType(n); {
			case typ == 32:
				track.VPS = n
			case typ == 33:
				track.SPS = n
			case typ == 34:
				track.PPS = n
			case typ < 32:
				vcl = true
			}
		}
		cur = append(cur, n)
		if vcl { // one slice per frame
			aus = append(aus, cur)
			cur = nil
		}
	}
	if codec == media.H264 {
		var sps h264.SPS
		if err := sps.Unmarshal(track.SPS); err != nil {
			t.Fatal(err)
		}
		track.Width, track.Height = sps.Width(), sps.Height()
	} else {
		var sps h265.SPS
		if err := sps.Unmarshal(track.SPS); err != nil {
			t.Fatal(err)
		}
		track.Width, track.Height = sps.Width(), sps.Height()
	}
	return track, aus
}

func isKey(codec media.Codec, au [][]byte) bool {
	for _, n := range au {
		if codec == media.H264 && h264NALUType(n) == 5 || codec == media.H265 && h265NALUType(n) >= 16 && h265NALUType(n) <= 21 {
			return true
		}
	}
	return false
}

// feeder publishes a clip into a hub in real time, looping, as a camera
// session would: a new Desc per feeder, PTS from 0, Wall = publish time.
// With audio, a G.711 µ-law track carries 40 ms of silence per frame.
type feeder struct {
	hub    *media.Hub
	desc   *media.Desc
	cancel context.CancelFunc
	done   chan struct{}
}

func startFeeder(t testing.TB, hub *media.Hub, codec media.Codec, audio bool) *feeder {
	t.Helper()
	track, aus := clip(t, codec)
	d := &media.Desc{Tracks: []media.Track{track}}
	if audio {
		d.Tracks = append(d.Tracks, media.Track{Codec: media.G711, ClockRate: 8000, MULaw: true, SampleRate: 8000, Channels: 1})
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &feeder{hub: hub, desc: d, cancel: cancel, done: make(chan struct{})}
	silence := make([]byte, 320)
	for i := range silence {
		silence[i] = 0xff // µ-law zero
	}
	go func() {
		defer close(f.done)
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			au := aus[i%len(aus)]
			now := time.Now()
			pts := time.Duration(i) * 40 * time.Millisecond
			hub.WriteUnit(&media.Unit{Desc: d, Track: 0, PTS: pts, Wall: now, Key: isKey(codec, au), Data: au})
			if audio {
				hub.WriteUnit(&media.Unit{Desc: d, Track: 1, PTS: pts, Wall: now, Data: [][]byte{silence}})
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(f.stop)
	return f
}

// stop ends the feed and resets the hub, as ingest does when a session ends.
func (f *feeder) stop() {
	f.cancel()
	<-f.done
	f.hub.Reset()
}

// hubMap is a HubSource for tests: "camera/role" → hub.
type hubMap map[string]*media.Hub

func (m hubMap) Hub(cameraID string, role matthan.StreamRole) *media.Hub {
	return m[cameraID+"/"+string(role)]
}

// testEnv is a live Server behind a small mux with the routes the lead mounts.
type testEnv struct {
	srv  *Server
	http *httptest.Server
}

func newTestEnv(t testing.TB, hubs HubSource, ice ICEConfig) *testEnv {
	t.Helper()
	if ice.IPs == nil && ice.UDPAddr == "" {
		ice.IPs = []string{"127.0.0.1"} // loopback only: quick and quiet
	}
	srv, err := New(Deps{Hubs: hubs, Log: testLogger(t), ICE: ice})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{srv: srv, http: newHTTP(t, srv)}
	t.Cleanup(func() {
		srv.Close()
		env.http.Close()
	})
	return env
}

// newHTTP serves srv at the routes internal/httpapi gives it, plus a test page.
func newHTTP(t testing.TB, srv *Server) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/cameras/{camera}/live/{stream}/whep", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, srv.ServeWHEP(w, r, r.PathValue("camera"), matthan.StreamRole(r.PathValue("stream"))))
	})
	mux.HandleFunc("DELETE /api/live/sessions/{sid}", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, srv.ServeWHEPDelete(w, r, r.PathValue("sid")))
	})
	mux.HandleFunc("GET /api/cameras/{camera}/live/{stream}/mse", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, srv.ServeMSE(w, r, r.PathValue("camera"), matthan.StreamRole(r.PathValue("stream"))))
	})
	mux.Handle("GET /live/", Static())
	mux.HandleFunc("GET /test.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(testPage))
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

// writeErr answers as internal/httpapi does: {"error":{…}} with the code's status.
func writeErr(w http.ResponseWriter, err error) {
	if err == nil {
		return
	}
	var e *matthan.Error
	if !errors.As(err, &e) {
		e = matthan.Errorf(matthan.EINTERNAL, err.Error(), err.Error())
	}
	status := map[string]int{matthan.EINVALID: 400, matthan.ENOTFOUND: 404, matthan.ECONFLICT: 409}[e.Code]
	if status == 0 {
		status = 500
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error *matthan.Error `json:"error"`
	}{e})
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ffprobeAvailable(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (make setup installs it): %v", tool, err)
		}
	}
}

// decodeCheck decodes a file with ffmpeg and returns the frames decoded; any
// decoder complaint fails the test.
func decodeCheck(t testing.TB, path, format string) int {
	t.Helper()
	args := []string{"-v", "error"}
	if format != "" {
		args = append(args, "-f", format)
	}
	args = append(args, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=codec_name,nb_read_frames,width,height", "-of", "compact=p=0:nk=0", path)
	out, err := runTool(t, time.Minute, "ffprobe", args...)
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("ffprobe reported errors on %s:\n%s", path, out)
	}
	var frames int
	for _, kv := range strings.Split(lines[0], "|") {
		if v, ok := strings.CutPrefix(kv, "nb_read_frames="); ok {
			fmt.Sscan(v, &frames)
		}
	}
	t.Logf("ffprobe %s: %s", filepath.Base(path), lines[0])
	return frames
}

// splitAnnexB splits a whole Annex-B file into NAL units (mediacommon's
// parser takes one access unit at a time).
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end--
				}
				out = append(out, b[start:end])
			}
			i += 2
			start = i + 1
		}
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	return out
}
