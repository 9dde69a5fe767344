package pdf

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"matthan"
	"matthan/internal/report"
)

// WardReport is what the ward's periodic report (báo cáo) needs.
type WardReport struct {
	Ward   Ward
	Report *report.Report
	Date   time.Time // the document's date
}

const noDataVI = "Không có dữ liệu"

// ReportPDF writes the report for the People's Committee: the ward's
// header, the period and area, then events, traffic rules over time with
// the previous period, reminders, camera uptime, donations and spending,
// the figures per area, and the signature block. Charts are drawn as
// vector bars, the previous period as a dashed line.
func ReportPDF(w io.Writer, in WardReport) error {
	r := in.Report
	if r == nil {
		return errors.New("pdf: report without figures")
	}
	scope := "toàn phường"
	if r.Area != "" {
		scope = "khu vực " + r.Area
	}
	doc := NewDocument("Báo cáo "+r.LabelVI+" - "+scope, in.Date)
	doc.Header(in.Ward, "", in.Date)
	doc.Title("BÁO CÁO", "Tình hình an ninh, trật tự qua hệ thống camera "+r.LabelVI)
	doc.Centered("Phạm vi: "+scope+" ("+strconv.Itoa(r.Cameras)+" camera)", "I")
	doc.f.Ln(2)
	period := fmt.Sprintf("Số liệu từ ngày %s đến ngày %s", r.FromLocal, r.ToLocal)
	if r.Partial {
		period += fmt.Sprintf(" (kỳ báo cáo chưa kết thúc: số liệu tính đến %s)", r.MeasuredToLocal)
	}
	doc.Paragraph(period + ", do hệ thống Mắt Thần tổng hợp lúc " + r.GeneratedLocal + ".")

	doc.section("1. Sự kiện do camera ghi nhận")
	e := r.Events
	if !e.HasData {
		doc.noData("không có sự kiện nào được ghi nhận trong kỳ")
	} else {
		line := fmt.Sprintf("Tổng số %d sự kiện; cán bộ đã xác nhận đúng %d, báo động nhầm %d, chưa xem xét %d.",
			e.Total, e.Confirmed, e.FalseAlarms, e.Unreviewed)
		if e.Precision != nil {
			line += " Tỷ lệ báo đúng trong các sự kiện đã xem xét: " + vnPercent(*e.Precision) + "."
		}
		doc.Paragraph(line)
		rows := [][]string{}
		for _, t := range e.ByType {
			rows = append(rows, []string{t.LabelVI, strconv.Itoa(t.Count), strconv.Itoa(t.Confirmed), strconv.Itoa(t.FalseAlarms)})
		}
		doc.table([]string{"Loại sự kiện", "Số sự kiện", "Xác nhận đúng", "Báo động nhầm"}, []float64{80, 25, 30, 30}, rows)
		labels := make([]string, 24)
		values := make([]*int, 24)
		for h := range 24 {
			labels[h], values[h] = strconv.Itoa(h), &e.ByHour[h]
		}
		doc.chart("Sự kiện theo giờ trong ngày (giờ bắt đầu)", labels, values, nil, "", "")
	}

	doc.section("2. Vi phạm giao thông (không tính báo động nhầm)")
	for _, s := range r.Traffic.Series {
		doc.trafficSeries(r, s)
	}

	doc.section("3. Nhắc nhở chủ camera")
	rm := r.Reminders
	if rm.Sent == 0 {
		doc.Paragraph("Trong kỳ không gửi phiếu nhắc nhở nào.")
	} else {
		doc.Paragraph(fmt.Sprintf("Đã gửi %d phiếu nhắc nhở; %d phiếu đã được chủ nhà xác nhận (%s), %d phiếu chưa xác nhận.",
			rm.Sent, rm.Acked, vnPercent(*rm.AckPercent), rm.Sent-rm.Acked))
	}

	doc.section("4. Thời gian hoạt động của camera")
	u := r.Uptime
	if !u.HasData {
		doc.noData("chưa camera nào được ghi hình trong kỳ")
	} else {
		line := fmt.Sprintf("Các camera hoạt động %s thời gian (mất tín hiệu tổng cộng %s giờ).", vnPercent(*u.Percent), vnHours(u.DownSeconds))
		if len(u.ByReason) > 0 {
			var parts []string
			for _, br := range u.ByReason {
				parts = append(parts, fmt.Sprintf("%s %s giờ", lowerInitial(br.LabelVI), vnHours(br.Seconds)))
			}
			line += " Nguyên nhân: " + strings.Join(parts, "; ") + "."
		}
		doc.Paragraph(line)
	}
	rows := [][]string{}
	for _, c := range u.Cameras {
		if c.Percent == nil {
			rows = append(rows, []string{c.Name + " (" + c.CameraID + ")", c.Area, noDataVI, "", ""})
			continue
		}
		rows = append(rows, []string{c.Name + " (" + c.CameraID + ")", c.Area, vnPercent(*c.Percent), vnHours(c.DownSeconds), c.MainReasonVI})
	}
	if len(rows) > 0 {
		doc.table([]string{"Camera", "Khu vực", "Hoạt động", "Mất (giờ)", "Lý do chính"}, []float64{56, 18, 26, 20, 45}, rows)
	}

	doc.section("5. Xã hội hóa")
	m := r.Money
	if m.Donations == 0 && m.Costs == 0 {
		doc.Paragraph("Trong kỳ không có khoản đóng góp hay khoản chi nào.")
	} else {
		doc.Field("Đã nhận", fmt.Sprintf("%s (%d khoản; tiền %s, hiện vật %s)", m.Raised, m.Donations,
			matthan.FormatVND(m.MoneyVND), matthan.FormatVND(m.EquipmentVND)))
		doc.Field("Đã chi", fmt.Sprintf("%s (%d khoản)", m.Spent, m.Costs))
	}

	doc.section("6. Theo khu vực")
	rows = [][]string{}
	for _, a := range r.Areas {
		name := a.Area
		if name == "" {
			name = "Quỹ chung"
		}
		up := noDataVI
		if a.UptimePercent != nil {
			up = vnPercent(*a.UptimePercent)
		}
		rows = append(rows, []string{name, strconv.Itoa(a.Cameras), strconv.Itoa(a.Events), strconv.Itoa(a.NoHelmet),
			strconv.Itoa(a.ThreeRiders), fmt.Sprintf("%d/%d", a.RemindersAcked, a.RemindersSent), up,
			strings.TrimSuffix(matthan.FormatVND(a.RaisedVND), " ₫")})
	}
	doc.table([]string{"Khu vực", "Camera", "Sự kiện", "Không mũ", "Chở ba", "Nhắc nhở", "Hoạt động", "Nhận (₫)"},
		[]float64{24, 16, 17, 19, 17, 19, 28, 25}, rows)
	doc.small("Nhắc nhở: đã xác nhận / đã gửi. Không mũ: người đi xe máy không đội mũ bảo hiểm; chở ba: xe chở ba người.")

	doc.Closing(in.Ward, []string{"- UBND phường;", "- Công an phường;", "- Lưu: VT."})
	return doc.Write(w)
}

