package httpapi

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"time"

	"matthan"
	"matthan/internal/recorder"
	"matthan/internal/retention"
)

// Reports on recording: a camera's continuity over a day, and the disk's
// forecast with the storage alarms.

// dayLayout is how people in Vietnam write a date.
const dayLayout = "02/01/2006"

// continuityView is recorder.Report with durations in seconds and times
// also written in Vietnam time.
type continuityView struct {
	CameraID           string             `json:"camera_id"`
	Stream             matthan.StreamRole `json:"stream"`
	Day                string             `json:"day"` // dd/MM/yyyy
	From               time.Time          `json:"from"`
	To                 time.Time          `json:"to"`
	FromLocal          string             `json:"from_local"`
	ToLocal            string             `json:"to_local"`
	UptimePercent      float64            `json:"uptime_percent"`
	RecordedSeconds    float64            `json:"recorded_seconds"`
	MeasuredSeconds    float64            `json:"measured_seconds"` // To − From
	UnexplainedSeconds float64            `json:"unexplained_seconds"`
	Gaps               []continuityGap    `json:"gaps"`
}

type continuityGap struct {
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"`
	StartLocal string            `json:"start_local"`
	EndLocal   string            `json:"end_local"`
	Seconds    float64           `json:"seconds"`
	Reason     matthan.GapReason `json:"reason"`
	ReasonText string            `json:"reason_text"`
	ReasonVI   string            `json:"reason_vi"`
	Detail     string            `json:"detail,omitempty"`
	Open       bool              `json:"open,omitempty"` // still going on
}

// gapReasonText says a gap reason in words, in both languages.
func gapReasonText(r matthan.GapReason) (en, vi string) {
	switch r {
	case matthan.GapOffline:
		return "The camera could not be reached", "Không kết nối được camera"
	case matthan.GapStalled:
		return "Connected, but no video arrived", "Đã kết nối nhưng không nhận được hình"
	case matthan.GapAuthFailed:
		return "The camera refused the user name or password", "Camera từ chối tên đăng nhập hoặc mật khẩu"
	case matthan.GapUnsupported:
		return "The camera sends no video the node can record", "Camera không gửi hình theo chuẩn nén mà nút ghi được"
	case matthan.GapDisabled:
		return "The camera was switched off in the registry", "Camera bị tắt trong danh mục"
	case matthan.GapDiskFull:
		return "The disk was full", "Ổ đĩa bị đầy"
	case matthan.GapDiskError:
		return "Writing to the disk failed", "Lỗi ghi ổ đĩa"
	case matthan.GapNodeStopped:
		return "The node was not running", "Nút không hoạt động"
	case matthan.GapOverload:
		return "The node was too busy to record everything", "Máy chủ quá tải, không ghi kịp"
	}
	return string(r), "Lý do: " + string(r)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// handleContinuity answers GET /api/cameras/{id}/continuity: how much of a
// day (date=dd/MM/yyyy in Vietnam time, default today) a stream (default
// main) was recorded, and its gaps with their reasons.
func (s *Server) handleContinuity(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	id, stream, err := s.playbackTarget(r)
	if err != nil {
		return err
	}
	now := s.now()
	day := now.In(matthan.Vietnam)
	if v := r.URL.Query().Get("date"); v != "" {
		if day, err = time.ParseInLocation(dayLayout, v, matthan.Vietnam); err != nil || day.Year() < 1970 {
			return fieldInvalid("date", "Write the day as dd/MM/yyyy, for example 15/01/2026",
				"Hãy viết ngày theo dạng dd/MM/yyyy, ví dụ 15/01/2026")
		}
	}
	rep, err := recorder.ContinuityAt(r.Context(), s.deps.Recordings, id, stream, day, now)
	if err != nil {
		return err
	}
	v := continuityView{CameraID: rep.CameraID, Stream: rep.Stream, Day: rep.Day,
		From: rep.From, To: rep.To, FromLocal: matthan.FormatLocal(rep.From), ToLocal: matthan.FormatLocal(rep.To),
		UptimePercent: round2(rep.Uptime), RecordedSeconds: round2(rep.Recorded.Seconds()),
		MeasuredSeconds: round2(rep.To.Sub(rep.From).Seconds()), UnexplainedSeconds: round2(rep.Unexplained.Seconds()),
		Gaps: make([]continuityGap, 0, len(rep.Gaps))}
	for _, g := range rep.Gaps {
		en, vi := gapReasonText(g.Reason)
		v.Gaps = append(v.Gaps, continuityGap{Start: g.Start, End: g.End,
			StartLocal: matthan.FormatLocal(g.Start), EndLocal: matthan.FormatLocal(g.End),
			Seconds: round2(g.End.Sub(g.Start).Seconds()), Reason: g.Reason, ReasonText: en, ReasonVI: vi,
			Detail: g.Detail, Open: g.Open})
	}
	s.writeJSON(w, r, http.StatusOK, v)
	return nil
}

// handleStorage answers GET /api/storage: the forecast ("the disk is full
// in N days", "keeps N days" per camera) and the storage alarms up now.
// The forecast is null while the recordings directory does not exist yet.
func (s *Server) handleStorage(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	if s.deps.Storage == nil {
		return matthan.Errorf(matthan.ENOTFOUND,
			"Storage figures are not available on this node",
			"Nút này không có số liệu lưu trữ")
	}
	var forecast *retention.Forecast
	f, err := s.deps.Storage.Forecast(r.Context())
	switch {
	case err == nil:
		forecast = &f
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("storage forecast: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Forecast *retention.Forecast `json:"forecast"`
		Alarms   []retention.Alarm   `json:"alarms"`
	}{forecast, s.deps.Storage.Alarms()})
	return nil
}
