package retention

import (
	"context"
	"fmt"
	"time"

	"matthan"
)

// EventSource tells retention when things happened on a camera: footage
// within Config.EventMargin of an event is deleted after continuous
// footage. Stream health changes and analytics events are its sources.
type EventSource interface {
	// EventTimes returns the instants of a camera's events in [from, to);
	// a zero from is open. Order does not matter.
	EventTimes(ctx context.Context, cameraID string, from, to time.Time) ([]time.Time, error)
}

// maxHealthEvents is the most health events read per camera and sweep:
// the most a store lists at once.
const maxHealthEvents = 10_000

// HealthEvents makes a camera's stream health changes (going offline,
// stalling, coming back) events: footage around them shows what happened
// to the camera.
//
// matthan.HealthEventFilter has no upper bound and lists newest first, so
// a camera with more than 10 000 health changes in its footage's span has
// its oldest ones unseen, and footage around them counts as continuous.
type HealthEvents struct {
	Store matthan.Store
}

// EventTimes implements EventSource.
func (h HealthEvents) EventTimes(ctx context.Context, cameraID string, from, to time.Time) ([]time.Time, error) {
	es, err := h.Store.HealthEvents(ctx, matthan.HealthEventFilter{CameraID: cameraID, Since: from, Limit: maxHealthEvents})
	if err != nil {
		return nil, fmt.Errorf("health events: %w", err)
	}
	out := make([]time.Time, 0, len(es))
	for _, e := range es {
		if to.IsZero() || e.At.Before(to) {
			out = append(out, e.At)
		}
	}
	return out, nil
}

// AnalyticsEvents makes the street analytics' events (three riders,
// loitering, tamper…) events for retention: the footage of the whole
// event, from its start to its end, is kept like footage around an instant.
type AnalyticsEvents struct {
	Store matthan.EventStore
}

// analyticsStep spaces the instants that stand for a long event, so that
// with any event margin of at least half of it the whole span is covered.
const analyticsStep = time.Minute

// EventTimes implements EventSource: each event's start, end, and an
// instant every minute between them.
func (a AnalyticsEvents) EventTimes(ctx context.Context, cameraID string, from, to time.Time) ([]time.Time, error) {
	es, err := a.Store.AnalyticsEvents(ctx, matthan.AnalyticsEventFilter{CameraID: cameraID, From: from, To: to, Limit: maxHealthEvents})
	if err != nil {
		return nil, fmt.Errorf("analytics events: %w", err)
	}
	var out []time.Time
	for _, e := range es {
		for t := e.Start; t.Before(e.End); t = t.Add(analyticsStep) {
			out = append(out, t)
		}
		out = append(out, e.End)
	}
	return out, nil
}
