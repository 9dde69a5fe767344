package matthan

import (
	"strings"
	"testing"
	"time"
)

func TestCameraAllows(t *testing.T) {
	vn := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, Vietnam) }
	night := []TimeWindow{{From: "22:00", To: "06:00"}}
	for _, tc := range []struct {
		name   string
		c      Camera
		access Access
		at     time.Time
		ok     bool
		whyVI  string
		active bool
	}{
		{"the ward's own camera", Camera{Enabled: true}, AccessLive, vn(12, 0), true, "", true},
		{"pending", Camera{Enabled: true, Approval: ApprovalPending}, AccessPlayback, vn(12, 0), false, "chưa được duyệt", false},
		{"rejected", Camera{Enabled: true, Approval: ApprovalRejected}, AccessLive, vn(12, 0), false, "chưa được duyệt", false},
		{"live share", Camera{Enabled: true, Approval: ApprovalApproved, Sharing: Sharing{Mode: ShareLive}}, AccessLive, vn(3, 0), true, "", true},
		{"recordings only: no live", Camera{Enabled: true, Sharing: Sharing{Mode: ShareRecordings}}, AccessLive, vn(3, 0), false, "chỉ chia sẻ bản ghi", true},
		{"recordings only: playback", Camera{Enabled: true, Sharing: Sharing{Mode: ShareRecordings}}, AccessPlayback, vn(3, 0), true, "", true},
		{"on request", Camera{Enabled: true, Sharing: Sharing{Mode: ShareOnRequest}}, AccessPlayback, vn(3, 0), false, "khi có yêu cầu", true},
		{"revoked", Camera{Enabled: true, Sharing: Sharing{Mode: ShareRevoked}}, AccessPlayback, vn(3, 0), false, "ngừng chia sẻ", false},
		{"paused: no live", Camera{Enabled: true, Sharing: Sharing{Mode: ShareLive, Paused: true}}, AccessLive, vn(3, 0), false, "tạm dừng", false},
		{"paused: footage shared before", Camera{Enabled: true, Sharing: Sharing{Mode: ShareLive, Paused: true}}, AccessPlayback, vn(3, 0), true, "", false},
		{"night window, at night", Camera{Enabled: true, Sharing: Sharing{Mode: ShareLive, Windows: night}}, AccessLive, vn(23, 30), true, "", true},
		{"night window, after midnight", Camera{Enabled: true, Sharing: Sharing{Mode: ShareLive, Windows: night}}, AccessPlayback, vn(5, 59), true, "", true},
		{"night window, at its end", Camera{Enabled: true, Sharing: Sharing{Mode: ShareLive, Windows: night}}, AccessPlayback, vn(6, 0), false, "vào giờ đó", true},
		{"night window, by day", Camera{Enabled: true, Sharing: Sharing{Mode: ShareLive, Windows: night}}, AccessLive, vn(12, 0), false, "vào giờ đó", true},
		{"switched off", Camera{Enabled: false}, AccessPlayback, vn(12, 0), true, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, why, whyVI := tc.c.Allows(tc.access, tc.at.UTC())
			if ok != tc.ok || (!ok && (why == "" || !strings.Contains(whyVI, tc.whyVI))) {
				t.Errorf("Allows = %v, %q, %q; want %v, …%s…", ok, why, whyVI, tc.ok, tc.whyVI)
			}
			if got := tc.c.Active(); got != tc.active {
				t.Errorf("Active = %v, want %v", got, tc.active)
			}
		})
	}
}

func TestSharingValidate(t *testing.T) {
	for _, tc := range []struct {
		s     Sharing
		field string // "" valid
	}{
		{Sharing{Mode: ShareLive}, ""},
		{Sharing{Mode: ShareRecordings, Windows: []TimeWindow{{"22:00", "06:00"}, {"11:30", "13:30"}}}, ""},
		{Sharing{Mode: "everything"}, "sharing.mode"},
		{Sharing{Mode: ShareLive, Windows: []TimeWindow{{"22:00", "22:00"}}}, "sharing.windows[0]"},
		{Sharing{Mode: ShareLive, Windows: []TimeWindow{{"8h", "17:00"}}}, "sharing.windows[0]"},
	} {
		err := tc.s.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.s, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != tc.field || e.Fields[0].MessageVI == "" {
			t.Errorf("%+v: %v, want a field error on %s", tc.s, err, tc.field)
		}
	}
	c := validCamera()
	c.Sharing = Sharing{Mode: "all"}
	bad := -5.0
	c.Direction = &bad
	err := c.Validate()
	if e, ok := err.(*Error); !ok || len(e.Fields) != 2 {
		t.Fatalf("camera with bad sharing and direction: %v", err)
	}
}
