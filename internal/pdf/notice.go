package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"matthan"
)

// Notice is what a printed reminder notice (phiếu nhắc nhở) says.
type Notice struct {
	Ward     Ward
	Reminder *matthan.Reminder
	// Camera is the camera that saw it, to name it and its place; nil when
	// it is no longer in the registry (it is then named by its ID).
	Camera *matthan.Camera
	// Owner is who the notice is addressed to ("Hộ bà Nguyễn Thị Ba");
	// "" uses the camera owner's name, then the recipient's user name.
	Owner    string
	Snapshot []byte    // JPEG of what was seen; nil for none
	Date     time.Time // the notice's date
}

// NoticeTime writes a moment as a notice shows it: dd/MM/yyyy HH:mm in
// Vietnam time.
func NoticeTime(t time.Time) string { return t.In(matthan.Vietnam).Format("02/01/2006 15:04") }

// ReminderNotice writes the notice to w: the ward's header, the owner it
// is addressed to, what was seen and when, on which camera and where, the
// snapshot, the advice, the signature block, and a tear-off
// acknowledgement the owner signs and hands back.
func ReminderNotice(w io.Writer, n Notice) error {
	r := n.Reminder
	if r == nil {
		return errors.New("pdf: notice without a reminder")
	}
	owner := n.Owner
	if owner == "" && n.Camera != nil {
		owner = n.Camera.Owner.Name
	}
	if owner == "" {
		owner = r.Recipient
	}
	if owner == "" {
		owner = "Chủ hộ / chủ cơ sở"
	}
	number := fmt.Sprintf("%d/PNN", r.ID)

	doc := NewDocument("Phiếu nhắc nhở số "+number, n.Date)
	doc.Header(n.Ward, number, n.Date)
	doc.Title("PHIẾU NHẮC NHỞ", "V/v bảo đảm an ninh, trật tự tại nơi ở và nơi kinh doanh")
	doc.Centered("Kính gửi: "+owner, "B")
	if where := place(n.Camera); where != "" {
		doc.Centered("Địa chỉ: "+where, "I")
	}
	doc.f.Ln(3)

	doc.Paragraph(fmt.Sprintf("Qua hệ thống camera an ninh trên địa bàn %s, lực lượng chức năng đã ghi nhận sự việc sau:",
		lowerFirst(n.Ward.Name)))
	doc.Field("Thời gian", NoticeTime(r.SeenAt))
	doc.Field("Camera", cameraName(r.CameraID, n.Camera))
	doc.Field("Sự việc", r.What)
	doc.f.Ln(2)
	if len(n.Snapshot) > 0 {
		doc.snapshot(n.Snapshot, "Ảnh chụp từ camera lúc "+NoticeTime(r.SeenAt))
	}

	doc.Field("Đề nghị", r.Advice)
	doc.f.Ln(2)
	doc.Paragraph("Để bảo vệ tài sản của gia đình và giữ gìn an ninh, trật tự khu dân cư, đề nghị Quý ông/bà thực hiện các nội dung trên " +
		"và xác nhận đã nhận phiếu này: ký phần xác nhận bên dưới và gửi lại, hoặc bấm \u201cĐã nhận\u201d trên cổng thông tin Mắt Thần.")
	doc.Closing(n.Ward, []string{"- Như trên;", "- Lưu: VT."})
	doc.tearOff(n.Ward, number, n.Date, owner)
	return doc.Write(w)
}

// place is where the camera is: its address and area.
func place(c *matthan.Camera) string {
	if c == nil {
		return ""
	}
	var parts []string
	for _, p := range []string{c.Address, c.Area} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

func cameraName(id string, c *matthan.Camera) string {
	if c == nil {
		return id
	}
	return fmt.Sprintf("\u00ab%s\u00bb (%s)", c.Name, c.ID)
}

// snapshot draws a JPEG centred, at most 110 mm wide and 75 mm tall, with
// a caption; a picture that does not decode is named, not drawn.
func (d *Document) snapshot(data []byte, caption string) {
	f := d.f
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		d.Centered("(Ảnh chụp không đọc được)", "I")
		return
	}
	w := 110.0
	h := w * float64(cfg.Height) / float64(cfg.Width)
	if h > 75 {
		h, w = 75, 75*float64(cfg.Width)/float64(cfg.Height)
	}
	if f.GetY()+h+12 > 297-marginBot {
		f.AddPage()
	}
	f.RegisterImageOptionsReader("snapshot", fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(data))
	x, y := marginLeft+(textW-w)/2, f.GetY()
	f.ImageOptions("snapshot", x, y, w, h, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
	f.SetLineWidth(0.2)
	f.Rect(x, y, w, h, "D")
	f.SetY(y + h + 1.5)
	f.SetFont(family, "I", 10)
	f.MultiCell(textW, 5, caption, "", "C", false)
	f.Ln(2)
	f.SetFont(family, "", bodySize)
}

// tearOff draws, under a dashed cut line, the part the owner signs and
// hands back: the acknowledgement with date and signature lines.
func (d *Document) tearOff(w Ward, number string, date time.Time, owner string) {
	f := d.f
	f.Ln(8)
	if f.GetY() > 297-marginBot-62 { // keep the part whole
		f.AddPage()
	}
	y := f.GetY()
	f.SetDashPattern([]float64{2, 1.5}, 0)
	f.SetLineWidth(0.3)
	f.Line(marginLeft-10, y, pageW-marginRight+10, y)
	f.SetDashPattern([]float64{}, 0)
	f.SetFont(family, "I", 9)
	f.SetY(y + 1)
	f.CellFormat(textW, 4.5, "\u2702 Cắt theo đường này và gửi lại "+w.Authority, "", 1, "C", false, 0, "")
	f.Ln(2)
	f.SetFont(family, "B", bodySize)
	f.MultiCell(textW, lineH, "PHẦN XÁC NHẬN CỦA NGƯỜI NHẬN", "", "C", false)
	f.SetFont(family, "", 11)
	f.MultiCell(textW, 5.5, fmt.Sprintf("(Phiếu nhắc nhở số %s, ngày %s)", number, date.In(matthan.Vietnam).Format("02/01/2006")), "", "C", false)
	f.Ln(2)
	f.SetFont(family, "", bodySize)
	f.MultiCell(textW, lineH, "Tôi đã nhận được phiếu nhắc nhở này và sẽ thực hiện các nội dung được đề nghị.", "", "L", false)
	f.MultiCell(textW, lineH+1, "Họ và tên: "+owner, "", "L", false)
	f.MultiCell(textW, lineH+1, "Ngày ...... tháng ...... năm ..........", "", "L", false)
	const rightX = marginLeft + 90.0
	f.SetX(rightX)
	f.SetFont(family, "B", bodySize)
	f.CellFormat(pageW-marginRight-rightX, lineH, "NGƯỜI NHẬN", "", 2, "C", false, 0, "")
	f.SetFont(family, "I", 10)
	f.CellFormat(pageW-marginRight-rightX, 5, "(Ký, ghi rõ họ tên)", "", 2, "C", false, 0, "")
	f.SetFont(family, "", bodySize)
}
