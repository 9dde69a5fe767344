//go:build linux

package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"matthan"
	"matthan/internal/fmp4"
	"matthan/internal/secret"
	"matthan/internal/sim"
	"matthan/internal/sqlite"
)

// Recording mode: what the files on disk say after a phase stopped.

// recordSlack is how many frames a stream may have received but not
// recorded: the recorder subscribes to a new stream's hub within a second,
// and a file starts at the next keyframe (the simulator sends one every 2 s).
const recordSlack = 3*simFPS + 3

// diskFigures sums one phase's recordings.
type diskFigures struct {
	Files       int   `json:"files"`
	Bytes       int64 `json:"bytes"`        // file sizes
	SampleBytes int64 `json:"sample_bytes"` // ours: the samples inside (NAL units with their 4-byte lengths, audio)
	ReadBytes   int64 `json:"read_bytes"`   // ours: sizes of the files read back whole
	BadFiles    int   `json:"bad_files"`    // ours: files fMP4 scanning found cut or damaged
	Quarantined int   `json:"quarantined"`  // ours: files start-up recovery set aside
	// Per camera (ours): video frames in the files, and holes: a fragment
	// that does not start where the previous ended, or a file with fewer
	// frames than its span holds at 25 fps.
	Frames map[string]int64 `json:"frames,omitempty"`
	Holes  map[string]int   `json:"holes,omitempty"`
}

// scanRecordings walks the node's recordings directory: every segment is
// read back as fragmented MP4, its samples summed and its timeline checked.
func scanRecordings(root string) (diskFigures, error) {
	d := diskFigures{Frames: map[string]int64{}, Holes: map[string]int{}}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".mp4") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		camera, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		if camera == "_quarantine" {
			d.Quarantined++
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		d.Files++
		d.Bytes += st.Size()
		file, err := fmp4.Scan(f, st.Size())
		if err != nil || file.Stop != nil {
			d.BadFiles++
			return nil
		}
		d.ReadBytes += st.Size()
		video := file.Track("vide")
		var next, span uint64
		var frames int64
		for i, fr := range file.Fragments {
			for _, r := range fr.Runs {
				d.SampleBytes += r.Bytes
				if video == nil || r.TrackID != video.ID {
					continue
				}
				frames += int64(r.Samples)
				span += r.Duration
				// Half a frame of slack for rounding between time scales.
				if i > 0 && absDiff(r.BaseTime, next) > uint64(video.TimeScale)/simFPS/2 {
					d.Holes[camera]++
				}
				next = r.BaseTime + r.Duration
			}
		}
		d.Frames[camera] += frames
		// A unit the recorder never got stretches the sample before it (its
		// duration runs to the next one), so frames go missing without a
		// break in the timeline: the file then holds fewer frames than its
		// span at 25 fps. One frame of slack: the last one's length is a guess.
		if video != nil && float64(frames)+1 < float64(span)*simFPS/float64(video.TimeScale) {
			d.Holes[camera]++
		}
		return nil
	})
	return d, err
}

// sumFiles adds up the sizes of the files below root (ffmpeg's segments).
func sumFiles(root string) (diskFigures, error) {
	var d diskFigures
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		d.Files++
		d.Bytes += info.Size()
		return nil
	})
	return d, err
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// overhead is the container's share: bytes in the files beyond the samples
// they hold, relative to the samples.
func (d diskFigures) overhead() float64 {
	if d.SampleBytes == 0 {
		return 0
	}
	return float64(d.ReadBytes-d.SampleBytes) / float64(d.SampleBytes)
}

// exportResult is one timed `matthan export` against a plain read of the
// same segment files.
type exportResult struct {
	Cameras      int     `json:"cameras"`
	SourceBytes  int64   `json:"source_bytes"` // the segments the export covers
	PackageBytes int64   `json:"package_bytes"`
	ExportS      float64 `json:"export_s"`
	ExportCPUS   float64 `json:"export_cpu_s"` // user+system CPU of the export process
	CatS         float64 `json:"cat_s"`        // cat FILES > /dev/null (page cache: the files were just written)
	DirectS      float64 `json:"direct_s"`     // dd iflag=direct of the same files: the disk itself
	CopyS        float64 `json:"copy_s"`       // cat FILES > a file on the same disk, then fsync
	Command      string  `json:"command"`
}

func mbps(bytes int64, s float64) float64 {
	if s <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / s
}

