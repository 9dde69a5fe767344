package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"matthan"
)

// The contributor portal (/my) and the police's approval queue
// (/approvals). A contributor (household, shop, school, agency) sees only
// their own cameras here: the page reads them by the signed-in name, and
// its scripts call the API's /api/my/… routes, which check again. The
// ward's wall, map, health and playback pages are staff-only.

// portalMessages are the texts of the portal and the approval queue (keys
// "my.…" and "appr.…", plus the nav links and the contributor's role).
var portalMessages = map[string][2]string{
	"nav.my":           {"Camera của tôi", "My cameras"},
	"nav.approvals":    {"Duyệt camera", "Approve cameras"},
	"role.contributor": {"Người đóng góp camera", "Camera contributor"},

	"my.title":             {"Camera của tôi", "My cameras"},
	"my.intro":             {"Camera bạn chia sẻ với công an phường. Bạn quyết định chia sẻ thế nào và xem được mọi lần camera được truy cập.", "The cameras you share with the ward police. You decide how they are shared and see every access to them."},
	"my.none":              {"Bạn chưa đăng ký camera nào. Hãy đăng ký camera đầu tiên bên dưới.", "You have not registered a camera yet. Register the first one below."},
	"my.state":             {"Tình trạng", "State"},
	"my.inactive":          {"Chưa kết nối", "Not connected"},
	"my.approval":          {"Đăng ký", "Registration"},
	"my.note":              {"Ghi chú của công an", "Note from the police"},
	"my.direction":         {"Hướng nhìn", "Facing"},
	"my.degrees":           {"độ", "degrees"},
	"my.stream":            {"Luồng", "Stream"},
	"my.approval.pending":  {"Chờ duyệt", "Waiting for approval"},
	"my.approval.approved": {"Đã duyệt", "Approved"},
	"my.approval.rejected": {"Bị từ chối", "Rejected"},

	"my.sharing":         {"Chia sẻ", "Sharing"},
	"my.mode.live":       {"Chia sẻ trực tiếp và bản ghi", "Live view and recordings"},
	"my.mode.recordings": {"Chỉ bản ghi", "Recordings only"},
	"my.mode.on_request": {"Chỉ khi được yêu cầu", "Only on request"},
	"my.mode.revoked":    {"Ngừng chia sẻ", "Stop sharing"},
	"my.windows":         {"Chỉ trong các khung giờ (giờ Việt Nam; để trống: cả ngày)", "Only in these hours (Vietnam time; none: all day)"},
	"my.window.from":     {"Từ", "From"},
	"my.window.to":       {"Đến", "To"},
	"my.window.add":      {"Thêm khung giờ", "Add a time window"},
	"my.window.remove":   {"Bỏ", "Remove"},
	"my.window.hint":     {"Dạng HH:MM, 24 giờ; khung qua nửa đêm được, ví dụ 22:00 đến 06:00", "HH:MM, 24-hour; a window may run past midnight, e.g. 22:00 to 06:00"},
	"my.save":            {"Lưu chia sẻ", "Save sharing"},
	"my.saved":           {"Đã lưu, có hiệu lực ngay", "Saved, in force now"},
	"my.pause":           {"Tạm dừng", "Pause"},
	"my.resume":          {"Tiếp tục chia sẻ", "Resume"},
	"my.paused":          {"Đang tạm dừng", "Paused"},
	"my.fix_fields":      {"Hãy sửa các trường được đánh dấu", "Please correct the marked fields"},

	"my.req.title":                   {"Yêu cầu xem bản ghi", "Requests for footage"},
	"my.req.intro":                   {"Công an phường xin xem đoạn ghi hình của camera bạn chia sẻ khi được yêu cầu. Bạn đồng ý thì cán bộ đó xem lại và trích xuất được đúng đoạn ấy trong 30 ngày; bạn thu hồi được bất cứ lúc nào.", "The ward police ask to see footage of your cameras shared on request. If you agree, that officer can play back and export just that footage for 30 days; you can take it back at any time."},
	"my.req.none":                    {"Chưa có yêu cầu nào", "No requests yet"},
	"my.req.by":                      {"Cán bộ", "Officer"},
	"my.req.footage":                 {"Đoạn ghi hình", "Footage"},
	"my.req.asked":                   {"Gửi lúc", "Asked at"},
	"my.req.reason":                  {"Lý do", "Reason"},
	"my.req.note":                    {"Lời nhắn cho cán bộ (không bắt buộc)", "A word to the officer (optional)"},
	"my.req.grant":                   {"Đồng ý", "Grant"},
	"my.req.refuse":                  {"Từ chối", "Refuse"},
	"my.req.revoke":                  {"Thu hồi", "Take back"},
	"my.req.until":                   {"Xem được đến", "Usable until"},
	"my.req.pending":                 {"Chờ bạn trả lời", "Waiting for your answer"},
	"my.req.granted":                 {"Đã đồng ý", "Granted"},
	"my.req.refused":                 {"Đã từ chối", "Refused"},
	"my.req.revoked":                 {"Đã thu hồi", "Taken back"},
	"my.req.expired":                 {"Đã hết hạn", "Expired"},
	"my.action.access":               {"Yêu cầu xem bản ghi", "Footage request"},
	"my.action.access.request":       {"Xin xem bản ghi", "Asked for footage"},
	"my.action.access.grant":         {"Đồng ý cho xem", "Granted footage"},
	"my.action.access.refuse":        {"Từ chối cho xem", "Refused footage"},
	"my.action.access.revoke":        {"Thu hồi quyền xem", "Took back footage"},
	"my.action.camera.privacy_masks": {"Sửa vùng che riêng tư", "Changed privacy masks"},
	"my.action.owner.still":          {"Chủ camera xem ảnh", "Owner fetched a still"},

	"my.reg.title":     {"Đăng ký camera", "Register a camera"},
	"my.reg.intro":     {"Camera hướng ra đường. Sau khi công an phường duyệt, máy chủ mới kết nối tới camera.", "A camera facing the street. The node connects to it only after the ward police approve it."},
	"my.reg.direction": {"Hướng nhìn (độ, không bắt buộc)", "Facing (degrees, optional)"},
	"my.reg.dir_hint":  {"Tính theo chiều kim đồng hồ từ hướng Bắc: 0 Bắc, 90 Đông, 180 Nam, 270 Tây", "Clockwise from north: 0 north, 90 east, 180 south, 270 west"},
	"my.reg.submit":    {"Gửi đăng ký", "Register"},

	"my.log.title":  {"Nhật ký truy cập", "Access log"},
	"my.log.intro":  {"Mọi lần camera của bạn được xem, xem lại, trích xuất hay thay đổi, mới nhất trước.", "Every time your cameras were watched, played back, exported or changed, newest first."},
	"my.log.camera": {"Camera", "Camera"},
	"my.log.all":    {"Tất cả camera", "All cameras"},
	"my.log.at":     {"Thời gian", "Time"},
	"my.log.user":   {"Người truy cập", "Who"},
	"my.log.action": {"Hành động", "Action"},
	"my.log.detail": {"Chi tiết", "Detail"},
	"my.log.none":   {"Chưa có lượt truy cập nào", "No access yet"},

	"my.action.live":               {"Xem trực tiếp", "Watched live"},
	"my.action.playback":           {"Xem lại", "Played back"},
	"my.action.playback.thumbnail": {"Tải ảnh", "Fetched a still"},
	"my.action.export":             {"Trích xuất", "Exported"},
	"my.action.evidence":           {"Khóa bản ghi làm chứng cứ", "Kept footage as evidence"},
	"my.action.event":              {"Xem sự kiện", "Viewed an event"},
	"my.action.camera.register":    {"Đăng ký", "Registered"},
	"my.action.camera.approval":    {"Duyệt", "Approval"},
	"my.action.camera.sharing":     {"Đổi chia sẻ", "Changed sharing"},
	"my.action.camera.update":      {"Sửa thông tin camera", "Edited the camera"},
	"my.action.camera.test":        {"Kết nối thử", "Test connection"},
	"my.action.camera.create":      {"Thêm camera", "Added the camera"},
	"my.action.analytics":          {"Chỉnh vùng phân tích", "Changed analytics zones"},

	"appr.title":       {"Duyệt camera đóng góp", "Approve contributed cameras"},
	"appr.intro":       {"Camera người dân, cửa hàng, cơ quan đăng ký chia sẻ. Máy chủ chỉ kết nối camera đã duyệt.", "Cameras that households, shops and agencies registered to share. The node connects only to approved ones."},
	"appr.waiting":     {"Chờ duyệt", "Waiting"},
	"appr.decided":     {"Đã quyết định gần đây", "Decided recently"},
	"appr.none":        {"Không có camera nào chờ duyệt", "No camera is waiting"},
	"appr.contributor": {"Tài khoản", "Account"},
	"appr.owner":       {"Chủ camera", "Owner"},
	"appr.place":       {"Vị trí", "Place"},
	"appr.coords":      {"Tọa độ", "Coordinates"},
	"appr.stream":      {"Luồng video", "Stream"},
	"appr.registered":  {"Đăng ký lúc", "Registered"},
	"appr.note":        {"Ghi chú cho chủ camera (bắt buộc khi từ chối)", "Note to the owner (required to reject)"},
	"appr.approve":     {"Duyệt", "Approve"},
	"appr.reject":      {"Từ chối", "Reject"},
	"appr.source_push": {"Camera đẩy luồng lên máy chủ", "Pushes to the node"},
}

