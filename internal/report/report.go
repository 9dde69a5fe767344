// Package report computes the ward's monthly and quarterly report for the
// People's Committee, per area: analytics events by type and by hour of
// day, confirmed against false alarms, the traffic-rule counts over time
// (riders without helmets, three riders) beside the previous period,
// reminders sent and acknowledged, camera uptime, donations and spending.
// The same Report is served as JSON, drawn as SVG charts (svg.go), written
// as CSV (csv.go) and printed as PDF (internal/pdf).
//
// A figure with nothing behind it is marked as such (HasData false, or a
// nil number) rather than shown as a zero that reads like a fact.
//
// Uptime is the share of the measured time not covered by a recorded gap
// of the camera's main stream. Gaps are kept for ever while retention
// deletes old segments, so a report on last quarter still tells the truth;
// the recorder writes a gap, with its reason, for every time it was not
// recording. The measured time starts when the camera's first segment or
// gap began, so a camera installed mid-month is not counted down before it.
package report

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"matthan"
)

// Source is what a report reads. *sqlite.DB is one; the aggregate queries
// are in internal/sqlite/report_queries.go.
type Source interface {
	Cameras(ctx context.Context, f matthan.CameraFilter) ([]*matthan.Camera, error)
	// EventCountsByHour counts events starting in [from, to) per camera,
	// type, review and UTC hour.
	EventCountsByHour(ctx context.Context, from, to time.Time,
		fn func(cameraID string, typ matthan.EventType, review matthan.Review, hour time.Time, n int)) error
	// ReminderCounts counts reminders created in [from, to) per camera,
	// and those acknowledged.
	ReminderCounts(ctx context.Context, from, to time.Time, fn func(cameraID string, sent, acked int)) error
	// GapTime sums the union of a stream's gaps within [from, to) per
	// camera and reason.
	GapTime(ctx context.Context, stream matthan.StreamRole, from, to time.Time,
		fn func(cameraID string, reason matthan.GapReason, d time.Duration)) error
	// FirstRecorded says when each camera's first segment or gap began.
	FirstRecorded(ctx context.Context, stream matthan.StreamRole) (map[string]time.Time, error)
	Donations(ctx context.Context, f matthan.LedgerFilter) ([]*matthan.Donation, error)
	CameraCosts(ctx context.Context, f matthan.LedgerFilter) ([]*matthan.CameraCost, error)
}

// TrafficTypes are the traffic rules the ward follows over time.
var TrafficTypes = []matthan.EventType{matthan.EventNoHelmet, matthan.EventThreeRiders}

// Report is one period's report for the whole ward or one area.
type Report struct {
	Period   string     `json:"period"` // "2026-11" or "2026-Q4"
	Kind     PeriodKind `json:"kind"`
	LabelVI  string     `json:"label_vi"` // "tháng 11/2026"
	LabelEN  string     `json:"label_en"`
	Previous string     `json:"previous"` // the period compared with
	// PreviousLabelVI and PreviousLabelEN name the previous period.
	PreviousLabelVI string    `json:"previous_label_vi"`
	PreviousLabelEN string    `json:"previous_label_en"`
	From            time.Time `json:"from"` // UTC
	To              time.Time `json:"to"`
	FromLocal       string    `json:"from_local"` // dd/MM/yyyy, the first day
	ToLocal         string    `json:"to_local"`   // dd/MM/yyyy, the last day
	// MeasuredTo is To, or the time the report was made while the period
	// is still running: nothing after it is counted.
	MeasuredTo      time.Time `json:"measured_to"`
	MeasuredToLocal string    `json:"measured_to_local"`
	Partial         bool      `json:"partial"` // the period is not over yet
	Area            string    `json:"area"`    // "" for the whole ward
	Generated       time.Time `json:"generated"`
	GeneratedLocal  string    `json:"generated_local"`
	Cameras         int       `json:"cameras"` // cameras in the registry, in the area

	Events    Events    `json:"events"`
	Traffic   Traffic   `json:"traffic"`
	Reminders Reminders `json:"reminders"`
	Uptime    Uptime    `json:"uptime"`
	Money     Money     `json:"money"`
	// Areas breaks the figures down per area ("" gathers the general fund
	// and cameras since deleted).
	Areas []AreaRow `json:"areas"`
	// AreaOptions are every area of the registry, for choosing one.
	AreaOptions []string `json:"area_options"`
}

