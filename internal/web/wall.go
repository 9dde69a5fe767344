package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"matthan"
)

// wallMessages are the texts of the wall page (keys "wall.…"). The state
// names ("wall.state.…") are shared with the map and the health page.
var wallMessages = map[string][2]string{
	"wall.title":         {"Tường video", "Video wall"},
	"wall.layout":        {"Số ô", "Tiles"},
	"wall.tiles":         {"ô", "tiles"},
	"wall.group":         {"Nhóm", "Group"},
	"wall.group.all":     {"Tất cả camera", "All cameras"},
	"wall.group.owner":   {"Theo chủ sở hữu", "By owner"},
	"wall.group.public":  {"Camera công cộng (phường)", "Public cameras (ward)"},
	"wall.group.contrib": {"Camera đóng góp (dân, cửa hàng…)", "Contributed cameras (homes, shops…)"},
	"wall.group.area":    {"Theo khu vực", "By area"},
	"wall.group.saved":   {"Bố cục đã lưu", "Saved layouts"},
	"wall.rotation":      {"Tự chuyển trang", "Rotate pages"},
	"wall.rotation.off":  {"Tắt", "Off"},
	"wall.seconds":       {"giây", "s"},
	"wall.prev":          {"Trang trước", "Previous page"},
	"wall.next":          {"Trang sau", "Next page"},
	"wall.page":          {"Trang", "Page"},
	"wall.new_layout":    {"Lưu bố cục…", "Save layout…"},
	"wall.edit_layout":   {"Sửa bố cục…", "Edit layout…"},
	"wall.dialog.new":    {"Lưu bố cục mới", "Save a new layout"},
	"wall.dialog.edit":   {"Sửa bố cục", "Edit layout"},
	"wall.layout_name":   {"Tên bố cục", "matthan.Layout name"},
	"wall.layout_cams":   {"Camera (đánh dấu và sắp xếp theo thứ tự hiển thị)", "Cameras (tick them and put them in wall order)"},
	"wall.save":          {"Lưu", "Save"},
	"wall.cancel":        {"Huỷ", "Cancel"},
	"wall.delete":        {"Xoá bố cục", "Delete layout"},
	"wall.confirm":       {"Bấm lần nữa để xoá", "Click again to delete"},
	"wall.up":            {"Lên", "Up"},
	"wall.down":          {"Xuống", "Down"},
	"wall.empty":         {"Không có camera nào trong nhóm này", "No camera in this group"},
	"wall.hint":          {"Nhấp đúp vào một ô để phóng to; nhấp đúp hoặc Esc để quay lại", "Double-click a tile to enlarge it; double-click or Esc to return"},
	"wall.back":          {"Quay lại tường video", "Back to the wall"},
	"wall.since":         {"từ", "since"},
	"wall.saved":         {"Đã lưu bố cục", "matthan.Layout saved"},
	"wall.deleted":       {"Đã xoá bố cục", "matthan.Layout deleted"},

	"wall.player.connecting":  {"Đang mở video…", "Opening video…"},
	"wall.player.unavailable": {"Không tải được trình phát video", "The video player could not be loaded"},
	"wall.player.error":       {"Không phát được video", "The video cannot play"},
	"wall.use_sub":            {"Xem luồng phụ", "Watch the sub-stream"},
	"wall.class.person":       {"người", "person"},
	"wall.class.bicycle":      {"xe đạp", "bicycle"},
	"wall.class.motorcycle":   {"xe máy", "motorbike"},
	"wall.class.car":          {"ô tô", "car"},
	"wall.class.bus":          {"xe buýt", "bus"},
	"wall.class.truck":        {"xe tải", "truck"},

	"wall.state.connecting":        {"Đang kết nối", "Connecting"},
	"wall.state.streaming":         {"Đang hoạt động", "Live"},
	"wall.state.stalled":           {"Không có hình", "No picture"},
	"wall.state.offline":           {"Mất kết nối", "Offline"},
	"wall.state.auth_failed":       {"Sai mật khẩu camera", "Camera password is wrong"},
	"wall.state.unsupported_codec": {"Định dạng video không hỗ trợ", "Unsupported video format"},
	"wall.state.bad_url":           {"Địa chỉ camera sai", "Camera address is wrong"},
	"wall.state.disabled":          {"Đã tắt", "Switched off"},

	"wall.err.signin":  {"Hãy đăng nhập lại", "Please sign in again"},
	"wall.err.csrf":    {"Mã bảo vệ của phiên không khớp; hãy tải lại trang", "The session's protection token does not match; reload the page"},
	"wall.err.body":    {"Dữ liệu gửi lên không đọc được", "The request body cannot be read"},
	"wall.err.id":      {"Mã bố cục không hợp lệ", "Invalid layout ID"},
	"wall.err.storage": {"Máy chủ này không lưu bố cục", "This server does not save layouts"},
}

