package httpapi

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"matthan"
)

// TestRecordSub: record_sub is false unless asked for on create, kept when
// an update leaves it out, changed when given, shown and audited.
func TestRecordSub(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stored := func(id string) bool {
		t.Helper()
		c, err := e.db.Camera(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.RecordSub
	}
	type recView struct {
		RecordSub *bool `json:"record_sub"`
	}
	shown := func(r resp) bool {
		t.Helper()
		v := decode[recView](t, r)
		if v.RecordSub == nil {
			t.Fatalf("response lacks record_sub: %s", r.body)
		}
		return *v.RecordSub
	}

	// Create without the key: off.
	r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-off"))
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	if shown(r) || stored("cam-off") {
		t.Error("a camera created without record_sub records its sub-stream")
	}

	// Create with it on.
	b := cameraBody("cam-on")
	b["record_sub"] = true
	r = e.do("POST", "/api/cameras", "admin", b)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	if !shown(r) || !stored("cam-on") {
		t.Error("record_sub: true on create was not kept")
	}
	if !shown(e.do("GET", "/api/cameras/cam-on", "viewer", nil)) {
		t.Error("GET shows record_sub false")
	}

	tests := []struct {
		name  string
		value any // nil: the key is left out
		want  bool
	}{
		{"missing key keeps true", nil, true},
		{"false turns it off", false, false},
		{"missing key keeps false", nil, false},
		{"true turns it on", true, true},
	}
	for _, tt := range tests {
		b := cameraBody("cam-on")
		delete(b, "password")
		if tt.value != nil {
			b["record_sub"] = tt.value
		}
		r := e.do("PUT", "/api/cameras/cam-on", "admin", b)
		if r.status != http.StatusOK {
			t.Fatalf("%s: update = %d %s", tt.name, r.status, r.body)
		}
		if shown(r) != tt.want || stored("cam-on") != tt.want {
			t.Errorf("%s: record_sub shown %v stored %v, want %v", tt.name, shown(r), stored("cam-on"), tt.want)
		}
	}

	// The audit names the field that changed.
	audit, err := e.db.Audit(ctx, matthan.AuditFilter{CameraID: "cam-on"})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, a := range audit {
		if a.Action == "camera.update" {
			details = append(details, a.Detail)
		}
	}
	want := []string{"changed: record_sub", "changed: nothing", "changed: record_sub", "changed: nothing"} // newest first
	if !slices.Equal(details, want) {
		t.Errorf("update audit details = %q, want %q", details, want)
	}

	// A value of the wrong type is a field error, and changes nothing.
	b = cameraBody("cam-on")
	b["record_sub"] = "yes"
	err2 := expectError(t, e.do("PUT", "/api/cameras/cam-on", "admin", b), 400, matthan.EINVALID)
	if got := fieldNames(err2); !slices.Equal(got, []string{"record_sub"}) {
		t.Errorf("fields = %v, want [record_sub]", got)
	}
	if !stored("cam-on") {
		t.Error("a rejected update changed record_sub")
	}
}
