// Package events is where analytics events go once a rule fires: the Sink
// writes the event's best snapshot (a JPEG with the boxes drawn), stores the
// event, and publishes it on the bus for the live UI and the notifiers. It
// also folds the rules engine's updates of an event (a later End) into the
// one stored event, so one person standing still is one event.
package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"matthan"
	"matthan/internal/analytics"
)

// Footage defaults: how much recording before and after an event shows it.
const (
	DefaultPreRoll  = 10 * time.Second
	DefaultPostRoll = 20 * time.Second
)

// Config is what a Sink needs.
type Config struct {
	Dir   string // the node's events directory (DATA/events); snapshots go below it
	Store matthan.EventStore
	Bus   matthan.Bus // nil: events are not published
	Log   *slog.Logger
	Now   func() time.Time

	// PreRoll and PostRoll widen an event's span into its footage link;
	// 0 means the defaults (10 s, 20 s).
	PreRoll, PostRoll time.Duration
	// Forget is how long after its End an event may still be updated by
	// the rules engine from memory; later updates are looked up in the
	// store. 0 means 10 minutes.
	Forget time.Duration
	// JPEGQuality is 1..100; 0 means 80.
	JPEGQuality int
}

// Fired is one report from the rules engine: a new event or an update of
// one it reported before (the same ID, or with no ID the same camera,
// type, zone and Start) with a later End.
type Fired struct {
	Event matthan.AnalyticsEvent
	// Frame is the picture the rule fired on; nil keeps the snapshot
	// there is.
	Frame *analytics.Frame
	// Boxes are drawn on the snapshot, in pixels of Frame; with none, the
	// event's own Box is drawn.
	Boxes []analytics.Box
	// Score says how good a snapshot this frame makes (a detection's score
	// times its size, say): a later frame replaces the snapshot only with a
	// higher score.
	Score float64
}

// Sink stores, snapshots and publishes events. It is safe for concurrent
// use and holds no goroutines.
type Sink struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	open map[string]*openEvent // by dedupKey and by ID
}

// openEvent is an event the rules engine may still update.
type openEvent struct {
	id    string
	end   time.Time
	score float64
	path  string // the snapshot's, once written
}