// trafficSeries writes a traffic rule's total against the previous
// period and its chart.
func (d *Document) trafficSeries(r *report.Report, s report.TrafficSeries) {
	d.f.SetFont(family, "B", bodySize)
	d.f.MultiCell(textW, lineH, s.LabelVI, "", "L", false)
	d.f.SetFont(family, "", bodySize)
	if !r.Events.HasData {
		d.noData("không có sự kiện nào được ghi nhận trong kỳ")
		return
	}
	line := fmt.Sprintf("Kỳ này: %d trường hợp.", s.Total)
	switch {
	case s.Previous[0] == nil:
		line += " Kỳ trước (" + r.PreviousLabelVI + "): không có dữ liệu để so sánh."
	case s.ChangePercent == nil:
		line += fmt.Sprintf(" Kỳ trước (%s, cùng số ngày): %d trường hợp.", r.PreviousLabelVI, s.PreviousTotal)
	case *s.ChangePercent < 0:
		line += fmt.Sprintf(" Kỳ trước (%s, cùng số ngày): %d trường hợp; giảm %s.", r.PreviousLabelVI, s.PreviousTotal, vnPercent(-*s.ChangePercent))
	case *s.ChangePercent > 0:
		line += fmt.Sprintf(" Kỳ trước (%s, cùng số ngày): %d trường hợp; tăng %s.", r.PreviousLabelVI, s.PreviousTotal, vnPercent(*s.ChangePercent))
	default:
		line += fmt.Sprintf(" Kỳ trước (%s, cùng số ngày): %d trường hợp; không đổi.", r.PreviousLabelVI, s.PreviousTotal)
	}
	d.Paragraph(line)
	labels := make([]string, len(r.Traffic.Buckets))
	for i, b := range r.Traffic.Buckets {
		labels[i] = b.Label
		if r.Kind == report.Quarter {
			labels[i] = "T" + b.Label
		}
	}
	unit := "theo ngày"
	if r.Kind == report.Quarter {
		unit = "theo tuần"
	}
	prev := s.Previous
	if prev[0] == nil {
		prev = nil
	}
	d.chart(s.LabelVI+" "+unit, labels, s.Current, prev, "Kỳ này", "Kỳ trước")
}

