package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/httpapi"
	"matthan/internal/pdf"
	"matthan/internal/testutil"
)

// withLedger serves the donation ledger in the API; ledgerOn does the same
// for the pages.
func withLedger(e *env, api *httpapi.Deps) {
	api.Donations = &httpapi.Donations{Store: e.db, Ward: pdf.Ward{Name: "Phường An Bình", Authority: "UBND PHƯỜNG AN BÌNH",
		City: "TP. Cần Thơ", Signer: "Trần Minh Tâm", SignerTitle: "CHỦ TỊCH"}}
}

func (e *env) ledgerOn() {
	e.web.deps.Donations = &Donations{Store: e.db, Ward: "Phường An Bình"}
}

func (e *env) addDonation(d *matthan.Donation) {
	e.t.Helper()
	if err := e.db.CreateDonation(e.t.Context(), d); err != nil {
		e.t.Fatal(err)
	}
}

func TestDonationPages(t *testing.T) {
	e := newEnv(t)
	// Without a ledger both pages say so.
	e.checkPage(t, "/donations", 200, []string{"Máy chủ này chưa bật sổ đóng góp xã hội hóa."}, []string{"donation-form"}, "donation.")
	e.signIn("")
	e.checkPage(t, "/transparency", 200, []string{"Chưa có số liệu xã hội hóa."}, nil, "transparency.")

	e.ledgerOn()
	e.addDonation(&matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorCompany, Name: "Công ty TNHH Ánh Dương", Address: "5 Trần Phú",
		Contact: "0912345678"}, Kind: matthan.DonationMoney, AmountVND: 435_000_000, Date: "2026-03-12",
		Cameras: []string{"cam-001", "cam-003"}, ReceiptNo: "PT-2026-0012", Note: "ghi chú nội bộ"})
	e.addDonation(&matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorHousehold, Name: "Nguyễn Thị Bảy", Address: "9 Hẻm 3",
		Contact: "bay@example.vn", Anonymous: true}, Kind: matthan.DonationEquipment, AmountVND: 12_000_000,
		Equipment: "2 camera Dahua", Date: "2025-05-01", Cameras: []string{"cam-002"}, ReceiptNo: "PT-2025-0007"})
	if err := e.db.CreateCameraCost(t.Context(), &matthan.CameraCost{CameraID: "cam-001", Kind: matthan.CostPurchase,
		AmountVND: 8_500_000, Date: "2026-03-20", InvoiceNo: "HĐ-77"}); err != nil {
		t.Fatal(err)
	}
	e.status.set("cam-001", matthan.StreamStatus{Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateStreaming}})
	e.status.set("cam-003", matthan.StreamStatus{Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateOffline}})

	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
	}{
		{"ledger", "admin", "/donations", 200, []string{"Sổ đóng góp xã hội hóa", "447.000.000 ₫", "8.500.000 ₫", "438.500.000 ₫",
			"Công ty TNHH Ánh Dương", "0912345678", "bay@example.vn", "ẩn danh trên trang công khai", "Cổng chợ An Bình, Tiệm vàng Kim Long",
			`href="/api/donations/1/letter.pdf"`, "Thư cảm tạ", `id="donation-form"`, `<option value="2025"`, "HĐ-77", `data-error="amount_vnd"`}, nil},
		{"ledger of 2025", "officer", "/donations?year=2025", 200, []string{"12.000.000 ₫", "Nguyễn Thị Bảy", `value="2025" selected`},
			[]string{"Công ty TNHH Ánh Dương", `id="donation-form"`, "data-edit"}},
		{"ledger of Khóm 2", "admin", "/donations?area=Kh%C3%B3m%202", 200, []string{"217.500.000 ₫", "Công ty TNHH Ánh Dương"}, []string{"Nguyễn Thị Bảy"}},
		{"ledger in English", "admin", "/donations?lang=en", 200, []string{"Donation ledger", "Thank-you letter", "Household", "Total raised"}, nil},
		{"viewer", "viewer", "/donations", 403, nil, []string{"Ánh Dương"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, "donation.")
		})
	}
	// The nav shows the ledger to staff only.
	e.signIn("officer")
	if _, body := e.get("/map"); !strings.Contains(body, `href="/donations"`) {
		t.Error("no nav link for an officer")
	}
	e.signIn("viewer")
	if _, body := e.get("/map"); strings.Contains(body, `href="/donations"`) {
		t.Error("a viewer gets the ledger's nav link")
	}

	// The public page, signed out: totals, cameras and their state, names
	// only (the anonymous donor unnamed), no contacts, addresses or notes.
	e.signIn("")
	public := []string{"Nguyễn Thị Bảy", "0912345678", "bay@example.vn", "5 Trần Phú", "9 Hẻm 3", "ghi chú nội bộ", "PT-2026", "rtsp://", "cam-001"}
	body := e.checkPage(t, "/transparency", 200, []string{"Minh bạch xã hội hóa · Phường An Bình", "447.000.000 ₫", "8.500.000 ₫",
		"438.500.000 ₫", "Công ty TNHH Ánh Dương", "Hộ gia đình ẩn danh", "Cổng chợ An Bình", "Tiệm vàng Kim Long", "Đang hoạt động",
		"Tạm ngưng hoạt động", "(3, 1 đang hoạt động)", "Khóm 1", "Khóm 2", "217.500.000 ₫", "Hiện vật: 2 camera Dahua", "Tiền", `href="/login"`}, public, "transparency.")
	if strings.Contains(body, `class="top"`) {
		t.Error("the public page shows the staff's header")
	}
	e.checkPage(t, "/transparency?lang=en", 200, []string{"Donations: where the money went", "Anonymous household", "Working", "Total raised", "447.000.000 ₫"},
		public, "transparency.")
}

