package matthan

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Donations (xã hội hóa): money or equipment that people and organisations
// give for the ward's cameras, and what each camera cost. The ledger is
// the ward's own record; a public page shows its totals (without contact
// details), and each donor is thanked with a letter.

// DonorKind says who gave.
type DonorKind string

const (
	DonorOrganisation DonorKind = "organisation" // association, union, club
	DonorHousehold    DonorKind = "household"
	DonorCompany      DonorKind = "company" // business, shop
	DonorSchool       DonorKind = "school"
	DonorAgency       DonorKind = "agency" // state body
	DonorIndividual   DonorKind = "individual"
)

// DonorKinds lists every donor kind, in display order.
var DonorKinds = []DonorKind{DonorHousehold, DonorIndividual, DonorCompany, DonorOrganisation, DonorSchool, DonorAgency}

// Donor is who gave. Address and Contact are personal data: they stay in
// the ledger and never appear on the public transparency page.
type Donor struct {
	Kind    DonorKind `json:"kind"`
	Name    string    `json:"name"`
	Address string    `json:"address"`
	Contact string    `json:"contact"` // phone or e-mail; optional
	// Anonymous: the donor asked not to be named in public; the public
	// page shows "Hộ gia đình ẩn danh" (or the like) instead of the name.
	Anonymous bool `json:"anonymous"`
}

// DonationKind says what was given.
type DonationKind string

const (
	DonationMoney     DonationKind = "money"
	DonationEquipment DonationKind = "equipment"
)

