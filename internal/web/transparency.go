package web

import (
	"fmt"
	"net/http"

	"matthan"
)

// transparencyMessages are the texts of the public page (keys
// "transparency.…").
var transparencyMessages = map[string][2]string{
	"transparency.title":           {"Minh bạch xã hội hóa", "Donations: where the money went"},
	"transparency.intro":           {"Số tiền và hiện vật bà con, doanh nghiệp đóng góp cho mạng camera an ninh của phường, đã chi vào đâu, và camera nào đang hoạt động.", "What residents and businesses gave for the ward's security cameras, how it was spent, and which cameras are working."},
	"transparency.unavailable":     {"Chưa có số liệu xã hội hóa.", "No donation figures are published yet."},
	"transparency.raised":          {"Tổng đã nhận", "Total raised"},
	"transparency.spent":           {"Tổng đã chi", "Total spent"},
	"transparency.balance":         {"Còn lại", "Balance"},
	"transparency.donations":       {"khoản đóng góp từ", "donations from"},
	"transparency.donors":          {"nhà tài trợ", "donors"},
	"transparency.equipment":       {"gồm hiện vật trị giá ước tính", "including equipment worth an estimated"},
	"transparency.cameras":         {"Camera được tài trợ", "Cameras funded"},
	"transparency.working":         {"Đang hoạt động", "Working"},
	"transparency.not_working":     {"Tạm ngưng hoạt động", "Not working now"},
	"transparency.working_n":       {"đang hoạt động", "working"},
	"transparency.camera":          {"Camera", "Camera"},
	"transparency.area":            {"Khu vực", "Area"},
	"transparency.state":           {"Tình trạng", "State"},
	"transparency.funded":          {"Được tài trợ", "Funded"},
	"transparency.cost":            {"Đã chi", "Spent"},
	"transparency.by_area":         {"Theo khu vực", "By area"},
	"transparency.general":         {"Quỹ chung của phường", "The ward's general fund"},
	"transparency.removed":         {"Camera đã gỡ", "Removed cameras"},
	"transparency.n_cameras":       {"Số camera", "Cameras"},
	"transparency.gifts":           {"Danh sách đóng góp", "Donations"},
	"transparency.date":            {"Ngày", "Date"},
	"transparency.donor":           {"Người/đơn vị đóng góp", "Donor"},
	"transparency.gift":            {"Đóng góp", "Gift"},
	"transparency.none":            {"Chưa có khoản đóng góp nào.", "No donations yet."},
	"transparency.no_cameras":      {"Chưa có camera nào được tài trợ.", "No camera has been funded yet."},
	"transparency.map":             {"Bản đồ camera được tài trợ", "Map of the funded cameras"},
	"transparency.map_note":        {"Vị trí camera trên nền trơn cùng ranh giới khu vực; trang này không có hình ảnh camera.", "Camera places on a plain background with area outlines; this page shows no video."},
	"transparency.updated":         {"Số liệu lúc", "Figures as of"},
	"transparency.signin":          {"Đăng nhập cho cán bộ", "Staff sign-in"},
	"transparency.anon.household":  {"Hộ gia đình ẩn danh", "Anonymous household"},
	"transparency.anon.individual": {"Cá nhân ẩn danh", "Anonymous individual"},
	"transparency.anon.other":      {"Nhà hảo tâm ẩn danh", "Anonymous donor"},
}

// transparencyData is the public page: totals, areas, the funded cameras
// and the donors' names (or "anonymous"), never a contact, an address, an
// internal note or a video.
type transparencyData struct {
	Available bool
	Ward      string
	Totals    totalsView
	HasEquip  bool
	Areas     []publicArea
	Cameras   []publicCamera
	Working   int
	Gifts     []publicGift
	Map       publicMap
	Updated   string
}

type publicArea struct {
	Name, Raised, Spent string
	Cameras             int
}

type publicCamera struct {
	Name, Area, Raised, Spent string
	Working                   bool
}

type publicGift struct {
	Date, Donor, Kind, Amount, What string
}

