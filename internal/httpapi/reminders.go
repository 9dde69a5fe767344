package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"matthan"
	"matthan/internal/mail"
	"matthan/internal/pdf"
)

// Reminders (nhắc nhở): officers remind the owner of a place of a lapse a
// camera saw (a gate open at night), from an analytics event or by hand.
// The reminder is delivered in the owner's portal (stored), by e-mail when
// the officer gives an address and the node has a mail server, and as a
// printable notice (PDF). The owner acknowledges it; officers see who has
// not and follow up. A contributor sees only reminders addressed to them.

// Reminders is what the reminder routes need.
type Reminders struct {
	Store matthan.ReminderStore
	// Mail sends reminder e-mails; nil: the node has no mail server, and
	// an e-mail asked for is recorded as failed with that reason.
	Mail Mailer
	Ward pdf.Ward // the ward's names on notices and e-mails
	// SendTimeout bounds one e-mail; 0 means 30 s.
	SendTimeout time.Duration
}

// Mailer sends one e-mail; *mail.Sender is one.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

func (s *Server) reminders() (*Reminders, error) {
	if s.deps.Reminders == nil || s.deps.Reminders.Store == nil {
		return nil, matthan.Errorf(matthan.ENOTFOUND, "Reminders are not enabled on this node",
			"Máy chủ này chưa bật chức năng nhắc nhở")
	}
	return s.deps.Reminders, nil
}

// reminderView is a reminder as the API shows it: times also in Vietnam
// time, the snapshot and the notice as URLs (never the path on disk).
type reminderView struct {
	*matthan.Reminder
	SnapshotPath    string `json:"snapshot_path,omitempty"` // hides the file path on disk
	SnapshotURL     string `json:"snapshot_url,omitempty"`
	NoticeURL       string `json:"notice_url"`
	SeenAtLocal     string `json:"seen_at_local"`
	CreatedAtLocal  string `json:"created_at_local"`
	FollowUpAtLocal string `json:"follow_up_at_local"`
	AckedAtLocal    string `json:"acked_at_local,omitempty"`
	Acked           bool   `json:"acked"`
	Overdue         bool   `json:"overdue"`
}

func (s *Server) viewReminder(r *matthan.Reminder) reminderView {
	base := "/api/reminders/" + strconv.FormatInt(r.ID, 10)
	v := reminderView{Reminder: r, NoticeURL: base + "/notice.pdf", SeenAtLocal: matthan.FormatLocal(r.SeenAt),
		CreatedAtLocal: matthan.FormatLocal(r.CreatedAt), FollowUpAtLocal: matthan.FormatLocal(r.FollowUpAt),
		Acked: r.Acked(), Overdue: r.Overdue(s.now())}
	if r.SnapshotPath != "" {
		v.SnapshotURL = base + "/snapshot.jpg"
	}
	if r.Acked() {
		v.AckedAtLocal = matthan.FormatLocal(r.AckedAt)
	}
	return v
}

func (s *Server) viewReminders(list []*matthan.Reminder) []reminderView {
	out := make([]reminderView, len(list))
	for i, r := range list {
		out[i] = s.viewReminder(r)
	}
	return out
}

// reminderInput is the body of POST /api/reminders: from an event
// (event_id; camera, time and what come from it) or by hand (camera_id,
// seen_at, what). advice is required unless the event's type has a default.
type reminderInput struct {
	EventID    string `json:"event_id"`
	CameraID   string `json:"camera_id"`
	SeenAt     string `json:"seen_at"` // RFC 3339 or dd/MM/yyyy HH:mm:ss (Vietnam)
	What       string `json:"what"`
	Advice     string `json:"advice"`
	Email      string `json:"email"`
	FollowUpAt string `json:"follow_up_at"` // optional; default 3 days later
}