// Events are the analytics events that started in the period.
type Events struct {
	HasData     bool        `json:"has_data"` // any event at all
	Total       int         `json:"total"`
	ByType      []TypeCount `json:"by_type"` // types with events, in matthan.EventTypes order
	ByHour      [24]int     `json:"by_hour"` // local hour of the start, 0–23
	Confirmed   int         `json:"confirmed"`
	FalseAlarms int         `json:"false_alarms"`
	Unreviewed  int         `json:"unreviewed"`
	// Precision is confirmed / (confirmed + false alarms) in percent;
	// nil while none was reviewed.
	Precision *float64 `json:"precision"`
}

// TypeCount is one event type's count and its reviews.
type TypeCount struct {
	Type        matthan.EventType `json:"type"`
	LabelVI     string            `json:"label_vi"`
	LabelEN     string            `json:"label_en"`
	Count       int               `json:"count"`
	Confirmed   int               `json:"confirmed"`
	FalseAlarms int               `json:"false_alarms"`
}

// Traffic is the traffic-rule counts over the period's days or weeks,
// beside the previous period's. Events marked as false alarms are left out.
type Traffic struct {
	Buckets         []Bucket        `json:"buckets"`
	PreviousBuckets []Bucket        `json:"previous_buckets"`
	Series          []TrafficSeries `json:"series"`
}

// TrafficSeries is one traffic rule's counts.
type TrafficSeries struct {
	Type    matthan.EventType `json:"type"`
	LabelVI string            `json:"label_vi"`
	LabelEN string            `json:"label_en"`
	// Current has one count per bucket; nil for a bucket not begun yet,
	// or all nil when no event at all was recorded in the period.
	Current []*int `json:"current"`
	// Previous is the previous period's counts, bucket by bucket (day i
	// of the month before, week i of the quarter before); nil where it
	// has no such bucket, or all nil when it has no events at all.
	Previous []*int `json:"previous"`
	Total    int    `json:"total"`
	// PreviousTotal counts the previous period over the same buckets as
	// Total (its first days, while this period is running).
	PreviousTotal int `json:"previous_total"`
	// ChangePercent is Total against PreviousTotal; nil when the previous
	// period has no data or a zero to compare with.
	ChangePercent *float64 `json:"change_percent"`
}

// Reminders are the reminders to owners sent in the period.
type Reminders struct {
	Sent  int `json:"sent"`
	Acked int `json:"acked"` // acknowledged by their recipient, by now
	// AckPercent is Acked / Sent; nil when none was sent.
	AckPercent *float64 `json:"ack_percent"`
}

// Uptime is the cameras' uptime over the period.
type Uptime struct {
	HasData bool `json:"has_data"` // any camera with something recorded
	// Percent is the up time of every measured camera over their measured
	// time together; nil without data.
	Percent         *float64       `json:"percent"`
	MeasuredSeconds float64        `json:"measured_seconds"`
	DownSeconds     float64        `json:"down_seconds"`
	ByReason        []ReasonTime   `json:"by_reason"` // longest first
	Cameras         []CameraUptime `json:"cameras"`   // ordered by ID
}

// ReasonTime is how long cameras were down for one reason.
type ReasonTime struct {
	Reason  matthan.GapReason `json:"reason"`
	LabelVI string            `json:"label_vi"`
	LabelEN string            `json:"label_en"`
	Seconds float64           `json:"seconds"`
}

// CameraUptime is one camera's uptime; Percent is nil when nothing of it
// was recorded before the period ended.
type CameraUptime struct {
	CameraID        string   `json:"camera_id"`
	Name            string   `json:"name"`
	Area            string   `json:"area"`
	Percent         *float64 `json:"percent"`
	MeasuredSeconds float64  `json:"measured_seconds"`
	DownSeconds     float64  `json:"down_seconds"`
	// MainReason is the reason of most of the down time ("" without any).
	MainReason   matthan.GapReason `json:"main_reason,omitempty"`
	MainReasonVI string            `json:"main_reason_vi,omitempty"`
	MainReasonEN string            `json:"main_reason_en,omitempty"`
}

