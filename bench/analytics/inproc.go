//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"matthan/internal/analytics"
	"matthan/internal/analytics/detect"
	"matthan/internal/analytics/motion"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/media"
)

// Frames are analysed at the size and rate of the simulator's sub-streams
// once the node's decoder has kept 5 of their 10 frames a second.
const (
	frameW, frameH = 640, 360
	frameFPS       = 5
)

// clip is one shipped clip decoded once, in memory.
type clip struct {
	name   string
	frames [][]byte // BGR24, frameW×frameH
}

// loadClips decodes every clip in dir with ffmpeg, at most seconds of each
// (0: all of it).
func loadClips(ctx context.Context, ffmpeg, dir string, seconds float64) ([]clip, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.mp4"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no clips in %s: %v", dir, err)
	}
	slices.Sort(paths)
	var out []clip
	for _, p := range paths {
		args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-i", p}
		if seconds > 0 {
			args = append(args, "-t", fmt.Sprint(seconds))
		}
		args = append(args, "-an", "-vf", fmt.Sprintf("fps=%d,scale=%d:%d:flags=bilinear", frameFPS, frameW, frameH),
			"-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1")
		cmd := exec.CommandContext(ctx, ffmpeg, args...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("ffmpeg: %w", err)
		}
		c := clip{name: filepath.Base(p)}
		for {
			buf := make([]byte, frameW*frameH*3)
			if _, err := io.ReadFull(stdout, buf); err != nil {
				break
			}
			c.frames = append(c.frames, buf)
		}
		if err := cmd.Wait(); err != nil {
			return nil, fmt.Errorf("ffmpeg %s: %w", p, err)
		}
		if len(c.frames) == 0 {
			return nil, fmt.Errorf("ffmpeg %s: no frames", p)
		}
		out = append(out, c)
	}
	return out, nil
}

