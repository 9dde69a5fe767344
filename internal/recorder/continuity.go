package recorder

import (
	"context"
	"fmt"
	"slices"
	"time"

	"matthan"
)

// Vietnam keeps UTC+7 all year (no daylight saving), so a fixed zone is
// exact and needs no time zone database.

// Report is a camera stream's continuity over one day in Asia/Ho_Chi_Minh.
type Report struct {
	CameraID string             `json:"camera_id"`
	Stream   matthan.StreamRole `json:"stream"`
	Day      string             `json:"day"` // dd/MM/yyyy
	// From and To bound what is measured, in UTC: the local day, or its
	// elapsed part when the day is today.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Recorded is the media time recorded within [From, To).
	Recorded time.Duration `json:"recorded"`
	// Uptime is Recorded as a percentage of To − From.
	Uptime float64 `json:"uptime"`
	// Gaps are the recorded gaps overlapping the day, clipped to it; an open
	// gap ends at To and has Open set.
	Gaps []ReportGap `json:"gaps"`
	// Unexplained is the time neither recorded nor covered by a gap record
	// (the first seconds of a session before its first keyframe, say).
	Unexplained time.Duration `json:"unexplained"`
}

// ReportGap is a gap as a report shows it.
type ReportGap struct {
	Start  time.Time         `json:"start"`
	End    time.Time         `json:"end"`
	Reason matthan.GapReason `json:"reason"`
	Detail string            `json:"detail,omitempty"`
	Open   bool              `json:"open,omitempty"`
}

// Continuity reports how much of a day (a date in Asia/Ho_Chi_Minh) a
// camera stream was recorded, and the gaps with their reasons.
func Continuity(ctx context.Context, index matthan.RecordingIndex, cameraID string, stream matthan.StreamRole, day time.Time) (Report, error) {
	return ContinuityAt(ctx, index, cameraID, stream, day, time.Now())
}

// ContinuityAt is Continuity measured at time now.
func ContinuityAt(ctx context.Context, index matthan.RecordingIndex, cameraID string, stream matthan.StreamRole, day, now time.Time) (Report, error) {
	d := day.In(matthan.Vietnam)
	from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, matthan.Vietnam).UTC()
	to := from.Add(24 * time.Hour)
	if now.Before(to) {
		to = now.UTC()
	}
	rep := Report{CameraID: cameraID, Stream: stream, Day: d.Format("02/01/2006"), From: from, To: to, Gaps: []ReportGap{}}
	if !to.After(from) {
		return rep, &matthan.Error{Code: matthan.EINVALID,
			Message:   fmt.Sprintf("the day %s has not started yet", rep.Day),
			MessageVI: fmt.Sprintf("ngày %s chưa bắt đầu", rep.Day)}
	}
	segs, err := index.Segments(ctx, matthan.SegmentFilter{CameraID: cameraID, Stream: stream, From: from, To: to, Limit: 10_000})
	if err != nil {
		return rep, fmt.Errorf("continuity: %w", err)
	}
	gaps, err := index.Gaps(ctx, matthan.GapFilter{CameraID: cameraID, Stream: stream, From: from, To: to, Limit: 10_000})
	if err != nil {
		return rep, fmt.Errorf("continuity: %w", err)
	}
	var recorded, covered []span
	for _, s := range segs {
		if sp, ok := clip(s.Start, s.End, from, to); ok {
			recorded = append(recorded, sp)
		}
	}
	for _, g := range gaps {
		end, open := g.End, g.End.IsZero()
		if open {
			end = to
		}
		sp, ok := clip(g.Start, end, from, to)
		if !ok {
			continue
		}
		rep.Gaps = append(rep.Gaps, ReportGap{Start: sp.from, End: sp.to, Reason: g.Reason, Detail: g.Detail, Open: open})
		covered = append(covered, sp)
	}
	rep.Recorded = total(union(recorded))
	rep.Uptime = 100 * rep.Recorded.Seconds() / to.Sub(from).Seconds()
	rep.Unexplained = to.Sub(from) - total(union(append(covered, recorded...)))
	return rep, nil
}

type span struct{ from, to time.Time }

func clip(a, b, from, to time.Time) (span, bool) {
	if a.Before(from) {
		a = from
	}
	if b.After(to) {
		b = to
	}
	return span{a, b}, b.After(a)
}

// union merges overlapping spans.
func union(ss []span) []span {
	slices.SortFunc(ss, func(a, b span) int { return a.from.Compare(b.from) })
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && !s.from.After(out[n-1].to) {
			if s.to.After(out[n-1].to) {
				out[n-1].to = s.to
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

func total(ss []span) time.Duration {
	var d time.Duration
	for _, s := range ss {
		d += s.to.Sub(s.from)
	}
	return d
}
