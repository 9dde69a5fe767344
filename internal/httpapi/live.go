package httpapi

import (
	"net/http"

	"matthan"
)

// LiveSource serves live video to browsers (*live.Server): WebRTC with
// WHEP-style signalling, and fMP4 over WebSocket for Media Source
// Extensions when WebRTC cannot connect.
type LiveSource interface {
	ServeWHEP(w http.ResponseWriter, r *http.Request, cameraID string, role matthan.StreamRole) error
	ServeWHEPDelete(w http.ResponseWriter, r *http.Request, sid string) error
	ServeMSE(w http.ResponseWriter, r *http.Request, cameraID string, role matthan.StreamRole) error
}

// liveStream reads {id} and {stream} of a live route.
func liveStream(r *http.Request) (string, matthan.StreamRole, error) {
	role := matthan.StreamRole(r.PathValue("stream"))
	if role != matthan.StreamMain && role != matthan.StreamSub {
		return "", "", fieldInvalid("stream", "Must be main or sub", "Phải là main (luồng chính) hoặc sub (luồng phụ)")
	}
	return r.PathValue("id"), role, nil
}

func (s *Server) liveEnabled() error {
	if s.deps.Live == nil {
		return matthan.Errorf(matthan.ENOTFOUND, "Live view in the browser is not enabled on this node",
			"Nút này chưa bật xem trực tiếp trên trình duyệt")
	}
	return nil
}

// liveView checks a live request (the node serves live video, the stream
// role, the camera) and audits the view before any video is sent: a failing
// audit write refuses it, as for playback.
func (s *Server) liveView(r *http.Request, u *matthan.User, transport string) (string, matthan.StreamRole, error) {
	if err := s.liveEnabled(); err != nil {
		return "", "", err
	}
	id, role, err := liveStream(r)
	if err != nil {
		return "", "", err
	}
	c, err := s.deps.Store.Camera(r.Context(), id)
	if err != nil {
		return "", "", err
	}
	if err := sharedAt(c, matthan.AccessLive, s.now()); err != nil {
		return "", "", err
	}
	return id, role, s.auditPlayback(r, u, "live."+transport, id, role, "")
}

func (s *Server) handleWHEP(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id, role, err := s.liveView(r, u, "webrtc")
	if err != nil {
		return err
	}
	return s.deps.Live.ServeWHEP(w, r, id, role)
}

func (s *Server) handleWHEPDelete(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	if err := s.liveEnabled(); err != nil {
		return err
	}
	return s.deps.Live.ServeWHEPDelete(w, r, r.PathValue("sid"))
}

func (s *Server) handleMSE(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id, role, err := s.liveView(r, u, "mse")
	if err != nil {
		return err
	}
	// After the WebSocket upgrade ServeMSE reports errors inside the
	// socket and returns nil; before it, its error is answered here.
	return s.deps.Live.ServeMSE(w, r, id, role)
}
