package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"matthan"
	"matthan/internal/report"
)

// The report page (/reports): a month's or a quarter's figures for the
// ward or one area, drawn as inline SVG charts (internal/report) with
// their tables, and links to the same report as CSV and PDF (the API's
// /api/reports/ward.csv and .pdf, which audit each download). Rendered
// on the server: no script is needed to read it.

// reportMessages are the texts of /reports (keys "report.…").
var reportMessages = map[string][2]string{
	"nav.reports": {"Báo cáo", "Reports"},

	"report.title":         {"Báo cáo an ninh trật tự", "Ward report"},
	"report.intro":         {"Số liệu theo tháng hoặc quý, toàn phường hoặc từng khu vực, để báo cáo UBND phường.", "Figures by month or quarter, for the whole ward or one area, for the ward's People's Committee."},
	"report.period":        {"Kỳ báo cáo", "Period"},
	"report.months":        {"Theo tháng", "Months"},
	"report.quarters":      {"Theo quý", "Quarters"},
	"report.area":          {"Khu vực", "Area"},
	"report.all":           {"Toàn phường", "Whole ward"},
	"report.show":          {"Xem báo cáo", "Show"},
	"report.csv":           {"Tải CSV", "Download CSV"},
	"report.pdf":           {"Tải PDF", "Download PDF"},
	"report.unavailable":   {"Máy chủ này không lập được báo cáo.", "This node cannot make reports."},
	"report.from_to":       {"Từ %s đến %s", "From %s to %s"},
	"report.partial":       {"Kỳ chưa kết thúc: số liệu tính đến %s.", "The period is not over: figures up to %s."},
	"report.cameras":       {"Số camera", "Cameras"},
	"report.nodata":        {"Không có dữ liệu", "No data"},
	"report.events":        {"Sự kiện do camera ghi nhận", "Events the cameras noticed"},
	"report.events_total":  {"Tổng số sự kiện", "Events"},
	"report.confirmed":     {"Xác nhận đúng", "Confirmed"},
	"report.false":         {"Báo động nhầm", "False alarms"},
	"report.unreviewed":    {"Chưa xem xét", "Not reviewed"},
	"report.precision":     {"Tỷ lệ báo đúng", "Share confirmed"},
	"report.type":          {"Loại sự kiện", "Event type"},
	"report.count":         {"Số sự kiện", "Events"},
	"report.by_hour":       {"Theo giờ trong ngày", "By hour of day"},
	"report.by_type":       {"Theo loại", "By type"},
	"report.review":        {"Xác nhận đúng và báo động nhầm", "Confirmed and false alarms"},
	"report.traffic":       {"Vi phạm giao thông", "Traffic rules"},
	"report.traffic_note":  {"Không tính các sự kiện đã đánh dấu báo động nhầm. Đường nét đứt: kỳ trước.", "Events marked as false alarms are left out. Dashed line: the previous period."},
	"report.this":          {"Kỳ này", "This period"},
	"report.prev":          {"Kỳ trước (cùng số ngày)", "Previous (same days)"},
	"report.change":        {"Thay đổi", "Change"},
	"report.down":          {"giảm %s", "down %s"},
	"report.up":            {"tăng %s", "up %s"},
	"report.same":          {"không đổi", "unchanged"},
	"report.reminders":     {"Nhắc nhở chủ camera", "Reminders to owners"},
	"report.sent":          {"Đã gửi", "Sent"},
	"report.acked":         {"Đã xác nhận", "Acknowledged"},
	"report.uptime":        {"Thời gian hoạt động của camera", "Camera uptime"},
	"report.uptime_all":    {"Hoạt động", "Up"},
	"report.camera":        {"Camera", "Camera"},
	"report.down_hours":    {"Mất tín hiệu (giờ)", "Down (hours)"},
	"report.main_reason":   {"Lý do chính", "Main reason"},
	"report.money":         {"Xã hội hóa", "Donations and spending"},
	"report.raised":        {"Đã nhận", "Raised"},
	"report.money_kind":    {"Tiền", "Money"},
	"report.equipment":     {"Hiện vật", "Equipment"},
	"report.spent":         {"Đã chi", "Spent"},
	"report.donations":     {"Số khoản đóng góp", "Donations"},
	"report.costs":         {"Số khoản chi", "Costs"},
	"report.areas":         {"Theo khu vực", "By area"},
	"report.general":       {"Quỹ chung / camera đã xóa", "General fund / deleted cameras"},
	"report.no_helmet":     {"Không đội mũ bảo hiểm", "No helmet"},
	"report.three":         {"Chở ba người", "Three riders"},
	"report.none_reminder": {"Trong kỳ không gửi phiếu nhắc nhở nào.", "No reminder was sent in the period."},
	"report.none_money":    {"Trong kỳ không có khoản đóng góp hay khoản chi nào.", "No donation or cost in the period."},
}

