package web

import (
	"net/http"
	"strings"
)

// mapMessages are the texts of the map page (keys "map.…").
var mapMessages = map[string][2]string{
	"map.title":             {"Bản đồ camera", "Camera map"},
	"map.area":              {"Khu vực", "Area"},
	"map.area.all":          {"Tất cả khu vực", "All areas"},
	"map.owner":             {"Chủ sở hữu", "Owner"},
	"map.owner.all":         {"Tất cả", "All"},
	"map.owner.public":      {"Công cộng (phường)", "Public (ward)"},
	"map.owner.contrib":     {"Đóng góp (dân, cửa hàng…)", "Contributed (homes, shops…)"},
	"map.status":            {"Trạng thái", "Status"},
	"map.status.all":        {"Tất cả", "All"},
	"map.status.streaming":  {"Đang hoạt động", "Live"},
	"map.status.down":       {"Có sự cố", "With a problem"},
	"map.status.connecting": {"Đang kết nối", "Connecting"},
	"map.status.disabled":   {"Đã tắt", "Switched off"},
	"map.zoom_in":           {"Phóng to", "Zoom in"},
	"map.zoom_out":          {"Thu nhỏ", "Zoom out"},
	"map.fit":               {"Xem tất cả camera", "Show every camera"},
	"map.plain":             {"Không có bản đồ nền: camera hiện trên nền trơn cùng ranh giới khu vực", "No base map: cameras are shown on a plain background with area outlines"},
	"map.tiles_failed":      {"Không tải được bản đồ nền: camera hiện trên nền trơn cùng ranh giới khu vực", "The base map could not be loaded: cameras are shown on a plain background with area outlines"},
	"map.no_location":       {"camera chưa có toạ độ:", "cameras have no location:"},
	"map.open_wall":         {"Xem trên tường video", "Open on the wall"},
	"map.open_playback":     {"Xem lại", "Play back"},
	"map.close":             {"Đóng", "Close"},
	"map.shown":             {"camera đang hiển thị", "cameras shown"},
	"map.base":              {"Bản đồ nền:", "Base map:"},
	"map.hint":              {"Kéo để di chuyển, cuộn chuột để phóng to, bấm vào camera để xem", "Drag to move, scroll to zoom, click a camera to watch it"},
}

func (s *Server) mapRoutes(mux *http.ServeMux) {
	mux.Handle("GET /map", s.signedIn(staff, s.mapPage))
}

// mapData is the map page's data; Page goes into the page as JSON, so the
// map draws the cameras at once, without waiting for the API.
type mapData struct {
	Areas    []string
	TileHost string // shown as the base map's credit
	Page     mapPageData
}

type mapPageData struct {
	Cameras     []camInfo `json:"cameras"`
	TileURL     string    `json:"tile_url"`
	CanPlayBack bool      `json:"can_play_back"`
}

func (s *Server) mapPage(r *http.Request, v *view) (string, error) {
	cams, err := s.cameraInfos(r.Context())
	if err != nil {
		return "", err
	}
	v.Title = v.T("map.title")
	v.Data = mapData{Areas: areasOf(cams), TileHost: tileHost(s.deps.TileURL),
		Page: mapPageData{Cameras: cams, TileURL: s.deps.TileURL, CanPlayBack: canPlayBack(v.User.Role)}}
	return "map", nil
}

// tileHost is the host of a tile URL template, to credit the base map.
func tileHost(tmpl string) string {
	_, rest, ok := strings.Cut(tmpl, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
