package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"matthan"
)

// playbackMessages are the texts of the playback page (keys "playback.…").
var playbackMessages = map[string][2]string{
	"playback.req.title":     {"Xin xem bản ghi", "Ask to see footage"},
	"playback.req.intro":     {"Chủ camera này chỉ chia sẻ khi được yêu cầu. Nêu đoạn ghi hình cần xem và lý do; chủ camera đồng ý thì bạn xem lại và trích xuất được đoạn đó trong 30 ngày.", "The owner shares this camera only on request. Say which footage you need and why; once the owner agrees you can play back and export it for 30 days."},
	"playback.req.from":      {"Từ", "From"},
	"playback.req.to":        {"Đến", "To"},
	"playback.req.reason":    {"Lý do", "Reason"},
	"playback.req.send":      {"Gửi yêu cầu", "Send the request"},
	"playback.req.sent":      {"Đã gửi, chờ chủ camera trả lời", "Sent; waiting for the owner"},
	"playback.req.asked":     {"Gửi lúc", "Asked at"},
	"playback.req.footage":   {"Đoạn ghi hình", "Footage"},
	"playback.req.status":    {"Trạng thái", "Status"},
	"playback.req.answer":    {"Trả lời của chủ camera", "The owner's answer"},
	"playback.req.until":     {"xem được đến", "usable until"},
	"playback.req.reload":    {"Tải lại trang để xem", "Reload the page to watch"},
	"playback.req.none":      {"Bạn chưa gửi yêu cầu nào cho camera này", "You have not asked for this camera's footage yet"},
	"playback.req.pending":   {"Chờ trả lời", "Waiting"},
	"playback.req.granted":   {"Đồng ý", "Granted"},
	"playback.req.refused":   {"Từ chối", "Refused"},
	"playback.req.revoked":   {"Đã thu hồi", "Revoked"},
	"playback.req.expired":   {"Hết hạn", "Expired"},
	"playback.title":         {"Xem lại", "Playback"},
	"playback.pick":          {"Chọn camera để xem lại (tối đa 4 camera cùng lúc)", "Choose cameras to play back (up to 4 at once)"},
	"playback.pick_open":     {"Xem lại các camera đã chọn", "Play back the chosen cameras"},
	"playback.pick_one":      {"Xem lại", "Play back"},
	"playback.pick_too_many": {"Chỉ chọn được tối đa 4 camera", "Choose at most 4 cameras"},
	"playback.forbidden": {"Vai trò người xem chỉ được xem trực tiếp; xem lại bản ghi cần vai trò cán bộ trực hoặc quản trị",
		"Viewers may watch live video only; playing back recordings needs the officer or administrator role"},
	"playback.too_many":     {"Chỉ xem lại đồng bộ được tối đa 4 camera", "At most 4 cameras can be played back together"},
	"playback.bad_time":     {"Thời điểm không hợp lệ; hãy viết dd/MM/yyyy HH:mm:ss", "Invalid time; write dd/MM/yyyy HH:mm:ss"},
	"playback.camera":       {"Camera", "Camera"},
	"playback.area":         {"Khu vực", "Area"},
	"playback.day_prev":     {"Ngày trước", "Previous day"},
	"playback.day_next":     {"Ngày sau", "Next day"},
	"playback.jump":         {"Đến", "Go"},
	"playback.jump_help":    {"Nhập thời điểm dạng dd/MM/yyyy HH:mm:ss", "Type a time as dd/MM/yyyy HH:mm:ss"},
	"playback.play":         {"Phát", "Play"},
	"playback.pause":        {"Tạm dừng", "Pause"},
	"playback.frame_back":   {"Lùi một khung hình", "One frame back"},
	"playback.frame_next":   {"Tiến một khung hình", "One frame forward"},
	"playback.speed":        {"Tốc độ", "Speed"},
	"playback.zoom":         {"Thu phóng", "Zoom"},
	"playback.zoom_day":     {"24 giờ", "24 h"},
	"playback.zoom_hour":    {"1 giờ", "1 h"},
	"playback.zoom_10m":     {"10 phút", "10 min"},
	"playback.clock":        {"Thời điểm của hình", "Time of the picture"},
	"playback.timeline":     {"Dòng thời gian: bấm hoặc kéo để tua; giữ Shift và kéo để chọn đoạn", "Timeline: click or drag to scrub; hold Shift and drag to choose a range"},
	"playback.recorded":     {"Có ghi hình", "Recorded"},
	"playback.no_rec":       {"Không có bản ghi", "No recording"},
	"playback.no_rec_at":    {"Không có bản ghi: ", "No recording: "},
	"playback.loading":      {"Đang tải…", "Loading…"},
	"playback.load_failed":  {"Không tải được bản ghi", "Could not load the recording"},
	"playback.unplayable":   {"Trình duyệt không phát được mã hóa này (thường là H.265)", "This browser cannot play this codec (usually H.265)"},
	"playback.range":        {"Đoạn đã chọn", "Chosen range"},
	"playback.range_none":   {"Chưa chọn đoạn: giữ Shift và kéo trên dòng thời gian, hoặc đặt điểm đầu/cuối", "No range yet: hold Shift and drag on the timeline, or set a start and an end"},
	"playback.mark_in":      {"Đặt điểm đầu", "Set start"},
	"playback.mark_out":     {"Đặt điểm cuối", "Set end"},
	"playback.range_clear":  {"Bỏ chọn", "Clear"},
	"playback.export":       {"Trích xuất chứng cứ", "Export evidence"},
	"playback.lock":         {"Khóa lưu giữ", "Lock footage"},
	"playback.reason":       {"Lý do (bắt buộc)", "Reason (required)"},
	"playback.case":         {"Số hồ sơ vụ việc", "Case number"},
	"playback.case_opt":     {"Số hồ sơ vụ việc (không bắt buộc)", "Case number (optional)"},
	"playback.case_req":     {"Số hồ sơ vụ việc (bắt buộc)", "Case number (required)"},
	"playback.export_go":    {"Tạo gói chứng cứ", "Make the evidence package"},
	"playback.lock_go":      {"Khóa đoạn này", "Lock this range"},
	"playback.cancel":       {"Hủy", "Cancel"},
	"playback.close":        {"Đóng", "Close"},
	"playback.working":      {"Đang xử lý…", "Working…"},
	"playback.export_wait":  {"Đang tạo gói chứng cứ. Camera có vùng che riêng tư cần mã hóa lại nên có thể mất vài phút; bạn có thể rời trang, gói vẫn được tạo và có trong mục Gói chứng cứ.", "Making the evidence package. Cameras with privacy masks are re-encoded, which can take minutes; you may leave this page: the package is still made and listed under Evidence packages."},
	"playback.export_done":  {"Đã tạo gói chứng cứ. Tải về:", "The evidence package is ready. Download:"},
	"playback.lock_done":    {"Đã khóa đoạn ghi hình; dữ liệu sẽ không bị xóa tự động cho đến khi mở khóa.", "The footage is locked; it will not be deleted automatically until the lock is released."},
	"playback.reason_req":   {"Hãy nhập lý do", "Enter a reason"},
	"playback.case_missing": {"Hãy nhập số hồ sơ vụ việc", "Enter a case number"},
	"playback.warnings":     {"Lưu ý", "Note"},
	"playback.event_health": {"Thay đổi tình trạng", "Health change"},

	"playback.gap.offline":      {"camera mất kết nối", "camera offline"},
	"playback.gap.stalled":      {"camera không gửi hình", "camera sent no picture"},
	"playback.gap.auth_failed":  {"camera từ chối mật khẩu", "camera refused the password"},
	"playback.gap.unsupported":  {"mã hóa video không hỗ trợ", "unsupported video codec"},
	"playback.gap.disabled":     {"camera bị tắt", "camera switched off"},
	"playback.gap.disk_full":    {"ổ đĩa đầy", "disk full"},
	"playback.gap.disk_error":   {"lỗi ghi ổ đĩa", "disk write error"},
	"playback.gap.node_stopped": {"máy chủ không chạy", "the node was not running"},
	"playback.gap.overload":     {"máy chủ quá tải, không ghi kịp", "the node was too busy to record"},
	"playback.gap.unknown":      {"không rõ lý do", "reason unknown"},
}

