package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"matthan"
)

var _ matthan.AlertSubscriptionStore = (*DB)(nil)

// AlertSubscription returns user's alert subscription, or the default when
// they never chose; ENOTFOUND for an unknown user.
func (db *DB) AlertSubscription(ctx context.Context, user string) (*matthan.AlertSubscription, error) {
	var (
		saved                   sql.NullInt64 // the row's updated_at; NULL: no row
		cams, areas, types      sql.NullString
		sev, quietFrom, quietTo sql.NullString
		desktop                 sql.NullBool
	)
	err := db.read.QueryRowContext(ctx, `SELECT s.updated_at, s.cameras, s.areas, s.types, s.min_severity,
		s.quiet_from, s.quiet_to, s.desktop
		FROM users u LEFT JOIN alert_subscriptions s ON s.user_id = u.id WHERE u.name = ?`, user).
		Scan(&saved, &cams, &areas, &types, &sev, &quietFrom, &quietTo, &desktop)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound(user)
	}
	if err != nil {
		return nil, fmt.Errorf("alert subscription of %q: %w", user, err)
	}
	if !saved.Valid {
		return matthan.DefaultAlertSubscription(user), nil
	}
	s := &matthan.AlertSubscription{User: user, MinSeverity: matthan.Severity(sev.String),
		QuietFrom: quietFrom.String, QuietTo: quietTo.String, Desktop: desktop.Bool, UpdatedAt: fromMicros(saved.Int64)}
	for _, list := range []struct {
		raw string
		to  any
	}{{cams.String, &s.Cameras}, {areas.String, &s.Areas}, {types.String, &s.Types}} {
		if err := json.Unmarshal([]byte(list.raw), list.to); err != nil {
			return nil, fmt.Errorf("alert subscription of %q: %w", user, err)
		}
	}
	// Fills nil lists; what was stored passed Validate already.
	s.Validate()
	return s, nil
}

// SetAlertSubscription replaces s.User's subscription and sets UpdatedAt.
func (db *DB) SetAlertSubscription(ctx context.Context, s *matthan.AlertSubscription) error {
	if err := s.Validate(); err != nil {
		return err
	}
	cams, _ := json.Marshal(s.Cameras) // strings: cannot fail
	areas, _ := json.Marshal(s.Areas)
	types, _ := json.Marshal(s.Types)
	now := db.stamp()
	res, err := db.write.ExecContext(ctx, `INSERT INTO alert_subscriptions
		(user_id, cameras, areas, types, min_severity, quiet_from, quiet_to, desktop, updated_at)
		SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM users WHERE name = ?
		ON CONFLICT (user_id) DO UPDATE SET cameras = excluded.cameras, areas = excluded.areas,
			types = excluded.types, min_severity = excluded.min_severity, quiet_from = excluded.quiet_from,
			quiet_to = excluded.quiet_to, desktop = excluded.desktop, updated_at = excluded.updated_at`,
		string(cams), string(areas), string(types), string(s.MinSeverity), s.QuietFrom, s.QuietTo,
		s.Desktop, toMicros(now), s.User)
	if err != nil {
		return fmt.Errorf("store alert subscription of %q: %w", s.User, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUserNotFound(s.User)
	}
	s.UpdatedAt = now
	return nil
}
