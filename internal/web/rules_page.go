package web

import (
	"fmt"
	"net/http"

	"matthan"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/analytics/rules"
)

// rulesMessages are the texts of the analytics settings pages (keys
// "rules.…"): the list of cameras with their rules in words, and the editor
// where officers draw zones, lines and masks on a camera's picture.
var rulesMessages = map[string][2]string{
	"nav.rules": {"Quy tắc", "Rules"},

	"rules.title":       {"Vùng và quy tắc phân tích", "Analytics zones and rules"},
	"rules.summary":     {"Mỗi camera được phân tích theo các vùng và quy tắc dưới đây. Camera chưa có cấu hình riêng dùng quy tắc mặc định.", "Each camera is analysed with the zones and rules below. A camera without its own settings uses the defaults."},
	"rules.camera":      {"Camera", "Camera"},
	"rules.area":        {"Khu vực", "Area"},
	"rules.in_force":    {"Quy tắc đang áp dụng", "Rules in force"},
	"rules.own":         {"Cấu hình riêng", "Own settings"},
	"rules.default":     {"Mặc định", "Defaults"},
	"rules.edit":        {"Vẽ vùng và sửa quy tắc", "Draw zones and edit rules"},
	"rules.none":        {"Không có quy tắc nào: chỉ kiểm tra phá hoại camera.", "No rules: only camera tampering is checked."},
	"rules.changed_by":  {"Sửa lần cuối bởi %s lúc %s", "Last changed by %s at %s"},
	"rules.off":         {"Máy chủ này chưa bật phân tích hình ảnh: quy tắc được lưu và áp dụng khi bật (analytics.enabled).", "Analytics is off on this node: rules are kept and apply once it is on (analytics.enabled)."},
	"rules.edit_title":  {"Vùng và quy tắc: %s", "Zones and rules: %s"},
	"rules.edit_help":   {"Chọn loại hình cần vẽ, đặt tên, rồi bấm lên ảnh để thêm từng điểm; bấm «Xong» để kết thúc. Tọa độ được lưu theo tỉ lệ khung hình nên vẫn đúng khi đổi độ phân giải.", "Choose what to draw, name it, then click on the picture to add each point; press “Done” to finish. Points are kept as fractions of the picture, so they hold when the resolution changes."},
	"rules.no_picture":  {"Chưa có hình đã ghi của camera này; vẫn có thể vẽ trên khung trống.", "No recorded picture of this camera yet; you can still draw on a blank frame."},
	"rules.picture_at":  {"Ảnh lúc", "Picture at"},
	"rules.draw":        {"Vẽ", "Draw"},
	"rules.draw.zone":   {"Vùng", "Zone"},
	"rules.draw.line":   {"Đường kẻ", "Line"},
	"rules.draw.mask":   {"Vùng bỏ qua chuyển động", "Region to ignore"},
	"rules.name":        {"Tên", "Name"},
	"rules.kind":        {"Loại vùng", "Zone kind"},
	"rules.direction":   {"Hướng cấm", "Forbidden direction"},
	"rules.start":       {"Bắt đầu vẽ", "Start drawing"},
	"rules.done":        {"Xong", "Done"},
	"rules.cancel":      {"Hủy", "Cancel"},
	"rules.hint.zone":   {"Bấm lên ảnh để thêm điểm (ít nhất 3), rồi bấm «Xong».", "Click on the picture to add points (3 or more), then press “Done”."},
	"rules.hint.line":   {"Bấm hai điểm A rồi B. Bên trái/phải tính khi đứng ở A nhìn về B.", "Click point A, then B. Left and right are seen standing at A looking at B."},
	"rules.need_name":   {"Hãy đặt tên trước khi vẽ", "Give it a name before drawing"},
	"rules.name_taken":  {"Tên này đã dùng", "This name is already used"},
	"rules.need_points": {"Cần ít nhất 3 điểm", "At least 3 points are needed"},
	"rules.zones":       {"Vùng", "Zones"},
	"rules.lines":       {"Đường kẻ", "Lines"},
	"rules.masks":       {"Vùng bỏ qua chuyển động", "Regions to ignore"},
	"rules.rules":       {"Quy tắc", "Rules"},
	"rules.add_rule":    {"Thêm quy tắc", "Add a rule"},
	"rules.choose":      {"— chọn —", "— choose —"},
	"rules.delete":      {"Xóa", "Delete"},
	"rules.empty":       {"Chưa có", "None yet"},
	"rules.described":   {"Quy tắc đã lưu, bằng lời", "Saved rules, in words"},
	"rules.save":        {"Lưu", "Save"},
	"rules.reset":       {"Về mặc định", "Back to the defaults"},
	"rules.reset_q":     {"Xóa cấu hình riêng và dùng quy tắc mặc định cho camera này?", "Remove this camera's own settings and use the defaults?"},
	"rules.saved":       {"Đã lưu. Phân tích camera đã chạy lại với quy tắc mới.", "Saved. The camera's analysis restarted with the new rules."},
	"rules.fix":         {"Hãy sửa các mục được đánh dấu", "Please correct the marked items"},
	"rules.back":        {"Về danh sách", "Back to the list"},
	"rules.unsaved":     {"Có thay đổi chưa lưu", "Unsaved changes"},

	"rules.kind.generic":    {"Vùng thường", "Generic"},
	"rules.kind.no_parking": {"Cấm đỗ xe", "No parking"},
	"rules.kind.no_dumping": {"Cấm đổ rác", "No dumping"},
	"rules.kind.gate":       {"Cổng / cửa", "Gate / door"},

	"rules.dir.left_to_right": {"Trái sang phải", "Left to right"},
	"rules.dir.right_to_left": {"Phải sang trái", "Right to left"},
	"rules.dir.both":          {"Cả hai hướng", "Both ways"},

	"rules.type.loitering":     {"Lảng vảng", "Loitering"},
	"rules.type.riders":        {"Xe chở nhiều người", "Several riders"},
	"rules.type.parking":       {"Đỗ xe sai quy định", "Illegal parking"},
	"rules.type.crowd":         {"Tụ tập đông người", "Crowd"},
	"rules.type.line_crossing": {"Vượt vạch theo hướng cấm", "Line crossing"},
	"rules.type.dumping":       {"Đổ rác trái phép", "Rubbish dumping"},
	"rules.type.lapse":         {"Sơ hở an ninh ban đêm (nhắc chủ nhà)", "Security lapse at night (owner reminder)"},

	"rules.f.zone":       {"Vùng", "Zone"},
	"rules.f.any_zone":   {"Bất kỳ vùng nào", "Any zone"},
	"rules.f.whole":      {"Toàn khung hình", "Whole picture"},
	"rules.f.line":       {"Đường kẻ", "Line"},
	"rules.f.min_stay":   {"Ở lại quá (phút)", "Stays longer than (minutes)"},
	"rules.f.park_stay":  {"Đỗ quá (phút)", "Stands longer than (minutes)"},
	"rules.f.min_riders": {"Số người trên xe từ", "Riders, at least"},
	"rules.f.min_frames": {"Thấy trong số khung hình", "Seen on frames"},
	"rules.f.more_than":  {"Số người hơn", "More people than"},
	"rules.f.for":        {"Kéo dài (giây)", "For (seconds)"},
	"rules.f.left_for":   {"Vật lạ nằm lại quá (giây)", "Object left longer than (seconds)"},
	"rules.f.recent":     {"Có người/xe ở đó trong vòng (giây) trước", "Someone was there within (seconds) before"},
	"rules.f.open_for":   {"Cổng mở / xe để ngoài quá (phút)", "Gate open / bike outside longer than (minutes)"},
	"rules.f.during":     {"Thời gian áp dụng", "When"},
	"rules.f.severity":   {"Mức độ", "Severity"},
	"rules.f.from":       {"Từ", "From"},
	"rules.f.to":         {"Đến", "To"},

	"rules.when.always": {"Mọi lúc", "Always"},
	"rules.when.night":  {"Ban đêm (22:00–05:00)", "At night (22:00–05:00)"},
	"rules.when.noon":   {"Buổi trưa (11:30–13:30)", "At noon (11:30–13:30)"},
	"rules.when.both":   {"Ban đêm và buổi trưa", "At night and at noon"},
	"rules.when.custom": {"Khung giờ khác", "Other hours"},

	"rules.sev.":        {"Mặc định của quy tắc", "The rule's default"},
	"rules.sev.info":    {"Thông tin", "Info"},
	"rules.sev.warning": {"Cảnh báo", "Warning"},
	"rules.sev.alarm":   {"Báo động", "Alarm"},
}

