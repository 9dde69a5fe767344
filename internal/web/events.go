package web

import (
	"context"
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
	// Alert says the user's subscription wants this event now: the page
	// shows it in the banner, and as a desktop notification when Desktop.
	// Events that do not alert still come, so the review queue stays live.
	Alert   bool `json:"alert"`
	Desktop bool `json:"desktop"`
}

func newLiveEvent(e *matthan.AnalyticsEvent, cam *matthan.Camera) liveEvent {
	name := e.CameraID
	if cam != nil {
		name = cam.Name
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

// alertSubscription returns the user's alert choices: the default
// without a store, or when the store fails (logged; alarms then still
// reach the screen).
func (s *Server) alertSubscription(ctx context.Context, user string) *matthan.AlertSubscription {
	if s.deps.Alerts == nil {
		return matthan.DefaultAlertSubscription(user)
	}
	sub, err := s.deps.Alerts.AlertSubscription(ctx, user)
	if err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "alert subscription", "user", user, "err", err)
		}
		return matthan.DefaultAlertSubscription(user)
	}
	return sub
}

// handleEvents streams alerts to staff as server-sent events: first every camera
// that is down now, then each change of health as it happens, and, for
// officers and admins, each analytics event as it fires or changes, marked
// whether it alerts this user (their subscription, read anew for each
// event so a change on the account page applies at once). The browser
// reconnects by itself when the stream breaks.
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
	// A contributor hears nothing here (an open stream with keepalives
	// only): health and analytics are about the ward's cameras, and their
	// own cameras' state is on /my.
	forStaff := staff(u.Role)
	var events, analytics <-chan matthan.Event
	if s.deps.Bus != nil && forStaff {
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
	var cams []*matthan.Camera
	if forStaff {
		if cams, err = s.deps.Store.Cameras(ctx, matthan.CameraFilter{}); err != nil {
			s.log.ErrorContext(ctx, "events: cameras", "err", err)
			http.Error(w, "cameras", http.StatusInternalServerError)
			return
		}
	}
	names := map[string]string{}
	byID := map[string]*matthan.Camera{}
	for _, c := range cams {
		names[c.ID] = c.Name
		byID[c.ID] = c
	}
	// camera finds an event's camera, also one added since the stream
	// began; nil when it is gone.
	camera := func(id string) *matthan.Camera {
		if c, known := byID[id]; known {
			return c
		}
		c, err := s.deps.Store.Camera(ctx, id)
		if err != nil {
			if matthan.ErrorCode(err) == matthan.ENOTFOUND {
				byID[id] = nil
			}
			return nil
		}
		byID[id] = c
		return c
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
			cam := camera(ae.CameraID)
			if cam != nil {
				if ok, _, _ := cam.Allows(matthan.AccessPlayback, ae.Start); !ok {
					continue // what the camera saw is not shared at that moment
				}
			}
			le := newLiveEvent(ae, cam)
			sub := s.alertSubscription(ctx, u.Name)
			le.Alert = sub.Wants(ae, cam, s.now())
			le.Desktop = le.Alert && sub.Desktop
			b, _ := json.Marshal(le) // plain strings: cannot fail
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
