package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"matthan"
	"matthan/internal/recorder"
)

// healthMessages are the texts of the health page (keys "health.…").
var healthMessages = map[string][2]string{
	"health.title":      {"Tình trạng camera", "Camera health"},
	"health.summary":    {"Camera có sự cố lên đầu; trang tự cập nhật mỗi 10 giây.", "Cameras with a problem come first; the page updates every 10 seconds."},
	"health.camera":     {"Camera", "Camera"},
	"health.state":      {"Trạng thái", "State"},
	"health.reason":     {"Lý do", "Reason"},
	"health.since":      {"Từ lúc", "Since"},
	"health.fps":        {"Khung/giây", "FPS"},
	"health.bitrate":    {"Tốc độ bit", "Bitrate"},
	"health.resolution": {"Độ phân giải", "Resolution"},
	"health.codec":      {"Mã hoá", "Codec"},
	"health.uptime24":   {"Ghi hình 24 giờ", "Recorded 24 h"},
	"health.uptime7":    {"Ghi hình 7 ngày", "Recorded 7 days"},
	"health.reconnects": {"Kết nối lại", "Reconnects"},
	"health.sub":        {"Luồng phụ", "Sub-stream"},
	"health.count_down": {"camera có sự cố", "cameras with a problem"},
	"health.count_all":  {"camera", "cameras"},
	"health.updated":    {"Cập nhật lúc", "Updated at"},
	"health.none":       {"Chưa có camera nào", "No cameras yet"},
	"health.wall":       {"Xem trên tường video", "View on the wall"},
	"health.uptime_tip": {"Phần thời gian luồng chính được ghi lại (theo chỉ mục ghi hình)", "Share of the time the main stream was recorded (from the recording index)"},
}

func (s *Server) healthRoutes(mux *http.ServeMux) {
	h := &healthPage{s: s, uptimes: map[string]cachedUptime{}}
	mux.Handle("GET /health", s.signedIn(staff, h.page))
	// The table alone, for the page's script to refresh it.
	mux.Handle("GET /ui/health", h.rows())
}

// healthPage serves the health page; it keeps the uptime figures a while.
type healthPage struct {
	s       *Server
	mu      sync.Mutex
	uptimes map[string]cachedUptime // by camera ID
}

// healthRow is one camera on the health page, with every figure already
// written for people.
type healthRow struct {
	ID, Name, Area string
	State          matthan.StreamState
	Down           bool
	Reason, Since  string
	FPS, Bitrate   string
	Resolution     string
	Codec          string
	Uptime24       string
	Uptime7        string
	Reconnects     uint64
	// Sub is the sub-stream's state when it is down while the main stream
	// is not, so that a failing sub-stream is not hidden.
	Sub *healthSub

	rank   int
	up24   float64 // -1: unknown
	sinceT time.Time
}

type healthSub struct {
	State  matthan.StreamState
	Reason string
	Since  string
}

type healthData struct {
	Rows    []healthRow
	Down    int
	Updated string
}

func (h *healthPage) page(r *http.Request, v *view) (string, error) {
	d, err := h.data(r.Context(), v.Lang)
	if err != nil {
		return "", err
	}
	v.Title, v.Data = v.T("health.title"), d
	return "health", nil
}

// healthRowsHandler answers the table's rows as HTML, rendered by the same
// template as the page, so both show the same.
func (h *healthPage) rows() http.Handler {
	s := h.s
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.deps.User(r)
		if err != nil {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		v := s.newView(w, r, u)
		d, err := h.data(r.Context(), v.Lang)
		if err != nil {
			s.log.ErrorContext(r.Context(), "health rows", "err", err)
			http.Error(w, v.T("err.internal"), http.StatusInternalServerError)
			return
		}
		v.Data = d
		var buf strings.Builder
		if err := s.pages["health"].ExecuteTemplate(&buf, "health-table", v); err != nil {
			s.log.ErrorContext(r.Context(), "health rows: render", "err", err)
			http.Error(w, v.T("err.internal"), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(buf.String()))
	})
}

// Ranks order the rows worst first: the main stream down, only the
// sub-stream down, not yet known, streaming, switched off on purpose.
const (
	rankMainDown = iota
	rankSubDown
	rankConnecting
	rankStreaming
	rankOff
)

func stateRank(st matthan.StreamState) int {
	switch {
	case down(st):
		return rankMainDown
	case st == matthan.StateConnecting:
		return rankConnecting
	case st == matthan.StateStreaming:
		return rankStreaming
	}
	return rankOff
}