func (s *Server) rulesRoutes(mux *http.ServeMux) {
	mux.Handle("GET /rules", s.signedIn(canPlayBack, s.rulesPage))
	mux.Handle("GET /rules/{id}", s.signedIn(canPlayBack, s.rulesEditPage))
}

// rulesRow is one camera in the list, with its rules in the page's words.
type rulesRow struct {
	*matthan.Camera
	Own       bool
	Described []string
	Changed   string // "by X at …", or ""
}

// cameraSettings returns a camera's settings as the pipeline will use them,
// and the stored row (nil for the defaults).
func (s *Server) cameraSettings(r *http.Request, id string) (pipeline.Settings, *matthan.AnalyticsSettings, error) {
	if s.deps.AnalyticsSettings == nil {
		return pipeline.DefaultSettings(), nil, nil
	}
	stored, err := s.deps.AnalyticsSettings.AnalyticsSettings(r.Context(), id)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		return pipeline.DefaultSettings(), nil, nil
	}
	if err != nil {
		return pipeline.Settings{}, nil, err
	}
	set, err := pipeline.ParseSettings(stored.Settings)
	return set, stored, err
}

func describe(v *view, ts []rules.Text) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.EN
		if v.Lang == "vi" {
			out[i] = t.VI
		}
	}
	return out
}

