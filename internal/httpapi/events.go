package httpapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"matthan"
	"matthan/internal/analytics/events"
)

// Analytics events and the review queue: what the ward's rules noticed,
// with a snapshot and a link to the footage around it. Officers mark each
// event confirmed or a false alarm; the marks are labels for evaluation.

// eventView is an event as the API shows it: times also in Vietnam time,
// the snapshot as a URL, and the footage that shows it.
type eventView struct {
	*matthan.AnalyticsEvent
	SnapshotPath    string      `json:"snapshot_path,omitempty"` // hides the file path on disk
	SnapshotURL     string      `json:"snapshot_url,omitempty"`
	StartLocal      string      `json:"start_local"`
	EndLocal        string      `json:"end_local"`
	ReviewedAtLocal string      `json:"reviewed_at_local,omitempty"`
	Footage         footageView `json:"footage"`
}

// footageView is the recording span around an event, with the pre- and
// post-roll, and the clip URL that plays it.
type footageView struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	FromLocal string    `json:"from_local"`
	ToLocal   string    `json:"to_local"`
	ClipURL   string    `json:"clip_url"`
}

func viewEvent(e *matthan.AnalyticsEvent) eventView {
	from, to := e.Footage(events.DefaultPreRoll, events.DefaultPostRoll)
	v := eventView{AnalyticsEvent: e, StartLocal: matthan.FormatLocal(e.Start), EndLocal: matthan.FormatLocal(e.End),
		Footage: footageView{From: from.UTC(), To: to.UTC(), FromLocal: matthan.FormatLocal(from), ToLocal: matthan.FormatLocal(to),
			ClipURL: "/api/cameras/" + url.PathEscape(e.CameraID) + "/clip.mp4?from=" + url.QueryEscape(from.UTC().Format(time.RFC3339Nano)) +
				"&to=" + url.QueryEscape(to.UTC().Format(time.RFC3339Nano))}}
	if e.SnapshotPath != "" {
		v.SnapshotURL = "/api/events/" + url.PathEscape(e.ID) + "/snapshot.jpg"
	}
	if !e.ReviewedAt.IsZero() {
		v.ReviewedAtLocal = matthan.FormatLocal(e.ReviewedAt)
	}
	return v
}

func errEventsOff() error {
	return matthan.Errorf(matthan.ENOTFOUND,
		"Street analytics are not enabled on this node",
		"Nút này chưa bật phân tích hình ảnh đường phố")
}

// eventsStore returns the event store, or the 404 when there is none.
func (s *Server) eventsStore() (matthan.EventStore, error) {
	if s.deps.Events == nil {
		return nil, errEventsOff()
	}
	return s.deps.Events, nil
}

// GET /api/events?camera=&type=&review=none|confirmed|false_alarm&from=&to=&limit=
// lists events newest first, those of footage the camera's owner does not
// share left out (so a page may hold fewer than limit).
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	st, err := s.eventsStore()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := matthan.AnalyticsEventFilter{CameraID: q.Get("camera"), Type: matthan.EventType(q.Get("type")), Review: matthan.Review(q.Get("review"))}
	var bad fieldErrors
	if f.Type != "" && !slices.Contains(matthan.EventTypes, f.Type) {
		bad.add("type", "Unknown event type", "Loại sự kiện không hợp lệ")
	}
	if f.Review != "" && !slices.Contains(matthan.Reviews, f.Review) {
		bad.add("review", "Must be none, confirmed or false_alarm", "Phải là none, confirmed hoặc false_alarm")
	}
	for _, name := range []string{"from", "to"} {
		t, _, err := queryTime(q, name)
		var e *matthan.Error
		if errors.As(err, &e) {
			bad = append(bad, e.Fields...)
		}
		if name == "from" {
			f.From = t
		} else {
			f.To = t
		}
	}
	bad.rangeAfter(f.From, f.To)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad.add("limit", "Must be a number from 1 to 1000", "Phải là số từ 1 đến 1000")
		}
		f.Limit = n
	}
	if err := bad.err("Invalid query", "Tham số truy vấn không hợp lệ"); err != nil {
		return err
	}
	list, err := st.AnalyticsEvents(r.Context(), f)
	if err != nil {
		return err
	}
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return err
	}
	byID := make(map[string]*matthan.Camera, len(cams))
	for _, c := range cams {
		byID[c.ID] = c
	}
	// An event tells what a camera saw: it is left out where its owner
	// does not share that moment's footage.
	// An on-request camera's events show where the owner granted the
	// user that footage (its grants read once per camera).
	grants := map[string][]*matthan.AccessRequest{}
	out := make([]eventView, 0, len(list))
	for _, e := range list {
		c := byID[e.CameraID]
		if c == nil || sharedAt(c, matthan.AccessPlayback, e.Start) == nil {
			out = append(out, viewEvent(e))
			continue
		}
		g, ok := grants[c.ID]
		if !ok {
			g = s.grants(r, c)
			grants[c.ID] = g
		}
		if s.covers(g, e.Start, e.Start) {
			out = append(out, viewEvent(e))
		}
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// GET /api/events/{id}
func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	st, err := s.eventsStore()
	if err != nil {
		return err
	}
	e, err := st.AnalyticsEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.playbackShared(r, e.CameraID, e.Start, e.Start); err != nil && matthan.ErrorCode(err) != matthan.ENOTFOUND {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, viewEvent(e))
	return nil
}

