package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"matthan"
)

func TestAnalyticsSettings(t *testing.T) {
	var restarted []string
	e := newEnvWith(t, func(d *Deps) {
		d.AnalyticsSettings = d.Store.(matthan.AnalyticsSettingsStore)
		d.OnAnalyticsChanged = func(id string) { restarted = append(restarted, id) }
	})
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-001")); r.status != http.StatusCreated {
		t.Fatalf("create camera: %d %s", r.status, r.body)
	}
	const path = "/api/cameras/cam-001/analytics/settings"

	// A camera without settings of its own shows the defaults, in words.
	def := decode[settingsJSON](t, e.do("GET", path, "officer", nil))
	if def.Own || len(def.Settings.Zones) != 1 || len(def.Described) != 2 || def.Described[0].VI == "" {
		t.Fatalf("defaults: %+v", def)
	}

	gate := map[string]any{"name": "Cổng số 5", "kind": "gate", "polygon": []map[string]float64{{"x": 0.1, "y": 0.2}, {"x": 0.4, "y": 0.2}, {"x": 0.4, "y": 0.7}, {"x": 0.1, "y": 0.7}}}
	body := map[string]any{
		"zones": []any{gate},
		"lines": []any{},
		"masks": []any{map[string]any{"name": "cây", "polygon": []map[string]float64{{"x": 0.8, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 0.3}}}},
		"rules": map[string]any{"loitering": []any{map[string]any{"zone": "Cổng số 5", "min_stay": "3m",
			"during": []any{map[string]any{"name": "night", "from": "22:00", "to": "05:00"}}}}},
	}
	r := e.do("PUT", path, "officer", body)
	if r.status != http.StatusOK {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	got := decode[settingsJSON](t, r)
	if !got.Own || got.UpdatedBy != "officer" || got.UpdatedAt == nil || len(got.Settings.Masks) != 1 ||
		len(got.Described) != 1 || !strings.Contains(got.Described[0].VI, "Cổng số 5") || !strings.Contains(got.Described[0].VI, "22:00") {
		t.Fatalf("after put: %+v", got)
	}
	if !slices.Equal(restarted, []string{"cam-001"}) {
		t.Fatalf("analysis restarted for %v", restarted)
	}
	if again := decode[settingsJSON](t, e.do("GET", path, "admin", nil)); !again.Own || again.Settings.Zones[0].Name != "Cổng số 5" {
		t.Fatalf("read back: %+v", again)
	}
	audit, err := e.db.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-001"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(a *matthan.AuditEntry) bool {
		return a.Action == "analytics.settings" && a.User == "officer" && strings.Contains(a.Detail, "zones=1")
	}) {
		t.Fatalf("the change is not audited: %+v", audit)
	}

	// Wrong settings are refused field by field and change nothing.
	bad := map[string]any{"zones": []any{map[string]any{"name": "", "kind": "garden", "polygon": []any{}}},
		"rules": map[string]any{"parking": []any{map[string]any{"zone": "chợ", "min_stay": "1m"}}}}
	fields := fieldNames(expectError(t, e.do("PUT", path, "officer", bad), http.StatusBadRequest, matthan.EINVALID))
	for _, f := range []string{"zones[0].name", "zones[0].kind", "zones[0].polygon", "rules.parking[0].zone"} {
		if !slices.Contains(fields, f) {
			t.Errorf("fields %v, want %s", fields, f)
		}
	}
	expectError(t, e.do("PUT", path, "officer", map[string]any{"rulez": 1}), http.StatusBadRequest, matthan.EINVALID)
	if still := decode[settingsJSON](t, e.do("GET", path, "officer", nil)); still.Settings.Zones[0].Name != "Cổng số 5" {
		t.Fatalf("a refused change changed the settings: %+v", still)
	}

	// Viewers may not change or read them; an unknown camera is 404.
	if r := e.do("PUT", path, "viewer", body); r.status != http.StatusForbidden {
		t.Fatalf("viewer put: %d", r.status)
	}
	expectError(t, e.do("GET", "/api/cameras/cam-404/analytics/settings", "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
	expectError(t, e.do("PUT", "/api/cameras/cam-404/analytics/settings", "officer", body), http.StatusNotFound, matthan.ENOTFOUND)

	// Back to the defaults.
	if back := decode[settingsJSON](t, e.do("DELETE", path, "officer", nil)); back.Own || len(back.Described) != 2 {
		t.Fatalf("after delete: %+v", back)
	}
	if len(restarted) != 2 {
		t.Fatalf("analysis restarted %d times, want 2", len(restarted))
	}
}
