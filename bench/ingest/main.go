//go:build linux

// Command ingest compares the CPU and memory that Mắt Thần spends per
// camera stream with one ffmpeg per camera, in the same run against the same
// simulated cameras. Two modes:
//
//	-mode ingest  `matthan serve --record.enabled=false` against
//	              `ffmpeg -rtsp_transport tcp -i URL -c copy -f null -`
//	-mode record  `matthan serve` recording every stream (its defaults)
//	              against `ffmpeg … -c copy -f segment -segment_time 300 …`
//	              writing MP4 segments to the same disk
//
// It starts `matthan sim` once, registers N cameras (main streams only) in a
// fresh data directory, then for each round runs two phases one after the
// other, alternating their order between rounds:
//
//	matthan  one `matthan serve` pulling all N streams over TCP
//	ffmpeg   N ffmpeg processes, one per stream
//
// In record mode every round starts from empty directories; after each
// phase the processes are stopped, so that open files are finished, and the
// files are read back (ours: as fragmented MP4, for the container's overhead
// and the timeline) and then deleted.
//
// Each phase waits until every stream flows, lets it settle for -warmup,
// then measures one -window: CPU from /proc/PID/stat (utime+stime), memory
// as PSS from /proc/PID/smaps_rollup, frames from the node's /metrics or
// ffmpeg's progress line. The report gives medians over the rounds.
//
// Run it through bench/ingest/run.sh, which builds bin/matthan first.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
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

// Goals from issue 2: against one ffmpeg per camera, at least 2× less CPU
// and 5× less memory per stream; 100 streams with no frame lost.
// Goals of issue 3 (record mode): ours at most half of ffmpeg's CPU per
// stream (the same 2× ratio), container overhead under 1%.
const (
	goalCPURatio     = 2.0
	goalMemoryRatio  = 5.0
	goalOverhead     = 0.01
	recordStopGrace  = 2 * time.Minute // finishing N open segments, each fsynced
	goalStreams      = 100
	simFPS           = 25 // the simulator's main streams
	stopGrace        = 5 * time.Second
	frameToleranceAt = 0.01 // a stream may show 1% (at least 3) fewer frames than the window holds: edge jitter
)

type options struct {
	streams      int
	warmup       time.Duration
	window       time.Duration
	repeat       int
	matthan      string
	ffmpeg       string
	clips        string
	cache        string
	out          string
	readyTimeout time.Duration
	simTimeout   time.Duration
	only         string
	mode         string
	baseline     string
	dir          string
	exportCams   int
}

const (
	modeIngest = "ingest"
	modeRecord = "record"

	baselineMP4  = "mp4"
	baselineFMP4 = "fmp4"
)

func main() {
	var o options
	flag.IntVar(&o.streams, "streams", 100, "simulated cameras (1080p25 H.264 main streams) to pull")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "settling time after every stream flows, before measuring")
	flag.DurationVar(&o.window, "window", 20*time.Second, "length of each measured window")
	flag.IntVar(&o.repeat, "repeat", 3, "rounds (each measures both phases once; the report gives medians)")
	flag.StringVar(&o.matthan, "matthan", "bin/matthan", "matthan binary (for sim and serve)")
	flag.StringVar(&o.ffmpeg, "ffmpeg", "ffmpeg", "ffmpeg binary of the baseline")
	flag.StringVar(&o.clips, "clips", "testdata/clips", "source clips of the simulator")
	flag.StringVar(&o.cache, "cache", "", "simulator's clip cache (default: its own default)")
	flag.StringVar(&o.out, "out", "", "path prefix of the report files (default bench/results/ingest-N<streams>-<time>)")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 90*time.Second, "how long a phase may take until every stream flows")
	flag.DurationVar(&o.simTimeout, "sim-timeout", 10*time.Minute, "how long the simulator may take to start (the first run converts clips)")
	flag.StringVar(&o.only, "only", "", "run only one phase: matthan or ffmpeg (no ratios then)")
	flag.StringVar(&o.mode, "mode", modeIngest, "ingest: nothing written (ffmpeg to null, the node with recording off); record: both write segments to disk")
	flag.StringVar(&o.baseline, "baseline", baselineMP4, "record mode: ffmpeg writes plain MP4 segments (mp4) or fragmented MP4 with 1 s fragments like ours (fmp4)")
	flag.StringVar(&o.dir, "dir", os.TempDir(), "where data directories and ffmpeg's segments go (one disk for both sides)")
	flag.IntVar(&o.exportCams, "export-cameras", 1, "record mode: cameras exported after the last round to time `matthan export` (0: none)")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ingest:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/ingest:", err)
		os.Exit(1)
	}
}

