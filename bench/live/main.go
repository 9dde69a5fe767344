//go:build linux

// Command live measures live view: glass-to-glass latency in a real
// browser, and how many concurrent WebRTC viewers one core of the node
// serves.
//
// It starts `matthan sim` (cameras that stamp each frame's send time into
// an SEI message) and one `matthan serve` (a fresh data directory,
// recording off, cameras registered with their main and sub streams), then:
//
//	latency  headless Chromium signs in, loads /live/player.js into one of
//	         the node's pages and plays one camera's sub and main stream
//	         over WebRTC and over MSE with { measure: true }: for every frame
//	         shown, latency = the time the browser expects to show it minus
//	         the simulator's stamp (same machine, same clock).
//	viewers  a pion WebRTC client in this process opens N WHEP sessions
//	         (spread over the cameras), checks every viewer receives the
//	         stream, and measures the node's CPU (/proc/PID/stat) over a
//	         window, against the same node with no viewer in the same round.
//
// Run it through bench/live/run.sh, which builds bin/matthan first.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"matthan/bench/internal/benchproc"
	"matthan/internal/sim"
)

// goalWebRTCMedianMS is issue 4's goal: median glass-to-glass latency of
// WebRTC on loopback.
const goalWebRTCMedianMS = 500

const (
	modeAll     = "all"
	modeLatency = "latency"
	modeViewers = "viewers"

	adminUser = "admin"
	stopGrace = 5 * time.Second
	simFPS    = 25
	// A viewer receives the stream when its RTP payload rate is at least
	// this share of what the node receives from the camera.
	minRateRatio = 0.9
)

type options struct {
	mode          string
	cameras       int
	rounds        int
	transports    []string
	streams       []string
	latencyCamera string
	latencyWindow time.Duration
	latencyWarmup time.Duration
	viewerCounts  []int
	viewerWindow  time.Duration
	viewerWarmup  time.Duration
	matthan       string
	chromium      string
	clips         string
	cache         string
	dir           string
	out           string
	simTimeout    time.Duration
	readyTimeout  time.Duration
	playTimeout   time.Duration
}

func main() {
	var o options
	var transports, streams, counts string
	flag.StringVar(&o.mode, "mode", modeAll, "all, latency (browser) or viewers (WebRTC load)")
	flag.IntVar(&o.cameras, "cameras", 4, "simulated cameras (viewers are spread over them)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; the report gives medians")
	flag.StringVar(&transports, "transports", "webrtc,mse", "latency: transports to measure")
	flag.StringVar(&streams, "streams", "sub,main", "streams to measure (both parts)")
	flag.StringVar(&o.latencyCamera, "latency-camera", "cam-001", "latency: the camera played (H.264: the simulator runs with --h265-every 0)")
	flag.DurationVar(&o.latencyWindow, "latency-window", 30*time.Second, "latency: frames measured per stream, transport and round")
	flag.DurationVar(&o.latencyWarmup, "latency-warmup", 5*time.Second, "latency: playing this long before measuring")
	flag.StringVar(&counts, "viewers", "10,50", "viewers: comma-separated numbers of concurrent WebRTC viewers")
	flag.DurationVar(&o.viewerWindow, "viewer-window", 20*time.Second, "viewers: each measured window (also the idle one)")
	flag.DurationVar(&o.viewerWarmup, "viewer-warmup", 5*time.Second, "viewers: settling time after every viewer receives")
	flag.StringVar(&o.matthan, "matthan", "bin/matthan", "matthan binary (sim, init, token, serve)")
	flag.StringVar(&o.chromium, "chromium", "/usr/bin/chromium", "Chromium for the latency part")
	flag.StringVar(&o.clips, "clips", "testdata/clips", "source clips of the simulator")
	flag.StringVar(&o.cache, "cache", "", "simulator's clip cache (default: its own default)")
	flag.StringVar(&o.dir, "dir", os.TempDir(), "where the node's data directory and the browser profile go")
	flag.StringVar(&o.out, "out", "", "path prefix of the report files (default bench/results/live-<time>)")
	flag.DurationVar(&o.simTimeout, "sim-timeout", 10*time.Minute, "how long the simulator may take to start (the first run converts clips)")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 60*time.Second, "how long the node's streams, or N viewers, may take to flow")
	flag.DurationVar(&o.playTimeout, "play-timeout", 30*time.Second, "latency: how long the player may take to play")
	flag.Parse()
	err := o.parse(transports, streams, counts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/live:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/live:", err)
		os.Exit(1)
	}
}