// POST /api/reminders sends a reminder to the owner of the camera's place.
func (s *Server) handleCreateReminder(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rs, err := s.reminders()
	if err != nil {
		return err
	}
	var in reminderInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rem := &matthan.Reminder{CameraID: strings.TrimSpace(in.CameraID), What: in.What, Advice: in.Advice,
		Email: in.Email, CreatedBy: u.Name}
	var bad fieldErrors
	if id := strings.TrimSpace(in.EventID); id != "" {
		st, err := s.eventsStore()
		if err != nil {
			return err
		}
		ev, err := st.AnalyticsEvent(r.Context(), id)
		if matthan.ErrorCode(err) == matthan.ENOTFOUND {
			bad.add("event_id", "No such event", "Không có sự kiện này")
		} else if err != nil {
			return err
		} else {
			rem.EventID, rem.CameraID, rem.SeenAt, rem.SnapshotPath = ev.ID, ev.CameraID, ev.Start, ev.SnapshotPath
			if strings.TrimSpace(rem.What) == "" {
				rem.What = matthan.ReminderWhat(ev)
			}
			if strings.TrimSpace(rem.Advice) == "" {
				rem.Advice = matthan.DefaultAdvice(ev.Type)
			}
		}
	} else if strings.TrimSpace(in.SeenAt) != "" {
		rem.SeenAt = bad.time("seen_at", in.SeenAt)
	}
	if strings.TrimSpace(in.FollowUpAt) != "" {
		if rem.FollowUpAt = bad.time("follow_up_at", in.FollowUpAt); !rem.FollowUpAt.IsZero() && !rem.FollowUpAt.After(s.now()) {
			bad.add("follow_up_at", "Must be in the future", "Phải là thời điểm trong tương lai")
		}
	}
	var cam *matthan.Camera
	if rem.CameraID != "" && len(bad) == 0 {
		c, err := s.deps.Store.Camera(r.Context(), rem.CameraID)
		if matthan.ErrorCode(err) == matthan.ENOTFOUND {
			bad.add("camera_id", "No such camera", "Không có camera này")
		} else if err != nil {
			return err
		} else {
			cam, rem.Recipient = c, c.Contributor
		}
	}
	if err := bad.err("The reminder has invalid fields", "Phiếu nhắc nhở có trường không hợp lệ"); err != nil {
		return err
	}
	if rem.FollowUpAt.IsZero() {
		rem.FollowUpAt = s.now().Add(matthan.DefaultFollowUp)
	}
	if err := rs.Store.CreateReminder(r.Context(), rem); err != nil {
		return err
	}
	if rem.Email != "" {
		d := rem.Delivered
		d.Email, d.EmailAt = matthan.EmailSent, s.now().UTC()
		if err := s.mailReminder(r.Context(), rs, rem, cam); err != nil {
			s.log.WarnContext(r.Context(), "reminder e-mail failed", "camera", rem.CameraID, "reminder", rem.ID, "err", err)
			d.Email, d.EmailError = matthan.EmailFailed, err.Error()
		}
		if rem, err = rs.Store.SetReminderDelivery(r.Context(), rem.ID, d); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("id=%d to=%s email=%s", rem.ID, rem.Recipient, rem.Delivered.Email)
	if rem.EventID != "" {
		detail += " event=" + rem.EventID
	}
	s.auditEvidence(r, u, "reminder.send", rem.CameraID, detail)
	w.Header().Set("Location", "/api/reminders/"+strconv.FormatInt(rem.ID, 10))
	s.writeJSON(w, r, http.StatusCreated, s.viewReminder(rem))
	return nil
}

// errNoMail is why an e-mail was not sent when the node has no mail server.
var errNoMail = errors.New("this node has no mail server (mail.smtp) / máy chủ chưa cấu hình máy chủ thư (mail.smtp)")

// mailReminder e-mails the reminder with its snapshot and printable notice.
func (s *Server) mailReminder(ctx context.Context, rs *Reminders, rem *matthan.Reminder, cam *matthan.Camera) error {
	if rs.Mail == nil {
		return errNoMail
	}
	snap := s.reminderSnapshot(rem)
	var notice bytes.Buffer
	if err := pdf.ReminderNotice(&notice, pdf.Notice{Ward: rs.Ward, Reminder: rem, Camera: cam, Snapshot: snap, Date: s.now()}); err != nil {
		return err
	}
	m := reminderMail(rs.Ward, rem, cam)
	if snap != nil {
		m.Attachments = append(m.Attachments, mail.Attachment{Name: fmt.Sprintf("anh-nhac-nho-%d.jpg", rem.ID), ContentType: "image/jpeg", Data: snap})
	}
	m.Attachments = append(m.Attachments, mail.Attachment{Name: fmt.Sprintf("phieu-nhac-nho-%d.pdf", rem.ID),
		ContentType: "application/pdf", Data: notice.Bytes()})
	timeout := rs.SendTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout) // a client hanging up does not cut a send halfway
	defer cancel()
	return rs.Mail.Send(ctx, m)
}

