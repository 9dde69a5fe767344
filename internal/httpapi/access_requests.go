package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"matthan"
)

// Access requests: an officer asks the owner of a camera shared "on
// request" for a stretch of its footage, with a reason; the owner grants,
// refuses, or later revokes it in their portal. A grant lets that officer
// play back and export that footage (sharing.go checks it); each step is
// audited on the camera, so the owner sees it in their access log.

func (s *Server) accessRequests() (matthan.AccessRequestStore, error) {
	if s.deps.AccessRequests == nil {
		return nil, matthan.Errorf(matthan.ENOTFOUND, "Access requests are not enabled on this node",
			"Máy chủ này chưa bật chức năng yêu cầu xem bản ghi")
	}
	return s.deps.AccessRequests, nil
}

// accessRequestView is a request as the API shows it: times also in
// Vietnam time, the camera's name, whether it lets its officer in now.
type accessRequestView struct {
	*matthan.AccessRequest
	CameraName     string `json:"camera_name"`
	FromLocal      string `json:"from_local"`
	ToLocal        string `json:"to_local"`
	CreatedAtLocal string `json:"created_at_local"`
	DecidedAtLocal string `json:"decided_at_local,omitempty"`
	UntilLocal     string `json:"until_local,omitempty"`
	Active         bool   `json:"active"` // granted and not expired
}

func (s *Server) viewAccessRequests(r *http.Request, list []*matthan.AccessRequest) []accessRequestView {
	names := map[string]string{}
	out := make([]accessRequestView, len(list))
	for i, a := range list {
		name, ok := names[a.CameraID]
		if !ok {
			if c, err := s.deps.Store.Camera(r.Context(), a.CameraID); err == nil {
				name = c.Name
			}
			names[a.CameraID] = name
		}
		v := accessRequestView{AccessRequest: a, CameraName: name, FromLocal: matthan.FormatLocal(a.From), ToLocal: matthan.FormatLocal(a.To),
			CreatedAtLocal: matthan.FormatLocal(a.CreatedAt), Active: a.Covers(a.From, a.To, s.now())}
		if !a.DecidedAt.IsZero() {
			v.DecidedAtLocal = matthan.FormatLocal(a.DecidedAt)
		}
		if !a.Until.IsZero() {
			v.UntilLocal = matthan.FormatLocal(a.Until)
		}
		out[i] = v
	}
	return out
}

// accessRequestInput is the body of POST /api/cameras/{id}/access-requests.
type accessRequestInput struct {
	From   string `json:"from"` // RFC 3339 or dd/MM/yyyy HH:mm:ss (Vietnam)
	To     string `json:"to"`
	Reason string `json:"reason"`
	CaseID int64  `json:"case_id"`
}

// POST /api/cameras/{id}/access-requests: an officer asks the owner of an
// on-request camera for footage of [from, to].
func (s *Server) handleCreateAccessRequest(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.accessRequests()
	if err != nil {
		return err
	}
	var in accessRequestInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.deps.Store.Camera(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if c.Sharing.Mode != matthan.ShareOnRequest || c.Contributor == "" {
		return matthan.Errorf(matthan.ECONFLICT,
			"This camera is not shared on request: its owner's sharing applies as it is",
			"Camera này không chia sẻ theo yêu cầu: áp dụng chế độ chia sẻ hiện tại của chủ camera")
	}
	req := &matthan.AccessRequest{CameraID: c.ID, Requester: u.Name, Reason: in.Reason, CaseID: in.CaseID}
	var fe []matthan.FieldError
	for _, f := range []struct {
		name, v string
		t       *time.Time
	}{{"from", in.From, &req.From}, {"to", in.To, &req.To}} {
		if f.v == "" {
			continue // Validate names a missing time
		}
		t, err := matthan.ParseTime(f.name, f.v)
		var me *matthan.Error
		if errors.As(err, &me) {
			fe = append(fe, me.Fields...)
		}
		*f.t = t
	}
	if len(fe) > 0 {
		return &matthan.Error{Code: matthan.EINVALID, Message: "The access request has invalid fields",
			MessageVI: "Yêu cầu xem bản ghi có trường không hợp lệ", Fields: fe}
	}
	if err := st.CreateAccessRequest(r.Context(), req); err != nil {
		return err
	}
	s.auditEvidence(r, u, "access.request", c.ID, accessDetail(req))
	s.writeJSON(w, r, http.StatusCreated, s.viewAccessRequests(r, []*matthan.AccessRequest{req})[0])
	return nil
}

// accessDetail is an audit entry's detail: the request, its footage and why.
func accessDetail(a *matthan.AccessRequest) string {
	d := fmt.Sprintf("request=%d from=%s to=%s reason=%q", a.ID, a.From.Format(time.RFC3339), a.To.Format(time.RFC3339), a.Reason)
	if a.CaseID != 0 {
		d += fmt.Sprintf(" case=%d", a.CaseID)
	}
	return d
}

// GET /api/access-requests?camera=ID&status=pending&mine=true: requests
// as the police see them, newest first.
func (s *Server) handleListAccessRequests(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.accessRequests()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := matthan.AccessRequestFilter{CameraID: q.Get("camera"), Status: matthan.RequestStatus(q.Get("status"))}
	if q.Get("mine") == "true" {
		f.Requester = u.Name
	}
	list, err := st.AccessRequests(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, s.viewAccessRequests(r, list))
	return nil
}

// GET /api/my/access-requests: the requests for the signed-in owner's
// cameras, newest first.
func (s *Server) handleMyAccessRequests(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.accessRequests()
	if err != nil {
		return err
	}
	list, err := st.AccessRequests(r.Context(), matthan.AccessRequestFilter{Contributor: u.Name, Status: matthan.RequestStatus(r.URL.Query().Get("status"))})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, s.viewAccessRequests(r, list))
	return nil
}

// decisionInput is the body of POST /api/my/access-requests/{id}/{answer}.
type decisionInput struct {
	Note string `json:"note"` // optional word to the officer
}

// POST /api/my/access-requests/{id}/grant, /refuse, /revoke: the owner
// answers a request for one of their cameras (another owner's is not
// found).
func (s *Server) handleDecideAccessRequest(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.accessRequests()
	if err != nil {
		return err
	}
	status, ok := map[string]matthan.RequestStatus{"grant": matthan.RequestGranted, "refuse": matthan.RequestRefused,
		"revoke": matthan.RequestRevoked}[r.PathValue("answer")]
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !ok || err != nil {
		return matthan.Errorf(matthan.ENOTFOUND, "No such access request or answer", "Không có yêu cầu hoặc câu trả lời này")
	}
	req, err := st.AccessRequest(r.Context(), id)
	if err != nil {
		return err
	}
	if _, err := s.ownCamera(r, u, req.CameraID); err != nil {
		return matthan.ErrAccessRequestNotFound(id)
	}
	var in decisionInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	req, err = st.DecideAccessRequest(r.Context(), id, status, u.Name, in.Note, s.now().UTC())
	if err != nil {
		return err
	}
	s.auditEvidence(r, u, "access."+r.PathValue("answer"), req.CameraID, accessDetail(req))
	s.writeJSON(w, r, http.StatusOK, s.viewAccessRequests(r, []*matthan.AccessRequest{req})[0])
	return nil
}