func (d *Document) section(title string) {
	f := d.f
	if f.GetY() > 297-marginBot-30 {
		f.AddPage()
	}
	f.Ln(2)
	f.SetFont(family, "B", 13)
	f.MultiCell(textW, 7, title, "", "L", false)
	f.SetFont(family, "", bodySize)
}

func (d *Document) noData(why string) {
	d.f.SetFont(family, "I", bodySize)
	d.f.MultiCell(textW, lineH, noDataVI+": "+why+".", "", "L", false)
	d.f.SetFont(family, "", bodySize)
	d.f.Ln(1)
}

func (d *Document) small(text string) {
	d.f.SetFont(family, "I", 9)
	d.f.MultiCell(textW, 4.5, text, "", "L", false)
	d.f.SetFont(family, "", bodySize)
}

// table draws a bordered table with a bold header row, repeated on each
// new page; a cell too long for its column is cut with "…".
func (d *Document) table(header []string, widths []float64, rows [][]string) {
	f := d.f
	const rowH = 6.0
	drawRow := func(cells []string, bold bool) {
		style := ""
		if bold {
			style = "B"
			f.SetFillColor(237, 242, 247)
		}
		f.SetX(marginLeft)
		for i, c := range cells {
			align := "L"
			if i > 0 && !bold && numeric(c) {
				align = "R"
			}
			fitSize(f, style, c, widths[i]-2, 9)
			f.CellFormat(widths[i], rowH, fitText(f, c, widths[i]-2), "1", 0, align, bold, 0, "")
		}
		f.Ln(rowH)
	}
	drawRow(header, true)
	for _, row := range rows {
		if f.GetY()+rowH > 297-marginBot {
			f.AddPage()
			drawRow(header, true)
		}
		drawRow(row, false)
	}
	f.SetFont(family, "", bodySize)
	f.Ln(2)
}

func numeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.,%/ ") == ""
}

