//go:build linux

package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"matthan/bench/internal/benchproc"
	"matthan/internal/sim"
)

// idleResult is the node with no viewer: the baseline of its round.
type idleResult struct {
	Round      int     `json:"round"`
	Stream     string  `json:"before_stream"`
	Viewers    int     `json:"before_viewers"`
	Window     float64 `json:"window_s"`
	CPUPercent float64 `json:"cpu_percent"` // of one core
	RSSKiB     uint64  `json:"rss_kib"`
	Busy       float64 `json:"machine_busy_percent"`
}

// viewerResult is one measured window with N WebRTC viewers.
type viewerResult struct {
	Round   int     `json:"round"`
	Stream  string  `json:"stream"`
	Viewers int     `json:"viewers"`
	Window  float64 `json:"window_s"`
	SetupS  float64 `json:"setup_s"` // opening N sessions until all received

	CPUPercent     float64 `json:"cpu_percent"`      // the node, % of one core
	IdleCPUPercent float64 `json:"idle_cpu_percent"` // the same node, no viewer, this round
	ExtraPercent   float64 `json:"extra_cpu_percent"`
	ViewersPerCore num     `json:"viewers_per_core"`
	RSSKiB         uint64  `json:"rss_kib"`
	IdleRSSKiB     uint64  `json:"idle_rss_kib"`
	RSSPerViewer   num     `json:"rss_kib_per_viewer"`

	StreamMbit    num     `json:"stream_mbit"`    // what the node receives per camera stream (median)
	ViewerMbit    num     `json:"viewer_mbit"`    // RTP payload each viewer receives (median)
	RateRatioMin  num     `json:"rate_ratio_min"` // viewer / its camera's stream, the worst viewer
	FPSPerViewer  num     `json:"fps_per_viewer"` // frames the node sent per viewer per second
	Receiving     int     `json:"receiving"`      // viewers at ≥ minRateRatio of their stream
	Failed        int     `json:"failed"`         // sessions that failed or got nothing
	Skips         float64 `json:"skips"`          // node: viewers moved ahead to a keyframe
	NodeViewers   float64 `json:"node_viewers"`   // the node's gauge at the window's end
	Busy          float64 `json:"machine_busy_percent"`
	SimCPUPercent float64 `json:"sim_cpu_percent"`
	Load          string  `json:"load_average"`
}

// window is the node's figures over one measured window.
type window struct {
	seconds    float64
	cpuPercent float64
	rssKiB     uint64
	busy       float64
	simPercent float64
	m0, m1     nodeMetrics
}

// measureNode measures the node for d: CPU from /proc/PID/stat at both
// ends, RSS sampled five times (the median), metrics at both ends. during
// runs right after the start figures are read and right before the end
// ones.
func (b *bench) measureNode(ctx context.Context, d time.Duration, atStart, atEnd func()) (window, error) {
	var w window
	var err error
	pid := b.node.PID()
	if w.m0, err = b.metrics(ctx); err != nil {
		return w, err
	}
	if atStart != nil {
		atStart()
	}
	c0, err := benchproc.CPUTicks(pid)
	if err != nil {
		return w, err
	}
	s0, _ := benchproc.CPUTicks(b.sim.PID())
	mc0, _ := benchproc.ReadMachineCPU()
	t0 := time.Now()
	var rss []float64
	const samples = 5
	for i := range samples {
		if err := benchproc.Sleep(ctx, time.Until(t0.Add(d*time.Duration(i+1)/samples))); err != nil {
			return w, err
		}
		if m, err := benchproc.ProcessMemory(pid); err == nil {
			rss = append(rss, float64(m.RSS))
		}
	}
	c1, err := benchproc.CPUTicks(pid)
	if err != nil {
		return w, err
	}
	t1 := time.Now()
	s1, _ := benchproc.CPUTicks(b.sim.PID())
	mc1, _ := benchproc.ReadMachineCPU()
	if atEnd != nil {
		atEnd()
	}
	if w.m1, err = b.metrics(ctx); err != nil {
		return w, err
	}
	w.seconds = t1.Sub(t0).Seconds()
	w.cpuPercent = 100 * float64(c1-c0) / benchproc.ClockTicks / w.seconds
	w.simPercent = 100 * float64(s1-s0) / benchproc.ClockTicks / w.seconds
	w.rssKiB = uint64(median(rss))
	w.busy = benchproc.BusyPercent(mc0, mc1)
	return w, b.nodeAlive()
}

