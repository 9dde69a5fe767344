package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"matthan"
	"matthan/internal/export"
)

// Cases (vụ việc), for officers and admins: open a case, attach events,
// footage, notes and descriptions, export evidence packages from it, close
// and reopen it. The store keeps each case's chain of custody; every
// action is also audited (case.*), with the case's camera when it has one.

// Cases is what the case routes need.
type Cases struct {
	Store matthan.CaseStore
	// KeepDays is how long a closed case's footage stays locked unless the
	// case says otherwise (config cases.keep-days); 0 means
	// matthan.DefaultCaseKeepDays.
	KeepDays int
}

func errCasesOff() error {
	return matthan.Errorf(matthan.ENOTFOUND, "Cases are not available on this node", "Nút này không hỗ trợ vụ việc")
}

func (s *Server) cases() (*Cases, error) {
	if s.deps.Cases == nil || s.deps.Cases.Store == nil {
		return nil, errCasesOff()
	}
	return s.deps.Cases, nil
}

// caseView is a case as the API shows it, its times also in Vietnam time.
type caseView struct {
	*matthan.Case
	OpenedAtLocal   string     `json:"opened_at_local"`
	ClosedAtLocal   string     `json:"closed_at_local,omitempty"`
	LocksUntil      *time.Time `json:"locks_until,omitempty"` // when a closed case's footage locks end
	LocksUntilLocal string     `json:"locks_until_local,omitempty"`
}

func viewCase(c *matthan.Case) caseView {
	v := caseView{Case: c, OpenedAtLocal: matthan.FormatLocal(c.OpenedAt)}
	if !c.ClosedAt.IsZero() {
		v.ClosedAtLocal = matthan.FormatLocal(c.ClosedAt)
	}
	if until := c.LocksUntil(); !until.IsZero() {
		v.LocksUntil, v.LocksUntilLocal = &until, matthan.FormatLocal(until)
	}
	return v
}

// caseDetail is GET /api/cases/{id}: the case, every item (removed ones
// marked), its log in order and the locks on its footage.
type caseDetail struct {
	caseView
	Items []*matthan.CaseItem `json:"items"`
	Log   []*matthan.CaseLog  `json:"log"`
	Locks []lockView          `json:"locks"`
}

// caseInput is the body of POST /api/cases.
type caseInput struct {
	Number      string `json:"number"`
	Title       string `json:"title"`
	Description string `json:"description"`
	KeepDays    int    `json:"keep_days"`
}

// caseOf reads the case of a route's {id}, with the case routes' deps; an
// ID that cannot be one is 404.
func (s *Server) caseOf(r *http.Request) (*Cases, *matthan.Case, error) {
	cs, err := s.cases()
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, matthan.Errorf(matthan.ENOTFOUND, "No such case", "Không có vụ việc này")
	}
	c, err := cs.Store.Case(r.Context(), id)
	return cs, c, err
}

// auditCase audits a case action once per camera of the case's footage
// (cams), or once without a camera when it has none.
func (s *Server) auditCase(r *http.Request, u *matthan.User, action string, c *matthan.Case, cams []string, detail string) {
	if len(cams) == 0 {
		cams = []string{""}
	}
	for _, cam := range cams {
		s.auditEvidence(r, u, action, cam, fmt.Sprintf("case %s (%d); %s", c.Number, c.ID, detail))
	}
}

// caseCameras lists the cameras of a case's footage items not removed.
func caseCameras(items []*matthan.CaseItem) []string {
	var cams []string
	for _, it := range items {
		if it.Footage() && !it.Removed() && !slices.Contains(cams, it.CameraID) {
			cams = append(cams, it.CameraID)
		}
	}
	slices.Sort(cams)
	return cams
}

// handleCreateCase answers POST /api/cases with the open case (201).
func (s *Server) handleCreateCase(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	cs, err := s.cases()
	if err != nil {
		return err
	}
	var in caseInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &matthan.Case{Number: in.Number, Title: in.Title, Description: in.Description, KeepDays: in.KeepDays,
		OpenedBy: u.Name, OpenedAt: s.now().UTC()}
	if c.KeepDays == 0 {
		c.KeepDays = cs.KeepDays
	}
	if err := cs.Store.CreateCase(r.Context(), c); err != nil {
		return err
	}
	s.auditCase(r, u, "case.open", c, nil, c.Title)
	w.Header().Set("Location", fmt.Sprintf("/api/cases/%d", c.ID))
	s.writeJSON(w, r, http.StatusCreated, viewCase(c))
	return nil
}

