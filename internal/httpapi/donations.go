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
)

// Donations is what the donation ledger's routes need: the ledger and the
// ward's names for the thank-you letters.
type Donations struct {
	Store matthan.DonationStore
	Ward  pdf.Ward
}

// canReadLedger: the ledger names donors with their contacts, so it is
// for the ward's staff (admins and officers), not viewers; any scope that
// reads will do. Changes are admin-only (adminOnly): the ward's
// administrator keeps the books.
func canReadLedger(r matthan.Role, s matthan.Scopes) bool {
	return (r == matthan.RoleAdmin || r == matthan.RoleOfficer) && s.Effective(r).Has(matthan.ScopeRead)
}

func (s *Server) ledger() (*Donations, error) {
	if s.deps.Donations == nil || s.deps.Donations.Store == nil {
		return nil, matthan.Errorf(matthan.ENOTFOUND, "This node keeps no donation ledger",
			"Máy chủ này không có sổ đóng góp xã hội hóa")
	}
	return s.deps.Donations, nil
}

// ledgerFilter reads ?year=&area=&camera=&limit= .
func ledgerFilter(r *http.Request) (matthan.LedgerFilter, error) {
	q := r.URL.Query()
	f := matthan.LedgerFilter{Area: strings.TrimSpace(q.Get("area")), CameraID: q.Get("camera")}
	var bad fieldErrors
	if v := q.Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1990 || n > 2199 {
			bad.add("year", "Must be a year from 1990 to 2199", "Phải là năm từ 1990 đến 2199")
		}
		f.Year = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			bad.add("limit", "Must be a number from 1 to 10000", "Phải là số từ 1 đến 10000")
		}
		f.Limit = n
	}
	return f, bad.err("Invalid query", "Tham số truy vấn không hợp lệ")
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, matthan.Errorf(matthan.ENOTFOUND, "No such entry in the ledger", "Không có mục này trong sổ")
	}
	return id, nil
}

// ledgerChanged records a change of the ledger in the audit log. The
// detail names the entry, never the donor (personal data).
func (s *Server) ledgerChanged(r *http.Request, u *matthan.User, action string, id int64, ref string) {
	e := &matthan.AuditEntry{At: s.now().UTC(), User: u.Name, Action: action, Remote: remoteHost(r),
		Detail: fmt.Sprintf("id=%d %s", id, ref)}
	if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "audit write failed", "action", action, "err", err)
	}
}

// GET /api/donations?year=&area=&camera=&limit= lists donations, newest first.
func (s *Server) handleListDonations(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	f, err := ledgerFilter(r)
	if err != nil {
		return err
	}
	list, err := l.Store.Donations(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, list)
	return nil
}

// GET /api/donations/totals?year=&area=&camera= sums the ledger.
func (s *Server) handleLedgerTotals(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	f, err := ledgerFilter(r)
	if err != nil {
		return err
	}
	t, err := l.Store.LedgerTotals(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, t)
	return nil
}

// GET /api/donations/{id}
func (s *Server) handleGetDonation(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := l.Store.Donation(r.Context(), id)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, d)
	return nil
}

// POST /api/donations adds a donation; the signed-in admin is its creator.
func (s *Server) handleCreateDonation(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	var d matthan.Donation
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	d.ID, d.CreatedBy = 0, u.Name
	if err := l.Store.CreateDonation(r.Context(), &d); err != nil {
		return err
	}
	s.ledgerChanged(r, u, "donation.create", d.ID, "receipt="+d.ReceiptNo)
	w.Header().Set("Location", "/api/donations/"+strconv.FormatInt(d.ID, 10))
	s.writeJSON(w, r, http.StatusCreated, &d)
	return nil
}

// PUT /api/donations/{id} replaces a donation's fields (what GET gave may
// be sent back; id, created_by and the times in the body are ignored).
func (s *Server) handleUpdateDonation(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var d matthan.Donation
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	d.ID = id
	if err := l.Store.UpdateDonation(r.Context(), &d); err != nil {
		return err
	}
	s.ledgerChanged(r, u, "donation.update", d.ID, "receipt="+d.ReceiptNo)
	s.writeJSON(w, r, http.StatusOK, &d)
	return nil
}

// DELETE /api/donations/{id}
func (s *Server) handleDeleteDonation(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := l.Store.Donation(r.Context(), id)
	if err != nil {
		return err
	}
	if err := l.Store.DeleteDonation(r.Context(), id); err != nil {
		return err
	}
	s.ledgerChanged(r, u, "donation.delete", id, "receipt="+d.ReceiptNo)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /api/donations/{id}/letter.pdf is the thank-you letter (thư cảm
// tạ) for a donation, dated today, to print, sign and seal.
func (s *Server) handleDonationLetter(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := l.Store.Donation(r.Context(), id)
	if err != nil {
		return err
	}
	var cams []*matthan.Camera
	for _, cid := range d.Cameras {
		c, err := s.deps.Store.Camera(r.Context(), cid)
		if matthan.ErrorCode(err) == matthan.ENOTFOUND {
			continue // removed since: the letter names it by its ID
		} else if err != nil {
			return err
		}
		cams = append(cams, c)
	}
	var buf bytes.Buffer
	if err := pdf.ThankYouLetter(&buf, pdf.ThankYou{Ward: l.Ward, Donation: d, Cameras: cams, Date: s.now()}); err != nil {
		return err
	}
	name := "thu-cam-ta-" + d.ReceiptNo + ".pdf"
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(name))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
	return nil
}

// GET /api/costs?year=&area=&camera=&limit= lists the cameras' costs, newest first.
func (s *Server) handleListCosts(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	f, err := ledgerFilter(r)
	if err != nil {
		return err
	}
	list, err := l.Store.CameraCosts(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, list)
	return nil
}

// GET /api/costs/{id}
func (s *Server) handleGetCost(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := l.Store.CameraCost(r.Context(), id)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, c)
	return nil
}

// POST /api/costs adds a camera's cost.
func (s *Server) handleCreateCost(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	var c matthan.CameraCost
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	c.ID, c.CreatedBy = 0, u.Name
	if err := l.Store.CreateCameraCost(r.Context(), &c); err != nil {
		return err
	}
	s.ledgerChanged(r, u, "cost.create", c.ID, "camera="+c.CameraID)
	w.Header().Set("Location", "/api/costs/"+strconv.FormatInt(c.ID, 10))
	s.writeJSON(w, r, http.StatusCreated, &c)
	return nil
}

// PUT /api/costs/{id} replaces a cost's fields.
func (s *Server) handleUpdateCost(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c matthan.CameraCost
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	c.ID = id
	if err := l.Store.UpdateCameraCost(r.Context(), &c); err != nil {
		return err
	}
	s.ledgerChanged(r, u, "cost.update", c.ID, "camera="+c.CameraID)
	s.writeJSON(w, r, http.StatusOK, &c)
	return nil
}

// DELETE /api/costs/{id}
func (s *Server) handleDeleteCost(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	l, err := s.ledger()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := l.Store.DeleteCameraCost(r.Context(), id); err != nil {
		return err
	}
	s.ledgerChanged(r, u, "cost.delete", id, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
