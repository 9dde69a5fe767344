package web

import (
	"fmt"
	"net/http"
	"slices"

	"matthan"
)

// eventsPageMessages are the texts of the review queue (keys "review.…")
// and the event labels the alert banner shares (keys "alert.type.…").
var eventsPageMessages = map[string][2]string{
	"nav.events": {"Sự kiện", "Events"},

	"review.title":         {"Sự kiện cần xem xét", "Events to review"},
	"review.summary":       {"Mới nhất lên đầu; sự kiện mới hiện ra ngay khi xảy ra. Xác nhận hoặc đánh dấu báo nhầm để làm nhãn đánh giá.", "Newest first; new events appear as they happen. Confirm them or mark false alarms: the marks are the labels for evaluation."},
	"review.camera":        {"Camera", "Camera"},
	"review.type":          {"Loại", "Type"},
	"review.state":         {"Đánh giá", "Review"},
	"review.date":          {"Ngày", "Date"},
	"review.all":           {"Tất cả", "All"},
	"review.filter":        {"Lọc", "Filter"},
	"review.snapshot":      {"Ảnh chụp", "Snapshot"},
	"review.event":         {"Sự kiện", "Event"},
	"review.zone":          {"Vùng", "Zone"},
	"review.time":          {"Thời gian", "Time"},
	"review.whole":         {"Toàn khung hình", "Whole picture"},
	"review.footage":       {"Xem đoạn ghi", "Watch footage"},
	"review.clip":          {"Tải đoạn phim", "Download clip"},
	"review.note":          {"Ghi chú (không bắt buộc)", "Note (optional)"},
	"review.confirm":       {"Xác nhận", "Confirm"},
	"review.false_alarm":   {"Báo nhầm", "False alarm"},
	"review.clear":         {"Bỏ đánh giá", "Clear review"},
	"review.reviewed_by":   {"bởi", "by"},
	"review.at":            {"lúc", "at"},
	"review.none":          {"Không có sự kiện nào", "No events"},
	"review.loading":       {"Đang tải…", "Loading…"},
	"review.new":           {"Mới", "New"},
	"review.close":         {"Đóng", "Close"},
	"review.enlarge":       {"Bấm để phóng to", "Click to enlarge"},
	"review.limit":         {"Chỉ hiện 200 sự kiện mới nhất; dùng bộ lọc để xem sự kiện cũ hơn.", "Only the 200 newest events are shown; filter to see older ones."},
	"review.r.none":        {"Chưa xem xét", "Not reviewed"},
	"review.r.confirmed":   {"Đã xác nhận", "Confirmed"},
	"review.r.false_alarm": {"Báo nhầm", "False alarm"},
	"review.sev.info":      {"Thông tin", "Info"},
	"review.sev.warning":   {"Cảnh báo", "Warning"},
	"review.sev.alarm":     {"Báo động", "Alarm"},

	"alert.event":                {"Báo động", "Alarm"},
	"alert.type.loitering":       {"Lảng vảng", "Loitering"},
	"alert.type.three_riders":    {"Xe chở ba", "Three riders"},
	"alert.type.no_helmet":       {"Không đội mũ bảo hiểm", "No helmet"},
	"alert.type.illegal_parking": {"Đỗ xe sai quy định", "Illegal parking"},
	"alert.type.dumping":         {"Đổ rác trái phép", "Illegal dumping"},
	"alert.type.crowd":           {"Tụ tập đông người", "Crowd"},
	"alert.type.line_crossing":   {"Vượt vạch", "Line crossing"},
	"alert.type.tamper":          {"Phá hoại camera", "Camera tampering"},
	"alert.type.security_lapse":  {"Sơ hở an ninh", "Security lapse"},
}

func (s *Server) eventsPageRoutes(mux *http.ServeMux) {
	mux.Handle("GET /review", s.signedIn(canPlayBack, s.reviewPage))
}

// reviewOption is one choice of a filter, already translated.
type reviewOption struct {
	Value, Label string
	Selected     bool
}

// reviewData is the review page's filters; the rows come from the JSON API
// (GET /api/events), which checks roles again and audits each snapshot.
type reviewData struct {
	Cameras []reviewOption
	Types   []reviewOption
	Reviews []reviewOption
	Date    string // yyyy-mm-dd, Vietnam time; "" for every day
	Names   map[string]string
	// Advice is each event type's default advice, shown in the reminder
	// dialog (the API uses it when the officer writes none).
	Advice map[string]string
}

func (s *Server) reviewPage(r *http.Request, v *view) (string, error) {
	q := r.URL.Query()
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return "", fmt.Errorf("review: cameras: %w", err)
	}
	d := &reviewData{Names: map[string]string{}, Advice: defaultAdvice()}
	for _, c := range cams {
		d.Cameras = append(d.Cameras, reviewOption{Value: c.ID, Label: c.Name, Selected: q.Get("camera") == c.ID})
		d.Names[c.ID] = c.Name
	}
	for _, t := range matthan.EventTypes {
		d.Types = append(d.Types, reviewOption{Value: string(t), Label: v.T("alert.type." + string(t)), Selected: q.Get("type") == string(t)})
	}
	for _, rv := range matthan.Reviews {
		d.Reviews = append(d.Reviews, reviewOption{Value: string(rv), Label: v.T("review.r." + string(rv)), Selected: q.Get("review") == string(rv)})
	}
	// An <input type="date"> value; anything else is ignored rather than
	// failing the page.
	if date := q.Get("date"); len(date) == 10 && !slices.ContainsFunc([]byte(date), func(b byte) bool {
		return (b < '0' || b > '9') && b != '-'
	}) {
		d.Date = date
	}
	v.Title, v.Data = v.T("review.title"), d
	return "events", nil
}