// reminderMail is the e-mail of a reminder, in Vietnamese.
func reminderMail(w pdf.Ward, rem *matthan.Reminder, cam *matthan.Camera) mail.Message {
	owner, where := "Quý ông/bà", ""
	camName := rem.CameraID
	if cam != nil {
		if cam.Owner.Name != "" {
			owner = cam.Owner.Name
		}
		camName = "«" + cam.Name + "»"
		where = strings.Trim(strings.Join([]string{cam.Address, cam.Area}, ", "), ", ")
	}
	what := strings.Join(strings.Fields(rem.What), " ")
	if utf8.RuneCountInString(what) > 80 {
		what = string([]rune(what)[:80]) + "…"
	}
	seen := pdf.NoticeTime(rem.SeenAt)
	lines := []string{
		"Kính gửi " + owner + ",",
		"",
		fmt.Sprintf("Qua camera an ninh %s%s, %s ghi nhận lúc %s:", camName, parens(where), w.Name, seen),
		rem.What,
		"",
		"Đề nghị: " + rem.Advice,
		"",
		"Xin vui lòng xác nhận đã nhận nhắc nhở này trên cổng thông tin Mắt Thần (mục Nhắc nhở), " +
			"hoặc ký phần xác nhận trên phiếu nhắc nhở đính kèm và gửi lại " + w.Authority + ".",
		"",
		"Trân trọng,",
		w.Authority,
	}
	esc := html.EscapeString
	htmlBody := "<p>Kính gửi " + esc(owner) + ",</p>" +
		"<p>Qua camera an ninh " + esc(camName+parens(where)) + ", " + esc(w.Name) + " ghi nhận lúc <b>" + esc(seen) + "</b>:</p>" +
		"<blockquote>" + strings.ReplaceAll(esc(rem.What), "\n", "<br>") + "</blockquote>" +
		"<p><b>Đề nghị:</b> " + strings.ReplaceAll(esc(rem.Advice), "\n", "<br>") + "</p>" +
		"<p>Xin vui lòng xác nhận đã nhận nhắc nhở này trên cổng thông tin Mắt Thần (mục Nhắc nhở), " +
		"hoặc ký phần xác nhận trên phiếu nhắc nhở đính kèm và gửi lại " + esc(w.Authority) + ".</p>" +
		"<p>Trân trọng,<br>" + esc(w.Authority) + "</p>"
	return mail.Message{To: []string{rem.Email}, Subject: "Nhắc nhở của " + w.Name + ": " + what,
		Text: strings.Join(lines, "\n"), HTML: htmlBody}
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// reminderSnapshot reads the reminder's snapshot; nil when there is none
// (or it was pruned with its event).
func (s *Server) reminderSnapshot(rem *matthan.Reminder) []byte {
	rel := filepath.FromSlash(rem.SnapshotPath)
	if rem.SnapshotPath == "" || s.deps.EventsDir == "" || !filepath.IsLocal(rel) {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(s.deps.EventsDir, rel))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("reminder snapshot unreadable", "camera", rem.CameraID, "reminder", rem.ID, "err", err)
		}
		return nil
	}
	data, err = s.maskSnapshot(context.Background(), rem.CameraID, data)
	if err != nil {
		s.log.Warn("reminder snapshot left out: it cannot be masked", "camera", rem.CameraID, "reminder", rem.ID, "err", err)
		return nil
	}
	return data
}

