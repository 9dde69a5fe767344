package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"matthan"
	"matthan/internal/secret"
)

// cameraMessages are the texts of the camera page (keys "camera.…").
var cameraMessages = map[string][2]string{
	"camera.list_title": {"Quản lý camera", "Cameras"},
	"camera.new_title":  {"Thêm camera", "Add a camera"},
	"camera.edit_title": {"Sửa camera", "Edit camera"},
	"camera.add":        {"Thêm camera", "Add a camera"},
	"camera.filter":     {"Lọc theo tên, mã, khu vực, chủ sở hữu…", "Filter by name, ID, area, owner…"},
	"camera.count":      {"camera", "cameras"},
	"camera.none":       {"Chưa có camera nào. Hãy thêm camera đầu tiên.", "No cameras yet. Add the first one."},
	"camera.no_match":   {"Không có camera nào khớp bộ lọc", "No camera matches the filter"},

	"camera.col.name":    {"Camera", "Camera"},
	"camera.col.area":    {"Khu vực", "Area"},
	"camera.col.owner":   {"Chủ sở hữu", "Owner"},
	"camera.col.state":   {"Trạng thái", "State"},
	"camera.col.enabled": {"Bật", "Enabled"},
	"camera.col.actions": {"Thao tác", "Actions"},

	"camera.on":         {"Đang bật", "On"},
	"camera.off":        {"Đang tắt", "Off"},
	"camera.edit":       {"Sửa", "Edit"},
	"camera.disable":    {"Tắt", "Disable"},
	"camera.enable":     {"Bật", "Enable"},
	"camera.delete":     {"Xóa", "Delete"},
	"camera.delete_q":   {"Xóa camera «%s» (%s)? Bản ghi đã lưu vẫn còn cho đến khi hết hạn lưu trữ.", "Delete camera “%s” (%s)? Its recordings stay until retention removes them."},
	"camera.delete_yes": {"Xóa camera", "Delete the camera"},
	"camera.cancel":     {"Hủy", "Cancel"},
	"camera.deleted":    {"Đã xóa camera", "Camera deleted"},
	"camera.saved":      {"Đã lưu", "Saved"},
	"camera.playback":   {"Xem lại", "Playback"},
	"camera.fix_fields": {"Hãy sửa các trường được đánh dấu", "Please correct the marked fields"},

	"camera.sec.place":  {"Vị trí", "Place"},
	"camera.sec.owner":  {"Chủ sở hữu", "Owner"},
	"camera.sec.stream": {"Luồng video", "Video streams"},
	"camera.sec.record": {"Ghi hình", "Recording"},

	"camera.f.id":            {"Mã camera", "Camera ID"},
	"camera.f.id_help":       {"Chữ thường không dấu, số và dấu '-', ví dụ cam-012; không đổi được sau khi tạo", "Lowercase letters, digits and '-', e.g. cam-012; cannot change later"},
	"camera.f.name":          {"Tên camera", "Name"},
	"camera.f.area":          {"Khu vực (khóm/ấp/tổ dân phố)", "Area (neighbourhood)"},
	"camera.f.address":       {"Địa chỉ", "Address"},
	"camera.f.latitude":      {"Vĩ độ", "Latitude"},
	"camera.f.longitude":     {"Kinh độ", "Longitude"},
	"camera.f.owner_kind":    {"Loại chủ sở hữu", "Owner kind"},
	"camera.f.owner_name":    {"Tên chủ sở hữu", "Owner name"},
	"camera.f.owner_contact": {"Liên hệ (điện thoại hoặc e-mail)", "Contact (phone or e-mail)"},
	"camera.f.source":        {"Nguồn", "Source"},
	"camera.f.source_pull":   {"Máy chủ kéo luồng từ camera (pull)", "The node pulls from the camera"},
	"camera.f.source_push":   {"Camera đẩy luồng lên máy chủ (push)", "The camera pushes to the node"},
	"camera.f.preset":        {"Điền nhanh theo hãng", "Fill in by brand"},
	"camera.f.brand":         {"Hãng", "Brand"},
	"camera.f.brand_none":    {"— chọn hãng —", "— choose a brand —"},
	"camera.f.host":          {"Địa chỉ IP", "IP address"},
	"camera.f.port":          {"Cổng", "Port"},
	"camera.f.channel":       {"Kênh", "Channel"},
	"camera.f.fill":          {"Điền địa chỉ luồng", "Fill in the stream URLs"},
	"camera.f.main_url":      {"Địa chỉ luồng chính (rtsp://…)", "Main stream URL (rtsp://…)"},
	"camera.f.sub_url":       {"Địa chỉ luồng phụ (không bắt buộc)", "Sub-stream URL (optional)"},
	"camera.f.username":      {"Tên đăng nhập camera", "Camera user name"},
	"camera.f.password":      {"Mật khẩu camera", "Camera password"},
	"camera.f.password_keep": {"Để trống để giữ mật khẩu đã lưu", "Leave empty to keep the stored password"},
	"camera.f.password_none": {"Chưa lưu mật khẩu", "No password stored"},
	"camera.f.enabled":       {"Bật camera (kết nối và ghi hình)", "Enabled (connect and record)"},
	"camera.f.record_sub":    {"Ghi cả luồng phụ", "Record the sub-stream too"},
	"camera.f.retain_days":   {"Số ngày lưu bản ghi (0: mặc định của máy chủ)", "Days to keep recordings (0: the node's default)"},
	"camera.f.quota_gb":      {"Hạn mức dung lượng, GB (0: không giới hạn riêng)", "Storage quota, GB (0: none of its own)"},
	"camera.save":            {"Lưu", "Save"},
	"camera.create":          {"Tạo camera", "Create the camera"},
	"camera.back":            {"Về danh sách", "Back to the list"},

	"camera.test":        {"Kiểm tra kết nối", "Test connection"},
	"camera.testing":     {"Đang kết nối thử tới camera…", "Connecting to the camera…"},
	"camera.test_ok":     {"Camera trả lời:", "The camera answered:"},
	"camera.test_failed": {"Không kết nối được:", "Could not connect:"},
	"camera.stream.main": {"Luồng chính", "Main stream"},
	"camera.stream.sub":  {"Luồng phụ", "Sub-stream"},
	"camera.audio":       {"âm thanh", "audio"},
	"camera.no_audio":    {"không có âm thanh", "no audio"},

	"camera.owner.ward":      {"Phường", "Ward"},
	"camera.owner.household": {"Hộ gia đình", "Household"},
	"camera.owner.shop":      {"Cửa hàng", "Shop"},
	"camera.owner.school":    {"Trường học", "School"},
	"camera.owner.agency":    {"Cơ quan", "Agency"},

	"camera.state.connecting":        {"Đang kết nối", "Connecting"},
	"camera.state.streaming":         {"Đang truyền hình", "Streaming"},
	"camera.state.stalled":           {"Không có hình", "No picture"},
	"camera.state.offline":           {"Mất kết nối", "Offline"},
	"camera.state.auth_failed":       {"Sai mật khẩu", "Wrong password"},
	"camera.state.unsupported_codec": {"Mã hóa không hỗ trợ", "Unsupported codec"},
	"camera.state.bad_url":           {"Sai địa chỉ luồng", "Bad stream URL"},
	"camera.state.disabled":          {"Đang tắt", "Switched off"},
}