// handleListCases answers GET /api/cases?status=open|closed, newest first.
func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	cs, err := s.cases()
	if err != nil {
		return err
	}
	f := matthan.CaseFilter{Status: matthan.CaseStatus(r.URL.Query().Get("status"))}
	if f.Status != "" && f.Status != matthan.CaseOpen && f.Status != matthan.CaseClosed {
		return fieldInvalid("status", `Must be "open" or "closed"`, `Phải là "open" hoặc "closed"`)
	}
	list, err := cs.Store.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	views := make([]caseView, 0, len(list))
	for _, c := range list {
		views = append(views, viewCase(c))
	}
	s.writeJSON(w, r, http.StatusOK, views)
	return nil
}

// handleGetCase answers GET /api/cases/{id}.
func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	cs, c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	d := caseDetail{caseView: viewCase(c), Locks: []lockView{}}
	if d.Items, err = cs.Store.CaseItems(r.Context(), c.ID); err != nil {
		return err
	}
	if d.Log, err = cs.Store.CaseLogs(r.Context(), c.ID); err != nil {
		return err
	}
	if s.deps.Recordings != nil {
		locks, err := s.deps.Recordings.Locks(r.Context(), matthan.LockFilter{Case: c.Number})
		if err != nil {
			return fmt.Errorf("evidence locks: %w", err)
		}
		for _, l := range locks {
			d.Locks = append(d.Locks, viewLock(l, s.now()))
		}
	}
	s.writeJSON(w, r, http.StatusOK, d)
	return nil
}

// itemInput is the body of POST /api/cases/{id}/items. Times are RFC 3339
// or dd/MM/yyyy HH:mm:ss in Vietnam time.
type itemInput struct {
	Kind     matthan.CaseItemKind `json:"kind"`
	EventID  string               `json:"event_id"`
	CameraID string               `json:"camera_id"`
	From     string               `json:"from"`
	To       string               `json:"to"`
	Text     string               `json:"text"`
}

// handleAddCaseItem answers POST /api/cases/{id}/items (201 with the
// item). Footage and events lock their footage for the case; an event
// locks its span ± matthan.EventLockMargin.
func (s *Server) handleAddCaseItem(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	cs, c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	var in itemInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it := &matthan.CaseItem{CaseID: c.ID, Kind: in.Kind, Text: in.Text, AddedBy: u.Name, AddedAt: s.now().UTC()}
	var bad fieldErrors
	switch in.Kind {
	case matthan.CaseItemFootage:
		it.CameraID = strings.TrimSpace(in.CameraID)
		it.From, it.To = bad.time("from", in.From), bad.time("to", in.To)
		if it.CameraID != "" {
			if _, err := s.deps.Store.Camera(r.Context(), it.CameraID); matthan.ErrorCode(err) == matthan.ENOTFOUND {
				bad.add("camera_id", "No such camera", "Không có camera này")
			} else if err != nil {
				return err
			}
		}
	case matthan.CaseItemEvent:
		it.EventID = strings.TrimSpace(in.EventID)
		if it.EventID != "" {
			if s.deps.Events == nil {
				bad.add("event_id", "Analytics events are not available on this node", "Nút này không có sự kiện phân tích")
				break
			}
			ev, err := s.deps.Events.AnalyticsEvent(r.Context(), it.EventID)
			switch {
			case matthan.ErrorCode(err) == matthan.ENOTFOUND:
				bad.add("event_id", "No such event", "Không có sự kiện này")
			case err != nil:
				return err
			default:
				it.CameraID = ev.CameraID
				it.From, it.To = ev.Footage(matthan.EventLockMargin, matthan.EventLockMargin)
				if it.Text == "" {
					it.Text = ev.SummaryVI
				}
			}
		}
	case matthan.CaseItemExport:
		bad.add("kind", "Export items are added by exporting from the case (POST /api/cases/{id}/exports)",
			"Mục gói chứng cứ được thêm khi trích xuất từ vụ việc (POST /api/cases/{id}/exports)")
	}
	// The item's own checks too, each field named once; an event's camera
	// and range come from the event, not from the client.
	if err := it.Validate(); err != nil {
		e, ok := err.(*matthan.Error)
		if !ok {
			return err
		}
		for _, f := range e.Fields {
			fromEvent := it.Kind == matthan.CaseItemEvent && (f.Field == "camera_id" || f.Field == "from" || f.Field == "to")
			if !fromEvent && !slices.ContainsFunc(bad, func(b matthan.FieldError) bool { return b.Field == f.Field }) {
				bad = append(bad, f)
			}
		}
	}
	if err := bad.err("The case item has invalid fields", "Mục của vụ việc có trường không hợp lệ"); err != nil {
		return err
	}
	if err := cs.Store.AddCaseItem(r.Context(), it); err != nil {
		return err
	}
	var cams []string
	detail := fmt.Sprintf("added item %d (%s)", it.ID, it.Kind)
	if it.Footage() {
		cams = []string{it.CameraID}
		detail += fmt.Sprintf("; lock %d; range: %s", it.LockID, localRange(it.From, it.To))
	}
	if it.EventID != "" {
		detail += "; event " + it.EventID
	}
	s.auditCase(r, u, "case.item.add", c, cams, detail)
	s.writeJSON(w, r, http.StatusCreated, it)
	return nil
}