// GET /api/events/{id}/snapshot.jpg serves the event's snapshot. It shows
// people: each view is audited first, and a failing audit refuses it.
func (s *Server) handleEventSnapshot(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.eventsStore()
	if err != nil {
		return err
	}
	e, err := st.AnalyticsEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	// A snapshot is footage of its camera at the event's start. A camera
	// deleted since is the ward's record now: its events stay viewable.
	if err := s.playbackShared(r, e.CameraID, e.Start, e.Start); err != nil && matthan.ErrorCode(err) != matthan.ENOTFOUND {
		return err
	}
	errNoSnapshot := matthan.Errorf(matthan.ENOTFOUND, "This event has no snapshot", "Sự kiện này không có ảnh chụp")
	rel := filepath.FromSlash(e.SnapshotPath)
	if e.SnapshotPath == "" || s.deps.EventsDir == "" || !filepath.IsLocal(rel) {
		return errNoSnapshot
	}
	jpeg, err := os.ReadFile(filepath.Join(s.deps.EventsDir, rel))
	if errors.Is(err, fs.ErrNotExist) {
		return errNoSnapshot
	}
	if err != nil {
		return fmt.Errorf("snapshot of event %s: %w", e.ID, err)
	}
	if jpeg, err = s.maskSnapshot(r.Context(), e.CameraID, jpeg); err != nil {
		return err
	}
	if err := s.auditPlayback(r, u, "event.snapshot", e.CameraID, "", "event="+e.ID); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(jpeg)
	return nil
}

// reviewInput is the body of POST /api/events/{id}/review.
type reviewInput struct {
	Review matthan.Review `json:"review"`
	Note   string         `json:"note"`
}

// POST /api/events/{id}/review {review, note} records the officer's verdict.
func (s *Server) handleReviewEvent(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.eventsStore()
	if err != nil {
		return err
	}
	var in reviewInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var bad fieldErrors
	if !slices.Contains(matthan.Reviews, in.Review) {
		bad.add("review", "Must be none, confirmed or false_alarm", "Phải là none, confirmed hoặc false_alarm")
	}
	in.Note = bad.text("note", in.Note, false)
	if err := bad.err("The review has invalid fields", "Đánh giá có trường không hợp lệ"); err != nil {
		return err
	}
	e, err := st.ReviewAnalyticsEvent(r.Context(), r.PathValue("id"), in.Review, in.Note, u.Name, s.now().UTC())
	if err != nil {
		return err
	}
	s.auditEvidence(r, u, "event.review", e.CameraID, fmt.Sprintf("event=%s review=%s note=%q", e.ID, e.Review, e.ReviewNote))
	s.writeJSON(w, r, http.StatusOK, viewEvent(e))
	return nil
}