// Money is the donations received and the camera costs paid in the period
// (by their dates), a gift for several cameras split evenly among them.
type Money struct {
	RaisedVND    int64  `json:"raised_vnd"` // money and equipment value
	MoneyVND     int64  `json:"money_vnd"`
	EquipmentVND int64  `json:"equipment_vnd"`
	SpentVND     int64  `json:"spent_vnd"`
	Donations    int    `json:"donations"`
	Costs        int    `json:"costs"`
	Raised       string `json:"raised"` // "435.000.000 ₫"
	Spent        string `json:"spent"`
}

// AreaRow is one area's figures.
type AreaRow struct {
	Area           string   `json:"area"` // "": the general fund, or deleted cameras
	Cameras        int      `json:"cameras"`
	Events         int      `json:"events"`
	Confirmed      int      `json:"confirmed"`
	FalseAlarms    int      `json:"false_alarms"`
	NoHelmet       int      `json:"no_helmet"`    // not false alarms
	ThreeRiders    int      `json:"three_riders"` // not false alarms
	RemindersSent  int      `json:"reminders_sent"`
	RemindersAcked int      `json:"reminders_acked"`
	UptimePercent  *float64 `json:"uptime_percent"`
	RaisedVND      int64    `json:"raised_vnd"`
	SpentVND       int64    `json:"spent_vnd"`

	measured, down time.Duration
}

var eventNamesEN = map[matthan.EventType]string{
	matthan.EventLoitering:      "Loitering",
	matthan.EventThreeRiders:    "Three riders on a motorbike",
	matthan.EventNoHelmet:       "Riders without a helmet",
	matthan.EventIllegalParking: "Illegal parking",
	matthan.EventDumping:        "Rubbish dumping",
	matthan.EventCrowd:          "Crowd",
	matthan.EventLineCrossing:   "Line crossing",
	matthan.EventTamper:         "Camera tampered with",
	matthan.EventSecurityLapse:  "Security lapse",
}

// TypeLabels names an event type in Vietnamese and English.
func TypeLabels(t matthan.EventType) (vi, en string) {
	en = eventNamesEN[t]
	if en == "" {
		en = string(t)
	}
	return matthan.EventTypeVI(t), en
}

// ReasonLabels names a gap reason in Vietnamese and English.
func ReasonLabels(r matthan.GapReason) (vi, en string) {
	switch r {
	case matthan.GapOffline:
		return "Mất kết nối camera", "Camera unreachable"
	case matthan.GapStalled:
		return "Có kết nối nhưng không có hình", "Connected, no video"
	case matthan.GapAuthFailed:
		return "Sai tên đăng nhập hoặc mật khẩu", "Wrong user name or password"
	case matthan.GapUnsupported:
		return "Chuẩn nén không hỗ trợ", "Unsupported codec"
	case matthan.GapDisabled:
		return "Camera bị tắt", "Camera switched off"
	case matthan.GapDiskFull:
		return "Ổ đĩa đầy", "Disk full"
	case matthan.GapDiskError:
		return "Lỗi ghi ổ đĩa", "Disk error"
	case matthan.GapNodeStopped:
		return "Máy chủ không hoạt động", "Node not running"
	case matthan.GapOverload:
		return "Máy chủ quá tải", "Node overloaded"
	}
	return string(r), string(r)
}

