package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"matthan"
	"matthan/internal/pdf"
)

func newLedgerEnv(t *testing.T) *env {
	t.Helper()
	e := newEnvWith(t, func(d *Deps) {
		d.Donations = &Donations{Store: d.Store.(matthan.DonationStore), Ward: pdf.Ward{Name: "Phường An Bình",
			Authority: "UBND PHƯỜNG AN BÌNH", City: "TP. Cần Thơ", Signer: "Trần Minh Tâm", SignerTitle: "CHỦ TỊCH"}}
	})
	for _, id := range []string{"cam-001", "cam-002"} {
		if r := e.do("POST", "/api/cameras", "admin", cameraBody(id)); r.status != http.StatusCreated {
			t.Fatalf("camera %s: %d %s", id, r.status, r.body)
		}
	}
	return e
}

func donationBody() map[string]any {
	return map[string]any{
		"donor": map[string]any{"kind": "company", "name": "Công ty TNHH Ánh Dương", "address": "15 Nguyễn Trãi",
			"contact": "0912345678", "anonymous": false},
		"kind": "money", "amount_vnd": 435_000_000, "date": "12/03/2026", "purpose": "Camera khu chợ",
		"cameras": []string{"cam-002", "cam-001"}, "receipt_no": "PT-2026-0012",
	}
}