// LayoutStore keeps each user's saved wall layouts; a user sees and changes
// only their own (another's is ENOTFOUND). internal/sqlite implements it.
type LayoutStore interface {
	Layouts(ctx context.Context, user string) ([]*matthan.Layout, error) // ordered by name
	CreateLayout(ctx context.Context, l *matthan.Layout) error           // sets ID; EINVALID, ECONFLICT on a name in use
	UpdateLayout(ctx context.Context, l *matthan.Layout) error           // by l.ID and l.User
	DeleteLayout(ctx context.Context, user string, id int64) error
}

func (s *Server) wallRoutes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.signedIn(staff, s.wallPage))
	mux.Handle("GET /ui/layouts", s.uiJSON(false, s.listLayouts))
	mux.Handle("POST /ui/layouts", s.uiJSON(true, s.createLayout))
	mux.Handle("PUT /ui/layouts/{id}", s.uiJSON(true, s.updateLayout))
	mux.Handle("DELETE /ui/layouts/{id}", s.uiJSON(true, s.deleteLayout))
}

// camInfo is a camera as the pages' scripts read it: the fields of the
// API's camera (GET /api/cameras) that the wall, the map and the health
// page use, under the same JSON names, so a refresh from the API replaces
// it. The owner's contact is left out: the pages do not need it.
type camInfo struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Area      string       `json:"area"`
	Address   string       `json:"address"`
	Latitude  float64      `json:"latitude"`
	Longitude float64      `json:"longitude"`
	Owner     ownerInfo    `json:"owner"`
	Enabled   bool         `json:"enabled"`
	Streams   []streamInfo `json:"streams"`
}

type ownerInfo struct {
	Kind matthan.OwnerKind `json:"kind"`
	Name string            `json:"name"`
}

type streamInfo struct {
	Role       matthan.StreamRole  `json:"role"`
	State      matthan.StreamState `json:"state"`
	Reason     string              `json:"reason"`
	ReasonVI   string              `json:"reason_vi"`
	Since      *time.Time          `json:"since"`
	FPS        float64             `json:"fps"`
	Bitrate    float64             `json:"bitrate"`
	Codec      string              `json:"codec"`
	Width      int                 `json:"width"`
	Height     int                 `json:"height"`
	Reconnects uint64              `json:"reconnects"`
}

// cameraInfos returns every camera, ordered by ID, with its streams' state.
func (s *Server) cameraInfos(ctx context.Context) ([]camInfo, error) {
	cams, err := s.deps.Store.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	out := make([]camInfo, 0, len(cams))
	for _, c := range cams {
		out = append(out, s.camInfo(c))
	}
	return out, nil
}