func (h *healthPage) data(ctx context.Context, lang string) (healthData, error) {
	s := h.s
	cams, err := s.cameraInfos(ctx)
	if err != nil {
		return healthData{}, err
	}
	now := s.now()
	d := healthData{Rows: make([]healthRow, 0, len(cams)), Updated: matthan.FormatLocal(now)}
	for _, c := range cams {
		main := c.Streams[0] // every camera has a main stream, listed first
		row := healthRow{ID: c.ID, Name: c.Name, Area: c.Area, State: main.State, Down: down(main.State),
			Reason: pick(lang, main.Reason, main.ReasonVI), FPS: "—", Bitrate: "—", Resolution: "—", Codec: "—",
			Uptime24: "—", Uptime7: "—", Reconnects: main.Reconnects, rank: stateRank(main.State), up24: -1}
		if main.Since != nil {
			row.Since, row.sinceT = matthan.FormatLocal(*main.Since), *main.Since
		}
		if main.State == matthan.StateStreaming || main.FPS > 0 {
			row.FPS = formatNumber(lang, main.FPS, 1)
			row.Bitrate = formatBitrate(lang, main.Bitrate)
		}
		if main.Width > 0 && main.Height > 0 {
			row.Resolution = fmt.Sprintf("%d×%d", main.Width, main.Height)
		}
		if main.Codec != "" {
			row.Codec = main.Codec
		}
		for _, st := range c.Streams[1:] {
			if down(st.State) && !row.Down {
				sub := &healthSub{State: st.State, Reason: pick(lang, st.Reason, st.ReasonVI)}
				if st.Since != nil {
					sub.Since = matthan.FormatLocal(*st.Since)
				}
				row.Sub, row.rank = sub, rankSubDown
			}
		}
		if s.deps.Recordings != nil {
			up, err := h.uptime(ctx, c.ID, now)
			if err != nil {
				s.log.WarnContext(ctx, "health: uptime", "camera", c.ID, "err", err)
			} else {
				row.up24 = up.day
				row.Uptime24, row.Uptime7 = formatPercent(lang, up.day), formatPercent(lang, up.week)
			}
		}
		if row.Down {
			d.Down++
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortStableFunc(d.Rows, func(a, b healthRow) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.up24, b.up24),
			a.sinceT.Compare(b.sinceT), strings.Compare(a.Name, b.Name))
	})
	return d, nil
}

func pick(lang, en, vi string) string {
	if lang == "vi" && vi != "" {
		return vi
	}
	return en
}

// formatNumber writes x with prec decimals, with a decimal comma in
// Vietnamese.
func formatNumber(lang string, x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func formatBitrate(lang string, bps float64) string {
	switch {
	case bps >= 1e6:
		return formatNumber(lang, bps/1e6, 2) + " Mbit/s"
	case bps > 0:
		return formatNumber(lang, bps/1e3, 0) + " kbit/s"
	}
	return "—"
}

func formatPercent(lang string, p float64) string {
	return formatNumber(lang, p, 1) + " %"
}

// uptimes are the shares of time the main stream was recorded over the
// last 24 hours and the last 7 days, in percent.
type uptimes struct{ day, week float64 }

// uptimeTTL is how long a camera's figures are reused: they move slowly,
// and each takes a few queries per day.
const uptimeTTL = time.Minute

type cachedUptime struct {
	at time.Time
	up uptimes
}

// uptime measures with the recorder's per-day continuity reports (the one
// place uptime is computed). A window that starts inside a day counts that
// day's recording minus what was recorded before the window began, which
// is that day's report measured at the window's start.
func (h *healthPage) uptime(ctx context.Context, cameraID string, now time.Time) (uptimes, error) {
	h.mu.Lock()
	if c, ok := h.uptimes[cameraID]; ok && now.Sub(c.at) < uptimeTTL && !now.Before(c.at) {
		h.mu.Unlock()
		return c.up, nil
	}
	h.mu.Unlock()
	index := h.s.deps.Recordings

	days := map[string]time.Duration{} // recorded per local day, up to now
	dayRecorded := func(day time.Time) (time.Duration, error) {
		key := day.Format(time.DateOnly)
		if rec, ok := days[key]; ok {
			return rec, nil
		}
		rep, err := recorder.ContinuityAt(ctx, index, cameraID, matthan.StreamMain, day, now)
		if err != nil {
			return 0, err
		}
		days[key] = rep.Recorded
		return rep.Recorded, nil
	}
	between := func(from time.Time) (float64, error) {
		var rec time.Duration
		f := from.In(matthan.Vietnam)
		first := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, matthan.Vietnam)
		for day := first; day.Before(now); day = day.AddDate(0, 0, 1) {
			r, err := dayRecorded(day)
			if err != nil {
				return 0, err
			}
			rec += r
		}
		if from.After(first) {
			before, err := recorder.ContinuityAt(ctx, index, cameraID, matthan.StreamMain, first, from)
			if err != nil {
				return 0, err
			}
			rec -= before.Recorded
		}
		return min(100, max(0, 100*rec.Seconds()/now.Sub(from).Seconds())), nil
	}
	var up uptimes
	var err error
	if up.day, err = between(now.Add(-24 * time.Hour)); err != nil {
		return uptimes{}, err
	}
	if up.week, err = between(now.Add(-7 * 24 * time.Hour)); err != nil {
		return uptimes{}, err
	}
	h.mu.Lock()
	h.uptimes[cameraID] = cachedUptime{at: now, up: up}
	h.mu.Unlock()
	return up, nil
}
