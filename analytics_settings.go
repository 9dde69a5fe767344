package matthan

import (
	"context"
	"encoding/json"
	"time"
)

// AnalyticsSettings are one camera's zones, lines, motion masks and rules as
// officers drew and tuned them. The registry keeps them as the analytics
// pipeline's JSON, which checks them before they are stored: the domain
// only keeps them, with who changed them last.
type AnalyticsSettings struct {
	CameraID  string          `json:"camera_id"`
	Settings  json.RawMessage `json:"settings"`
	UpdatedAt time.Time       `json:"updated_at"`
	UpdatedBy string          `json:"updated_by"`
}

// AnalyticsSettingsStore keeps each camera's analytics settings. A camera
// without settings of its own is analysed with the defaults; its settings
// go when the camera is deleted.
type AnalyticsSettingsStore interface {
	// AnalyticsSettings returns a camera's settings; ENOTFOUND when it has
	// none of its own.
	AnalyticsSettings(ctx context.Context, cameraID string) (*AnalyticsSettings, error)
	// SetAnalyticsSettings stores s and sets its UpdatedAt; ENOTFOUND when
	// the camera does not exist.
	SetAnalyticsSettings(ctx context.Context, s *AnalyticsSettings) error
	// DeleteAnalyticsSettings returns the camera to the defaults.
	DeleteAnalyticsSettings(ctx context.Context, cameraID string) error
}
