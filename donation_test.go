package matthan

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestFormatVND(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want string
	}{
		{0, "0 ₫"},
		{5, "5 ₫"},
		{999, "999 ₫"},
		{1000, "1.000 ₫"},
		{12_500, "12.500 ₫"},
		{435_000_000, "435.000.000 ₫"},
		{1_234_567_890, "1.234.567.890 ₫"},
		{-50_000, "-50.000 ₫"},
		{-7, "-7 ₫"},
		{math.MaxInt64, "9.223.372.036.854.775.807 ₫"},
		{math.MinInt64, "-9.223.372.036.854.775.808 ₫"},
	} {
		if got := FormatVND(tc.v); got != tc.want {
			t.Errorf("FormatVND(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestNumberInWords(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "không"},
		{1, "một"},
		{5, "năm"},
		{10, "mười"},
		{11, "mười một"},
		{14, "mười bốn"},
		{15, "mười lăm"},
		{20, "hai mươi"},
		{21, "hai mươi mốt"},
		{24, "hai mươi tư"},
		{25, "hai mươi lăm"},
		{55, "năm mươi lăm"},
		{100, "một trăm"},
		{101, "một trăm linh một"},
		{105, "một trăm linh năm"},
		{110, "một trăm mười"},
		{115, "một trăm mười lăm"},
		{121, "một trăm hai mươi mốt"},
		{1_000, "một nghìn"},
		{1_005, "một nghìn không trăm linh năm"},
		{1_015, "một nghìn không trăm mười lăm"},
		{1_100, "một nghìn một trăm"},
		{10_000, "mười nghìn"},
		{15_000, "mười lăm nghìn"},
		{205_000, "hai trăm linh năm nghìn"},
		{1_000_000, "một triệu"},
		{1_000_001, "một triệu không trăm linh một"},
		{1_050_000, "một triệu không trăm năm mươi nghìn"},
		{2_500_000, "hai triệu năm trăm nghìn"},
		{435_000_000, "bốn trăm ba mươi lăm triệu"},
		{1_000_000_000, "một tỷ"},
		{1_000_000_005, "một tỷ không trăm linh năm"},
		{2_001_000_000, "hai tỷ không trăm linh một triệu"},
		{1_000_000_000_000, "một nghìn tỷ"},
		{1_500_000_000_000, "một nghìn năm trăm tỷ"},
		{-21, "âm hai mươi mốt"},
		{math.MaxInt64, "chín tỷ hai trăm hai mươi ba triệu ba trăm bảy mươi hai nghìn không trăm ba mươi sáu tỷ tám trăm năm mươi tư triệu bảy trăm bảy mươi lăm nghìn tám trăm linh bảy"},
	} {
		if got := NumberInWords(tc.n); got != tc.want {
			t.Errorf("NumberInWords(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestVNDInWords(t *testing.T) {
	for v, want := range map[int64]string{
		435_000_000: "Bốn trăm ba mươi lăm triệu đồng",
		1_005:       "Một nghìn không trăm linh năm đồng",
		0:           "Không đồng",
		15_000_000:  "Mười lăm triệu đồng",
	} {
		if got := VNDInWords(v); got != want {
			t.Errorf("VNDInWords(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestShareOut(t *testing.T) {
	if got := ShareOut(100, 3); !slices.Equal(got, []int64{34, 33, 33}) {
		t.Errorf("ShareOut(100, 3) = %v", got)
	}
	if got := ShareOut(435_000_000, 63); len(got) != 63 {
		t.Fatal(got)
	} else {
		var sum int64
		for _, v := range got {
			sum += v
		}
		if sum != 435_000_000 {
			t.Errorf("shares add up to %d", sum)
		}
	}
	if ShareOut(5, 0) != nil {
		t.Error("no parts")
	}
}

func validDonation() Donation {
	return Donation{Donor: Donor{Kind: DonorCompany, Name: " Công ty TNHH Ánh Dương ", Contact: "0912 345 678"},
		Kind: DonationMoney, AmountVND: 50_000_000, Date: "12/03/2026", Cameras: []string{"cam-002", "cam-001", "cam-002"},
		ReceiptNo: "PT-2026-0012", Works: "Trụ đèn\nDây cáp"}
}

func TestDonationValidate(t *testing.T) {
	d := validDonation()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Date != "2026-03-12" || d.Donor.Name != "Công ty TNHH Ánh Dương" || !slices.Equal(d.Cameras, []string{"cam-001", "cam-002"}) {
		t.Errorf("normalised %+v", d)
	}
	for _, tc := range []struct {
		name   string
		edit   func(*Donation)
		fields []string
	}{
		{"negative amount", func(d *Donation) { d.AmountVND = -1 }, []string{"amount_vnd"}},
		{"zero money", func(d *Donation) { d.AmountVND = 0 }, []string{"amount_vnd"}},
		{"huge", func(d *Donation) { d.AmountVND = MaxAmountVND + 1 }, []string{"amount_vnd"}},
		{"no donor", func(d *Donation) { d.Donor = Donor{} }, []string{"donor.kind", "donor.name"}},
		{"bad contact", func(d *Donation) { d.Donor.Contact = "call me" }, []string{"donor.contact"}},
		{"bad kind", func(d *Donation) { d.Kind = "gold" }, []string{"kind"}},
		{"equipment without what", func(d *Donation) { d.Kind = DonationEquipment }, []string{"equipment"}},
		{"money with equipment", func(d *Donation) { d.Equipment = "2 camera" }, []string{"equipment"}},
		{"bad date", func(d *Donation) { d.Date = "31/02/2026" }, []string{"date"}},
		{"no date", func(d *Donation) { d.Date = "" }, []string{"date"}},
		{"bad camera", func(d *Donation) { d.Cameras = []string{"Cam 1"} }, []string{"cameras"}},
		{"no receipt", func(d *Donation) { d.ReceiptNo = " " }, []string{"receipt_no"}},
		{"bad receipt", func(d *Donation) { d.ReceiptNo = "-<b>" }, []string{"receipt_no"}},
		{"control in note", func(d *Donation) { d.Note = "a\x00b" }, []string{"note"}},
	} {
		d := validDonation()
		tc.edit(&d)
		err := d.Validate()
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, f := range e.Fields {
			got = append(got, f.Field)
			if f.Message == "" || f.MessageVI == "" || f.Message == f.MessageVI {
				t.Errorf("%s: not bilingual: %+v", tc.name, f)
			}
		}
		if !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
		}
	}
	eq := validDonation()
	eq.Kind, eq.AmountVND, eq.Equipment = DonationEquipment, 0, "4 camera Dahua 2 MP"
	if err := eq.Validate(); err != nil {
		t.Errorf("equipment of unknown value: %v", err)
	}
}

func TestCameraCostValidate(t *testing.T) {
	c := CameraCost{CameraID: "cam-001", Kind: CostUpkeep, AmountVND: 1_200_000, Date: "2026-01-05", InvoiceNo: "0001234/HĐ"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := CameraCost{CameraID: "", Kind: "fuel", AmountVND: -5, Date: "tomorrow", InvoiceNo: "<x>"}
	var e *Error
	if err := bad.Validate(); !errors.As(err, &e) || len(e.Fields) != 5 {
		t.Fatalf("bad cost: %v", err)
	}
	if FormatDate("2026-01-05") != "05/01/2026" || FormatDate("x") != "x" {
		t.Error("FormatDate")
	}
}

// FuzzDonationValidate feeds what a client may send: Validate never
// panics, and what it accepts it accepts again unchanged.
func FuzzDonationValidate(f *testing.F) {
	f.Add("household", "Hộ bà Năm", "0912345678", "money", int64(5_000_000), "", "12/03/2026", "cam-001", "PT-2026-0012")
	f.Add("company", " ", "a@b.vn", "equipment", int64(0), "2 camera", "2026-02-30", "Cam 1", "<x>")
	f.Add("agency", "UBND", "", "money", int64(-1), "x", "31/12/1989", "", "")
	f.Fuzz(func(t *testing.T, kind, name, contact, dkind string, amount int64, equipment, date, cam, receipt string) {
		d := Donation{Donor: Donor{Kind: DonorKind(kind), Name: name, Contact: contact}, Kind: DonationKind(dkind),
			AmountVND: amount, Equipment: equipment, Date: date, Cameras: []string{cam}, ReceiptNo: receipt}
		if d.Validate() != nil {
			return
		}
		again := d
		again.Cameras = slices.Clone(d.Cameras)
		if err := again.Validate(); err != nil || again.Date != d.Date || len(d.Date) != 10 {
			t.Fatalf("accepted %+v, then %v (%q)", d, err, again.Date)
		}
		if FormatVND(d.AmountVND) == "" || NumberInWords(d.AmountVND) == "" {
			t.Fatal("empty words")
		}
	})
}
