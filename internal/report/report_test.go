package report_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/report"
	"matthan/internal/report/reporttest"
	"matthan/internal/sqlite"
)

var _ report.Source = (*sqlite.DB)(nil)

func build(t *testing.T, db report.Source, period, area string) *report.Report {
	t.Helper()
	p, err := report.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(context.Background(), db, p, area, reporttest.Now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// js renders v as JSON, for comparing what the API will show.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOctoberForTheWard(t *testing.T) {
	db, path := reporttest.Open(t)
	reporttest.Seed(t, db, path)
	r := build(t, db, "2026-10", "")

	if r.Period != "2026-10" || r.LabelVI != "tháng 10/2026" || r.Previous != "2026-09" || r.FromLocal != "01/10/2026" ||
		r.ToLocal != "31/10/2026" || r.Partial || r.Cameras != 4 || r.Area != "" || js(r.AreaOptions) != `["Khóm 1","Khóm 2"]` {
		t.Errorf("head: %+v", r)
	}
	e := r.Events
	if !e.HasData || e.Total != 10 || e.Confirmed != 3 || e.FalseAlarms != 2 || e.Unreviewed != 5 || *e.Precision != 60 {
		t.Errorf("events: %+v", e)
	}
	wantHours := [24]int{2: 1, 7: 4, 8: 1, 17: 2, 22: 1, 23: 1}
	if e.ByHour != wantHours {
		t.Errorf("by hour %v, want %v", e.ByHour, wantHours)
	}
	var types []string
	for _, tc := range e.ByType {
		types = append(types, fmt.Sprintf("%s:%d/%d/%d", tc.Type, tc.Count, tc.Confirmed, tc.FalseAlarms))
	}
	if got := strings.Join(types, " "); got != "loitering:2/0/1 three_riders:3/1/0 no_helmet:4/1/1 security_lapse:1/1/0" {
		t.Errorf("by type: %s", got)
	}
	if e.ByType[2].LabelVI != "Người đi xe máy không đội mũ bảo hiểm" || e.ByType[2].LabelEN != "Riders without a helmet" {
		t.Errorf("labels: %+v", e.ByType[2])
	}

	// Traffic: day by day, beside September's days; false alarms left out.
	nh, tr := r.Traffic.Series[0], r.Traffic.Series[1]
	if nh.Type != matthan.EventNoHelmet || len(nh.Current) != 31 || *nh.Current[0] != 2 || *nh.Current[1] != 1 || *nh.Current[14] != 0 ||
		*nh.Previous[0] != 3 || *nh.Previous[1] != 2 || *nh.Previous[29] != 1 || nh.Previous[30] != nil ||
		nh.Total != 3 || nh.PreviousTotal != 6 || *nh.ChangePercent != -50 {
		t.Errorf("no helmet: %s", js(nh))
	}
	if *tr.Current[2] != 2 || *tr.Current[19] != 1 || tr.Total != 3 || tr.PreviousTotal != 3 || *tr.ChangePercent != 0 {
		t.Errorf("three riders: %s", js(tr))
	}

	if rm := r.Reminders; rm.Sent != 3 || rm.Acked != 2 || *rm.AckPercent != 66.67 {
		t.Errorf("reminders: %+v", rm)
	}

	u := r.Uptime
	if !u.HasData || *u.Percent != 97.97 || u.MeasuredSeconds != 1872*3600 || u.DownSeconds != 38*3600 {
		t.Errorf("uptime: %s", js(u))
	}
	if got := js(u.ByReason); got != `[{"reason":"node_stopped","label_vi":"Máy chủ không hoạt động","label_en":"Node not running","seconds":86400},`+
		`{"reason":"offline","label_vi":"Mất kết nối camera","label_en":"Camera unreachable","seconds":46800},`+
		`{"reason":"stalled","label_vi":"Có kết nối nhưng không có hình","label_en":"Connected, no video","seconds":3600}]` {
		t.Errorf("by reason: %s", got)
	}
	var cams []string
	for _, c := range u.Cameras {
		p := "nil"
		if c.Percent != nil {
			p = fmt.Sprint(*c.Percent)
		}
		cams = append(cams, fmt.Sprintf("%s:%s:%g:%s", c.CameraID, p, c.DownSeconds/3600, c.MainReason))
	}
	if got := strings.Join(cams, " "); got != "rp-cho:98.92:8:offline rp-ongsau:nil:0: rp-tranphu:93.75:24:node_stopped rp-truong:99.19:6:offline" {
		t.Errorf("cameras: %s", got)
	}

	m := r.Money
	if m.RaisedVND != 447_000_000 || m.MoneyVND != 435_000_000 || m.EquipmentVND != 12_000_000 || m.SpentVND != 8_500_000 ||
		m.Donations != 2 || m.Costs != 1 || m.Raised != "447.000.000 ₫" || m.Spent != "8.500.000 ₫" {
		t.Errorf("money: %+v", m)
	}

	want := `[{"area":"Khóm 1","cameras":2,"events":6,"confirmed":1,"false_alarms":2,"no_helmet":3,"three_riders":0,"reminders_sent":2,"reminders_acked":1,"uptime_percent":97.16,"raised_vnd":217500000,"spent_vnd":8500000},` +
		`{"area":"Khóm 2","cameras":2,"events":4,"confirmed":2,"false_alarms":0,"no_helmet":0,"three_riders":3,"reminders_sent":1,"reminders_acked":1,"uptime_percent":99.19,"raised_vnd":217500000,"spent_vnd":0},` +
		`{"area":"","cameras":0,"events":0,"confirmed":0,"false_alarms":0,"no_helmet":0,"three_riders":0,"reminders_sent":0,"reminders_acked":0,"uptime_percent":null,"raised_vnd":12000000,"spent_vnd":0}]`
	if got := js(r.Areas); got != want {
		t.Errorf("areas:\n%s\nwant\n%s", got, want)
	}
}

func TestOneArea(t *testing.T) {
	db, path := reporttest.Open(t)
	reporttest.Seed(t, db, path)
	r := build(t, db, "2026-10", "Khóm 1")
	if r.Cameras != 2 || r.Events.Total != 6 || r.Events.Confirmed != 1 || r.Events.FalseAlarms != 2 ||
		r.Traffic.Series[1].Total != 0 || r.Traffic.Series[0].Total != 3 || r.Reminders.Sent != 2 || *r.Uptime.Percent != 97.16 ||
		len(r.Uptime.Cameras) != 2 || r.Money.RaisedVND != 217_500_000 || r.Money.Donations != 1 || r.Money.SpentVND != 8_500_000 ||
		len(r.Areas) != 1 || r.Areas[0].Area != "Khóm 1" {
		t.Errorf("Khóm 1: %s", js(r))
	}
	p, _ := report.ParsePeriod("2026-10")
	if _, err := report.Build(t.Context(), db, p, "Khóm 9", reporttest.Now); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("an unknown area: %v", err)
	}
	future, _ := report.ParsePeriod("2026-12")
	if _, err := report.Build(t.Context(), db, future, "", reporttest.Now); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("a period to come: %v", err)
	}
}

