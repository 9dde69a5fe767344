//go:build linux

package benchproc

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"matthan/internal/secret"
	"matthan/internal/sim"
	"matthan/internal/sqlite"
)

// Logs are a run's log files, named <prefix>-<name>.log.
type Logs struct {
	Prefix    string
	DropEmpty bool // Close removes the files nothing was written to
	files     []*os.File
}

// Path is where the log called name goes.
func (l *Logs) Path(name string) string { return l.Prefix + "-" + name + ".log" }

// Create opens the log called name; Close closes it.
func (l *Logs) Create(name string) (io.Writer, error) {
	f, err := os.Create(l.Path(name))
	if err != nil {
		return nil, err
	}
	l.files = append(l.files, f)
	return f, nil
}

// Close closes every log, when the run ends.
func (l *Logs) Close() {
	for _, f := range l.files {
		f.Close()
		if !l.DropEmpty {
			continue
		}
		if st, err := os.Stat(f.Name()); err == nil && st.Size() == 0 {
			os.Remove(f.Name()) // a quiet process: no empty file to look at
		}
	}
	l.files = nil
}

// SimOptions says how to run `matthan sim`.
type SimOptions struct {
	Matthan string        // the matthan binary
	Cameras int           // simulated cameras
	Clips   string        // the simulator's source clips
	Cache   string        // its clip cache ("": its own default)
	Timeout time.Duration // how long it may take to serve (the first run converts clips)
}

// StartSim starts `matthan sim` with every main stream H.264, its output in
// the log "sim", says where on stdout, and waits until it serves. It returns
// the process and the simulator's RTSP address.
func StartSim(ctx context.Context, procs *Children, logs *Logs, o SimOptions) (*Child, string, error) {
	rtspAddr, err := FreeAddr()
	if err != nil {
		return nil, "", err
	}
	control, err := FreeAddr()
	if err != nil {
		return nil, "", err
	}
	log, err := logs.Create("sim")
	if err != nil {
		return nil, "", err
	}
	ready := &readyWriter{w: log, marker: "Simulating", ch: make(chan struct{})}
	args := []string{"sim", "--cameras", fmt.Sprint(o.Cameras), "--rtsp", rtspAddr, "--control", control,
		"--h265-every", "0", "--clips", o.Clips, "--log-level", "warn"}
	if o.Cache != "" {
		args = append(args, "--cache", o.Cache)
	}
	c, err := procs.Start(o.Matthan, args, ready, log)
	if err != nil {
		return nil, "", err
	}
	fmt.Printf("simulator: %d cameras on rtsp://%s/ (the first run converts clips, about a minute)\n", o.Cameras, rtspAddr)
	select {
	case <-ready.ch:
		return c, rtspAddr, nil
	case <-c.Done():
		return c, rtspAddr, fmt.Errorf("simulator %w: %v (see %s)", ErrExited, c.Err(), logs.Path("sim"))
	case <-time.After(o.Timeout):
		return c, rtspAddr, fmt.Errorf("simulator not ready after %s (see %s)", o.Timeout, logs.Path("sim"))
	case <-ctx.Done():
		return c, rtspAddr, ctx.Err()
	}
}

// readyWriter passes output on and closes ch once it has seen marker.
type readyWriter struct {
	w      io.Writer
	marker string
	ch     chan struct{}
	once   sync.Once
	seen   []byte
}

func (r *readyWriter) Write(p []byte) (int, error) {
	if len(r.seen) < 1<<16 {
		r.seen = append(r.seen, p...)
		if strings.Contains(string(r.seen), r.marker) {
			r.once.Do(func() { close(r.ch) })
		}
	}
	return r.w.Write(p)
}

// StartServe starts `matthan serve`: args (from "serve" on), then --http
// and --rtsp on free loopback ports, then more. Its output goes to log.
// It returns the process and the node's HTTP address.
func StartServe(procs *Children, matthan string, args []string, log io.Writer, more ...string) (*Child, string, error) {
	httpAddr, err := FreeAddr()
	if err != nil {
		return nil, "", err
	}
	rtspAddr, err := FreeAddr()
	if err != nil {
		return nil, "", err
	}
	args = append(append(args[:len(args):len(args)], "--http", httpAddr, "--rtsp", rtspAddr), more...)
	c, err := procs.Start(matthan, args, log, log)
	if err != nil {
		return nil, "", err
	}
	return c, httpAddr, nil
}

// Streams says which of a simulated camera's streams are registered.
type Streams int

const (
	// MainOnly registers no sub URL, so the node pulls one stream a camera.
	MainOnly Streams = iota
	// MainAndSub registers both.
	MainAndSub
)

// RegisterCameras adds n simulated cameras (sim.Ward) served by the
// simulator at simAddr to a fresh store in the data directory dir.
func RegisterCameras(ctx context.Context, dir, simAddr string, n int, streams Streams) error {
	key, err := secret.LoadOrCreateKey(filepath.Join(dir, "node.key"))
	if err != nil {
		return err
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "matthan.db"), sealer)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, c := range sim.Ward(n) {
		c.MainURL = "rtsp://" + simAddr + "/" + c.ID + "/main"
		c.SubURL = ""
		if streams == MainAndSub {
			c.SubURL = "rtsp://" + simAddr + "/" + c.ID + "/sub"
		}
		if err := db.CreateCamera(ctx, &c); err != nil {
			return fmt.Errorf("register %s: %w", c.ID, err)
		}
	}
	return nil
}

// FetchMetrics reads the node's /metrics at url (open to loopback without
// a token).
func FetchMetrics(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return body, nil
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// FirstLine runs name with args and returns the first line it prints, or
// the error: for versions in a report's conditions.
func FirstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return name + ": " + err.Error()
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// Sleep waits for d or until ctx ends; it returns ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
