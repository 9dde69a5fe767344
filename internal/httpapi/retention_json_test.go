package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"matthan"
)

// TestCameraRetentionFields: retain_days and quota_bytes are 0 (the node's
// defaults) unless given on create, kept when an update leaves them out,
// changed when given, shown, and validated with bilingual field errors.
func TestCameraRetentionFields(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	type retView struct {
		RetainDays *int   `json:"retain_days"`
		QuotaBytes *int64 `json:"quota_bytes"`
	}
	check := func(what string, r resp, id string, days int, quota int64) {
		t.Helper()
		v := decode[retView](t, r)
		if v.RetainDays == nil || v.QuotaBytes == nil {
			t.Fatalf("%s: response lacks retain_days or quota_bytes: %s", what, r.body)
		}
		c, err := e.db.Camera(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if *v.RetainDays != days || *v.QuotaBytes != quota || c.RetainDays != days || c.QuotaBytes != quota {
			t.Errorf("%s: shown (%d, %d), stored (%d, %d); want (%d, %d)", what,
				*v.RetainDays, *v.QuotaBytes, c.RetainDays, c.QuotaBytes, days, quota)
		}
	}

	r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-default"))
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	check("create without the keys", r, "cam-default", 0, 0)

	b := cameraBody("cam-kept")
	b["retain_days"], b["quota_bytes"] = 90, int64(2)<<40
	r = e.do("POST", "/api/cameras", "admin", b)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	check("create with both", r, "cam-kept", 90, 2<<40)
	check("GET", e.do("GET", "/api/cameras/cam-kept", "viewer", nil), "cam-kept", 90, 2<<40)

	tests := []struct {
		name        string
		days, quota any // nil: the key is left out
		wantDays    int
		wantQuota   int64
	}{
		{"missing keys keep both", nil, nil, 90, 2 << 40},
		{"days only", 7, nil, 7, 2 << 40},
		{"quota only", nil, 1000, 7, 1000},
		{"zero means the node's defaults", 0, 0, 0, 0},
		{"missing keys keep zeros", nil, nil, 0, 0},
	}
	for _, tt := range tests {
		b := cameraBody("cam-kept")
		delete(b, "password")
		if tt.days != nil {
			b["retain_days"] = tt.days
		}
		if tt.quota != nil {
			b["quota_bytes"] = tt.quota
		}
		r := e.do("PUT", "/api/cameras/cam-kept", "admin", b)
		if r.status != http.StatusOK {
			t.Fatalf("%s: update = %d %s", tt.name, r.status, r.body)
		}
		check(tt.name, r, "cam-kept", tt.wantDays, tt.wantQuota)
	}

	bad := []struct {
		name   string
		set    map[string]any
		fields []string
	}{
		{"negative days", map[string]any{"retain_days": -1}, []string{"retain_days"}},
		{"days over ten years", map[string]any{"retain_days": 3651}, []string{"retain_days"}},
		{"negative quota", map[string]any{"quota_bytes": -5}, []string{"quota_bytes"}},
		{"both", map[string]any{"retain_days": 4000, "quota_bytes": -1}, []string{"retain_days", "quota_bytes"}},
		{"days as text", map[string]any{"retain_days": "30"}, []string{"retain_days"}},
		{"fractional quota", map[string]any{"quota_bytes": 1.5}, []string{"quota_bytes"}},
	}
	for _, tt := range bad {
		b := cameraBody("cam-kept")
		for k, v := range tt.set {
			b[k] = v
		}
		got := expectError(t, e.do("PUT", "/api/cameras/cam-kept", "admin", b), 400, matthan.EINVALID)
		if names := fieldNames(got); !slices.Equal(names, tt.fields) {
			t.Errorf("%s: fields = %v, want %v", tt.name, names, tt.fields)
		}
		for _, f := range got.Fields {
			if f.Message == "" || f.MessageVI == "" || f.Message == f.MessageVI {
				t.Errorf("%s: field %s lacks a message in both languages: %+v", tt.name, f.Field, f)
			}
		}
	}
	if c, err := e.db.Camera(ctx, "cam-kept"); err != nil || c.RetainDays != 0 || c.QuotaBytes != 0 {
		t.Errorf("rejected updates changed the camera: %+v, %v", c, err)
	}
}