func TestDonationAPI(t *testing.T) {
	e := newLedgerEnv(t)

	// Who may do what.
	expectError(t, e.do("GET", "/api/donations", "viewer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	expectError(t, e.do("POST", "/api/donations", "officer", donationBody()), http.StatusForbidden, matthan.EFORBIDDEN)
	expectError(t, e.do("GET", "/api/donations", "", nil), http.StatusUnauthorized, matthan.EUNAUTHORIZED)
	if r := e.do("GET", "/api/donations", "officer", nil); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("empty list: %d %s", r.status, r.body)
	}

	// Field errors, in both languages.
	bad := donationBody()
	bad["amount_vnd"], bad["date"] = -5, "hôm qua"
	err := expectError(t, e.do("POST", "/api/donations", "admin", bad), http.StatusBadRequest, matthan.EINVALID)
	if got := fieldNames(err); !slices.Equal(got, []string{"amount_vnd", "date"}) {
		t.Errorf("fields %v", got)
	}
	if err.Fields[0].MessageVI != "Số tiền phải là số đồng lớn hơn 0" {
		t.Errorf("Vietnamese: %+v", err.Fields[0])
	}
	unknown := donationBody()
	unknown["cameras"] = []string{"cam-404"}
	if err := expectError(t, e.do("POST", "/api/donations", "admin", unknown), http.StatusBadRequest, matthan.EINVALID); !slices.Equal(fieldNames(err), []string{"cameras"}) {
		t.Errorf("unknown camera: %+v", err)
	}

	r := e.do("POST", "/api/donations", "admin", donationBody())
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	d := decode[matthan.Donation](t, r)
	if d.ID == 0 || d.CreatedBy != "admin" || d.Date != "2026-03-12" || !slices.Equal(d.Cameras, []string{"cam-001", "cam-002"}) ||
		r.header.Get("Location") == "" {
		t.Errorf("created %s", r.body)
	}
	if err := expectError(t, e.do("POST", "/api/donations", "admin", donationBody()), http.StatusConflict, matthan.ECONFLICT); !slices.Equal(fieldNames(err), []string{"receipt_no"}) {
		t.Errorf("same receipt: %+v", err)
	}

	// Update what GET gave, with the amount changed.
	got := decode[map[string]any](t, e.do("GET", "/api/donations/"+ledgerID(d.ID), "officer", nil))
	got["amount_vnd"] = 400_000_000
	got["created_by"] = "mallory"
	if r := e.do("PUT", "/api/donations/"+ledgerID(d.ID), "admin", got); r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	} else if u := decode[matthan.Donation](t, r); u.AmountVND != 400_000_000 || u.CreatedBy != "admin" {
		t.Errorf("updated %s", r.body)
	}
	expectError(t, e.do("PUT", "/api/donations/999", "admin", donationBody()), http.StatusNotFound, matthan.ENOTFOUND)
	expectError(t, e.do("GET", "/api/donations/abc", "admin", nil), http.StatusNotFound, matthan.ENOTFOUND)

	// Filters.
	for q, n := range map[string]int{"?year=2026": 1, "?year=2025": 0, "?area=Kh%C3%B3m%201": 1, "?camera=cam-002": 1, "?camera=cam-009": 0} {
		if list := decode[[]matthan.Donation](t, e.do("GET", "/api/donations"+q, "admin", nil)); len(list) != n {
			t.Errorf("%s: %d donations, want %d", q, len(list), n)
		}
	}
	expectError(t, e.do("GET", "/api/donations?year=20x6", "admin", nil), http.StatusBadRequest, matthan.EINVALID)

	// Costs.
	cost := map[string]any{"camera_id": "cam-001", "kind": "purchase", "amount_vnd": 9_000_000, "date": "2026-03-20", "invoice_no": "HĐ-0042"}
	r = e.do("POST", "/api/costs", "admin", cost)
	if r.status != http.StatusCreated {
		t.Fatalf("cost: %d %s", r.status, r.body)
	}
	c := decode[matthan.CameraCost](t, r)
	cost["kind"] = "petrol"
	if err := expectError(t, e.do("POST", "/api/costs", "admin", cost), http.StatusBadRequest, matthan.EINVALID); !slices.Equal(fieldNames(err), []string{"kind"}) {
		t.Errorf("bad cost kind: %+v", err)
	}
	expectError(t, e.do("DELETE", "/api/costs/"+ledgerID(c.ID), "officer", nil), http.StatusForbidden, matthan.EFORBIDDEN)
	if list := decode[[]matthan.CameraCost](t, e.do("GET", "/api/costs?camera=cam-001", "officer", nil)); len(list) != 1 || list[0].InvoiceNo != "HĐ-0042" {
		t.Errorf("costs %+v", list)
	}
	tot := decode[matthan.LedgerTotals](t, e.do("GET", "/api/donations/totals", "officer", nil))
	if tot.RaisedVND != 400_000_000 || tot.SpentVND != 9_000_000 || len(tot.Areas) != 1 || tot.Areas[0].Area != "Khóm 1" || len(tot.Cameras) != 2 {
		t.Errorf("totals %+v", tot)
	}

	// The thank-you letter, as the officer prints it.
	pdfBody := e.rawBody("GET", "/api/donations/"+ledgerID(d.ID)+"/letter.pdf", "officer", "application/pdf")
	path := filepath.Join(t.TempDir(), "l.pdf")
	os.WriteFile(path, pdfBody, 0o644)
	out, err2 := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err2 != nil {
		t.Fatal(err2)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Kính gửi: Công ty TNHH Ánh Dương", "Số tiền: 400.000.000 ₫", "Bốn trăm triệu đồng",
		"Camera «Ngã tư chợ cam-001» (cam-001) – Khóm 1, 1 Lê Lợi", "ngày 15 tháng 01 năm 2026", "TP. Cần Thơ"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter lacks %q:\n%s", want, out)
		}
	}
	expectError(t, e.do("GET", "/api/donations/999/letter.pdf", "admin", nil), http.StatusNotFound, matthan.ENOTFOUND)

	if r := e.do("DELETE", "/api/costs/"+ledgerID(c.ID), "admin", nil); r.status != http.StatusNoContent {
		t.Errorf("delete cost: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/donations/"+ledgerID(d.ID), "admin", nil); r.status != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	expectError(t, e.do("GET", "/api/donations/"+ledgerID(d.ID), "admin", nil), http.StatusNotFound, matthan.ENOTFOUND)

	// Every change is audited, without the donor's name or contact.
	entries, err3 := e.db.Audit(t.Context(), matthan.AuditFilter{User: "admin"})
	if err3 != nil {
		t.Fatal(err3)
	}
	var actions []string
	for _, a := range entries {
		if strings.HasPrefix(a.Action, "donation.") || strings.HasPrefix(a.Action, "cost.") {
			actions = append(actions, a.Action)
			if strings.Contains(a.Detail, "Ánh Dương") || strings.Contains(a.Detail, "0912345678") {
				t.Errorf("audit detail has personal data: %q", a.Detail)
			}
		}
	}
	slices.Sort(actions) // one clock tick: the order within it is the store's
	if want := []string{"cost.create", "cost.delete", "donation.create", "donation.delete", "donation.update"}; !slices.Equal(actions, want) {
		t.Errorf("audit %v, want %v", actions, want)
	}
}

func TestDonationAPIWithoutLedger(t *testing.T) {
	e := newEnv(t)
	expectError(t, e.do("GET", "/api/donations", "admin", nil), http.StatusNotFound, matthan.ENOTFOUND)
	expectError(t, e.do("POST", "/api/costs", "admin", map[string]any{}), http.StatusNotFound, matthan.ENOTFOUND)
}

func ledgerID(n int64) string { return strconv.FormatInt(n, 10) }

// raw fetches a body that is not JSON, as user, and checks its type.
func (e *env) rawBody(method, path, user, contentType string) []byte {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(user, map[string]string{"admin": adminPassword, "officer": officerPassword, "viewer": viewerPassword}[user])
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != contentType {
		e.t.Fatalf("%s %s: %d %q %s", method, path, res.StatusCode, res.Header.Get("Content-Type"), body[:min(len(body), 300)])
	}
	if !bytes.HasPrefix(body, []byte("%PDF-")) && contentType == "application/pdf" {
		e.t.Fatalf("not a PDF")
	}
	return body
}