func (s *Server) portalRoutes(mux *http.ServeMux) {
	mux.Handle("GET /my", s.signedIn(contributorOnly, s.myPage))
	mux.Handle("GET /approvals", s.signedIn(canPlayBack, s.approvalsPage))
}

// staff are the ward's own users (admin, officer, viewer): they see the
// wall, the map, the health page and playback; a contributor does not.
func staff(r matthan.Role) bool {
	return r == matthan.RoleAdmin || r == matthan.RoleOfficer || r == matthan.RoleViewer
}

func contributorOnly(r matthan.Role) bool { return r == matthan.RoleContributor }

// myCamera is one of the contributor's cameras as /my shows it.
type myCamera struct {
	*matthan.Camera
	State    matthan.StreamState
	Reason   string // in the page's language
	Inactive string // why the node does not connect, in the page's language; "" when it does
	Windows  []matthan.TimeWindow
}

type myData struct {
	Cameras    []myCamera
	OwnerKinds []matthan.OwnerKind // without the ward
	Modes      []matthan.SharingMode
	// Brands fill in stream URLs (the API's /api/presets is for staff).
	Brands []matthan.Brand
}

func (s *Server) myPage(r *http.Request, v *view) (string, error) {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{Contributor: v.User.Name})
	if err != nil {
		return "", fmt.Errorf("my cameras: %w", err)
	}
	d := &myData{Modes: matthan.SharingModes, Brands: matthan.Brands()}
	for _, k := range matthan.OwnerKinds {
		if k != matthan.OwnerWard {
			d.OwnerKinds = append(d.OwnerKinds, k)
		}
	}
	for _, c := range cams {
		if c.Contributor != v.User.Name { // the filter does it; never show another's
			continue
		}
		redact(c)
		mc := myCamera{Camera: c, State: matthan.StateConnecting, Windows: c.Sharing.Windows}
		if en, vi := c.InactiveReason(); en != "" {
			mc.State, mc.Inactive = matthan.StateDisabled, pick(v.Lang, en, vi)
		} else if s.deps.Status != nil {
			for _, st := range s.deps.Status.Status(c.ID) {
				if st.Role == matthan.StreamMain {
					mc.State, mc.Reason = st.State, pick(v.Lang, st.Reason, st.ReasonVI)
				}
			}
		}
		if c.Sharing.Mode == "" {
			mc.Sharing.Mode = matthan.ShareLive
		}
		d.Cameras = append(d.Cameras, mc)
	}
	v.Title, v.Data = v.T("my.title"), d
	return "my", nil
}

