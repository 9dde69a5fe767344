package retention

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"matthan"
)

// Limits on what footage a camera keeps, as CameraForecast.LimitedBy.
const (
	LimitDays      = "days"       // its days (or the node's default)
	LimitQuota     = "quota"      // its byte quota
	LimitFreeSpace = "free_space" // the disk cannot hold every camera's days and quota
)

// Forecast extrapolates the bytes written over the recent past.
type Forecast struct {
	At             time.Time `json:"at"`
	WindowDays     float64   `json:"window_days"` // the past the rates come from
	FreeBytes      uint64    `json:"free_bytes"`
	TotalBytes     uint64    `json:"total_bytes"`
	FloorBytes     uint64    `json:"floor_bytes"`
	RecordingBytes int64     `json:"recording_bytes"` // all footage now
	BytesPerDay    float64   `json:"bytes_per_day"`   // all cameras
	// FullInDays is when free space reaches the floor at the current
	// rates, after which the oldest footage of every camera goes to make
	// room; nil when the days and quotas free space as fast as it is
	// written, 0 when it is already there.
	FullInDays *float64         `json:"full_in_days"`
	Message    string           `json:"message"`
	MessageVI  string           `json:"message_vi"`
	Cameras    []CameraForecast `json:"cameras"`
}

// CameraForecast is how much footage one camera will keep.
type CameraForecast struct {
	CameraID    string  `json:"camera_id"`
	Bytes       int64   `json:"bytes"` // footage now
	BytesPerDay float64 `json:"bytes_per_day"`
	RetainDays  int     `json:"retain_days"` // in effect: its own or the node's default
	QuotaBytes  int64   `json:"quota_bytes"` // 0: none
	// KeepsDays is how many days of footage it keeps at its rate; 0 when
	// it recorded nothing in the window. LimitedBy says what caps it.
	KeepsDays float64 `json:"keeps_days"`
	LimitedBy string  `json:"limited_by,omitempty"`
	Message   string  `json:"message"`
	MessageVI string  `json:"message_vi"`
}

// minSpan keeps a camera recording for a few minutes from being
// extrapolated to absurd rates.
const minSpan = time.Hour

const day = 24 * time.Hour

// Forecast says, from the bytes each camera wrote over the last
// ForecastWindow and the free space now, in how many days the disk reaches
// its floor and how many days each camera keeps.
func (r *Retention) Forecast(ctx context.Context) (Forecast, error) {
	now := r.cfg.Now().UTC()
	windowStart := now.Add(-r.cfg.ForecastWindow)
	f := Forecast{At: now, WindowDays: r.cfg.ForecastWindow.Hours() / 24, Cameras: []CameraForecast{}}

	free, total, err := r.cfg.FreeSpace(r.cfg.Dir)
	if err != nil {
		return f, fmt.Errorf("retention: forecast: free space: %w", err)
	}
	f.FreeBytes, f.TotalBytes, f.FloorBytes = free, total, r.floorBytes(total)
	cams, err := r.cams.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		return f, fmt.Errorf("retention: forecast: cameras: %w", err)
	}
	held, err := r.index.RecordingBytes(ctx, time.Time{}, time.Time{})
	if err != nil {
		return f, fmt.Errorf("retention: forecast: %w", err)
	}
	recent, err := r.index.RecordingBytes(ctx, windowStart, time.Time{})
	if err != nil {
		return f, fmt.Errorf("retention: forecast: %w", err)
	}

	byID := map[string]*matthan.Camera{}
	for _, c := range cams {
		byID[c.ID] = c
	}
	ids := make([]string, 0, len(byID)+len(held))
	for id := range byID {
		ids = append(ids, id)
	}
	for id := range held {
		if byID[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)

	var plans []plan
	for _, id := range ids {
		cf := CameraForecast{CameraID: id, Bytes: held[id], RetainDays: r.cfg.DefaultDays}
		if c := byID[id]; c != nil {
			if c.RetainDays > 0 {
				cf.RetainDays = c.RetainDays
			}
			cf.QuotaBytes = c.QuotaBytes
		}
		f.RecordingBytes += cf.Bytes
		if recent[id] > 0 {
			// The rate is over the part of the window the camera recorded:
			// a camera added yesterday has one day of bytes, not seven.
			segs, err := r.index.Segments(ctx, matthan.SegmentFilter{CameraID: id, From: windowStart, Limit: 1})
			if err != nil {
				return f, fmt.Errorf("retention: forecast: %w", err)
			}
			first := windowStart
			if len(segs) > 0 && segs[0].Start.After(first) {
				first = segs[0].Start
			}
			span := max(now.Sub(first), minSpan)
			cf.BytesPerDay = float64(recent[id]) / (float64(span) / float64(day))
		}
		f.BytesPerDay += cf.BytesPerDay
		plans = append(plans, newPlan(cf))
		f.Cameras = append(f.Cameras, cf)
	}

	// What footage may take: what it takes now plus the free space above
	// the floor.
	room := int64(min(free, math.MaxInt64/2)) - int64(min(f.FloorBytes, math.MaxInt64/2))
	usable := f.RecordingBytes + room
	horizon := waterLevel(plans, usable)
	for i := range f.Cameras {
		f.Cameras[i].finish(plans[i], horizon)
	}
	f.FullInDays = fullIn(plans, room)
	f.Message, f.MessageVI = f.messages()
	return f, nil
}

// plan is one camera's steady state: it grows at rate bytes a day until
// it holds capBytes (its days or quota), then retention deletes as fast as
// it writes.
type plan struct {
	rate     float64 // bytes a day
	held     float64
	capBytes float64
	capDays  float64
	limit    string
}

