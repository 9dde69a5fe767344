package media

import (
	"sync"
	"sync/atomic"
)

// Hub fans the units of one stream out to any number of subscribers.
//
// Publishing never blocks: each subscriber has a bounded queue, and a
// subscriber whose queue is full loses units up to the next video keyframe
// (so what it gets next is decodable). Every such skip is counted.
type Hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	desc *Desc

	published atomic.Uint64
	skips     atomic.Uint64 // over all subscriptions, closed ones included
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: make(map[*Subscription]struct{})}
}

// Desc returns the description of the last published unit, or nil.
func (h *Hub) Desc() *Desc {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.desc
}

// Reset forgets the description when the source's session ends, so the hub
// reads as "not streaming" (a restream answers 404) until the next unit.
func (h *Hub) Reset() {
	h.mu.Lock()
	h.desc = nil
	h.mu.Unlock()
}

// Published returns how many units went through the hub.
func (h *Hub) Published() uint64 { return h.published.Load() }

// Skips returns how often any subscriber was moved to the next keyframe.
func (h *Hub) Skips() uint64 { return h.skips.Load() }

// Subscribers returns how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// WriteUnit publishes u to every subscriber. It is safe for concurrent use and
// lets Hub act as a Receiver.
func (h *Hub) WriteUnit(u *Unit) {
	h.mu.Lock()
	h.desc = u.Desc
	for s := range h.subs {
		s.offer(u)
	}
	h.mu.Unlock()
	h.published.Add(1)
}

// PacketsLost and DecodeErrors are ignored by the hub; the ingest session counts them.
func (h *Hub) PacketsLost(uint64)  {}
func (h *Hub) DecodeErrors(uint64) {}

// Subscribe opens a subscription whose queue holds up to queue units. The
// first unit it receives is a video keyframe (or audio, for audio-only streams).
func (h *Hub) Subscribe(queue int) *Subscription {
	if queue < 1 {
		queue = 1
	}
	s := &Subscription{hub: h, ch: make(chan *Unit, queue), waitKey: true}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Subscription is one consumer's view of a hub.
type Subscription struct {
	hub     *Hub
	ch      chan *Unit
	waitKey bool // guarded by hub.mu
	skipped bool // guarded by hub.mu: waitKey because units were skipped
	skips   atomic.Uint64
	dropped atomic.Uint64
}

// Units delivers the subscriber's units. It is closed by Close.
func (s *Subscription) Units() <-chan *Unit { return s.ch }

// Skips counts how often the subscriber fell behind and was moved to the next keyframe.
func (s *Subscription) Skips() uint64 { return s.skips.Load() }

// Dropped counts units the subscriber did not get because it fell behind.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes its channel. It is idempotent.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// offer is called with hub.mu held.
func (s *Subscription) offer(u *Unit) {
	if s.waitKey {
		if !u.Key && (u.Desc.Video() >= 0) {
			if s.skips.Load() > 0 {
				s.dropped.Add(1)
			}
			return
		}
		if s.skipped { // the subscriber learns where its hole is
			cp := *u
			cp.AfterSkip = true
			u = &cp
		}
	}
	select {
	case s.ch <- u:
		s.waitKey, s.skipped = false, false
	default:
		// Queue full: skip to the next keyframe; the rest of this GOP is useless.
		s.waitKey, s.skipped = true, true
		s.skips.Add(1)
		s.dropped.Add(1)
		s.hub.skips.Add(1)
	}
}
