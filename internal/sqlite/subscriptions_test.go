package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"matthan"
)

func TestAlertSubscriptions(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	clock := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	db.now = func() time.Time { return clock }
	for _, name := range []string{"an", "binh"} {
		if err := db.CreateUser(ctx, &matthan.User{Name: name, Role: matthan.RoleOfficer, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}

	// A user who never chose gets the default.
	got, err := db.AlertSubscription(ctx, "an")
	if err != nil {
		t.Fatal(err)
	}
	if want := matthan.DefaultAlertSubscription("an"); !sameSubscription(got, want) || !got.UpdatedAt.IsZero() {
		t.Fatalf("default: %+v, want %+v", got, want)
	}
	if _, err := db.AlertSubscription(ctx, "nobody"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("unknown user: %v", err)
	}

	night := &matthan.AlertSubscription{User: "an", Cameras: []string{"cam-009"}, Areas: []string{" Khóm 1 "},
		Types: []matthan.EventType{matthan.EventTamper, matthan.EventLoitering}, MinSeverity: matthan.SeverityWarning,
		QuietFrom: "22:00", QuietTo: "06:00", Desktop: false}
	if err := db.SetAlertSubscription(ctx, night); err != nil {
		t.Fatal(err)
	}
	if !night.UpdatedAt.Equal(storedTime(clock)) || night.Areas[0] != "Khóm 1" {
		t.Fatalf("set: %+v", night)
	}
	got, err = db.AlertSubscription(ctx, "an")
	if err != nil || !sameSubscription(got, night) || !got.UpdatedAt.Equal(night.UpdatedAt) {
		t.Fatalf("read back %+v (%v), want %+v", got, err, night)
	}
	// Binh still has the default.
	if other, err := db.AlertSubscription(ctx, "binh"); err != nil || !sameSubscription(other, matthan.DefaultAlertSubscription("binh")) {
		t.Fatalf("binh: %+v %v", other, err)
	}

	// A second save replaces the first, lists included.
	clock = clock.Add(time.Minute)
	day := &matthan.AlertSubscription{User: "an", MinSeverity: matthan.SeverityAlarm, Desktop: true}
	if err := db.SetAlertSubscription(ctx, day); err != nil {
		t.Fatal(err)
	}
	if got, err = db.AlertSubscription(ctx, "an"); err != nil || !sameSubscription(got, day) || len(got.Types) != 0 || got.Types == nil {
		t.Fatalf("after replace: %+v %v", got, err)
	}

	for _, tc := range []struct {
		name string
		s    matthan.AlertSubscription
		code string
	}{
		{"unknown user", matthan.AlertSubscription{User: "nobody", MinSeverity: matthan.SeverityInfo}, matthan.ENOTFOUND},
		{"bad severity", matthan.AlertSubscription{User: "an", MinSeverity: "loud"}, matthan.EINVALID},
		{"bad type", matthan.AlertSubscription{User: "an", MinSeverity: matthan.SeverityInfo, Types: []matthan.EventType{"fire"}}, matthan.EINVALID},
		{"half quiet", matthan.AlertSubscription{User: "an", MinSeverity: matthan.SeverityInfo, QuietFrom: "22:00"}, matthan.EINVALID},
	} {
		if err := db.SetAlertSubscription(ctx, &tc.s); matthan.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// A refused save changes nothing.
	if got, _ := db.AlertSubscription(ctx, "an"); !sameSubscription(got, day) {
		t.Errorf("after refused saves: %+v", got)
	}

	// The subscription goes with its user.
	if err := db.DeleteUser(ctx, "an"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_subscriptions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d subscriptions left after the user went (%v)", n, err)
	}
}

// sameSubscription compares what a user chose, not UpdatedAt.
func sameSubscription(a, b *matthan.AlertSubscription) bool {
	return a.User == b.User && slices.Equal(a.Cameras, b.Cameras) && slices.Equal(a.Areas, b.Areas) &&
		slices.Equal(a.Types, b.Types) && a.MinSeverity == b.MinSeverity && a.QuietFrom == b.QuietFrom &&
		a.QuietTo == b.QuietTo && a.Desktop == b.Desktop
}
