package web

import (
	"net/http"
	"slices"

	"matthan"
)

// accountMessages are the texts of the account page (keys "account.…").
var accountMessages = map[string][2]string{
	"account.title":          {"Tài khoản của tôi", "My account"},
	"account.name":           {"Tên đăng nhập", "User name"},
	"account.role":           {"Vai trò", "Role"},
	"account.created":        {"Tạo lúc", "Created"},
	"account.password":       {"Đổi mật khẩu", "Change password"},
	"account.current":        {"Mật khẩu hiện tại", "Current password"},
	"account.new":            {"Mật khẩu mới", "New password"},
	"account.repeat":         {"Nhập lại mật khẩu mới", "Repeat the new password"},
	"account.mismatch":       {"Hai lần nhập mật khẩu mới không khớp", "The two new passwords differ"},
	"account.change":         {"Đổi mật khẩu", "Change password"},
	"account.changed":        {"Đã đổi mật khẩu; các phiên đăng nhập khác đã bị đăng xuất.", "Password changed; your other sessions were signed out."},
	"account.sessions":       {"Phiên đăng nhập", "Sessions"},
	"account.revoke_help":    {"Đăng xuất khỏi mọi trình duyệt và thiết bị, kể cả trình duyệt này (ví dụ khi quên đăng xuất ở máy trực chung).", "Sign out of every browser and device, this one included (e.g. after forgetting to sign out on a shared duty computer)."},
	"account.revoke":         {"Đăng xuất ở mọi nơi", "Sign out everywhere"},
	"account.revoke_q":       {"Đăng xuất khỏi mọi trình duyệt và thiết bị?", "Sign out of every browser and device?"},
	"account.tokens":         {"Mã truy cập API", "API tokens"},
	"account.tokens_help":    {"Cho phần mềm khác gọi API thay bạn (tiêu đề Authorization: Bearer …). Mã chỉ hiện một lần khi tạo.", "Let other software call the API as you (header Authorization: Bearer …). A token is shown once, when made."},
	"account.token_name":     {"Tên gợi nhớ", "Name"},
	"account.token_scopes":   {"Phạm vi", "Scopes"},
	"account.token_expires":  {"Thời hạn", "Lifetime"},
	"account.token_never":    {"Không hết hạn", "Never expires"},
	"account.token_created":  {"Tạo lúc", "Created"},
	"account.token_used":     {"Dùng lần cuối", "Last used"},
	"account.token_unused":   {"Chưa dùng", "Not yet"},
	"account.token_make":     {"Tạo mã truy cập", "Make a token"},
	"account.token_new":      {"Mã truy cập mới (hãy sao chép ngay; sẽ không hiện lại):", "The new token (copy it now; it will not be shown again):"},
	"account.token_revoke":   {"Thu hồi", "Revoke"},
	"account.token_revoke_q": {"Thu hồi mã truy cập «%s»?", "Revoke the token “%s”?"},
	"account.token_none":     {"Chưa có mã truy cập nào", "No tokens yet"},
	"account.loading":        {"Đang tải…", "Loading…"},
	"account.days30":         {"30 ngày", "30 days"},
	"account.days90":         {"90 ngày", "90 days"},
	"account.days365":        {"1 năm", "1 year"},
	"account.scope.read":     {"đọc danh mục", "read the registry"},
	"account.scope.live":     {"xem trực tiếp", "live video"},
	"account.scope.playback": {"xem lại", "playback"},
	"account.scope.export":   {"trích xuất", "export"},
	"account.scope.admin":    {"quản trị", "administration"},

	"account.alerts":           {"Cảnh báo tôi nhận", "Alerts I receive"},
	"account.alerts_help":      {"Chọn sự kiện phân tích nào hiện thành cảnh báo trên màn hình của bạn. Trang sự kiện vẫn liệt kê mọi sự kiện.", "Choose which analytics events alert you on your screen. The events page still lists every event."},
	"account.alerts_types":     {"Loại sự kiện", "Event types"},
	"account.alerts_areas":     {"Khu vực", "Areas"},
	"account.alerts_no_areas":  {"Chưa có camera nào ghi khu vực", "No camera has an area yet"},
	"account.alerts_severity":  {"Mức độ tối thiểu", "Minimum severity"},
	"account.alerts_quiet":     {"Giờ yên lặng (giờ Việt Nam, để trống nếu không dùng)", "Quiet hours (Vietnam time; leave empty for none)"},
	"account.alerts_from":      {"Từ", "From"},
	"account.alerts_to":        {"Đến", "To"},
	"account.alerts_desktop":   {"Thông báo trên màn hình máy tính", "Desktop notifications"},
	"account.alerts_cameras":   {"Ngoài ra còn nhận từ các camera đã chọn qua API:", "Also from the cameras chosen through the API:"},
	"account.alerts_save":      {"Lưu cài đặt cảnh báo", "Save alert settings"},
	"account.alerts_saved":     {"Đã lưu cài đặt cảnh báo.", "Alert settings saved."},
	"account.alerts_need_type": {"Hãy chọn ít nhất một loại sự kiện", "Choose at least one event type"},
	"account.alerts_need_area": {"Hãy chọn ít nhất một khu vực", "Choose at least one area"},
}