func (s *Server) reportRoutes(mux *http.ServeMux) {
	mux.Handle("GET /reports", s.signedIn(canPlayBack, s.reportsPage))
}

type reportsData struct {
	Available      bool
	Error          string
	Months         []choice
	Quarters       []choice
	Areas          []choice
	R              *report.Report
	Lang           string
	CSV, PDF       string // download links
	Range, Partial string
	Charts         reportCharts
	Traffic        []trafficRow
	Uptime         []uptimeRow
	UptimeAll      string
	Precision      string
	AckPercent     string
	Raised, Spent  string
	Money, Equip   string
	AreaRows       []areaRow
	TypeLabels     []typeRow
}

type reportCharts struct {
	Hours, Types, Review template.HTML
	Traffic              []titledChart
}

type titledChart struct {
	Title string
	SVG   template.HTML
}

type trafficRow struct {
	Label, Total, Previous, Change string
}

type uptimeRow struct {
	Camera, Area, Percent, Down, Reason string
}

type areaRow struct {
	Area, Uptime, Raised, Spent string
	Row                         report.AreaRow
}

type typeRow struct {
	Label                      string
	Count, Confirmed, FalseAls int
}

// reportsPage builds the report asked for (default: this month, the whole
// ward). A bad period or area is said on the page, with the pickers.
func (s *Server) reportsPage(r *http.Request, v *view) (string, error) {
	v.Title = v.T("report.title")
	d := &reportsData{Lang: v.Lang}
	v.Data = d
	src := s.deps.Reports
	if src == nil {
		return "reports", nil
	}
	d.Available = true
	now := s.now()
	q := r.URL.Query()
	p := report.PeriodOf(report.Month, now)
	period := q.Get("period")
	area := strings.TrimSpace(q.Get("area"))
	var err error
	if period != "" {
		p, err = report.ParsePeriod(period)
	}
	var rep *report.Report
	if err == nil {
		rep, err = report.Build(r.Context(), src, p, area, now)
	}
	if err != nil {
		if matthan.ErrorCode(err) != matthan.EINVALID {
			return "", err
		}
		d.Error = errorText(err, v.Lang)
		p, area = report.PeriodOf(report.Month, now), ""
		if rep, err = report.Build(r.Context(), src, p, "", now); err != nil {
			return "", err
		}
	}
	d.R = rep
	d.pickers(v, now, rep)
	d.fill(v, rep)
	return "reports", nil
}

// errorText is a domain error's message and its first field's, in lang.
func errorText(err error, lang string) string {
	e, _ := err.(*matthan.Error)
	if e == nil {
		return err.Error()
	}
	msg, field := e.MessageVI, ""
	if len(e.Fields) > 0 {
		field = e.Fields[0].MessageVI
	}
	if lang == "en" {
		msg = e.Message
		if len(e.Fields) > 0 {
			field = e.Fields[0].Message
		}
	}
	if field != "" {
		msg += ": " + field
	}
	return msg
}

// pickers lists the last 13 months and 5 quarters, and the areas.
func (d *reportsData) pickers(v *view, now time.Time, rep *report.Report) {
	label := func(p report.Period) string {
		if v.Lang == "en" {
			return p.LabelEN()
		}
		l := p.LabelVI()
		return strings.ToUpper(l[:1]) + l[1:]
	}
	for p, i := report.PeriodOf(report.Month, now), 0; i < 13; p, i = p.Previous(), i+1 {
		d.Months = append(d.Months, choice{Value: p.String(), Label: label(p), Selected: p.String() == rep.Period})
	}
	for p, i := report.PeriodOf(report.Quarter, now), 0; i < 5; p, i = p.Previous(), i+1 {
		d.Quarters = append(d.Quarters, choice{Value: p.String(), Label: label(p), Selected: p.String() == rep.Period})
	}
	d.Areas = append(d.Areas, choice{Value: "", Label: v.T("report.all"), Selected: rep.Area == ""})
	for _, a := range rep.AreaOptions {
		d.Areas = append(d.Areas, choice{Value: a, Label: a, Selected: a == rep.Area})
	}
	q := url.Values{"period": {rep.Period}}
	if rep.Area != "" {
		q.Set("area", rep.Area)
	}
	d.CSV, d.PDF = "/api/reports/ward.csv?"+q.Encode(), "/api/reports/ward.pdf?"+q.Encode()
}