// threadCPU is the CPU time of the calling OS thread. Each camera's
// goroutine is locked to its thread and ONNX Runtime runs a one-thread
// session on the caller's thread, so the difference of two readings is
// what that stage cost, whoever else shares the cores.
func threadCPU() time.Duration {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// processCPU is the process's own CPU time (user+system, all threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timedDetector wraps the detector to add up its CPU time on the calling
// thread (the camera's).
type timedDetector struct {
	det analytics.Detector
	cpu *time.Duration // the current camera's counter; one camera per detector call
}

// stageCPU is what one camera's frames cost, per stage.
type stageCPU struct {
	frames, detections int
	regions            int           // frames searched on motion regions only
	step, detect       time.Duration // Camera.Step whole, and the detector inside it
	motion             time.Duration // the same frames through a motion.Model alone
}

// inprocResult is one round of one mode.
type inprocResult struct {
	Mode       string  `json:"mode"` // "gated" or "every-frame"
	Round      int     `json:"round"`
	Cameras    int     `json:"cameras"`
	Frames     int     `json:"frames"`
	Detections int     `json:"detections"`
	WallS      float64 `json:"wall_s"`
	CPUS       float64 `json:"cpu_s"` // the process's rusage over the round, less the separate motion pass
	// FPSPerCore is analysed frames per CPU second (rusage).
	FPSPerCore float64 `json:"fps_per_core"`
	// Per frame, from thread CPU clocks: motion (measured apart), detect,
	// and the rest of Step (track, rules, Go runtime work on the thread).
	MotionMS float64 `json:"motion_ms_per_frame"`
	DetectMS float64 `json:"detect_ms_per_frame"`
	// DetectRunMS is the detector per run (per frame it ran on).
	DetectRunMS float64 `json:"detect_ms_per_run"`
	RestMS      float64 `json:"track_rules_ms_per_frame"`
	StepMS      float64 `json:"step_ms_per_frame"`
	// RegionFrames are the frames searched on motion regions only (mode
	// regions); ModelRuns are the model runs in all: whole-frame runs plus
	// mosaic canvases, which hold MosaicTiles regions.
	RegionFrames int `json:"region_frames"`
	ModelRuns    int `json:"model_runs"`
	MosaicTiles  int `json:"mosaic_tiles"`
	// MosaicFrames are whole frames run on canvases (mode paired), a half
	// each; Canvases are the mosaic's runs.
	MosaicFrames int `json:"mosaic_frames"`
	Canvases     int `json:"canvases"`
}

// Modes of the in-process part.
const (
	modeGated   = "gated"       // the product: the detector on motion, and a full pass every 5 s
	modeEvery   = "every-frame" // the baseline: the detector on every frame
	modeStill   = "gated-still" // gated, each camera's first frame repeated: a street where nothing moves
	modeRegions = "regions"     // gated, frames with a little motion searched on its regions, 2×2 mosaics shared by the cameras
	modePaired  = "paired"      // regions, and whole frames two to a canvas (analytics.pair-frames always)
	modeBusy    = "pair-busy"   // regions, and whole frames paired when no session is free (analytics.pair-frames busy)
)

// allModes are the in-process modes, in the order a round runs them.
var allModes = []string{modeGated, modeRegions, modePaired, modeBusy, modeEvery, modeStill}

// runInproc feeds every camera's clip through pipeline.Camera.Step, one
// goroutine per camera, in the given mode.
func runInproc(ctx context.Context, clips []clip, cameras int, dets []analytics.Detector, mode string) (inprocResult, error) {
	res := inprocResult{Mode: mode, Cameras: cameras}
	stats := make([]stageCPU, cameras)
	errs := make([]error, cameras)
	var mosaic *detect.Mosaic
	if mode == modeRegions || mode == modePaired || mode == modeBusy {
		// One mosaic for all cameras over all sessions, as a node has.
		pair := map[string]detect.PairMode{modePaired: detect.PairAlways, modeBusy: detect.PairBusy}[mode]
		mosaic = detect.NewMosaic(newSharedPool(dets), detect.MosaicOptions{Pair: pair})
	}
	start := time.Now()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	for i := range cameras {
		wg.Go(func() {
			var det analytics.Detector = dets[i%len(dets)]
			if mosaic != nil {
				det = mosaic
			}
			// Cameras sharing a clip start at different points of it.
			offset := (i / len(clips)) * 17
			stats[i], errs[i] = runCamera(ctx, i, clips[i%len(clips)], offset, det, mode)
		})
	}
	wg.Wait()
	cpu := processCPU() - cpu0
	res.WallS = time.Since(start).Seconds()
	var sum stageCPU
	for i, s := range stats {
		if errs[i] != nil {
			return res, errs[i]
		}
		sum.frames += s.frames
		sum.detections += s.detections
		sum.step += s.step
		sum.detect += s.detect
		sum.motion += s.motion
		sum.regions += s.regions
	}
	res.Frames, res.Detections = sum.frames, sum.detections
	res.RegionFrames, res.ModelRuns = sum.regions, sum.detections
	if mosaic != nil {
		st := mosaic.Stats()
		res.ModelRuns = sum.detections - sum.regions - int(st.Frames) + int(st.Runs)
		res.MosaicTiles, res.MosaicFrames, res.Canvases = int(st.Tiles), int(st.Frames), int(st.Runs)
	}
	// The separate motion pass is for the split only, not part of the cost.
	res.CPUS = (cpu - sum.motion).Seconds()
	res.FPSPerCore = float64(sum.frames) / res.CPUS
	perFrame := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(sum.frames) }
	res.StepMS, res.DetectMS, res.MotionMS = perFrame(sum.step), perFrame(sum.detect), perFrame(sum.motion)
	res.RestMS = perFrame(sum.step - sum.detect - sum.motion)
	if res.ModelRuns > 0 {
		res.DetectRunMS = sum.detect.Seconds() * 1000 / float64(res.ModelRuns)
	}
	return res, nil
}

