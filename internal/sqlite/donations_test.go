package sqlite

import (
	"path/filepath"
	"slices"
	"testing"

	"matthan"
)

func TestDonationLedger(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	for _, c := range []struct{ id, area string }{{"cam-001", "Khóm 1"}, {"cam-002", "Khóm 1"}, {"cam-003", "Khóm 2"}} {
		if err := db.CreateCamera(ctx, &matthan.Camera{ID: c.id, Name: "Camera " + c.id, Area: c.area, Latitude: 10.03, Longitude: 105.77,
			Owner: matthan.Owner{Kind: matthan.OwnerWard}, Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1/" + c.id}); err != nil {
			t.Fatal(err)
		}
	}

	big := &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorCompany, Name: "Công ty TNHH Ánh Dương", Address: "5 Trần Phú",
		Contact: "0912345678"}, Kind: matthan.DonationMoney, AmountVND: 300_000_001, Date: "2026-03-12",
		Purpose: "Lắp camera khu chợ", Cameras: []string{"cam-003", "cam-001"}, ReceiptNo: "PT-2026-0012", CreatedBy: "admin"}
	if err := db.CreateDonation(ctx, big); err != nil {
		t.Fatal(err)
	}
	if big.ID == 0 || big.CreatedAt.IsZero() || !slices.Equal(big.Cameras, []string{"cam-001", "cam-003"}) {
		t.Fatalf("created %+v", big)
	}
	gear := &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorHousehold, Name: "Hộ bà Năm", Anonymous: true},
		Kind: matthan.DonationEquipment, AmountVND: 12_000_000, Equipment: "2 camera Dahua", Date: "05/01/2025",
		Cameras: []string{"cam-002"}, ReceiptNo: "PT-2025-0001"}
	general := &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorIndividual, Name: "Ông Tư"},
		Kind: matthan.DonationMoney, AmountVND: 5_000_000, Date: "2026-06-01", ReceiptNo: "PT-2026-0013"}
	for _, d := range []*matthan.Donation{gear, general} {
		if err := db.CreateDonation(ctx, d); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name   string
		d      matthan.Donation
		code   string
		fields []string
	}{
		{"same receipt", matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorIndividual, Name: "A"}, Kind: matthan.DonationMoney,
			AmountVND: 1, Date: "2026-01-01", ReceiptNo: "PT-2026-0012"}, matthan.ECONFLICT, []string{"receipt_no"}},
		{"unknown camera", matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorIndividual, Name: "A"}, Kind: matthan.DonationMoney,
			AmountVND: 1, Date: "2026-01-01", ReceiptNo: "PT-9", Cameras: []string{"cam-404"}}, matthan.EINVALID, []string{"cameras"}},
		{"negative", matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorIndividual, Name: "A"}, Kind: matthan.DonationMoney,
			AmountVND: -5, Date: "2026-01-01", ReceiptNo: "PT-10"}, matthan.EINVALID, []string{"amount_vnd"}},
	} {
		err := db.CreateDonation(ctx, &tc.d)
		if matthan.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
			continue
		}
		if e := err.(*matthan.Error); !slices.Equal(ledgerFields(e), tc.fields) {
			t.Errorf("%s: fields %v", tc.name, ledgerFields(e))
		}
	}

	got, err := db.Donation(ctx, gear.ID)
	if err != nil || got.Date != "2025-01-05" || !got.Donor.Anonymous || got.Equipment != "2 camera Dahua" || !slices.Equal(got.Cameras, []string{"cam-002"}) {
		t.Fatalf("read back %+v %v", got, err)
	}
	for _, tc := range []struct {
		f    matthan.LedgerFilter
		want []int64
	}{
		{matthan.LedgerFilter{}, []int64{general.ID, big.ID, gear.ID}},
		{matthan.LedgerFilter{Year: 2026}, []int64{general.ID, big.ID}},
		{matthan.LedgerFilter{Area: "Khóm 1"}, []int64{big.ID, gear.ID}},
		{matthan.LedgerFilter{Area: "Khóm 2", Year: 2025}, nil},
		{matthan.LedgerFilter{CameraID: "cam-002"}, []int64{gear.ID}},
		{matthan.LedgerFilter{Limit: 1}, []int64{general.ID}},
	} {
		ds, err := db.Donations(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("donations %+v: %v, want %v", tc.f, ids, tc.want)
		}
	}

	// Costs.
	costs := []*matthan.CameraCost{
		{CameraID: "cam-001", Kind: matthan.CostPurchase, AmountVND: 8_000_000, Date: "2026-03-20", InvoiceNo: "HĐ-001", CreatedBy: "admin"},
		{CameraID: "cam-003", Kind: matthan.CostInstallation, AmountVND: 2_000_000, Date: "2026-03-21"},
		{CameraID: "cam-003", Kind: matthan.CostUpkeep, AmountVND: 1_000_000, Date: "2025-12-01"},
	}
	for _, c := range costs {
		if err := db.CreateCameraCost(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateCameraCost(ctx, &matthan.CameraCost{CameraID: "cam-404", Kind: matthan.CostUpkeep, AmountVND: 1, Date: "2026-01-01"}); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("cost of an unknown camera: %v", err)
	}
	if ks, err := db.CameraCosts(ctx, matthan.LedgerFilter{Area: "Khóm 2"}); err != nil || len(ks) != 2 || ks[0].Kind != matthan.CostInstallation {
		t.Errorf("costs in Khóm 2: %+v %v", ks, err)
	}

	tot, err := db.LedgerTotals(ctx, matthan.LedgerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if tot.RaisedVND != 317_000_001 || tot.MoneyVND != 305_000_001 || tot.EquipmentVND != 12_000_000 || tot.SpentVND != 11_000_000 ||
		tot.Donations != 3 || tot.Donors != 3 {
		t.Errorf("totals %+v", tot)
	}
	// 300.000.001 shared by cam-001 (Khóm 1) and cam-003 (Khóm 2): the odd đồng goes to the first.
	wantAreas := []matthan.AreaTotals{
		{Area: "Khóm 1", RaisedVND: 150_000_001 + 12_000_000, SpentVND: 8_000_000, Cameras: 2},
		{Area: "Khóm 2", RaisedVND: 150_000_000, SpentVND: 3_000_000, Cameras: 1},
		{Area: "", RaisedVND: 5_000_000},
	}
	if !slices.Equal(tot.Areas, wantAreas) {
		t.Errorf("areas %+v, want %+v", tot.Areas, wantAreas)
	}
	if len(tot.Cameras) != 3 || tot.Cameras[2] != (matthan.CameraTotals{CameraID: "cam-003", Area: "Khóm 2", RaisedVND: 150_000_000, SpentVND: 3_000_000}) {
		t.Errorf("cameras %+v", tot.Cameras)
	}
	k2, err := db.LedgerTotals(ctx, matthan.LedgerFilter{Area: "Khóm 2", Year: 2026})
	if err != nil || k2.RaisedVND != 150_000_000 || k2.SpentVND != 2_000_000 || k2.Donations != 1 || len(k2.Areas) != 1 {
		t.Errorf("Khóm 2 in 2026: %+v %v", k2, err)
	}

	// Update keeps who created it; a receipt number of another donation is refused.
	big.AmountVND, big.Cameras, big.CreatedBy = 250_000_000, []string{"cam-002"}, "someone else"
	if err := db.UpdateDonation(ctx, big); err != nil {
		t.Fatal(err)
	}
	if big.AmountVND != 250_000_000 || big.CreatedBy != "admin" || !slices.Equal(big.Cameras, []string{"cam-002"}) {
		t.Errorf("updated %+v", big)
	}
	big.ReceiptNo = "PT-2025-0001"
	if err := db.UpdateDonation(ctx, big); matthan.ErrorCode(err) != matthan.ECONFLICT {
		t.Errorf("update to a used receipt: %v", err)
	}
	if err := db.UpdateDonation(ctx, &matthan.Donation{ID: 999, Donor: matthan.Donor{Kind: matthan.DonorIndividual, Name: "A"},
		Kind: matthan.DonationMoney, AmountVND: 1, Date: "2026-01-01", ReceiptNo: "X1"}); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("update of a missing donation: %v", err)
	}
	// A removed camera stays named in the ledger, and an update may keep it.
	if err := db.DeleteCamera(ctx, "cam-002"); err != nil {
		t.Fatal(err)
	}
	big.ReceiptNo = "PT-2026-0012"
	if err := db.UpdateDonation(ctx, big); err != nil {
		t.Errorf("update naming a removed camera it already named: %v", err)
	}
	costs[0].AmountVND, costs[0].Note = 9_000_000, "Giá sau chiết khấu"
	if err := db.UpdateCameraCost(ctx, costs[0]); err != nil || costs[0].AmountVND != 9_000_000 || costs[0].CreatedBy != "admin" {
		t.Errorf("update cost: %+v %v", costs[0], err)
	}
	if err := db.DeleteCameraCost(ctx, costs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CameraCost(ctx, costs[0].ID); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("deleted cost: %v", err)
	}
	if err := db.DeleteDonation(ctx, big.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDonation(ctx, big.ID); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
	var links int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM donation_cameras WHERE donation_id = ?`, big.ID).Scan(&links); err != nil || links != 0 {
		t.Errorf("camera links of a deleted donation: %d %v", links, err)
	}
}

func ledgerFields(e *matthan.Error) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}