func newPlan(cf CameraForecast) plan {
	p := plan{rate: cf.BytesPerDay, held: float64(cf.Bytes), capDays: float64(cf.RetainDays), limit: LimitDays}
	if p.rate <= 0 {
		// Nothing written lately: what it holds is all it will hold.
		p.capBytes, p.capDays = p.held, 0
		return p
	}
	p.capBytes = p.rate * p.capDays
	if q := float64(cf.QuotaBytes); cf.QuotaBytes > 0 && q < p.capBytes {
		p.capBytes, p.capDays, p.limit = q, q/p.rate, LimitQuota
	}
	return p
}

// waterLevel is the number of days H such that the cameras, each holding
// min(its cap, H days at its rate), fill usable bytes: how far back the
// free-space rule, deleting the oldest footage across cameras, lets them
// keep. +Inf when every cap fits.
func waterLevel(plans []plan, usable int64) float64 {
	u := float64(usable)
	var rate float64
	var growing []plan
	for _, p := range plans {
		if p.rate > 0 {
			growing = append(growing, p)
			rate += p.rate
		} else {
			u -= p.capBytes
		}
	}
	sort.Slice(growing, func(i, j int) bool { return growing[i].capDays < growing[j].capDays })
	for _, p := range growing {
		if u <= 0 {
			return 0
		}
		if h := u / rate; h < p.capDays {
			return h
		}
		u -= p.capBytes
		rate -= p.rate
	}
	return math.Inf(1)
}

// fullIn is the number of days until the cameras, each growing at its
// rate up to its cap, have taken room bytes; nil if they never do.
func fullIn(plans []plan, room int64) *float64 {
	if room <= 0 {
		zero := 0.0
		return &zero
	}
	type grow struct{ rate, days float64 }
	var gs []grow
	var rate float64
	for _, p := range plans {
		if left := p.capBytes - p.held; p.rate > 0 && left > 0 {
			gs = append(gs, grow{p.rate, left / p.rate})
			rate += p.rate
		}
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].days < gs[j].days })
	left, t := float64(room), 0.0
	for _, g := range gs {
		// Until g stops growing, every camera still growing adds rate a day.
		if need := left / rate; t+need <= g.days {
			d := t + need
			return &d
		}
		left -= rate * (g.days - t)
		t = g.days
		rate -= g.rate
	}
	return nil
}

func (cf *CameraForecast) finish(p plan, horizon float64) {
	if p.rate <= 0 {
		days := fmt.Sprint(cf.RetainDays)
		cf.Message = "Nothing recorded lately, so no forecast; footage is kept " + days + " days"
		cf.MessageVI = "Gần đây không ghi được gì nên chưa dự báo được; bản ghi được lưu " + days + " ngày"
		return
	}
	cf.KeepsDays, cf.LimitedBy = p.capDays, p.limit
	if horizon < p.capDays {
		cf.KeepsDays, cf.LimitedBy = horizon, LimitFreeSpace
	}
	de, dv := formatDays(cf.KeepsDays)
	re, rv := formatBytes(int64(cf.BytesPerDay))
	switch cf.LimitedBy {
	case LimitDays:
		cf.Message = fmt.Sprintf("Keeps %s days of footage, as set (it records %s a day)", de, re)
		cf.MessageVI = fmt.Sprintf("Lưu được %s ngày bản ghi, theo cài đặt (ghi %s mỗi ngày)", dv, rv)
	case LimitQuota:
		qe, qv := formatBytes(cf.QuotaBytes)
		cf.Message = fmt.Sprintf("Keeps %s days of footage: its quota of %s at %s a day", de, qe, re)
		cf.MessageVI = fmt.Sprintf("Lưu được %s ngày bản ghi: hạn mức %s, ghi %s mỗi ngày", dv, qv, rv)
	default:
		cf.Message = fmt.Sprintf("Keeps only %s days of footage (%d set): the disk cannot hold every camera's days", de, cf.RetainDays)
		cf.MessageVI = fmt.Sprintf("Chỉ lưu được %s ngày bản ghi (cài đặt %d ngày): ổ đĩa không đủ chỗ cho số ngày của mọi camera", dv, cf.RetainDays)
	}
}

func (f *Forecast) messages() (en, vi string) {
	re, rv := formatBytes(int64(f.BytesPerDay))
	switch {
	case f.FullInDays == nil:
		return fmt.Sprintf("At the current rate (%s a day) the disk does not fill: deleting by days and quotas keeps up", re),
			fmt.Sprintf("Với tốc độ ghi hiện tại (%s mỗi ngày), ổ đĩa sẽ không đầy: việc xóa theo số ngày và hạn mức theo kịp", rv)
	case *f.FullInDays == 0:
		return "The disk is full: free space is at its floor, and the oldest footage is deleted to make room",
			"Ổ đĩa đã đầy: dung lượng trống ở mức tối thiểu, bản ghi cũ nhất đang bị xóa để lấy chỗ"
	default:
		de, dv := formatDays(*f.FullInDays)
		return fmt.Sprintf("At the current rate (%s a day) the disk is full in %s days; after that the oldest footage is deleted to make room", re, de),
			fmt.Sprintf("Với tốc độ ghi hiện tại (%s mỗi ngày), ổ đĩa sẽ đầy sau %s ngày; sau đó bản ghi cũ nhất sẽ bị xóa để lấy chỗ", rv, dv)
	}
}
