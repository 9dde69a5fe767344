package recorder

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

func (e *env) health(camera string, from, to matthan.StreamState, at time.Time, reason string) {
	e.t.Helper()
	ev := &matthan.HealthEvent{CameraID: camera, Stream: matthan.StreamMain, From: from, To: to, Reason: reason, At: at}
	if err := e.bus.Publish(e.t.Context(), matthan.Event{Topic: matthan.TopicHealth, CameraID: camera, Stream: matthan.StreamMain, At: at, Data: ev}); err != nil {
		e.t.Fatal(err)
	}
}

// waitGaps waits until a camera's main stream has n gaps, the last one
// ended or not as asked.
func (e *env) waitGaps(camera string, n int, lastOpen bool) []*matthan.Gap {
	e.t.Helper()
	var gaps []*matthan.Gap
	waitFor(e.t, "gaps", func() bool {
		gaps = e.gaps(camera)
		return len(gaps) == n && gaps[n-1].End.IsZero() == lastOpen
	})
	return gaps
}

// TestGapsFromHealth: a stream leaving streaming opens a gap with the
// reason of its new state; another failure replaces it; streaming closes it.
func TestGapsFromHealth(t *testing.T) {
	e := newEnv(t, "")
	e.addCamera("cam-1", true)
	e.addCamera("cam-2", true)
	e.start(Config{})
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	e.health("cam-1", matthan.StateStreaming, matthan.StateOffline, t0, "the camera did not answer")
	e.waitGaps("cam-1", 1, true)
	e.health("cam-1", matthan.StateOffline, matthan.StateConnecting, t0.Add(time.Second), "")      // no change
	e.health("cam-1", matthan.StateOffline, matthan.StateAuthFailed, t0.Add(5*time.Second), "401") // another reason
	e.waitGaps("cam-1", 2, true)
	e.health("cam-1", matthan.StateAuthFailed, matthan.StateStreaming, t0.Add(9*time.Second), "")
	gaps := e.waitGaps("cam-1", 2, false)
	want := []matthan.Gap{
		{Start: t0, End: t0.Add(5 * time.Second), Reason: matthan.GapOffline, Detail: "the camera did not answer"},
		{Start: t0.Add(5 * time.Second), End: t0.Add(9 * time.Second), Reason: matthan.GapAuthFailed, Detail: "401"},
	}
	for i, g := range gaps {
		if !g.Start.Equal(want[i].Start) || !g.End.Equal(want[i].End) || g.Reason != want[i].Reason || g.Detail != want[i].Detail {
			t.Fatalf("gap %d: %+v, want %+v", i, g, want[i])
		}
	}
	// Streams that are not recorded have no gaps.
	e.health("cam-1", matthan.StateStreaming, matthan.StateOffline, t0.Add(20*time.Second), "")
	ev := &matthan.HealthEvent{CameraID: "cam-2", Stream: matthan.StreamSub, To: matthan.StateOffline, At: t0}
	e.bus.Publish(t.Context(), matthan.Event{Topic: matthan.TopicHealth, Data: ev})
	e.waitGaps("cam-1", 3, true)
	if g, _ := e.db.Gaps(t.Context(), matthan.GapFilter{CameraID: "cam-2"}); len(g) != 0 {
		t.Fatalf("gaps of a stream not recorded: %+v", g)
	}
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

// TestNodeStopped: a restart ends the gaps left open at the last moment the
// node was alive and records the time it was down as node_stopped, which
// ends when recording resumes.
func TestNodeStopped(t *testing.T) {
	root := t.TempDir()
	e := newEnv(t, root)
	e.addCamera("cam-1", true)
	e.addCamera("cam-off", true)
	wall0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	r, stop := e.start(Config{})
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 2}, wall0)
	publish(e.subscribed("cam-1", 1), clip, 0, 0)
	waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(len(clip.Units)) })
	e.health("cam-off", matthan.StateStreaming, matthan.StateOffline, wall0, "down")
	e.waitGaps("cam-off", 1, true)
	stop()
	alive := r.lastAlive()
	segEnd := e.segments("cam-1")[0].End
	if alive.Before(segEnd) {
		t.Fatalf("alive %v before the segment end %v", alive, segEnd)
	}

	// An hour later (by the clock), the node starts again.
	later := &fakeClock{t: alive.Add(time.Hour)}
	e.start(Config{Clock: later})
	g := e.waitGaps("cam-1", 1, true)[0]
	if g.Reason != matthan.GapNodeStopped || !g.Start.Equal(segEnd) {
		t.Fatalf("cam-1 gap %+v, want node_stopped from %v", g, segEnd)
	}
	off := e.waitGaps("cam-off", 2, true)
	if !off[0].End.Equal(alive.Truncate(time.Microsecond)) || off[1].Reason != matthan.GapNodeStopped || !off[1].Start.Equal(off[0].End) {
		t.Fatalf("cam-off gaps %+v, want offline ended at %v then node_stopped", off, alive)
	}
	// Recording resumes: the gap ends where the new segment starts.
	resume := later.t
	publish(e.subscribed("cam-1", 1), clip, time.Hour, resume.Sub(wall0)-time.Hour)
	got := e.waitGaps("cam-1", 1, false)[0]
	if !got.End.Equal(resume.Truncate(time.Microsecond)) {
		t.Fatalf("node_stopped gap ends %v, want %v", got.End, resume)
	}
}

