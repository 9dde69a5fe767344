//go:build linux

// Command analytics measures what street analytics costs, in two parts:
//
//	inproc  the shipped clips, decoded once to 640×360 BGR at 5 fps and held
//	        in memory, through pipeline.Camera.Step with the real YOLOX
//	        detector, one camera per goroutine: analysed frames per CPU
//	        second (the process's own rusage), split by stage from each
//	        camera thread's CPU clock, with motion gating (the product)
//	        against the detector on every frame (the baseline), in the
//	        same run, alternating their order between rounds.
//	node    `matthan sim --cameras N` and `matthan serve --analytics.enabled
//	        --analytics.fps 5` with recording on, for each N: the node's CPU,
//	        its ffmpeg decoders' CPU (/proc), frames out of the decoders,
//	        and whether recording stayed whole (frames in the segment files
//	        against frames received).
//
// Run it through bench/analytics/run.sh, which builds bin/matthan first.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"matthan/bench/internal/benchproc"
)

type options struct {
	part         string
	matthan      string
	ffmpeg       string
	clips        string
	cache        string
	dir          string
	out          string
	seconds      float64
	cameras      int
	detectors    int
	repeat       int
	nodes        []int
	fps          float64
	warmup       time.Duration
	window       time.Duration
	readyTimeout time.Duration
	simTimeout   time.Duration
	modes        []string // inproc modes run, in this order in odd rounds
	pairFrames   string   // node: --analytics.pair-frames
	mainDecoders int      // node: --analytics.main-decoders
	cpuProfile   string   // inproc: a CPU profile of the whole in-process part
	street       string   // node: what the simulated cameras show (streetBusy, streetQuiet)
}

type bench struct {
	o       options
	procs   benchproc.Children
	logs    *benchproc.Logs
	sim     *benchproc.Child
	simAddr string
}

