package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"matthan"
)

func errNoAnalyticsSettings(cameraID string) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("camera %s has no analytics settings of its own", cameraID),
		fmt.Sprintf("Camera %s chưa có cấu hình phân tích riêng", cameraID))
}

// AnalyticsSettings returns a camera's analytics settings; ENOTFOUND when
// it has none of its own.
func (db *DB) AnalyticsSettings(ctx context.Context, cameraID string) (*matthan.AnalyticsSettings, error) {
	s := &matthan.AnalyticsSettings{CameraID: cameraID}
	var raw string
	var updated int64
	err := db.read.QueryRowContext(ctx, `SELECT settings, updated_at, updated_by FROM analytics_settings WHERE camera_id = ?`,
		cameraID).Scan(&raw, &updated, &s.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoAnalyticsSettings(cameraID)
	}
	if err != nil {
		return nil, fmt.Errorf("analytics settings of %s: %w", cameraID, err)
	}
	s.Settings, s.UpdatedAt = []byte(raw), fromMicros(updated)
	return s, nil
}

// SetAnalyticsSettings stores s (replacing what the camera had) and sets
// its UpdatedAt; ENOTFOUND when the camera does not exist.
func (db *DB) SetAnalyticsSettings(ctx context.Context, s *matthan.AnalyticsSettings) error {
	now := db.stamp()
	res, err := db.write.ExecContext(ctx, `INSERT INTO analytics_settings (camera_id, settings, updated_at, updated_by)
		SELECT id, ?, ?, ? FROM cameras WHERE id = ?
		ON CONFLICT (camera_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		string(s.Settings), toMicros(now), s.UpdatedBy, s.CameraID)
	if err != nil {
		return fmt.Errorf("store analytics settings of %s: %w", s.CameraID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errCameraNotFound(s.CameraID)
	}
	s.UpdatedAt = now
	return nil
}

// DeleteAnalyticsSettings returns a camera to the default settings; it is
// not an error when it had none.
func (db *DB) DeleteAnalyticsSettings(ctx context.Context, cameraID string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM analytics_settings WHERE camera_id = ?`, cameraID); err != nil {
		return fmt.Errorf("delete analytics settings of %s: %w", cameraID, err)
	}
	return nil
}
