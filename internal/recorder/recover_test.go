package recorder

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// TestRecoverFiles: files with no row are cut back to their last whole
// fragment and indexed (playable, Recovered, frames of the whole fragments);
// junk and files without a whole fragment go to quarantine; an indexed file
// that shrank is reported. Nothing is deleted.
func TestRecoverFiles(t *testing.T) {
	e := newEnv(t, "")
	e.addCamera("cam-1", true)
	wall0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	r, stop := e.start(Config{SegmentDuration: time.Minute})
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 4}, wall0)
	publish(e.subscribed("cam-1", 1), clip, 0, 0)
	waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(len(clip.Units)) })
	stop()
	segs := e.segments("cam-1")
	if len(segs) != 1 {
		t.Fatalf("%d segments", len(segs))
	}
	orig, err := os.ReadFile(filepath.Join(e.dir, segs[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	full, err := fmp4.Scan(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}

	// Orphans: the file cut at random points, one camera each.
	rng := rand.New(rand.NewPCG(7, 8))
	cuts := []int64{full.InitEnd + 3, full.Fragments[1].Offset, int64(len(orig))}
	for range 5 {
		cuts = append(cuts, full.InitEnd+rng.Int64N(int64(len(orig))-full.InitEnd))
	}
	write := func(rel string, b []byte) {
		p := filepath.Join(e.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantFrames := map[string]int64{} // orphan → frames of its whole fragments
	var wantQuarantine []string
	for i, cut := range cuts {
		rel := segmentPath("cam-o"+strconv.Itoa(i), matthan.StreamMain, wall0, 1)
		write(rel, orig[:cut])
		var frames int64
		for _, fr := range full.Fragments {
			if fr.Offset+fr.Size <= cut {
				frames += int64(fr.Run(1).Samples)
			}
		}
		if frames == 0 {
			wantQuarantine = append(wantQuarantine, rel)
		} else {
			wantFrames[rel] = frames
		}
	}
	junk := segmentPath("cam-junk", matthan.StreamMain, wall0, 1)
	write(junk, []byte("this is not a video"))
	badName := "cam-1/2026-03-01/holiday.mp4"
	write(badName, orig)
	wantQuarantine = append(wantQuarantine, junk, badName)
	// The indexed file loses its tail.
	if err := os.Truncate(filepath.Join(e.dir, segs[0].Path), int64(len(orig))-100); err != nil {
		t.Fatal(err)
	}

	rec := New(Config{Dir: e.dir}, e.db, e.idx, e.hubs, e.bus, e.log)
	rep, err := rec.Recover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(wantQuarantine)
	slices.Sort(rep.Quarantined)
	if !slices.Equal(rep.Quarantined, wantQuarantine) {
		t.Fatalf("quarantined %v, want %v", rep.Quarantined, wantQuarantine)
	}
	for _, rel := range wantQuarantine {
		if _, err := os.Stat(filepath.Join(e.dir, quarantineDir, strings.ReplaceAll(rel, "/", "_"))); err != nil {
			t.Fatalf("%s not in quarantine: %v", rel, err)
		}
	}
	if len(rep.Recovered) != len(wantFrames) || !slices.Equal(rep.Short, []string{segs[0].Path}) {
		t.Fatalf("report %+v, want %d recovered and %s short", rep, len(wantFrames), segs[0].Path)
	}
	for rel, frames := range wantFrames {
		row, err := e.db.SegmentByPath(t.Context(), rel)
		if err != nil {
			t.Fatal(err)
		}
		if !row.Recovered || row.Frames != frames || !row.Start.Equal(wall0) || row.Codec != "H264" || row.Audio != "AAC" || row.Width != 320 {
			t.Fatalf("%s: row %+v, want %d frames", rel, row, frames)
		}
		verifySegments(t, e.dir, []*matthan.Segment{row})
	}
	// A second pass finds nothing new.
	rep, err = rec.Recover(t.Context())
	if err != nil || len(rep.Recovered)+len(rep.Quarantined) != 0 {
		t.Fatalf("second recovery: %+v, %v", rep, err)
	}
}

// TestCrashChild is the recording process TestCrash kills; it does nothing
// unless run by TestCrash.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("RECORDER_CRASH_DIR")
	if dir == "" {
		return
	}
	e := newEnv(t, dir)
	e.addCamera("cam-1", true)
	e.start(Config{SegmentDuration: 2 * time.Second, Queue: 256})
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 4}, time.Now())
	h := e.subscribed("cam-1", 1)
	// Real time, looping the clip; the parent kills us at some point.
	t0 := time.Now()
	video := 0
	for loop := time.Duration(0); ; loop += 4 * time.Second {
		for _, u := range clip.Units {
			time.Sleep(time.Until(t0.Add(loop + u.PTS)))
			cp := *u
			cp.PTS += loop
			cp.Wall = t0.Add(cp.PTS)
			h.WriteUnit(&cp)
			if cp.Track == 0 {
				video++
				os.Stdout.WriteString("VIDEO " + strconv.Itoa(video) + "\n")
			}
		}
	}
}

// TestCrash: a recording process is killed with SIGKILL mid-write. At the
// next start every file is indexed (the one left open cut to its last whole
// fragment), every segment plays, the hash chain holds, and no more than the
// last fragment (plus what was still queued) is lost.
func TestCrash(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RECORDER_CRASH_DIR="+dir)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	killAt := 80 + rand.IntN(50) // frames: 3.2–5.2 s in, at a random moment in a fragment
	published := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "VIDEO "); ok {
			published, _ = strconv.Atoi(n)
			if published >= killAt {
				break
			}
		}
	}
	if published < killAt {
		t.Fatalf("the child stopped after %d frames: %v", published, sc.Err())
	}
	time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// What the crash left: files with rows, and the open file(s) without.
	e := newEnv(t, dir)
	indexed := map[string]bool{}
	for _, s := range e.segments("cam-1") {
		indexed[s.Path] = true
	}
	expect := map[string]int64{} // orphan → video frames in its whole fragments
	var empty []string
	filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".mp4") {
			return err
		}
		rel, _ := filepath.Rel(e.dir, p)
		rel = filepath.ToSlash(rel)
		if indexed[rel] {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sf, err := fmp4.Scan(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			empty = append(empty, rel) // killed while writing the init
			return nil
		}
		_, _, frames := sf.VideoSpan()
		if frames == 0 {
			empty = append(empty, rel)
		} else {
			expect[rel] = frames
		}
		t.Logf("open file %s: %d bytes, whole fragments up to %d, %d frames", rel, len(b), sf.End, frames)
		return nil
	})
	if len(indexed) < 1 || len(expect)+len(empty) != 1 {
		t.Fatalf("after the crash: %d indexed, orphans %v and %v; want one open file", len(indexed), expect, empty)
	}

	rec := New(Config{Dir: e.dir}, e.db, e.idx, e.hubs, e.bus, e.log)
	rep, err := rec.Recover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rep.Quarantined)
	if len(rep.Recovered) != len(expect) || !slices.Equal(rep.Quarantined, empty) || len(rep.Short) != 0 {
		t.Fatalf("recovery %+v; want %v recovered, %v quarantined", rep, expect, empty)
	}
	segs := e.segments("cam-1")
	verifySegments(t, e.dir, segs)
	var frames int64
	for _, s := range segs {
		frames += s.Frames
		if want, ok := expect[s.Path]; ok && (!s.Recovered || s.Frames != want) {
			t.Fatalf("recovered %+v, want %d frames", s, want)
		}
	}
	// At most the fragment in progress (25 frames) is lost, with a second
	// of slack for units still queued or in flight when the kill came.
	if lost := int64(published) - frames; lost > 50 {
		t.Fatalf("%d frames published, %d recorded: %d lost", published, frames, lost)
	}
	t.Logf("%d frames published before the kill, %d recorded in %d segments", published, frames, len(segs))
}
