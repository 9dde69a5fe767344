package web

import (
	"html/template"
	"net/http"
	"strings"
)

// The screen speaks Vietnamese unless the user switched to English; the
// choice is kept in a cookie for a year, and ?lang=vi|en switches.
const langCookie = "matthan_lang"

func language(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q == "vi" || q == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/",
			MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "vi"
}

// translate returns the message of key in lang; a missing key shows itself,
// so a forgotten translation is visible rather than blank (a test walks
// every template for them).
func translate(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// scriptMessages returns the messages a page's scripts need (keys starting
// with prefix) in lang, for a JSON block in the page.
func scriptMessages(lang string, prefixes ...string) map[string]string {
	out := map[string]string{}
	for k := range messages {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out[k] = translate(lang, k)
			}
		}
	}
	return out
}

// funcs are the template functions every page may use.
var funcs = template.FuncMap{
	"js": func(lang string, prefixes ...string) map[string]string { return scriptMessages(lang, prefixes...) },
}

// messages maps a key to its Vietnamese and English text. Each page keeps
// its own keys, with its prefix, in its own file.
var messages = merge(commonMessages, wallMessages, mapMessages, healthMessages,
	playbackMessages, cameraMessages, accountMessages, eventsPageMessages, rulesMessages,
	reportMessages, exportMessages,
	donationMessages, transparencyMessages, portalMessages, reminderMessages, caseMessages, privacyMessages)

func merge(sets ...map[string][2]string) map[string][2]string {
	out := map[string][2]string{}
	for _, set := range sets {
		for k, v := range set {
			if _, dup := out[k]; dup {
				panic("web: message key defined twice: " + k)
			}
			out[k] = v
		}
	}
	return out
}

// commonMessages are used by the layout and by several pages.
var commonMessages = map[string][2]string{
	"app.name":     {"Mắt Thần", "Mắt Thần"},
	"app.tagline":  {"Mạng camera an ninh cộng đồng", "Community security cameras"},
	"nav.wall":     {"Tường video", "Video wall"},
	"nav.map":      {"Bản đồ", "Map"},
	"nav.playback": {"Xem lại", "Playback"},
	"nav.health":   {"Tình trạng camera", "Camera health"},
	"nav.cameras":  {"Quản lý camera", "Cameras"},
	"nav.account":  {"Tài khoản", "Account"},
	"nav.signout":  {"Đăng xuất", "Sign out"},
	"nav.lang":     {"English", "Tiếng Việt"},

	"role.admin":   {"Quản trị", "Administrator"},
	"role.officer": {"Cán bộ trực", "Officer on duty"},
	"role.viewer":  {"Người xem", "Viewer"},

	"login.title":    {"Đăng nhập", "Sign in"},
	"login.name":     {"Tên đăng nhập", "User name"},
	"login.password": {"Mật khẩu", "Password"},
	"login.submit":   {"Đăng nhập", "Sign in"},
	"login.failed":   {"Không đăng nhập được", "Could not sign in"},

	"alert.offline":     {"Camera mất kết nối", "Camera offline"},
	"alert.stalled":     {"Camera không có hình", "Camera has no picture"},
	"alert.auth":        {"Camera sai mật khẩu", "Camera password is wrong"},
	"alert.back":        {"Camera đã hoạt động trở lại", "Camera is back"},
	"alert.dismiss":     {"Đóng", "Dismiss"},
	"alert.since":       {"từ", "since"},
	"alert.notify_perm": {"Bật thông báo", "Turn on notifications"},

	"err.title":     {"Có lỗi", "Something went wrong"},
	"err.forbidden": {"Vai trò của bạn không được xem trang này", "Your role may not open this page"},
	"err.internal":  {"Lỗi nội bộ của máy chủ; chi tiết có trong nhật ký của nút", "Internal server error; the node's log has the details"},
	"err.back":      {"Về tường video", "Back to the video wall"},
	"err.network":   {"Không kết nối được máy chủ", "Cannot reach the server"},
}
