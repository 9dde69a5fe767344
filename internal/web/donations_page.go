package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"matthan"
)

// Donations is what the donation pages need: the ledger and the ward's
// name for the public page's title.
type Donations struct {
	Store matthan.DonationStore
	Ward  string // e.g. "Phường An Bình"
}

// donationMessages are the texts of the ledger page (keys "donation.…").
var donationMessages = map[string][2]string{
	"nav.donations": {"Xã hội hóa", "Donations"},

	"donation.title":         {"Sổ đóng góp xã hội hóa", "Donation ledger"},
	"donation.summary":       {"Tiền và hiện vật người dân, doanh nghiệp đóng góp cho camera, cùng chi phí của từng camera.", "Money and equipment that people and businesses gave for the cameras, and what each camera cost."},
	"donation.unavailable":   {"Máy chủ này chưa bật sổ đóng góp xã hội hóa.", "This node keeps no donation ledger."},
	"donation.year":          {"Năm", "Year"},
	"donation.area":          {"Khu vực", "Area"},
	"donation.all":           {"Tất cả", "All"},
	"donation.filter":        {"Lọc", "Filter"},
	"donation.raised":        {"Tổng đã nhận", "Total raised"},
	"donation.money":         {"Tiền mặt / chuyển khoản", "Money"},
	"donation.equipment_v":   {"Hiện vật (ước tính)", "Equipment (estimated)"},
	"donation.spent":         {"Tổng đã chi", "Total spent"},
	"donation.balance":       {"Còn lại", "Balance"},
	"donation.count":         {"khoản đóng góp", "donations"},
	"donation.donors":        {"nhà tài trợ", "donors"},
	"donation.ledger":        {"Các khoản đóng góp", "Donations"},
	"donation.costs":         {"Chi phí camera", "Camera costs"},
	"donation.none":          {"Chưa có khoản đóng góp nào.", "No donations yet."},
	"donation.no_costs":      {"Chưa có khoản chi nào.", "No costs yet."},
	"donation.date":          {"Ngày", "Date"},
	"donation.receipt":       {"Số phiếu thu", "Receipt no."},
	"donation.donor":         {"Người/đơn vị đóng góp", "Donor"},
	"donation.what":          {"Đóng góp", "Gift"},
	"donation.funded":        {"Dùng cho", "Funded"},
	"donation.actions":       {"Thao tác", "Actions"},
	"donation.letter":        {"Thư cảm tạ", "Thank-you letter"},
	"donation.edit":          {"Sửa", "Edit"},
	"donation.delete":        {"Xóa", "Delete"},
	"donation.delete_q":      {"Xóa khoản đóng góp có phiếu thu %s khỏi sổ?", "Delete the donation with receipt %s from the ledger?"},
	"donation.cost_delete_q": {"Xóa khoản chi này khỏi sổ?", "Delete this cost from the ledger?"},
	"donation.anonymous":     {"ẩn danh trên trang công khai", "anonymous on the public page"},
	"donation.camera":        {"Camera", "Camera"},
	"donation.amount":        {"Số tiền", "Amount"},
	"donation.invoice":       {"Số hóa đơn", "Invoice no."},
	"donation.note":          {"Ghi chú", "Note"},
	"donation.public":        {"Trang công khai", "Public page"},

	"donation.form.new":       {"Thêm khoản đóng góp", "Add a donation"},
	"donation.form.edit":      {"Sửa khoản đóng góp", "Edit the donation"},
	"donation.form.cost":      {"Thêm khoản chi cho camera", "Add a camera cost"},
	"donation.form.save":      {"Lưu", "Save"},
	"donation.form.cancel":    {"Hủy sửa", "Cancel editing"},
	"donation.form.saved":     {"Đã lưu.", "Saved."},
	"donation.f.donor_kind":   {"Loại nhà tài trợ", "Donor kind"},
	"donation.f.donor_name":   {"Tên người/đơn vị đóng góp", "Donor's name"},
	"donation.f.address":      {"Địa chỉ", "Address"},
	"donation.f.contact":      {"Điện thoại hoặc e-mail", "Phone or e-mail"},
	"donation.f.anonymous":    {"Không nêu tên trên trang công khai", "Do not name them on the public page"},
	"donation.f.kind":         {"Hình thức", "Kind"},
	"donation.f.amount":       {"Số tiền hoặc giá trị ước tính (đồng)", "Amount or estimated value (đồng)"},
	"donation.f.equipment":    {"Hiện vật (nếu tặng thiết bị)", "Equipment (when equipment was given)"},
	"donation.f.date":         {"Ngày đóng góp", "Date given"},
	"donation.f.purpose":      {"Mục đích", "Purpose"},
	"donation.f.cameras":      {"Camera được tài trợ", "Cameras funded"},
	"donation.f.cameras_help": {"Giữ Ctrl để chọn nhiều camera.", "Hold Ctrl to choose several cameras."},
	"donation.f.works":        {"Hạng mục khác", "Other works"},
	"donation.f.receipt":      {"Số phiếu thu", "Receipt number"},
	"donation.f.note":         {"Ghi chú nội bộ", "Internal note"},
	"donation.f.cost_kind":    {"Loại chi", "Kind of cost"},
	"donation.f.invoice":      {"Số hóa đơn / chứng từ", "Invoice or receipt no."},

	"donation.kind.money":     {"Tiền", "Money"},
	"donation.kind.equipment": {"Hiện vật", "Equipment"},

	"donation.donor.household":    {"Hộ gia đình", "Household"},
	"donation.donor.individual":   {"Cá nhân", "Individual"},
	"donation.donor.company":      {"Doanh nghiệp", "Company"},
	"donation.donor.organisation": {"Tổ chức, đoàn thể", "Organisation"},
	"donation.donor.school":       {"Trường học", "School"},
	"donation.donor.agency":       {"Cơ quan", "Agency"},

	"donation.cost.purchase":     {"Mua sắm", "Purchase"},
	"donation.cost.installation": {"Lắp đặt", "Installation"},
	"donation.cost.upkeep":       {"Duy tu hằng năm", "Yearly upkeep"},
}