// TestDiskFull: on a full file system the stream's recording pauses with a
// disk_full gap, what was written stays indexed and playable, the hub and
// its other subscribers go on untouched, and recording resumes once space
// returns.
func TestDiskFull(t *testing.T) {
	if os.Getuid() != 0 {
		inOwnNamespace(t)
		return
	}
	root := t.TempDir()
	mnt := filepath.Join(root, "rec")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mounting a 2 MiB tmpfs for the full disk: %v: %s", err, out)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	// Leave ~600 KiB free.
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 2<<20-600<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, root)
	e.addCamera("cam-1", true)
	r, _ := e.start(Config{SegmentDuration: 2 * time.Second, RetryInterval: 100 * time.Millisecond})
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 4, Width: 640, Height: 480}, time.Now())
	h := e.subscribed("cam-1", 1)
	other := h.Subscribe(100_000) // another consumer: live view, say
	defer other.Close()

	sent := 0
	shift := time.Duration(0)
	for len(e.gaps("cam-1")) == 0 {
		publish(h, clip, shift, 0)
		sent += len(clip.Units)
		shift += 4 * time.Second
		if shift > time.Minute {
			t.Fatal("the disk never filled")
		}
		waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(sent) })
	}
	g := e.gaps("cam-1")[0]
	if g.Reason != matthan.GapDiskFull || !g.End.IsZero() {
		t.Fatalf("gap %+v, want an open disk_full gap", g)
	}
	full := e.segments("cam-1")
	if len(full) == 0 {
		t.Fatal("nothing written before the disk filled is indexed")
	}
	verifySegments(t, e.dir, full)

	// Space returns: recording resumes and the gap ends.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // past RetryInterval
	publish(h, clip, shift, 0)
	sent += len(clip.Units)
	waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(sent) })
	gaps := e.waitGaps("cam-1", 1, false)
	segs := e.segments("cam-1")
	if len(segs) <= len(full) || !gaps[0].End.Equal(segs[len(full)].Start) {
		t.Fatalf("after space returned: gap %+v, segments %d (were %d)", gaps[0], len(segs), len(full))
	}
	if len(other.Units()) != sent || other.Skips() != 0 {
		t.Fatalf("the other subscriber got %d of %d units, %d skips", len(other.Units()), sent, other.Skips())
	}
}

// inOwnNamespace runs the calling test again in a user and mount namespace
// of its own (util-linux unshare), where it is root and may mount a tmpfs:
// a user who is not root still runs the disk-full test.
func inOwnNamespace(t *testing.T) {
	t.Helper()
	if os.Getenv("MATTHAN_TEST_NAMESPACE") != "" {
		t.Fatal("still not root inside the user namespace")
	}
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount",
		os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), "MATTHAN_TEST_NAMESPACE=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in its own user namespace:\n%s", out)
	if err != nil {
		t.Fatalf("%s in a user namespace: %v (unprivileged user namespaces must be allowed, or run as root)", t.Name(), err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s did not pass in its user namespace", t.Name())
	}
}

// TestFellBehind: a recorder that cannot keep up with its stream (here:
// 8 s of video published at once into a queue of 8 units) is skipped by
// the hub to a later keyframe; it ends its segment where the samples end
// and stores the hole as an overload gap, so that the timeline has no
// silent hole and every file stays whole.
func TestFellBehind(t *testing.T) {
	e := newEnv(t, "")
	e.addCamera("cam-1", true)
	_, stop := e.start(Config{SegmentDuration: 2 * time.Second, Queue: 8})
	wall0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 8}, wall0)
	h := e.subscribed("cam-1", 1)
	publish(h, clip, 0, 0) // far faster than the recorder takes it
	// The stream goes on at a camera's pace; its next keyframe tells the
	// recorder where the hole is.
	for _, u := range clip.Units {
		cp := *u
		cp.PTS += 8 * time.Second
		cp.Wall = cp.Wall.Add(8 * time.Second)
		h.WriteUnit(&cp)
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(t, "the overload gap", func() bool {
		for _, g := range e.gaps("cam-1") {
			if g.Reason == matthan.GapOverload {
				return true
			}
		}
		return false
	})
	stop()

	segs := e.segments("cam-1")
	verifySegments(t, e.dir, segs)
	var overload []*matthan.Gap
	for _, g := range e.gaps("cam-1") {
		if g.Reason == matthan.GapOverload {
			overload = append(overload, g)
		}
	}
	if len(overload) == 0 || len(segs) < 2 || !strings.Contains(overload[0].Detail, "fell behind") {
		t.Fatalf("segments %d, overload gaps %+v", len(segs), overload)
	}
	// Segments and the gap tile the timeline: none overlaps another.
	g := overload[0]
	for _, s := range segs {
		if s.Start.Before(g.End) && g.Start.Before(s.End) {
			t.Fatalf("segment %v–%v overlaps the gap %v–%v", s.Start, s.End, g.Start, g.End)
		}
	}
	if !g.Start.Equal(segs[0].End) {
		t.Errorf("the gap starts %v, the first segment ends %v", g.Start, segs[0].End)
	}
}