// maxPlaybackCameras is how many cameras one synchronised playback shows.
const maxPlaybackCameras = 4

// playbackCamera is a camera on the playback page.
type playbackCamera struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Area string `json:"area"`
	// PrivacyMasks are drawn over its video; OnRequest: its owner shares
	// footage only on a request they grant, which the page lets one make.
	PrivacyMasks []matthan.PrivacyMask `json:"privacy_masks"`
	OnRequest    bool                  `json:"on_request"`
}

// playbackData is the playback page's data; Config goes to its script.
type playbackData struct {
	Picker  bool
	All     []playbackCamera // for the picker
	Cameras []playbackCamera
	Config  playbackConfig
}

type playbackConfig struct {
	Cameras []playbackCamera `json:"cameras"`
	At      string           `json:"at"` // RFC 3339 UTC; "" means the last hour of today
	Now     string           `json:"now"`
	IsAdmin bool             `json:"is_admin"`
}

func (s *Server) playbackRoutes(mux *http.ServeMux) {
	// Every staff role reaches the handler, so a viewer gets a page that says why
	// not rather than a bare "forbidden".
	mux.Handle("GET /playback", s.signedIn(staff, s.playbackPage))
}

func (s *Server) playbackPage(r *http.Request, v *view) (string, error) {
	if !canPlayBack(v.User.Role) {
		return "", matthan.Errorf(matthan.EFORBIDDEN, translate("en", "playback.forbidden"), translate("vi", "playback.forbidden"))
	}
	v.Title = v.T("playback.title")
	q := r.URL.Query()
	var ids []string
	for _, list := range []string{q.Get("camera"), q.Get("cameras")} {
		for _, id := range strings.Split(list, ",") {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > maxPlaybackCameras {
		return "", matthan.Errorf(matthan.EINVALID, translate("en", "playback.too_many"), translate("vi", "playback.too_many"))
	}
	d := &playbackData{Config: playbackConfig{Now: s.now().UTC().Format(time.RFC3339), IsAdmin: v.User.Role == matthan.RoleAdmin}}
	v.Data = d
	if len(ids) == 0 {
		cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
		if err != nil {
			return "", fmt.Errorf("playback: cameras: %w", err)
		}
		d.Picker = true
		for _, c := range cams {
			d.All = append(d.All, playbackCamera{ID: c.ID, Name: c.Name, Area: c.Area})
		}
		return "playback", nil
	}
	for _, id := range ids {
		c, err := s.deps.Store.Camera(r.Context(), id)
		if err != nil {
			return "", fmt.Errorf("playback: camera: %w", err)
		}
		d.Cameras = append(d.Cameras, playbackCamera{ID: c.ID, Name: c.Name, Area: c.Area, PrivacyMasks: c.PrivacyMasks,
			OnRequest: c.Sharing.Mode == matthan.ShareOnRequest && c.Contributor != ""})
	}
	d.Config.Cameras = d.Cameras
	if at := q.Get("at"); at != "" {
		t, err := matthan.ParseTime("at", at)
		if err != nil {
			return "", matthan.Errorf(matthan.EINVALID, translate("en", "playback.bad_time"), translate("vi", "playback.bad_time"))
		}
		d.Config.At = t.Format(time.RFC3339Nano)
	}
	return "playback", nil
}