func (o *options) validate() error {
	switch {
	case o.streams < 1 || o.streams > 999: // camera IDs are cam-001…cam-999
		return fmt.Errorf("-streams must be from 1 to 999, got %d", o.streams)
	case o.window < time.Second:
		return fmt.Errorf("-window must be at least 1s, got %s", o.window)
	case o.warmup < 0:
		return fmt.Errorf("-warmup must not be negative")
	case o.repeat < 1:
		return fmt.Errorf("-repeat must be at least 1, got %d", o.repeat)
	case o.only != "" && o.only != whoMatthan && o.only != whoFFmpeg:
		return fmt.Errorf("-only must be %s or %s, got %q", whoMatthan, whoFFmpeg, o.only)
	case o.mode != modeIngest && o.mode != modeRecord:
		return fmt.Errorf("-mode must be %s or %s, got %q", modeIngest, modeRecord, o.mode)
	case o.baseline != baselineMP4 && o.baseline != baselineFMP4:
		return fmt.Errorf("-baseline must be %s or %s, got %q", baselineMP4, baselineFMP4, o.baseline)
	case o.exportCams < 0 || o.exportCams > o.streams:
		return fmt.Errorf("-export-cameras must be from 0 to -streams, got %d", o.exportCams)
	}
	if o.out == "" {
		o.out = filepath.Join("bench", "results",
			fmt.Sprintf("%s-N%d-%s", o.mode, o.streams, time.Now().Format("20060102-150405")))
	}
	return nil
}

const (
	whoMatthan = "matthan"
	whoFFmpeg  = "ffmpeg"
)

// bench is one run of the benchmark.
type bench struct {
	o       options
	procs   benchproc.Children
	logs    benchproc.Logs
	sim     *benchproc.Child
	simAddr string
	data    string // ingest mode: the node's data directory, cameras registered
	// exportOK: `matthan export` exists, so record mode times it.
	exportOK bool
}

func run(ctx context.Context, o options) (err error) {
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	b := &bench{o: o, logs: benchproc.Logs{Prefix: o.out}}
	defer func() {
		b.procs.Stop(stopGrace)
		b.logs.Close()
	}()

	conditions := describeMachine(o)
	fmt.Print(conditions)

	b.sim, b.simAddr, err = benchproc.StartSim(ctx, &b.procs, &b.logs, benchproc.SimOptions{
		Matthan: o.matthan, Cameras: o.streams, Clips: o.clips, Cache: o.cache, Timeout: o.simTimeout})
	if err != nil {
		return err
	}
	if o.mode == modeIngest {
		if b.data, err = b.newData(ctx); err != nil {
			return err
		}
		defer os.RemoveAll(b.data)
	} else if o.exportCams > 0 {
		b.exportOK = exportSupported(o.matthan)
		if !b.exportOK {
			fmt.Printf("%s has no export command: export speed not measured\n", o.matthan)
		}
	}

	var results []*phaseResult
	for round := range o.repeat {
		order := []string{whoMatthan, whoFFmpeg}
		if round%2 == 1 {
			order = []string{whoFFmpeg, whoMatthan}
		}
		for _, who := range order {
			if o.only != "" && who != o.only {
				continue
			}
			fmt.Printf("round %d/%d: %s, %d streams: starting\n", round+1, o.repeat, who, o.streams)
			res, err := b.measure(ctx, who, round)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round+1, who, err)
			}
			fmt.Println("  " + res.line())
			results = append(results, res)
		}
	}

	report := conditions + "\n" + summarize(o, results)
	fmt.Print("\n" + report)
	if err := os.WriteFile(o.out+".txt", []byte(report), 0o644); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(map[string]any{"options": o.asMap(), "results": results}, "", "  ")
	if err := os.WriteFile(o.out+".json", raw, 0o644); err != nil {
		return err
	}
	fmt.Printf("\nReport: %s.txt, raw figures: %s.json, logs: %s-*.log\n", o.out, o.out, o.out)
	return nil
}

func (o options) asMap() map[string]any {
	return map[string]any{
		"streams": o.streams, "warmup": o.warmup.String(), "window": o.window.String(),
		"repeat": o.repeat, "only": o.only, "mode": o.mode, "baseline": o.baseline, "dir": o.dir,
		"export_cameras": o.exportCams,
	}
}

