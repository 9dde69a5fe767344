package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"matthan"
)

// Contributors (households, shops, schools, agencies) share cameras facing
// the street. Through these routes a contributor registers a camera (the
// police approve it before the node connects), sets its sharing, and sees
// every access to it; they never see another owner's camera, event or
// audit entry. The police approve or reject registrations.

// ownCamera returns camera id if u's own; ENOTFOUND otherwise, so that a
// contributor cannot even learn which IDs exist.
func (s *Server) ownCamera(r *http.Request, u *matthan.User, id string) (*matthan.Camera, error) {
	c, err := s.deps.Store.Camera(r.Context(), id)
	if err != nil || c.Contributor != u.Name {
		return nil, matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("You have no camera %q", id),
			fmt.Sprintf("Bạn không có camera %q", id))
	}
	return c, nil
}

// handleMyCameras answers GET /api/my/cameras: the contributor's cameras
// with their health, approval and sharing.
func (s *Server) handleMyCameras(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{Contributor: u.Name})
	if err != nil {
		return fmt.Errorf("my cameras: %w", err)
	}
	views := make([]cameraView, 0, len(cams))
	for _, c := range cams {
		views = append(views, s.view(c))
	}
	s.writeJSON(w, r, http.StatusOK, views)
	return nil
}

// handleRegisterCamera answers POST /api/my/cameras: a contributor
// registers a camera facing the street. It waits for the police's
// approval; until then the node does not connect to it.
func (s *Server) handleRegisterCamera(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in cameraInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &matthan.Camera{}
	if err := in.toCamera(c, true); err != nil {
		return err
	}
	// What only the ward decides: ownership, approval, how long it keeps
	// the footage and how much disk it may take.
	c.Contributor, c.Approval, c.ApprovalNote = u.Name, matthan.ApprovalPending, ""
	c.RetainDays, c.QuotaBytes, c.Enabled = 0, 0, true
	if c.Sharing.Mode == "" {
		c.Sharing.Mode = matthan.ShareLive
	}
	if c.Owner.Kind == matthan.OwnerWard {
		return &matthan.Error{Code: matthan.EINVALID, Message: "The camera has invalid fields",
			MessageVI: "Thông tin camera có trường không hợp lệ", Fields: []matthan.FieldError{{Field: "owner.kind",
				Message:   "A contributed camera belongs to a household, shop, school or agency",
				MessageVI: "Camera đóng góp thuộc về hộ gia đình, cửa hàng, trường học hoặc cơ quan"}}}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.deps.Store.CreateCamera(r.Context(), c); err != nil {
		return fmt.Errorf("register camera: %w", err)
	}
	s.changed(r, u, "camera.register", c.ID, "")
	w.Header().Set("Location", "/api/cameras/"+url.PathEscape(c.ID))
	s.writeJSON(w, r, http.StatusCreated, s.view(c))
	return nil
}

// handleSetSharing answers PUT /api/my/cameras/{id}/sharing: the owner's
// choice, in force at once (a paused or revoked camera is disconnected,
// and live viewers of a camera no longer shared live are cut).
func (s *Server) handleSetSharing(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	c, err := s.ownCamera(r, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in matthan.Sharing
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	c.Sharing = in
	if err := s.deps.Store.UpdateCamera(r.Context(), c); err != nil {
		return fmt.Errorf("set sharing: %w", err)
	}
	var windows []string
	for _, win := range in.Windows {
		windows = append(windows, win.From+"-"+win.To)
	}
	s.changed(r, u, "camera.sharing", c.ID, fmt.Sprintf("mode=%s paused=%t windows=%s", in.Mode, in.Paused, strings.Join(windows, ",")))
	s.writeJSON(w, r, http.StatusOK, s.view(c))
	return nil
}

// handleMyAccess answers GET /api/my/access: every access to the
// contributor's cameras (who, when, what: live, playback, export, and
// changes), newest first. ?camera= narrows it to one of them.
func (s *Server) handleMyAccess(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{Contributor: u.Name})
	if err != nil {
		return fmt.Errorf("my cameras: %w", err)
	}
	ids := make([]string, 0, len(cams))
	for _, c := range cams {
		ids = append(ids, c.ID)
	}
	if id := r.URL.Query().Get("camera"); id != "" {
		if !slices.Contains(ids, id) {
			return matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("You have no camera %q", id), fmt.Sprintf("Bạn không có camera %q", id))
		}
		ids = []string{id}
	}
	out := []*matthan.AuditEntry{}
	for _, id := range ids {
		es, err := s.deps.Store.Audit(r.Context(), matthan.AuditFilter{CameraID: id})
		if err != nil {
			return fmt.Errorf("access to %s: %w", id, err)
		}
		for _, e := range es {
			if e.Action == "reminder.follow-up" {
				e.Detail = "" // the police's own note on their follow-up
			}
		}
		out = append(out, es...)
	}
	slices.SortStableFunc(out, func(a, b *matthan.AuditEntry) int { return b.At.Compare(a.At) })
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// approvalInput is the body of POST /api/cameras/{id}/approval.
type approvalInput struct {
	Approval matthan.Approval `json:"approval"` // approved or rejected
	Note     string           `json:"note"`     // to the owner; required to reject
}

// handleApproval answers POST /api/cameras/{id}/approval: the police
// approve a contributed camera (the node then connects to it) or reject it
// with a note the owner reads.
func (s *Server) handleApproval(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	c, err := s.deps.Store.Camera(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in approvalInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	in.Note = strings.TrimSpace(in.Note)
	var bad []matthan.FieldError
	switch {
	case in.Approval != matthan.ApprovalApproved && in.Approval != matthan.ApprovalRejected:
		bad = append(bad, matthan.FieldError{Field: "approval", Message: "Must be approved or rejected", MessageVI: "Phải là approved (duyệt) hoặc rejected (từ chối)"})
	case in.Approval == matthan.ApprovalRejected && in.Note == "":
		bad = append(bad, matthan.FieldError{Field: "note", Message: "Tell the owner why it is rejected", MessageVI: "Hãy cho chủ camera biết lý do từ chối"})
	}
	if len([]rune(in.Note)) > 500 {
		bad = append(bad, matthan.FieldError{Field: "note", Message: "At most 500 characters", MessageVI: "Tối đa 500 ký tự"})
	}
	if len(bad) > 0 {
		return &matthan.Error{Code: matthan.EINVALID, Message: "The decision is not valid", MessageVI: "Quyết định duyệt không hợp lệ", Fields: bad}
	}
	c.Approval, c.ApprovalNote = in.Approval, in.Note
	if err := s.deps.Store.UpdateCamera(r.Context(), c); err != nil {
		return fmt.Errorf("approve camera: %w", err)
	}
	s.changed(r, u, "camera.approval", c.ID, string(in.Approval))
	s.writeJSON(w, r, http.StatusOK, s.view(c))
	return nil
}
