package bus

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"matthan"
)

func TestPublishReachesSubscribersOfTheTopic(t *testing.T) {
	b := New()
	health1, cancel1 := b.Subscribe(matthan.TopicHealth, 4)
	defer cancel1()
	health2, cancel2 := b.Subscribe(matthan.TopicHealth, 4)
	defer cancel2()
	other, cancel3 := b.Subscribe("other", 4)
	defer cancel3()

	e := matthan.Event{Topic: matthan.TopicHealth, CameraID: "cam-001", Stream: matthan.StreamMain, At: time.Unix(1, 0)}
	if err := b.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	for i, ch := range []<-chan matthan.Event{health1, health2} {
		select {
		case got := <-ch:
			if got.CameraID != "cam-001" || got.Topic != matthan.TopicHealth {
				t.Errorf("subscriber %d got %+v", i, got)
			}
		default:
			t.Errorf("subscriber %d got nothing", i)
		}
	}
	select {
	case got := <-other:
		t.Errorf("subscriber of another topic got %+v", got)
	default:
	}
}

func TestSlowSubscriberLosesEventsAndPublishDoesNotBlock(t *testing.T) {
	b := New()
	slow, cancelSlow := b.Subscribe("t", 2)
	defer cancelSlow()
	fast, cancelFast := b.Subscribe("t", 100)
	defer cancelFast()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			_ = b.Publish(context.Background(), matthan.Event{Topic: "t", CameraID: string(rune('a' + i))})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	if len(slow) != 2 || len(fast) != 10 {
		t.Fatalf("slow holds %d (want 2), fast holds %d (want 10)", len(slow), len(fast))
	}
	if got := b.Dropped(); got != 8 {
		t.Fatalf("Dropped() = %d, want 8", got)
	}
	// The slow one keeps the oldest events.
	if e := <-slow; e.CameraID != "a" {
		t.Fatalf("slow subscriber's first event is %q, want a", e.CameraID)
	}
}

func TestCancelClosesChannelOnce(t *testing.T) {
	b := New()
	ch, cancel := b.Subscribe("t", 1)
	cancel()
	cancel() // idempotent
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
	if n := b.Subscribers("t"); n != 0 {
		t.Fatalf("Subscribers = %d after cancel", n)
	}
	if err := b.Publish(context.Background(), matthan.Event{Topic: "t"}); err != nil {
		t.Fatal(err)
	}
}

func TestPublishWithDoneContextFails(t *testing.T) {
	b := New()
	ch, cancel := b.Subscribe("t", 1)
	defer cancel()
	ctx, stop := context.WithCancel(context.Background())
	stop()
	if err := b.Publish(ctx, matthan.Event{Topic: "t"}); err == nil {
		t.Fatal("Publish with a done context succeeded")
	}
	if len(ch) != 0 {
		t.Fatal("event delivered although Publish failed")
	}
}

// Publishing while subscribers come and go must neither race nor panic on a
// closed channel (run with -race).
func TestConcurrentPublishAndCancel(t *testing.T) {
	b := New()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					_ = b.Publish(context.Background(), matthan.Event{Topic: "t"})
					runtime.Gosched()
				}
			}
		})
	}
	received := 0
	for range 50 {
		ch, cancel := b.Subscribe("t", 8)
		select {
		case <-ch:
			received++
		case <-time.After(time.Second):
		}
		cancel()
		for range ch { // drains, ends because cancel closed it
		}
	}
	close(stop)
	wg.Wait()
	if received == 0 {
		t.Fatal("no subscriber received anything")
	}
}