func (s *Server) accountRoutes(mux *http.ServeMux) {
	mux.Handle("GET /account", s.signedIn(anyRole, s.accountPage))
}

// accountData is who is signed in, the scopes a token of theirs may get
// and, for those who hear of analytics events, their alert choices.
type accountData struct {
	Created string
	Scopes  matthan.Scopes
	Alerts  *alertsForm // nil for a viewer
}

// alertsForm is the "Alerts I receive" form, filled with the user's
// subscription. An empty list in the subscription means all, so every box
// is ticked; the script sends an empty list back when all are ticked.
type alertsForm struct {
	Types, Areas, Severities []alertChoice
	Sub                      *matthan.AlertSubscription // the script keeps its Cameras as they are
}

// alertChoice is one checkbox or option, already translated.
type alertChoice struct {
	Value, Label string
	Checked      bool
}

func (s *Server) accountPage(r *http.Request, v *view) (string, error) {
	d := accountData{Scopes: matthan.RoleScopes(v.User.Role)}
	if !v.User.CreatedAt.IsZero() {
		d.Created = matthan.FormatLocal(v.User.CreatedAt)
	}
	if canPlayBack(v.User.Role) {
		form, err := s.alertsForm(r, v)
		if err != nil {
			return "", err
		}
		d.Alerts = form
	}
	v.Title, v.Data = v.T("account.title"), d
	return "account", nil
}

func (s *Server) alertsForm(r *http.Request, v *view) (*alertsForm, error) {
	sub := s.alertSubscription(r.Context(), v.User.Name)
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return nil, err
	}
	// The ward's areas, and any the user chose that no camera has now
	// (so a save does not drop them unseen).
	areas := slices.Clone(sub.Areas)
	for _, c := range cams {
		if c.Area != "" {
			areas = append(areas, c.Area)
		}
	}
	slices.Sort(areas)
	f := &alertsForm{Sub: sub}
	for _, a := range slices.Compact(areas) {
		f.Areas = append(f.Areas, alertChoice{Value: a, Label: a, Checked: len(sub.Areas) == 0 || slices.Contains(sub.Areas, a)})
	}
	for _, t := range matthan.EventTypes {
		f.Types = append(f.Types, alertChoice{Value: string(t), Label: v.T("alert.type." + string(t)),
			Checked: len(sub.Types) == 0 || slices.Contains(sub.Types, t)})
	}
	for _, sev := range matthan.Severities {
		f.Severities = append(f.Severities, alertChoice{Value: string(sev), Label: v.T("review.sev." + string(sev)),
			Checked: sub.MinSeverity == sev})
	}
	return f, nil
}