// runViewers measures, each round, every stream and N on a fresh node:
// first with no viewer (the baseline), then with N viewers. A fresh node
// per measurement keeps memory that Go and pion hold on to after earlier
// viewers out of the baseline.
func (b *bench) runViewers(ctx context.Context, data string) ([]*idleResult, []*viewerResult, error) {
	cameras := make([]string, b.o.cameras)
	for i := range cameras {
		cameras[i] = sim.CameraID(i)
	}
	var idles []*idleResult
	var out []*viewerResult
	for round := range b.o.rounds {
		for _, stream := range b.o.streams {
			for _, n := range b.o.viewerCounts {
				idle, r, err := b.measureFresh(ctx, data, cameras, stream, n, round)
				if err != nil {
					return nil, nil, fmt.Errorf("viewers, round %d, %d of %s: %w", round+1, n, stream, err)
				}
				fmt.Println("  " + r.line())
				idles, out = append(idles, idle), append(out, r)
			}
		}
	}
	return idles, out, nil
}

// measureFresh starts a node, measures it idle, then with n viewers, and
// stops it.
func (b *bench) measureFresh(ctx context.Context, data string, cameras []string, stream string, n, round int) (*idleResult, *viewerResult, error) {
	if err := b.startNode(ctx, data, fmt.Sprintf("serve-r%d-%s-%d", round+1, stream, n)); err != nil {
		return nil, nil, err
	}
	defer b.stopNode()
	lc, err := newLoadClient(b.base, b.token)
	if err != nil {
		return nil, nil, err
	}
	if err := benchproc.Sleep(ctx, b.o.viewerWarmup); err != nil { // the node's start-up settles
		return nil, nil, err
	}
	w, err := b.measureNode(ctx, b.o.viewerWindow, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	idle := &idleResult{Round: round + 1, Stream: stream, Viewers: n, Window: w.seconds, CPUPercent: w.cpuPercent,
		RSSKiB: w.rssKiB, Busy: w.busy}
	r, err := b.measureViewers(ctx, lc, cameras, stream, n, idle)
	return idle, r, err
}

// waitViewers waits until the node counts n WebRTC viewers.
func (b *bench) waitViewers(ctx context.Context, n int) error {
	deadline := time.Now().Add(b.o.readyTimeout)
	for {
		m, err := b.metrics(ctx)
		if err == nil && m.Viewers["webrtc"] == float64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the node has %v WebRTC viewers, want %d (err %v)", m.Viewers["webrtc"], n, err)
		}
		if err := benchproc.Sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}

func (b *bench) measureViewers(ctx context.Context, lc *loadClient, cameras []string, stream string, n int, idle *idleResult) (*viewerResult, error) {
	start := time.Now()
	vs, err := lc.openAll(ctx, cameras, stream, n)
	if err != nil {
		return nil, err
	}
	defer func() {
		lc.closeAll(vs)
		b.waitViewers(ctx, 0) // the next window starts without these
	}()
	// Every viewer must receive before the clock starts.
	deadline := time.Now().Add(b.o.readyTimeout)
	for {
		waiting := 0
		for _, v := range vs {
			if v.packets.Load() == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d viewers received nothing after %s", waiting, n, b.o.readyTimeout)
		}
		if err := benchproc.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	setup := time.Since(start).Seconds()
	if err := benchproc.Sleep(ctx, b.o.viewerWarmup); err != nil {
		return nil, err
	}
	c0 := make([]counts, n)
	c1 := make([]counts, n)
	w, err := b.measureNode(ctx, b.o.viewerWindow,
		func() {
			for i, v := range vs {
				c0[i] = v.counts()
			}
		},
		func() {
			for i, v := range vs {
				c1[i] = v.counts()
			}
		})
	if err != nil {
		return nil, err
	}
	r := &viewerResult{Round: idle.Round, Stream: stream, Viewers: n, Window: w.seconds, SetupS: setup,
		CPUPercent: w.cpuPercent, IdleCPUPercent: idle.CPUPercent, RSSKiB: w.rssKiB, IdleRSSKiB: idle.RSSKiB,
		Skips: w.m1.Skips - w.m0.Skips, NodeViewers: w.m1.Viewers["webrtc"], Busy: w.busy,
		SimCPUPercent: w.simPercent, Load: benchproc.LoadAverage()}
	r.ExtraPercent = r.CPUPercent - r.IdleCPUPercent
	r.ViewersPerCore = num(viewersPerCore(n, r.CPUPercent, r.IdleCPUPercent))
	r.RSSPerViewer = num((float64(r.RSSKiB) - float64(r.IdleRSSKiB)) / float64(n))
	r.FPSPerViewer = num((w.m1.Frames["webrtc"] - w.m0.Frames["webrtc"]) / float64(n) / w.seconds)

	streamRate := map[string]float64{} // bytes/s per camera
	var streamMbit, viewerMbit, ratios []float64
	for _, cam := range cameras {
		key := cam + "/" + stream
		rate := float64(w.m1.Streams[key].Bytes-w.m0.Streams[key].Bytes) / w.seconds
		streamRate[cam] = rate
		streamMbit = append(streamMbit, rate*8/1e6)
	}
	for i, v := range vs {
		rate := float64(c1[i].Bytes-c0[i].Bytes) / w.seconds
		viewerMbit = append(viewerMbit, rate*8/1e6)
		ratio := 0.0
		if sr := streamRate[v.camera]; sr > 0 {
			ratio = rate / sr
		}
		ratios = append(ratios, ratio)
		switch {
		case v.failed.Load() || c1[i].Packets == c0[i].Packets:
			r.Failed++
		case ratio >= minRateRatio:
			r.Receiving++
		}
	}
	r.StreamMbit, r.ViewerMbit = num(median(streamMbit)), num(median(viewerMbit))
	r.RateRatioMin = num(math.NaN())
	if len(ratios) > 0 {
		lo := ratios[0]
		for _, x := range ratios {
			lo = min(lo, x)
		}
		r.RateRatioMin = num(lo)
	}
	return r, nil
}

// viewersPerCore is N over the extra cores the node used for N viewers.
func viewersPerCore(n int, cpuPercent, idlePercent float64) float64 {
	extra := (cpuPercent - idlePercent) / 100
	if extra <= 0 {
		return math.Inf(1)
	}
	return float64(n) / extra
}

// ok reports whether every viewer received its stream through the window.
func (r *viewerResult) ok() bool {
	return r.Failed == 0 && r.Receiving == r.Viewers && r.NodeViewers == float64(r.Viewers)
}

func (r *viewerResult) line() string {
	return fmt.Sprintf("viewers round %d: %3d × %-4s node %.1f%% of a core (idle %.1f%%): %s viewers/core, RSS %s KiB/viewer (idle %.0f MiB); viewers get %s Mbit/s (stream %s), worst %.2f of it, %.1f fps; %d/%d receiving, %d failed, %g skips; setup %.1f s; sim %.0f%%, machine busy %.0f%%",
		r.Round, r.Viewers, r.Stream, r.CPUPercent, r.IdleCPUPercent, fmtNum(r.ViewersPerCore, 0), fmtNum(r.RSSPerViewer, 0), float64(r.IdleRSSKiB)/1024,
		fmtNum(r.ViewerMbit, 2), fmtNum(r.StreamMbit, 2), float64(r.RateRatioMin), float64(r.FPSPerViewer),
		r.Receiving, r.Viewers, r.Failed, r.Skips, r.SetupS, r.SimCPUPercent, r.Busy)
}

func fmtNum(x num, decimals int) string {
	f := float64(x)
	switch {
	case math.IsNaN(f):
		return "-"
	case math.IsInf(f, 0):
		return "∞"
	}
	return fmt.Sprintf("%.*f", decimals, f)
}
