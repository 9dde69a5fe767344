package rtsp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"matthan"
	"matthan/internal/media"
	"matthan/internal/testutil"
)

// testLog writes to the test's log, so output shows only for failures.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// freePort returns a TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freeUDPPair returns an even UDP port p with p+1 also free (RTP and RTCP).
func freeUDPPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		p &^= 1
		a, err1 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		b, err2 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			return p
		}
	}
	t.Fatal("no free UDP port pair")
	return 0
}

// process is a peer program run by a test, in its own process group.
type process struct {
	cmd    *exec.Cmd
	output *testutil.Logs
	done   chan struct{}
	err    error
}

// start runs name with args; the test's cleanup kills its process group.
func start(t *testing.T, name string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(name, args...), output: &testutil.Logs{}, done: make(chan struct{})}
	p.cmd.Stdout = p.output
	p.cmd.Stderr = p.output
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.output.String())
		}
	})
	return p
}

// stop kills the process group and waits for the process.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// wait waits up to d for the process to exit.
func (p *process) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		t.Fatalf("%s still running after %v; output:\n%s", p.cmd.Path, d, p.output.String())
		return nil
	}
}

// waitListening waits until something accepts TCP connections at addr.
func waitListening(t *testing.T, addr string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens at %s after %v", addr, d)
}

// gstCamera starts GStreamer's RTSP server (our independent peer) and
// returns its base URL.
func gstCamera(t *testing.T) string {
	t.Helper()
	script, err := filepath.Abs("../../testdata/tools/gst_camera.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("GStreamer camera script missing: %v", err)
	}
	port := freePort(t)
	start(t, "/usr/bin/python3", script, "--port", fmt.Sprint(port))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr, 10*time.Second)
	return "rtsp://" + addr
}

// collector is a Receiver that keeps what it gets.
type collector struct {
	mu     sync.Mutex
	units  []*media.Unit
	lost   uint64
	notify chan struct{}
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1)} }

func (c *collector) WriteUnit(u *media.Unit) {
	c.mu.Lock()
	c.units = append(c.units, u)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *collector) DecodeErrors(n uint64) {}

func (c *collector) PacketsLost(n uint64) {
	c.mu.Lock()
	c.lost += n
	c.mu.Unlock()
}

func (c *collector) snapshot() []*media.Unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*media.Unit(nil), c.units...)
}

// waitFor waits until ok holds for the units received so far.
func (c *collector) waitFor(t *testing.T, d time.Duration, what string, ok func([]*media.Unit) bool) []*media.Unit {
	t.Helper()
	deadline := time.After(d)
	for {
		units := c.snapshot()
		if ok(units) {
			return units
		}
		select {
		case <-c.notify:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s (%d units so far)", d, what, len(units))
		}
	}
}

// keyframes counts video keyframes of the given size.
func keyframes(units []*media.Unit, codec media.Codec, width, height int) int {
	n := 0
	for _, u := range units {
		tr := u.Desc.Tracks[u.Track]
		if u.Key && tr.Codec == codec && tr.Width == width && tr.Height == height {
			n++
		}
	}
	return n
}

// countTrack counts units of a codec.
func countTrack(units []*media.Unit, codec media.Codec) int {
	n := 0
	for _, u := range units {
		if u.Desc.Tracks[u.Track].Codec == codec {
			n++
		}
	}
	return n
}

// testRegistry backs the server with hubs, like the ingest service does.
type testRegistry struct {
	mu      sync.Mutex
	hubs    map[string]*media.Hub // "cam/role"
	push    map[string][2]string  // camera -> user, pass
	pushes  []string              // "cam/role from remote"
	ended   []error
	endedCh chan error
}

func newTestRegistry() *testRegistry {
	return &testRegistry{hubs: map[string]*media.Hub{}, push: map[string][2]string{}, endedCh: make(chan error, 10)}
}

func (r *testRegistry) addCamera(id string, pushUser, pushPass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, role := range matthan.StreamRoles {
		r.hubs[id+"/"+string(role)] = media.NewHub()
	}
	if pushUser != "" {
		r.push[id] = [2]string{pushUser, pushPass}
	}
}

func (r *testRegistry) Hub(id string, role matthan.StreamRole) *media.Hub {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hubs[id+"/"+string(role)]
}

func (r *testRegistry) PushCredentials(id string) (string, string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.push[id]
	return c[0], c[1], ok
}

func (r *testRegistry) StartPush(id string, role matthan.StreamRole, remote string) (media.Receiver, func(error), error) {
	hub := r.Hub(id, role)
	if hub == nil {
		return nil, nil, matthan.Errorf(matthan.ENOTFOUND, "unknown camera", "không có camera này")
	}
	r.mu.Lock()
	r.pushes = append(r.pushes, id+"/"+string(role)+" from "+remote)
	r.mu.Unlock()
	return hub, func(err error) {
		r.mu.Lock()
		r.ended = append(r.ended, err)
		r.mu.Unlock()
		r.endedCh <- err
	}, nil
}

func (r *testRegistry) pushCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pushes)
}

// auditLog records audit entries.
type auditLog struct {
	mu      sync.Mutex
	entries []matthan.AuditEntry
}

func (a *auditLog) add(_ context.Context, e *matthan.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, *e)
}

func (a *auditLog) all() []matthan.AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]matthan.AuditEntry(nil), a.entries...)
}

// startServer runs a Server with one viewer account on loopback.
func startServer(t *testing.T, reg Registry, audit *auditLog, udp bool) *Server {
	t.Helper()
	s := &Server{
		Addr:     "127.0.0.1:0",
		Registry: reg,
		Authenticate: func(user, pass string) (string, bool) {
			return "Viewer " + user, user == "viewer" && pass == "pw"
		},
		Log: testLog(t),
	}
	if audit != nil {
		s.Audit = audit.add
	}
	if udp {
		p := freeUDPPair(t)
		s.UDPRTPAddr = fmt.Sprintf("127.0.0.1:%d", p)
		s.UDPRTCPAddr = fmt.Sprintf("127.0.0.1:%d", p+1)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// readAnnexB reads an Annex-B file from testdata and splits it into access units.
func readAnnexB(t testing.TB, name string, h265 bool) [][][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	return splitAccessUnits(nalus, h265)
}

// splitAccessUnits groups NAL units into access units: a new one starts at
// the first slice of a picture or at a non-VCL unit after a slice.
func splitAccessUnits(nalus [][]byte, h265 bool) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	hasVCL := false
	for _, n := range nalus {
		var vcl, first bool
		if h265 {
			typ := (n[0] >> 1) & 0x3f
			vcl = typ < 32
			first = vcl && len(n) > 2 && n[2]&0x80 != 0
		} else {
			typ := n[0] & 0x1f
			vcl = typ == 1 || typ == 5
			first = vcl && len(n) > 1 && n[1]&0x80 != 0
		}
		if hasVCL && (!vcl || first) {
			aus = append(aus, cur)
			cur, hasVCL = nil, false
		}
		cur = append(cur, n)
		hasVCL = hasVCL || vcl
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return aus
}

// runFFmpeg runs ffmpeg or ffprobe to completion and returns its output.
func runTool(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	return string(out), err
}
