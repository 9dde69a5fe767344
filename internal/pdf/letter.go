package pdf

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"matthan"
)

// ThankYou is what a thank-you letter (thư cảm tạ) for a donation says.
type ThankYou struct {
	Ward     Ward
	Donation *matthan.Donation
	// Cameras are the funded cameras found in the registry, to name them
	// with their place; a funded camera not among them is named by its ID.
	Cameras []*matthan.Camera
	Date    time.Time // the letter's date
}

// ThankYouLetter writes the letter to w: the ward's header, the donor it
// is addressed to, what they gave (in figures and in words), what it
// funded, the ward's thanks and the signature block.
func ThankYouLetter(w io.Writer, l ThankYou) error {
	d := l.Donation
	if d == nil {
		return errors.New("pdf: thank-you letter without a donation")
	}
	doc := NewDocument("Thư cảm tạ - "+d.Donor.Name, l.Date)
	doc.Header(l.Ward, "", l.Date)
	doc.Title("THƯ CẢM TẠ", "")

	doc.Centered("Kính gửi: "+d.Donor.Name, "B")
	if d.Donor.Address != "" {
		doc.Centered("Địa chỉ: "+d.Donor.Address, "I")
	}
	doc.f.Ln(4)

	ward := l.Ward.Name
	doc.Paragraph(fmt.Sprintf("%s trân trọng cảm ơn %s đã chung tay đóng góp cho chương trình xã hội hóa "+
		"lắp đặt camera an ninh trên địa bàn %s, cụ thể như sau:", ward, d.Donor.Name, lowerFirst(ward)))

	switch d.Kind {
	case matthan.DonationEquipment:
		doc.Field("Hiện vật", d.Equipment)
		if d.AmountVND > 0 {
			doc.Field("Trị giá ước tính", matthan.FormatVND(d.AmountVND))
			doc.Field("Bằng chữ", matthan.VNDInWords(d.AmountVND))
		}
	default:
		doc.Field("Số tiền", matthan.FormatVND(d.AmountVND))
		doc.Field("Bằng chữ", matthan.VNDInWords(d.AmountVND))
	}
	doc.Field("Ngày đóng góp", matthan.FormatDate(d.Date))
	doc.Field("Phiếu thu số", d.ReceiptNo)
	if d.Purpose != "" {
		doc.Field("Mục đích", d.Purpose)
	}
	doc.f.Ln(2)

	if len(d.Cameras) > 0 {
		doc.Paragraph("Khoản đóng góp được dùng cho các camera sau:")
		doc.Bullets(cameraLines(d.Cameras, l.Cameras))
	}
	if d.Works != "" {
		doc.Paragraph("Các hạng mục khác: " + strings.Join(strings.Fields(d.Works), " "))
	}

	doc.Paragraph("Sự đóng góp quý báu của Quý vị đã góp phần giữ gìn an ninh, trật tự và xây dựng khu dân cư bình yên. " +
		"Mỗi camera là thêm một \u201cmắt thần\u201d giúp lực lượng Công an và bà con phát hiện, ngăn chặn kịp thời " +
		"các hành vi vi phạm pháp luật.")
	doc.Paragraph(fmt.Sprintf("Một lần nữa, %s xin chân thành cảm ơn và kính chúc Quý vị sức khỏe, hạnh phúc và thành công.", ward))
	doc.Closing(l.Ward, []string{"- Như trên;", "- Lưu: VT."})
	return doc.Write(w)
}

// cameraLines names each funded camera: «name» – area, address, or its ID
// when it is no longer in the registry.
func cameraLines(ids []string, known []*matthan.Camera) []string {
	byID := map[string]*matthan.Camera{}
	for _, c := range known {
		byID[c.ID] = c
	}
	var out []string
	for _, id := range ids {
		c := byID[id]
		if c == nil {
			out = append(out, "Camera "+id)
			continue
		}
		where := c.Area
		if c.Address != "" {
			where += ", " + c.Address
		}
		out = append(out, fmt.Sprintf("Camera \u00ab%s\u00bb (%s) \u2013 %s", c.Name, c.ID, where))
	}
	return out
}

// lowerFirst turns "Phường An Bình" into "phường An Bình" inside a sentence.
func lowerFirst(s string) string {
	for _, p := range []string{"Phường ", "Xã ", "Thị trấn ", "Đặc khu "} {
		if strings.HasPrefix(s, p) {
			return strings.ToLower(p) + s[len(p):]
		}
	}
	return s
}
