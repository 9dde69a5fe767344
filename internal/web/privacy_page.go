package web

import (
	"fmt"
	"net/http"

	"matthan"
)

// The privacy-mask editor (/privacy/{id}): the camera's owner or an officer
// draws the parts of its picture nobody may see (a neighbour's window).
// Exports and snapshots are re-encoded with them painted over; live view
// and playback draw them over the video. The page saves through the API,
// which checks again and audits each change where the owner sees it.

// privacyMessages are the editor's texts (keys "priv.…").
var privacyMessages = map[string][2]string{
	"priv.title":      {"Vùng che riêng tư", "Privacy masks"},
	"priv.intro":      {"Tô đen những phần hình không ai được xem, ví dụ cửa sổ nhà bên. Vùng che được tô đen trong video trích xuất và ảnh chụp, và che lên hình trực tiếp và khi xem lại.", "Black out the parts of the picture nobody may see, such as a neighbour's window. Masks are painted black in exported video and snapshots, and drawn over live view and playback."},
	"priv.help":       {"Bấm “Vẽ vùng mới”, bấm lên hình tại từng góc của vùng (ít nhất 3 góc), rồi bấm “Xong”.", "Press “Draw a new mask”, click each corner of the area on the picture (at least 3), then press “Done”."},
	"priv.picture_at": {"Hình ghi lúc", "Picture recorded at"},
	"priv.no_picture": {"Chưa có hình ghi của camera này: vẫn vẽ được trên khung trống.", "No recorded picture of this camera yet: you can still draw on the blank frame."},
	"priv.name":       {"Tên vùng", "Mask name"},
	"priv.name_def":   {"Vùng che", "Mask"},
	"priv.draw":       {"Vẽ vùng mới", "Draw a new mask"},
	"priv.done":       {"Xong", "Done"},
	"priv.cancel":     {"Hủy", "Cancel"},
	"priv.need3":      {"Cần ít nhất 3 góc", "At least 3 corners are needed"},
	"priv.list":       {"Các vùng che", "Masks"},
	"priv.none":       {"Chưa có vùng che nào", "No masks yet"},
	"priv.remove":     {"Xóa", "Remove"},
	"priv.save":       {"Lưu vùng che", "Save masks"},
	"priv.saved":      {"Đã lưu, có hiệu lực ngay", "Saved, in force now"},
	"priv.unsaved":    {"Có thay đổi chưa lưu", "Unsaved changes"},
	"priv.back_my":    {"Về trang camera của tôi", "Back to my cameras"},
	"priv.back_staff": {"Về danh sách camera", "Back to the cameras"},
	"priv.corners":    {"góc", "corners"},
}

func (s *Server) privacyRoutes(mux *http.ServeMux) {
	// Owners and officers both reach it; the page checks which camera.
	mux.Handle("GET /privacy/{id}", s.signedIn(maskEditors, s.privacyPage))
}

// maskEditors may draw masks: officers and admins on every camera, a
// contributor on their own.
func maskEditors(r matthan.Role) bool { return canPlayBack(r) || r == matthan.RoleContributor }

type privacyData struct {
	Camera  *matthan.Camera
	Owner   bool   // the signed-in contributor owns it
	SaveURL string // the API route that saves the masks
	// StillURL is the owner's picture to draw on; "" for staff, whose
	// script finds the latest recorded second (a masked, audited thumbnail).
	StillURL string
}

func (s *Server) privacyPage(r *http.Request, v *view) (string, error) {
	id := r.PathValue("id")
	c, err := s.deps.Store.Camera(r.Context(), id)
	owner := v.User.Role == matthan.RoleContributor
	if err != nil || (owner && c.Contributor != v.User.Name) {
		// A contributor learns nothing of other people's cameras.
		return "", matthan.Errorf(matthan.ENOTFOUND, fmt.Sprintf("No camera %q", id), fmt.Sprintf("Không có camera %q", id))
	}
	redact(c)
	d := &privacyData{Camera: c, Owner: owner, SaveURL: "/api/cameras/" + c.ID + "/privacy-masks"}
	if owner {
		d.SaveURL = "/api/my/cameras/" + c.ID + "/privacy-masks"
		d.StillURL = "/api/my/cameras/" + c.ID + "/still.jpg"
	}
	if d.Camera.PrivacyMasks == nil {
		d.Camera.PrivacyMasks = []matthan.PrivacyMask{}
	}
	v.Title, v.Data = v.T("priv.title")+": "+c.Name, d
	return "privacy", nil
}
