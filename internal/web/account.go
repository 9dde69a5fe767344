package web

import (
	"net/http"

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
}

func (s *Server) accountRoutes(mux *http.ServeMux) {
	mux.Handle("GET /account", s.signedIn(anyRole, s.accountPage))
}

// accountData is who is signed in and the scopes a token of theirs may get.
type accountData struct {
	Created string
	Scopes  matthan.Scopes
}

func (s *Server) accountPage(r *http.Request, v *view) (string, error) {
	d := accountData{Scopes: matthan.RoleScopes(v.User.Role)}
	if !v.User.CreatedAt.IsZero() {
		d.Created = matthan.FormatLocal(v.User.CreatedAt)
	}
	v.Title, v.Data = v.T("account.title"), d
	return "account", nil
}
