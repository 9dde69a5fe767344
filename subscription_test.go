package matthan

import (
	"testing"
	"time"
)

func TestAlertSubscriptionWants(t *testing.T) {
	// 23:30 on 1 March in Vietnam is 16:30 UTC.
	at := func(h, m int) time.Time { return time.Date(2026, 3, 1, h, m, 0, 0, Vietnam).UTC() }
	noon := at(12, 0)
	khom1 := &Camera{ID: "cam-001", Area: "Khóm 1"}
	khom2 := &Camera{ID: "cam-003", Area: "Khóm 2"}
	ev := func(cam string, typ EventType, sev Severity) *AnalyticsEvent {
		return &AnalyticsEvent{ID: "e", Type: typ, CameraID: cam, Severity: sev}
	}
	loiter := ev("cam-001", EventLoitering, SeverityAlarm)
	helmet := ev("cam-001", EventNoHelmet, SeverityWarning)
	all := &AlertSubscription{MinSeverity: SeverityInfo}
	night := &AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "22:00", QuietTo: "06:00"}
	for _, tc := range []struct {
		name string
		sub  *AlertSubscription
		e    *AnalyticsEvent
		cam  *Camera
		now  time.Time
		want bool
	}{
		{"everything", all, helmet, khom1, noon, true},
		{"default: alarms only", DefaultAlertSubscription("an"), helmet, khom1, noon, false},
		{"default: alarm", DefaultAlertSubscription("an"), loiter, khom1, noon, true},
		{"severity below the minimum", &AlertSubscription{MinSeverity: SeverityWarning}, ev("cam-001", EventSecurityLapse, SeverityInfo), khom1, noon, false},
		{"severity at the minimum", &AlertSubscription{MinSeverity: SeverityWarning}, helmet, khom1, noon, true},
		{"type not chosen", &AlertSubscription{MinSeverity: SeverityInfo, Types: []EventType{EventTamper}}, loiter, khom1, noon, false},
		{"type chosen", &AlertSubscription{MinSeverity: SeverityInfo, Types: []EventType{EventTamper, EventLoitering}}, loiter, khom1, noon, true},
		{"area chosen", &AlertSubscription{MinSeverity: SeverityInfo, Areas: []string{"Khóm 1"}}, loiter, khom1, noon, true},
		{"other area", &AlertSubscription{MinSeverity: SeverityInfo, Areas: []string{"Khóm 2"}}, loiter, khom1, noon, false},
		{"area or camera", &AlertSubscription{MinSeverity: SeverityInfo, Areas: []string{"Khóm 1"}, Cameras: []string{"cam-003"}}, ev("cam-003", EventCrowd, SeverityWarning), khom2, noon, true},
		{"camera not chosen", &AlertSubscription{MinSeverity: SeverityInfo, Cameras: []string{"cam-003"}}, loiter, khom1, noon, false},
		{"unknown camera, areas chosen", &AlertSubscription{MinSeverity: SeverityInfo, Areas: []string{"Khóm 1"}}, ev("cam-gone", EventCrowd, SeverityWarning), nil, noon, false},
		{"unknown camera, all places", all, ev("cam-gone", EventCrowd, SeverityWarning), nil, noon, true},
		{"quiet before midnight", night, loiter, khom1, at(23, 30), false},
		{"quiet after midnight", night, loiter, khom1, at(5, 59), false},
		{"quiet starts inclusive", night, loiter, khom1, at(22, 0), false},
		{"quiet ends exclusive", night, loiter, khom1, at(6, 0), true},
		{"evening before quiet", night, loiter, khom1, at(21, 59), true},
		// 16:00 UTC is 23:00 in Vietnam: quiet there, whatever the server's zone.
		{"quiet in Vietnam time", night, loiter, khom1, time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), false},
		{"daytime quiet", &AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "12:00", QuietTo: "13:30"}, loiter, khom1, at(13, 0), false},
		{"after daytime quiet", &AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "12:00", QuietTo: "13:30"}, loiter, khom1, at(13, 30), true},
	} {
		if got := tc.sub.Wants(tc.e, tc.cam, tc.now); got != tc.want {
			t.Errorf("%s: Wants = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAlertSubscriptionValidate(t *testing.T) {
	ok := AlertSubscription{MinSeverity: SeverityInfo, Areas: []string{" Khóm 1 "}, QuietFrom: " 22:00", QuietTo: "06:00 "}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Areas[0] != "Khóm 1" || ok.QuietFrom != "22:00" || ok.QuietTo != "06:00" || ok.Cameras == nil || ok.Types == nil {
		t.Errorf("not normalised: %+v", ok)
	}
	for _, tc := range []struct {
		name  string
		s     AlertSubscription
		field string
	}{
		{"no severity", AlertSubscription{}, "min_severity"},
		{"unknown type", AlertSubscription{MinSeverity: SeverityInfo, Types: []EventType{"fire"}}, "types"},
		{"empty area", AlertSubscription{MinSeverity: SeverityInfo, Areas: []string{"  "}}, "areas"},
		{"empty camera", AlertSubscription{MinSeverity: SeverityInfo, Cameras: []string{""}}, "cameras"},
		{"only a start", AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "22:00"}, "quiet_to"},
		{"only an end", AlertSubscription{MinSeverity: SeverityInfo, QuietTo: "06:00"}, "quiet_from"},
		{"bad start", AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "24:00", QuietTo: "06:00"}, "quiet_from"},
		{"bad end", AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "22:00", QuietTo: "6h"}, "quiet_to"},
		{"same start and end", AlertSubscription{MinSeverity: SeverityInfo, QuietFrom: "22:00", QuietTo: "22:00"}, "quiet_to"},
	} {
		err := tc.s.Validate()
		e, isErr := err.(*Error)
		if !isErr || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != tc.field ||
			e.Fields[0].Message == "" || e.Fields[0].MessageVI == "" {
			t.Errorf("%s: %v, want one EINVALID field error on %s", tc.name, err, tc.field)
		}
	}
}