func (s *Server) donationRoutes(mux *http.ServeMux) {
	mux.Handle("GET /donations", s.signedIn(canPlayBack, s.donationsPage))
	mux.HandleFunc("GET /transparency", s.handleTransparency) // public: no sign-in
}

// ledgerStore is the donation ledger, or nil when the node keeps none.
func (s *Server) ledgerStore() matthan.DonationStore {
	if s.deps.Donations == nil {
		return nil
	}
	return s.deps.Donations.Store
}

// choice is one option of a select, already translated.
type choice struct {
	Value, Label string
	Selected     bool
}

type donationsData struct {
	Available                    bool
	CanEdit                      bool
	Years                        []choice
	Areas                        []choice
	Totals                       totalsView
	Donations                    []donationRow
	Costs                        []costRow
	Cameras                      []choice // for the forms: ID and "name (area)"
	DonorKinds, Kinds, CostKinds []choice
	Today                        string // YYYY-MM-DD in Vietnam, the date fields' default
}

type totalsView struct {
	Raised, Money, Equipment, Spent, Balance string
	Donations, Donors                        int
}

type donationRow struct {
	ID                                        int64
	Date, Receipt, Donor, DonorKind, Address  string
	Contact, Kind, Amount, Equipment, Purpose string
	Works, Note                               string
	Anonymous                                 bool
	Cameras                                   []string // names
}

type costRow struct {
	ID                                        int64
	Date, Camera, Kind, Amount, Invoice, Note string
}

func totalsOf(t *matthan.LedgerTotals) totalsView {
	return totalsView{Raised: matthan.FormatVND(t.RaisedVND), Money: matthan.FormatVND(t.MoneyVND),
		Equipment: matthan.FormatVND(t.EquipmentVND), Spent: matthan.FormatVND(t.SpentVND),
		Balance: matthan.FormatVND(t.RaisedVND - t.SpentVND), Donations: t.Donations, Donors: t.Donors}
}

// ledgerFilter reads ?year=&area= leniently: a bad year shows every year.
func ledgerFilter(r *http.Request) matthan.LedgerFilter {
	f := matthan.LedgerFilter{Area: strings.TrimSpace(r.URL.Query().Get("area")), Limit: 10000}
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y >= 1990 && y <= 2199 {
		f.Year = y
	}
	return f
}

