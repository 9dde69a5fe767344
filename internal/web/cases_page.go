package web

import (
	"fmt"
	"net/http"
	"strconv"

	"matthan"
)

// The cases pages (vụ việc): /cases lists the ward's cases and opens new
// ones; /cases/{id} shows one case with its items, its evidence packages
// and its chain of custody. Officers and admins only; the data comes from
// the JSON API (/api/cases), which checks roles again and logs every
// action with who and when.

// caseMessages are the texts of /cases and /cases/{id} (keys "case.…") and
// of the review queue's "add to a case" dialog ("review.case…").
var caseMessages = map[string][2]string{
	"nav.cases": {"Vụ việc", "Cases"},

	"case.title":         {"Vụ việc", "Cases"},
	"case.intro":         {"Mỗi vụ việc gom sự kiện, đoạn ghi hình, ghi chú và mô tả người, phương tiện; mọi thao tác đều được ghi lại (chuỗi lưu giữ chứng cứ). Đoạn ghi hình của vụ việc được giữ lại, không bị xóa theo hạn lưu trữ.", "A case gathers events, footage, notes and descriptions of people and vehicles; every action is recorded (chain of custody). A case's footage is kept, safe from retention."},
	"case.status":        {"Trạng thái", "Status"},
	"case.all":           {"Tất cả", "All"},
	"case.s.open":        {"Đang mở", "Open"},
	"case.s.closed":      {"Đã đóng", "Closed"},
	"case.filter":        {"Lọc", "Filter"},
	"case.number":        {"Số vụ việc", "Case number"},
	"case.name":          {"Tiêu đề", "Title"},
	"case.description":   {"Mô tả", "Description"},
	"case.opened":        {"Mở bởi / lúc", "Opened by / at"},
	"case.closed_at":     {"Đóng bởi / lúc", "Closed by / at"},
	"case.items":         {"Số mục", "Items"},
	"case.none":          {"Không có vụ việc nào", "No cases"},
	"case.loading":       {"Đang tải…", "Loading…"},
	"case.new":           {"Mở vụ việc", "Open a case"},
	"case.open_btn":      {"Mở vụ việc", "Open the case"},
	"case.number_hint":   {"Ví dụ: VV-2026-0042", "For example: VV-2026-0042"},
	"case.fix":           {"Hãy sửa các trường được đánh dấu", "Please correct the marked fields"},
	"case.back":          {"Tất cả vụ việc", "All cases"},
	"case.locks_until":   {"Đoạn ghi hình được giữ đến", "Footage kept until"},
	"case.locks_open":    {"Đoạn ghi hình được giữ trong khi vụ việc còn mở", "Footage is kept while the case is open"},
	"case.k.event":       {"Sự kiện", "Events"},
	"case.k.footage":     {"Đoạn ghi hình", "Footage"},
	"case.k.note":        {"Ghi chú", "Notes"},
	"case.k.person":      {"Người", "People"},
	"case.k.vehicle":     {"Phương tiện", "Vehicles"},
	"case.k.export":      {"Gói chứng cứ", "Evidence packages"},
	"case.empty_kind":    {"Chưa có", "None yet"},
	"case.added":         {"Thêm bởi", "Added by"},
	"case.removed":       {"Đã gỡ bởi", "Removed by"},
	"case.reason":        {"Lý do", "Reason"},
	"case.remove":        {"Gỡ", "Remove"},
	"case.remove_ask":    {"Lý do gỡ mục này?", "Why remove this item?"},
	"case.watch":         {"Xem đoạn ghi", "Watch footage"},
	"case.snapshot":      {"Ảnh chụp", "Snapshot"},
	"case.add":           {"Thêm vào vụ việc", "Add to the case"},
	"case.add_note":      {"Thêm ghi chú", "Add a note"},
	"case.add_person":    {"Thêm mô tả người", "Describe a person"},
	"case.add_vehicle":   {"Thêm mô tả phương tiện", "Describe a vehicle"},
	"case.add_footage":   {"Thêm đoạn ghi hình", "Add footage"},
	"case.kind":          {"Loại", "Kind"},
	"case.text":          {"Nội dung", "Text"},
	"case.camera":        {"Camera", "Camera"},
	"case.choose":        {"Chọn camera", "Choose a camera"},
	"case.from":          {"Từ (dd/MM/yyyy HH:mm:ss)", "From (dd/MM/yyyy HH:mm:ss)"},
	"case.to":            {"Đến (dd/MM/yyyy HH:mm:ss)", "To (dd/MM/yyyy HH:mm:ss)"},
	"case.bad_time":      {"Hãy nhập thời gian dạng dd/MM/yyyy HH:mm:ss (giờ Việt Nam)", "Enter a time as dd/MM/yyyy HH:mm:ss (Vietnam time)"},
	"case.export":        {"Trích xuất gói chứng cứ", "Export an evidence package"},
	"case.export_why":    {"Lý do trích xuất (bắt buộc)", "Reason for the export (required)"},
	"case.export_done":   {"Đã tạo gói chứng cứ", "Evidence package made"},
	"case.download":      {"Tải về", "Download"},
	"case.close":         {"Đóng vụ việc", "Close the case"},
	"case.reopen":        {"Mở lại vụ việc", "Reopen the case"},
	"case.why_optional":  {"Lý do (không bắt buộc)", "Reason (optional)"},
	"case.log":           {"Nhật ký lưu giữ chứng cứ", "Chain of custody"},
	"case.log.time":      {"Thời gian", "Time"},
	"case.log.user":      {"Người thực hiện", "User"},
	"case.log.action":    {"Thao tác", "Action"},
	"case.log.detail":    {"Chi tiết", "Detail"},
	"case.a.open":        {"Mở vụ việc", "Opened the case"},
	"case.a.add_item":    {"Thêm mục", "Added an item"},
	"case.a.remove_item": {"Gỡ mục", "Removed an item"},
	"case.a.export":      {"Trích xuất gói chứng cứ", "Exported an evidence package"},
	"case.a.close":       {"Đóng vụ việc", "Closed the case"},
	"case.a.reopen":      {"Mở lại vụ việc", "Reopened the case"},

	"review.case":        {"Đưa vào vụ việc", "Add to a case"},
	"review.case.to":     {"Đưa sự kiện này vào một vụ việc đang mở", "Add this event to an open case"},
	"review.case.pick":   {"Vụ việc", "Case"},
	"review.case.none":   {"Chưa có vụ việc nào đang mở", "No open cases"},
	"review.case.add":    {"Đưa vào", "Add"},
	"review.case.done":   {"Đã đưa vào vụ việc", "Added to the case"},
	"review.case.see":    {"Xem vụ việc", "See the case"},
	"review.case.newone": {"Mở vụ việc mới", "Open a new case"},
}