// TestQuarterRunning: the fourth quarter on 20/11 counts up to then, week
// by week; the weeks to come have no data rather than zeros.
func TestQuarterRunning(t *testing.T) {
	db, path := reporttest.Open(t)
	reporttest.Seed(t, db, path)
	r := build(t, db, "2026-Q4", "")
	if !r.Partial || r.MeasuredToLocal != "20/11/2026 10:00:00" || r.Events.Total != 11 || r.Reminders.Sent != 4 {
		t.Errorf("head: partial %v to %s events %d reminders %d", r.Partial, r.MeasuredToLocal, r.Events.Total, r.Reminders.Sent)
	}
	nh := r.Traffic.Series[0]
	var cur, prev []string
	for i := range nh.Current {
		cur, prev = append(cur, count(nh.Current[i])), append(prev, count(nh.Previous[i]))
	}
	if got := strings.Join(cur, ","); got != "3,0,0,0,0,1,0,0,-,-,-,-,-,-" {
		t.Errorf("no helmet this quarter: %s", got)
	}
	if got := strings.Join(prev, ","); got != "0,0,0,0,0,0,0,0,3,2,0,0,0,1" {
		t.Errorf("no helmet last quarter: %s", got)
	}
	// The first 8 weeks of the third quarter had none: no change to show.
	if nh.Total != 4 || nh.PreviousTotal != 0 || nh.ChangePercent != nil {
		t.Errorf("no helmet: %d against %d, %v", nh.Total, nh.PreviousTotal, nh.ChangePercent)
	}
	// Uptime up to now: rp-truong has been offline since 31/10 18:00.
	for _, c := range r.Uptime.Cameras {
		if c.CameraID == reporttest.CamTruong && (c.MeasuredSeconds != 1210*3600 || c.DownSeconds != 472*3600) {
			t.Errorf("rp-truong: %+v", c)
		}
	}
	if r.Money.RaisedVND != 447_000_000 || r.Money.SpentVND != 9_700_000 {
		t.Errorf("money: %+v", r.Money)
	}
}

func count(v *int) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