// Donation is one gift in the ledger.
type Donation struct {
	ID    int64        `json:"id"`
	Donor Donor        `json:"donor"`
	Kind  DonationKind `json:"kind"`
	// AmountVND is the money given, or for equipment its estimated value
	// (0 when nobody could say); whole đồng.
	AmountVND int64  `json:"amount_vnd"`
	Equipment string `json:"equipment"` // what equipment was given; required for equipment
	// Date is the calendar day of the gift in Vietnam, YYYY-MM-DD
	// (Validate also takes dd/MM/yyyy and rewrites it).
	Date    string   `json:"date"`
	Purpose string   `json:"purpose"`
	Cameras []string `json:"cameras"` // IDs of the cameras it funded
	Works   string   `json:"works"`   // other works it funded (poles, cabling…)
	// ReceiptNo is the ward's receipt (phiếu thu) number, e.g.
	// "PT-2026-0012"; unique in the ledger.
	ReceiptNo string `json:"receipt_no"`
	Note      string `json:"note"` // internal; never public
	// CreatedBy, CreatedAt and UpdatedAt are set by the store.
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CostKind says what a camera's cost paid for.
type CostKind string

const (
	CostPurchase     CostKind = "purchase"
	CostInstallation CostKind = "installation"
	CostUpkeep       CostKind = "upkeep" // yearly maintenance, SIM, electricity
)

// CostKinds lists every cost kind, in display order.
var CostKinds = []CostKind{CostPurchase, CostInstallation, CostUpkeep}

// CameraCost is money spent on one camera.
type CameraCost struct {
	ID        int64     `json:"id"`
	CameraID  string    `json:"camera_id"`
	Kind      CostKind  `json:"kind"`
	AmountVND int64     `json:"amount_vnd"`
	Date      string    `json:"date"`       // YYYY-MM-DD, as Donation.Date
	InvoiceNo string    `json:"invoice_no"` // receipt or invoice (hóa đơn) number; optional
	Note      string    `json:"note"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Bounds on ledger fields.
const (
	// MaxAmountVND is a million billion đồng: more is a typing mistake,
	// and every amount stays exact in JavaScript.
	MaxAmountVND       = 1_000_000_000_000_000
	donationNameMax    = 200
	donationTextMax    = 2000
	donationReceiptMax = 40
	donationCamerasMax = 500
)

// receiptRe is a receipt or invoice number: letters, digits and a few
// separators, e.g. PT-2026-0012, 0001234/HĐ.
var receiptRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ./_-]*$`)

// Validate checks a donation before it is stored: EINVALID with one
// FieldError per bad field (JSON names: "donor.name", "amount_vnd"…). It
// trims text, rewrites Date as YYYY-MM-DD and replaces a nil camera list.
func (d *Donation) Validate() error {
	var fe fieldErrors
	d.Donor.Name = strings.TrimSpace(d.Donor.Name)
	d.Donor.Address = strings.TrimSpace(d.Donor.Address)
	d.Donor.Contact = strings.TrimSpace(d.Donor.Contact)
	d.Equipment, d.Purpose, d.Works = strings.TrimSpace(d.Equipment), strings.TrimSpace(d.Purpose), strings.TrimSpace(d.Works)
	d.ReceiptNo, d.Note = strings.TrimSpace(d.ReceiptNo), strings.TrimSpace(d.Note)
	if d.Cameras == nil {
		d.Cameras = []string{}
	}

	if !slices.Contains(DonorKinds, d.Donor.Kind) {
		fe.add("donor.kind", "Donor kind must be one of: household, individual, company, organisation, school, agency",
			"Loại nhà tài trợ phải là: hộ gia đình, cá nhân, doanh nghiệp, tổ chức, trường học, cơ quan")
	}
	checkText(&fe, "donor.name", d.Donor.Name, true, donationNameMax, "The donor's name is required", "Tên người/đơn vị đóng góp là bắt buộc")
	checkText(&fe, "donor.address", d.Donor.Address, false, CameraAddrMaxLen, "", "")
	if d.Donor.Contact != "" && !ValidContact(d.Donor.Contact) {
		fe.add("donor.contact", "Contact must be a phone number (e.g. 0912345678 or +84912345678) or an e-mail address",
			"Liên hệ phải là số điện thoại (ví dụ 0912345678 hoặc +84912345678) hoặc địa chỉ e-mail")
	}
	switch d.Kind {
	case DonationMoney:
		checkAmount(&fe, d.AmountVND, false)
		if d.Equipment != "" {
			fe.add("equipment", "A gift of money has no equipment; choose 'equipment' as the kind",
				"Đóng góp bằng tiền không kèm hiện vật; hãy chọn loại 'hiện vật'")
		}
	case DonationEquipment:
		checkAmount(&fe, d.AmountVND, true)
		checkText(&fe, "equipment", d.Equipment, true, donationTextMax,
			"Describe the equipment given (e.g. 4 cameras Hikvision 2 MP)", "Hãy ghi hiện vật đã tặng (ví dụ 4 camera Hikvision 2 MP)")
	default:
		fe.add("kind", "Kind must be money or equipment", "Loại đóng góp phải là tiền hoặc hiện vật")
	}
	if date, err := normalizeDate(d.Date); err != nil {
		fe.add("date", err.Message, err.MessageVI)
	} else {
		d.Date = date
	}
	checkText(&fe, "purpose", d.Purpose, false, donationTextMax, "", "")
	checkNotes(&fe, "works", d.Works)
	checkNotes(&fe, "note", d.Note)
	if len(d.Cameras) > donationCamerasMax || slices.ContainsFunc(d.Cameras, func(id string) bool { return !slugRe.MatchString(id) }) {
		fe.add("cameras", fmt.Sprintf("The camera list must hold up to %d camera IDs", donationCamerasMax),
			fmt.Sprintf("Danh sách camera chỉ gồm tối đa %d mã camera", donationCamerasMax))
	} else {
		slices.Sort(d.Cameras)
		d.Cameras = slices.Compact(d.Cameras)
	}
	checkReceipt(&fe, "receipt_no", d.ReceiptNo, true)
	if len(fe) > 0 {
		return &Error{Code: EINVALID, Message: "The donation has invalid fields",
			MessageVI: "Khoản đóng góp có trường không hợp lệ", Fields: fe}
	}
	return nil
}

// Validate checks a camera's cost before it is stored, as Donation.Validate.
func (c *CameraCost) Validate() error {
	var fe fieldErrors
	c.CameraID, c.InvoiceNo, c.Note = strings.TrimSpace(c.CameraID), strings.TrimSpace(c.InvoiceNo), strings.TrimSpace(c.Note)
	if !slugRe.MatchString(c.CameraID) {
		fe.add("camera_id", "Choose the camera this cost is for", "Hãy chọn camera của khoản chi này")
	}
	if !slices.Contains(CostKinds, c.Kind) {
		fe.add("kind", "Kind must be purchase, installation or upkeep", "Loại chi phải là mua sắm, lắp đặt hoặc duy tu hằng năm")
	}
	checkAmount(&fe, c.AmountVND, false)
	if date, err := normalizeDate(c.Date); err != nil {
		fe.add("date", err.Message, err.MessageVI)
	} else {
		c.Date = date
	}
	checkReceipt(&fe, "invoice_no", c.InvoiceNo, false)
	checkNotes(&fe, "note", c.Note)
	if len(fe) > 0 {
		return &Error{Code: EINVALID, Message: "The cost has invalid fields",
			MessageVI: "Khoản chi có trường không hợp lệ", Fields: fe}
	}
	return nil
}

func checkAmount(fe *fieldErrors, v int64, zeroOK bool) {
	switch {
	case v < 0 || (v == 0 && !zeroOK):
		fe.add("amount_vnd", "The amount must be a positive number of đồng", "Số tiền phải là số đồng lớn hơn 0")
	case v > MaxAmountVND:
		fe.add("amount_vnd", "The amount is too large; check the number of zeros", "Số tiền quá lớn; hãy kiểm tra lại số chữ số 0")
	}
}

func checkReceipt(fe *fieldErrors, field, v string, required bool) {
	switch {
	case v == "" && required:
		fe.add(field, "The receipt number is required (e.g. PT-2026-0012)", "Số phiếu thu là bắt buộc (ví dụ PT-2026-0012)")
	case v == "":
	case utf8.RuneCountInString(v) > donationReceiptMax || !receiptRe.MatchString(v):
		fe.add(field, fmt.Sprintf("Write the number with letters, digits, '-', '/', '.' (at most %d characters)", donationReceiptMax),
			fmt.Sprintf("Hãy viết số bằng chữ cái, chữ số, '-', '/', '.' (tối đa %d ký tự)", donationReceiptMax))
	}
}

// checkNotes allows line breaks, which checkText refuses.
func checkNotes(fe *fieldErrors, field, v string) {
	switch {
	case utf8.RuneCountInString(v) > donationTextMax:
		fe.add(field, fmt.Sprintf("Must be at most %d characters", donationTextMax), fmt.Sprintf("Tối đa %d ký tự", donationTextMax))
	case !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		fe.add(field, "Contains invalid characters", "Chứa ký tự không hợp lệ")
	}
}

// normalizeDate reads a calendar day as YYYY-MM-DD or dd/MM/yyyy and
// returns it as YYYY-MM-DD.
func normalizeDate(s string) (string, *FieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &FieldError{Message: "The date is required", MessageVI: "Ngày là bắt buộc"}
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		t, err = time.Parse("2/1/2006", s)
	}
	if err != nil || t.Year() < 1990 || t.Year() > 2199 {
		return "", &FieldError{Message: "Write the date as dd/MM/yyyy (e.g. 27/11/2026) or YYYY-MM-DD, from 1990 on",
			MessageVI: "Hãy viết ngày dạng dd/MM/yyyy (ví dụ 27/11/2026) hoặc YYYY-MM-DD, từ năm 1990 trở đi"}
	}
	return t.Format("2006-01-02"), nil
}

