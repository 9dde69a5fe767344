package app

import (
	"net/http"
	"strings"
	"testing"

	"matthan"
)

// TestDemoCommunity: the demo's household cameras belong to a contributor
// who can sign in with the password the banner shows and sees them; the
// ledger and the public transparency page have something to show; a second
// run changes nothing.
func TestDemoCommunity(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), "demo-admin-pw")
	cams := []matthan.Camera{
		{ID: "cam-001", Name: "Cổng chợ", Area: "Khóm 1", Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND"}, Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/a", Enabled: true},
		{ID: "cam-002", Name: "Nhà ông Sáu", Area: "Khóm 2", Owner: matthan.Owner{Kind: matthan.OwnerHousehold, Name: "Nguyễn Văn Sáu"}, Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/b", Enabled: true},
	}
	if err := Register(t.Context(), n.Store, cams); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := seedCommunity(t.Context(), n, cams); err != nil {
			t.Fatal(err)
		}
	}
	pw := demoContributorPassword(n.Config.Data)
	code, body := call(t, n, "GET", "/api/my/cameras", "", "Authorization", "Basic "+basic(demoContributor, pw))
	if code != http.StatusOK || !strings.Contains(body, `"id":"cam-002"`) || strings.Contains(body, `"id":"cam-001"`) {
		t.Fatalf("the demo contributor's cameras: %d %s", code, body)
	}
	if c, err := n.Store.Camera(t.Context(), "cam-002"); err != nil || len(c.PrivacyMasks) != 1 {
		t.Fatalf("the first household camera's privacy mask: %+v, %v", c, err)
	}
	totals, err := n.Store.LedgerTotals(t.Context(), matthan.LedgerFilter{})
	if err != nil || totals.Donations != 3 || totals.RaisedVND != 146_000_000 || totals.SpentVND != 6_700_000 {
		t.Fatalf("ledger after two seeds: %+v, %v", totals, err)
	}
	code, body = call(t, n, "GET", "/transparency", "")
	if code != http.StatusOK || !strings.Contains(body, "146.000.000") || strings.Contains(body, "Lê Thị Hoa") {
		t.Fatalf("transparency page: %d, total or anonymity wrong", code)
	}
}
