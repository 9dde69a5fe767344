package report

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

// The charts are plain SVG strings, inline in the page (no script, no
// library) and the same for every browser. Each bar is a <rect
// class="bar"> with data-label and data-value; a bucket with no data has
// no bar but a "–" mark (class "nodata-mark"); a chart without any data is
// a box that says so.

const (
	chartW      = 640.0
	chartH      = 220.0
	padL, padR  = 40.0, 12.0
	padT, padB  = 16.0, 34.0
	colorBar    = "#2b6cb0"
	colorPrev   = "#d97706"
	colorOK     = "#2f855a"
	colorFalse  = "#c53030"
	colorNone   = "#a0aec0"
	colorAxis   = "#4a5568"
	colorGrid   = "#e2e8f0"
	fontFamily  = "DejaVu Sans, Arial, sans-serif"
	noDataVI    = "Không có dữ liệu"
	noDataEN    = "No data"
	notBegunVI  = "chưa đến"
	notBegunEN  = "not yet"
	labelStepAt = 16 // more bars than this: label every other one
)

func tr(lang, vi, en string) string {
	if lang == "en" {
		return en
	}
	return vi
}

func esc(s string) string { return html.EscapeString(s) }

// NoDataSVG is a chart's place when there is nothing to draw: it says so.
func NoDataSVG(title, lang, why string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart nodata" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g 80" role="img" aria-label="%s">`,
		chartW, esc(title+": "+tr(lang, noDataVI, noDataEN)))
	fmt.Fprintf(&b, `<rect x="0.5" y="0.5" width="%g" height="79" fill="#f7fafc" stroke="%s" stroke-dasharray="4 3"/>`, chartW-1, colorGrid)
	msg := tr(lang, noDataVI, noDataEN)
	if why != "" {
		msg += " — " + why
	}
	fmt.Fprintf(&b, `<text x="%g" y="45" text-anchor="middle" font-family="%s" font-size="14" fill="%s">%s</text></svg>`,
		chartW/2, fontFamily, colorAxis, esc(msg))
	return b.String()
}

// columns draws vertical bars, one per label (nil: no data there), and,
// if prev is given, the previous period as a dashed line over them.
func columns(title, lang string, labels []string, values, prev []*int, seriesVI, seriesEN, prevVI, prevEN string) string {
	top := ChartTop(values, prev)
	n := len(labels)
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	slot := plotW / float64(max(n, 1))
	barW := slot * 0.7
	y := func(v int) float64 { return padT + plotH - plotH*float64(v)/float64(top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" role="img" aria-label="%s" font-family="%s" font-size="10">`,
		chartW, chartH+18, esc(title), fontFamily)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	// Grid and y axis: 0, half, top.
	for _, v := range []int{0, top / 2, top} {
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="%s"/>`, padL, chartW-padR, y(v), y(v), colorGrid)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" fill="%s">%d</text>`, padL-4, y(v)+3, colorAxis, v)
	}
	step := 1
	if n > labelStepAt {
		step = 2
	}
	for i, l := range labels {
		x := padL + slot*float64(i) + (slot-barW)/2
		cx := x + barW/2
		if i%step == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" fill="%s">%s</text>`, cx, padT+plotH+12, colorAxis, esc(l))
		}
		if values[i] == nil {
			fmt.Fprintf(&b, `<text class="nodata-mark" x="%.1f" y="%.1f" text-anchor="middle" fill="%s">–<title>%s: %s</title></text>`,
				cx, padT+plotH-3, colorNone, esc(l), esc(tr(lang, notBegunVI+" / "+noDataVI, notBegunEN+" / "+noDataEN)))
			continue
		}
		v := *values[i]
		h := padT + plotH - y(v)
		fmt.Fprintf(&b, `<rect class="bar" data-label="%s" data-value="%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d</title></rect>`,
			esc(l), v, x, y(v), barW, h, colorBar, esc(l), v)
	}
	if prev != nil {
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline class="prev" points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="4 3"/>`,
					strings.Join(pts, " "), colorPrev)
			}
			pts = pts[:0]
		}
		for i, v := range prev {
			if v == nil {
				flush()
				continue
			}
			cx := padL + slot*float64(i) + slot/2
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", cx, y(*v)))
			fmt.Fprintf(&b, `<circle class="prev-point" data-value="%d" cx="%.1f" cy="%.1f" r="2" fill="%s"><title>%s %s: %d</title></circle>`,
				*v, cx, y(*v), colorPrev, esc(tr(lang, prevVI, prevEN)), esc(labels[i]), *v)
		}
		flush()
	}
	// Legend under the axis labels.
	ly := chartH + 8
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g" fill="%s">%s</text>`,
		padL, ly-8, colorBar, padL+14, ly, colorAxis, esc(tr(lang, seriesVI, seriesEN)))
	if prev != nil {
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="%s" stroke-width="1.5" stroke-dasharray="4 3"/><text x="%g" y="%g" fill="%s">%s</text>`,
			chartW/2, chartW/2+18, ly-3, ly-3, colorPrev, chartW/2+22, ly, colorAxis, esc(tr(lang, prevVI, prevEN)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// ChartTop is the top of a chart's scale for the values of its series
// (nil: no data): their largest, at least 1, rounded up by niceTop.
func ChartTop(series ...[]*int) int {
	top := 1
	for _, vs := range series {
		for _, v := range vs {
			if v != nil && *v > top {
				top = *v
			}
		}
	}
	return niceTop(top)
}

// niceTop rounds a chart's top up to 2, 4, 6, 8 or 10 times a power of
// ten: even, so that the middle grid line is a whole number.
func niceTop(v int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{2, 4, 6, 8, 10} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

// HoursSVG draws the events by local hour of day, 0 to 23.
func HoursSVG(r *Report, lang string) string {
	title := tr(lang, "Sự kiện theo giờ trong ngày", "Events by hour of day")
	if !r.Events.HasData {
		return NoDataSVG(title, lang, tr(lang, "không có sự kiện nào trong kỳ", "no event in the period"))
	}
	labels := make([]string, 24)
	values := make([]*int, 24)
	for h := range 24 {
		labels[h] = strconv.Itoa(h)
		values[h] = &r.Events.ByHour[h]
	}
	return columns(title, lang, labels, values, nil, "Số sự kiện (giờ bắt đầu)", "Events (hour they began)", "", "")
}

// TrafficSVG draws one traffic rule's counts per day or week, with the
// previous period as a dashed line.
func TrafficSVG(r *Report, s TrafficSeries, lang string) string {
	title := tr(lang, s.LabelVI, s.LabelEN)
	if s.Current == nil || !r.Events.HasData {
		return NoDataSVG(title, lang, tr(lang, "không có sự kiện nào trong kỳ", "no event in the period"))
	}
	labels := make([]string, len(r.Traffic.Buckets))
	for i, bk := range r.Traffic.Buckets {
		labels[i] = bk.Label
		if r.Kind == Quarter {
			labels[i] = tr(lang, "T", "W") + bk.Label
		}
	}
	var prev []*int
	for _, v := range s.Previous {
		if v != nil {
			prev = s.Previous
			break
		}
	}
	return columns(title, lang, labels, s.Current, prev,
		"Kỳ này: "+r.LabelVI, "This period: "+r.LabelEN, "Kỳ trước: "+r.PreviousLabelVI, "Previous: "+r.PreviousLabelEN)
}

// TypesSVG draws the events by type as horizontal bars, split into
// confirmed, false alarms and not reviewed.
func TypesSVG(r *Report, lang string) string {
	title := tr(lang, "Sự kiện theo loại", "Events by type")
	if !r.Events.HasData {
		return NoDataSVG(title, lang, tr(lang, "không có sự kiện nào trong kỳ", "no event in the period"))
	}
	const labelW, rowH = 250.0, 24.0
	top := 1
	for _, t := range r.Events.ByType {
		top = max(top, t.Count)
	}
	top = niceTop(top)
	plotW := chartW - labelW - 50
	h := padT + rowH*float64(len(r.Events.ByType)) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" role="img" aria-label="%s" font-family="%s" font-size="11">`,
		chartW, h, esc(title), fontFamily)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	w := func(v int) float64 { return plotW * float64(v) / float64(top) }
	for i, t := range r.Events.ByType {
		y := padT + rowH*float64(i)
		label := tr(lang, t.LabelVI, t.LabelEN)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" fill="%s">%s</text>`, labelW-6, y+14, colorAxis, esc(label))
		fmt.Fprintf(&b, `<g class="bar" data-label="%s" data-value="%d"><title>%s: %d</title>`, esc(string(t.Type)), t.Count, esc(label), t.Count)
		x := labelW
		for _, part := range []struct {
			n     int
			color string
		}{{t.Confirmed, colorOK}, {t.FalseAlarms, colorFalse}, {t.Count - t.Confirmed - t.FalseAlarms, colorNone}} {
			if part.n > 0 {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="16" fill="%s"/>`, x, y+2, w(part.n), part.color)
				x += w(part.n)
			}
		}
		fmt.Fprintf(&b, `</g><text x="%.1f" y="%.1f" fill="%s">%d</text>`, x+4, y+14, colorAxis, t.Count)
	}
	legend(&b, lang, padT+rowH*float64(len(r.Events.ByType))+18)
	b.WriteString(`</svg>`)
	return b.String()
}

func legend(b *strings.Builder, lang string, y float64) {
	x := 40.0
	for _, l := range []struct{ color, vi, en string }{
		{colorOK, "Xác nhận đúng", "Confirmed"}, {colorFalse, "Báo động nhầm", "False alarm"}, {colorNone, "Chưa xem xét", "Not reviewed"},
	} {
		fmt.Fprintf(b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g" fill="%s">%s</text>`,
			x, y-9, l.color, x+14, y, colorAxis, esc(tr(lang, l.vi, l.en)))
		x += 170
	}
}