// Build computes the report of period p for area ("" for the whole ward),
// counting nothing after now.
func Build(ctx context.Context, src Source, p Period, area string, now time.Time) (*Report, error) {
	if !now.After(p.From) {
		return nil, &matthan.Error{Code: matthan.EINVALID, Message: "The report period has not started yet",
			MessageVI: "Kỳ báo cáo chưa bắt đầu",
			Fields: []matthan.FieldError{{Field: "period", Message: fmt.Sprintf("%s begins on %s", p.LabelEN(), matthan.FormatLocal(p.From)),
				MessageVI: fmt.Sprintf("%s bắt đầu từ %s", p.LabelVI(), matthan.FormatLocal(p.From))}}}
	}
	all, err := src.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	areaOf := map[string]string{}
	options := map[string]bool{}
	var cams []*matthan.Camera
	for _, c := range all {
		areaOf[c.ID] = c.Area
		if c.Area != "" {
			options[c.Area] = true
		}
		if area == "" || c.Area == area {
			cams = append(cams, c)
		}
	}
	if area != "" && !options[area] {
		return nil, &matthan.Error{Code: matthan.EINVALID, Message: "No camera is in this area", MessageVI: "Không có camera nào ở khu vực này",
			Fields: []matthan.FieldError{{Field: "area", Message: fmt.Sprintf("%q is not an area of the registry", area),
				MessageVI: fmt.Sprintf("%q không phải khu vực nào trong danh mục camera", area)}}}
	}
	// inScope says whether a camera's figures count, and under which area.
	inScope := func(cameraID string) (string, bool) {
		a, known := areaOf[cameraID]
		if area == "" {
			return a, true // a deleted camera's under ""
		}
		return a, known && a == area
	}

	measuredTo := p.To
	if now.Before(p.To) {
		measuredTo = now.UTC()
	}
	prev := p.Previous()
	gen := now.UTC()
	r := &Report{Period: p.String(), Kind: p.Kind, LabelVI: p.LabelVI(), LabelEN: p.LabelEN(),
		Previous: prev.String(), PreviousLabelVI: prev.LabelVI(), PreviousLabelEN: prev.LabelEN(),
		From: p.From, To: p.To, FromLocal: localDay(p.From), ToLocal: localDay(p.To.Add(-time.Hour)),
		MeasuredTo: measuredTo, MeasuredToLocal: matthan.FormatLocal(measuredTo), Partial: measuredTo.Before(p.To),
		Area: area, Generated: gen, GeneratedLocal: matthan.FormatLocal(gen), Cameras: len(cams),
		AreaOptions: slices.Sorted(maps.Keys(options))}

	rows := map[string]*AreaRow{}
	row := func(a string) *AreaRow {
		if rows[a] == nil {
			rows[a] = &AreaRow{Area: a}
		}
		return rows[a]
	}
	for _, c := range cams {
		row(c.Area).Cameras++
	}

	if err := r.countEvents(ctx, src, p, prev, measuredTo, inScope, row); err != nil {
		return nil, err
	}
	err = src.ReminderCounts(ctx, p.From, measuredTo, func(cam string, sent, acked int) {
		a, ok := inScope(cam)
		if !ok {
			return
		}
		r.Reminders.Sent += sent
		r.Reminders.Acked += acked
		row(a).RemindersSent += sent
		row(a).RemindersAcked += acked
	})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.Reminders.AckPercent = percent(r.Reminders.Acked, r.Reminders.Sent)

	if err := r.measureUptime(ctx, src, p, measuredTo, cams, row); err != nil {
		return nil, err
	}
	if err := r.sumMoney(ctx, src, p, inScope, row); err != nil {
		return nil, err
	}

	for _, a := range slices.SortedFunc(maps.Keys(rows), func(a, b string) int {
		if (a == "") != (b == "") { // the general fund last
			return cmp.Compare(b, a)
		}
		return cmp.Compare(a, b)
	}) {
		ar := rows[a]
		if ar.measured > 0 {
			ar.UptimePercent = ratio(ar.measured-ar.down, ar.measured)
		}
		r.Areas = append(r.Areas, *ar)
	}
	if r.Areas == nil {
		r.Areas = []AreaRow{}
	}
	return r, nil
}

func localDay(t time.Time) string { return t.In(matthan.Vietnam).Format("02/01/2006") }

// percent is part/whole in percent to two decimals, nil for a zero whole.
func percent(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	v := round2(100 * float64(part) / float64(whole))
	return &v
}

func ratio(part, whole time.Duration) *float64 {
	if whole <= 0 {
		return nil
	}
	v := round2(100 * part.Seconds() / whole.Seconds())
	return &v
}

func round2(v float64) float64 {
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}