func TestDonationFormInBrowser(t *testing.T) {
	e := newEnv(t, withLedger)
	e.ledgerOn()
	e.status.set("cam-003", matthan.StreamStatus{Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateStreaming}})
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs, "status of 400") // the refused entry
	eval, wait := browserPage(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/donations"), chromedp.WaitVisible(`#donation-form`)); err != nil {
		t.Fatal(err)
	}
	fill := func(amount string) {
		eval(fmt.Sprintf(`(() => {
			const f = document.getElementById('donation-form').elements;
			f.namedItem('donor.kind').value = 'household';
			f.namedItem('donor.name').value = 'Hộ bà Tư Hạnh';
			f.namedItem('donor.contact').value = '0903 123 456';
			f.namedItem('donor.anonymous').checked = true;
			f.namedItem('kind').value = 'money';
			f.namedItem('amount_vnd').value = %q;
			f.namedItem('date').value = '2026-11-20';
			f.namedItem('receipt_no').value = 'PT-2026-0099';
			f.namedItem('purpose').value = 'Camera ngã tư tiệm vàng';
			for (const o of f.namedItem('cameras').options) o.selected = o.value === 'cam-003';
			return '';
		})()`, amount))
	}
	// A negative amount: the API's message shows under the field.
	fill("-5.000.000")
	if err := chromedp.Do(ctx, chromedp.Click(`#donation-form button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.querySelector('#donation-form [data-error="amount_vnd"]').hidden`)
	if msg := eval(`document.querySelector('#donation-form [data-error="amount_vnd"]').textContent`); msg != "Số tiền phải là số đồng lớn hơn 0" {
		t.Errorf("amount error %q", msg)
	}
	if eval(`document.querySelector('[name=amount_vnd]').getAttribute('aria-invalid') || ''`) != "true" {
		t.Error("the bad field is not marked")
	}
	// Fixed, it is saved and the ledger shows it.
	fill("25.000.000")
	if err := chromedp.Do(ctx, chromedp.Click(`#donation-form button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('tr[data-receipt="PT-2026-0099"]') !== null`)
	if got := eval(`document.querySelector('tr[data-receipt="PT-2026-0099"]').textContent.replace(/\s+/g, ' ')`); !strings.Contains(got, "Hộ bà Tư Hạnh") ||
		!strings.Contains(got, "25.000.000 ₫") || !strings.Contains(got, "Tiệm vàng Kim Long") || !strings.Contains(got, "20/11/2026") {
		t.Errorf("ledger row %q", got)
	}
	if got := eval(`document.querySelector('[data-total="raised"]').textContent`); got != "25.000.000 ₫" {
		t.Errorf("total raised %q", got)
	}
	eval(`window.scrollTo(0, 0); ''`) // sticky table heads follow the scroll in a full-page picture
	testutil.Screenshot(t, ctx, "donations", testutil.FullPage)

	// The public page, signed out, shows the new total and the funded
	// camera working, but not the donor, who asked to stay anonymous.
	e.signIn("")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/transparency"), chromedp.WaitVisible(`#public-raised`)); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.getElementById('public-raised').textContent`); got != "25.000.000 ₫" {
		t.Errorf("public total %q", got)
	}
	page := eval(`document.body.innerText`)
	for _, want := range []string{"Tiệm vàng Kim Long", "Đang hoạt động", "Hộ gia đình ẩn danh"} {
		if !strings.Contains(page, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	for _, not := range []string{"Hộ bà Tư Hạnh", "0903 123 456", "PT-2026-0099"} {
		if strings.Contains(page, not) {
			t.Errorf("public page shows %q", not)
		}
	}
	wait(`document.querySelectorAll('#public-map .marker.state-streaming').length === 1`)
	if got := eval(`document.querySelector('#public-map .marker').dataset.name`); got != "Tiệm vàng Kim Long" {
		t.Errorf("marker %q", got)
	}
	testutil.Screenshot(t, ctx, "transparency", testutil.FullPage)

	// The letter the ledger links to is a PDF.
	e.signIn("admin")
	res, err := http.Get(e.srv.URL + "/api/donations/1/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("letter: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
