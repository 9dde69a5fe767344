package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// NoData is what a cell says when there is nothing behind it.
const NoData = "không có dữ liệu"

// WriteCSV writes the report as CSV for a spreadsheet: UTF-8 with a byte
// order mark (so that Excel reads the Vietnamese), one block per section
// (a title row, a header row, the rows) separated by empty rows. Numbers
// are plain (amounts in whole đồng, percentages with a decimal point); a
// figure with no data says "không có dữ liệu".
func WriteCSV(w io.Writer, r *Report) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	cw := csv.NewWriter(w)
	row := func(cells ...string) { cw.Write(cells) }
	block := func(title string, header ...string) {
		row()
		row(title)
		if len(header) > 0 {
			row(header...)
		}
	}
	area := r.Area
	if area == "" {
		area = "Toàn phường"
	}
	row("Báo cáo", "Kỳ", "Khu vực", "Từ ngày", "Đến ngày", "Số liệu đến", "Lập lúc", "Số camera")
	row("Báo cáo an ninh trật tự qua hệ thống camera", r.LabelVI, area, r.FromLocal, r.ToLocal, r.MeasuredToLocal,
		r.GeneratedLocal, itoa(r.Cameras))

	e := r.Events
	block("Sự kiện theo loại", "Mã loại", "Loại sự kiện", "Số sự kiện", "Xác nhận đúng", "Báo động nhầm")
	if !e.HasData {
		row(NoData)
	}
	for _, t := range e.ByType {
		row(string(t.Type), t.LabelVI, itoa(t.Count), itoa(t.Confirmed), itoa(t.FalseAlarms))
	}

	block("Sự kiện theo giờ trong ngày", "Giờ", "Số sự kiện")
	for h, n := range e.ByHour {
		cell := itoa(n)
		if !e.HasData {
			cell = NoData
		}
		row(fmt.Sprintf("%02d:00–%02d:59", h, h), cell)
	}

	block("Xác nhận đúng và báo động nhầm", "Tổng số sự kiện", "Xác nhận đúng", "Báo động nhầm", "Chưa xem xét", "Tỷ lệ báo đúng (%)")
	if e.HasData {
		row(itoa(e.Total), itoa(e.Confirmed), itoa(e.FalseAlarms), itoa(e.Unreviewed), pct(e.Precision))
	} else {
		row(NoData)
	}

	unit := "ngày"
	if r.Kind == Quarter {
		unit = "tuần"
	}
	header := []string{"Khoảng (" + unit + ")", "Từ", "Đến"}
	for _, s := range r.Traffic.Series {
		header = append(header, s.LabelVI+" – "+r.LabelVI, s.LabelVI+" – "+r.PreviousLabelVI)
	}
	block("Vi phạm giao thông theo "+unit+" (không tính báo động nhầm)", header...)
	for i, b := range r.Traffic.Buckets {
		cells := []string{b.LabelVI, localDay(b.From), localDay(b.To.Add(-1))}
		for _, s := range r.Traffic.Series {
			cells = append(cells, count(s.Current[i]), count(s.Previous[i]))
		}
		row(cells...)
	}
	block("Vi phạm giao thông so với kỳ trước", "Loại", "Kỳ này", "Kỳ trước (cùng số "+unit+")", "Thay đổi (%)")
	for _, s := range r.Traffic.Series {
		cur, prev := itoa(s.Total), itoa(s.PreviousTotal)
		if !e.HasData {
			cur = NoData
		}
		if s.Previous[0] == nil {
			prev = NoData
		}
		row(s.LabelVI, cur, prev, pct(s.ChangePercent))
	}

	rm := r.Reminders
	block("Nhắc nhở chủ camera", "Đã gửi", "Đã xác nhận", "Tỷ lệ xác nhận (%)")
	row(itoa(rm.Sent), itoa(rm.Acked), pct(rm.AckPercent))

	block("Thời gian hoạt động của camera", "Mã camera", "Tên camera", "Khu vực", "Hoạt động (%)", "Thời gian đo (giờ)", "Mất tín hiệu (giờ)", "Lý do chính")
	for _, c := range r.Uptime.Cameras {
		if c.Percent == nil {
			row(c.CameraID, c.Name, c.Area, NoData, "", "", "")
			continue
		}
		row(c.CameraID, c.Name, c.Area, pct(c.Percent), hours(c.MeasuredSeconds), hours(c.DownSeconds), c.MainReasonVI)
	}
	if r.Uptime.HasData {
		row("Tất cả", "", "", pct(r.Uptime.Percent), hours(r.Uptime.MeasuredSeconds), hours(r.Uptime.DownSeconds), "")
	}

	m := r.Money
	block("Xã hội hóa", "Đã nhận (đồng)", "Tiền (đồng)", "Hiện vật (đồng)", "Đã chi (đồng)", "Số khoản đóng góp", "Số khoản chi")
	row(i64(m.RaisedVND), i64(m.MoneyVND), i64(m.EquipmentVND), i64(m.SpentVND), itoa(m.Donations), itoa(m.Costs))

	block("Theo khu vực", "Khu vực", "Số camera", "Sự kiện", "Xác nhận đúng", "Báo động nhầm", "Không đội mũ bảo hiểm",
		"Chở ba người", "Nhắc nhở đã gửi", "Nhắc nhở đã xác nhận", "Hoạt động (%)", "Đã nhận (đồng)", "Đã chi (đồng)")
	for _, a := range r.Areas {
		name := a.Area
		if name == "" {
			name = "Quỹ chung / camera đã xóa"
		}
		row(name, itoa(a.Cameras), itoa(a.Events), itoa(a.Confirmed), itoa(a.FalseAlarms), itoa(a.NoHelmet), itoa(a.ThreeRiders),
			itoa(a.RemindersSent), itoa(a.RemindersAcked), pct(a.UptimePercent), i64(a.RaisedVND), i64(a.SpentVND))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	return nil
}

func itoa(n int) string      { return strconv.Itoa(n) }
func i64(n int64) string     { return strconv.FormatInt(n, 10) }
func hours(s float64) string { return strconv.FormatFloat(round2(s/3600), 'f', -1, 64) }

func count(v *int) string {
	if v == nil {
		return NoData
	}
	return itoa(*v)
}

func pct(v *float64) string {
	if v == nil {
		return NoData
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