func (s *Server) camInfo(c *matthan.Camera) camInfo {
	info := camInfo{ID: c.ID, Name: c.Name, Area: c.Area, Address: c.Address, Latitude: c.Latitude,
		Longitude: c.Longitude, Owner: ownerInfo{Kind: c.Owner.Kind, Name: c.Owner.Name}, Enabled: c.Enabled}
	var statuses []matthan.StreamStatus
	if s.deps.Status != nil {
		statuses = s.deps.Status.Status(c.ID)
	}
	for _, role := range c.Roles() {
		info.Streams = append(info.Streams, streamInfoOf(c, role, statuses))
	}
	return info
}

// streamInfoOf is a stream's state as the API reports it, including the
// states ingest has not reported yet.
func streamInfoOf(c *matthan.Camera, role matthan.StreamRole, statuses []matthan.StreamStatus) streamInfo {
	for _, st := range statuses {
		if st.Role != role {
			continue
		}
		si := streamInfo{Role: role, State: st.State, Reason: st.Reason, ReasonVI: st.ReasonVI,
			FPS: st.Stats.FPS, Bitrate: st.Stats.Bitrate, Codec: st.Stats.Codec,
			Width: st.Stats.Width, Height: st.Stats.Height, Reconnects: st.Stats.Reconnects}
		if !st.Since.IsZero() {
			t := st.Since
			si.Since = &t
		}
		return si
	}
	if !c.Enabled {
		return streamInfo{Role: role, State: matthan.StateDisabled,
			Reason: "The camera is switched off in the registry", ReasonVI: "Camera đang bị tắt trong danh mục"}
	}
	return streamInfo{Role: role, State: matthan.StateConnecting,
		Reason: "Waiting for the first connection", ReasonVI: "Đang chờ kết nối lần đầu"}
}

// areasOf lists the cameras' areas, sorted, without duplicates or blanks.
func areasOf(cams []camInfo) []string {
	var out []string
	for _, c := range cams {
		if c.Area != "" && !slices.Contains(out, c.Area) {
			out = append(out, c.Area)
		}
	}
	slices.Sort(out)
	return out
}

// wallData is the wall page's data; Page goes into the page as JSON for
// wall.js.
type wallData struct {
	Areas     []string
	Sizes     []int
	Rotations []int
	Page      wallPageData
}

type wallPageData struct {
	Cameras     []camInfo         `json:"cameras"`
	Layouts     []*matthan.Layout `json:"layouts"`
	CanSave     bool              `json:"can_save"`
	CanPlayBack bool              `json:"can_play_back"`
}

func (s *Server) wallPage(r *http.Request, v *view) (string, error) {
	cams, err := s.cameraInfos(r.Context())
	if err != nil {
		return "", err
	}
	layouts := []*matthan.Layout{}
	if s.deps.Layouts != nil {
		if layouts, err = s.deps.Layouts.Layouts(r.Context(), v.User.Name); err != nil {
			return "", fmt.Errorf("layouts of %q: %w", v.User.Name, err)
		}
	}
	v.Title = v.T("wall.title")
	v.Data = wallData{Areas: areasOf(cams), Sizes: matthan.LayoutSizes, Rotations: matthan.LayoutRotations,
		Page: wallPageData{Cameras: cams, Layouts: layouts, CanSave: s.deps.Layouts != nil,
			CanPlayBack: canPlayBack(v.User.Role)}}
	return "wall", nil
}

// uiJSON wraps a small JSON route of the pages' scripts: a signed-in user
// is required, and a change must carry the session's CSRF token in the
// X-CSRF-Token header. Errors answer {"error": {...}} as the API does, so
// app.js's api() shows them in the user's language.
func (s *Server) uiJSON(change bool, h func(w http.ResponseWriter, r *http.Request, u *matthan.User) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.deps.User(r)
		if err != nil {
			s.writeJSONError(w, r, http.StatusUnauthorized, s.message(matthan.EUNAUTHORIZED, "wall.err.signin"))
			return
		}
		if change && !s.csrfOK(r) {
			s.writeJSONError(w, r, http.StatusForbidden, s.message(matthan.EFORBIDDEN, "wall.err.csrf"))
			return
		}
		if err := h(w, r, u); err != nil {
			var e *matthan.Error
			if !errors.As(err, &e) {
				s.log.ErrorContext(r.Context(), "ui request failed", "path", r.URL.Path, "err", err)
				s.writeJSONError(w, r, http.StatusInternalServerError, s.message(matthan.EINTERNAL, "err.internal"))
				return
			}
			status := map[string]int{matthan.EINVALID: http.StatusBadRequest, matthan.ENOTFOUND: http.StatusNotFound,
				matthan.ECONFLICT: http.StatusConflict, matthan.EFORBIDDEN: http.StatusForbidden}[e.Code]
			if status == 0 {
				status = http.StatusInternalServerError
			}
			s.writeJSONError(w, r, status, e)
		}
	})
}