// TestNoData: a ward with cameras but nothing recorded says so everywhere
// instead of drawing zeros.
func TestNoData(t *testing.T) {
	db, _ := reporttest.Open(t)
	if err := db.CreateCamera(t.Context(), &matthan.Camera{ID: "cam-1", Name: "Cổng", Area: "Khóm 1", Source: matthan.SourcePull,
		MainURL: "rtsp://127.0.0.1:1/x", Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND"}}); err != nil {
		t.Fatal(err)
	}
	r := build(t, db, "2026-10", "")
	if r.Events.HasData || r.Uptime.HasData || r.Uptime.Percent != nil || r.Reminders.AckPercent != nil || r.Events.Precision != nil {
		t.Errorf("no data: %s", js(r))
	}
	for _, s := range r.Traffic.Series {
		for i := range s.Current {
			if s.Current[i] != nil || s.Previous[i] != nil {
				t.Fatalf("%s: a count without data: %s", s.Type, js(s))
			}
		}
	}
	for _, svg := range []string{report.HoursSVG(r, "vi"), report.TypesSVG(r, "vi"), report.ReviewSVG(r, "vi"),
		report.TrafficSVG(r, r.Traffic.Series[0], "vi")} {
		if !strings.Contains(svg, "Không có dữ liệu") || strings.Contains(svg, `class="bar"`) {
			t.Errorf("a chart without data: %s", svg)
		}
	}
	if svg := report.HoursSVG(r, "en"); !strings.Contains(svg, "No data") {
		t.Errorf("in English: %s", svg)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "cam-1,Cổng,Khóm 1,không có dữ liệu") {
		t.Errorf("csv:\n%s", buf.String())
	}
}

func TestCharts(t *testing.T) {
	db, path := reporttest.Open(t)
	reporttest.Seed(t, db, path)
	r := build(t, db, "2026-Q4", "")
	bars := regexp.MustCompile(`class="bar"`)
	marks := regexp.MustCompile(`class="nodata-mark"`)
	for _, tc := range []struct {
		name        string
		svg         string
		bars, marks int
		want        []string
	}{
		{"hours", report.HoursSVG(r, "vi"), 24, 0, []string{"Sự kiện theo giờ trong ngày", `data-label="7" data-value="4"`}},
		{"types", report.TypesSVG(r, "vi"), 4, 0, []string{"Người đi xe máy không đội mũ bảo hiểm", `data-label="no_helmet" data-value="5"`, "Báo động nhầm"}},
		{"types en", report.TypesSVG(r, "en"), 4, 0, []string{"Riders without a helmet", "False alarm"}},
		{"review", report.ReviewSVG(r, "vi"), 3, 0, []string{`data-label="confirmed" data-value="3"`, `data-label="false_alarm" data-value="2"`}},
		// 8 weeks begun, 6 to come; the third quarter as a dashed line.
		{"no helmet", report.TrafficSVG(r, r.Traffic.Series[0], "vi"), 8, 6, []string{"Kỳ trước: quý III/2026", `class="prev"`, "T1"}},
	} {
		if n := len(bars.FindAllString(tc.svg, -1)); n != tc.bars {
			t.Errorf("%s: %d bars, want %d", tc.name, n, tc.bars)
		}
		if n := len(marks.FindAllString(tc.svg, -1)); n != tc.marks {
			t.Errorf("%s: %d no-data marks, want %d", tc.name, n, tc.marks)
		}
		for _, w := range tc.want {
			if !strings.Contains(tc.svg, w) {
				t.Errorf("%s lacks %q", tc.name, w)
			}
		}
		if !strings.HasPrefix(tc.svg, "<svg") || !strings.HasSuffix(tc.svg, "</svg>") {
			t.Errorf("%s is not one SVG element", tc.name)
		}
	}
}

func TestCSV(t *testing.T) {
	db, path := reporttest.Open(t)
	reporttest.Seed(t, db, path)
	r := build(t, db, "2026-10", "")
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")) {
		t.Error("no byte order mark")
	}
	rd := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, row := range rows {
		lines[strings.Join(row, "|")] = true
	}
	for _, want := range []string{
		"Báo cáo an ninh trật tự qua hệ thống camera|tháng 10/2026|Toàn phường|01/10/2026|31/10/2026|01/11/2026 00:00:00|20/11/2026 10:00:00|4",
		"no_helmet|Người đi xe máy không đội mũ bảo hiểm|4|1|1",
		"07:00–07:59|4",
		"10|3|2|5|60",
		"01/10|01/10/2026|01/10/2026|2|3|0|0",
		"31/10|31/10/2026|31/10/2026|0|không có dữ liệu|0|không có dữ liệu",
		"Người đi xe máy không đội mũ bảo hiểm|3|6|-50",
		"Xe chở ba người|3|3|0",
		"3|2|66.67",
		"rp-cho|Cổng chợ An Bình|Khóm 1|98.92|744|8|Mất kết nối camera",
		"rp-ongsau|Nhà ông Sáu|Khóm 2|không có dữ liệu|||",
		"Tất cả|||97.97|1872|38|",
		"447000000|435000000|12000000|8500000|2|1",
		"Khóm 1|2|6|1|2|3|0|2|1|97.16|217500000|8500000",
		"Quỹ chung / camera đã xóa|0|0|0|0|0|0|0|0|không có dữ liệu|12000000|0",
	} {
		if !lines[want] {
			t.Errorf("csv lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("csv:\n%s", buf.String())
	}
}

// counting counts the calls a report makes to its source.
type counting struct {
	report.Source
	calls int
}

func (c *counting) Cameras(ctx context.Context, f matthan.CameraFilter) ([]*matthan.Camera, error) {
	c.calls++
	return c.Source.Cameras(ctx, f)
}

func (c *counting) EventCountsByHour(ctx context.Context, from, to time.Time,
	fn func(string, matthan.EventType, matthan.Review, time.Time, int)) error {
	c.calls++
	return c.Source.EventCountsByHour(ctx, from, to, fn)
}

func (c *counting) ReminderCounts(ctx context.Context, from, to time.Time, fn func(string, int, int)) error {
	c.calls++
	return c.Source.ReminderCounts(ctx, from, to, fn)
}

func (c *counting) GapTime(ctx context.Context, s matthan.StreamRole, from, to time.Time, fn func(string, matthan.GapReason, time.Duration)) error {
	c.calls++
	return c.Source.GapTime(ctx, s, from, to, fn)
}

func (c *counting) FirstRecorded(ctx context.Context, s matthan.StreamRole) (map[string]time.Time, error) {
	c.calls++
	return c.Source.FirstRecorded(ctx, s)
}

func (c *counting) Donations(ctx context.Context, f matthan.LedgerFilter) ([]*matthan.Donation, error) {
	c.calls++
	return c.Source.Donations(ctx, f)
}

func (c *counting) CameraCosts(ctx context.Context, f matthan.LedgerFilter) ([]*matthan.CameraCost, error) {
	c.calls++
	return c.Source.CameraCosts(ctx, f)
}

// TestQueriesDoNotGrowWithTheWard: a report is seven aggregate queries,
// however many cameras and days it covers (the benchmark below measures a
// quarter of 63 cameras).
func TestQueriesDoNotGrowWithTheWard(t *testing.T) {
	db, path := reporttest.Open(t)
	reporttest.Seed(t, db, path)
	for _, period := range []string{"2026-10", "2026-Q4"} {
		c := &counting{Source: db}
		build(t, c, period, "")
		if c.calls != 7 {
			t.Errorf("%s: %d calls to the store, want 7", period, c.calls)
		}
	}
}

// BenchmarkQuarterOf63Cameras: a quarter of 63 cameras, each with a
// segment and a one-minute gap every 2 hours (139 000 rows). About 0.25 s
// a report on a laptop core.
func BenchmarkQuarterOf63Cameras(b *testing.B) {
	db, path := reporttest.Open(b)
	seedScale(b, db, path, 2*time.Hour)
	p, _ := report.ParsePeriod("2026-Q4")
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		r, err := report.Build(b.Context(), db, p, "", now)
		if err != nil {
			b.Fatal(err)
		}
		// Each camera is down 1 minute every 2 hours: 1/120 of the time.
		if *r.Uptime.Percent != 99.17 || len(r.Uptime.Cameras) != 63 {
			b.Fatalf("uptime %v over %d cameras", *r.Uptime.Percent, len(r.Uptime.Cameras))
		}
	}
}

// seedScale writes 63 cameras in 7 areas, each with a segment at the start
// of every step and a one-minute gap at its end, over the fourth quarter
// of 2026: straight into the tables, in one transaction.
func seedScale(t testing.TB, db *sqlite.DB, path string, step time.Duration) {
	ctx := context.Background()
	for i := range 63 {
		if err := db.CreateCamera(ctx, &matthan.Camera{ID: fmt.Sprintf("cam-%03d", i), Name: "Camera", Area: fmt.Sprintf("Khóm %d", i%7+1),
			Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/x", Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND"}}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	seg, err := tx.PrepareContext(ctx, `INSERT INTO segments (camera_id, stream, path, start_at, end_at) VALUES (?, 'main', ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	gap, err := tx.PrepareContext(ctx, `INSERT INTO gaps (camera_id, stream, start_at, end_at, reason) VALUES (?, 'main', ?, ?, 'offline')`)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, matthan.Vietnam)
	for i := range 63 {
		cam := fmt.Sprintf("cam-%03d", i)
		for at := from; at.Before(from.AddDate(0, 3, 0)); at = at.Add(step) {
			end := at.Add(step - time.Minute)
			if _, err := seg.ExecContext(ctx, cam, cam+"/"+at.Format(time.RFC3339), at.UnixMicro(), end.UnixMicro()); err != nil {
				t.Fatal(err)
			}
			if _, err := gap.ExecContext(ctx, cam, end.UnixMicro(), end.Add(time.Minute).UnixMicro()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
