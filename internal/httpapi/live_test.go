package httpapi

import (
	"net/http"
	"testing"

	"matthan"
)

// fakeLive answers like internal/live, recording what it was asked.
type fakeLive struct{ asked []string }

func (f *fakeLive) ServeWHEP(w http.ResponseWriter, r *http.Request, id string, role matthan.StreamRole) error {
	f.asked = append(f.asked, "whep "+id+"/"+string(role))
	w.WriteHeader(http.StatusCreated) // the SDP answer is live's business
	return nil
}

func (f *fakeLive) ServeWHEPDelete(w http.ResponseWriter, r *http.Request, sid string) error {
	f.asked = append(f.asked, "delete "+sid)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (f *fakeLive) ServeMSE(w http.ResponseWriter, r *http.Request, id string, role matthan.StreamRole) error {
	f.asked = append(f.asked, "mse "+id+"/"+string(role))
	return matthan.Errorf(matthan.ECONFLICT, "not streaming", "không phát")
}

// TestLiveRoutes: every role may watch live, each view is audited before
// video flows, and bad requests never reach the live server.
func TestLiveRoutes(t *testing.T) {
	fl := &fakeLive{}
	e := newEnvWith(t, func(d *Deps) { d.Live = fl })
	e.do("POST", "/api/cameras", "admin", cameraBody("cam-1"))
	if r := e.do("POST", "/api/cameras/cam-1/live/sub/whep", "viewer", "offer"); r.status != http.StatusCreated {
		t.Fatalf("viewer WHEP: %d %s", r.status, r.body)
	}
	expectError(t, e.do("GET", "/api/cameras/cam-1/live/main/mse", "officer", nil), http.StatusConflict, matthan.ECONFLICT)
	expectError(t, e.do("POST", "/api/cameras/cam-1/live/hd/whep", "viewer", "offer"), http.StatusBadRequest, matthan.EINVALID)
	expectError(t, e.do("POST", "/api/cameras/nope/live/main/whep", "viewer", "offer"), http.StatusNotFound, matthan.ENOTFOUND)
	if r := e.doAuth("POST", "/api/cameras/cam-1/live/sub/whep", "viewer", "wrong", "offer"); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	if r := e.do("DELETE", "/api/live/sessions/abc", "viewer", nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d", r.status)
	}
	want := []string{"whep cam-1/sub", "mse cam-1/main", "delete abc"}
	if len(fl.asked) != len(want) {
		t.Fatalf("live server asked %q, want %q", fl.asked, want)
	}
	for i := range want {
		if fl.asked[i] != want[i] {
			t.Fatalf("live server asked %q, want %q", fl.asked, want)
		}
	}
	audit, err := e.db.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-1"})
	if err != nil {
		t.Fatal(err)
	}
	var views []string
	for _, a := range audit {
		if a.Action == "live.webrtc" || a.Action == "live.mse" {
			views = append(views, a.User+" "+a.Action+" "+string(a.Stream))
		}
	}
	if len(views) != 2 || views[0] != "officer live.mse main" || views[1] != "viewer live.webrtc sub" {
		t.Fatalf("audited views %q", views)
	}

	off := newEnv(t) // no live server on this node
	off.do("POST", "/api/cameras", "admin", cameraBody("cam-1"))
	expectError(t, off.do("POST", "/api/cameras/cam-1/live/sub/whep", "viewer", "offer"), http.StatusNotFound, matthan.ENOTFOUND)
}
