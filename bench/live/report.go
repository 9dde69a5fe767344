//go:build linux

package main

import (
	"fmt"
	"math"
	"strings"
)

type report struct {
	Latency []*latencyResult
	Idle    []*idleResult
	Viewers []*viewerResult
}

// pooledLatency is one transport and stream over every round: the
// median and p95 of all frames, and the median of the rounds' medians.
type pooledLatency struct {
	Transport     string       `json:"transport"`
	Stream        string       `json:"stream"`
	Rounds        int          `json:"rounds"`
	Seconds       float64      `json:"seconds"` // frames measured over this long, all rounds
	All           latencyStats `json:"all_frames"`
	RoundMedians  []num        `json:"round_medians_ms"`
	MedianOfRound num          `json:"median_of_round_medians_ms"`
	BrowserRounds []num        `json:"browser_median_ms_rounds"` // reaching the page → display
	Browser       num          `json:"browser_median_ms"`        // median of the rounds'
	Unmatched     int          `json:"unmatched"`
	Reason        string       `json:"reason,omitempty"`
}

func (rep *report) pooled(o options) []pooledLatency {
	var out []pooledLatency
	for _, t := range o.transports {
		for _, s := range o.streams {
			p := pooledLatency{Transport: t, Stream: s}
			var all, meds, inBrowser []float64
			for _, r := range rep.Latency {
				if r.Transport != t || r.Stream != s {
					continue
				}
				p.Rounds++
				p.Seconds += r.Window
				p.Unmatched += r.Unmatched
				all = append(all, r.Values...)
				p.RoundMedians = append(p.RoundMedians, r.Stats.Median)
				if !math.IsNaN(float64(r.Stats.Median)) {
					meds = append(meds, float64(r.Stats.Median))
				}
				p.BrowserRounds = append(p.BrowserRounds, r.BrowserMS)
				if !math.IsNaN(float64(r.BrowserMS)) {
					inBrowser = append(inBrowser, float64(r.BrowserMS))
				}
				if r.Reason != "" {
					p.Reason = r.Reason
				}
			}
			if p.Rounds == 0 {
				continue
			}
			p.All = summarizeLatency(all)
			p.MedianOfRound = num(median(meds))
			p.Browser = num(median(inBrowser))
			out = append(out, p)
		}
	}
	return out
}

// viewerMedian is one stream and N over every round.
type viewerMedian struct {
	Stream         string  `json:"stream"`
	Viewers        int     `json:"viewers"`
	Rounds         int     `json:"rounds"`
	CPUPercent     num     `json:"cpu_percent"`
	IdleCPUPercent num     `json:"idle_cpu_percent"`
	ViewersPerCore num     `json:"viewers_per_core"`
	PerRound       []num   `json:"viewers_per_core_rounds"`
	CPUPerViewer   num     `json:"cpu_percent_per_viewer"` // % of a core
	RSSPerViewer   num     `json:"rss_kib_per_viewer"`
	ViewerMbit     num     `json:"viewer_mbit"`
	RateRatioMin   num     `json:"rate_ratio_min"` // the worst viewer of every round
	FPSPerViewer   num     `json:"fps_per_viewer"`
	Failed         int     `json:"failed"` // all rounds
	AllOK          bool    `json:"all_received"`
	Busy           float64 `json:"machine_busy_percent"`
}

func (rep *report) viewerMedians(o options) []viewerMedian {
	var out []viewerMedian
	for _, s := range o.streams {
		for _, n := range o.viewerCounts {
			m := viewerMedian{Stream: s, Viewers: n, AllOK: true, RateRatioMin: num(math.Inf(1))}
			var cpu, idle, vpc, per, rss, mbit, fps, busy []float64
			for _, r := range rep.Viewers {
				if r.Stream != s || r.Viewers != n {
					continue
				}
				m.Rounds++
				cpu, idle = append(cpu, r.CPUPercent), append(idle, r.IdleCPUPercent)
				vpc = append(vpc, float64(r.ViewersPerCore))
				m.PerRound = append(m.PerRound, r.ViewersPerCore)
				per = append(per, r.ExtraPercent/float64(n))
				rss = append(rss, float64(r.RSSPerViewer))
				mbit, fps = append(mbit, float64(r.ViewerMbit)), append(fps, float64(r.FPSPerViewer))
				busy = append(busy, r.Busy)
				m.RateRatioMin = min(m.RateRatioMin, r.RateRatioMin)
				m.Failed += r.Failed
				m.AllOK = m.AllOK && r.ok()
			}
			if m.Rounds == 0 {
				continue
			}
			m.CPUPercent, m.IdleCPUPercent = num(median(cpu)), num(median(idle))
			m.ViewersPerCore, m.CPUPerViewer = num(median(vpc)), num(median(per))
			m.RSSPerViewer, m.ViewerMbit, m.FPSPerViewer = num(median(rss)), num(median(mbit)), num(median(fps))
			m.Busy = median(busy)
			out = append(out, m)
		}
	}
	return out
}

