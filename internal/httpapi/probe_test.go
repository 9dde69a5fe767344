package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"matthan"
	"matthan/internal/sim"
	"matthan/internal/sim/simtest"
)

type probeAnswer struct {
	OK      bool
	Streams []struct {
		Role          matthan.StreamRole
		OK            bool
		Codec         string
		Width, Height int
		FPS           float64
		Error         *probeError
	}
	Error *probeError
}

func TestTestCamera(t *testing.T) {
	e := newEnv(t)
	ward := simtest.Start(t, sim.Config{Cameras: 2})
	if err := ward.SetFault("cam-001", sim.Fault{Kind: sim.FaultPassword, User: "admin", Password: camPassword}); err != nil {
		t.Fatal(err)
	}
	body := func(edit func(map[string]any)) map[string]any {
		b := cameraBody("cam-new")
		b["main_url"], b["sub_url"] = ward.URL("cam-001", matthan.StreamMain), ward.URL("cam-001", matthan.StreamSub)
		if edit != nil {
			edit(b)
		}
		return b
	}
	stored := body(func(b map[string]any) { b["id"] = "cam-001" })
	if r := e.do("POST", "/api/cameras", "admin", stored); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return fmt.Sprintf("rtsp://%s/cam", l.Addr())
	}()

	for _, tc := range []struct {
		name  string
		body  any
		ok    bool
		state matthan.StreamState // of the first failure
	}{
		{"the form's fields", body(nil), true, ""},
		{"a stored camera by its id", map[string]any{"id": "cam-001"}, true, ""},
		{"the form over a stored camera keeps its password", body(func(b map[string]any) {
			b["id"], b["password"] = "cam-001", nil
		}), true, ""},
		{"wrong password", body(func(b map[string]any) { b["password"] = "sai-mat-khau" }), false, matthan.StateAuthFailed},
		{"no password", body(func(b map[string]any) { delete(b, "password"); delete(b, "username") }), false, matthan.StateAuthFailed},
		{"nothing listening", body(func(b map[string]any) { b["main_url"], b["sub_url"] = closed, "" }), false, matthan.StateOffline},
		{"no stream at the path", body(func(b map[string]any) {
			b["main_url"] = strings.Replace(ward.URL("cam-001", matthan.StreamMain), "cam-001", "cam-404", 1)
		}), false, matthan.StateBadURL},
		{"only the URL typed so far", map[string]any{"main_url": ward.URL("cam-002", matthan.StreamMain)}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/cameras/test", "admin", tc.body)
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			got := decode[probeAnswer](t, r)
			if got.OK != tc.ok {
				t.Fatalf("ok = %v, want %v: %s", got.OK, tc.ok, r.body)
			}
			if !tc.ok {
				if got.Error == nil || got.Error.State != tc.state || got.Error.Message == "" || got.Error.MessageVI == "" {
					t.Errorf("error %+v, want %s in both languages", got.Error, tc.state)
				}
				return
			}
			main := got.Streams[0]
			if main.Role != matthan.StreamMain || main.Codec != "H264" || main.Width != 1920 || main.Height != 1080 || main.FPS < 20 {
				t.Errorf("main stream %+v", main)
			}
			if len(got.Streams) == 2 && (got.Streams[1].Width != 640 || got.Streams[1].Height != 360) {
				t.Errorf("sub stream %+v", got.Streams[1])
			}
		})
	}

	rows := e.auditRows("camera.test")
	if len(rows) != 8 || rows[0].User != "admin" {
		t.Errorf("%d camera.test audit rows, want 8", len(rows))
	}
	for _, a := range rows {
		if strings.Contains(a.Detail, camPassword) || strings.Contains(a.Detail, "rtsp://") {
			t.Errorf("audit detail shows a URL or password: %q", a.Detail)
		}
	}
}

func TestTestCameraRefusals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, user string
		body       any
		status     int
		field      string
	}{
		{"an officer may not", "officer", map[string]any{"main_url": "rtsp://127.0.0.1/x"}, http.StatusForbidden, ""},
		{"signed out", "", map[string]any{"main_url": "rtsp://127.0.0.1/x"}, http.StatusUnauthorized, ""},
		{"bad URL", "admin", map[string]any{"main_url": "http://127.0.0.1/x"}, http.StatusBadRequest, "main_url"},
		{"no URL", "admin", map[string]any{"name": "x"}, http.StatusBadRequest, "main_url"},
		{"unknown camera", "admin", map[string]any{"id": "cam-404"}, http.StatusNotFound, ""},
		{"push camera", "admin", map[string]any{"source": "push", "username": "cam", "password": camPassword}, http.StatusBadRequest, "source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/cameras/test", tc.user, tc.body)
			code := map[int]string{400: matthan.EINVALID, 401: matthan.EUNAUTHORIZED, 403: matthan.EFORBIDDEN, 404: matthan.ENOTFOUND}[tc.status]
			got := expectError(t, r, tc.status, code)
			if tc.field != "" && !strings.Contains(strings.Join(fieldNames(got), ","), tc.field) {
				t.Errorf("fields %v, want %s", fieldNames(got), tc.field)
			}
		})
	}
	if rows := e.auditRows("camera.test"); len(rows) != 0 {
		t.Errorf("refused tests were audited: %d rows", len(rows))
	}
}
