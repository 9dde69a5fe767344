//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"matthan/bench/internal/benchproc"
	"matthan/internal/fmp4"
	"matthan/internal/sim"
)

const (
	simMainFPS = 25
	// recordSlack is how many main-stream frames a camera may have received
	// but not recorded: the recorder joins a new hub within a second and a
	// file starts at the next keyframe (every 2 s in the simulator).
	recordSlack = 3*simMainFPS + 3
)

// procStat is what the benchmark reads from /proc/PID/stat.
type procStat struct {
	ppid                 int
	ticks, childrenTicks uint64 // utime+stime; cutime+cstime (waited-for children)
}

// parseProcStat reads fields 4 (ppid), 14–15 and 16–17 of /proc/PID/stat,
// counted from the last ')' since the command name may hold anything.
func parseProcStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat: %d fields", len(f))
	}
	var n [5]uint64
	for k, idx := range []int{1, 11, 12, 13, 14} { // ppid, utime, stime, cutime, cstime
		v, err := strconv.ParseUint(f[idx], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat field %d: %w", idx+3, err)
		}
		n[k] = v
	}
	return procStat{ppid: int(n[0]), ticks: n[1] + n[2], childrenTicks: n[3] + n[4]}, nil
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// writtenBytes is wchar of /proc/PID/io: bytes the process wrote (for a
// decoder: raw frames to the node).
func writtenBytes(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no wchar", pid)
}

// childInfo is one live child of the node (a decoder's ffmpeg).
type childInfo struct {
	ticks, written uint64
}

// nodeChildren lists the live children of pid with their CPU and bytes written.
func nodeChildren(pid int) map[int]childInfo {
	out := map[int]childInfo{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		cpid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readProcStat(cpid)
		if err != nil || st.ppid != pid {
			continue
		}
		w, _ := writtenBytes(cpid)
		out[cpid] = childInfo{ticks: st.ticks, written: w}
	}
	return out
}

// nodeSnapshot is one reading of the node and its children.
type nodeSnapshot struct {
	at       time.Time
	node     procStat
	children map[int]childInfo
	sim      uint64
	machine  benchproc.MachineCPU
}

func takeSnapshot(node, simPID int) (nodeSnapshot, error) {
	s := nodeSnapshot{at: time.Now(), children: nodeChildren(node)}
	var err error
	if s.node, err = readProcStat(node); err != nil {
		return s, err
	}
	if s.sim, err = benchproc.CPUTicks(simPID); err != nil {
		return s, err
	}
	s.machine, err = benchproc.ReadMachineCPU()
	return s, err
}

// nodeResult is one node run of N cameras.
type nodeResult struct {
	Cameras int     `json:"cameras"`
	Street  string  `json:"street"`
	WindowS float64 `json:"window_s"`
	// CPU as % of one core over the window.
	NodeCPU     float64 `json:"node_cpu_percent"`     // matthan serve itself (ingest, recording, analysis)
	DecodeCPU   float64 `json:"decode_cpu_percent"`   // its ffmpeg children (live ones + those that ended)
	Decoders    int     `json:"decoders"`             // ffmpeg children at the window's end
	DecodedFPS  float64 `json:"decoded_fps_per_cam"`  // frames out of the decoders, per camera per second
	SimCPU      float64 `json:"sim_cpu_percent"`      // the simulator
	MachineBusy float64 `json:"machine_busy_percent"` // all cores, everything
	Load        string  `json:"load_average"`
	// Recording, main streams.
	Lost        uint64   `json:"lost_packets"`
	Skips       uint64   `json:"skips"` // a consumer of the hub (the recorder) fell behind
	Files       int      `json:"files"`
	BadFiles    int      `json:"bad_files"`
	RecordedMin float64  `json:"recorded_share_min"` // min over cameras of frames in files / frames received
	RecordShort []string `json:"record_short,omitempty"`
	StopErr     string   `json:"stop_err,omitempty"`
	// Analysis, from matthan_analytics_*_total over the window: frames
	// analysed per camera per second (the pipeline keeps up when it is
	// -fps), and the frames the detector ran on, per second in all.
	AnalysedFPS float64 `json:"analysed_fps_per_cam"`
	DetectedFPS float64 `json:"detected_fps"`
	RegionFPS   float64 `json:"region_detected_fps"`
	PairFrames  string  `json:"pair_frames"`
	// MainDecoders is the node's --analytics.main-decoders (0: one per core).
	MainDecoders int `json:"main_decoders"`
}

