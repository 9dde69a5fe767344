package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/bus"
)

const secret = "s3cr3t-webhook-key"

// noon is 12:00 in Vietnam; night is 23:00.
var (
	noon  = time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)
	night = time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
)

func event(id string, sev matthan.Severity) *matthan.AnalyticsEvent {
	return &matthan.AnalyticsEvent{ID: id, Type: matthan.EventThreeRiders, CameraID: "cam-001", Zone: "Ngã tư",
		Start: noon, End: noon.Add(5 * time.Second), TrackIDs: []int64{1, 2, 3, 9}, Box: [4]float64{0.1, 0.2, 0.3, 0.4},
		Severity: sev, Review: matthan.ReviewNone, Summary: "Three riders on one motorbike", SummaryVI: "Ba người trên một xe máy"}
}

// receiver is a webhook endpoint that answers with the statuses in
// script, then 200, and records what it got.
type receiver struct {
	mu     sync.Mutex
	script []int
	hang   int // the first hang requests wait until the client gives up
	got    []received
	calls  int
	srv    *httptest.Server
}

type received struct {
	event matthan.AnalyticsEvent
	sigOK bool
	ts    int64
	id    string
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.calls++
		hang := r.calls <= r.hang
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		if hang {
			<-req.Context().Done()
			return
		}
		if status == http.StatusOK {
			var e matthan.AnalyticsEvent
			if err := json.Unmarshal(body, &e); err != nil {
				t.Errorf("body %s: %v", body, err)
			}
			ts, _ := strconv.ParseInt(req.Header.Get(HeaderTimestamp), 10, 64)
			r.mu.Lock()
			r.got = append(r.got, received{event: e, sigOK: Verify(secret, body, req.Header.Get(HeaderSignature)), ts: ts,
				id: req.Header.Get(HeaderEventID)})
			r.mu.Unlock()
			if ct := req.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" || req.Method != http.MethodPost {
				t.Errorf("%s with Content-Type %q", req.Method, ct)
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) snapshot() (calls int, got []received) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, append([]received(nil), r.got...)
}

// run starts n and stops it when the test ends.
func run(t *testing.T, n *Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitStats waits until ok holds for the destination's stats.
func waitStats(t *testing.T, n *Notifier, name string, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := n.Stats()[name]
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats of %s: %+v", name, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	if cfg.Backoff == 0 {
		cfg.Backoff = 5 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return noon }
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWebhookDeliversSignedJSON(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, Config{Webhooks: []Webhook{{Name: "ward", URL: r.srv.URL + "/hook?token=abc", Secret: secret}}})
	run(t, n)
	before := time.Now().Unix()
	n.Notify(event("ev-1", matthan.SeverityWarning))
	waitStats(t, n, "ward", func(s Stats) bool { return s.Delivered == 1 })
	_, got := r.snapshot()
	if len(got) != 1 || !got[0].sigOK || got[0].id != "ev-1" || got[0].ts < before || got[0].ts > time.Now().Unix() {
		t.Fatalf("received %+v", got)
	}
	if e := got[0].event; e.ID != "ev-1" || e.SummaryVI != "Ba người trên một xe máy" || len(e.TrackIDs) != 4 || !e.Start.Equal(noon) {
		t.Fatalf("event %+v", e)
	}
	// A signature with another secret does not verify.
	if Verify("other", []byte(`{}`), Sign(secret, []byte(`{}`))) {
		t.Fatal("a wrong secret verified")
	}
}

func TestWebhookRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		script    []int
		hang      int
		attempts  int
		calls     int
		delivered uint64
		failed    uint64
	}{
		{"retry after a 500", []int{500}, 0, 3, 2, 1, 0},
		{"retry after 503 and 429", []int{503, 429}, 0, 3, 3, 1, 0},
		{"gives up after N", []int{500, 502, 500, 500}, 0, 3, 3, 0, 1},
		{"a 4xx is not retried", []int{400}, 0, 3, 1, 0, 1},
		{"retry after a timeout", nil, 1, 3, 2, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, tc.script...)
			r.hang = tc.hang
			n := newNotifier(t, Config{Webhooks: []Webhook{{Name: "ward", URL: r.srv.URL, Secret: secret}},
				Attempts: tc.attempts, Timeout: 200 * time.Millisecond})
			run(t, n)
			n.Notify(event("ev-1", matthan.SeverityAlarm))
			st := waitStats(t, n, "ward", func(s Stats) bool { return s.Delivered+s.Failed == 1 })
			calls, got := r.snapshot()
			if calls != tc.calls || st.Delivered != tc.delivered || st.Failed != tc.failed || st.Retries != uint64(tc.calls-1) {
				t.Fatalf("%d calls, stats %+v", calls, st)
			}
			for _, g := range got {
				if !g.sigOK {
					t.Error("bad signature on a retry")
				}
			}
		})
	}
}