func fitText(f *fpdf.Fpdf, s string, w float64) string {
	if f.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && f.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// chart draws bars (nil: a "–" where no data is), and prev as a dashed
// line over them, with a 0 / half / top scale.
func (d *Document) chart(title string, labels []string, values, prev []*int, nowName, prevName string) {
	f := d.f
	const h, axisW = 42.0, 10.0
	if f.GetY()+h+16 > 297-marginBot {
		f.AddPage()
	}
	f.SetFont(family, "I", 10)
	f.MultiCell(textW, 5, title, "", "L", false)
	top := report.ChartTop(values, prev)
	x0, y0 := marginLeft+axisW, f.GetY()+2
	plotW := textW - axisW
	base := y0 + h
	y := func(v int) float64 { return base - h*float64(v)/float64(top) }
	f.SetFont(family, "", 7)
	f.SetDrawColor(200, 205, 212)
	f.SetLineWidth(0.2)
	for _, v := range []int{0, top / 2, top} {
		f.Line(x0, y(v), x0+plotW, y(v))
		f.SetXY(marginLeft, y(v)-1.5)
		f.CellFormat(axisW-1, 3, strconv.Itoa(v), "", 0, "R", false, 0, "")
	}
	slot := plotW / float64(len(labels))
	step := 1
	if len(labels) > 16 {
		step = 2
	}
	f.SetFillColor(43, 108, 176)
	for i, l := range labels {
		cx := x0 + slot*(float64(i)+0.5)
		if i%step == 0 {
			f.SetXY(cx-slot, base+0.5)
			f.CellFormat(2*slot, 3, l, "", 0, "C", false, 0, "")
		}
		if values[i] == nil {
			f.SetXY(cx-slot/2, base-3.5)
			f.SetTextColor(160, 174, 192)
			f.CellFormat(slot, 3, "–", "", 0, "C", false, 0, "")
			f.SetTextColor(0, 0, 0)
			continue
		}
		if v := *values[i]; v > 0 {
			f.Rect(cx-slot*0.35, y(v), slot*0.7, base-y(v), "F")
		}
	}
	if prev != nil {
		f.SetDrawColor(217, 119, 6)
		f.SetLineWidth(0.5)
		f.SetDashPattern([]float64{1.2, 0.8}, 0)
		var lx, ly float64
		have := false
		for i, v := range prev {
			if v == nil || i >= len(labels) {
				have = false
				continue
			}
			cx, cy := x0+slot*(float64(i)+0.5), y(*v)
			if have {
				f.Line(lx, ly, cx, cy)
			}
			lx, ly, have = cx, cy, true
		}
		f.SetDashPattern([]float64{}, 0)
	}
	f.SetDrawColor(0, 0, 0)
	f.SetLineWidth(0.2)
	f.SetY(base + 4)
	if nowName != "" {
		f.SetFont(family, "", 8)
		f.SetFillColor(43, 108, 176)
		lx := x0
		f.Rect(lx, f.GetY()+0.8, 3, 2.5, "F")
		f.SetX(lx + 4)
		f.CellFormat(30, 4, nowName, "", 0, "L", false, 0, "")
		if prev != nil {
			f.SetDrawColor(217, 119, 6)
			f.SetLineWidth(0.5)
			f.SetDashPattern([]float64{1.2, 0.8}, 0)
			f.Line(lx+36, f.GetY()+2, lx+42, f.GetY()+2)
			f.SetDashPattern([]float64{}, 0)
			f.SetDrawColor(0, 0, 0)
			f.SetLineWidth(0.2)
			f.SetX(lx + 43)
			f.CellFormat(40, 4, prevName, "", 0, "L", false, 0, "")
		}
		f.Ln(4)
	}
	f.SetFont(family, "", bodySize)
	f.Ln(2)
}

// vnPercent writes a percentage as Vietnamese does: "97,97%".
func vnPercent(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1) + "%"
}

// vnHours writes seconds as hours with a decimal comma: "8", "1,5".
func vnHours(s float64) string {
	h := float64(int64(s/36+0.5)) / 100
	return strings.Replace(strconv.FormatFloat(h, 'f', -1, 64), ".", ",", 1)
}

// lowerInitial lowers a sentence's first letter: "Ổ đĩa đầy" → "ổ đĩa đầy".
func lowerInitial(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