// reasonInput is the body of a removal, close or reopen: why.
type reasonInput struct {
	Reason string `json:"reason"`
}

// readReason reads an optional {"reason": …} body; required says it must
// be given.
func readReason(w http.ResponseWriter, r *http.Request, required bool, en, vi string) (string, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return "", badBody("The request body is larger than 1 MiB", "Nội dung yêu cầu lớn hơn 1 MiB")
	}
	var in reasonInput
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(bytes.NewReader(body), &in); err != nil {
			return "", err
		}
	}
	var bad fieldErrors
	why := bad.text("reason", in.Reason, required)
	return why, bad.err(en, vi)
}

// handleRemoveCaseItem answers DELETE /api/cases/{id}/items/{item} with a
// body {"reason": "..."} (required): the item stays, marked removed, and
// its footage lock is released.
func (s *Server) handleRemoveCaseItem(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	cs, c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	itemID, err := strconv.ParseInt(r.PathValue("item"), 10, 64)
	if err != nil || itemID <= 0 {
		return matthan.Errorf(matthan.ENOTFOUND, "No such case item", "Không có mục này trong vụ việc")
	}
	why, err := readReason(w, r, true, "The removal has invalid fields", "Yêu cầu gỡ mục có trường không hợp lệ")
	if err != nil {
		return err
	}
	it, err := cs.Store.RemoveCaseItem(r.Context(), c.ID, itemID, u.Name, why, s.now().UTC())
	if err != nil {
		return err
	}
	var cams []string
	if it.Footage() {
		cams = []string{it.CameraID}
	}
	s.auditCase(r, u, "case.item.remove", c, cams, fmt.Sprintf("removed item %d (%s); reason: %s", it.ID, it.Kind, why))
	s.writeJSON(w, r, http.StatusOK, it)
	return nil
}

// handleCloseCase answers POST /api/cases/{id}/close ({"reason"}
// optional): the footage locks end keep_days after closing.
func (s *Server) handleCloseCase(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	return s.closeOrReopen(w, r, u, true)
}

// handleReopenCase answers POST /api/cases/{id}/reopen ({"reason"}
// optional): its footage is locked again, with no end.
func (s *Server) handleReopenCase(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	return s.closeOrReopen(w, r, u, false)
}

func (s *Server) closeOrReopen(w http.ResponseWriter, r *http.Request, u *matthan.User, closing bool) error {
	cs, c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	why, err := readReason(w, r, false, "The request has invalid fields", "Yêu cầu có trường không hợp lệ")
	if err != nil {
		return err
	}
	action, change := "case.reopen", cs.Store.ReopenCase
	if closing {
		action, change = "case.close", cs.Store.CloseCase
	}
	if c, err = change(r.Context(), c.ID, u.Name, why, s.now().UTC()); err != nil {
		return err
	}
	items, err := cs.Store.CaseItems(r.Context(), c.ID)
	if err != nil {
		return err
	}
	detail := "reopened; footage locked again with no end"
	if closing {
		detail = fmt.Sprintf("closed; footage locked until %s", matthan.FormatLocal(c.LocksUntil()))
	}
	if why != "" {
		detail += "; reason: " + why
	}
	s.auditCase(r, u, action, c, caseCameras(items), detail)
	s.writeJSON(w, r, http.StatusOK, viewCase(c))
	return nil
}