func (s *Server) cameraRoutes(mux *http.ServeMux) {
	mux.Handle("GET /cameras", s.signedIn(adminOnly, s.camerasPage))
	mux.Handle("GET /cameras/new", s.signedIn(adminOnly, s.cameraFormPage))
	mux.Handle("GET /cameras/{id}/edit", s.signedIn(adminOnly, s.cameraFormPage))
}

// cameraListRow is a line of the camera list.
type cameraListRow struct {
	*matthan.Camera
	State    matthan.StreamState
	Reason   string // in the page's language
	Since    string
	Search   string // lower-case text the filter box matches
	OwnerTxt string
}

func (s *Server) camerasPage(r *http.Request, v *view) (string, error) {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return "", fmt.Errorf("cameras: %w", err)
	}
	rows := make([]cameraListRow, 0, len(cams))
	for _, c := range cams {
		row := cameraListRow{Camera: c, State: matthan.StateConnecting}
		row.OwnerTxt = v.T("camera.owner." + string(c.Owner.Kind))
		if !c.Enabled {
			row.State = matthan.StateDisabled
		} else if s.deps.Status != nil {
			for _, st := range s.deps.Status.Status(c.ID) {
				if st.Role == matthan.StreamMain {
					row.State, row.Reason = st.State, st.Reason
					if v.Lang == "vi" && st.ReasonVI != "" {
						row.Reason = st.ReasonVI
					}
					if !st.Since.IsZero() {
						row.Since = matthan.FormatLocal(st.Since)
					}
				}
			}
		}
		row.Search = cameraSearchText(c.ID, c.Name, c.Area, c.Address, c.Owner.Name, row.OwnerTxt)
		rows = append(rows, row)
	}
	v.Title, v.Data = v.T("camera.list_title"), rows
	return "cameras", nil
}

// cameraFormData is the add/edit form. Camera is nil for a new camera.
type cameraFormData struct {
	Camera      *matthan.Camera
	OwnerKinds  []matthan.OwnerKind
	QuotaGB     string
	Enabled     bool
	HasPassword bool
}

func (s *Server) cameraFormPage(r *http.Request, v *view) (string, error) {
	d := &cameraFormData{OwnerKinds: matthan.OwnerKinds, Enabled: true, QuotaGB: "0"}
	v.Title = v.T("camera.new_title")
	if id := r.PathValue("id"); id != "" {
		c, err := s.deps.Store.Camera(r.Context(), id)
		if err != nil {
			return "", fmt.Errorf("camera: %w", err)
		}
		// The password is write-only: never put into a page. URLs hold no
		// credentials (the registry moves them out), but are redacted anyway.
		d.HasPassword = c.Password != ""
		c.Password = ""
		c.MainURL, c.SubURL = redactStreamURL(c.MainURL), redactStreamURL(c.SubURL)
		d.Camera, d.Enabled = c, c.Enabled
		d.QuotaGB = strconv.FormatFloat(float64(c.QuotaBytes)/1e9, 'f', -1, 64)
		v.Title = v.T("camera.edit_title")
	}
	v.Data = d
	return "camera_form", nil
}

// cameraSearchText is what the list's filter box matches, lower-cased.
func cameraSearchText(parts ...string) string {
	return strings.ToLower(strings.Join(parts, " "))
}

func redactStreamURL(u string) string {
	if u == "" {
		return ""
	}
	return secret.RedactURL(u)
}