// GET /api/reminders?recipient=&camera=&unacked=true&overdue=true&limit=
// lists reminders, newest first.
func (s *Server) handleListReminders(w http.ResponseWriter, r *http.Request, _ *matthan.User) error {
	rs, err := s.reminders()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := matthan.ReminderFilter{Recipient: strings.TrimSpace(q.Get("recipient")), CameraID: strings.TrimSpace(q.Get("camera"))}
	var bad fieldErrors
	flag := func(name string) bool {
		v := q.Get(name)
		b, err := strconv.ParseBool(v)
		if v != "" && err != nil {
			bad.add(name, "Must be true or false", "Phải là true hoặc false")
		}
		return b
	}
	f.Unacked = flag("unacked")
	if flag("overdue") {
		f.OverdueAt = s.now()
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad.add("limit", "Must be a number from 1 to 1000", "Phải là số từ 1 đến 1000")
		}
		f.Limit = n
	}
	if err := bad.err("Invalid query", "Tham số truy vấn không hợp lệ"); err != nil {
		return err
	}
	list, err := rs.Store.Reminders(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, s.viewReminders(list))
	return nil
}

// reminderID reads {id}; a malformed one is not found.
func reminderID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, matthan.Errorf(matthan.ENOTFOUND, "No such reminder", "Không có phiếu nhắc nhở này")
	}
	return id, nil
}

// visibleReminder returns reminder {id} if u may see it: the ward's
// officers and admins see every reminder, a contributor only those
// addressed to them (others are not found, so IDs tell nothing).
func (s *Server) visibleReminder(r *http.Request, u *matthan.User) (*Reminders, *matthan.Reminder, error) {
	rs, err := s.reminders()
	if err != nil {
		return nil, nil, err
	}
	id, err := reminderID(r)
	if err != nil {
		return nil, nil, err
	}
	rem, err := rs.Store.Reminder(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	staff := scopesOf(r).Effective(u.Role).Has(matthan.ScopePlayback)
	if !staff && (rem.Recipient == "" || rem.Recipient != u.Name) {
		return nil, nil, matthan.ErrReminderNotFound(id)
	}
	return rs, rem, nil
}

// GET /api/reminders/{id} (officers, admins) and GET /api/my/reminders/{id}
// (the recipient).
func (s *Server) handleGetReminder(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	_, rem, err := s.visibleReminder(r, u)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, s.viewReminder(rem))
	return nil
}

// followUpInput is the body of POST /api/reminders/{id}/follow-up; all
// optional.
type followUpInput struct {
	Next string `json:"next"` // when to check again; default 3 days from now
	Note string `json:"note"` // what the officer did (visited, phoned), for the audit log
}

// POST /api/reminders/{id}/follow-up counts a follow-up of a reminder the
// owner has not acknowledged and schedules the next one.
func (s *Server) handleFollowUpReminder(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rs, err := s.reminders()
	if err != nil {
		return err
	}
	id, err := reminderID(r)
	if err != nil {
		return err
	}
	var in followUpInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	var bad fieldErrors
	next := s.now().Add(matthan.DefaultFollowUp)
	if strings.TrimSpace(in.Next) != "" {
		if next = bad.time("next", in.Next); !next.IsZero() && !next.After(s.now()) {
			bad.add("next", "Must be in the future", "Phải là thời điểm trong tương lai")
		}
	}
	in.Note = bad.text("note", in.Note, false)
	if err := bad.err("The follow-up has invalid fields", "Thông tin theo dõi không hợp lệ"); err != nil {
		return err
	}
	rem, err := rs.Store.FollowUpReminder(r.Context(), id, next)
	if err != nil {
		return err
	}
	s.auditEvidence(r, u, "reminder.follow-up", rem.CameraID, fmt.Sprintf("id=%d follow_ups=%d next=%s note=%q",
		rem.ID, rem.FollowUps, rem.FollowUpAt.Format(time.RFC3339), in.Note))
	s.writeJSON(w, r, http.StatusOK, s.viewReminder(rem))
	return nil
}

