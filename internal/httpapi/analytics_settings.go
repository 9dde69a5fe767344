package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"matthan"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/analytics/rules"
)

// settingsJSON is a camera's analytics settings as the API shows them.
type settingsJSON struct {
	CameraID string            `json:"camera_id"`
	Own      bool              `json:"own"` // false: the camera is analysed with the defaults
	Settings pipeline.Settings `json:"settings"`
	// Described says each rule in words, in both languages.
	Described []rules.Text `json:"described"`
	UpdatedAt *time.Time   `json:"updated_at,omitempty"`
	UpdatedBy string       `json:"updated_by,omitempty"`
}

func errSettingsOff() error {
	return matthan.Errorf(matthan.ENOTFOUND, "Analytics settings are not available on this node",
		"Nút này không hỗ trợ cấu hình phân tích")
}

// analyticsSettings answers a camera's settings: its own, or the defaults.
func (s *Server) analyticsSettings(r *http.Request, id string) (*settingsJSON, error) {
	if s.deps.AnalyticsSettings == nil {
		return nil, errSettingsOff()
	}
	if _, err := s.deps.Store.Camera(r.Context(), id); err != nil {
		return nil, err
	}
	out := &settingsJSON{CameraID: id, Settings: pipeline.DefaultSettings()}
	stored, err := s.deps.AnalyticsSettings.AnalyticsSettings(r.Context(), id)
	switch {
	case matthan.ErrorCode(err) == matthan.ENOTFOUND:
	case err != nil:
		return nil, err
	default:
		if out.Settings, err = pipeline.ParseSettings(stored.Settings); err != nil {
			return nil, fmt.Errorf("stored analytics settings of %s: %w", id, err)
		}
		at := stored.UpdatedAt
		out.Own, out.UpdatedAt, out.UpdatedBy = true, &at, stored.UpdatedBy
	}
	out.Described = out.Settings.Describe()
	return out, nil
}

// handleGetAnalyticsSettings answers GET /api/cameras/{id}/analytics/settings.
func (s *Server) handleGetAnalyticsSettings(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	out, err := s.analyticsSettings(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// handlePutAnalyticsSettings answers PUT /api/cameras/{id}/analytics/settings:
// an officer's zones, lines, masks and rules, checked, stored, audited,
// and in force at once (the camera's analysis restarts with them).
func (s *Server) handlePutAnalyticsSettings(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.AnalyticsSettings == nil {
		return errSettingsOff()
	}
	id := r.PathValue("id")
	var in pipeline.Settings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := s.deps.AnalyticsSettings.SetAnalyticsSettings(r.Context(), &matthan.AnalyticsSettings{
		CameraID: id, Settings: raw, UpdatedBy: u.Name}); err != nil {
		return err
	}
	s.auditEvidence(r, u, "analytics.settings", id, fmt.Sprintf("zones=%d lines=%d masks=%d rules=%d",
		len(in.Zones), len(in.Lines), len(in.Masks), len(in.Describe())))
	s.analyticsChanged(id)
	return s.handleGetAnalyticsSettings(w, r, u)
}

// handleDeleteAnalyticsSettings answers DELETE …/analytics/settings: the
// camera goes back to the defaults.
func (s *Server) handleDeleteAnalyticsSettings(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.AnalyticsSettings == nil {
		return errSettingsOff()
	}
	id := r.PathValue("id")
	if _, err := s.deps.Store.Camera(r.Context(), id); err != nil {
		return err
	}
	if err := s.deps.AnalyticsSettings.DeleteAnalyticsSettings(r.Context(), id); err != nil {
		return err
	}
	s.auditEvidence(r, u, "analytics.settings", id, "defaults")
	s.analyticsChanged(id)
	return s.handleGetAnalyticsSettings(w, r, u)
}

func (s *Server) analyticsChanged(id string) {
	if s.deps.OnAnalyticsChanged != nil {
		s.deps.OnAnalyticsChanged(id)
	}
}
