package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"matthan"
)

func TestPullStateMachine(t *testing.T) {
	h := newHarness(t, Config{}, pullCamera("cam-001"))
	url := "rtsp://10.0.0.1/cam-001/main"

	if st := h.status("cam-001", matthan.StreamMain); st.State != matthan.StateConnecting || st.Reason == "" || st.ReasonVI == "" {
		t.Fatalf("initial status %+v, want connecting with reasons", st.Health)
	}
	if got := h.m.Status("cam-001"); len(got) != 1 {
		t.Fatalf("a camera without a sub URL has %d streams, want 1", len(got))
	}
	call := h.nextCall(url)
	want := PullRequest{URL: url, Username: "admin", Password: "s3cret", Transport: "auto", Timeout: 10 * time.Second}
	if call.req != want {
		t.Fatalf("pull request %+v, want %+v", call.req, want)
	}

	call.r.WriteUnit(videoUnit(0, true, 1000))
	e := h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)
	if e.Reason != "receiving video" || e.ReasonVI != "đang nhận hình" || !e.At.Equal(h.clk.Now()) {
		t.Fatalf("streaming event %+v", e)
	}
	st := h.status("cam-001", matthan.StreamMain)
	if st.State != matthan.StateStreaming || st.Stats.Codec != "H264" || st.Stats.Width != 1920 ||
		st.Stats.Height != 1080 || st.Stats.Audio != "AAC" || st.Stats.Frames != 1 {
		t.Fatalf("status after the first frame: %+v", st)
	}

	call.finish(errRefused)
	e = h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStreaming, matthan.StateOffline)
	if e.Reason != "cannot connect: connection refused (attempt 1, next in 1 s)" ||
		e.ReasonVI != "không kết nối được: bị từ chối kết nối (lần thử 1, thử lại sau 1 giây)" {
		t.Fatalf("offline event reasons %q / %q", e.Reason, e.ReasonVI)
	}

	// Every change is in the store, oldest last.
	stored, err := h.store.HealthEvents(context.Background(), matthan.HealthEventFilter{CameraID: "cam-001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0].To != matthan.StateOffline || stored[1].To != matthan.StateStreaming {
		t.Fatalf("stored events %+v", stored)
	}
	// And logged once each, with camera and stream.
	logs := h.logs.String()
	if n := strings.Count(logs, "stream health changed"); n != 2 {
		t.Fatalf("%d health change log lines, want 2:\n%s", n, logs)
	}
	if !strings.Contains(logs, "camera=cam-001 stream=main") {
		t.Fatalf("logs lack camera and stream attributes:\n%s", logs)
	}
	if strings.Contains(logs, "s3cret") {
		t.Fatal("the camera password is in the logs")
	}
}

// A stream refused again and again backs off exponentially up to the cap,
// stores one event (the change), and starts again from the minimum after a
// healthy session.
func TestPullBackoff(t *testing.T) {
	h := newHarness(t, Config{}, pullCamera("cam-001"))
	url := "rtsp://10.0.0.1/cam-001/main"

	delays := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, d := range delays {
		d *= time.Second
		h.nextCall(url).finish(errRefused)
		if i == 0 {
			h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateOffline)
		}
		h.clk.waitDueIn(t, d)
		en, _ := matthan.FormatDuration(d)
		if st := h.status("cam-001", matthan.StreamMain); !strings.HasSuffix(st.Reason,
			"(attempt "+string(rune('0'+i+1))+", next in "+en+")") {
			t.Fatalf("retry %d: reason %q", i+1, st.Reason)
		}
		h.clk.Advance(d - time.Millisecond)
		h.noCall(url) // not a moment early
		h.clk.Advance(time.Millisecond)
	}
	h.noEvent() // offline → offline is no change

	// A flapping session (streams 2 s) keeps backing off: 8th failure, still capped.
	call := h.nextCall(url)
	call.r.WriteUnit(videoUnit(0, true, 100))
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateOffline, matthan.StateStreaming)
	h.clk.Advance(2 * time.Second)
	call.finish(errRefused)
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStreaming, matthan.StateOffline)
	h.clk.waitDueIn(t, 30*time.Second)
	h.clk.Advance(30 * time.Second)

	// A healthy session (HealthyAfter, 30 s) resets the back-off.
	call = h.nextCall(url)
	for i := range 31 {
		call.r.WriteUnit(videoUnit(time.Duration(i)*time.Second, true, 100))
		h.clk.Advance(time.Second)
	}
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateOffline, matthan.StateStreaming)
	call.finish(errRefused)
	e := h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStreaming, matthan.StateOffline)
	if !strings.HasSuffix(e.Reason, "(attempt 1, next in 1 s)") {
		t.Fatalf("after a healthy session: %q", e.Reason)
	}
	h.clk.waitDueIn(t, time.Second)

	if got := h.status("cam-001", matthan.StreamMain).Stats.Reconnects; got != 8 {
		t.Fatalf("Reconnects = %d after 9 sessions, want 8", got)
	}
}