// FormatDate writes a ledger date (YYYY-MM-DD) as dd/MM/yyyy; anything
// else comes back as it is.
func FormatDate(iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

// LedgerFilter selects donations, costs and totals; zero fields match all.
type LedgerFilter struct {
	Year     int    // calendar year of the date
	Area     string // donations that funded a camera in this area; costs of its cameras
	CameraID string // donations that funded this camera; its costs
	Limit    int    // lists only; 0: the store's default
}

// LedgerTotals sums up the ledger for a filter. Money given for several
// cameras is shared out evenly between them (to the đồng) for the per-area
// and per-camera figures; money given for no camera counts to the area "".
type LedgerTotals struct {
	RaisedVND    int64 `json:"raised_vnd"` // money and equipment value
	MoneyVND     int64 `json:"money_vnd"`
	EquipmentVND int64 `json:"equipment_vnd"`
	SpentVND     int64 `json:"spent_vnd"`
	Donations    int   `json:"donations"`
	Donors       int   `json:"donors"` // distinct by kind and name
	// Areas are ordered by name ("" last); Cameras (every camera funded
	// by a donation or with a cost) by ID.
	Areas   []AreaTotals   `json:"areas"`
	Cameras []CameraTotals `json:"cameras"`
}

// AreaTotals is an area's share of the ledger.
type AreaTotals struct {
	Area      string `json:"area"` // "": the general fund, or a deleted camera
	RaisedVND int64  `json:"raised_vnd"`
	SpentVND  int64  `json:"spent_vnd"`
	Cameras   int    `json:"cameras"` // cameras funded or paid for
}

// CameraTotals is a camera's share of the ledger.
type CameraTotals struct {
	CameraID  string `json:"camera_id"`
	Area      string `json:"area"` // "" when the camera was deleted
	RaisedVND int64  `json:"raised_vnd"`
	SpentVND  int64  `json:"spent_vnd"`
}

// DonationStore keeps the donation ledger and the cameras' costs. The
// SQLite store implements it. Methods return *Error with ENOTFOUND,
// ECONFLICT (a receipt number in use) or EINVALID (Validate, or a camera
// that does not exist) where it applies.
type DonationStore interface {
	// CreateDonation validates d, stores it and sets its ID and times;
	// d.CreatedBy is kept as given (the signed-in user).
	CreateDonation(ctx context.Context, d *Donation) error
	Donation(ctx context.Context, id int64) (*Donation, error)
	// Donations are ordered newest date first.
	Donations(ctx context.Context, f LedgerFilter) ([]*Donation, error)
	// UpdateDonation replaces donation d.ID's fields but CreatedBy and
	// CreatedAt, and sets UpdatedAt.
	UpdateDonation(ctx context.Context, d *Donation) error
	DeleteDonation(ctx context.Context, id int64) error

	CreateCameraCost(ctx context.Context, c *CameraCost) error
	CameraCost(ctx context.Context, id int64) (*CameraCost, error)
	CameraCosts(ctx context.Context, f LedgerFilter) ([]*CameraCost, error) // newest date first
	UpdateCameraCost(ctx context.Context, c *CameraCost) error
	DeleteCameraCost(ctx context.Context, id int64) error

	LedgerTotals(ctx context.Context, f LedgerFilter) (*LedgerTotals, error)
}

// ShareOut splits amount evenly into n parts that add up to it exactly:
// the first amount%n parts get one đồng more.
func ShareOut(amount int64, n int) []int64 {
	if n <= 0 {
		return nil
	}
	out := make([]int64, n)
	q, r := amount/int64(n), amount%int64(n)
	for i := range out {
		out[i] = q
		if int64(i) < r {
			out[i]++
		}
	}
	return out
}

// FormatVND writes an amount of đồng the Vietnamese way: dots between
// thousands and the sign after a space, "435.000.000 ₫"; "-50.000 ₫".
func FormatVND(v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u // two's complement: exact for math.MinInt64 too
	}
	digits := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	b.WriteString(" ₫")
	return b.String()
}

