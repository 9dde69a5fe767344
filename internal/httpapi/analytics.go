package httpapi

import (
	"net/http"

	"matthan"
	"matthan/internal/analytics/pipeline"
)

// BoxesSource gives what a camera's analysis sees now
// (*pipeline.Manager).
type BoxesSource interface {
	LiveBoxes(cameraID string) *pipeline.Boxes
}

// handleLiveBoxes answers the boxes to draw over a camera's live video. It
// shows no footage, so it is not audited, like the camera's status.
func (s *Server) handleLiveBoxes(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	// Boxes show where people are now: as much as live view, so shared as
	// live view is.
	c, err := s.deps.Store.Camera(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := sharedAt(c, matthan.AccessLive, s.now()); err != nil {
		return err
	}
	var b *pipeline.Boxes
	if s.deps.Boxes != nil {
		b = s.deps.Boxes.LiveBoxes(r.PathValue("id"))
	}
	if b == nil {
		return matthan.Errorf(matthan.ENOTFOUND, "This camera is not analysed (analytics is off, or its stream has not started)",
			"Camera này chưa được phân tích (chưa bật phân tích, hoặc luồng chưa chạy)")
	}
	s.writeJSON(w, r, http.StatusOK, b)
	return nil
}