// ledgerYears are the years the ledger has entries for, newest first,
// with the current year.
func (s *Server) ledgerYears(ctx context.Context, st matthan.DonationStore) ([]int, error) {
	years := []int{s.now().In(matthan.Vietnam).Year()}
	ds, err := st.Donations(ctx, matthan.LedgerFilter{Limit: 10000})
	if err != nil {
		return nil, err
	}
	cs, err := st.CameraCosts(ctx, matthan.LedgerFilter{Limit: 10000})
	if err != nil {
		return nil, err
	}
	add := func(date string) {
		if y, err := strconv.Atoi(date[:min(4, len(date))]); err == nil && !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	for _, d := range ds {
		add(d.Date)
	}
	for _, c := range cs {
		add(c.Date)
	}
	slices.Sort(years)
	slices.Reverse(years)
	return years, nil
}

func (s *Server) donationsPage(r *http.Request, v *view) (string, error) {
	v.Title = v.T("donation.title")
	d := &donationsData{CanEdit: v.User.Role == matthan.RoleAdmin}
	v.Data = d
	st := s.ledgerStore()
	if st == nil {
		return "donations", nil
	}
	d.Available = true
	ctx := r.Context()
	f := ledgerFilter(r)

	cams, err := s.deps.Store.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		return "", fmt.Errorf("donations: cameras: %w", err)
	}
	names := map[string]string{}
	var areas []string
	for _, c := range cams {
		names[c.ID] = c.Name
		d.Cameras = append(d.Cameras, choice{Value: c.ID, Label: c.Name + " (" + c.Area + ")"})
		if c.Area != "" && !slices.Contains(areas, c.Area) {
			areas = append(areas, c.Area)
		}
	}
	slices.Sort(areas)
	for _, a := range areas {
		d.Areas = append(d.Areas, choice{Value: a, Label: a, Selected: a == f.Area})
	}
	years, err := s.ledgerYears(ctx, st)
	if err != nil {
		return "", err
	}
	for _, y := range years {
		d.Years = append(d.Years, choice{Value: strconv.Itoa(y), Label: strconv.Itoa(y), Selected: y == f.Year})
	}
	tot, err := st.LedgerTotals(ctx, f)
	if err != nil {
		return "", err
	}
	d.Totals = totalsOf(tot)

	list, err := st.Donations(ctx, f)
	if err != nil {
		return "", err
	}
	for _, x := range list {
		row := donationRow{ID: x.ID, Date: matthan.FormatDate(x.Date), Receipt: x.ReceiptNo, Donor: x.Donor.Name,
			DonorKind: v.T("donation.donor." + string(x.Donor.Kind)), Address: x.Donor.Address, Contact: x.Donor.Contact,
			Kind: v.T("donation.kind." + string(x.Kind)), Amount: matthan.FormatVND(x.AmountVND), Equipment: x.Equipment,
			Purpose: x.Purpose, Works: x.Works, Note: x.Note, Anonymous: x.Donor.Anonymous}
		for _, id := range x.Cameras {
			row.Cameras = append(row.Cameras, firstOf(names[id], id))
		}
		d.Donations = append(d.Donations, row)
	}
	costs, err := st.CameraCosts(ctx, f)
	if err != nil {
		return "", err
	}
	for _, c := range costs {
		d.Costs = append(d.Costs, costRow{ID: c.ID, Date: matthan.FormatDate(c.Date), Camera: firstOf(names[c.CameraID], c.CameraID),
			Kind: v.T("donation.cost." + string(c.Kind)), Amount: matthan.FormatVND(c.AmountVND), Invoice: c.InvoiceNo, Note: c.Note})
	}
	for _, k := range matthan.DonorKinds {
		d.DonorKinds = append(d.DonorKinds, choice{Value: string(k), Label: v.T("donation.donor." + string(k))})
	}
	for _, k := range []matthan.DonationKind{matthan.DonationMoney, matthan.DonationEquipment} {
		d.Kinds = append(d.Kinds, choice{Value: string(k), Label: v.T("donation.kind." + string(k))})
	}
	for _, k := range matthan.CostKinds {
		d.CostKinds = append(d.CostKinds, choice{Value: string(k), Label: v.T("donation.cost." + string(k))})
	}
	d.Today = s.now().In(matthan.Vietnam).Format("2006-01-02")
	return "donations", nil
}

// firstOf is the first of its arguments that is not "".
func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