func (o *options) parse(transports, streams, counts string) error {
	var err error
	if o.transports, err = parseList(transports, "webrtc", "mse"); err != nil {
		return fmt.Errorf("-transports: %w", err)
	}
	if o.streams, err = parseList(streams, "sub", "main"); err != nil {
		return fmt.Errorf("-streams: %w", err)
	}
	if o.viewerCounts, err = parseCounts(counts); err != nil {
		return fmt.Errorf("-viewers: %w", err)
	}
	switch {
	case o.mode != modeAll && o.mode != modeLatency && o.mode != modeViewers:
		return fmt.Errorf("-mode must be %s, %s or %s, got %q", modeAll, modeLatency, modeViewers, o.mode)
	case o.cameras < 1 || o.cameras > 999:
		return fmt.Errorf("-cameras must be from 1 to 999, got %d", o.cameras)
	case o.rounds < 1:
		return fmt.Errorf("-rounds must be at least 1, got %d", o.rounds)
	case o.latencyWindow < time.Second || o.viewerWindow < time.Second:
		return errors.New("-latency-window and -viewer-window must be at least 1s")
	case o.latencyWarmup < 0 || o.viewerWarmup < 0:
		return errors.New("warm-ups must not be negative")
	}
	if o.out == "" {
		o.out = filepath.Join("bench", "results", "live-"+time.Now().Format("20060102-150405"))
	}
	return nil
}

func (o options) does(part string) bool { return o.mode == modeAll || o.mode == part }

func (o options) asMap() map[string]any {
	return map[string]any{
		"mode": o.mode, "cameras": o.cameras, "rounds": o.rounds, "transports": o.transports, "streams": o.streams,
		"latency_camera": o.latencyCamera, "latency_window": o.latencyWindow.String(), "latency_warmup": o.latencyWarmup.String(),
		"viewers": o.viewerCounts, "viewer_window": o.viewerWindow.String(), "viewer_warmup": o.viewerWarmup.String(),
	}
}

// bench is one run.
type bench struct {
	o        options
	procs    benchproc.Children
	logs     benchproc.Logs
	simAddr  string
	sim      *benchproc.Child
	node     *benchproc.Child
	base     string // http://127.0.0.1:port of the node
	password string
	token    string
	client   *http.Client
}

func run(ctx context.Context, o options) error {
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	b := &bench{o: o, client: &http.Client{Timeout: 10 * time.Second},
		logs: benchproc.Logs{Prefix: o.out, DropEmpty: true}}
	defer func() {
		b.procs.Stop(stopGrace)
		b.logs.Close()
	}()
	conditions := describeMachine(o)
	fmt.Print(conditions)

	var err error
	b.sim, b.simAddr, err = benchproc.StartSim(ctx, &b.procs, &b.logs, benchproc.SimOptions{
		Matthan: o.matthan, Cameras: o.cameras, Clips: o.clips, Cache: o.cache, Timeout: o.simTimeout})
	if err != nil {
		return err
	}
	data, err := os.MkdirTemp(o.dir, "matthan-bench-live-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	if err := b.prepare(ctx, data); err != nil {
		return err
	}

	rep := &report{}
	if o.does(modeLatency) {
		if err := b.startNode(ctx, data, "serve-latency"); err != nil {
			return err
		}
		if rep.Latency, err = b.runLatency(ctx); err != nil {
			return err
		}
		b.stopNode()
	}
	if o.does(modeViewers) {
		if rep.Idle, rep.Viewers, err = b.runViewers(ctx, data); err != nil {
			return err
		}
	}
	text := conditions + "\n" + rep.text(o)
	fmt.Print("\n" + text)
	if err := os.WriteFile(o.out+".txt", []byte(text), 0o644); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(map[string]any{"options": o.asMap(), "latency": rep.Latency,
		"latency_pooled": rep.pooled(o), "idle": rep.Idle, "viewers": rep.Viewers,
		"viewers_median": rep.viewerMedians(o)}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.out+".json", raw, 0o644); err != nil {
		return err
	}
	fmt.Printf("\nReport: %s.txt, raw figures: %s.json, logs: %s-*.log\n", o.out, o.out, o.out)
	return nil
}