func (e *exportResult) line() string {
	return fmt.Sprintf("export of %d camera(s): %.1f MB package (from %.1f MB of segments) in %.2f s (%.2f s CPU) = %.0f MB/s; the segments read plainly: cat→/dev/null %.0f MB/s, dd iflag=direct %.0f MB/s, cat→file+sync %.0f MB/s",
		e.Cameras, float64(e.PackageBytes)/1e6, float64(e.SourceBytes)/1e6, e.ExportS, e.ExportCPUS, mbps(e.PackageBytes, e.ExportS),
		mbps(e.SourceBytes, e.CatS), mbps(e.SourceBytes, e.DirectS), mbps(e.SourceBytes, e.CopyS))
}

// exportSupported reports whether the matthan binary has `matthan export`.
func exportSupported(matthanBin string) bool {
	out, _ := exec.Command(matthanBin, "help").CombinedOutput()
	for line := range strings.SplitSeq(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "export" {
			return true
		}
	}
	return false
}

// timeExport exports the whole recorded span of the first cameras from a
// stopped node's data directory, then reads the same segment files plainly.
func (b *bench) timeExport(ctx context.Context, data string) (*exportResult, error) {
	cameras, segs, err := exportedSegments(ctx, data, b.o.streams, b.o.exportCams)
	if err != nil {
		return nil, err
	}
	from, to := segs[0].Start, segs[0].End
	var files []string
	res := &exportResult{Cameras: len(cameras)}
	for _, s := range segs {
		if s.Start.Before(from) {
			from = s.Start
		}
		if s.End.After(to) {
			to = s.End
		}
		files = append(files, filepath.Join(data, "recordings", filepath.FromSlash(s.Path)))
		res.SourceBytes += s.Bytes
	}
	// Whole seconds inside the recorded span: RFC 3339 without fractions.
	from, to = from.Truncate(time.Second).Add(time.Second), to.Truncate(time.Second)
	pkg := filepath.Join(data, "bench-export.zip")
	args := []string{"export", "--data", data, "--log-level", "warn"}
	for _, c := range cameras {
		args = append(args, "--camera", c)
	}
	args = append(args, "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339),
		"--reason", "bench", "-o", pkg)
	res.Command = b.o.matthan + " " + strings.Join(args, " ")

	if res.CatS, err = timeCommand(ctx, "sh", append([]string{"-c", `cat "$@" >/dev/null`, "cat"}, files...)...); err != nil {
		return nil, err
	}
	if res.ExportS, res.ExportCPUS, err = timeProcess(ctx, b.o.matthan, args...); err != nil {
		return nil, err
	}
	if st, err := os.Stat(pkg); err == nil {
		res.PackageBytes = st.Size()
	}
	if res.DirectS, err = timeCommand(ctx, "sh", append([]string{"-c", `for f; do dd if="$f" of=/dev/null bs=4M iflag=direct status=none || exit; done`, "dd"}, files...)...); err != nil {
		return nil, err
	}
	copyTo := filepath.Join(data, "bench-copy.bin")
	if res.CopyS, err = timeCommand(ctx, "sh", append([]string{"-c", `out=$1; shift; cat "$@" >"$out" && sync "$out"`, "copy", copyTo}, files...)...); err != nil {
		return nil, err
	}
	os.Remove(copyTo)
	return res, nil
}

// exportedSegments reads the index of a stopped node: the first n cameras
// (by ID) that have main-stream segments, and those segments.
func exportedSegments(ctx context.Context, data string, streams, n int) ([]string, []*matthan.Segment, error) {
	key, err := secret.LoadOrCreateKey(filepath.Join(data, "node.key"))
	if err != nil {
		return nil, nil, err
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(data, "matthan.db"), sealer)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	var chosen []string
	var segs []*matthan.Segment
	for i := 0; i < streams && len(chosen) < n; i++ {
		id := sim.CameraID(i)
		ss, err := db.Segments(ctx, matthan.SegmentFilter{CameraID: id, Stream: matthan.StreamMain,
			From: time.Unix(0, 0), To: time.Now().Add(time.Hour), Limit: 1000})
		if err != nil {
			return nil, nil, err
		}
		if len(ss) > 0 {
			chosen = append(chosen, id)
			segs = append(segs, ss...)
		}
	}
	if len(segs) == 0 {
		return nil, nil, fmt.Errorf("no recorded segments to export in %s", data)
	}
	return chosen, segs, nil
}

// timeCommand runs a command to its end and returns how long it took.
func timeCommand(ctx context.Context, name string, args ...string) (float64, error) {
	wall, _, err := timeProcess(ctx, name, args...)
	return wall, err
}

// timeProcess runs a command to its end and returns how long it took and
// the CPU time it used (user and system, all threads).
func timeProcess(ctx context.Context, name string, args ...string) (wall, cpu float64, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	wall = time.Since(t0).Seconds()
	if st := cmd.ProcessState; st != nil {
		cpu = (st.UserTime() + st.SystemTime()).Seconds()
	}
	if err != nil {
		return wall, cpu, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return wall, cpu, nil
}
