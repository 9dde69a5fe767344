// Package bus is the in-process matthan.Bus: events go to the subscribers of
// their topic through bounded channels, and a slow subscriber loses events
// rather than slowing the publisher.
package bus

import (
	"context"
	"sync"
	"sync/atomic"

	"matthan"
)

// Bus delivers events to subscribers of the same node. Its zero value is not
// usable; call New.
type Bus struct {
	mu      sync.RWMutex
	subs    map[string]map[*subscriber]struct{}
	dropped atomic.Uint64
}

type subscriber struct {
	ch      chan matthan.Event
	dropped atomic.Uint64
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{subs: make(map[string]map[*subscriber]struct{})}
}

// Publish offers e to every subscriber of e.Topic. It never blocks: a
// subscriber whose buffer is full misses the event, and the miss is counted.
// It fails only when ctx is already done.
func (b *Bus) Publish(ctx context.Context, e matthan.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs[e.Topic] {
		select {
		case s.ch <- e:
		default:
			s.dropped.Add(1)
			b.dropped.Add(1)
		}
	}
	return nil
}

// Subscribe delivers the events of topic on a channel buffering up to buffer
// events (at least 1) until cancel, which closes the channel. cancel may be
// called more than once.
func (b *Bus) Subscribe(topic string, buffer int) (<-chan matthan.Event, func()) {
	s := &subscriber{ch: make(chan matthan.Event, max(buffer, 1))}
	b.mu.Lock()
	if b.subs[topic] == nil {
		b.subs[topic] = make(map[*subscriber]struct{})
	}
	b.subs[topic][s] = struct{}{}
	b.mu.Unlock()

	var once sync.Once
	cancel := func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			delete(b.subs[topic], s)
			if len(b.subs[topic]) == 0 {
				delete(b.subs, topic)
			}
			close(s.ch) // under the lock, so no Publish is sending to it
		})
	}
	return s.ch, cancel
}

// Dropped counts the events subscribers missed because they were slow.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }

// Subscribers returns how many subscriptions topic has.
func (b *Bus) Subscribers(topic string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[topic])
}

var _ matthan.Bus = (*Bus)(nil)
