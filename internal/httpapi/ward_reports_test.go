package httpapi

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/pdf"
	"matthan/internal/report"
	"matthan/internal/report/reporttest"
)

func TestWardReportAPI(t *testing.T) {
	ward, path := reporttest.Open(t)
	reporttest.Seed(t, ward, path)
	e := newEnvWith(t, func(d *Deps) {
		d.Store, d.Reports = ward, ward
		d.Now = func() time.Time { return reporttest.Now }
		d.Donations = &Donations{Store: ward, Ward: pdf.Ward{Name: "Phường An Bình", Authority: "UBND PHƯỜNG AN BÌNH",
			City: "TP. Cần Thơ", Signer: "Trần Minh Tâm", SignerTitle: "CHỦ TỊCH"}}
	})
	if err := e.db.CreateUser(t.Context(), &matthan.User{Name: "nha-co-ba", Role: matthan.RoleContributor,
		PasswordHash: userHashes()["officer"]}); err != nil {
		t.Fatal(err)
	}

	// JSON: the whole ward in October, exactly.
	r := e.do("GET", "/api/reports/ward?period=2026-10", "officer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	rep := decode[report.Report](t, r)
	if rep.Period != "2026-10" || rep.Events.Total != 10 || rep.Events.Confirmed != 3 || rep.Events.FalseAlarms != 2 ||
		rep.Events.ByHour[7] != 4 || rep.Traffic.Series[0].Total != 3 || rep.Traffic.Series[0].PreviousTotal != 6 ||
		*rep.Traffic.Series[0].ChangePercent != -50 || rep.Reminders.Sent != 3 || rep.Reminders.Acked != 2 ||
		*rep.Uptime.Percent != 97.97 || rep.Money.RaisedVND != 447_000_000 || rep.Money.SpentVND != 8_500_000 ||
		len(rep.Areas) != 3 || rep.Areas[0].Area != "Khóm 1" || *rep.Areas[0].UptimePercent != 97.16 {
		t.Errorf("October: %s", r.body)
	}
	for _, want := range []string{`"label_vi":"tháng 10/2026"`, `"from_local":"01/10/2026"`, `"raised":"447.000.000 ₫"`,
		`"current":[2,1,0,`, `"previous":[3,2,0,`, `"by_hour":[0,0,1,0,0,0,0,4,1,`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	// The admin reads one area of the running quarter; no period: this month.
	q := decode[report.Report](t, e.do("GET", "/api/reports/ward?period=2026-Q4&area="+"Kh%C3%B3m%202", "admin", nil))
	if q.Area != "Khóm 2" || q.Cameras != 2 || !q.Partial || q.Traffic.Series[1].Total != 3 || q.Money.SpentVND != 1_200_000 ||
		len(q.Traffic.Buckets) != 14 {
		t.Errorf("Q4 of Khóm 2: %+v", q)
	}
	if m := decode[report.Report](t, e.do("GET", "/api/reports/ward", "officer", nil)); m.Period != "2026-11" || m.Events.Total != 1 {
		t.Errorf("this month: %s, %d events", m.Period, m.Events.Total)
	}
	fields := fieldNames(expectError(t, e.do("GET", "/api/reports/ward?period=2026-13", "officer", nil), http.StatusBadRequest, matthan.EINVALID))
	if len(fields) != 1 || fields[0] != "period" {
		t.Errorf("a bad period: %v", fields)
	}
	expectError(t, e.do("GET", "/api/reports/ward?period=2027-01", "officer", nil), http.StatusBadRequest, matthan.EINVALID)
	expectError(t, e.do("GET", "/api/reports/ward?period=2026-10&area=Kh%C3%B3m%209", "officer", nil), http.StatusBadRequest, matthan.EINVALID)

	// CSV: the same figures, audited.
	status, ct, csv := e.fetch("/api/reports/ward.csv?period=2026-10", "officer", officerPassword)
	if status != http.StatusOK || ct != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %q %s", status, ct, csv)
	}
	for _, want := range []string{"no_helmet,Người đi xe máy không đội mũ bảo hiểm,4,1,1", "07:00–07:59,4",
		"Người đi xe máy không đội mũ bảo hiểm,3,6,-50", "\n3,2,66.67\n", "rp-cho,Cổng chợ An Bình,Khóm 1,98.92,744,8,Mất kết nối camera",
		"447000000,435000000,12000000,8500000,2,1", "Khóm 1,2,6,1,2,3,0,2,1,97.16,217500000,8500000"} {
		if !strings.Contains(string(csv), want) {
			t.Errorf("csv lacks %q", want)
		}
	}

	// PDF: Vietnamese text extracts back as written, audited.
	status, ct, body := e.fetch("/api/reports/ward.pdf?period=2026-10&area=Kh%C3%B3m%201", "admin", adminPassword)
	if status != http.StatusOK || ct != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("pdf: %d %q", status, ct)
	}
	file := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"UBND PHƯỜNG AN BÌNH", "BÁO CÁO", "Phạm vi: khu vực Khóm 1 (2 camera)",
		"Người đi xe máy không đội mũ bảo hiểm", "Đã nhận: 217.500.000 ₫", "TP. Cần Thơ, ngày 20 tháng 11 năm 2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdf lacks %q", want)
		}
	}

	entries, err := ward.Audit(t.Context(), matthan.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range entries {
		got = append(got, a.User+" "+a.Action+" "+a.Detail)
	}
	want := []string{`admin report.pdf period=2026-10 area="Khóm 1"`, `officer report.csv period=2026-10 area=""`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Viewers and contributors may not read it, in any form.
	for _, p := range []string{"/api/reports/ward?period=2026-10", "/api/reports/ward.csv?period=2026-10", "/api/reports/ward.pdf?period=2026-10"} {
		for _, who := range []struct{ user, pw string }{{"viewer", viewerPassword}, {"nha-co-ba", officerPassword}} {
			if status, _, body := e.fetch(p, who.user, who.pw); status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d %s", who.user, p, status, body)
			}
		}
		if status, _, _ := e.fetch(p, "", ""); status != http.StatusUnauthorized {
			t.Errorf("nobody GET %s: %d", p, status)
		}
	}
}
