package pdf

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"matthan/internal/report"
	"matthan/internal/report/reporttest"
)

// renderReport prints the seeded ward's report of period for area and
// returns the PDF's path and its text, spaces collapsed: in reading order,
// and in the page's layout (table rows stay whole lines).
func renderReport(t *testing.T, period, area string) (path, text, layout string) {
	t.Helper()
	db, dbPath := reporttest.Open(t)
	reporttest.Seed(t, db, dbPath)
	p, err := report.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(t.Context(), db, p, area, reporttest.Now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ReportPDF(&buf, WardReport{Ward: testWard, Report: r, Date: reporttest.Now}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	path = filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	lay, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(lay), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return path, strings.Join(strings.Fields(string(out)), " "), strings.Join(lines, "\n")
}

func TestReportPDF(t *testing.T) {
	path, text, layout := renderReport(t, "2026-10", "")
	for _, want := range []string{
		"UBND PHƯỜNG AN BÌNH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		"TP. Cần Thơ, ngày 20 tháng 11 năm 2026",
		"BÁO CÁO", "Tình hình an ninh, trật tự qua hệ thống camera tháng 10/2026",
		"Phạm vi: toàn phường (4 camera)",
		"Số liệu từ ngày 01/10/2026 đến ngày 31/10/2026",
		"1. Sự kiện do camera ghi nhận",
		"Tổng số 10 sự kiện; cán bộ đã xác nhận đúng 3, báo động nhầm 2, chưa xem xét 5.",
		"Tỷ lệ báo đúng trong các sự kiện đã xem xét: 60%.",
		"Người đi xe máy không đội mũ bảo hiểm 4 1 1",
		"Xe chở ba người 3 1 0",
		"Sự kiện theo giờ trong ngày",
		"2. Vi phạm giao thông (không tính báo động nhầm)",
		"Kỳ này: 3 trường hợp. Kỳ trước (tháng 09/2026, cùng số ngày): 6 trường hợp; giảm 50%.",
		"Kỳ này: 3 trường hợp. Kỳ trước (tháng 09/2026, cùng số ngày): 3 trường hợp; không đổi.",
		"Kỳ này", "Kỳ trước",
		"3. Nhắc nhở chủ camera",
		"Đã gửi 3 phiếu nhắc nhở; 2 phiếu đã được chủ nhà xác nhận (66,67%), 1 phiếu chưa xác nhận.",
		"4. Thời gian hoạt động của camera",
		"Các camera hoạt động 97,97% thời gian (mất tín hiệu tổng cộng 38 giờ).",
		"Nguyên nhân: máy chủ không hoạt động 24 giờ; mất kết nối camera 13 giờ; có kết nối nhưng không có hình 1 giờ.",
		"5. Xã hội hóa",
		"Đã nhận: 447.000.000 ₫ (2 khoản; tiền 435.000.000 ₫, hiện vật 12.000.000 ₫)",
		"Đã chi: 8.500.000 ₫ (1 khoản)",
		"6. Theo khu vực",
		"CHỦ TỊCH", "Trần Minh Tâm",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Table rows, line by line as printed.
	for _, want := range []string{
		"Loại sự kiện Số sự kiện Xác nhận đúng Báo động nhầm",
		"Người đi xe máy không đội mũ bảo hiểm 4 1 1",
		"Camera Khu vực Hoạt động Mất (giờ) Lý do chính",
		"Cổng chợ An Bình (rp-cho) Khóm 1 98,92% 8 Mất kết nối camera",
		"Nhà ông Sáu (rp-ongsau) Khóm 2 Không có dữ liệu",
		"Ngã ba Trần Phú (rp-tranphu) Khóm 1 93,75% 24 Máy chủ không hoạt động",
		"Khu vực Camera Sự kiện Không mũ Chở ba Nhắc nhở Hoạt động Nhận (₫)",
		"Khóm 1 2 6 3 0 1/2 97,16% 217.500.000",
		"Quỹ chung 0 0 0 0 0/0 Không có dữ liệu 12.000.000",
	} {
		if !strings.Contains("\n"+layout+"\n", "\n"+want+"\n") {
			t.Errorf("report lacks the line %q", want)
		}
	}
	if t.Failed() {
		t.Logf("text:\n%s\nlayout:\n%s", text, layout)
	}

	// Page 1 as a picture: the header at the top, text and blue bars on it.
	img := firstPage(t, path)
	ink, top, bottom := inkOf(img)
	b := img.Bounds()
	if ink < 0.01 || ink > 0.3 {
		t.Errorf("%.3f of page 1 is ink: blank or black", ink)
	}
	if top > b.Dy()/8 || bottom < b.Dy()*3/4 {
		t.Errorf("ink spans rows %d–%d of %d", top, bottom, b.Dy())
	}
	if n := bluePixels(img); n < 200 {
		t.Errorf("page 1 has %d pixels of the bars' blue: no chart", n)
	}
	if shots := os.Getenv("MATTHAN_SCREENSHOTS"); shots != "" {
		renderPage(path, 1, filepath.Join(shots, "ward-report"))
	}
	out, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "Pages:") || strings.Contains(string(out), "Pages:          1\n") {
		t.Errorf("the report should take several pages:\n%s", out)
	}
}

// TestReportPDFQuarterOfOneArea: the running quarter of one area says
// where its figures stop and that nothing of the weeks to come is known.
func TestReportPDFQuarterOfOneArea(t *testing.T) {
	_, text, _ := renderReport(t, "2026-Q4", "Khóm 2")
	for _, want := range []string{
		"Tình hình an ninh, trật tự qua hệ thống camera quý IV/2026",
		"Phạm vi: khu vực Khóm 2 (2 camera)",
		"(kỳ báo cáo chưa kết thúc: số liệu tính đến 20/11/2026 10:00:00)",
		"Xe chở ba người theo tuần",
		"Kỳ này: 3 trường hợp. Kỳ trước (quý III/2026, cùng số ngày): 0 trường hợp.",
		"Đã chi: 1.200.000 ₫ (1 khoản)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(text, "Cổng chợ An Bình") {
		t.Error("another area's camera is in the report")
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
}

// renderPage writes page (from 1) of the PDF at path as out.png, at 60 dpi.
func renderPage(path string, page int, out string) ([]byte, error) {
	n := strconv.Itoa(page)
	return exec.Command("pdftoppm", "-png", "-r", "60", "-f", n, "-l", n, "-singlefile", path, out).CombinedOutput()
}

// firstPage renders page 1 of the PDF at path.
func firstPage(t *testing.T, path string) image.Image {
	t.Helper()
	dir := t.TempDir()
	if out, err := renderPage(path, 1, filepath.Join(dir, "page")); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// bluePixels counts pixels near the charts' bar colour (43, 108, 176).
func bluePixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 90 && g>>8 > 80 && g>>8 < 140 && bl>>8 > 150 {
				n++
			}
		}
	}
	return n
}
