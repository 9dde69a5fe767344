// Package reporttest seeds a real SQLite store with a small ward whose
// monthly and quarterly reports are known to the đồng and to the second,
// for the report's tests in internal/report, internal/httpapi,
// internal/pdf and internal/web.
package reporttest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

// Now is when the tests make their reports: 20/11/2026 10:00 in Vietnam,
// so that October 2026 is over, November and the fourth quarter are not.
var Now = vn(2026, 11, 20, 10, 0)

func vn(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, matthan.Vietnam).UTC()
}

// The seeded cameras: two in Khóm 1, two in Khóm 2; rp-ongsau never recorded.
const (
	CamCho     = "rp-cho"     // Khóm 1, no-helmet riders
	CamTranPhu = "rp-tranphu" // Khóm 1, loitering; installed 16/10
	CamTruong  = "rp-truong"  // Khóm 2, three riders
	CamOngSau  = "rp-ongsau"  // Khóm 2, nothing recorded
)

// Open opens a new store in a temporary directory and returns it with the
// path of its file.
func Open(t testing.TB) (*sqlite.DB, string) {
	t.Helper()
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "matthan.db")
	db, err := sqlite.Open(context.Background(), path, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// Seed fills db (whose file is path) with the ward. What October 2026
// (and the fourth quarter) must report is written beside each part; the
// tests assert it.
func Seed(t testing.TB, db *sqlite.DB, path string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ id, name, area string }{
		{CamCho, "Cổng chợ An Bình", "Khóm 1"}, {CamTranPhu, "Ngã ba Trần Phú", "Khóm 1"},
		{CamTruong, "Trường tiểu học Lê Lợi", "Khóm 2"}, {CamOngSau, "Nhà ông Sáu", "Khóm 2"},
	} {
		must(db.CreateCamera(ctx, &matthan.Camera{ID: c.id, Name: c.name, Area: c.area, Address: "12 Lê Lợi",
			Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND phường"}, Source: matthan.SourcePull,
			MainURL: "rtsp://127.0.0.1:1/" + c.id, Enabled: true}))
	}

	// Events. October: 10 (3 confirmed, 2 false alarms, 5 not reviewed);
	// no-helmet 3 counted (days 1: 2, 2: 1; the one of the 15th is a
	// false alarm), three riders 3 (day 3: 2, day 20: 1). By hour: 07 h 4,
	// 17 h 2, 08 h 1, 23 h 1, 02 h 1, 22 h 1. September: no-helmet 6
	// (day 1: 3, day 2: 2, day 30: 1), three riders 3 counted of 4.
	n := 0
	event := func(cam string, typ matthan.EventType, at time.Time, review matthan.Review) {
		t.Helper()
		n++
		must(db.AddAnalyticsEvent(ctx, &matthan.AnalyticsEvent{ID: fmt.Sprintf("ev-%03d", n), Type: typ, CameraID: cam,
			Start: at, End: at.Add(20 * time.Second), Review: review}))
	}
	none, ok, bad := matthan.ReviewNone, matthan.ReviewConfirmed, matthan.ReviewFalseAlarm
	event(CamCho, matthan.EventNoHelmet, vn(2026, 10, 1, 7, 5), ok)
	event(CamCho, matthan.EventNoHelmet, vn(2026, 10, 1, 7, 40), none)
	event(CamCho, matthan.EventNoHelmet, vn(2026, 10, 2, 7, 15), none)
	event(CamCho, matthan.EventNoHelmet, vn(2026, 10, 15, 7, 20), bad)
	event(CamTruong, matthan.EventThreeRiders, vn(2026, 10, 3, 17, 30), ok)
	event(CamTruong, matthan.EventThreeRiders, vn(2026, 10, 3, 17, 45), none)
	event(CamTruong, matthan.EventThreeRiders, vn(2026, 10, 20, 8, 10), none)
	event(CamTranPhu, matthan.EventLoitering, vn(2026, 10, 10, 23, 15), bad)
	event(CamTranPhu, matthan.EventLoitering, vn(2026, 10, 11, 2, 0), none)
	event(CamTruong, matthan.EventSecurityLapse, vn(2026, 10, 25, 22, 5), ok)
	for _, at := range []time.Time{vn(2026, 9, 1, 7, 0), vn(2026, 9, 1, 7, 10), vn(2026, 9, 1, 8, 0),
		vn(2026, 9, 2, 7, 0), vn(2026, 9, 2, 7, 30), vn(2026, 9, 30, 23, 59)} {
		event(CamCho, matthan.EventNoHelmet, at, none)
	}
	for i, r := range []matthan.Review{none, none, ok, bad} {
		event(CamTruong, matthan.EventThreeRiders, vn(2026, 9, 3, 17, i), r)
	}
	// November: one before Now, one after it (not counted).
	event(CamCho, matthan.EventNoHelmet, vn(2026, 11, 5, 9, 0), none)
	event(CamCho, matthan.EventNoHelmet, vn(2026, 11, 25, 9, 0), none)

	// Reminders. October: 3 sent (rp-cho 2, one acknowledged; rp-truong
	// 1, acknowledged); one in September, one in November.
	back, err := sql.Open("sqlite", path)
	must(err)
	defer back.Close()
	reminder := func(cam string, sent time.Time, acked bool) {
		t.Helper()
		r := &matthan.Reminder{CameraID: cam, Recipient: "chu-nha", SeenAt: time.Now().Add(-time.Hour),
			What: "Sơ hở an ninh: cổng mở ban đêm", Advice: "Đề nghị khóa cổng."}
		must(db.CreateReminder(ctx, r))
		// The store stamps reminders with the real time: move it to when it was sent.
		_, err := back.ExecContext(ctx, `UPDATE reminders SET created_at = ?, seen_at = ? WHERE id = ?`,
			sent.UnixMicro(), sent.Add(-time.Hour).UnixMicro(), r.ID)
		must(err)
		if acked {
			_, err := db.AckReminder(ctx, r.ID, "chu-nha", "Đã khóa", sent.Add(24*time.Hour))
			must(err)
		}
	}
	reminder(CamCho, vn(2026, 10, 2, 9, 0), true)
	reminder(CamCho, vn(2026, 10, 16, 9, 0), false)
	reminder(CamTruong, vn(2026, 10, 21, 9, 0), true)
	reminder(CamTruong, vn(2026, 9, 21, 9, 0), true)
	reminder(CamCho, vn(2026, 11, 10, 9, 0), false)

	// Recordings: each camera's first segment, and its gaps. October
	// (744 h): rp-cho down 8 h (offline 5/10 10–16 h; stalled 6/10 0–1 h
	// overlapped by offline 0:30–2 h: 7 h offline, 1 h stalled) = 98,92 %;
	// rp-tranphu from 16/10 (384 h), node stopped 24 h = 93,75 %;
	// rp-truong offline from 31/10 18 h, still open: 6 h = 99,19 %;
	// all 1834 of 1872 h = 97,97 %; Khóm 1 97,16 %, Khóm 2 99,19 %.
	seg := func(cam string, at time.Time) {
		t.Helper()
		must(db.AddSegment(ctx, &matthan.Segment{CameraID: cam, Stream: matthan.StreamMain,
			Path: cam + "/" + at.Format("2006-01-02T150405") + ".mp4", Start: at, End: at.Add(5 * time.Minute),
			Duration: 5 * time.Minute, Codec: "H264"}))
	}
	gap := func(cam string, from, to time.Time, reason matthan.GapReason) {
		t.Helper()
		must(db.AddGap(ctx, &matthan.Gap{CameraID: cam, Stream: matthan.StreamMain, Start: from, End: to, Reason: reason}))
	}
	seg(CamCho, vn(2026, 9, 20, 0, 0))
	seg(CamTranPhu, vn(2026, 10, 16, 0, 0))
	seg(CamTruong, vn(2026, 9, 1, 0, 0))
	gap(CamCho, vn(2026, 10, 5, 10, 0), vn(2026, 10, 5, 16, 0), matthan.GapOffline)
	gap(CamCho, vn(2026, 10, 6, 0, 0), vn(2026, 10, 6, 1, 0), matthan.GapStalled)
	gap(CamCho, vn(2026, 10, 6, 0, 30), vn(2026, 10, 6, 2, 0), matthan.GapOffline)
	gap(CamCho, vn(2026, 9, 25, 0, 0), vn(2026, 9, 25, 3, 0), matthan.GapOffline) // September only
	gap(CamTranPhu, vn(2026, 10, 20, 0, 0), vn(2026, 10, 21, 0, 0), matthan.GapNodeStopped)
	gap(CamTruong, vn(2026, 10, 31, 18, 0), time.Time{}, matthan.GapOffline)

	// Ledger. October: 447.000.000 ₫ raised (435.000.000 in money for
	// rp-cho and rp-truong, 217.500.000 each; 12.000.000 of equipment to
	// the general fund), 8.500.000 ₫ spent on rp-cho; 2 donations, 1 cost.
	must(db.CreateDonation(ctx, &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorCompany, Name: "Công ty TNHH Ánh Dương"},
		Kind: matthan.DonationMoney, AmountVND: 435_000_000, Date: "2026-10-12", Cameras: []string{CamCho, CamTruong},
		ReceiptNo: "PT-2026-0101"}))
	must(db.CreateDonation(ctx, &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorHousehold, Name: "Hộ bà Tư"},
		Kind: matthan.DonationEquipment, AmountVND: 12_000_000, Equipment: "2 camera Dahua", Date: "2026-10-20",
		ReceiptNo: "PT-2026-0102"}))
	must(db.CreateDonation(ctx, &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorIndividual, Name: "Ông Năm"},
		Kind: matthan.DonationMoney, AmountVND: 100_000_000, Date: "2026-09-05", ReceiptNo: "PT-2026-0090"}))
	must(db.CreateCameraCost(ctx, &matthan.CameraCost{CameraID: CamCho, Kind: matthan.CostPurchase, AmountVND: 8_500_000,
		Date: "2026-10-15", InvoiceNo: "HĐ-77"}))
	must(db.CreateCameraCost(ctx, &matthan.CameraCost{CameraID: CamTruong, Kind: matthan.CostUpkeep, AmountVND: 1_200_000,
		Date: "2026-11-02"}))
}
