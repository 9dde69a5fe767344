package sqlite

import (
	"path/filepath"
	"testing"

	"matthan"
)

func TestAnalyticsSettings(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	if err := db.CreateCamera(ctx, &matthan.Camera{ID: "cam-1", Name: "Cổng chợ", Area: "Khóm 1", MainURL: "rtsp://127.0.0.1/x", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AnalyticsSettings(ctx, "cam-1"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("a camera without settings: %v, want ENOTFOUND", err)
	}
	s := &matthan.AnalyticsSettings{CameraID: "cam-1", Settings: []byte(`{"zones":[]}`), UpdatedBy: "an"}
	if err := db.SetAnalyticsSettings(ctx, s); err != nil || s.UpdatedAt.IsZero() {
		t.Fatalf("set: %v %+v", err, s)
	}
	s2 := &matthan.AnalyticsSettings{CameraID: "cam-1", Settings: []byte(`{"zones":[{"name":"cổng"}]}`), UpdatedBy: "binh"}
	if err := db.SetAnalyticsSettings(ctx, s2); err != nil {
		t.Fatal(err)
	}
	got, err := db.AnalyticsSettings(ctx, "cam-1")
	if err != nil || string(got.Settings) != string(s2.Settings) || got.UpdatedBy != "binh" || !got.UpdatedAt.Equal(s2.UpdatedAt) {
		t.Fatalf("after replacing: %+v, %v", got, err)
	}
	if err := db.SetAnalyticsSettings(ctx, &matthan.AnalyticsSettings{CameraID: "cam-9", Settings: []byte(`{}`)}); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("an unknown camera: %v, want ENOTFOUND", err)
	}
	if err := db.DeleteAnalyticsSettings(ctx, "cam-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AnalyticsSettings(ctx, "cam-1"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	// The settings go with their camera.
	if err := db.SetAnalyticsSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCamera(ctx, "cam-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCamera(ctx, &matthan.Camera{ID: "cam-1", Name: "Cổng chợ mới", Area: "Khóm 1", MainURL: "rtsp://127.0.0.1/y", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AnalyticsSettings(ctx, "cam-1"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("a new camera with a deleted one's ID inherited its settings: %v", err)
	}
}
