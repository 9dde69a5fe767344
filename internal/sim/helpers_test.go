package sim

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan/internal/childproc"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// testCacheDir keeps converted test clips between runs so that tests do not
// re-encode each time.
func testCacheDir(t testing.TB) string {
	t.Helper()
	dir, err := os.UserCacheDir()
	if err != nil {
		return t.TempDir()
	}
	return filepath.Join(dir, "matthan-test-sim")
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testLibrary returns a library of one short synthetic clip (3 s, so tests
// cross the loop boundary quickly), converted once and cached.
func testLibrary(t testing.TB) *Library {
	t.Helper()
	dir := testCacheDir(t)
	srcDir := filepath.Join(dir, "src")
	src := filepath.Join(srcDir, "testsrc-3s.mp4")
	if _, err := os.Stat(src); err != nil {
		if err := os.MkdirAll(srcDir, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp := src + ".tmp.mp4"
		runFFmpeg(t, 60*time.Second, "-hide_banner", "-loglevel", "error", "-y",
			"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "3",
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1", tmp)
		if err := os.Rename(tmp, src); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	lib, err := Prepare(ctx, srcDir, filepath.Join(dir, "lib"), testLogger(t))
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return lib
}

func runFFmpeg(t testing.TB, timeout time.Duration, args ...string) string {
	t.Helper()
	out, err := runCmd(t, timeout, "ffmpeg", args...)
	if err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// runCmd runs a tool in its own process group, killed on timeout, and
// returns its combined output.
func runCmd(t testing.TB, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	childproc.Own(cmd)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startSim starts a simulator on a free loopback port, closed at test end.
func startSim(t *testing.T, lib *Library, cfg Config) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := New(lib, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// rxPacket is one RTP packet a test client received.
type rxPacket struct {
	seq     uint16
	ts      uint32
	marker  bool
	at      time.Time
	payload []byte
}

// rtspReader is a gortsplib client playing one stream over TCP and
// recording every packet.
type rtspReader struct {
	client *gortsplib.Client
	media  *description.Media
	forma  format.Format
	done   chan error

	mu   sync.Mutex
	pkts []rxPacket
}

// play connects to url and plays its video track.
func play(t *testing.T, url string) (*rtspReader, error) {
	t.Helper()
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	r := &rtspReader{
		client: &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 5 * time.Second},
		done:   make(chan error, 1),
	}
	if err := r.client.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(r.client.Close)
	desc, _, err := r.client.Describe(u)
	if err != nil {
		r.client.Close()
		return nil, err
	}
	r.media = desc.Medias[0]
	r.forma = r.media.Formats[0]
	if _, err := r.client.Setup(desc.BaseURL, r.media, 0, 0); err != nil {
		r.client.Close()
		return nil, err
	}
	r.client.OnPacketRTP(r.media, r.forma, func(pkt *rtp.Packet) {
		r.mu.Lock()
		r.pkts = append(r.pkts, rxPacket{
			seq: pkt.SequenceNumber, ts: pkt.Timestamp, marker: pkt.Marker,
			at: time.Now(), payload: append([]byte(nil), pkt.Payload...),
		})
		r.mu.Unlock()
	})
	if _, err := r.client.Play(nil); err != nil {
		r.client.Close()
		return nil, err
	}
	go func() { r.done <- r.client.Wait() }()
	return r, nil
}

func mustPlay(t *testing.T, url string) *rtspReader {
	t.Helper()
	r, err := play(t, url)
	if err != nil {
		t.Fatalf("play %s: %v", url, err)
	}
	return r
}

func (r *rtspReader) packets() []rxPacket {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rxPacket(nil), r.pkts...)
}

// frames counts the complete frames (marker bits) received so far.
func (r *rtspReader) frames() int {
	n := 0
	for _, p := range r.packets() {
		if p.marker {
			n++
		}
	}
	return n
}

// closed reports whether the session has ended, waiting up to d.
func (r *rtspReader) closed(d time.Duration) bool {
	select {
	case err := <-r.done:
		r.done <- err
		return true
	case <-time.After(d):
		return false
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}