// csrfOK reports whether the request carries its session's CSRF token.
// With no token source every change is refused.
func (s *Server) csrfOK(r *http.Request) bool {
	if s.deps.CSRFToken == nil {
		return false
	}
	want, got := s.deps.CSRFToken(r), r.Header.Get("X-CSRF-Token")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// message is an *Error with the two texts of a message key.
func (s *Server) message(code, key string) *matthan.Error {
	return matthan.Errorf(code, translate("en", key), translate("vi", key))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a failed write means the client left
}

func (s *Server) writeJSONError(w http.ResponseWriter, r *http.Request, status int, e *matthan.Error) {
	s.writeJSON(w, status, struct {
		Error *matthan.Error `json:"error"`
	}{e})
}

// layoutInput is the body of POST and PUT /ui/layouts.
type layoutInput struct {
	Name     string   `json:"name"`
	Size     int      `json:"size"`
	Cameras  []string `json:"cameras"`
	Rotation int      `json:"rotation"`
}

func (s *Server) layoutStore() (LayoutStore, error) {
	if s.deps.Layouts == nil {
		return nil, s.message(matthan.EFORBIDDEN, "wall.err.storage")
	}
	return s.deps.Layouts, nil
}

func (s *Server) readLayout(w http.ResponseWriter, r *http.Request, u *matthan.User) (*matthan.Layout, error) {
	var in layoutInput
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		return nil, s.message(matthan.EINVALID, "wall.err.body")
	}
	return &matthan.Layout{User: u.Name, Name: in.Name, Size: in.Size, Cameras: in.Cameras, Rotation: in.Rotation}, nil
}

func layoutID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, matthan.Errorf(matthan.EINVALID, translate("en", "wall.err.id"), translate("vi", "wall.err.id"))
	}
	return id, nil
}

func (s *Server) listLayouts(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	store, err := s.layoutStore()
	if err != nil {
		return err
	}
	ls, err := store.Layouts(r.Context(), u.Name)
	if err != nil {
		return fmt.Errorf("layouts of %q: %w", u.Name, err)
	}
	s.writeJSON(w, http.StatusOK, ls)
	return nil
}

func (s *Server) createLayout(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	store, err := s.layoutStore()
	if err != nil {
		return err
	}
	l, err := s.readLayout(w, r, u)
	if err != nil {
		return err
	}
	if err := store.CreateLayout(r.Context(), l); err != nil {
		return fmt.Errorf("create layout: %w", err)
	}
	s.writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) updateLayout(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	store, err := s.layoutStore()
	if err != nil {
		return err
	}
	id, err := layoutID(r)
	if err != nil {
		return err
	}
	l, err := s.readLayout(w, r, u)
	if err != nil {
		return err
	}
	l.ID = id
	if err := store.UpdateLayout(r.Context(), l); err != nil {
		return fmt.Errorf("update layout: %w", err)
	}
	s.writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) deleteLayout(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	store, err := s.layoutStore()
	if err != nil {
		return err
	}
	id, err := layoutID(r)
	if err != nil {
		return err
	}
	if err := store.DeleteLayout(r.Context(), u.Name, id); err != nil {
		return fmt.Errorf("delete layout: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
