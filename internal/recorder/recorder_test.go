package recorder

import (
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// TestRecord records a real encoded stream through a hub and checks every
// segment: rotation at the first keyframe after SegmentDuration, ffprobe
// reads each with no error, frames, keyframes and times match, and the rows
// form a hash chain over the files' real hashes (the checking index also
// proves each file was complete before its row was added).
func TestRecord(t *testing.T) {
	wall0 := time.Date(2026, 3, 1, 23, 59, 57, 0, time.UTC) // crosses midnight UTC
	tests := []struct {
		name   string
		spec   fmp4test.ClipSpec
		audio  string
		frames []int64 // per segment
	}{
		{"h264 aac", fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 7}, "AAC", []int64{50, 50, 50, 25}},
		{"h265 g711 long GOP", fmp4test.ClipSpec{Codec: media.H265, Audio: media.G711, Seconds: 6, GOP: 75}, "G711", []int64{75, 75}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.addCamera("cam-1", true)
			r, stop := e.start(Config{SegmentDuration: 2 * time.Second})
			clip := fmp4test.MakeClip(t, tc.spec, wall0)
			h := e.subscribed("cam-1", 1)
			publish(h, clip, 0, 0)
			waitFor(t, "units handled", func() bool { return r.handledUnits("cam-1") == uint64(len(clip.Units)) })
			stop() // finishes the open segment

			segs := e.segments("cam-1")
			if len(segs) != len(tc.frames) {
				t.Fatalf("%d segments, want %d", len(segs), len(tc.frames))
			}
			verifySegments(t, e.dir, segs)
			var total time.Duration
			for i, s := range segs {
				if s.Frames != tc.frames[i] || s.Codec != string(tc.spec.Codec) || s.Audio != tc.audio || s.Width != 320 || s.Recovered {
					t.Fatalf("segment %d: %+v", i, s)
				}
				want := segmentPath("cam-1", matthan.StreamMain, s.Start, 1)
				if s.Path != want {
					t.Fatalf("path %s, want %s", s.Path, want)
				}
				if i > 0 && !s.Start.Equal(segs[i-1].End) {
					t.Fatalf("segment %d starts %v, the previous ends %v", i, s.Start, segs[i-1].End)
				}
				total += s.Duration
			}
			if !segs[0].Start.Equal(wall0) || total != time.Duration(tc.spec.Seconds)*time.Second {
				t.Fatalf("start %v, total %v", segs[0].Start, total)
			}
			if last := segs[len(segs)-1]; last.Path[:16] != "cam-1/2026-03-02" {
				t.Fatalf("a segment after midnight UTC is under %s", last.Path)
			}
			if len(e.gaps("cam-1")) != 0 {
				t.Fatalf("gaps: %+v", e.gaps("cam-1"))
			}
		})
	}
}