// report is the run's JSON.
type report struct {
	Started    time.Time      `json:"started"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	CPUs       int            `json:"cpus"`
	Clips      []string       `json:"clips,omitempty"`
	Inproc     []inprocResult `json:"inproc,omitempty"`
	Node       []nodeResult   `json:"node,omitempty"`
}

func main() {
	var o options
	var nodes, modes string
	flag.StringVar(&o.part, "part", "both", "inproc, node or both")
	flag.StringVar(&o.matthan, "matthan", "bin/matthan", "the matthan binary (node part)")
	flag.StringVar(&o.ffmpeg, "ffmpeg", "ffmpeg", "ffmpeg binary")
	flag.StringVar(&o.clips, "clips", "testdata/clips", "clips: analysed in-process, and the simulator's sources")
	flag.StringVar(&o.cache, "cache", "", "simulator's clip cache (default: its own default)")
	flag.StringVar(&o.dir, "dir", os.TempDir(), "where the node's data directories go")
	flag.StringVar(&o.out, "out", "", "report prefix (default bench/results/analytics-<time>)")
	flag.Float64Var(&o.seconds, "seconds", 0, "inproc: seconds of each clip analysed (0: all)")
	flag.IntVar(&o.cameras, "cameras", 0, "inproc: cameras, one goroutine each, clip i%clips (default: one per clip)")
	flag.IntVar(&o.detectors, "detectors", 1, "inproc: YOLOX sessions shared by the cameras (the node has one per core)")
	flag.IntVar(&o.repeat, "repeat", 3, "inproc: rounds of each mode; medians reported")
	flag.StringVar(&modes, "modes", strings.Join(allModes, ","), "inproc: modes run, comma-separated")
	flag.StringVar(&o.pairFrames, "pair-frames", "off", "node: its --analytics.pair-frames (off, always, busy: whole frames two to a model run)")
	flag.IntVar(&o.mainDecoders, "main-decoders", 0, "node: its --analytics.main-decoders (main-stream decoders at once for riders' heads; 0: one per core)")
	flag.StringVar(&nodes, "nodes", "4,8,16", "node: camera counts, one node run each")
	flag.Float64Var(&o.fps, "fps", 5, "node: --analytics.fps")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "node: settling time after every stream and decoder runs")
	flag.DurationVar(&o.window, "window", 20*time.Second, "node: measured window")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 90*time.Second, "node: how long streams and decoders may take to start")
	flag.DurationVar(&o.simTimeout, "sim-timeout", 10*time.Minute, "how long the simulator may take to start (the first run converts clips)")
	flag.StringVar(&o.street, "street", streetBusy, "node: what the cameras show: busy (the shipped clips) or quiet (each clip's first picture held, with sensor noise)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "inproc: write a CPU profile of the in-process part to this file")
	flag.Parse()
	var err error
	if o.nodes, err = parseCounts(nodes); err != nil {
		fmt.Fprintln(os.Stderr, "bench-analytics: -nodes:", err)
		os.Exit(2)
	}
	if o.modes, err = parseModes(modes); err != nil {
		fmt.Fprintln(os.Stderr, "bench-analytics: -modes:", err)
		os.Exit(2)
	}
	if o.street != streetBusy && o.street != streetQuiet {
		fmt.Fprintf(os.Stderr, "bench-analytics: -street: %q is neither busy nor quiet\n", o.street)
		os.Exit(2)
	}
	if o.out == "" {
		o.out = filepath.Join("bench", "results", "analytics-"+time.Now().Format("20060102-150405"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{o: o, logs: &benchproc.Logs{Prefix: o.out, DropEmpty: true}}
	err = b.run(ctx)
	b.procs.Stop(5 * time.Second)
	b.logs.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-analytics:", err)
		os.Exit(1)
	}
}

// parseCounts reads "4,8,16".
func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a camera count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func (b *bench) run(ctx context.Context) error {
	rep := report{Started: time.Now().UTC(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPUs: runtime.NumCPU()}
	if err := os.MkdirAll(filepath.Dir(b.o.out), 0o755); err != nil {
		return err
	}
	fmt.Printf("GOMAXPROCS %d, %d CPUs, load %s\n", rep.GOMAXPROCS, rep.CPUs, benchproc.LoadAverage())
	if b.o.part == "inproc" || b.o.part == "both" {
		if err := b.inproc(ctx, &rep); err != nil {
			return err
		}
	}
	if b.o.part == "node" || b.o.part == "both" {
		if err := b.node(ctx, &rep); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(b.o.out+".json", js, 0o644); err != nil {
		return err
	}
	txt := summary(rep, b.o)
	fmt.Print("\n" + txt)
	return os.WriteFile(b.o.out+".txt", []byte(txt), 0o644)
}

func (b *bench) inproc(ctx context.Context, rep *report) error {
	t0 := time.Now()
	clips, err := loadClips(ctx, b.o.ffmpeg, b.o.clips, b.o.seconds)
	if err != nil {
		return err
	}
	for _, c := range clips {
		rep.Clips = append(rep.Clips, fmt.Sprintf("%s: %d frames", c.name, len(c.frames)))
	}
	fmt.Printf("decoded %d clips in %.1fs: %s\n", len(clips), time.Since(t0).Seconds(), strings.Join(rep.Clips, ", "))
	cameras := b.o.cameras
	if cameras <= 0 {
		cameras = len(clips)
	}
	dets, closeAll, err := newDetectors(max(1, b.o.detectors))
	if err != nil {
		return err
	}
	defer closeAll()
	if b.o.cpuProfile != "" {
		f, err := os.Create(b.o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for round := range b.o.repeat {
		order := slices.Clone(b.o.modes)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, mode := range order {
			r, err := runInproc(ctx, clips, cameras, dets, mode)
			if err != nil {
				return err
			}
			r.Round = round + 1
			rep.Inproc = append(rep.Inproc, r)
			fmt.Printf("round %d %-11s %d frames, %d detected (%d on regions: %d tiles), %d model runs, %.1fs wall, %.1fs CPU: %.1f frames/s per core; per frame ms: motion %.2f, detect %.2f (%.1f per run), rest of Step %.2f\n",
				r.Round, r.Mode, r.Frames, r.Detections, r.RegionFrames, r.MosaicTiles, r.ModelRuns, r.WallS, r.CPUS, r.FPSPerCore, r.MotionMS, r.DetectMS, r.DetectRunMS, r.RestMS)
		}
	}
	return nil
}

func (b *bench) node(ctx context.Context, rep *report) error {
	most := slices.Max(b.o.nodes)
	clips := b.o.clips
	if b.o.street == streetQuiet {
		var err error
		if clips, err = quietClips(ctx, b.o.ffmpeg, b.o.clips, filepath.Join(os.TempDir(), "matthan-bench-quiet-clips")); err != nil {
			return err
		}
	}
	var err error
	b.sim, b.simAddr, err = benchproc.StartSim(ctx, &b.procs, b.logs, benchproc.SimOptions{
		Matthan: b.o.matthan, Cameras: most, Clips: clips, Cache: b.o.cache, Timeout: b.o.simTimeout})
	if err != nil {
		return err
	}
	for _, n := range b.o.nodes {
		fmt.Printf("node: %d cameras on a %s street analysed at %g fps and recorded (warm-up %s, window %s) …\n", n, b.o.street, b.o.fps, b.o.warmup, b.o.window)
		r, err := b.runNode(ctx, n)
		if err != nil {
			return err
		}
		rep.Node = append(rep.Node, r)
		fmt.Println("  " + nodeLine(r))
	}
	return nil
}

func nodeLine(r nodeResult) string {
	rec := fmt.Sprintf("recording whole: %d files, %d unreadable, min %.1f%% of received frames in files", r.Files, r.BadFiles, r.RecordedMin*100)
	if len(r.RecordShort) > 0 {
		rec = "recording SHORT: " + strings.Join(r.RecordShort, "; ")
	}
	return fmt.Sprintf("%s street: node %.0f%% + decoders %.0f%% of a core (%d ffmpeg, %.1f frames/s/camera out), analysed %.2f frames/s/camera (detector on %.1f frames/s, %.1f of them on regions; pair-frames %s), sim %.0f%%, machine busy %.0f%%, load %s, lost %d, skips %d; %s",
		r.Street, r.NodeCPU, r.DecodeCPU, r.Decoders, r.DecodedFPS, r.AnalysedFPS, r.DetectedFPS, r.RegionFPS, r.PairFrames, r.SimCPU, r.MachineBusy, r.Load, r.Lost, r.Skips, rec)
}

// parseModes reads -modes: known modes, each once.
func parseModes(s string) ([]string, error) {
	var out []string
	for _, m := range strings.Split(s, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if !slices.Contains(allModes, m) {
			return nil, fmt.Errorf("unknown mode %q (modes: %s)", m, strings.Join(allModes, ", "))
		}
		if slices.Contains(out, m) {
			return nil, fmt.Errorf("mode %q twice", m)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no modes")
	}
	return out, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary is the text report: medians of the in-process rounds, and one
// line per node run.
func summary(rep report, o options) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "analytics benchmark, %s, GOMAXPROCS %d, %d CPUs\n", rep.Started.Format(time.RFC3339), rep.GOMAXPROCS, rep.CPUs)
	if len(rep.Inproc) > 0 {
		fmt.Fprintf(&sb, "\nin-process: %s; %d detector session(s); medians of %d rounds\n", strings.Join(rep.Clips, ", "), o.detectors, o.repeat)
		fmt.Fprintf(&sb, "%-11s %8s %9s %9s %10s %14s %9s %9s %11s %12s %9s\n", "mode", "frames", "detected", "regions", "model runs", "frames/s/core", "motion", "detect", "detect/run", "rest of Step", "wall s")
		fps := map[string]float64{}
		for _, mode := range o.modes {
			var f, mo, de, dr, re, wall, runs []float64
			var frames, detected, regions int
			for _, r := range rep.Inproc {
				if r.Mode != mode {
					continue
				}
				f, mo, de, dr, re, wall = append(f, r.FPSPerCore), append(mo, r.MotionMS), append(de, r.DetectMS), append(dr, r.DetectRunMS), append(re, r.RestMS), append(wall, r.WallS)
				runs = append(runs, float64(r.ModelRuns))
				frames, detected, regions = r.Frames, r.Detections, r.RegionFrames
			}
			fps[mode] = median(f)
			fmt.Fprintf(&sb, "%-11s %8d %9d %9d %10.0f %14.1f %7.2fms %7.2fms %9.1fms %10.2fms %9.1f\n", mode, frames, detected, regions, median(runs), median(f), median(mo), median(de), median(dr), median(re), median(wall))
		}
		if fps[modeEvery] > 0 && fps[modeGated] > 0 && fps[modeStill] > 0 {
			fmt.Fprintf(&sb, "gating: %.2f× the frames per core of a detector on every frame on the clips, %.2f× where nothing moves (gated-still: each camera's first frame repeated)\n",
				fps[modeGated]/fps[modeEvery], fps[modeStill]/fps[modeEvery])
		}
		if fps[modeGated] > 0 && fps[modeRegions] > 0 {
			var tiles, canvases int
			for _, r := range rep.Inproc {
				if r.Mode == modeRegions { // the same in every round but the batching
					tiles, canvases = r.MosaicTiles, r.Canvases
				}
			}
			fmt.Fprintf(&sb, "regions: %.2f× the frames per core of whole-frame gating (regions: frames searched on motion regions only, 2×2 mosaics shared by the cameras; last round: %d regions on %d canvases)\n",
				fps[modeRegions]/fps[modeGated], tiles, canvases)
		}
		for _, mode := range []string{modePaired, modeBusy} {
			if fps[mode] == 0 {
				continue
			}
			var tiles, frames, canvases int
			for _, r := range rep.Inproc {
				if r.Mode == mode {
					tiles, frames, canvases = r.MosaicTiles, r.MosaicFrames, r.Canvases
				}
			}
			fmt.Fprintf(&sb, "%s: %.2f× the frames per core of whole-frame gating, %.2f× regions (regions, and whole frames two to a canvas; last round: %d regions and %d whole frames on %d canvases)\n",
				mode, fps[mode]/max(fps[modeGated], 1e-9), fps[mode]/max(fps[modeRegions], 1e-9), tiles, frames, canvases)
		}
		fmt.Fprintf(&sb, "(per-frame stage times: CPU of each camera's thread; motion measured in a separate pass over the same frames; rest of Step = Step − detect − motion: track, rules, and Go runtime work on that thread)\n")
	}
	if len(rep.Node) > 0 {
		fmt.Fprintf(&sb, "\nnode: matthan serve --analytics.enabled --analytics.fps %g, recording on; %% of one core over %s\n", o.fps, o.window)
		for _, r := range rep.Node {
			fmt.Fprintf(&sb, "N=%-3d %s\n", r.Cameras, nodeLine(r))
		}
	}
	return sb.String()
}
