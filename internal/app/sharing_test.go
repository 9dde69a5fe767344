package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"matthan"
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