// countEvents fills Events, Traffic and the areas' event columns from one
// query over the previous period and this one.
func (r *Report) countEvents(ctx context.Context, src Source, p, prev Period, measuredTo time.Time,
	inScope func(string) (string, bool), row func(string) *AreaRow) error {
	buckets, prevBuckets := p.Buckets(), prev.Buckets()
	byType := map[matthan.EventType]*TypeCount{}
	cur := map[matthan.EventType][]int{}
	old := map[matthan.EventType][]int{}
	for _, t := range TrafficTypes {
		cur[t], old[t] = make([]int, len(buckets)), make([]int, len(prevBuckets))
	}
	prevAny := false
	err := src.EventCountsByHour(ctx, prev.From, measuredTo, func(cam string, typ matthan.EventType, review matthan.Review, hour time.Time, n int) {
		a, ok := inScope(cam)
		if !ok {
			return
		}
		if hour.Before(p.From) {
			prevAny = true
			if review != matthan.ReviewFalseAlarm && old[typ] != nil {
				old[typ][bucketOf(prevBuckets, hour)] += n
			}
			return
		}
		e := &r.Events
		e.HasData = true
		e.Total += n
		e.ByHour[hour.In(matthan.Vietnam).Hour()] += n
		tc := byType[typ]
		if tc == nil {
			vi, en := TypeLabels(typ)
			tc = &TypeCount{Type: typ, LabelVI: vi, LabelEN: en}
			byType[typ] = tc
		}
		tc.Count += n
		ar := row(a)
		ar.Events += n
		switch review {
		case matthan.ReviewConfirmed:
			e.Confirmed += n
			tc.Confirmed += n
			ar.Confirmed += n
		case matthan.ReviewFalseAlarm:
			e.FalseAlarms += n
			tc.FalseAlarms += n
			ar.FalseAlarms += n
		default:
			e.Unreviewed += n
		}
		if review == matthan.ReviewFalseAlarm {
			return
		}
		switch typ {
		case matthan.EventNoHelmet:
			ar.NoHelmet += n
		case matthan.EventThreeRiders:
			ar.ThreeRiders += n
		}
		if cur[typ] != nil {
			cur[typ][bucketOf(buckets, hour)] += n
		}
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	e := &r.Events
	e.ByType = []TypeCount{}
	for _, t := range matthan.EventTypes {
		if tc := byType[t]; tc != nil {
			e.ByType = append(e.ByType, *tc)
		}
	}
	for _, t := range slices.Sorted(maps.Keys(byType)) { // types this build does not know, last
		if !slices.Contains(matthan.EventTypes, t) {
			e.ByType = append(e.ByType, *byType[t])
		}
	}
	e.Precision = percent(e.Confirmed, e.Confirmed+e.FalseAlarms)

	r.Traffic = Traffic{Buckets: buckets, PreviousBuckets: prevBuckets, Series: []TrafficSeries{}}
	for _, t := range TrafficTypes {
		vi, en := TypeLabels(t)
		s := TrafficSeries{Type: t, LabelVI: vi, LabelEN: en,
			Current: make([]*int, len(buckets)), Previous: make([]*int, len(buckets))}
		for i, b := range buckets {
			begun := b.From.Before(measuredTo)
			if e.HasData && begun {
				s.Current[i] = &cur[t][i]
				s.Total += cur[t][i]
			}
			if prevAny && i < len(prevBuckets) {
				s.Previous[i] = &old[t][i]
				if begun {
					s.PreviousTotal += old[t][i]
				}
			}
		}
		if e.HasData && prevAny && s.PreviousTotal > 0 {
			v := round2(100 * float64(s.Total-s.PreviousTotal) / float64(s.PreviousTotal))
			s.ChangePercent = &v
		}
		r.Traffic.Series = append(r.Traffic.Series, s)
	}
	return nil
}

// bucketOf returns the index of the bucket holding t (the last for a time
// past them all, which the query's bounds rule out).
func bucketOf(bs []Bucket, t time.Time) int {
	i, _ := slices.BinarySearchFunc(bs, t, func(b Bucket, t time.Time) int {
		if !b.To.After(t) {
			return -1
		}
		if b.From.After(t) {
			return 1
		}
		return 0
	})
	return min(i, len(bs)-1)
}

// measureUptime fills Uptime and the areas' uptime from the gaps of each
// camera's main stream.
func (r *Report) measureUptime(ctx context.Context, src Source, p Period, measuredTo time.Time,
	cams []*matthan.Camera, row func(string) *AreaRow) error {
	first, err := src.FirstRecorded(ctx, matthan.StreamMain)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	down := map[string]map[matthan.GapReason]time.Duration{}
	err = src.GapTime(ctx, matthan.StreamMain, p.From, measuredTo, func(cam string, reason matthan.GapReason, d time.Duration) {
		if down[cam] == nil {
			down[cam] = map[matthan.GapReason]time.Duration{}
		}
		down[cam][reason] += d
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	u := &r.Uptime
	u.Cameras = []CameraUptime{}
	u.ByReason = []ReasonTime{}
	var measuredAll, downAll time.Duration
	reasons := map[matthan.GapReason]time.Duration{}
	for _, c := range cams {
		cu := CameraUptime{CameraID: c.ID, Name: c.Name, Area: c.Area}
		start, ok := first[c.ID]
		if ok && start.Before(p.From) {
			start = p.From
		}
		if ok && start.Before(measuredTo) {
			measured := measuredTo.Sub(start)
			var d time.Duration
			var worst time.Duration
			for _, reason := range slices.Sorted(maps.Keys(down[c.ID])) {
				t := down[c.ID][reason]
				d += t
				reasons[reason] += t
				if t > worst {
					worst, cu.MainReason = t, reason
				}
			}
			d = min(d, measured)
			cu.Percent = ratio(measured-d, measured)
			cu.MeasuredSeconds, cu.DownSeconds = round2(measured.Seconds()), round2(d.Seconds())
			if cu.MainReason != "" {
				cu.MainReasonVI, cu.MainReasonEN = ReasonLabels(cu.MainReason)
			}
			measuredAll += measured
			downAll += d
			ar := row(c.Area)
			ar.measured += measured
			ar.down += d
		}
		u.Cameras = append(u.Cameras, cu)
	}
	if measuredAll > 0 {
		u.HasData = true
		u.Percent = ratio(measuredAll-downAll, measuredAll)
		u.MeasuredSeconds, u.DownSeconds = round2(measuredAll.Seconds()), round2(downAll.Seconds())
	}
	for reason, t := range reasons {
		vi, en := ReasonLabels(reason)
		u.ByReason = append(u.ByReason, ReasonTime{Reason: reason, LabelVI: vi, LabelEN: en, Seconds: round2(t.Seconds())})
	}
	slices.SortFunc(u.ByReason, func(a, b ReasonTime) int {
		return cmp.Or(cmp.Compare(b.Seconds, a.Seconds), cmp.Compare(a.Reason, b.Reason))
	})
	return nil
}

// sumMoney fills Money and the areas' money from the ledger entries dated
// in the period, splitting a gift among its cameras as the ledger does.
func (r *Report) sumMoney(ctx context.Context, src Source, p Period,
	inScope func(string) (string, bool), row func(string) *AreaRow) error {
	year := matthan.LedgerFilter{Year: p.Year, Limit: 10_000} // a month or quarter lies in one year
	first, last := p.From.In(matthan.Vietnam).Format("2006-01-02"), p.To.In(matthan.Vietnam).Format("2006-01-02")
	inPeriod := func(date string) bool { return date >= first && date < last }
	donations, err := src.Donations(ctx, year)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	costs, err := src.CameraCosts(ctx, year)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	m := &r.Money
	for _, d := range donations {
		if !inPeriod(d.Date) {
			continue
		}
		cams := d.Cameras
		if len(cams) == 0 {
			cams = []string{""} // the general fund
		}
		counted := false
		for i, share := range matthan.ShareOut(d.AmountVND, len(cams)) {
			a, ok := "", r.Area == ""
			if cams[i] != "" {
				a, ok = inScope(cams[i])
			}
			if !ok {
				continue
			}
			counted = true
			m.RaisedVND += share
			if d.Kind == matthan.DonationEquipment {
				m.EquipmentVND += share
			} else {
				m.MoneyVND += share
			}
			row(a).RaisedVND += share
		}
		if counted {
			m.Donations++
		}
	}
	for _, c := range costs {
		a, ok := inScope(c.CameraID)
		if !inPeriod(c.Date) || !ok {
			continue
		}
		m.SpentVND += c.AmountVND
		m.Costs++
		row(a).SpentVND += c.AmountVND
	}
	m.Raised, m.Spent = matthan.FormatVND(m.RaisedVND), matthan.FormatVND(m.SpentVND)
	return nil
}
