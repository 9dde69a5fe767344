package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"matthan"
	"matthan/internal/secret"
)

// TestRevokingStopsLiveView: an officer watches a household's camera live;
// the owner revokes sharing through the portal's API; the live view ends
// within seconds, the camera is disconnected, and the officer cannot start
// another.
func TestRevokingStopsLiveView(t *testing.T) {
	w := startWard(t, 1, nil)
	n := w.node
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 20*time.Second)
	ctx := t.Context()
	c, err := n.Store.Camera(ctx, "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	c.Contributor = "chu-nha"
	if err := n.Store.UpdateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}
	admin := http.Header{"Authorization": {"Basic " + basic("admin", adminPassword)}}
	if code, body := call(t, n, "POST", "/api/users", `{"name":"chu-nha","role":"contributor","password":"mật-khẩu-chủ-nhà"}`,
		"Authorization", admin.Get("Authorization"), "Content-Type", "application/json"); code != http.StatusCreated {
		t.Fatalf("create the owner: %d %s", code, body)
	}

	ws, _, err := websocket.Dial(ctx, "ws://"+n.HTTPAddr()+"/api/cameras/cam-001/live/main/mse", &websocket.DialOptions{HTTPHeader: admin})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if _, head, err := ws.Read(ctx); err != nil || !strings.Contains(string(head), `"mime"`) {
		t.Fatalf("live view header: %s, %v", head, err)
	}

	revoked := time.Now()
	if code, body := call(t, n, "PUT", "/api/my/cameras/cam-001/sharing", `{"mode":"revoked"}`,
		"Authorization", "Basic "+basic("chu-nha", "mật-khẩu-chủ-nhà"), "Content-Type", "application/json"); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, body)
	}
	readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		if _, _, err := ws.Read(readCtx); err != nil {
			if readCtx.Err() != nil {
				t.Fatal("the live view still runs 5 s after the owner revoked sharing")
			}
			break
		}
	}
	t.Logf("live view ended %v after the revocation", time.Since(revoked).Round(time.Millisecond))
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateDisabled, 10*time.Second)
	if st := w.status("cam-001", matthan.StreamMain); !strings.Contains(st.ReasonVI, "ngừng chia sẻ") {
		t.Errorf("the stream's reason: %q", st.ReasonVI)
	}
	code, body := call(t, n, "POST", "/api/cameras/cam-001/live/main/whep", "v=0", "Authorization", admin.Get("Authorization"), "Content-Type", "application/sdp")
	var e struct{ Error matthan.Error }
	json.Unmarshal([]byte(body), &e)
	if code != http.StatusForbidden || !strings.Contains(e.Error.MessageVI, "ngừng chia sẻ") {
		t.Errorf("a new live view after the revocation: %d %s", code, body)
	}
}

// TestRestreamFollowsSharing: the RTSP restream, like the browser's live
// view, is for staff and for cameras shared live: a reader of a camera
// whose owner switches to "recordings only" is disconnected and refused
// (403) from then on, while the camera keeps recording; a contributor's
// password opens no restream.
func TestRestreamFollowsSharing(t *testing.T) {
	w := startWard(t, 1, nil)
	n := w.node
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 20*time.Second)
	if err := n.Store.CreateUser(t.Context(), &matthan.User{Name: "chu-nha", Role: matthan.RoleContributor, PasswordHash: mustHash(t, "mật-khẩu-chủ-nhà")}); err != nil {
		t.Fatal(err)
	}
	read := func(user, pw string, seconds int) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		url := fmt.Sprintf("rtsp://%s:%s@%s/cam-001/main", user, pw, n.RTSPAddr())
		out, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
			"-i", url, "-t", fmt.Sprint(seconds), "-f", "null", "-").CombinedOutput()
		return string(out), err
	}
	if out, err := read("chu-nha", "mật-khẩu-chủ-nhà", 1); err == nil || !strings.Contains(out, "401") {
		t.Errorf("a contributor read the restream: %v %s", err, out)
	}

	// A reader watching when the owner switches to recordings only.
	type result struct {
		out string
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		out, err := read("admin", adminPassword, 60)
		done <- result{out, err, time.Now()}
	}()
	time.Sleep(3 * time.Second) // the reader is playing
	c, err := n.Store.Camera(t.Context(), "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	c.Sharing = matthan.Sharing{Mode: matthan.ShareRecordings}
	if err := n.Store.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	n.cameraChanged("cam-001")
	select {
	case r := <-done:
		t.Logf("the reader was cut %v after the change (%v)", r.at.Sub(changed).Round(time.Millisecond), r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the restream reader still plays 10 s after the owner stopped sharing live view")
	}
	if out, err := read("admin", adminPassword, 1); err == nil || !strings.Contains(out, "403") {
		t.Errorf("a new reader after the change: %v %s", err, out)
	}
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 10*time.Second) // still recorded
}

// TestRestreamRefusesMaskedCamera: a restream hands out the camera's own
// bytes, which no privacy mask covers, so a reader of a camera whose owner
// draws a mask is cut and refused (403) from then on, while the camera
// keeps recording and other cameras keep being restreamed.
func TestRestreamRefusesMaskedCamera(t *testing.T) {
	w := startWard(t, 2, nil)
	n := w.node
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 20*time.Second)
	w.waitState(t, "cam-002", matthan.StreamMain, matthan.StateStreaming, 20*time.Second)
	read := func(camera string, seconds int) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		url := fmt.Sprintf("rtsp://admin:%s@%s/%s/main", adminPassword, n.RTSPAddr(), camera)
		out, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
			"-i", url, "-t", fmt.Sprint(seconds), "-f", "null", "-").CombinedOutput()
		return string(out), err
	}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := read("cam-001", 60)
		done <- result{out, err}
	}()
	time.Sleep(3 * time.Second) // the reader is playing
	c, err := n.Store.Camera(t.Context(), "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	c.PrivacyMasks = []matthan.PrivacyMask{{Name: "cửa sổ nhà bên", Polygon: []matthan.Point{{X: 0.1, Y: 0.1}, {X: 0.4, Y: 0.1}, {X: 0.4, Y: 0.4}}}}
	if err := n.Store.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	n.cameraChanged("cam-001")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the restream reader still plays 10 s after the camera got a privacy mask")
	}
	if out, err := read("cam-001", 1); err == nil || !strings.Contains(out, "403") {
		t.Errorf("a new reader of the masked camera: %v %s", err, out)
	}
	if out, err := read("cam-002", 1); err != nil {
		t.Errorf("the camera without masks is no longer restreamed: %v %s", err, out)
	}
	w.waitState(t, "cam-001", matthan.StreamMain, matthan.StateStreaming, 10*time.Second) // still recorded
}

func TestRestreamRefusal(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	shared := &matthan.Camera{ID: "cam-001", Approval: matthan.ApprovalApproved}
	masked := *shared
	masked.PrivacyMasks = []matthan.PrivacyMask{{Polygon: []matthan.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}}}}
	recordingsOnly := *shared
	recordingsOnly.Sharing = matthan.Sharing{Mode: matthan.ShareRecordings}
	for _, tc := range []struct {
		c    *matthan.Camera
		want string
	}{
		{shared, ""},
		{&masked, "privacy masks"},
		{&recordingsOnly, "does not share it live"},
	} {
		if got := restreamRefusal(tc.c, now); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := secret.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