// describeMachine says what ran where, so that numbers are never read
// without their conditions.
func describeMachine(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s benchmark  %s\n", o.mode, time.Now().Format(time.RFC3339))
	fmt.Fprintf(&b, "  streams %d, warm-up %s, window %s, rounds %d (medians reported)\n", o.streams, o.warmup, o.window, o.repeat)
	fmt.Fprintf(&b, "  machine: %d CPUs, load average %s at start\n", runtime.NumCPU(), benchproc.LoadAverage())
	fmt.Fprintf(&b, "  %s\n", benchproc.FirstLine(o.matthan, "version"))
	fmt.Fprintf(&b, "  %s\n", benchproc.FirstLine(o.ffmpeg, "-hide_banner", "-version"))
	fmt.Fprintf(&b, "  baseline per stream: %s %s\n", o.ffmpeg, strings.Join(o.ffmpegArgs("URL", "DIR/cam-NNN"), " "))
	fmt.Fprintf(&b, "  ours: %s %s\n", o.matthan, strings.Join(o.serveArgs("DATA"), " "))
	if o.mode == modeRecord {
		fmt.Fprintf(&b, "  files in %s (%s)\n", o.dir, diskOf(o.dir))
	}
	return b.String()
}

// newData makes a fresh data directory with the cameras registered, main
// streams only (no sub URL), so the node pulls exactly one stream per camera.
func (b *bench) newData(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp(b.o.dir, "matthan-bench-")
	if err != nil {
		return "", err
	}
	if err := benchproc.RegisterCameras(ctx, dir, b.simAddr, b.o.streams, benchproc.MainOnly); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// diskOf says which file system holds dir, as df does.
func diskOf(dir string) string {
	out, err := exec.Command("df", "-h", "--output=source,size,avail", dir).Output()
	if err != nil {
		return "df: " + err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) < 3 {
		return string(out)
	}
	return fmt.Sprintf("%s, %s, %s free", f[0], f[1], f[2])
}

// ffmpegArgs is the baseline command for one stream; in record mode it
// writes prefix-000.mp4, prefix-001.mp4, … -nostdin only stops ffmpeg
// polling the terminal for keys: if anything it makes ffmpeg cheaper.
func (o *options) ffmpegArgs(url, prefix string) []string {
	args := []string{"-nostdin", "-rtsp_transport", "tcp", "-i", url, "-c", "copy"}
	if o.mode == modeIngest {
		return append(args, "-f", "null", "-")
	}
	// Like our recorder: 5-minute files, each cut at a keyframe (the
	// segment muxer's default) and starting at time 0.
	args = append(args, "-f", "segment", "-segment_time", "300", "-reset_timestamps", "1", "-segment_format", "mp4")
	if o.baseline == baselineFMP4 {
		// Crash-safe like ours: fragments of at most 1 s, no index at the end.
		args = append(args, "-segment_format_options", "movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000")
	}
	return append(args, prefix+"-%03d.mp4")
}

// serveArgs is our side, less the addresses.
func (o *options) serveArgs(data string) []string {
	args := []string{"serve", "--data", data, "--ingest.transport", "tcp", "--log-level", "warn"}
	if o.mode == modeIngest {
		args = append(args, "--record.enabled=false") // nothing written, like ffmpeg to null
	}
	return args
}

// phase is what one side of the comparison runs.
type phase interface {
	// pids are the processes whose CPU and memory are measured.
	pids() []int
	// counts reads every stream's figures now.
	counts(ctx context.Context) (map[string]streamCount, error)
	// alive fails if a process of the phase has died.
	alive() error
}

// streamCount is one stream's figures at a moment.
type streamCount struct {
	Up         bool
	Frames     uint64
	At         time.Time // when Frames was read
	Bytes      uint64    // 0 when unknown
	Lost       uint64
	Reconnects uint64
	Skips      uint64 // ours: a consumer (the recorder) fell behind and was moved ahead
}

// nodePhase is one `matthan serve` pulling every stream.
type nodePhase struct {
	node    *benchproc.Child
	metrics string
	client  *http.Client
}

func (b *bench) startNode(round int, data string) (*nodePhase, error) {
	log, err := b.logs.Create(fmt.Sprintf("serve-r%d", round+1))
	if err != nil {
		return nil, err
	}
	c, httpAddr, err := benchproc.StartServe(&b.procs, b.o.matthan, b.o.serveArgs(data), log)
	if err != nil {
		return nil, err
	}
	return &nodePhase{node: c, metrics: "http://" + httpAddr + "/metrics",
		client: &http.Client{Timeout: 10 * time.Second}}, nil
}

func (p *nodePhase) pids() []int { return []int{p.node.PID()} }

func (p *nodePhase) alive() error {
	if p.node.Exited() {
		return fmt.Errorf("matthan serve %w: %v", benchproc.ErrExited, p.node.Err())
	}
	return nil
}

func (p *nodePhase) counts(ctx context.Context) (map[string]streamCount, error) {
	body, err := benchproc.FetchMetrics(ctx, p.client, p.metrics)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	figs, err := parseNodeMetrics(body)
	if err != nil {
		return nil, err
	}
	out := make(map[string]streamCount, len(figs))
	for k, f := range figs {
		out[k] = streamCount{Up: f.Up, Frames: f.Frames, At: now, Bytes: f.Bytes, Lost: f.Lost, Reconnects: f.Reconnects, Skips: f.Skips}
	}
	return out, nil
}

// ffmpegPhase is one ffmpeg per stream.
type ffmpegPhase struct {
	procs    []*benchproc.Child
	watchers []*ffmpegWatcher
}

func (b *bench) startFFmpeg(ctx context.Context, dir string) (*ffmpegPhase, error) {
	p := &ffmpegPhase{}
	for i := range b.o.streams {
		w := newFFmpegWatcher()
		url := "rtsp://" + b.simAddr + "/" + sim.CameraID(i) + "/main"
		c, err := b.procs.Start(b.o.ffmpeg, b.o.ffmpegArgs(url, filepath.Join(dir, sim.CameraID(i))), nil, w)
		if err != nil {
			return p, err
		}
		p.procs = append(p.procs, c)
		p.watchers = append(p.watchers, w)
		// A short stagger keeps N simultaneous RTSP handshakes from being
		// the thing measured; the warm-up covers it anyway.
		if err := benchproc.Sleep(ctx, 10*time.Millisecond); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (p *ffmpegPhase) pids() []int {
	out := make([]int, len(p.procs))
	for i, c := range p.procs {
		out[i] = c.PID()
	}
	return out
}

func (p *ffmpegPhase) alive() error {
	for i, c := range p.procs {
		if c.Exited() {
			return fmt.Errorf("ffmpeg of %s %w: %v: %s", sim.CameraID(i), benchproc.ErrExited, c.Err(), p.watchers[i].lastLines())
		}
	}
	return nil
}

func (p *ffmpegPhase) counts(context.Context) (map[string]streamCount, error) {
	out := make(map[string]streamCount, len(p.watchers))
	for i, w := range p.watchers {
		frames, at := w.progress()
		out[sim.CameraID(i)+"/main"] = streamCount{Up: frames > 0 && !p.procs[i].Exited(),
			Frames: frames, At: at, Lost: w.missedPackets()}
	}
	return out, nil
}

// phaseResult is one measured window of one phase.
type phaseResult struct {
	Who     string  `json:"who"`
	Round   int     `json:"round"`
	Streams int     `json:"streams"`
	Window  float64 `json:"window_s"` // measured length

	CPUTicks         uint64    `json:"cpu_ticks"`            // utime+stime over the window, all processes
	SysTicks         uint64    `json:"sys_ticks"`            // of which stime: in the kernel (syscalls, writes, fsync)
	CPUPercentStream float64   `json:"cpu_percent_stream"`   // % of one core per stream
	PSSKiB           uint64    `json:"pss_kib"`              // median of samples, all processes
	RSSKiB           uint64    `json:"rss_kib"`              // median of samples, all processes (shared pages counted each time)
	PSSMiBStream     float64   `json:"pss_mib_stream"`       // PSS per stream
	SimCPUPercent    float64   `json:"sim_cpu_percent"`      // the simulator, % of one core
	MachineBusy      float64   `json:"machine_busy_percent"` // all cores, everything on the machine
	Load             string    `json:"load_average"`         // 1-minute, at the window's end
	Lost             uint64    `json:"lost_packets"`         // RTP packets lost over the window
	Reconnects       uint64    `json:"reconnects"`           // ours only
	Skips            uint64    `json:"skips"`                // ours only: recorder moved ahead to a keyframe
	Streaming        int       `json:"streaming"`            // streams up at the window's end
	Frames           []float64 `json:"frames"`               // per stream, scaled to the window
	MbitStream       float64   `json:"mbit_stream"`          // median bitrate (ours only)

	// Record mode, read after the phase stopped.
	Disk          *diskFigures  `json:"disk,omitempty"`
	ReceivedBytes uint64        `json:"received_bytes,omitempty"` // ours: /metrics just before stopping, all streams
	StopS         float64       `json:"stop_s,omitempty"`         // how long stopping took (ours: finishing segments)
	StopErr       string        `json:"stop_error,omitempty"`     // ours: the node did not exit cleanly
	RecordShort   []string      `json:"record_short,omitempty"`   // ours: streams with frames received but not in the files
	Export        *exportResult `json:"export,omitempty"`
}

func (b *bench) measure(ctx context.Context, who string, round int) (*phaseResult, error) {
	var p phase
	var started []*benchproc.Child
	dir := b.data // where the phase writes: the node's data or ffmpeg's segments
	if b.o.mode == modeRecord {
		var err error
		if who == whoMatthan {
			dir, err = b.newData(ctx)
		} else {
			dir, err = os.MkdirTemp(b.o.dir, "ffmpeg-bench-")
		}
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir) // gigabytes at 100 streams: never kept
	}
	switch who {
	case whoMatthan:
		np, err := b.startNode(round, dir)
		if np != nil {
			p, started = np, []*benchproc.Child{np.node}
		}
		if err != nil {
			return nil, err
		}
	case whoFFmpeg:
		fp, err := b.startFFmpeg(ctx, dir)
		if fp != nil {
			p, started = fp, fp.procs
		}
		if err != nil {
			b.procs.Stop(stopGrace, started...)
			return nil, err
		}
	}
	defer b.procs.Stop(stopGrace, started...)

	if err := b.waitFlowing(ctx, p); err != nil {
		return nil, err
	}
	if err := benchproc.Sleep(ctx, b.o.warmup); err != nil {
		return nil, err
	}
	if err := p.alive(); err != nil {
		return nil, err
	}

	// The window: CPU and counters at both ends, memory sampled inside.
	c0, err := p.counts(ctx)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	cpu0, sys0, err := sumTicks(p.pids())
	if err != nil {
		return nil, err
	}
	sim0, _ := benchproc.CPUTicks(b.sim.PID())
	m0, _ := benchproc.ReadMachineCPU()

	const samples = 5
	var pss, rss []float64
	for i := range samples {
		if err := benchproc.Sleep(ctx, time.Until(t0.Add(b.o.window*time.Duration(i+1)/samples))); err != nil {
			return nil, err
		}
		if i == samples-1 {
			break // the last sample is taken after the end counters
		}
		m, err := sumMemory(p.pids())
		if err != nil {
			return nil, err
		}
		pss, rss = append(pss, float64(m.PSS)), append(rss, float64(m.RSS))
	}
	cpu1, sys1, err := sumTicks(p.pids())
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	sim1, _ := benchproc.CPUTicks(b.sim.PID())
	m1, _ := benchproc.ReadMachineCPU()
	c1, err := p.counts(ctx)
	if err != nil {
		return nil, err
	}
	if m, err := sumMemory(p.pids()); err == nil {
		pss, rss = append(pss, float64(m.PSS)), append(rss, float64(m.RSS))
	}
	if err := p.alive(); err != nil {
		return nil, err
	}

	window := t1.Sub(t0).Seconds()
	n := b.o.streams
	res := &phaseResult{
		Who: who, Round: round + 1, Streams: n, Window: window,
		CPUTicks:      cpu1 - cpu0,
		SysTicks:      sys1 - sys0,
		PSSKiB:        uint64(median(pss)),
		RSSKiB:        uint64(median(rss)),
		SimCPUPercent: 100 * float64(sim1-sim0) / benchproc.ClockTicks / window,
		MachineBusy:   benchproc.BusyPercent(m0, m1),
		Load:          benchproc.LoadAverage(),
	}
	res.CPUPercentStream = 100 * float64(res.CPUTicks) / benchproc.ClockTicks / window / float64(n)
	res.PSSMiBStream = float64(res.PSSKiB) / 1024 / float64(n)
	var mbit []float64
	for i := range n {
		key := sim.CameraID(i) + "/main"
		a, z := c0[key], c1[key]
		if z.Up {
			res.Streaming++
		}
		res.Lost += z.Lost - a.Lost
		res.Reconnects += z.Reconnects - a.Reconnects
		res.Skips += z.Skips - a.Skips
		// Frames over the time between the two readings, scaled to the
		// window (ffmpeg's progress line comes only every half second).
		var frames float64
		if span := z.At.Sub(a.At).Seconds(); span > 0 && z.Frames >= a.Frames {
			frames = float64(z.Frames-a.Frames) / span * window
			if z.Bytes > 0 {
				mbit = append(mbit, float64(z.Bytes-a.Bytes)*8/span/1e6)
			}
		}
		res.Frames = append(res.Frames, frames)
	}
	if len(mbit) > 0 {
		res.MbitStream = median(mbit)
	}
	if b.o.mode == modeRecord {
		if err := b.collect(ctx, res, p, started, dir); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// collect stops a record-mode phase and reads what it wrote.
func (b *bench) collect(ctx context.Context, res *phaseResult, p phase, started []*benchproc.Child, dir string) error {
	var last map[string]streamCount
	if res.Who == whoMatthan {
		// Bytes received, read as close to the stop as possible.
		var err error
		if last, err = p.counts(ctx); err != nil {
			return err
		}
		for _, c := range last {
			res.ReceivedBytes += c.Bytes
		}
	}
	t0 := time.Now()
	b.procs.Stop(recordStopGrace, started...)
	res.StopS = time.Since(t0).Seconds()
	if res.Who == whoFFmpeg {
		d, err := sumFiles(dir)
		res.Disk = &d
		return err
	}
	if np := p.(*nodePhase); np.node.Err() != nil {
		res.StopErr = np.node.Err().Error()
	}
	d, err := scanRecordings(filepath.Join(dir, "recordings"))
	if err != nil {
		return err
	}
	res.Disk = &d
	for i := range b.o.streams {
		id := sim.CameraID(i)
		received := last[id+"/main"].Frames
		if recorded := d.Frames[id]; recorded+recordSlack < int64(received) || d.Holes[id] > 0 {
			res.RecordShort = append(res.RecordShort, fmt.Sprintf("%s: %d of %d frames recorded, %d holes", id, recorded, received, d.Holes[id]))
		}
	}
	if b.exportOK && res.Round == b.o.repeat {
		if res.Export, err = b.timeExport(ctx, dir); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// waitFlowing waits until every stream of the phase has delivered frames.
func (b *bench) waitFlowing(ctx context.Context, p phase) error {
	deadline := time.Now().Add(b.o.readyTimeout)
	flowing := 0
	for {
		if err := p.alive(); err != nil {
			return err
		}
		counts, err := p.counts(ctx)
		if err == nil {
			flowing = 0
			for i := range b.o.streams {
				if c := counts[sim.CameraID(i)+"/main"]; c.Up && c.Frames > 0 {
					flowing++
				}
			}
			if flowing == b.o.streams {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d streams flowing after %s (last error: %v)", flowing, b.o.streams, b.o.readyTimeout, err)
		}
		if err := benchproc.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

// sumTicks returns the CPU time of processes, all and in the kernel (stime).
func sumTicks(pids []int) (all, sys uint64, err error) {
	for _, pid := range pids {
		u, s, err := benchproc.CPUTimes(pid)
		if err != nil {
			return 0, 0, fmt.Errorf("CPU of process %d: %w", pid, err)
		}
		all += u + s
		sys += s
	}
	return all, sys, nil
}

func sumMemory(pids []int) (benchproc.Memory, error) {
	var sum benchproc.Memory
	for _, pid := range pids {
		m, err := benchproc.ProcessMemory(pid)
		if err != nil {
			return sum, fmt.Errorf("memory of process %d: %w", pid, err)
		}
		sum.PSS += m.PSS
		sum.RSS += m.RSS
	}
	return sum, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// framesShort reports whether a stream got fewer frames than the window
// holds, beyond the jitter of reading counters at the window's edges.
func framesShort(frames, expected float64) bool {
	return frames < expected-max(3, frameToleranceAt*expected)
}

// line is one phase's figures, printed as it is measured.
func (r *phaseResult) line() string {
	lo, med, hi := spread(r.Frames)
	s := fmt.Sprintf("cpu %.3f%%/stream (%.0f%% in the kernel), PSS %.2f MiB/stream (RSS total %.0f MiB), lost %d, frames/stream %.0f/%.0f/%.0f of %.0f, streaming %d/%d, sim %.0f%%, machine busy %.0f%%, load %s",
		r.CPUPercentStream, r.sysShare(), r.PSSMiBStream, float64(r.RSSKiB)/1024, r.Lost, lo, med, hi, r.Window*simFPS,
		r.Streaming, r.Streams, r.SimCPUPercent, r.MachineBusy, r.Load)
	if r.Who == whoMatthan {
		s += fmt.Sprintf(", reconnects %d, skips %d, %.2f Mbit/s/stream", r.Reconnects, r.Skips, r.MbitStream)
	}
	if r.Disk != nil {
		s += "\n  " + r.diskLine()
	}
	if r.Export != nil {
		s += "\n  " + r.Export.line()
	}
	return s
}

// sysShare is the share of the CPU time spent in the kernel, in percent.
func (r *phaseResult) sysShare() float64 {
	if r.CPUTicks == 0 {
		return 0
	}
	return 100 * float64(r.SysTicks) / float64(r.CPUTicks)
}

// diskLine says what a record-mode phase left on disk.
func (r *phaseResult) diskLine() string {
	d := r.Disk
	s := fmt.Sprintf("stopped in %.1f s; on disk %d files, %.1f MB", r.StopS, d.Files, float64(d.Bytes)/1e6)
	if r.Who == whoMatthan {
		s += fmt.Sprintf(" holding %.1f MB of samples: container overhead %.3f%%; received %.1f MB (disk/received %+.3f%%); %d damaged, %d quarantined, %d streams short",
			float64(d.SampleBytes)/1e6, 100*d.overhead(), float64(r.ReceivedBytes)/1e6, 100*r.diskVsReceived(), d.BadFiles, d.Quarantined, len(r.RecordShort))
	}
	if r.StopErr != "" {
		s += "; the node did not exit cleanly: " + r.StopErr
	}
	return s
}

// diskVsReceived compares bytes on disk with payload bytes received. It
// understates the container's share: frames before the first keyframe are
// received but cannot start a file.
func (r *phaseResult) diskVsReceived() float64 {
	if r.Disk == nil || r.ReceivedBytes == 0 {
		return 0
	}
	return float64(r.Disk.Bytes)/float64(r.ReceivedBytes) - 1
}

func spread(xs []float64) (lo, med, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	return slices.Min(xs), median(xs), slices.Max(xs)
}

// summarize prints the per-round figures, their medians, and the goals.
func summarize(o options, results []*phaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s  %-5s  %-7s  %11s  %4s  %14s  %10s  %4s  %-26s  %6s  %6s\n",
		"streams", "round", "who", "cpu%/stream", "sys%", "PSS MiB/stream", "RSS MiB", "lost", "frames/stream(min/med/max)", "sim%", "busy%")
	row := func(round, who string, cpu, sys, pss, rss float64, lost uint64, frames []float64, simCPU, busy float64) {
		lo, med, hi := spread(frames)
		fmt.Fprintf(&b, "%-7d  %-5s  %-7s  %11.3f  %4.0f  %14.2f  %10.0f  %4d  %-26s  %6.0f  %6.0f\n",
			o.streams, round, who, cpu, sys, pss, rss, lost, fmt.Sprintf("%.0f/%.0f/%.0f", lo, med, hi), simCPU, busy)
	}
	by := map[string][]*phaseResult{}
	for _, r := range results {
		by[r.Who] = append(by[r.Who], r)
		row(fmt.Sprint(r.Round), r.Who, r.CPUPercentStream, r.sysShare(), r.PSSMiBStream, float64(r.RSSKiB)/1024, r.Lost, r.Frames, r.SimCPUPercent, r.MachineBusy)
	}
	med := map[string]*phaseResult{}
	for _, who := range []string{whoMatthan, whoFFmpeg} {
		rs := by[who]
		if len(rs) == 0 {
			continue
		}
		pick := func(f func(*phaseResult) float64) float64 {
			xs := make([]float64, len(rs))
			for i, r := range rs {
				xs[i] = f(r)
			}
			return median(xs)
		}
		var lost uint64
		var frames []float64
		for _, r := range rs {
			lost += r.Lost
			frames = append(frames, r.Frames...)
		}
		m := &phaseResult{
			Who:              who,
			CPUPercentStream: pick(func(r *phaseResult) float64 { return r.CPUPercentStream }),
			PSSMiBStream:     pick(func(r *phaseResult) float64 { return r.PSSMiBStream }),
			RSSKiB:           uint64(pick(func(r *phaseResult) float64 { return float64(r.RSSKiB) })),
			SimCPUPercent:    pick(func(r *phaseResult) float64 { return r.SimCPUPercent }),
			MachineBusy:      pick(func(r *phaseResult) float64 { return r.MachineBusy }),
			Lost:             lost,
			Frames:           frames,
		}
		med[who] = m
		row("med", who, m.CPUPercentStream, pick(func(r *phaseResult) float64 { return r.sysShare() }), m.PSSMiBStream, float64(m.RSSKiB)/1024, m.Lost, m.Frames, m.SimCPUPercent, m.MachineBusy)
	}
	b.WriteString("(cpu% is of one core; sys% = its share spent in the kernel; PSS median of 5 samples per window; lost = RTP packets lost, all rounds;\n" +
		" frames per stream over a window, all rounds; sim% = the simulator, busy% = the whole machine)\n\n")
	for _, r := range results {
		if r.Disk != nil {
			fmt.Fprintf(&b, "round %d %-7s %s\n", r.Round, r.Who, r.diskLine())
		}
	}
	if o.mode == modeRecord {
		b.WriteString("\n")
	}

	ours, theirs := by[whoMatthan], by[whoFFmpeg]
	if len(ours) > 0 && len(theirs) > 0 {
		// Ratios within each round (same conditions), then their median.
		var cpuR, memR []float64
		for i := range min(len(ours), len(theirs)) {
			if ours[i].CPUPercentStream > 0 {
				cpuR = append(cpuR, theirs[i].CPUPercentStream/ours[i].CPUPercentStream)
			}
			if ours[i].PSSMiBStream > 0 {
				memR = append(memR, theirs[i].PSSMiBStream/ours[i].PSSMiBStream)
			}
		}
		cpu, mem := median(cpuR), median(memR)
		fmt.Fprintf(&b, "ffmpeg/ours CPU = %.1f×, memory = %.1f×  (medians of per-round ratios; CPU %s, memory %s)\n",
			cpu, mem, fmtRatios(cpuR), fmtRatios(memR))
		if o.mode == modeIngest {
			fmt.Fprintf(&b, "  goal CPU    ≥ %.0f×: %s\n", goalCPURatio, passFail(cpu >= goalCPURatio))
			fmt.Fprintf(&b, "  goal memory ≥ %.0f×: %s\n", goalMemoryRatio, passFail(mem >= goalMemoryRatio))
		} else {
			fmt.Fprintf(&b, "  goal ours CPU ≤ %.1f × ffmpeg (ours = %.2f × ffmpeg): %s\n", 1/goalCPURatio, 1/cpu, passFail(cpu >= goalCPURatio))
			fmt.Fprintf(&b, "  memory: no goal in record mode (ours = %.2f × ffmpeg)\n", 1/mem)
		}
	}
	if o.mode == modeRecord && len(ours) > 0 {
		var over, raw []float64
		for _, r := range ours {
			if r.Disk != nil {
				over, raw = append(over, r.Disk.overhead()), append(raw, r.diskVsReceived())
			}
		}
		fmt.Fprintf(&b, "  goal container overhead < %.0f%% (bytes on disk beyond the samples in them; median %.3f%%, rounds %s): %s\n",
			100*goalOverhead, 100*median(over), fmtPercents(over), passFail(len(over) > 0 && median(over) < goalOverhead))
		fmt.Fprintf(&b, "    bytes on disk / payload bytes received − 1: %s (frames before each stream's first keyframe are received, not recorded)\n", fmtPercents(raw))
	}
	for _, r := range ours {
		if r.Export != nil {
			fmt.Fprintf(&b, "  %s\n    (%s)\n", r.Export.line(), r.Export.Command)
		}
	}
	if len(ours) > 0 {
		ok, why := noLoss(ours)
		verdict := passFail(ok)
		if o.streams < goalStreams {
			verdict = fmt.Sprintf("n/a (ran %d streams; zero loss at %d: %s)", o.streams, o.streams, passFail(ok))
		}
		fmt.Fprintf(&b, "  goal %d streams, zero lost frames: %s%s\n", goalStreams, verdict, why)
	}
	return b.String()
}

// noLoss checks every window of ours: no RTP packet lost, no reconnect,
// every stream up, and every stream's frame count what 25 fps gives.
func noLoss(rs []*phaseResult) (bool, string) {
	var problems []string
	for _, r := range rs {
		expected := r.Window * simFPS
		short := 0
		for _, f := range r.Frames {
			if framesShort(f, expected) {
				short++
			}
		}
		if r.Lost > 0 || r.Reconnects > 0 || r.Skips > 0 || r.Streaming < r.Streams || short > 0 {
			problems = append(problems, fmt.Sprintf("round %d: %d packets lost, %d reconnects, %d skips, %d/%d streaming, %d streams short of %.0f frames",
				r.Round, r.Lost, r.Reconnects, r.Skips, r.Streaming, r.Streams, short, expected))
		}
		if d := r.Disk; d != nil && (len(r.RecordShort) > 0 || d.BadFiles > 0 || d.Quarantined > 0 || r.StopErr != "") {
			problems = append(problems, fmt.Sprintf("round %d recordings: %d damaged files, %d quarantined, stop error %q, %d streams short: %s",
				r.Round, d.BadFiles, d.Quarantined, r.StopErr, len(r.RecordShort), strings.Join(r.RecordShort[:min(3, len(r.RecordShort))], "; ")))
		}
	}
	if len(problems) > 0 {
		return false, " — " + strings.Join(problems, "; ")
	}
	return true, ""
}

func fmtPercents(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%+.3f%%", 100*x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func fmtRatios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.1f", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
