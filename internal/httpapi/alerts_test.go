package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"matthan"
)

func TestMyAlerts(t *testing.T) {
	e := newEnv(t)

	// Nobody chose yet: the default, for every role.
	for _, user := range []string{"officer", "viewer"} {
		r := e.do("GET", "/api/me/alerts", user, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET as %s: %d %s", user, r.status, r.body)
		}
		got := decode[matthan.AlertSubscription](t, r)
		if got.MinSeverity != matthan.SeverityAlarm || !got.Desktop || got.Types == nil || len(got.Types) != 0 ||
			got.Areas == nil || got.Cameras == nil || !got.UpdatedAt.IsZero() {
			t.Errorf("default for %s: %s", user, r.body)
		}
	}
	expectError(t, e.do("GET", "/api/me/alerts", "", nil), http.StatusUnauthorized, matthan.EUNAUTHORIZED)

	// The web UI signs in with a cookie: a change needs the CSRF token.
	b := e.browser()
	b.signIn("officer", officerPassword)
	body := map[string]any{"types": []string{"tamper", "loitering"}, "areas": []string{"Khóm 1"}, "cameras": []string{},
		"min_severity": "warning", "quiet_from": "22:00", "quiet_to": "06:00", "desktop": false}
	expectError(t, b.send("PUT", "/api/me/alerts", body), http.StatusForbidden, matthan.EFORBIDDEN)
	r := b.write("PUT", "/api/me/alerts", body)
	if r.status != http.StatusOK {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	saved := decode[matthan.AlertSubscription](t, r)
	if saved.UpdatedAt.IsZero() || saved.MinSeverity != matthan.SeverityWarning {
		t.Errorf("PUT answered %s", r.body)
	}
	got := decode[matthan.AlertSubscription](t, b.send("GET", "/api/me/alerts", nil))
	if !slices.Equal(got.Types, []matthan.EventType{matthan.EventTamper, matthan.EventLoitering}) ||
		!slices.Equal(got.Areas, []string{"Khóm 1"}) || got.MinSeverity != matthan.SeverityWarning ||
		got.QuietFrom != "22:00" || got.QuietTo != "06:00" || got.Desktop {
		t.Errorf("read back %+v", got)
	}
	// Sending back what was read (updated_at included) is accepted.
	if r := b.write("PUT", "/api/me/alerts", got); r.status != http.StatusOK {
		t.Errorf("PUT of what GET gave: %d %s", r.status, r.body)
	}

	// Another user is unaffected.
	if other := decode[matthan.AlertSubscription](t, e.do("GET", "/api/me/alerts", "admin", nil)); other.MinSeverity != matthan.SeverityAlarm || len(other.Types) != 0 {
		t.Errorf("admin's subscription changed: %+v", other)
	}

	for _, tc := range []struct {
		name   string
		body   any
		fields []string
		code   string
	}{
		{"bad fields", map[string]any{"types": []string{"fire"}, "min_severity": "loud", "quiet_from": "25:00", "quiet_to": "06:00"},
			[]string{"types", "min_severity", "quiet_from"}, matthan.EINVALID},
		{"half quiet hours", map[string]any{"min_severity": "info", "quiet_from": "22:00"}, []string{"quiet_to"}, matthan.EINVALID},
		{"unknown field", `{"min_severity": "info", "user": "admin"}`, nil, matthan.EINVALID},
		{"not JSON", `{`, nil, matthan.EINVALID},
	} {
		err := expectError(t, e.do("PUT", "/api/me/alerts", "officer", tc.body), http.StatusBadRequest, tc.code)
		if got := fieldNames(err); tc.fields != nil && !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
		}
	}
	vi := expectError(t, e.do("PUT", "/api/me/alerts", "officer", map[string]any{"min_severity": "loud"}), http.StatusBadRequest, matthan.EINVALID)
	if vi.MessageVI != "Cài đặt cảnh báo có trường không hợp lệ" || vi.Fields[0].MessageVI != "Mức độ tối thiểu phải là info, warning hoặc alarm" {
		t.Errorf("Vietnamese messages: %+v", vi)
	}
	// Refused changes left the saved subscription alone.
	if got := decode[matthan.AlertSubscription](t, e.do("GET", "/api/me/alerts", "officer", nil)); got.MinSeverity != matthan.SeverityWarning || got.QuietFrom != "22:00" {
		t.Errorf("after refused PUTs: %+v", got)
	}
}
