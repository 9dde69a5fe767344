package ingest

import (
	"testing"
	"time"

	"matthan"
)

func TestPushFlow(t *testing.T) {
	off := pushCamera("cam-off")
	off.Enabled = false
	pull := pullCamera("cam-pull")
	pull.Enabled = false // no pull sessions to tend here
	h := newHarness(t, Config{StallTimeout: 5 * time.Second}, pushCamera("cam-push"), pull, off)

	for _, role := range matthan.StreamRoles {
		st := h.status("cam-push", role)
		if st.State != matthan.StateOffline || st.Reason != "waiting for the camera to push" || st.ReasonVI != "đang chờ camera đẩy hình lên" {
			t.Fatalf("%s before any push: %+v", role, st.Health)
		}
	}
	if u, p, ok := h.m.PushCredentials("cam-push"); !ok || u != "pub" || p != "pushpass" {
		t.Fatalf("PushCredentials = %q, %q, %v", u, p, ok)
	}
	for _, id := range []string{"cam-pull", "cam-off", "cam-none"} {
		if _, _, ok := h.m.PushCredentials(id); ok {
			t.Errorf("%s has push credentials", id)
		}
	}
	for _, tc := range []struct {
		id   string
		role matthan.StreamRole
		code string
	}{
		{"cam-none", matthan.StreamMain, matthan.ENOTFOUND},
		{"cam-pull", matthan.StreamSub, matthan.ENOTFOUND}, // no sub URL
		{"cam-pull", matthan.StreamMain, matthan.EFORBIDDEN},
		{"cam-off", matthan.StreamMain, matthan.EFORBIDDEN},
	} {
		if _, _, err := h.m.StartPush(tc.id, tc.role, "10.1.1.1:5000"); matthan.ErrorCode(err) != tc.code {
			t.Errorf("StartPush(%s, %s) = %v, want code %s", tc.id, tc.role, err, tc.code)
		}
	}

	hub := h.m.Hub("cam-push", matthan.StreamMain)
	sub := hub.Subscribe(10)
	defer sub.Close()

	r, done, err := h.m.StartPush("cam-push", matthan.StreamMain, "10.1.1.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	r.WriteUnit(videoUnit(0, true, 500))
	last := h.clk.Now()
	h.expectEvent("cam-push", matthan.StreamMain, matthan.StateOffline, matthan.StateStreaming)
	if u := <-sub.Units(); u.Size() != 500 {
		t.Fatalf("hub delivered a unit of %d bytes", u.Size())
	}
	if st := h.status("cam-push", matthan.StreamSub); st.State != matthan.StateOffline {
		t.Fatalf("the sub stream moved too: %+v", st.Health)
	}

	// Stall: detected at the timeout; the session stays, video brings it back.
	h.clk.waitDue(t, last.Add(5*time.Second))
	h.clk.Advance(5 * time.Second)
	e := h.expectEvent("cam-push", matthan.StreamMain, matthan.StateStreaming, matthan.StateStalled)
	if e.Reason != "no video for 5 s although the connection is open" {
		t.Fatalf("stall reason %q", e.Reason)
	}
	h.clk.Advance(time.Minute) // no deadline while stalled
	h.noEvent()
	r.WriteUnit(videoUnit(time.Second, true, 500))
	h.expectEvent("cam-push", matthan.StreamMain, matthan.StateStalled, matthan.StateStreaming)

	done(nil)
	e = h.expectEvent("cam-push", matthan.StreamMain, matthan.StateStreaming, matthan.StateOffline)
	if e.Reason != "the camera stopped pushing" || e.ReasonVI != "camera đã ngừng đẩy hình" {
		t.Fatalf("end reasons %q / %q", e.Reason, e.ReasonVI)
	}
	published := hub.Published()
	r.WriteUnit(videoUnit(2*time.Second, true, 500))
	if hub.Published() != published {
		t.Fatal("an ended session still feeds the hub")
	}
	done(nil) // idempotent
	h.noEvent()

	// A newer session replaces an older one that never said goodbye.
	r1, _, err := h.m.StartPush("cam-push", matthan.StreamMain, "10.1.1.1:5001")
	if err != nil {
		t.Fatal(err)
	}
	r2, done2, err := h.m.StartPush("cam-push", matthan.StreamMain, "10.1.1.1:5002")
	if err != nil {
		t.Fatal(err)
	}
	if st := h.status("cam-push", matthan.StreamMain); st.Reason != "the camera connected from 10.1.1.1:5002; waiting for video" {
		t.Fatalf("reason after a new session: %q", st.Reason)
	}
	published = hub.Published()
	r1.WriteUnit(videoUnit(0, true, 500))
	if hub.Published() != published {
		t.Fatal("a replaced session still feeds the hub")
	}
	r2.WriteUnit(videoUnit(0, true, 500))
	h.expectEvent("cam-push", matthan.StreamMain, matthan.StateOffline, matthan.StateStreaming)
	done2(streamErr(matthan.StateOffline, "the publisher's connection dropped", "kết nối của nguồn đẩy bị ngắt"))
	e = h.expectEvent("cam-push", matthan.StreamMain, matthan.StateStreaming, matthan.StateOffline)
	if e.Reason != "the publisher's connection dropped" {
		t.Fatalf("reason %q", e.Reason)
	}

	// A session that never sends video is stalled after the timeout.
	_, _, err = h.m.StartPush("cam-push", matthan.StreamSub, "10.1.1.1:5003")
	if err != nil {
		t.Fatal(err)
	}
	h.clk.waitDueIn(t, 5*time.Second)
	h.clk.Advance(5 * time.Second)
	e = h.expectEvent("cam-push", matthan.StreamSub, matthan.StateOffline, matthan.StateStalled)
	if e.Reason != "no video within 5 s of connecting" {
		t.Fatalf("reason %q", e.Reason)
	}

	// Disabling the camera refuses new sessions and ends the open one.
	h.update("cam-push", func(c *matthan.Camera) { c.Enabled = false })
	h.expectEvent("cam-push", matthan.StreamMain, matthan.StateOffline, matthan.StateDisabled)
	h.expectEvent("cam-push", matthan.StreamSub, matthan.StateStalled, matthan.StateDisabled)
	if _, _, err := h.m.StartPush("cam-push", matthan.StreamMain, "10.1.1.1:5004"); matthan.ErrorCode(err) != matthan.EFORBIDDEN {
		t.Fatalf("StartPush on a disabled camera: %v", err)
	}
}
