package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"matthan"
)

// knownStates are the values the status filter takes.
func knownStates() []matthan.StreamState {
	return []matthan.StreamState{
		matthan.StateConnecting, matthan.StateStreaming, matthan.StateStalled,
		matthan.StateOffline, matthan.StateAuthFailed, matthan.StateUnsupported,
		matthan.StateBadURL, matthan.StateDisabled,
	}
}

// handleListCameras answers GET /api/cameras with a JSON array of cameras.
// Filters (all optional, combined with AND): area, owner (owner kind),
// enabled (true|false), status (state of the main stream).
func (s *Server) handleListCameras(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	q := r.URL.Query()
	var f matthan.CameraFilter
	var bad []matthan.FieldError
	f.Area = q.Get("area")
	if o := q.Get("owner"); o != "" {
		f.OwnerKind = matthan.OwnerKind(o)
		if !slices.Contains(matthan.OwnerKinds, f.OwnerKind) {
			bad = append(bad, matthan.FieldError{Field: "owner",
				Message:   "Owner must be one of: ward, household, shop, school, agency",
				MessageVI: "Loại chủ sở hữu phải là: ward, household, shop, school, agency"})
		}
	}
	if e := q.Get("enabled"); e != "" {
		b, err := strconv.ParseBool(e)
		if err != nil {
			bad = append(bad, matthan.FieldError{Field: "enabled",
				Message: "Enabled must be true or false", MessageVI: "enabled phải là true hoặc false"})
		}
		f.Enabled = &b
	}
	status := matthan.StreamState(q.Get("status"))
	if status != "" && !slices.Contains(knownStates(), status) {
		bad = append(bad, matthan.FieldError{Field: "status",
			Message:   "Unknown status; use one of: connecting, streaming, stalled, offline, auth_failed, unsupported_codec, bad_url, disabled",
			MessageVI: "Trạng thái không hợp lệ; dùng một trong: connecting, streaming, stalled, offline, auth_failed, unsupported_codec, bad_url, disabled"})
	}
	if len(bad) > 0 {
		return &matthan.Error{Code: matthan.EINVALID,
			Message: "Invalid filter", MessageVI: "Bộ lọc không hợp lệ", Fields: bad}
	}

	cams, err := s.deps.Store.Cameras(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list cameras: %w", err)
	}
	views := make([]cameraView, 0, len(cams))
	for _, c := range cams {
		v := s.view(c)
		if status != "" && (len(v.Streams) == 0 || v.Streams[0].State != status) {
			continue
		}
		views = append(views, v)
	}
	s.writeJSON(w, r, http.StatusOK, views)
	return nil
}

func (s *Server) handleGetCamera(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	c, err := s.deps.Store.Camera(r.Context(), r.PathValue("id"))
	if err != nil {
		return fmt.Errorf("get camera: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, s.view(c))
	return nil
}

func (s *Server) handleCreateCamera(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in cameraInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &matthan.Camera{}
	if err := in.toCamera(c, true); err != nil {
		return err
	}
	if err := s.deps.Store.CreateCamera(r.Context(), c); err != nil {
		return fmt.Errorf("create camera: %w", err)
	}
	s.changed(r, u, "camera.create", c.ID, "")
	w.Header().Set("Location", "/api/cameras/"+url.PathEscape(c.ID))
	s.writeJSON(w, r, http.StatusCreated, s.view(c))
	return nil
}

// handleUpdateCamera replaces a camera with the body (a full update; see
// cameraInput for the password and enabled rules). The ID cannot change.
func (s *Server) handleUpdateCamera(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id := r.PathValue("id")
	var in cameraInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = id
	} else if in.ID != id {
		return &matthan.Error{Code: matthan.EINVALID,
			Message: "The camera has invalid fields", MessageVI: "Thông tin camera có trường không hợp lệ",
			Fields: []matthan.FieldError{{Field: "id",
				Message:   "The ID cannot be changed: it must match the URL",
				MessageVI: "Không thể đổi mã camera: mã phải trùng với địa chỉ URL"}}}
	}
	old, err := s.deps.Store.Camera(r.Context(), id)
	if err != nil {
		return fmt.Errorf("get camera: %w", err)
	}
	c := *old
	if err := in.toCamera(&c, false); err != nil {
		return err
	}
	if err := s.deps.Store.UpdateCamera(r.Context(), &c); err != nil {
		return fmt.Errorf("update camera: %w", err)
	}
	s.changed(r, u, "camera.update", id, "changed: "+strings.Join(changedFields(old, &c), ", "))
	s.writeJSON(w, r, http.StatusOK, s.view(&c))
	return nil
}

func (s *Server) handleDeleteCamera(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id := r.PathValue("id")
	if err := s.deps.Store.DeleteCamera(r.Context(), id); err != nil {
		return fmt.Errorf("delete camera: %w", err)
	}
	s.changed(r, u, "camera.delete", id, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changed records a successful change in the audit log and tells ingest.
// The change is done by now, so a failing audit write is logged, not
// answered as a failure the client would retry.
func (s *Server) changed(r *http.Request, u *matthan.User, action, id, detail string) {
	e := &matthan.AuditEntry{
		At: s.now().UTC(), User: u.Name, Action: action,
		CameraID: id, Remote: remoteHost(r), Detail: detail,
	}
	if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "audit write failed", "camera", id, "action", action, "err", err)
	}
	s.log.InfoContext(r.Context(), "camera changed", "camera", id, "action", action, "user", u.Name)
	if s.deps.OnCameraChanged != nil {
		s.deps.OnCameraChanged(id)
	}
}

// changedFields names the fields an update changed, for the audit detail.
// Values are left out: they may be personal data or a password.
func changedFields(a, b *matthan.Camera) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", a.Name != b.Name)
	add("area", a.Area != b.Area)
	add("address", a.Address != b.Address)
	add("location", a.Latitude != b.Latitude || a.Longitude != b.Longitude)
	add("owner", a.Owner != b.Owner)
	add("source", a.Source != b.Source)
	add("main_url", a.MainURL != b.MainURL)
	add("sub_url", a.SubURL != b.SubURL)
	add("username", a.Username != b.Username)
	add("password", a.Password != b.Password)
	add("enabled", a.Enabled != b.Enabled)
	add("record_sub", a.RecordSub != b.RecordSub)
	add("retain_days", a.RetainDays != b.RetainDays)
	add("quota_bytes", a.QuotaBytes != b.QuotaBytes)
	add("tags", !slices.Equal(a.Tags, b.Tags))
	add("notes", a.Notes != b.Notes)
	add("contributor", a.Contributor != b.Contributor)
	add("approval", a.Approval != b.Approval || a.ApprovalNote != b.ApprovalNote)
	add("sharing", !reflect.DeepEqual(a.Sharing, b.Sharing))
	add("direction", !reflect.DeepEqual(a.Direction, b.Direction))
	if len(out) == 0 {
		return []string{"nothing"}
	}
	return out
}