// streamFigures are a stream's counters on /metrics.
type streamFigures struct {
	up                    bool
	frames, lost, skips   uint64
	haveFrames, haveSkips bool
	// A camera's analysis (key "CAMERA/analytics").
	analysed, detected, regions uint64
}

func readStreams(ctx context.Context, client *http.Client, url string) (map[string]streamFigures, error) {
	body, err := benchproc.FetchMetrics(ctx, client, url)
	if err != nil {
		return nil, err
	}
	out := map[string]streamFigures{}
	err = benchproc.EachSample(body, func(s benchproc.Sample) error {
		key := benchproc.Label(s.Labels, "camera") + "/" + benchproc.Label(s.Labels, "stream")
		if strings.HasPrefix(s.Name, "matthan_analytics_") {
			key = benchproc.Label(s.Labels, "camera") + "/analytics"
		}
		v, err := strconv.ParseFloat(s.Value, 64)
		if err != nil {
			return nil // not a stream counter
		}
		f := out[key]
		switch s.Name {
		case "matthan_analytics_frames_total":
			f.analysed = uint64(v)
		case "matthan_analytics_detections_total":
			f.detected = uint64(v)
		case "matthan_analytics_region_detections_total":
			f.regions = uint64(v)
		case "matthan_stream_up":
			f.up = v == 1
		case "matthan_stream_frames_total":
			f.frames = uint64(v)
		case "matthan_stream_packets_lost_total":
			f.lost = uint64(v)
		case "matthan_stream_skips_total":
			f.skips = uint64(v)
		default:
			return nil
		}
		out[key] = f
		return nil
	})
	return out, err
}