// Failures that retrying soon cannot fix wait AuthBackoff, whatever the attempt.
func TestSlowRetryStates(t *testing.T) {
	for _, tc := range []struct {
		state   matthan.StreamState
		en, vi  string
		wantEN  string
		wantVI  string
		backoff time.Duration
	}{
		{matthan.StateAuthFailed, "the camera refused the user name or password", "camera từ chối tên đăng nhập hoặc mật khẩu",
			"the camera refused the user name or password (attempt 1, next in 1 min)",
			"camera từ chối tên đăng nhập hoặc mật khẩu (lần thử 1, thử lại sau 1 phút)", 0},
		{matthan.StateBadURL, "the URL has no host", "URL thiếu địa chỉ máy",
			"the URL has no host (attempt 1, next in 1 min 30 s)", "URL thiếu địa chỉ máy (lần thử 1, thử lại sau 1 phút 30 giây)",
			90 * time.Second},
		{matthan.StateUnsupported, "no H.264 or H.265 video track", "không có luồng hình H.264 hoặc H.265",
			"no H.264 or H.265 video track (attempt 1, next in 1 min)", "không có luồng hình H.264 hoặc H.265 (lần thử 1, thử lại sau 1 phút)", 0},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			h := newHarness(t, Config{AuthBackoff: tc.backoff}, pullCamera("cam-001"))
			url := "rtsp://10.0.0.1/cam-001/main"
			wait := max(tc.backoff, time.Minute)

			h.nextCall(url).finish(streamErr(tc.state, tc.en, tc.vi))
			e := h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, tc.state)
			if e.Reason != tc.wantEN || e.ReasonVI != tc.wantVI {
				t.Fatalf("reasons %q / %q", e.Reason, e.ReasonVI)
			}
			for range 3 {
				h.clk.waitDueIn(t, wait)
				h.clk.Advance(wait - time.Second)
				h.noCall(url)
				h.clk.Advance(time.Second)
				h.nextCall(url).finish(streamErr(tc.state, tc.en, tc.vi))
			}
			h.noEvent()
		})
	}
}