// New returns a Sink for cfg.
func New(cfg Config) *Sink {
	if cfg.PreRoll == 0 {
		cfg.PreRoll = DefaultPreRoll
	}
	if cfg.PostRoll == 0 {
		cfg.PostRoll = DefaultPostRoll
	}
	if cfg.Forget == 0 {
		cfg.Forget = 10 * time.Minute
	}
	if cfg.JPEGQuality <= 0 || cfg.JPEGQuality > 100 {
		cfg.JPEGQuality = 80
	}
	s := &Sink{cfg: cfg, log: cfg.Log, now: cfg.Now, open: map[string]*openEvent{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Footage is the span of recordings an event links to: [Start − pre-roll,
// End + post-roll].
func (s *Sink) Footage(e *matthan.AnalyticsEvent) (from, to time.Time) {
	return e.Footage(s.cfg.PreRoll, s.cfg.PostRoll)
}

// NewID returns a new event ID: the start time, so IDs sort by time in a
// listing of files, and random bits, so two nodes never collide.
func NewID(start time.Time) string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return "ev-" + start.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// NormBox turns a box in pixels of a w×h frame into the event's normalised
// [x1, y1, x2, y2], clamped to the picture.
func NormBox(b analytics.Box, w, h int) [4]float64 {
	if w <= 0 || h <= 0 {
		return [4]float64{}
	}
	c := func(v float32, n int) float64 { return min(max(float64(v)/float64(n), 0), 1) }
	return [4]float64{c(b.X1, w), c(b.Y1, h), c(b.X2, w), c(b.Y2, h)}
}

// Handle takes one report from the rules engine: it stores a new event or
// updates the one it continues, writes the snapshot when the frame is the
// best so far, and publishes the event as stored. It returns that event.
func (s *Sink) Handle(ctx context.Context, f Fired) (*matthan.AnalyticsEvent, error) {
	e := f.Event
	e.Start, e.End = e.Start.UTC(), e.End.UTC()
	if e.End.Before(e.Start) {
		e.End = e.Start
	}
	if !safeName(e.CameraID) || (e.ID != "" && !safeName(e.ID)) {
		return nil, &matthan.Error{Code: matthan.EINVALID,
			Message: "Event and camera IDs may hold only letters, digits, '-', '_' and '.'", MessageVI: "Mã sự kiện và mã camera chỉ được gồm chữ, số, '-', '_' và '.'"}
	}

	// One lock for the whole report: two reports of the same event must
	// not both add it. Reports are a few a second at most.
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetOld()

	known, err := s.lookup(ctx, &e)
	if err != nil {
		return nil, err
	}
	var stored *matthan.AnalyticsEvent
	if known == nil {
		stored, err = s.add(ctx, &e, f)
	} else {
		stored, err = s.update(ctx, known, &e, f)
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, stored)
	return stored, nil
}

// lookup finds the open event e continues, in memory or, for an ID given
// by the rules engine, in the store. It sets e.ID for a new event.
func (s *Sink) lookup(ctx context.Context, e *matthan.AnalyticsEvent) (*openEvent, error) {
	if e.ID == "" {
		if o := s.open[dedupKey(e)]; o != nil {
			e.ID = o.id
			return o, nil
		}
		e.ID = NewID(e.Start)
		return nil, nil
	}
	if o := s.open[e.ID]; o != nil {
		return o, nil
	}
	old, err := s.cfg.Store.AnalyticsEvent(ctx, e.ID)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID, err)
	}
	o := &openEvent{id: old.ID, end: old.End, path: old.SnapshotPath}
	s.open[old.ID] = o
	return o, nil
}

func (s *Sink) add(ctx context.Context, e *matthan.AnalyticsEvent, f Fired) (*matthan.AnalyticsEvent, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	e.SnapshotPath = ""
	if f.Frame != nil {
		rel, err := s.writeSnapshot(e, "", f)
		if err != nil {
			// The event matters more than its picture.
			s.log.ErrorContext(ctx, "event snapshot", "camera", e.CameraID, "event", e.ID, "err", err)
		}
		e.SnapshotPath = rel
	}
	if err := s.cfg.Store.AddAnalyticsEvent(ctx, e); err != nil {
		return nil, fmt.Errorf("store event %s: %w", e.ID, err)
	}
	o := &openEvent{id: e.ID, end: e.End, score: f.Score, path: e.SnapshotPath}
	s.open[e.ID], s.open[dedupKey(e)] = o, o
	s.log.InfoContext(ctx, "analytics event", "camera", e.CameraID, "event", e.ID, "type", string(e.Type), "zone", e.Zone)
	return e, nil
}

func (s *Sink) update(ctx context.Context, o *openEvent, e *matthan.AnalyticsEvent, f Fired) (*matthan.AnalyticsEvent, error) {
	snapshot := ""
	if f.Frame != nil && (o.path == "" || f.Score > o.score) {
		rel, err := s.writeSnapshot(e, o.path, f)
		if err != nil {
			s.log.ErrorContext(ctx, "event snapshot", "camera", e.CameraID, "event", e.ID, "err", err)
		} else {
			snapshot, o.score, o.path = rel, f.Score, rel
		}
	}
	stored, err := s.cfg.Store.UpdateAnalyticsEvent(ctx, o.id, e.End, snapshot)
	if err != nil {
		return nil, fmt.Errorf("update event %s: %w", o.id, err)
	}
	o.end = stored.End
	return stored, nil
}

func (s *Sink) publish(ctx context.Context, e *matthan.AnalyticsEvent) {
	if s.cfg.Bus == nil {
		return
	}
	c := *e
	c.TrackIDs = append([]int64{}, e.TrackIDs...)
	err := s.cfg.Bus.Publish(ctx, matthan.Event{Topic: matthan.TopicAnalytics, CameraID: e.CameraID, At: s.now().UTC(), Data: &c})
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.WarnContext(ctx, "publish event", "camera", e.CameraID, "event", e.ID, "err", err)
	}
}

// forgetOld drops open events whose End is long past: the map stays as
// small as what is going on now.
func (s *Sink) forgetOld() {
	cutoff := s.now().Add(-s.cfg.Forget)
	for k, o := range s.open {
		if o.end.Before(cutoff) {
			delete(s.open, k)
		}
	}
}

// dedupKey names an event by what the rules engine cannot change while it
// continues: camera, type, zone and start.
func dedupKey(e *matthan.AnalyticsEvent) string {
	return fmt.Sprintf("\x00%s\x00%s\x00%s\x00%d", e.CameraID, e.Type, e.Zone, e.Start.UnixNano())
}

// SnapshotPath is where an event's snapshot lives, relative to the events
// directory: CAMERA/YYYY-MM-DD/ID.jpg, the day of its start in Vietnam,
// with slashes on every system.
func SnapshotPath(e *matthan.AnalyticsEvent) string {
	return path.Join(e.CameraID, e.Start.In(matthan.Vietnam).Format("2006-01-02"), e.ID+".jpg")
}

// writeSnapshot writes the frame with its boxes to rel (SnapshotPath when
// ""), through a temporary file so a reader never sees half a JPEG.
func (s *Sink) writeSnapshot(e *matthan.AnalyticsEvent, rel string, f Fired) (string, error) {
	if rel == "" {
		rel = SnapshotPath(e)
	}
	full := filepath.Join(s.cfg.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	boxes := f.Boxes
	if len(boxes) == 0 && e.Box != ([4]float64{}) {
		w, h := float32(f.Frame.Width), float32(f.Frame.Height)
		boxes = []analytics.Box{{X1: float32(e.Box[0]) * w, Y1: float32(e.Box[1]) * h, X2: float32(e.Box[2]) * w, Y2: float32(e.Box[3]) * h}}
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), ".snap-*")
	if err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := EncodeJPEG(tmp, f.Frame, boxes, severityColor(e.Severity), s.cfg.JPEGQuality); err != nil {
		tmp.Close()
		return "", fmt.Errorf("snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	return rel, nil
}

// safeName accepts IDs that are one plain path element.
func safeName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
