package recorder

import (
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// TestContinuity: a day in Asia/Ho_Chi_Minh, with segments and gaps that
// cross its edges, and today's elapsed part.
func TestContinuity(t *testing.T) {
	e := newEnv(t, "")
	ctx := t.Context()
	// 05/03/2026 in Vietnam is [04/03 17:00 UTC, 05/03 17:00 UTC).
	dayStart := time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return dayStart.Add(time.Duration(h * float64(time.Hour))) }
	seg := func(from, to float64) {
		s := &matthan.Segment{CameraID: "cam-1", Stream: matthan.StreamMain, Path: "cam-1/x/" + at(from).Format(fileTimeLayout) + ".mp4",
			Start: at(from), End: at(to), Duration: at(to).Sub(at(from))}
		if err := e.db.AddSegment(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	gap := func(from, to float64, reason matthan.GapReason) {
		g := &matthan.Gap{CameraID: "cam-1", Stream: matthan.StreamMain, Start: at(from), Reason: reason}
		if to > 0 {
			g.End = at(to)
		}
		if err := e.db.AddGap(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	seg(-1, 2) // from the day before: 2 h count
	gap(2, 3, matthan.GapOffline)
	seg(3, 10) // 7 h
	gap(10, 12, matthan.GapDiskFull)
	seg(12, 23)                        // 11 h
	gap(23, 0, matthan.GapNodeStopped) // still open
	day := time.Date(2026, 3, 5, 12, 0, 0, 0, time.FixedZone("ICT", 7*3600))

	rep, err := ContinuityAt(ctx, e.db, "cam-1", matthan.StreamMain, day, at(48))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Day != "05/03/2026" || !rep.From.Equal(dayStart) || !rep.To.Equal(at(24)) {
		t.Fatalf("report bounds %s %v–%v", rep.Day, rep.From, rep.To)
	}
	if rep.Recorded != 20*time.Hour || rep.Uptime < 83.33 || rep.Uptime > 83.34 || rep.Unexplained != 0 {
		t.Fatalf("recorded %v, uptime %.2f%%, unexplained %v", rep.Recorded, rep.Uptime, rep.Unexplained)
	}
	want := []ReportGap{
		{Start: at(2), End: at(3), Reason: matthan.GapOffline},
		{Start: at(10), End: at(12), Reason: matthan.GapDiskFull},
		{Start: at(23), End: at(24), Reason: matthan.GapNodeStopped, Open: true},
	}
	if len(rep.Gaps) != len(want) {
		t.Fatalf("gaps %+v", rep.Gaps)
	}
	for i := range want {
		if g := rep.Gaps[i]; !g.Start.Equal(want[i].Start) || !g.End.Equal(want[i].End) || g.Reason != want[i].Reason || g.Open != want[i].Open {
			t.Fatalf("gap %d: %+v, want %+v", i, g, want[i])
		}
	}

	// Today, at 11:00 local: 11 h elapsed, 9 recorded, 1 offline, 1 unexplained... no: 2+7 recorded.
	rep, err = ContinuityAt(ctx, e.db, "cam-1", matthan.StreamMain, day, at(11))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.To.Equal(at(11)) || rep.Recorded != 9*time.Hour || len(rep.Gaps) != 2 || !rep.Gaps[1].End.Equal(at(11)) {
		t.Fatalf("today: %+v", rep)
	}
	if _, err := ContinuityAt(ctx, e.db, "cam-1", matthan.StreamMain, day, at(-1)); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Fatalf("a day not yet begun: %v", err)
	}
}

// TestClockSteps: the node's wall clock jumps back an hour, then forward
// a minute: each starts a new segment at the next keyframe; times stay
// monotonic (no overlap, no negative segment) and durations come from media
// time.
func TestClockSteps(t *testing.T) {
	e := newEnv(t, "")
	e.addCamera("cam-1", true)
	r, stop := e.start(Config{SegmentDuration: time.Hour})
	wall0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 6}, wall0)
	for _, u := range clip.Units {
		switch {
		case u.PTS >= 4500*time.Millisecond:
			u.Wall = u.Wall.Add(-time.Hour + time.Minute)
		case u.PTS >= 2500*time.Millisecond:
			u.Wall = u.Wall.Add(-time.Hour)
		}
	}
	publish(e.subscribed("cam-1", 1), clip, 0, 0)
	waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(len(clip.Units)) })
	stop()
	segs := e.segments("cam-1")
	verifySegments(t, e.dir, segs)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	d := []time.Duration{3 * time.Second, 2 * time.Second, time.Second}
	for i, s := range segs {
		if s.Duration != d[i] {
			t.Fatalf("segment %d lasts %v, want %v", i, s.Duration, d[i])
		}
	}
	// Back an hour: the second segment starts where the first ended.
	if !segs[1].Start.Equal(segs[0].End) {
		t.Fatalf("after the step back: %v, want %v", segs[1].Start, segs[0].End)
	}
	// Forward: the wall clock is believed again (5 s in media, +1 min − 1 h in wall: still behind).
	if segs[2].Start.Before(segs[1].End) {
		t.Fatalf("overlap: %v before %v", segs[2].Start, segs[1].End)
	}
}

// TestCameraChanged: disabling a camera finishes and indexes its segment
// and opens a disabled gap; enabling it records again and ends the gap.
func TestCameraChanged(t *testing.T) {
	e := newEnv(t, "")
	e.addCamera("cam-1", true)
	r, _ := e.start(Config{})
	wall0 := time.Now().UTC()
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 2}, wall0)
	h := e.subscribed("cam-1", 1)
	publish(h, clip, 0, 0)
	waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(len(clip.Units)) })

	c, err := e.db.Camera(t.Context(), "cam-1")
	if err != nil {
		t.Fatal(err)
	}
	c.Enabled = false
	if err := e.db.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	r.CameraChanged("cam-1")
	if segs := e.segments("cam-1"); len(segs) != 1 || segs[0].Frames != 50 || h.Subscribers() != 0 {
		t.Fatalf("after disabling: %d segments, %d subscribers", len(segs), h.Subscribers())
	}
	if g := e.waitGaps("cam-1", 1, true); g[0].Reason != matthan.GapDisabled {
		t.Fatalf("gap %+v", g[0])
	}
	c.Enabled = true
	if err := e.db.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	r.CameraChanged("cam-1")
	publish(e.subscribed("cam-1", 1), clip, 10*time.Second, 0)
	e.waitGaps("cam-1", 1, false)
}