// GET /api/reminders/{id}/notice.pdf is the printable notice (phiếu nhắc
// nhở), for officers and admins and for the recipient.
func (s *Server) handleReminderNotice(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rs, rem, err := s.visibleReminder(r, u)
	if err != nil {
		return err
	}
	cam, err := s.deps.Store.Camera(r.Context(), rem.CameraID)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		cam = nil // removed since: the notice names it by its ID
	} else if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pdf.ReminderNotice(&buf, pdf.Notice{Ward: rs.Ward, Reminder: rem, Camera: cam,
		Snapshot: s.reminderSnapshot(rem), Date: rem.CreatedAt}); err != nil {
		return err
	}
	if err := s.auditPlayback(r, u, "reminder.notice", rem.CameraID, "", fmt.Sprintf("id=%d", rem.ID)); err != nil {
		return err
	}
	name := fmt.Sprintf("phieu-nhac-nho-%d.pdf", rem.ID)
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(name))
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
	return nil
}

// GET /api/reminders/{id}/snapshot.jpg is the reminder's snapshot, for
// officers and admins and for the recipient; each view is audited.
func (s *Server) handleReminderSnapshot(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	_, rem, err := s.visibleReminder(r, u)
	if err != nil {
		return err
	}
	data := s.reminderSnapshot(rem)
	if data == nil {
		return matthan.Errorf(matthan.ENOTFOUND, "This reminder has no snapshot", "Phiếu nhắc nhở này không có ảnh chụp")
	}
	if err := s.auditPlayback(r, u, "reminder.snapshot", rem.CameraID, "", fmt.Sprintf("id=%d", rem.ID)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(data)
	return nil
}

// GET /api/my/reminders?unacked=true: the reminders addressed to the
// signed-in contributor, newest first.
func (s *Server) handleMyReminders(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rs, err := s.reminders()
	if err != nil {
		return err
	}
	f := matthan.ReminderFilter{Recipient: u.Name}
	if v := r.URL.Query().Get("unacked"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &matthan.Error{Code: matthan.EINVALID, Message: "Invalid query", MessageVI: "Tham số truy vấn không hợp lệ",
				Fields: []matthan.FieldError{{Field: "unacked", Message: "Must be true or false", MessageVI: "Phải là true hoặc false"}}}
		}
		f.Unacked = b
	}
	list, err := rs.Store.Reminders(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, s.viewReminders(list))
	return nil
}

// ackInput is the body of POST /api/my/reminders/{id}/ack.
type ackInput struct {
	Note string `json:"note"` // e.g. "Đã lắp khóa mới"; optional
}

// POST /api/my/reminders/{id}/ack: the recipient acknowledges a reminder.
// Another user's reminder is not found.
func (s *Server) handleAckReminder(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	rs, err := s.reminders()
	if err != nil {
		return err
	}
	id, err := reminderID(r)
	if err != nil {
		return err
	}
	var in ackInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	rem, err := rs.Store.AckReminder(r.Context(), id, u.Name, in.Note, s.now().UTC())
	if err != nil {
		return err
	}
	s.auditEvidence(r, u, "reminder.ack", rem.CameraID, fmt.Sprintf("id=%d", rem.ID))
	s.writeJSON(w, r, http.StatusOK, s.viewReminder(rem))
	return nil
}
