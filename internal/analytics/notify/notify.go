// Package notify sends analytics events out of the node: to webhooks
// (HMAC-signed JSON, retried with back-off) and to an MQTT broker (a topic
// per camera and event type). Each subscription has its own filter
// (cameras, types, minimum severity, quiet hours in Vietnam time).
//
// Notifying never slows the analytics pipeline: each destination has a
// bounded queue, and an event that finds it full is dropped, logged and
// counted.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"matthan"
)

// Defaults of Config.
const (
	DefaultQueue    = 256
	DefaultAttempts = 5
	DefaultBackoff  = time.Second
	DefaultTimeout  = 10 * time.Second
	maxBackoff      = time.Minute
)

// Config is what a Notifier sends where.
type Config struct {
	Webhooks []Webhook
	MQTT     *MQTT // nil: no MQTT

	// Bus, when set, is where Run takes events from (TopicAnalytics).
	// Events may also be handed to Notify directly.
	Bus matthan.Bus

	Queue    int           // per destination; 0: DefaultQueue
	Attempts int           // tries per event before giving up; 0: DefaultAttempts
	Backoff  time.Duration // wait before the first retry, doubling up to a minute; 0: DefaultBackoff
	Timeout  time.Duration // per try; 0: DefaultTimeout

	Log *slog.Logger
	Now func() time.Time // for quiet hours
}

// Stats counts what happened to the events of one destination.
type Stats struct {
	Delivered  uint64 `json:"delivered"`
	Failed     uint64 `json:"failed"`     // gave up after the retries, or refused by the receiver
	Dropped    uint64 `json:"dropped"`    // the queue was full
	Suppressed uint64 `json:"suppressed"` // filtered out or quiet hours
	Retries    uint64 `json:"retries"`
}

// destination is one place events go: a webhook or the MQTT broker.
type destination interface {
	name() string
	filter() Filter
	// send makes one try. A permanent error is not retried.
	send(ctx context.Context, e *matthan.AnalyticsEvent, body []byte) error
}

// permanent marks an error that another try cannot fix (a 4xx answer).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// outlet is a destination with its queue and counters.
type outlet struct {
	dest                                            destination
	queue                                           chan *matthan.AnalyticsEvent
	delivered, failed, dropped, suppressed, retries atomic.Uint64
}

// Notifier sends events to every destination that wants them. Run drives
// the deliveries; Notify only queues.
type Notifier struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	outlets []*outlet
	mqtt    *mqttDest

	mu   sync.Mutex
	seen map[string]struct{} // events already notified, so updates are not
	ring []string            // seen's keys, oldest first, to bound it
}

// seenLimit bounds the memory of notified events: far more than fire in
// the minutes an event stays open.
const seenLimit = 4096

// New checks cfg and returns a Notifier. Nothing is sent until Run.
func New(cfg Config) (*Notifier, error) {
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	n := &Notifier{cfg: cfg, log: cfg.Log, now: cfg.Now, seen: map[string]struct{}{}}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.now == nil {
		n.now = time.Now
	}
	for i := range cfg.Webhooks {
		w, err := newWebhookDest(cfg.Webhooks[i], cfg.Timeout)
		if err != nil {
			return nil, err
		}
		n.outlets = append(n.outlets, &outlet{dest: w, queue: make(chan *matthan.AnalyticsEvent, cfg.Queue)})
	}
	if cfg.MQTT != nil {
		m, err := newMQTTDest(*cfg.MQTT, cfg.Timeout, n.log)
		if err != nil {
			return nil, err
		}
		n.mqtt = m
		n.outlets = append(n.outlets, &outlet{dest: m, queue: make(chan *matthan.AnalyticsEvent, cfg.Queue)})
	}
	return n, nil
}

// Notify queues e for every destination whose filter wants it, once per
// event: the updates of an event already notified are not sent again. It
// never blocks.
func (n *Notifier) Notify(e *matthan.AnalyticsEvent) {
	if !n.firstSight(e.ID) {
		return
	}
	now := n.now()
	for _, o := range n.outlets {
		if !o.dest.filter().Match(e, now) {
			o.suppressed.Add(1)
			continue
		}
		select {
		case o.queue <- e:
		default:
			d := o.dropped.Add(1)
			n.log.Warn("notification dropped: queue full", "camera", e.CameraID, "event", e.ID,
				"destination", o.dest.name(), "dropped", d)
		}
	}
}

func (n *Notifier) firstSight(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[id]; ok {
		return false
	}
	n.seen[id] = struct{}{}
	n.ring = append(n.ring, id)
	if len(n.ring) > seenLimit {
		delete(n.seen, n.ring[0])
		n.ring = n.ring[1:]
	}
	return true
}

// Stats returns each destination's counters, by its name.
func (n *Notifier) Stats() map[string]Stats {
	out := make(map[string]Stats, len(n.outlets))
	for _, o := range n.outlets {
		out[o.dest.name()] = Stats{Delivered: o.delivered.Load(), Failed: o.failed.Load(),
			Dropped: o.dropped.Load(), Suppressed: o.suppressed.Load(), Retries: o.retries.Load()}
	}
	return out
}

// Run delivers queued events until ctx is done, taking events from the bus
// when one is configured. It connects to the MQTT broker (and keeps
// reconnecting) when MQTT is configured.
func (n *Notifier) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if n.mqtt != nil {
		n.mqtt.connect()
		defer n.mqtt.close()
	}
	for _, o := range n.outlets {
		wg.Go(func() { n.deliver(ctx, o) })
	}
	if n.cfg.Bus != nil {
		events, cancel := n.cfg.Bus.Subscribe(matthan.TopicAnalytics, n.cfg.Queue)
		wg.Go(func() {
			defer cancel()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-events:
					if !ok {
						return
					}
					if e, ok := ev.Data.(*matthan.AnalyticsEvent); ok {
						n.Notify(e)
					}
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// deliver sends o's events one at a time, each with its retries.
func (n *Notifier) deliver(ctx context.Context, o *outlet) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-o.queue:
			n.sendWithRetries(ctx, o, e)
		}
	}
}

func (n *Notifier) sendWithRetries(ctx context.Context, o *outlet, e *matthan.AnalyticsEvent) {
	body, err := json.Marshal(e)
	if err != nil { // our own type: cannot happen
		o.failed.Add(1)
		n.log.Error("encode event", "camera", e.CameraID, "event", e.ID, "err", err)
		return
	}
	wait := n.cfg.Backoff
	for try := 1; ; try++ {
		err = o.dest.send(ctx, e, body)
		if err == nil {
			o.delivered.Add(1)
			return
		}
		var p permanent
		if errors.As(err, &p) || try >= n.cfg.Attempts || ctx.Err() != nil {
			break
		}
		o.retries.Add(1)
		n.log.Info("notification failed; retrying", "camera", e.CameraID, "event", e.ID,
			"destination", o.dest.name(), "try", try, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			o.failed.Add(1)
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxBackoff)
	}
	o.failed.Add(1)
	n.log.Warn("notification failed; giving up", "camera", e.CameraID, "event", e.ID,
		"destination", o.dest.name(), "err", err)
}

// errStatus is a receiver's non-2xx answer.
func errStatus(code int) error { return fmt.Errorf("HTTP %d", code) }
