package ingest

import (
	"context"
	"testing"

	"matthan"
)

func TestCameraChangedReconciles(t *testing.T) {
	h := newHarness(t, Config{}, pullCamera("cam-001"))
	mainURL, subURL := "rtsp://10.0.0.1/cam-001/main", "rtsp://10.0.0.1/cam-001/sub"

	call := h.nextCall(mainURL)
	call.r.WriteUnit(videoUnit(0, true, 100))
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)
	hub := h.m.Hub("cam-001", matthan.StreamMain)
	if hub == nil || h.m.Hub("cam-001", matthan.StreamSub) != nil || h.m.Hub("nope", matthan.StreamMain) != nil {
		t.Fatal("wrong hubs at start")
	}

	// New credentials restart the session with them; the hub stays.
	h.update("cam-001", func(c *matthan.Camera) { c.Password = "new-pass" })
	if !call.cancelled() {
		t.Fatal("old session still open after a password change")
	}
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStreaming, matthan.StateConnecting)
	call = h.nextCall(mainURL)
	if call.req.Password != "new-pass" {
		t.Fatalf("restarted with password %q", call.req.Password)
	}
	call.r.WriteUnit(videoUnit(0, true, 100))
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateStreaming)
	if h.m.Hub("cam-001", matthan.StreamMain) != hub {
		t.Fatal("the hub changed on restart")
	}

	// A change that does not touch the stream leaves it alone.
	h.update("cam-001", func(c *matthan.Camera) { c.Name, c.Notes = "Cổng chợ", "đổi tên" })
	h.noCall(mainURL)
	if call.cancelled() {
		t.Fatal("renaming restarted the stream")
	}

	// A new sub URL adds the sub stream.
	h.update("cam-001", func(c *matthan.Camera) { c.SubURL = subURL })
	subCall := h.nextCall(subURL)
	if h.m.Hub("cam-001", matthan.StreamSub) == nil || call.cancelled() {
		t.Fatal("adding the sub stream went wrong")
	}
	if got := h.m.Status("cam-001"); len(got) != 2 || got[0].Role != matthan.StreamMain || got[1].Role != matthan.StreamSub {
		t.Fatalf("status %+v", got)
	}

	// Disabling stops both; events say so.
	h.update("cam-001", func(c *matthan.Camera) { c.Enabled = false })
	if !call.cancelled() || !subCall.cancelled() {
		t.Fatal("sessions open after disabling")
	}
	e := h.expectEvent("cam-001", matthan.StreamMain, matthan.StateStreaming, matthan.StateDisabled)
	if e.Reason != "the camera is switched off in the registry" || e.ReasonVI != "camera đang bị tắt trong danh sách quản lý" {
		t.Fatalf("disable reasons %q / %q", e.Reason, e.ReasonVI)
	}
	h.expectEvent("cam-001", matthan.StreamSub, matthan.StateConnecting, matthan.StateDisabled)
	h.noCall(mainURL)
	h.noCall(subURL)
	if h.m.Hub("cam-001", matthan.StreamMain) != hub {
		t.Fatal("a disabled camera lost its hub")
	}

	// Enabling starts both again.
	h.update("cam-001", func(c *matthan.Camera) { c.Enabled = true })
	call, subCall = h.nextCall(mainURL), h.nextCall(subURL)
	h.expectEvent("cam-001", matthan.StreamMain, matthan.StateDisabled, matthan.StateConnecting)
	h.expectEvent("cam-001", matthan.StreamSub, matthan.StateDisabled, matthan.StateConnecting)

	// Removing the sub URL drops the sub stream and its hub.
	h.update("cam-001", func(c *matthan.Camera) { c.SubURL = "" })
	subCall.waitCancelled(t)
	if h.m.Hub("cam-001", matthan.StreamSub) != nil || len(h.m.Status("cam-001")) != 1 || call.cancelled() {
		t.Fatal("removing the sub stream went wrong")
	}

	// Switching to push ends the pull and waits for the camera.
	if _, _, ok := h.m.PushCredentials("cam-001"); ok {
		t.Fatal("a pull camera has push credentials")
	}
	h.update("cam-001", func(c *matthan.Camera) { c.Source, c.MainURL = matthan.SourcePush, "" })
	call.waitCancelled(t)
	e = h.expectEvent("cam-001", matthan.StreamMain, matthan.StateConnecting, matthan.StateOffline)
	if e.Reason != "waiting for the camera to push" {
		t.Fatalf("push reason %q", e.Reason)
	}
	if u, p, ok := h.m.PushCredentials("cam-001"); !ok || u != "admin" || p != "new-pass" {
		t.Fatalf("PushCredentials = %q, %q, %v", u, p, ok)
	}
	if h.m.Hub("cam-001", matthan.StreamSub) == nil {
		t.Fatal("a push camera has no sub hub")
	}

	// Deleting drops everything.
	if err := h.store.DeleteCamera(context.Background(), "cam-001"); err != nil {
		t.Fatal(err)
	}
	h.m.CameraChanged("cam-001")
	if h.m.Hub("cam-001", matthan.StreamMain) != nil || h.m.Status("cam-001") != nil || len(h.m.AllStatus()) != 0 {
		t.Fatal("a deleted camera is still supervised")
	}
	if _, _, ok := h.m.PushCredentials("cam-001"); ok {
		t.Fatal("a deleted camera has push credentials")
	}

	// A camera registered while running starts.
	h.create(pullCamera("cam-002"))
	h.m.CameraChanged("cam-002")
	h.nextCall("rtsp://10.0.0.1/cam-002/main")
	h.noEvent()
}

func TestDisabledCameraStartsDisabled(t *testing.T) {
	cam := pullCamera("cam-off")
	cam.Enabled = false
	h := newHarness(t, Config{}, cam)
	if st := h.status("cam-off", matthan.StreamMain); st.State != matthan.StateDisabled {
		t.Fatalf("state %s", st.State)
	}
	if h.m.Hub("cam-off", matthan.StreamMain) == nil {
		t.Fatal("a registered disabled camera has no hub")
	}
	h.noCall(cam.MainURL)
	h.noEvent()
}