var vnDigits = [10]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// NumberInWords reads n in Vietnamese, in lower case, as money is written
// out on receipts: 1005 "một nghìn không trăm linh năm", 15 "mười lăm",
// 21 "hai mươi mốt", 24 "hai mươi tư", 1_000_000 "một triệu",
// 1_000_000_000_000 "một nghìn tỷ".
func NumberInWords(n int64) string {
	if n == 0 {
		return vnDigits[0]
	}
	u := uint64(n)
	prefix := ""
	if n < 0 {
		u, prefix = -u, "âm "
	}
	return prefix + strings.Join(wordsOf(u, true), " ")
}

// wordsOf reads u > 0; leading says nothing precedes it, so a short first
// group is read as it is ("năm") rather than padded ("không trăm linh năm").
func wordsOf(u uint64, leading bool) []string {
	const billion = 1_000_000_000
	if u >= billion {
		out := append(wordsOf(u/billion, leading), "tỷ")
		if r := u % billion; r > 0 {
			out = append(out, wordsOf(r, false)...)
		}
		return out
	}
	var out []string
	groups := []struct {
		size uint64
		name string
	}{{1_000_000, "triệu"}, {1_000, "nghìn"}, {1, ""}}
	for _, g := range groups {
		v := u / g.size % 1000
		if v == 0 {
			continue
		}
		out = append(out, groupWords(int(v), !leading)...)
		if g.name != "" {
			out = append(out, g.name)
		}
		leading = false
	}
	return out
}

// groupWords reads 1–999; full says hundreds are read even when zero
// ("không trăm"), as they are after a higher group.
func groupWords(v int, full bool) []string {
	h, t, u := v/100, v/10%10, v%10
	var out []string
	if h > 0 || full {
		out = append(out, vnDigits[h], "trăm")
	}
	switch {
	case t == 0 && u == 0:
	case t == 0:
		if len(out) > 0 {
			out = append(out, "linh")
		}
		out = append(out, vnDigits[u])
	case t == 1:
		out = append(out, "mười")
	default:
		out = append(out, vnDigits[t], "mươi")
	}
	if t >= 1 {
		switch {
		case u == 0:
		case u == 5:
			out = append(out, "lăm")
		case u == 1 && t >= 2:
			out = append(out, "mốt")
		case u == 4 && t >= 2:
			out = append(out, "tư")
		default:
			out = append(out, vnDigits[u])
		}
	}
	return out
}

// VNDInWords writes an amount in words as on a receipt: capitalised, with
// "đồng": 435_000_000 → "Bốn trăm ba mươi lăm triệu đồng".
func VNDInWords(v int64) string {
	w := NumberInWords(v) + " đồng"
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}
