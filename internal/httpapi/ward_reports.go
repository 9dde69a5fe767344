package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"matthan"
	"matthan/internal/pdf"
	"matthan/internal/report"
)

// The ward's monthly and quarterly report (internal/report) for the
// People's Committee: as JSON for the screen, as CSV and PDF to hand on.
// It names donors' totals and camera owners' places, so it is for the
// ward's staff (canReadLedger); each CSV or PDF download is audited
// (report.csv, report.pdf), since the file leaves the node.

// reportSource is what the reports are summed from; nil: none.
func (s *Server) reportSource() (report.Source, error) {
	if s.deps.Reports != nil {
		return s.deps.Reports, nil
	}
	return nil, matthan.Errorf(matthan.ENOTFOUND, "This node's store makes no reports",
		"Cơ sở dữ liệu của máy chủ này không lập được báo cáo")
}

// wardReport reads ?period= (2026-11 or 2026-Q4; default this month) and
// ?area= ("" for the whole ward) and builds the report.
func (s *Server) wardReport(r *http.Request) (*report.Report, error) {
	src, err := s.reportSource()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	now := s.now()
	p := report.PeriodOf(report.Month, now)
	if v := q.Get("period"); v != "" {
		if p, err = report.ParsePeriod(v); err != nil {
			return nil, err
		}
	}
	return report.Build(r.Context(), src, p, strings.TrimSpace(q.Get("area")), now)
}

// reportWard is the ward's names for the PDF's header.
func (s *Server) reportWard() pdf.Ward {
	switch {
	case s.deps.Donations != nil:
		return s.deps.Donations.Ward
	case s.deps.Reminders != nil:
		return s.deps.Reminders.Ward
	}
	return pdf.Ward{}
}

// reportFileName is e.g. "bao-cao-2026-Q4-khom-1.csv".
func reportFileName(rep *report.Report, ext string) string {
	name := "bao-cao-" + rep.Period
	if rep.Area != "" {
		name += "-" + strings.ToLower(strings.Join(strings.Fields(rep.Area), "-"))
	}
	return name + "." + ext
}

// GET /api/reports/ward?period=&area=
func (s *Server) handleWardReport(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	rep, err := s.wardReport(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, rep)
	return nil
}

// GET /api/reports/ward.csv?period=&area=
func (s *Server) handleWardReportCSV(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rep, err := s.wardReport(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, rep); err != nil {
		return err
	}
	return s.sendReport(w, r, u, rep, "report.csv", "text/csv; charset=utf-8", reportFileName(rep, "csv"), buf.Bytes())
}

// GET /api/reports/ward.pdf?period=&area=
func (s *Server) handleWardReportPDF(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rep, err := s.wardReport(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pdf.ReportPDF(&buf, pdf.WardReport{Ward: s.reportWard(), Report: rep, Date: s.now()}); err != nil {
		return err
	}
	return s.sendReport(w, r, u, rep, "report.pdf", "application/pdf", reportFileName(rep, "pdf"), buf.Bytes())
}

// sendReport audits a download, then sends the file.
func (s *Server) sendReport(w http.ResponseWriter, r *http.Request, u *matthan.User, rep *report.Report,
	action, contentType, name string, body []byte) error {
	e := &matthan.AuditEntry{At: s.now().UTC(), User: u.Name, Action: action, Remote: remoteHost(r),
		Detail: fmt.Sprintf("period=%s area=%q", rep.Period, rep.Area)}
	if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	disposition := "attachment"
	if contentType == "application/pdf" {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(name))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
	return nil
}