func (s *Server) rulesPage(r *http.Request, v *view) (string, error) {
	cams, err := s.deps.Store.Cameras(r.Context(), matthan.CameraFilter{})
	if err != nil {
		return "", fmt.Errorf("rules: cameras: %w", err)
	}
	rows := make([]rulesRow, 0, len(cams))
	for _, c := range cams {
		set, stored, err := s.cameraSettings(r, c.ID)
		if err != nil {
			return "", fmt.Errorf("rules of %s: %w", c.ID, err)
		}
		row := rulesRow{Camera: c, Own: stored != nil, Described: describe(v, set.Describe())}
		if stored != nil {
			row.Changed = fmt.Sprintf(v.T("rules.changed_by"), stored.UpdatedBy, matthan.FormatLocal(stored.UpdatedAt))
		}
		rows = append(rows, row)
	}
	v.Title, v.Data = v.T("rules.title"), struct {
		Rows []rulesRow
		Off  bool
	}{rows, !s.deps.AnalyticsOn}
	return "rules", nil
}

// rulesEditData is the editor: the camera, and the choices its forms offer.
type rulesEditData struct {
	Camera     *matthan.Camera
	Stream     matthan.StreamRole // whose picture is drawn on
	Kinds      []rules.ZoneKind
	Directions []rules.Crossing
	Types      []string
	Severities []matthan.Severity
	Off        bool
}

func (s *Server) rulesEditPage(r *http.Request, v *view) (string, error) {
	c, err := s.deps.Store.Camera(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	// Zones are drawn on the stream analytics looks at.
	stream := matthan.StreamSub
	if c.StreamURL(matthan.StreamSub) == "" && c.Source == matthan.SourcePull {
		stream = matthan.StreamMain
	}
	v.Title = fmt.Sprintf(v.T("rules.edit_title"), c.Name)
	v.Data = &rulesEditData{Camera: c, Stream: stream,
		Kinds:      []rules.ZoneKind{rules.Generic, rules.NoParking, rules.NoDumping, rules.Gate},
		Directions: []rules.Crossing{rules.LeftToRight, rules.RightToLeft, rules.Both},
		Types:      []string{"loitering", "riders", "parking", "crowd", "line_crossing", "dumping", "lapse"},
		Severities: matthan.Severities, Off: !s.deps.AnalyticsOn}
	return "rules_edit", nil
}
