package playback

import (
	"context"
	"fmt"
	"time"

	"matthan"
)

// SpanTolerance is the largest hole between two segments that still counts
// as continuous recording: segments are rotated on a keyframe, so the next
// one starts where the last ended, give or take clock jitter.
const SpanTolerance = 500 * time.Millisecond

// Span is a stretch of continuous recording: consecutive segments with the
// same codec, size and audio, each starting within SpanTolerance of the end
// of the one before.
type Span struct {
	Start    time.Time `json:"start"` // UTC
	End      time.Time `json:"end"`
	Segments int       `json:"segments"`
	Bytes    int64     `json:"bytes"`
	Codec    string    `json:"codec"`
	Width    int       `json:"width"`
	Height   int       `json:"height"`
	Audio    string    `json:"audio,omitempty"`
}

// Spans returns the recorded spans of a camera stream overlapping
// [from, to), and the stored gaps overlapping it with their reasons. Both
// are as recorded, not cut to the range; zero bounds are open.
func Spans(ctx context.Context, index matthan.RecordingIndex, cameraID string, stream matthan.StreamRole, from, to time.Time) ([]Span, []*matthan.Gap, error) {
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return nil, nil, errBadRange()
	}
	segs, err := segmentsIn(ctx, index, cameraID, stream, from, to)
	if err != nil {
		return nil, nil, err
	}
	spans := []Span{}
	for _, s := range segs {
		if n := len(spans); n > 0 {
			last := &spans[n-1]
			if d := s.Start.Sub(last.End); d <= SpanTolerance && d >= -SpanTolerance &&
				last.Codec == s.Codec && last.Width == s.Width && last.Height == s.Height && last.Audio == s.Audio {
				last.End = maxTime(last.End, s.End)
				last.Segments++
				last.Bytes += s.Bytes
				continue
			}
		}
		spans = append(spans, Span{Start: s.Start, End: s.End, Segments: 1, Bytes: s.Bytes,
			Codec: s.Codec, Width: s.Width, Height: s.Height, Audio: s.Audio})
	}
	gaps, err := index.Gaps(ctx, matthan.GapFilter{CameraID: cameraID, Stream: stream, From: from, To: to, Limit: 10000})
	if err != nil {
		return nil, nil, fmt.Errorf("playback: gaps: %w", err)
	}
	if gaps == nil {
		gaps = []*matthan.Gap{}
	}
	return spans, gaps, nil
}

// segmentPage is how many segments one index query asks for.
const segmentPage = 5000

// segmentsIn returns every segment overlapping [from, to) in order, asking
// the index page by page (a store may cap a page below what we ask).
// Segments of a stream do not overlap, so a page resumes where the last
// segment of the one before ends.
func segmentsIn(ctx context.Context, index matthan.RecordingIndex, cameraID string, stream matthan.StreamRole, from, to time.Time) ([]*matthan.Segment, error) {
	return segmentsPaged(ctx, index, cameraID, stream, from, to, segmentPage)
}

func segmentsPaged(ctx context.Context, index matthan.RecordingIndex, cameraID string, stream matthan.StreamRole, from, to time.Time, pageSize int) ([]*matthan.Segment, error) {
	var out []*matthan.Segment
	seen := map[string]bool{} // by path: an open segment has no ID yet
	for f := from; ; {
		page, err := index.Segments(ctx, matthan.SegmentFilter{CameraID: cameraID, Stream: stream, From: f, To: to, Limit: pageSize})
		if err != nil {
			return nil, fmt.Errorf("playback: segments: %w", err)
		}
		added := 0
		for _, s := range page {
			if !seen[s.Path] {
				seen[s.Path] = true
				out = append(out, s)
				added++
			}
		}
		if added == 0 {
			return out, nil
		}
		next := page[len(page)-1].End
		if !next.After(f) {
			return out, nil
		}
		f = next
	}
}