func (rep *report) text(o options) string {
	var b strings.Builder
	if len(rep.Latency) > 0 {
		fmt.Fprintf(&b, "Glass-to-glass latency, %s (stamp written by the simulator → frame shown by Chromium), ms\n", o.latencyCamera)
		fmt.Fprintf(&b, "%-9s  %-6s  %6s  %8s  %7s  %7s  %7s  %7s  %-16s  %-18s  %9s\n",
			"transport", "stream", "rounds", "frames", "median", "p95", "min", "max", "round medians", "in browser, rounds", "unmatched")
		webrtcOK, webrtcSeen := true, false
		for _, p := range rep.pooled(o) {
			fmt.Fprintf(&b, "%-9s  %-6s  %6d  %8d  %7s  %7s  %7s  %7s  %-16s  %-18s  %9d\n",
				p.Transport, p.Stream, p.Rounds, p.All.Samples, fmtMS(p.All.Median), fmtMS(p.All.P95),
				fmtMS(p.All.Min), fmtMS(p.All.Max), fmtAll(p.RoundMedians), fmtAll(p.BrowserRounds), p.Unmatched)
			if p.Reason != "" {
				fmt.Fprintf(&b, "           not measured: %s\n", p.Reason)
			}
			if p.Transport == "webrtc" {
				webrtcSeen = true
				webrtcOK = webrtcOK && p.All.Samples > 0 && float64(p.All.Median) < goalWebRTCMedianMS
			}
		}
		b.WriteString("(median and p95 over every frame of every round; in browser = median time from the frame reaching the page\n" +
			" (RTP packets assembled, or WebSocket message) to its display; unmatched = frames shown whose stamp was not found)\n")
		if webrtcSeen {
			fmt.Fprintf(&b, "  goal WebRTC median < %d ms on loopback: %s\n", goalWebRTCMedianMS, passFail(webrtcOK))
		}
		b.WriteString("\n")
	}
	if len(rep.Viewers) > 0 {
		b.WriteString("Concurrent WebRTC viewers (pion client in the orchestrator; only the node's process is measured)\n")
		fmt.Fprintf(&b, "%-6s  %7s  %6s  %9s  %9s  %12s  %15s  %14s  %10s  %10s  %9s  %6s  %5s\n",
			"stream", "viewers", "rounds", "node cpu%", "idle cpu%", "viewers/core", "cpu% per viewer", "RSS KiB/viewer",
			"Mbit/viewer", "worst rate", "fps/viewer", "failed", "busy%")
		for _, m := range rep.viewerMedians(o) {
			fmt.Fprintf(&b, "%-6s  %7d  %6d  %9s  %9s  %12s  %15s  %14s  %10s  %10s  %9s  %6d  %5.0f\n",
				m.Stream, m.Viewers, m.Rounds, fmtNum(m.CPUPercent, 1), fmtNum(m.IdleCPUPercent, 1), fmtNum(m.ViewersPerCore, 0),
				fmtNum(m.CPUPerViewer, 3), fmtNum(m.RSSPerViewer, 0), fmtNum(m.ViewerMbit, 2), fmtNum(m.RateRatioMin, 2),
				fmtNum(m.FPSPerViewer, 1), m.Failed, m.Busy)
		}
		b.WriteString("(medians over rounds; each measurement on a fresh node, first with no viewer (idle), then with N;\n" +
			" cpu% of one core; viewers/core = N / (node cpu − idle cpu); RSS KiB/viewer = (RSS − idle RSS) / N;\n" +
			" worst rate = the lowest viewer's RTP payload rate over its camera stream's, all rounds)\n")
		for _, m := range rep.viewerMedians(o) {
			rounds := make([]string, len(m.PerRound))
			for i, x := range m.PerRound {
				rounds[i] = fmtNum(x, 0)
			}
			fmt.Fprintf(&b, "  %d × %s: viewers/core by round %s; every viewer received the stream in every round: %s\n",
				m.Viewers, m.Stream, strings.Join(rounds, ", "), yesNo(m.AllOK))
		}
	}
	return b.String()
}

func fmtAll(xs []num) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmtMS(x)
	}
	return strings.Join(parts, " ")
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}