func (s *Server) caseRoutes(mux *http.ServeMux) {
	mux.Handle("GET /cases", s.signedIn(canPlayBack, s.casesPage))
	mux.Handle("GET /cases/{id}", s.signedIn(canPlayBack, s.casePage))
}

// casesData is the list's filter; the rows come from the API.
type casesData struct {
	Status string // "", "open" or "closed"
}

func (s *Server) casesPage(r *http.Request, v *view) (string, error) {
	d := &casesData{Status: r.URL.Query().Get("status")}
	if d.Status != string(matthan.CaseOpen) && d.Status != string(matthan.CaseClosed) {
		d.Status = ""
	}
	v.Title, v.Data = v.T("case.title"), d
	return "cases", nil
}

// caseData is the case's ID and the cameras for the footage form; the
// case itself comes from the API.
type caseData struct {
	ID      int64
	Cameras []reviewOption
	Names   map[string]string
}

func (s *Server) casePage(r *http.Request, v *view) (string, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", matthan.Errorf(matthan.ENOTFOUND, "No such case", "Không có vụ việc này")
	}
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return "", fmt.Errorf("case: cameras: %w", err)
	}
	d := &caseData{ID: id, Names: map[string]string{}}
	for _, c := range cams {
		d.Cameras = append(d.Cameras, reviewOption{Value: c.ID, Label: c.Name})
		d.Names[c.ID] = c.Name
	}
	v.Title, v.Data = v.T("case.title"), d
	return "case", nil
}
