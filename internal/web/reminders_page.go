package web

import (
	"fmt"
	"net/http"

	"matthan"
)

// The reminders page (/reminders): officers see every reminder sent to the
// owners of places (nhắc nhở), who has not acknowledged it and which wait
// for a follow-up. The list comes from the JSON API (GET /api/reminders),
// which checks roles again; reminders are sent from the review queue.

// reminderMessages are the texts of /reminders (keys "rem.…"), of the
// review queue's reminder dialog ("review.remind…") and of the portal's
// reminder section ("my.rem.…").
var reminderMessages = map[string][2]string{
	"nav.reminders": {"Nhắc nhở", "Reminders"},

	"rem.title":              {"Nhắc nhở chủ nhà", "Reminders to owners"},
	"rem.intro":              {"Nhắc nhở đã gửi tới chủ camera, mới nhất trước. Gửi nhắc nhở từ một sự kiện trong trang Sự kiện.", "Reminders sent to camera owners, newest first. Send one from an event on the Events page."},
	"rem.unacked":            {"Chỉ chưa xác nhận", "Not acknowledged only"},
	"rem.overdue":            {"Chỉ quá hạn theo dõi", "Overdue for follow-up only"},
	"rem.filter":             {"Lọc", "Filter"},
	"rem.none":               {"Không có nhắc nhở nào", "No reminders"},
	"rem.loading":            {"Đang tải…", "Loading…"},
	"rem.camera":             {"Camera", "Camera"},
	"rem.recipient":          {"Người nhận", "Recipient"},
	"rem.no_recipient":       {"Camera của phường (không có tài khoản)", "Ward camera (no portal account)"},
	"rem.seen":               {"Ghi nhận lúc", "Seen at"},
	"rem.what":               {"Sự việc", "What"},
	"rem.advice":             {"Lời khuyên", "Advice"},
	"rem.delivery":           {"Gửi qua", "Delivered"},
	"rem.status":             {"Trạng thái", "Status"},
	"rem.followups":          {"Theo dõi", "Follow-ups"},
	"rem.portal":             {"Cổng thông tin", "Portal"},
	"rem.email.sent":         {"E-mail đã gửi", "E-mail sent"},
	"rem.email.failed":       {"E-mail gửi lỗi", "E-mail failed"},
	"rem.unacked_state":      {"Chưa xác nhận", "Not acknowledged"},
	"rem.acked_at":           {"Đã xác nhận lúc", "Acknowledged at"},
	"rem.overdue_state":      {"Quá hạn theo dõi", "Overdue for follow-up"},
	"rem.count":              {"Số lần đã theo dõi", "Follow-ups done"},
	"rem.next":               {"Theo dõi tiếp", "Next follow-up"},
	"rem.notice":             {"Phiếu nhắc nhở (PDF)", "Notice (PDF)"},
	"rem.snapshot":           {"Ảnh chụp", "Snapshot"},
	"rem.followup_note":      {"Đã làm gì (không bắt buộc)", "What was done (optional)"},
	"rem.followup":           {"Đã theo dõi", "Followed up"},
	"rem.by":                 {"Người gửi", "Sent by"},
	"review.remind":          {"Gửi nhắc nhở", "Send a reminder"},
	"review.remind.to":       {"Nhắc nhở chủ camera về sự kiện này", "Remind the camera's owner of this event"},
	"review.remind.adv":      {"Lời khuyên", "Advice"},
	"review.remind.def":      {"Để trống: dùng lời khuyên mặc định", "Empty: the default advice"},
	"review.remind.mail":     {"E-mail chủ nhà (không bắt buộc)", "Owner's e-mail (optional)"},
	"review.remind.send":     {"Gửi", "Send"},
	"review.remind.done":     {"Đã gửi nhắc nhở", "Reminder sent"},
	"review.remind.list":     {"Xem danh sách nhắc nhở", "See the reminders"},
	"review.remind.fix":      {"Hãy sửa các trường được đánh dấu", "Please correct the marked fields"},
	"review.remind.mailfail": {"Không gửi được e-mail (chủ nhà vẫn thấy nhắc nhở trên cổng thông tin, hoặc in phiếu)", "The e-mail was not sent (the owner still sees it in the portal, or print the notice)"},

	"my.rem.title":    {"Nhắc nhở", "Reminders"},
	"my.rem.intro":    {"Nhắc nhở của công an phường về an ninh nơi bạn ở. Hãy xác nhận đã nhận và cho biết bạn khắc phục thế nào.", "Reminders from the ward police about security at your place. Please acknowledge them and say how you will fix it."},
	"my.rem.none":     {"Bạn không có nhắc nhở nào", "You have no reminders"},
	"my.rem.seen":     {"Ghi nhận lúc", "Seen at"},
	"my.rem.advice":   {"Đề nghị", "Advice"},
	"my.rem.note":     {"Ghi chú của bạn (không bắt buộc), ví dụ: đã lắp khóa mới", "Your note (optional), e.g. fitted a new lock"},
	"my.rem.ack":      {"Tôi đã nhận và sẽ khắc phục", "Received; I will fix it"},
	"my.rem.acked_at": {"Bạn đã xác nhận lúc", "You acknowledged it at"},
	"my.rem.new":      {"Chưa xác nhận", "Not acknowledged"},
	"my.rem.notice":   {"Phiếu nhắc nhở (PDF)", "Notice (PDF)"},
	"my.rem.snapshot": {"Ảnh chụp", "Snapshot"},

	// The owner's access log names what officers did with reminders.
	"my.action.reminder":           {"Nhắc nhở", "Reminder"},
	"my.action.reminder.send":      {"Gửi nhắc nhở", "Sent a reminder"},
	"my.action.reminder.follow-up": {"Theo dõi nhắc nhở", "Followed up a reminder"},
	"my.action.reminder.ack":       {"Xác nhận nhắc nhở", "Acknowledged a reminder"},
	"my.action.reminder.notice":    {"Mở phiếu nhắc nhở", "Opened the notice"},
	"my.action.reminder.snapshot":  {"Xem ảnh nhắc nhở", "Viewed the reminder's snapshot"},
}

func (s *Server) reminderRoutes(mux *http.ServeMux) {
	mux.Handle("GET /reminders", s.signedIn(canPlayBack, s.remindersPage))
}

// remindersData is the page's filters and the camera names; the rows come
// from the API.
type remindersData struct {
	Unacked, Overdue bool
	Names            map[string]string
}

func (s *Server) remindersPage(r *http.Request, v *view) (string, error) {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return "", fmt.Errorf("reminders: cameras: %w", err)
	}
	q := r.URL.Query()
	d := &remindersData{Names: map[string]string{}, Unacked: q.Get("unacked") == "true", Overdue: q.Get("overdue") == "true"}
	for _, c := range cams {
		d.Names[c.ID] = c.Name
	}
	v.Title, v.Data = v.T("rem.title"), d
	return "reminders", nil
}

// defaultAdvice is each event type's default advice (matthan.DefaultAdvice),
// for the review queue's reminder dialog; types without one are left out.
func defaultAdvice() map[string]string {
	out := map[string]string{}
	for _, t := range matthan.EventTypes {
		if a := matthan.DefaultAdvice(t); a != "" {
			out[string(t)] = a
		}
	}
	return out
}
