package pipeline

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"time"

	"matthan"
	"matthan/internal/analytics"
	"matthan/internal/analytics/helmet"
	"matthan/internal/analytics/rules"
	"matthan/internal/analytics/track"
)

// helmetMinBikeSpeed is how fast, in px/s, a motorcycle must move for its
// riders to be checked: the riders rule's default, so people standing by a
// parked bike are never judged.
const helmetMinBikeSpeed = 15

// helmetUpdateEvery is how often an ongoing no-helmet event is re-sent
// (same ID, later end, maybe a better snapshot) while the rider stays in view.
const helmetUpdateEvery = 10 * time.Second

var noHelmetText = rules.Text{
	EN: "A motorbike rider without a helmet",
	VI: "Người đi xe máy không đội mũ bảo hiểm",
}

// helmetCheck runs the no-helmet rule of one camera: it crops the riders of
// moving motorbikes, classifies the crops of a frame in one call, and votes
// per person track so one noisy crop never makes an event.
type helmetCheck struct {
	camera string
	model  helmet.Model
	vote   *helmet.Vote
	log    *slog.Logger
	seq    int
	events map[int64]*rules.Event // open event per person track
	sent   map[int64]time.Time    // when each was last sent

	// main gives main-stream frames for heads too small in the analysed
	// frame (nil: the camera has no other stream); pending are those
	// riders, waiting for the main stream's frame of their moment.
	main    mainFrames
	pending []pendingCrop
}

// pendingCrop is a rider whose head was too small in the analysed frame:
// the box is cut from the main stream's frame of the same moment, once the
// main stream's decoder, which runs behind, has it.
type pendingCrop struct {
	track int64
	box   analytics.Box // in the analysed frame
	at    time.Time
	w, h  int // the analysed frame's size
}

// mainWait is how long a pending crop waits for its main-stream frame.
const mainWait = time.Second

func newHelmetCheck(camera string, m helmet.Model, log *slog.Logger) *helmetCheck {
	return &helmetCheck{camera: camera, model: m, vote: helmet.NewVote(helmet.DefaultVote()), log: log,
		events: map[int64]*rules.Event{}, sent: map[int64]time.Time{}}
}

// riders returns the person tracks seen in this frame that ride a moving
// motorcycle seen in this frame (predicted boxes are not worth a crop).
func riders(tracks []*track.Track) []*track.Track {
	var out []*track.Track
	for _, p := range tracks {
		if p.Class != analytics.Person || p.Missed > 0 {
			continue
		}
		for _, m := range tracks {
			if m.Class == analytics.Motorcycle && m.Missed == 0 && m.Speed() >= helmetMinBikeSpeed && rules.Riding(p, m) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// clip bounds a box to the frame, as Crop expects.
func clip(b analytics.Box, w, h int) analytics.Box {
	fw, fh := float32(w), float32(h)
	return analytics.Box{X1: min(max(b.X1, 0), fw), Y1: min(max(b.Y1, 0), fh), X2: min(max(b.X2, 0), fw), Y2: min(max(b.Y2, 0), fh)}
}

// helmetStats are what one frame's check did, for the camera's counters.
type helmetStats struct {
	crops, tooSmall int
	fromMain        int // crops cut from the main stream
	mainBusy        int // riders left unjudged: every main-stream decoder was taken
	failed          bool
}

// step checks the riders in tracks (the tracker's output for frame f) and
// returns the events to fire: a track's event when its vote first says no
// helmet, then the same event again every helmetUpdateEvery while it lasts.
func (h *helmetCheck) step(ctx context.Context, f *analytics.Frame, tracks []*track.Track) ([]rules.Event, helmetStats) {
	var st helmetStats
	alive := map[int64]bool{}
	for _, t := range tracks {
		alive[t.ID] = true
	}
	h.vote.Forget(func(id int64) bool { return alive[id] })
	for id := range h.events {
		if !alive[id] {
			delete(h.events, id)
			delete(h.sent, id)
		}
	}

	var judged []int64
	var crops []*image.RGBA
	now := map[int64]*track.Track{}
	for _, p := range riders(tracks) {
		now[p.ID] = p
		box := clip(p.Detection, f.Width, f.Height)
		if box.Area() == 0 {
			continue
		}
		if helmet.NeedsMainStream(box) {
			if h.main == nil {
				st.tooSmall++ // a guess is worse than none
				h.log.Debug("analytics: rider's head too small to judge a helmet", "track", p.ID, "head_px", helmet.HeadPx(box))
				continue
			}
			if !h.main.want(ctx) {
				st.mainBusy++ // judged on a later frame, when a decoder is free
				continue
			}
			h.pending = append(h.pending, pendingCrop{track: p.ID, box: box, at: f.At, w: f.Width, h: f.Height})
			continue
		}
		judged = append(judged, p.ID)
		crops = append(crops, helmet.Crop(f, box))
	}
	// Riders waiting for the main stream: cut from its frame of their
	// moment, scaled from the analysed frame's box.
	waiting := h.pending[:0]
	for _, pc := range h.pending {
		if !alive[pc.track] {
			continue
		}
		mf := h.main.nearest(pc.at)
		switch {
		case mf != nil:
			box := clip(helmet.ScaleBox(pc.box, pc.w, pc.h, mf.Width, mf.Height), mf.Width, mf.Height)
			if helmet.NeedsMainStream(box) {
				st.tooSmall++ // too small even there
				continue
			}
			judged = append(judged, pc.track)
			crops = append(crops, helmet.Crop(mf, box))
			st.fromMain++
		case f.At.Sub(pc.at) > mainWait:
			st.tooSmall++ // the main stream never had that moment
		default:
			waiting = append(waiting, pc)
		}
	}
	clear(h.pending[len(waiting):])
	h.pending = waiting
	if len(crops) == 0 {
		return nil, st
	}
	st.crops = len(crops)
	probs, err := h.model.Classify(ctx, crops)
	if err == nil && len(probs) != len(crops) {
		err = fmt.Errorf("helmet: %d probabilities for %d crops", len(probs), len(crops))
	}
	if err != nil {
		st.failed = true
		h.log.Warn("analytics: helmet classification failed", "err", err)
		return nil, st
	}
	var out []rules.Event
	for i, id := range judged {
		// A crop from the main stream may be of a rider no longer riding
		// in this frame: their vote counts, an event waits for them.
		if !h.vote.Add(id, probs[i]) || now[id] == nil {
			continue
		}
		p := now[id]
		box := clip(p.Detection, f.Width, f.Height)
		ev := h.events[p.ID]
		if ev == nil {
			h.seq++
			ev = &rules.Event{
				ID:   fmt.Sprintf("%s-%s-%d-%d", h.camera, matthan.EventNoHelmet, f.At.UnixMilli(), h.seq),
				Type: matthan.EventNoHelmet, State: rules.Started, Camera: h.camera, Description: noHelmetText,
				Start: f.At, End: f.At, TrackIDs: []int64{p.ID}, Box: box, Class: analytics.Person, Severity: rules.Medium,
			}
			h.events[p.ID], h.sent[p.ID] = ev, f.At
			out = append(out, *ev)
			continue
		}
		// The box of this frame, drawn on its snapshot; the sink keeps the
		// snapshot whose box is biggest.
		ev.End, ev.Box = f.At, box
		if f.At.Sub(h.sent[p.ID]) >= helmetUpdateEvery {
			ev.State = rules.Updated
			h.sent[p.ID] = f.At
			out = append(out, *ev)
		}
	}
	return out, st
}