// describeMachine says what ran where, so that numbers are never read
// without their conditions.
func describeMachine(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "live benchmark  %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(&b, "  mode %s, %d cameras (1080p25 H.264 main + 640x360 sub each), rounds %d (medians reported)\n", o.mode, o.cameras, o.rounds)
	if o.does(modeLatency) {
		fmt.Fprintf(&b, "  latency: %s %s over %s, warm-up %s, window %s\n", o.latencyCamera, strings.Join(o.streams, "+"),
			strings.Join(o.transports, "+"), o.latencyWarmup, o.latencyWindow)
	}
	if o.does(modeViewers) {
		fmt.Fprintf(&b, "  viewers: %v WebRTC viewers of %s, warm-up %s, window %s\n", o.viewerCounts, strings.Join(o.streams, "+"),
			o.viewerWarmup, o.viewerWindow)
	}
	fmt.Fprintf(&b, "  machine: %d CPUs, load average %s at start\n", runtime.NumCPU(), benchproc.LoadAverage())
	fmt.Fprintf(&b, "  %s; %s\n", benchproc.FirstLine(o.matthan, "version"), benchproc.FirstLine(o.chromium, "--version"))
	fmt.Fprintf(&b, "  node: %s %s\n", o.matthan, strings.Join(serveArgs("DATA"), " "))
	return b.String()
}

// serveArgs is the node's command, less the addresses. Recording is off:
// live view does not depend on it, and the disk stays out of the figures.
func serveArgs(data string) []string {
	return []string{"serve", "--data", data, "--ingest.transport", "tcp", "--record.enabled=false", "--log-level", "warn"}
}

// prepare makes the node's data directory: the cameras registered (main
// and sub streams), user admin with a known password, and an API token
// with the live scope for the load client.
func (b *bench) prepare(ctx context.Context, data string) error {
	if err := benchproc.RegisterCameras(ctx, data, b.simAddr, b.o.cameras, benchproc.MainAndSub); err != nil {
		return err
	}
	b.password = newPassword()
	env := append(os.Environ(), "MATTHAN_ADMIN_PASSWORD="+b.password) // not on a command line for ps to show
	cmd := exec.CommandContext(ctx, b.o.matthan, "init", "--data", data)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("matthan init: %w: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, b.o.matthan, "token", "create", "--data", data, "--user", adminUser,
		"--name", "bench-live", "--scope", "live").CombinedOutput()
	if err != nil {
		return fmt.Errorf("matthan token create: %w: %s", err, out)
	}
	b.token, err = parseToken(out)
	return err
}

func newPassword() string {
	return fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), os.Getpid())
}

