package recorder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/playback"
)

// TestOpenSegmentIsPlayable: the minutes being recorded now can be played
// back before their segment closes, and Cut closes it for an export.
func TestOpenSegmentIsPlayable(t *testing.T) {
	e := newEnv(t, "")
	e.addCamera("cam-1", true)
	r, _ := e.start(Config{SegmentDuration: time.Hour})
	wall0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 4}, wall0)
	h := e.subscribed("cam-1", 1)
	publish(h, clip, 0, 0)
	waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(len(clip.Units)) })
	waitFor(t, "fragments published", func() bool {
		segs, err := r.Index().Segments(t.Context(), matthan.SegmentFilter{CameraID: "cam-1", Stream: matthan.StreamMain})
		return err == nil && len(segs) == 1 && segs[0].End.Sub(wall0) >= 3*time.Second
	})
	if n := len(e.segments("cam-1")); n != 0 {
		t.Fatalf("%d stored rows while the segment is open", n)
	}

	idx := r.Index()
	segs, err := idx.Segments(t.Context(), matthan.SegmentFilter{CameraID: "cam-1", Stream: matthan.StreamMain,
		From: wall0.Add(time.Second), To: wall0.Add(2 * time.Second)})
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments: %v %v", segs, err)
	}
	open := segs[0]
	if !open.Open || open.SHA256 != "" || open.Frames == 0 || len(open.Keyframes) == 0 || !open.Start.Equal(wall0) {
		t.Fatalf("open segment: %+v", open)
	}
	if other, _ := idx.Segments(t.Context(), matthan.SegmentFilter{CameraID: "cam-2"}); len(other) != 0 {
		t.Fatalf("another camera's filter found %v", other)
	}
	if got, err := idx.SegmentByPath(t.Context(), open.Path); err != nil || !got.Open {
		t.Fatalf("by path: %+v %v", got, err)
	}

	// Playback serves the open segment's whole fragments as a clean MP4.
	c, err := playback.Open(t.Context(), idx, e.dir, "cam-1", matthan.StreamMain, wall0.Add(time.Second), wall0.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "clip.mp4")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c.Close()
	pr := fmp4test.ProbeFile(t, out)
	if pr.Errors != "" {
		t.Fatalf("ffprobe: %s", pr.Errors)
	}
	if v := pr.Video(t); v.Frames < 50 {
		t.Fatalf("clip of the open segment has %d frames, want ≥ 50", v.Frames)
	}

	// Cut: the open segment ends at the next keyframe and is indexed, with
	// its hash, before Cut returns.
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- r.Cut(ctx, "cam-1", matthan.StreamMain, wall0.Add(2*time.Second))
	}()
	waitFor(t, "cut requested", func() bool {
		r.reconcileMu.Lock()
		defer r.reconcileMu.Unlock()
		return r.streams[key{"cam-1", matthan.StreamMain}].cut.Load()
	})
	publish(h, clip, 4*time.Second, 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stored := e.segments("cam-1")
	if len(stored) != 1 || stored[0].Path != open.Path || stored[0].Frames != 100 || stored[0].SHA256 == "" {
		t.Fatalf("after Cut: %+v", stored)
	}
	verifySegments(t, e.dir, stored)
	if err := r.Cut(t.Context(), "cam-1", matthan.StreamMain, wall0); err != nil {
		t.Fatalf("nothing to cut before the open segment began: %v", err)
	}
}