func TestWebhookFiltersAndQuietHours(t *testing.T) {
	quiet, err := ParseQuietHours("22:00-06:00", "")
	if err != nil {
		t.Fatal(err)
	}
	quietButAlarms, _ := ParseQuietHours("22:00-06:00", matthan.SeverityAlarm)
	for _, tc := range []struct {
		name   string
		filter Filter
		now    time.Time
		sev    matthan.Severity
		sent   bool
	}{
		{"no filter", Filter{}, noon, matthan.SeverityInfo, true},
		{"quiet hours suppress", Filter{Quiet: quiet}, night, matthan.SeverityAlarm, false},
		{"outside quiet hours", Filter{Quiet: quiet}, noon, matthan.SeverityInfo, true},
		{"quiet hours let alarms through", Filter{Quiet: quietButAlarms}, night, matthan.SeverityAlarm, true},
		{"quiet hours hold warnings", Filter{Quiet: quietButAlarms}, night, matthan.SeverityWarning, false},
		{"another camera", Filter{Cameras: []string{"cam-002"}}, noon, matthan.SeverityAlarm, false},
		{"this camera", Filter{Cameras: []string{"cam-002", "cam-001"}}, noon, matthan.SeverityAlarm, true},
		{"another type", Filter{Types: []matthan.EventType{matthan.EventTamper}}, noon, matthan.SeverityAlarm, false},
		{"below the minimum severity", Filter{MinSeverity: matthan.SeverityWarning}, noon, matthan.SeverityInfo, false},
		{"at the minimum severity", Filter{MinSeverity: matthan.SeverityWarning}, noon, matthan.SeverityWarning, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t)
			n := newNotifier(t, Config{Webhooks: []Webhook{{Name: "ward", URL: r.srv.URL, Secret: secret, Filter: tc.filter}},
				Now: func() time.Time { return tc.now }})
			run(t, n)
			n.Notify(event("ev-1", tc.sev))
			st := waitStats(t, n, "ward", func(s Stats) bool { return s.Delivered+s.Suppressed == 1 })
			if calls, _ := r.snapshot(); (calls == 1) != tc.sent || (st.Delivered == 1) != tc.sent {
				t.Fatalf("%d calls, stats %+v, want sent=%v", calls, st, tc.sent)
			}
		})
	}
}

func TestQuietHoursEdges(t *testing.T) {
	q, err := ParseQuietHours(" 22:00 - 06:00 ", "")
	if err != nil {
		t.Fatal(err)
	}
	day := q
	day2, _ := ParseQuietHours("11:30-13:30", "")
	at := func(h, m int) time.Time { return time.Date(2026, 3, 1, h, m, 0, 0, matthan.Vietnam) }
	for _, tc := range []struct {
		q      *QuietHours
		t      time.Time
		active bool
	}{
		{day, at(21, 59), false}, {day, at(22, 0), true}, {day, at(0, 0), true}, {day, at(5, 59), true}, {day, at(6, 0), false},
		{day2, at(11, 29), false}, {day2, at(11, 30), true}, {day2, at(13, 29), true}, {day2, at(13, 30), false},
		// 15:00 UTC is 22:00 in Vietnam.
		{day, time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC), true},
	} {
		if got := tc.q.Active(tc.t); got != tc.active {
			t.Errorf("%v–%v at %v: %v", tc.q.From, tc.q.To, tc.t, got)
		}
	}
	for _, bad := range []string{"", "22:00", "25:00-06:00", "22-06"} {
		if _, err := ParseQuietHours(bad, ""); matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNotifyNeverBlocksAndCountsDrops(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, Config{Webhooks: []Webhook{{Name: "ward", URL: r.srv.URL, Secret: secret}}, Queue: 2})
	// Not running: the queue fills and the rest is dropped at once.
	start := time.Now()
	for i := range 5 {
		n.Notify(event("ev-"+strconv.Itoa(i), matthan.SeverityAlarm))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Notify blocked for %v", d)
	}
	if st := n.Stats()["ward"]; st.Dropped != 3 {
		t.Fatalf("stats %+v", st)
	}
	run(t, n)
	waitStats(t, n, "ward", func(s Stats) bool { return s.Delivered == 2 })
}

func TestNotifyOncePerEventAndFromTheBus(t *testing.T) {
	r := newReceiver(t)
	b := bus.New()
	n := newNotifier(t, Config{Webhooks: []Webhook{{URL: r.srv.URL, Secret: secret}}, Bus: b})
	run(t, n)
	name := "webhook " + r.srv.Listener.Addr().String()
	// Wait for Run's subscription before publishing.
	for b.Subscribers(matthan.TopicAnalytics) == 0 {
		time.Sleep(time.Millisecond)
	}
	e := event("ev-1", matthan.SeverityWarning)
	for range 3 { // the sink publishes the first report and every update
		if err := b.Publish(t.Context(), matthan.Event{Topic: matthan.TopicAnalytics, CameraID: e.CameraID, Data: e}); err != nil {
			t.Fatal(err)
		}
	}
	b.Publish(t.Context(), matthan.Event{Topic: matthan.TopicAnalytics, Data: event("ev-2", matthan.SeverityInfo)})
	waitStats(t, n, name, func(s Stats) bool { return s.Delivered == 2 })
	time.Sleep(50 * time.Millisecond)
	if calls, got := r.snapshot(); calls != 2 || got[0].event.ID != "ev-1" || got[1].event.ID != "ev-2" {
		t.Fatalf("%d calls: %+v", calls, got)
	}
}

func TestNewRejectsBadDestinations(t *testing.T) {
	for _, cfg := range []Config{
		{Webhooks: []Webhook{{URL: "ftp://x/y", Secret: "k"}}},
		{Webhooks: []Webhook{{URL: "http://", Secret: "k"}}},
		{Webhooks: []Webhook{{URL: "http://example.test/hook"}}},
		{MQTT: &MQTT{Broker: "tcp://user:pw@127.0.0.1:1883"}},
		{MQTT: &MQTT{Broker: "nonsense"}},
	} {
		if _, err := New(cfg); matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