// approvalsData is the police's queue: waiting registrations first (oldest
// first), then those decided, most recent first.
type approvalsData struct {
	Waiting, Decided []apprRow
}

// apprRow is a contributed camera in the queue, with its times written
// out (dd/MM/yyyy HH:mm:ss, Vietnam time).
type apprRow struct {
	*matthan.Camera
	Registered, Decided string
}

// decidedShown is how many decided registrations the queue keeps showing.
const decidedShown = 20

func (s *Server) approvalsPage(r *http.Request, v *view) (string, error) {
	d, err := s.approvals(r)
	if err != nil {
		return "", err
	}
	v.Title, v.Data = v.T("appr.title"), d
	return "approvals", nil
}

func (s *Server) approvals(r *http.Request) (*approvalsData, error) {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	d := &approvalsData{}
	for _, c := range cams {
		if c.Contributor == "" {
			continue
		}
		redact(c)
		row := apprRow{Camera: c, Registered: matthan.FormatLocal(c.CreatedAt), Decided: matthan.FormatLocal(c.UpdatedAt)}
		if c.Approval == matthan.ApprovalPending {
			d.Waiting = append(d.Waiting, row)
		} else {
			d.Decided = append(d.Decided, row)
		}
	}
	slices.SortFunc(d.Waiting, func(a, b apprRow) int { return a.CreatedAt.Compare(b.CreatedAt) })
	slices.SortFunc(d.Decided, func(a, b apprRow) int {
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(a.ID, b.ID))
	})
	if len(d.Decided) > decidedShown {
		d.Decided = d.Decided[:decidedShown]
	}
	return d, nil
}

// redact keeps a camera's secrets out of a page: the password never, the
// URLs redacted as the API gives them.
func redact(c *matthan.Camera) {
	c.Password = ""
	c.MainURL, c.SubURL = redactStreamURL(c.MainURL), redactStreamURL(c.SubURL)
}

// waitingRequests counts the requests for footage of an owner's cameras
// that wait for their answer; a failure is logged and counts none.
func (s *Server) waitingRequests(r *http.Request, owner string) int {
	list, err := s.deps.AccessRequests.AccessRequests(r.Context(), matthan.AccessRequestFilter{Contributor: owner, Status: matthan.RequestPending})
	if err != nil {
		s.log.ErrorContext(r.Context(), "portal: access requests", "err", err)
		return 0
	}
	return len(list)
}

// waitingApprovals counts the registrations waiting for approval; a
// failure is logged and counts none (the nav still renders).
func (s *Server) waitingApprovals(r *http.Request) int {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{Approval: matthan.ApprovalPending})
	if err != nil {
		s.log.ErrorContext(r.Context(), "approvals: cameras", "err", err)
		return 0
	}
	return len(cams)
}