// runNode measures one `matthan serve` analysing and recording n cameras.
func (b *bench) runNode(ctx context.Context, n int) (nodeResult, error) {
	res := nodeResult{Cameras: n, Street: b.o.street, PairFrames: b.o.pairFrames, MainDecoders: b.o.mainDecoders}
	data, err := os.MkdirTemp(b.o.dir, fmt.Sprintf("bench-analytics-N%d-", n))
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(data)
	if err := benchproc.RegisterCameras(ctx, data, b.simAddr, n, benchproc.MainAndSub); err != nil {
		return res, err
	}
	log, err := b.logs.Create(fmt.Sprintf("serve-N%d", n))
	if err != nil {
		return res, err
	}
	args := []string{"serve", "--data", data, "--ingest.transport", "tcp", "--log-level", "warn",
		"--analytics.enabled=true", "--analytics.fps", fmt.Sprint(b.o.fps), "--analytics.pair-frames", b.o.pairFrames,
		"--analytics.main-decoders", fmt.Sprint(b.o.mainDecoders)}
	node, httpAddr, err := benchproc.StartServe(&b.procs, b.o.matthan, args, log)
	if err != nil {
		return res, err
	}
	defer b.procs.Stop(10*time.Second, node)
	metrics := "http://" + httpAddr + "/metrics"
	client := &http.Client{Timeout: 10 * time.Second}

	// Every main and sub stream up and one decoder per camera.
	deadline := time.Now().Add(b.o.readyTimeout)
	for {
		if node.Exited() {
			return res, fmt.Errorf("matthan serve %w: %v", benchproc.ErrExited, node.Err())
		}
		up := 0
		if figs, err := readStreams(ctx, client, metrics); err == nil {
			for _, f := range figs {
				if f.up {
					up++
				}
			}
		}
		if up >= 2*n && len(nodeChildren(node.PID())) >= n {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("N=%d: %d of %d streams up, %d decoders after %s", n, up, 2*n, len(nodeChildren(node.PID())), b.o.readyTimeout)
		}
		if err := benchproc.Sleep(ctx, 500*time.Millisecond); err != nil {
			return res, err
		}
	}
	if err := benchproc.Sleep(ctx, b.o.warmup); err != nil {
		return res, err
	}
	figs0, err := readStreams(ctx, client, metrics)
	if err != nil {
		return res, err
	}
	s0, err := takeSnapshot(node.PID(), b.sim.PID())
	if err != nil {
		return res, err
	}
	if err := benchproc.Sleep(ctx, b.o.window); err != nil {
		return res, err
	}
	s1, err := takeSnapshot(node.PID(), b.sim.PID())
	if err != nil {
		return res, err
	}
	figs1, err := readStreams(ctx, client, metrics)
	if err != nil {
		return res, err
	}
	span := s1.at.Sub(s0.at).Seconds()
	res.WindowS = span
	pct := func(ticks uint64) float64 { return float64(ticks) / benchproc.ClockTicks / span * 100 }
	res.NodeCPU = pct(s1.node.ticks - s0.node.ticks)
	var decTicks, written uint64
	for pid, c1 := range s1.children {
		c0 := s0.children[pid] // zero for a decoder started in the window
		decTicks += c1.ticks - c0.ticks
		written += c1.written - c0.written
	}
	decTicks += s1.node.childrenTicks - s0.node.childrenTicks // decoders that ended in the window
	res.DecodeCPU = pct(decTicks)
	res.Decoders = len(s1.children)
	res.DecodedFPS = float64(written) / (frameW * frameH * 3) / span / float64(n)
	res.SimCPU = pct(s1.sim - s0.sim)
	res.MachineBusy = benchproc.BusyPercent(s0.machine, s1.machine)
	res.Load = benchproc.LoadAverage()
	var analysed, detected, regions uint64
	for k, f1 := range figs1 {
		f0 := figs0[k]
		res.Lost += f1.lost - f0.lost
		res.Skips += f1.skips - f0.skips
		analysed += f1.analysed - f0.analysed
		detected += f1.detected - f0.detected
		regions += f1.regions - f0.regions
	}
	res.AnalysedFPS = float64(analysed) / span / float64(n)
	res.DetectedFPS, res.RegionFPS = float64(detected)/span, float64(regions)/span

	// Recording: stop the node so files are finished, then read them back.
	last, err := readStreams(ctx, client, metrics)
	if err != nil {
		return res, err
	}
	b.procs.Stop(10*time.Second, node)
	if node.Err() != nil {
		res.StopErr = node.Err().Error()
	}
	recorded, files, bad, err := recordedFrames(filepath.Join(data, "recordings"))
	if err != nil {
		return res, err
	}
	res.Files, res.BadFiles, res.RecordedMin = files, bad, 1
	for i := range n {
		id := sim.CameraID(i)
		received := last[id+"/main"].frames
		got := recorded[id]
		if received > 0 {
			res.RecordedMin = min(res.RecordedMin, float64(got)/float64(received))
		}
		if got+recordSlack < int64(received) {
			res.RecordShort = append(res.RecordShort, fmt.Sprintf("%s: %d of %d frames recorded", id, got, received))
		}
	}
	return res, nil
}

// recordedFrames reads every main-stream segment below root as fragmented
// MP4 and counts its video frames per camera.
func recordedFrames(root string) (frames map[string]int64, files, bad int, err error) {
	frames = map[string]int64{}
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".mp4") || !strings.HasPrefix(e.Name(), "main-") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		camera, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		files++
		file, err := fmp4.Scan(f, st.Size())
		if err != nil || file.Stop != nil {
			bad++
			return nil
		}
		video := file.Track("vide")
		for _, fr := range file.Fragments {
			for _, r := range fr.Runs {
				if video != nil && r.TrackID == video.ID {
					frames[camera] += int64(r.Samples)
				}
			}
		}
		return nil
	})
	return frames, files, bad, err
}
