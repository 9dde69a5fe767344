package pdf

import (
	"bytes"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
)

var testWard = Ward{Name: "Phường An Bình", Authority: "UBND PHƯỜNG AN BÌNH", City: "TP. Cần Thơ",
	Signer: "Trần Minh Tâm", SignerTitle: "CHỦ TỊCH"}

func TestDateLine(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), "TP. Cần Thơ, ngày 27 tháng 11 năm 2026"},
		{time.Date(2026, 1, 4, 18, 0, 0, 0, time.UTC), "TP. Cần Thơ, ngày 05 tháng 01 năm 2026"}, // 01:00 on the 5th in Vietnam
		{time.Date(2026, 2, 9, 3, 0, 0, 0, time.UTC), "TP. Cần Thơ, ngày 09 tháng 02 năm 2026"},
		{time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC), "TP. Cần Thơ, ngày 09 tháng 3 năm 2026"},
	} {
		if got := DateLine("TP. Cần Thơ", tc.t); got != tc.want {
			t.Errorf("DateLine(%s) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// renderLetter writes a letter for a big money donation to a file.
func renderLetter(t *testing.T, d *matthan.Donation, cams []*matthan.Camera) string {
	t.Helper()
	var buf bytes.Buffer
	if err := ThankYouLetter(&buf, ThankYou{Ward: testWard, Donation: d, Cameras: cams,
		Date: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestThankYouLetter(t *testing.T) {
	d := &matthan.Donation{ID: 7, Donor: matthan.Donor{Kind: matthan.DonorCompany, Name: "Công ty TNHH Thương mại Ánh Dương",
		Address: "15 Nguyễn Trãi, khóm 3"}, Kind: matthan.DonationMoney, AmountVND: 435_000_000, Date: "2026-03-12",
		Purpose: "Lắp đặt camera an ninh các tuyến đường chính", Cameras: []string{"cam-001", "cam-009"},
		Works: "Trụ đỡ, dây cáp quang", ReceiptNo: "PT-2026-0012"}
	cams := []*matthan.Camera{{ID: "cam-001", Name: "Cổng chợ An Bình", Area: "Khóm 1", Address: "12 Lê Lợi"}}
	path := renderLetter(t, d, cams)

	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ") // lines wrap anywhere
	for _, want := range []string{
		"UBND PHƯỜNG AN BÌNH",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"TP. Cần Thơ, ngày 27 tháng 11 năm 2026",
		"THƯ CẢM TẠ",
		"Kính gửi: Công ty TNHH Thương mại Ánh Dương",
		"Địa chỉ: 15 Nguyễn Trãi, khóm 3",
		"Phường An Bình trân trọng cảm ơn Công ty TNHH Thương mại Ánh Dương đã chung tay đóng góp",
		"trên địa bàn phường An Bình",
		"Số tiền: 435.000.000 ₫",
		"Bằng chữ: Bốn trăm ba mươi lăm triệu đồng",
		"Ngày đóng góp: 12/03/2026",
		"Phiếu thu số: PT-2026-0012",
		"Mục đích: Lắp đặt camera an ninh các tuyến đường chính",
		"Camera «Cổng chợ An Bình» (cam-001) – Khóm 1, 12 Lê Lợi",
		"Camera cam-009",
		"Các hạng mục khác: Trụ đỡ, dây cáp quang",
		"“mắt thần”",
		"kính chúc Quý vị sức khỏe, hạnh phúc và thành công.",
		"Nơi nhận:", "- Như trên;", "- Lưu: VT.",
		"CHỦ TỊCH",
		"Trần Minh Tâm",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the letter lacks %q; pdftotext gave:\n%s", want, out)
		}
	}

	// The first page, as an image, is a letter: mostly white, with ink.
	img := firstPage(t, path)
	ink, top, bottom := inkOf(img)
	b := img.Bounds()
	if b.Dx() < 480 || b.Dx() > 510 || b.Dy() < 690 || b.Dy() > 710 {
		t.Errorf("page is %dx%d px at 60 dpi, want A4 (496x702)", b.Dx(), b.Dy())
	}
	if ink < 0.01 || ink > 0.2 {
		t.Errorf("%.3f of the page is ink: blank or black", ink)
	}
	if top > b.Dy()/8 || bottom < b.Dy()/2 {
		t.Errorf("text spans rows %d–%d of %d: the header is not at the top or the letter is short", top, bottom, b.Dy())
	}
	if dir := os.Getenv("MATTHAN_SCREENSHOTS"); dir != "" {
		renderPage(path, 1, filepath.Join(dir, "thank-you-letter"))
	}
}

// inkOf returns the share of dark pixels and the first and last rows with any.
func inkOf(img image.Image) (share float64, top, bottom int) {
	b := img.Bounds()
	dark := 0
	top = -1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r+g+bl)/3 < 0x8000 {
				dark++
				if top < 0 {
					top = y
				}
				bottom = y
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy()), top, bottom
}

func TestEquipmentLetterAndLongNames(t *testing.T) {
	d := &matthan.Donation{Donor: matthan.Donor{Kind: matthan.DonorHousehold, Name: "Hộ ông Nguyễn Văn Sáu"},
		Kind: matthan.DonationEquipment, AmountVND: 12_500_000, Equipment: "2 camera Dahua 2 MP và 1 đầu ghi",
		Date: "2026-01-05", ReceiptNo: "PT-2026-0001"}
	var buf bytes.Buffer
	ward := testWard
	ward.Authority = "ỦY BAN NHÂN DÂN PHƯỜNG AN BÌNH THÀNH PHỐ CẦN THƠ" // wraps in the header
	if err := ThankYouLetter(&buf, ThankYou{Ward: ward, Donation: d, Date: time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "l.pdf")
	os.WriteFile(path, buf.Bytes(), 0o644)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Hiện vật: 2 camera Dahua 2 MP và 1 đầu ghi", "Trị giá ước tính: 12.500.000 ₫",
		"Bằng chữ: Mười hai triệu năm trăm nghìn đồng", "ngày 06 tháng 01 năm 2026", "THÀNH PHỐ CẦN THƠ"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(text, "được dùng cho các camera") {
		t.Error("a gift for no camera lists cameras")
	}
	if err := ThankYouLetter(&buf, ThankYou{Ward: ward}); err == nil {
		t.Error("a letter without a donation")
	}
}
