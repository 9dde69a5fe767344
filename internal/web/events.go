package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"matthan"
)

// alert is one line of the banner every page shows: a camera that is down
// now, or one that came back.
type alert struct {
	CameraID   string              `json:"camera_id"`
	CameraName string              `json:"camera_name"`
	Stream     matthan.StreamRole  `json:"stream"`
	State      matthan.StreamState `json:"state"`
	Reason     string              `json:"reason"`
	ReasonVI   string              `json:"reason_vi"`
	Since      string              `json:"since"` // dd/MM/yyyy HH:mm:ss
	Down       bool                `json:"down"`
}

// liveEvent is an analytics event as the screen hears of it (event
// "analytics" on /events): sent when a rule fires and again on each update
// (a later end, a snapshot, a review), so pages key it by ID.
type liveEvent struct {
	ID         string            `json:"id"`
	Type       matthan.EventType `json:"type"`
	CameraID   string            `json:"camera_id"`
	CameraName string            `json:"camera_name"`
	Zone       string            `json:"zone,omitempty"`
	Summary    string            `json:"summary"`
	SummaryVI  string            `json:"summary_vi"`
	Severity   matthan.Severity  `json:"severity"`
	Start      string            `json:"start"` // RFC 3339 UTC, for links to playback
	StartLocal string            `json:"start_local"`
	EndLocal   string            `json:"end_local"`
	Review     matthan.Review    `json:"review"`
}

func newLiveEvent(e *matthan.AnalyticsEvent, names map[string]string) liveEvent {
	name, known := names[e.CameraID]
	if !known {
		name = e.CameraID
	}
	return liveEvent{ID: e.ID, Type: e.Type, CameraID: e.CameraID, CameraName: name, Zone: e.Zone,
		Summary: e.Summary, SummaryVI: e.SummaryVI, Severity: e.Severity,
		Start: e.Start.UTC().Format(time.RFC3339Nano), StartLocal: matthan.FormatLocal(e.Start),
		EndLocal: matthan.FormatLocal(e.End), Review: e.Review}
}

// down reports whether a state deserves an alert: the camera is meant to
// be streaming and is not.
func down(s matthan.StreamState) bool {
	switch s {
	case matthan.StateOffline, matthan.StateStalled, matthan.StateAuthFailed,
		matthan.StateUnsupported, matthan.StateBadURL:
		return true
	}
	return false
}

// handleEvents streams alerts as server-sent events: first every camera
// that is down now, then each change of health as it happens, and, for
// officers and admins, each analytics event as it fires or changes. The
// browser reconnects by itself when the stream breaks.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	u, err := s.deps.User(r)
	if err != nil {
		http.Error(w, "sign in", http.StatusUnauthorized)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ctx := r.Context()
	var events, analytics <-chan matthan.Event
	if s.deps.Bus != nil {
		var cancel func()
		events, cancel = s.deps.Bus.Subscribe(matthan.TopicHealth, 64)
		defer cancel()
		// Analytics events show people and places: only for those who may
		// review them.
		if canPlayBack(u.Role) {
			analytics, cancel = s.deps.Bus.Subscribe(matthan.TopicAnalytics, 64)
			defer cancel()
		}
	}
	cams, err := s.deps.Store.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		s.log.ErrorContext(ctx, "events: cameras", "err", err)
		http.Error(w, "cameras", http.StatusInternalServerError)
		return
	}
	names := map[string]string{}
	for _, c := range cams {
		names[c.ID] = c.Name
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	send := func(a alert) error {
		b, _ := json.Marshal(a) // plain strings: cannot fail
		_, err := fmt.Fprintf(w, "event: health\ndata: %s\n\n", b)
		return err
	}
	if s.deps.Status != nil {
		for _, c := range cams {
			if !c.Enabled {
				continue
			}
			for _, st := range s.deps.Status.Status(c.ID) {
				if down(st.State) {
					send(alert{CameraID: c.ID, CameraName: c.Name, Stream: st.Role, State: st.State,
						Reason: st.Reason, ReasonVI: st.ReasonVI, Since: matthan.FormatLocal(st.Since), Down: true})
				}
			}
		}
	}
	fmt.Fprint(w, ": ready\n\n")
	flusher.Flush()

	// A comment now and then keeps proxies and idle timers from closing
	// the stream, and tells a dead client apart sooner.
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		case ev, ok := <-analytics:
			if !ok {
				return
			}
			ae, isAnalytics := ev.Data.(*matthan.AnalyticsEvent)
			if !isAnalytics {
				continue
			}
			b, _ := json.Marshal(newLiveEvent(ae, names)) // plain strings: cannot fail
			if _, err := fmt.Fprintf(w, "event: analytics\ndata: %s\n\n", b); err != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			he, isHealth := ev.Data.(*matthan.HealthEvent)
			if !isHealth || (!down(he.To) && !down(he.From)) {
				continue
			}
			name, known := names[he.CameraID]
			if !known {
				name = he.CameraID
			}
			if err := send(alert{CameraID: he.CameraID, CameraName: name, Stream: he.Stream, State: he.To,
				Reason: he.Reason, ReasonVI: he.ReasonVI, Since: matthan.FormatLocal(he.At), Down: down(he.To)}); err != nil {
				return
			}
		}
		flusher.Flush()
	}
}