// publicMap goes into the page as JSON for transparency.js.
type publicMap struct {
	Cameras []publicMapCamera `json:"cameras"`
}

type publicMapCamera struct {
	Name      string  `json:"name"`
	Area      string  `json:"area"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Working   bool    `json:"working"`
}

// handleTransparency serves /transparency to anyone, signed in or not.
func (s *Server) handleTransparency(w http.ResponseWriter, r *http.Request) {
	var u *matthan.User
	if s.deps.User != nil {
		u, _ = s.deps.User(r) // only for the header; the page is the same for all
	}
	v := s.newView(w, r, u)
	v.Title = v.T("transparency.title")
	d, err := s.transparency(r, v)
	if err != nil {
		s.renderErr(w, r, v, err)
		return
	}
	v.Data = d
	s.render(w, r, "transparency", v)
}

func (s *Server) transparency(r *http.Request, v *view) (*transparencyData, error) {
	d := &transparencyData{Updated: matthan.FormatLocal(s.now()), Map: publicMap{Cameras: []publicMapCamera{}}}
	if s.deps.Donations != nil {
		d.Ward = s.deps.Donations.Ward
	}
	st := s.ledgerStore()
	if st == nil {
		return d, nil
	}
	d.Available = true
	ctx := r.Context()
	tot, err := st.LedgerTotals(ctx, matthan.LedgerFilter{})
	if err != nil {
		return nil, err
	}
	d.Totals, d.HasEquip = totalsOf(tot), tot.EquipmentVND > 0
	for _, a := range tot.Areas {
		name := a.Area
		if name == "" {
			name = v.T("transparency.general")
			if a.Cameras > 0 {
				name = v.T("transparency.removed")
			}
		}
		d.Areas = append(d.Areas, publicArea{Name: name, Raised: matthan.FormatVND(a.RaisedVND), Spent: matthan.FormatVND(a.SpentVND), Cameras: a.Cameras})
	}
	for _, ct := range tot.Cameras {
		c, err := s.deps.Store.Camera(ctx, ct.CameraID)
		if matthan.ErrorCode(err) == matthan.ENOTFOUND {
			continue // removed: its money still counts in the totals
		} else if err != nil {
			return nil, fmt.Errorf("transparency: %w", err)
		}
		working := c.Enabled && streamInfoOf(c, matthan.StreamMain, s.statuses(c.ID)).State == matthan.StateStreaming
		if working {
			d.Working++
		}
		d.Cameras = append(d.Cameras, publicCamera{Name: c.Name, Area: c.Area, Working: working,
			Raised: matthan.FormatVND(ct.RaisedVND), Spent: matthan.FormatVND(ct.SpentVND)})
		d.Map.Cameras = append(d.Map.Cameras, publicMapCamera{Name: c.Name, Area: c.Area, Latitude: c.Latitude,
			Longitude: c.Longitude, Working: working})
	}
	gifts, err := st.Donations(ctx, matthan.LedgerFilter{Limit: 10000})
	if err != nil {
		return nil, err
	}
	for _, g := range gifts {
		name := g.Donor.Name
		if g.Donor.Anonymous {
			switch g.Donor.Kind {
			case matthan.DonorHousehold, matthan.DonorIndividual:
				name = v.T("transparency.anon." + string(g.Donor.Kind))
			default:
				name = v.T("transparency.anon.other")
			}
		}
		what := v.T("donation.kind." + string(g.Kind))
		if g.Equipment != "" {
			what += ": " + g.Equipment
		}
		d.Gifts = append(d.Gifts, publicGift{Date: matthan.FormatDate(g.Date), Donor: name,
			Kind: v.T("donation.donor." + string(g.Donor.Kind)), Amount: matthan.FormatVND(g.AmountVND), What: what})
	}
	return d, nil
}

// statuses are the live states of a camera's streams (none without a
// Status source: they show as connecting).
func (s *Server) statuses(id string) []matthan.StreamStatus {
	if s.deps.Status == nil {
		return nil
	}
	return s.deps.Status.Status(id)
}
