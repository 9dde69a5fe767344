package pdf

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
)

// testSnapshot is a 640x360 JPEG: a blue night sky over an orange gate.
func testSnapshot(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	for y := range 360 {
		for x := range 640 {
			c := color.RGBA{20, 40, 160, 255}
			if y > 200 && x > 200 && x < 440 {
				c = color.RGBA{230, 120, 20, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testReminder() *matthan.Reminder {
	return &matthan.Reminder{ID: 42, CameraID: "nha-co-ba-1", Recipient: "nha-co-ba",
		SeenAt: time.Date(2026, 11, 26, 16, 10, 0, 0, time.UTC), // 23:10 in Vietnam
		What:   "Sơ hở an ninh: cổng nhà mở lúc nửa đêm, xe máy để ngoài sân",
		Advice: "Đề nghị gia đình đóng, khóa cổng vào ban đêm và không để xe máy ngoài sân."}
}

// renderNotice writes a notice and returns the PDF's path and its text.
func renderNotice(t *testing.T, n Notice) (path, text string) {
	t.Helper()
	var buf bytes.Buffer
	if err := ReminderNotice(&buf, n); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "notice.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return path, strings.Join(strings.Fields(string(out)), " ")
}

func TestReminderNotice(t *testing.T) {
	cam := &matthan.Camera{ID: "nha-co-ba-1", Name: "Cổng nhà bà Ba", Area: "Khóm 2", Address: "25 Lý Thường Kiệt",
		Owner: matthan.Owner{Kind: matthan.OwnerHousehold, Name: "Hộ bà Nguyễn Thị Ba"}}
	path, text := renderNotice(t, Notice{Ward: testWard, Reminder: testReminder(), Camera: cam, Snapshot: testSnapshot(t),
		Date: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)})
	for _, want := range []string{
		"UBND PHƯỜNG AN BÌNH", "Số: 42/PNN",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		"TP. Cần Thơ, ngày 27 tháng 11 năm 2026",
		"PHIẾU NHẮC NHỞ",
		"Kính gửi: Hộ bà Nguyễn Thị Ba",
		"Địa chỉ: 25 Lý Thường Kiệt, Khóm 2",
		"trên địa bàn phường An Bình",
		"Thời gian: 26/11/2026 23:10",
		"Camera: «Cổng nhà bà Ba» (nha-co-ba-1)",
		"Sự việc: Sơ hở an ninh: cổng nhà mở lúc nửa đêm, xe máy để ngoài sân",
		"Ảnh chụp từ camera lúc 26/11/2026 23:10",
		"Đề nghị: Đề nghị gia đình đóng, khóa cổng vào ban đêm và không để xe máy ngoài sân.",
		"CHỦ TỊCH", "Trần Minh Tâm",
		"Cắt theo đường này",
		"PHẦN XÁC NHẬN CỦA NGƯỜI NHẬN",
		"(Phiếu nhắc nhở số 42/PNN, ngày 27/11/2026)",
		"Tôi đã nhận được phiếu nhắc nhở này",
		"Họ và tên: Hộ bà Nguyễn Thị Ba",
		"Ngày ...... tháng ...... năm",
		"NGƯỜI NHẬN", "(Ký, ghi rõ họ tên)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice lacks %q; pdftotext gave:\n%s", want, text)
		}
	}

	// The first page as an image: a document with ink, and the snapshot's
	// colours in it.
	img := firstPage(t, path)
	ink, top, _ := inkOf(img)
	if ink < 0.01 || ink > 0.35 {
		t.Errorf("%.3f of the page is ink: blank or black", ink)
	}
	if top > img.Bounds().Dy()/8 {
		t.Errorf("the header starts at row %d", top)
	}
	var blue, orange int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case bl > 120 && r < 60 && g < 80:
				blue++
			case r > 180 && g > 80 && g < 160 && bl < 60:
				orange++
			}
		}
	}
	if blue < 2000 || orange < 300 {
		t.Errorf("the snapshot is not on the page: %d blue and %d orange pixels", blue, orange)
	}
	if shots := os.Getenv("MATTHAN_SCREENSHOTS"); shots != "" {
		renderPage(path, 1, filepath.Join(shots, "reminder-notice"))
		renderPage(path, 2, filepath.Join(shots, "reminder-notice-2"))
	}
}

func TestReminderNoticeWithoutCameraOrSnapshot(t *testing.T) {
	r := testReminder()
	r.Recipient = ""
	_, text := renderNotice(t, Notice{Ward: testWard, Reminder: r, Snapshot: []byte("not a jpeg"), Date: r.SeenAt})
	for _, want := range []string{"Kính gửi: Chủ hộ / chủ cơ sở", "Camera: nha-co-ba-1", "(Ảnh chụp không đọc được)", "Tôi đã nhận được phiếu nhắc nhở này"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Địa chỉ:") {
		t.Error("an address for a camera that is gone")
	}
	_, text = renderNotice(t, Notice{Ward: testWard, Reminder: r, Owner: "Công ty TNHH Ánh Dương", Date: r.SeenAt})
	if !strings.Contains(text, "Kính gửi: Công ty TNHH Ánh Dương") || strings.Contains(text, "Ảnh chụp") {
		t.Errorf("addressed and without a snapshot:\n%s", text)
	}
	if err := ReminderNotice(&bytes.Buffer{}, Notice{Ward: testWard}); err == nil {
		t.Error("a notice without a reminder")
	}
}