// percentText writes a percentage in the page's language: "97,97 %" in
// Vietnamese, "97.97%" in English; nil is "no data".
func percentText(v *float64, v2 *view) string {
	if v == nil {
		return v2.T("report.nodata")
	}
	s := strconv.FormatFloat(*v, 'f', -1, 64)
	if v2.Lang == "en" {
		return s + "%"
	}
	return strings.Replace(s, ".", ",", 1) + "%"
}

func hoursText(seconds float64, v *view) string {
	s := strconv.FormatFloat(float64(int64(seconds/36+0.5))/100, 'f', -1, 64)
	if v.Lang == "en" {
		return s
	}
	return strings.Replace(s, ".", ",", 1)
}

func (d *reportsData) fill(v *view, rep *report.Report) {
	lang := v.Lang
	pick := func(vi, en string) string {
		if lang == "en" {
			return en
		}
		return vi
	}
	d.Range = fmtT(v, "report.from_to", rep.FromLocal, rep.ToLocal)
	if rep.Partial {
		d.Partial = fmtT(v, "report.partial", rep.MeasuredToLocal)
	}
	d.Charts = reportCharts{Hours: template.HTML(report.HoursSVG(rep, lang)), Types: template.HTML(report.TypesSVG(rep, lang)),
		Review: template.HTML(report.ReviewSVG(rep, lang))}
	for _, t := range rep.Events.ByType {
		d.TypeLabels = append(d.TypeLabels, typeRow{Label: pick(t.LabelVI, t.LabelEN), Count: t.Count, Confirmed: t.Confirmed, FalseAls: t.FalseAlarms})
	}
	d.Precision = percentText(rep.Events.Precision, v)
	for _, s := range rep.Traffic.Series {
		d.Charts.Traffic = append(d.Charts.Traffic, titledChart{Title: pick(s.LabelVI, s.LabelEN), SVG: template.HTML(report.TrafficSVG(rep, s, lang))})
		row := trafficRow{Label: pick(s.LabelVI, s.LabelEN), Total: strconv.Itoa(s.Total), Previous: strconv.Itoa(s.PreviousTotal), Change: "—"}
		if !rep.Events.HasData {
			row.Total = v.T("report.nodata")
		}
		if s.Previous[0] == nil {
			row.Previous = v.T("report.nodata")
		}
		if c := s.ChangePercent; c != nil {
			abs := *c
			key := "report.up"
			if abs < 0 {
				abs, key = -abs, "report.down"
			}
			row.Change = fmtT(v, key, percentText(&abs, v))
			if *c == 0 {
				row.Change = v.T("report.same")
			}
		}
		d.Traffic = append(d.Traffic, row)
	}
	d.AckPercent = percentText(rep.Reminders.AckPercent, v)
	d.UptimeAll = percentText(rep.Uptime.Percent, v)
	for _, c := range rep.Uptime.Cameras {
		row := uptimeRow{Camera: c.Name + " (" + c.CameraID + ")", Area: c.Area, Percent: percentText(c.Percent, v)}
		if c.Percent != nil {
			row.Down, row.Reason = hoursText(c.DownSeconds, v), pick(c.MainReasonVI, c.MainReasonEN)
		}
		d.Uptime = append(d.Uptime, row)
	}
	m := rep.Money
	d.Raised, d.Spent, d.Money, d.Equip = m.Raised, m.Spent, matthan.FormatVND(m.MoneyVND), matthan.FormatVND(m.EquipmentVND)
	for _, a := range rep.Areas {
		name := a.Area
		if name == "" {
			name = v.T("report.general")
		}
		d.AreaRows = append(d.AreaRows, areaRow{Area: name, Uptime: percentText(a.UptimePercent, v),
			Raised: matthan.FormatVND(a.RaisedVND), Spent: matthan.FormatVND(a.SpentVND), Row: a})
	}
}

// fmtT fills a translated message's %s with args.
func fmtT(v *view, key string, args ...string) string {
	s := v.T(key)
	for _, a := range args {
		s = strings.Replace(s, "%s", a, 1)
	}
	return s
}