// caseExportInput is the body of POST /api/cases/{id}/exports. Cameras,
// from and to default to the case's footage: every camera of its footage
// items, from the earliest start to the latest end.
type caseExportInput struct {
	Cameras []string           `json:"cameras"`
	From    string             `json:"from"`
	To      string             `json:"to"`
	Reason  string             `json:"reason"`
	Stream  matthan.StreamRole `json:"stream"`
}

// handleCaseExport answers POST /api/cases/{id}/exports: an evidence
// package labelled with the case number (audited by internal/export), an
// export item on the case while it is open, and an entry in its log.
// Each camera's sharing must allow playback of the range.
func (s *Server) handleCaseExport(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if s.deps.Exports == nil {
		return errExportsOff()
	}
	cs, c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	var in caseExportInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	items, err := cs.Store.CaseItems(r.Context(), c.ID)
	if err != nil {
		return err
	}
	var bad fieldErrors
	var from, to time.Time
	if strings.TrimSpace(in.From) != "" {
		from = bad.time("from", in.From)
	}
	if strings.TrimSpace(in.To) != "" {
		to = bad.time("to", in.To)
	}
	cams := in.Cameras
	if len(cams) == 0 {
		cams = caseCameras(items)
	}
	// The range defaults to the footage of the chosen cameras in the case.
	var itemFrom, itemTo time.Time
	for _, it := range items {
		if !it.Footage() || it.Removed() || !slices.Contains(cams, it.CameraID) {
			continue
		}
		if itemFrom.IsZero() || it.From.Before(itemFrom) {
			itemFrom = it.From
		}
		if it.To.After(itemTo) {
			itemTo = it.To
		}
	}
	if from.IsZero() && strings.TrimSpace(in.From) == "" {
		from = itemFrom
	}
	if to.IsZero() && strings.TrimSpace(in.To) == "" {
		to = itemTo
	}
	if len(cams) == 0 {
		bad.add("cameras", "The case has no footage: choose cameras", "Vụ việc chưa có đoạn ghi hình: hãy chọn camera")
	} else if (from.IsZero() && strings.TrimSpace(in.From) == "") || (to.IsZero() && strings.TrimSpace(in.To) == "") {
		bad.add("from", "The case has no footage of these cameras: give from and to",
			"Vụ việc không có đoạn ghi hình của các camera này: hãy nhập from và to")
	}
	bad.rangeAfter(from, to)
	reason := bad.text("reason", in.Reason, true)
	if in.Stream != "" && in.Stream != matthan.StreamMain && in.Stream != matthan.StreamSub {
		bad.add("stream", `Must be "main" or "sub"`, `Phải là "main" hoặc "sub"`)
	}
	if err := bad.err("The export request is not valid", "Yêu cầu trích xuất không hợp lệ"); err != nil {
		return err
	}
	res, v, err := s.exportShared(r, u, export.Request{CameraIDs: cams, Stream: in.Stream, From: from, To: to,
		Reason: reason, Case: c.Number})
	if err != nil {
		return err
	}
	// The package exists now: record it in the case even if the client
	// has hung up meanwhile.
	r = r.WithContext(context.WithoutCancel(r.Context()))
	// In Vietnamese, as the rest of the case's log (internal/sqlite).
	detail := fmt.Sprintf("gói %s; sha256 %s; camera %s; thời gian: %s; lý do: %s", res.ID, res.SHA256,
		strings.Join(cams, ", "), localRange(from, to), reason)
	// The package exists now: record it even if the case closed meanwhile.
	if err := cs.Store.AddCaseLog(r.Context(), &matthan.CaseLog{CaseID: c.ID, At: s.now().UTC(), User: u.Name,
		Action: matthan.CaseActionExport, Detail: detail}); err != nil {
		return err
	}
	if c.Status == matthan.CaseOpen {
		it := &matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemExport, ExportID: res.ID, Text: reason,
			AddedBy: u.Name, AddedAt: s.now().UTC()}
		if err := cs.Store.AddCaseItem(r.Context(), it); err != nil {
			return err
		}
		v.ItemID = it.ID
	}
	s.auditCase(r, u, "case.export", c, cams, detail)
	w.Header().Set("Location", v.Download)
	s.writeJSON(w, r, http.StatusCreated, v)
	return nil
}