// ReviewSVG draws confirmed events against false alarms (and those not
// reviewed) as one stacked bar.
func ReviewSVG(r *Report, lang string) string {
	title := tr(lang, "Xác nhận đúng và báo động nhầm", "Confirmed and false alarms")
	e := r.Events
	if !e.HasData {
		return NoDataSVG(title, lang, tr(lang, "không có sự kiện nào trong kỳ", "no event in the period"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g 70" role="img" aria-label="%s" font-family="%s" font-size="11">`,
		chartW, esc(title), fontFamily)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	const x0, w = 40.0, chartW - 80
	x := x0
	for _, part := range []struct {
		key   string
		n     int
		color string
	}{{"confirmed", e.Confirmed, colorOK}, {"false_alarm", e.FalseAlarms, colorFalse}, {"none", e.Unreviewed, colorNone}} {
		if part.n == 0 {
			continue
		}
		pw := w * float64(part.n) / float64(e.Total)
		fmt.Fprintf(&b, `<rect class="bar" data-label="%s" data-value="%d" x="%.1f" y="8" width="%.1f" height="26" fill="%s"><title>%d</title></rect>`,
			part.key, part.n, x, pw, part.color, part.n)
		if pw > 24 {
			fmt.Fprintf(&b, `<text x="%.1f" y="25" text-anchor="middle" fill="#fff">%d</text>`, x+pw/2, part.n)
		}
		x += pw
	}
	legend(&b, lang, 58)
	b.WriteString(`</svg>`)
	return b.String()
}