// startNode starts `matthan serve` and waits until every stream flows.
// Its output goes to the log file named logName.
func (b *bench) startNode(ctx context.Context, data, logName string) error {
	log, err := b.logs.Create(logName)
	if err != nil {
		return err
	}
	maxViewers := 200
	if n := slices.Max(b.o.viewerCounts) + 10; n > maxViewers {
		maxViewers = n
	}
	c, httpAddr, err := benchproc.StartServe(&b.procs, b.o.matthan, serveArgs(data), log, "--live.max-viewers", fmt.Sprint(maxViewers))
	if err != nil {
		return err
	}
	b.node, b.base = c, "http://"+httpAddr
	deadline := time.Now().Add(b.o.readyTimeout)
	for {
		if c.Exited() {
			return fmt.Errorf("matthan serve %w: %v (see %s-%s.log)", benchproc.ErrExited, c.Err(), b.o.out, logName)
		}
		m, err := b.metrics(ctx)
		up := 0
		if err == nil {
			for i := range b.o.cameras {
				for _, s := range []string{"main", "sub"} {
					if f := m.Streams[sim.CameraID(i)+"/"+s]; f.Up && f.Frames > 0 {
						up++
					}
				}
			}
			if up == 2*b.o.cameras {
				fmt.Printf("node: %s, %d streams flowing\n", b.base, up)
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node: %d of %d streams flowing after %s (last error: %v)", up, 2*b.o.cameras, b.o.readyTimeout, err)
		}
		if err := benchproc.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

// metrics reads the node's /metrics (open to loopback without a token).
func (b *bench) metrics(ctx context.Context) (nodeMetrics, error) {
	body, err := benchproc.FetchMetrics(ctx, b.client, b.base+"/metrics")
	if err != nil {
		return nodeMetrics{}, err
	}
	return parseMetrics(body)
}

func (b *bench) nodeAlive() error {
	if b.node.Exited() {
		return fmt.Errorf("matthan serve %w: %v (see %s-serve-*.log)", benchproc.ErrExited, b.node.Err(), b.o.out)
	}
	return nil
}

// stopNode stops the node; it must exit cleanly within stopGrace.
func (b *bench) stopNode() {
	if b.node != nil {
		b.procs.Stop(stopGrace, b.node)
	}
}

// runLatency measures every stream over every transport, each round.
func (b *bench) runLatency(ctx context.Context) ([]*latencyResult, error) {
	profile, err := os.MkdirTemp(b.o.dir, "matthan-bench-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	br, err := startBrowser(ctx, b.o.chromium, profile)
	if err != nil {
		return nil, err
	}
	defer br.cancel()
	if err := br.signIn(b.base, adminUser, b.password); err != nil {
		return nil, err
	}
	var out []*latencyResult
	for round := range b.o.rounds {
		for _, transport := range b.o.transports {
			for _, stream := range b.o.streams {
				if err := b.nodeAlive(); err != nil {
					return nil, err
				}
				r, err := br.measureLatency(ctx, b.o, round, b.o.latencyCamera, stream, transport)
				if err != nil {
					return nil, fmt.Errorf("latency, round %d, %s %s over %s: %w", round+1, b.o.latencyCamera, stream, transport, err)
				}
				fmt.Println("  " + r.line())
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (r *latencyResult) line() string {
	s := fmt.Sprintf("latency round %d: %-6s %-4s %5d frames (%.1f/s): median %s ms (of which %s in the browser), p95 %s ms, min %s, max %s, %d shown without a stamp, machine busy %.0f%%",
		r.Round, r.Transport, r.Stream, r.Stats.Samples, float64(r.FPS), fmtMS(r.Stats.Median), fmtMS(r.BrowserMS), fmtMS(r.Stats.P95),
		fmtMS(r.Stats.Min), fmtMS(r.Stats.Max), r.Unmatched, r.Busy)
	if r.Transport == "webrtc" {
		s += fmt.Sprintf("; jitter buffer %.0f ms/frame, decode %.1f ms/frame, %d dropped, %d packets lost", float64(r.JitterMS), float64(r.DecodeMS), r.Dropped, r.Lost)
	} else {
		s += fmt.Sprintf("; %.0f ms behind the newest buffered frame", float64(r.BehindMS))
	}
	if r.Reason != "" {
		s += "; not measured: " + r.Reason
	}
	return s
}

func fmtMS(x num) string {
	if math.IsNaN(float64(x)) {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(x))
}