func TestStallDetectedWithinTimeout(t *testing.T) {
	h := newHarness(t, Config{StallTimeout: 5 * time.Second}, pullCamera("cam-001"))
	url := "rtsp://10.0.0.1/cam-001/main"

	call := h.nextCall(url)
	call.r.WriteUnit(videoUnit(0, true, 100))
	last := h.clk.Now()
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)

	// The camera keeps the connection open but sends nothing. The watchdog
	// arms its timer when the unit is handled, which may come after the
	// event: wait for it before moving the clock.
	h.clk.waitDue(t, last.Add(5*time.Second))
	h.clk.Advance(4900 * time.Millisecond)
	h.clk.waitDue(t, last.Add(5*time.Second)) // the watchdog waits exactly the timeout
	if call.cancelled() || h.status("cam-001", matthan.StreamMain).State != matthan.StateStreaming {
		t.Fatal("stalled before the timeout")
	}
	h.clk.Advance(100 * time.Millisecond)
	e := h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStreaming, matthan.StateStalled)
	if e.Reason != "no video for 5 s although the connection is open (attempt 1, next in 1 s)" ||
		e.ReasonVI != "không có hình trong 5 giây dù kết nối vẫn mở (lần thử 1, thử lại sau 1 giây)" {
		t.Fatalf("stall reasons %q / %q", e.Reason, e.ReasonVI)
	}
	if !call.cancelled() {
		t.Fatal("the stalled session was not ended")
	}

	// The retry opens a session that never sends video: still stalled, no
	// new event, and the first-video limit is ConnectTimeout + StallTimeout.
	h.clk.waitDueIn(t, time.Second)
	h.clk.Advance(time.Second)
	call = h.nextCall(url)
	h.clk.waitDueIn(t, 15*time.Second)
	h.clk.Advance(15 * time.Second)
	call.waitCancelled(t)
	h.clk.waitDueIn(t, 2*time.Second)
	st := h.status("cam-001", matthan.StreamMain)
	if st.State != matthan.StateStalled || st.Reason != "no video within 15 s of connecting (attempt 2, next in 2 s)" {
		t.Fatalf("after a silent retry: %+v", st.Health)
	}
	h.noEvent()

	// A retry that fails otherwise leaves stalled.
	h.clk.Advance(2 * time.Second)
	h.nextCall(url).finish(errRefused)
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStalled, matthan.StateOffline)

	// One that streams recovers.
	h.clk.waitDueIn(t, 4*time.Second)
	h.clk.Advance(4 * time.Second)
	h.nextCall(url).r.WriteUnit(videoUnit(0, true, 100))
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateOffline, matthan.StateStreaming)
}

// A stream that keeps failing changes nothing for its neighbour.
func TestFailingStreamDoesNotDisturbOthers(t *testing.T) {
	// 5.5 s puts the healthy stream's watchdog between the whole seconds of
	// the failing stream's back-off timers, so waitDue cannot mistake them.
	h := newHarness(t, Config{StallTimeout: 5500 * time.Millisecond}, pullCamera("cam-bad"), pullCamera("cam-good"))
	bad, good := "rtsp://10.0.0.1/cam-bad/main", "rtsp://10.0.0.1/cam-good/main"

	goodCall := h.nextCall(good)
	pts := time.Duration(0)
	feed := func() {
		goodCall.r.WriteUnit(videoUnit(pts, true, 1000))
		pts += time.Second
	}
	feed()
	h.expectEvent("cam-good", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)

	for i, d := range []time.Duration{1, 2, 4, 8, 16} {
		h.nextCall(bad).finish(errRefused)
		if i == 0 {
			h.expectEvent("cam-bad", matthan.StreamMain, matthan.StateConnecting, matthan.StateOffline)
		}
		h.clk.waitDueIn(t, d*time.Second)
		for range d {
			h.clk.Advance(time.Second)
			feed()
		}
	}
	h.nextCall(bad)

	h.noEvent()
	h.noCall(good)
	if goodCall.cancelled() {
		t.Fatal("the healthy stream's session was ended")
	}
	st := h.status("cam-good", matthan.StreamMain)
	if st.State != matthan.StateStreaming || st.Stats.Reconnects != 0 || st.Stats.Frames != 32 {
		t.Fatalf("healthy stream: %+v", st)
	}
	if got := h.m.Hub("cam-good", matthan.StreamMain).Published(); got != 32 {
		t.Fatalf("healthy hub published %d units, want 32", got)
	}
	if st := h.status("cam-bad", matthan.StreamMain); st.Stats.Reconnects != 5 {
		t.Fatalf("failing stream reconnects %d, want 5", st.Stats.Reconnects)
	}
}

func TestRunStopsEverySession(t *testing.T) {
	cam := pullCamera("cam-001")
	cam.SubURL = "rtsp://10.0.0.1/cam-001/sub"
	h := newHarness(t, Config{}, cam)
	main, sub := h.nextCall(cam.MainURL), h.nextCall(cam.SubURL)
	h.shutdown()
	if !main.cancelled() || !sub.cancelled() {
		t.Fatal("sessions still open after Run returned")
	}
	h.noEvent() // stopping the node is not a health change
}

func TestRunFailsWhenTheStoreFails(t *testing.T) {
	db := openStore(t)
	db.Close()
	m := NewManager(Config{}, db, nil, nil, nil)
	if err := m.Run(context.Background()); err == nil {
		t.Fatal("Run succeeded without a store")
	}
}