// handleCameraHealth answers GET /api/cameras/{id}/health with the stream
// health changes of a camera, newest first.
// Query: since (RFC 3339), limit (1–1000).
func (s *Server) handleCameraHealth(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	id := r.PathValue("id")
	if _, err := s.deps.Store.Camera(r.Context(), id); err != nil {
		return fmt.Errorf("get camera: %w", err)
	}
	since, limit, err := sinceAndLimit(r.URL.Query())
	if err != nil {
		return err
	}
	events, err := s.deps.Store.HealthEvents(r.Context(),
		matthan.HealthEventFilter{CameraID: id, Since: since, Limit: limit})
	if err != nil {
		return fmt.Errorf("health events: %w", err)
	}
	if events == nil {
		events = []*matthan.HealthEvent{}
	}
	s.writeJSON(w, r, http.StatusOK, events)
	return nil
}

func (s *Server) handlePresets(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	s.writeJSON(w, r, http.StatusOK, matthan.Brands())
	return nil
}

// handleAudit answers GET /api/audit, newest first. Query: user, camera,
// since (RFC 3339), limit (1–1000).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	q := r.URL.Query()
	since, limit, err := sinceAndLimit(q)
	if err != nil {
		return err
	}
	entries, err := s.deps.Store.Audit(r.Context(), matthan.AuditFilter{
		User: q.Get("user"), CameraID: q.Get("camera"), Since: since, Limit: limit,
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if entries == nil {
		entries = []*matthan.AuditEntry{}
	}
	s.writeJSON(w, r, http.StatusOK, entries)
	return nil
}

// maxListLimit bounds limit= on history lists.
const maxListLimit = 1000

func sinceAndLimit(q url.Values) (since time.Time, limit int, err error) {
	var bad []matthan.FieldError
	if v := q.Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339, v); err != nil {
			bad = append(bad, matthan.FieldError{Field: "since",
				Message:   "since must be a time like 2026-01-31T08:00:00+07:00",
				MessageVI: "since phải là thời điểm dạng 2026-01-31T08:00:00+07:00"})
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxListLimit {
			bad = append(bad, matthan.FieldError{Field: "limit",
				Message:   fmt.Sprintf("limit must be a number from 1 to %d", maxListLimit),
				MessageVI: fmt.Sprintf("limit phải là số từ 1 đến %d", maxListLimit)})
		}
	}
	if len(bad) > 0 {
		return time.Time{}, 0, &matthan.Error{Code: matthan.EINVALID,
			Message: "Invalid query", MessageVI: "Tham số truy vấn không hợp lệ", Fields: bad}
	}
	return since.UTC(), limit, nil
}
