package recorder

import (
	"context"
	"slices"
	"time"

	"matthan"
)

// Index returns the recording index as playback sees it: the stored
// segments, plus each stream's open segment as far as its fragments reached
// the file (Segment.Open), so the last minutes can be watched before their
// segment closes and is indexed. The hash chain and exports use the stored
// index only: an open segment has no SHA-256 yet (see Cut).
func (r *Recorder) Index() matthan.RecordingIndex { return liveIndex{r.index, r} }

type liveIndex struct {
	matthan.RecordingIndex
	r *Recorder
}

func (l liveIndex) Segments(ctx context.Context, f matthan.SegmentFilter) ([]*matthan.Segment, error) {
	segs, err := l.RecordingIndex.Segments(ctx, f)
	if err != nil || (f.Limit > 0 && len(segs) >= f.Limit) {
		return segs, err // the open segments, newest of all, belong to a later page
	}
	for _, o := range l.r.openSegments() {
		if (f.CameraID == "" || o.CameraID == f.CameraID) && (f.Stream == "" || o.Stream == f.Stream) &&
			(f.To.IsZero() || o.Start.Before(f.To)) && (f.From.IsZero() || o.End.After(f.From)) &&
			!slices.ContainsFunc(segs, func(s *matthan.Segment) bool { return s.Path == o.Path }) {
			segs = append(segs, o)
		}
	}
	slices.SortStableFunc(segs, func(a, b *matthan.Segment) int { return a.Start.Compare(b.Start) })
	return segs, nil
}

func (l liveIndex) SegmentByPath(ctx context.Context, path string) (*matthan.Segment, error) {
	for _, o := range l.r.openSegments() {
		if o.Path == path {
			return o, nil
		}
	}
	return l.RecordingIndex.SegmentByPath(ctx, path)
}

// openSegments returns the open segment of every stream that has one.
func (r *Recorder) openSegments() []*matthan.Segment {
	r.reconcileMu.Lock()
	defer r.reconcileMu.Unlock()
	var out []*matthan.Segment
	for _, s := range r.streams {
		if o := s.live.Load(); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// Cut ends a stream's open segment at its next keyframe, if it began
// before t, and waits until that segment is indexed: an export of the
// last minutes then has whole, hashed files to pack. It returns at once
// when nothing needs cutting, and ctx bounds the wait (a keyframe comes
// every few seconds).
func (r *Recorder) Cut(ctx context.Context, cameraID string, role matthan.StreamRole, t time.Time) error {
	r.reconcileMu.Lock()
	s := r.streams[key{cameraID, role}]
	r.reconcileMu.Unlock()
	if s == nil {
		return nil
	}
	open := s.live.Load()
	if open == nil || !open.Start.Before(t) {
		return nil
	}
	s.cut.Store(true)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if o := s.live.Load(); o == nil || o.Path != open.Path {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