func runCamera(ctx context.Context, i int, c clip, offset int, det analytics.Detector, mode string) (stageCPU, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var s stageCPU
	cfg := pipeline.Config{CameraID: fmt.Sprintf("bench-%03d", i)}
	pipeline.DefaultSettings().Apply(&cfg)
	if mode == modeEvery {
		cfg.FullEvery = time.Nanosecond // every frame is a full pass
	}
	var td analytics.Detector = &timedDetector{det: det, cpu: &s.detect}
	if rd, ok := det.(analytics.RegionDetector); ok {
		td = &timedRegions{timedDetector{det: det, cpu: &s.detect}, rd}
	}
	cam, err := pipeline.New(cfg, pipeline.Deps{Hub: media.NewHub(), Detector: td})
	if err != nil {
		return s, err
	}
	base := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) // 10:00 in Hà Nội: day settings
	frame := func(k int) *analytics.Frame {
		pts := time.Duration(k) * time.Second / frameFPS
		bgr := c.frames[(k+offset)%len(c.frames)]
		if mode == modeStill {
			bgr = c.frames[offset%len(c.frames)]
		}
		return &analytics.Frame{CameraID: cfg.CameraID, At: base.Add(pts), PTS: pts, Width: frameW, Height: frameH, BGR: bgr}
	}
	for k := range c.frames {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		t0 := threadCPU()
		r := cam.Step(ctx, frame(k))
		s.step += threadCPU() - t0
		s.frames++
		if r.Detected {
			s.detections++
			if r.Regions != nil {
				s.regions++
			}
		}
	}
	if st := cam.Stats(); st.Errors > 0 {
		return s, fmt.Errorf("camera %d: %d detector errors", i, st.Errors)
	}
	// Motion alone, on the same frames: Step does not expose its stages.
	m := motion.New(motion.Config{})
	t0 := threadCPU()
	for k := range c.frames {
		m.Update(frame(k))
	}
	s.motion = threadCPU() - t0
	return s, nil
}

func (t *timedDetector) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	t0 := threadCPU()
	out, err := t.det.Detect(ctx, frames)
	*t.cpu += threadCPU() - t0
	return out, err
}

func (t *timedDetector) Close() error { return nil }

// timedRegions is a timedDetector that also searches regions. A region
// search's CPU on the camera's thread includes the canvas run when this
// camera led it (other cameras' tiles too), and none when another did:
// per camera the split is rough, summed over the cameras it is right.
type timedRegions struct {
	timedDetector
	rd analytics.RegionDetector
}

func (t *timedRegions) MaxRegionSide(w, h int) int { return t.rd.MaxRegionSide(w, h) }

func (t *timedRegions) MaxRegions() int { return t.rd.MaxRegions() }

func (t *timedRegions) DetectRegions(ctx context.Context, f *analytics.Frame, regions []analytics.Box) ([]analytics.Detection, error) {
	t0 := threadCPU()
	out, err := t.rd.DetectRegions(ctx, f, regions)
	*t.cpu += threadCPU() - t0
	return out, err
}

// sharedPool hands each call the next free session, as detect.Pool does
// with sessions it makes itself.
type sharedPool struct{ free chan analytics.Detector }

func newSharedPool(dets []analytics.Detector) *sharedPool {
	p := &sharedPool{free: make(chan analytics.Detector, len(dets))}
	for _, d := range dets {
		p.free <- d
	}
	return p
}

func (p *sharedPool) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	select {
	case d := <-p.free:
		defer func() { p.free <- d }()
		return d.Detect(ctx, frames)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Size tells detect.Mosaic how many runs may go at once.
func (p *sharedPool) Size() int { return cap(p.free) }

func (p *sharedPool) Close() error { return nil } // the sessions' owner closes them

// newDetectors makes n YOLOX detectors of one thread each.
func newDetectors(n int) ([]analytics.Detector, func(), error) {
	var out []analytics.Detector
	closeAll := func() {
		for _, d := range out {
			d.Close()
		}
	}
	for range n {
		y, err := detect.NewYOLOX(detect.Options{})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		out = append(out, y)
	}
	return out, closeAll, nil
}
