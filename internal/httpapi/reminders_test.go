package httpapi

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/mail"
	"matthan/internal/pdf"
)

// fakeMailer records what it is asked to send and refuses addresses that
// contain "fail", as a mail server would refuse a mailbox.
type fakeMailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (f *fakeMailer) Send(_ context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Contains(strings.Join(m.To, ","), "fail") {
		return errors.New("mail: RCPT TO: 550 mailbox unavailable")
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeMailer) messages() []mail.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// reminderView mirrors the API's view for decoding.
type remView struct {
	matthan.Reminder
	SnapshotURL string `json:"snapshot_url"`
	NoticeURL   string `json:"notice_url"`
	SeenAtLocal string `json:"seen_at_local"`
	Acked       bool   `json:"acked"`
	Overdue     bool   `json:"overdue"`
}

// newReminderEnv is an API with reminders, events and a fake mailer; two
// contributors (nha-co-ba, tiem-vang) each registered a camera, and the
// ward has cam-1. Event ev-gate is a security lapse on nha-co-ba-1 with a
// snapshot.
func newReminderEnv(t *testing.T) (*env, *fakeMailer, []byte) {
	t.Helper()
	dir := t.TempDir()
	fm := &fakeMailer{}
	e := newEnvWith(t, func(d *Deps) {
		d.Events, d.EventsDir = d.Store.(matthan.EventStore), dir
		d.Reminders = &Reminders{Store: d.Store.(matthan.ReminderStore), Mail: fm, Ward: pdf.Ward{Name: "Phường An Bình",
			Authority: "CÔNG AN PHƯỜNG AN BÌNH", City: "TP. Cần Thơ", Signer: "Lê Văn Hùng", SignerTitle: "TRƯỞNG CÔNG AN PHƯỜNG"}}
	})
	e.addContributors("nha-co-ba", "tiem-vang")
	for _, name := range []string{"nha-co-ba", "tiem-vang"} {
		body := cameraBody(name + "-1")
		body["owner"] = map[string]any{"kind": "household", "name": "Hộ " + name, "contact": "0903000111"}
		if r := e.doAuth("POST", "/api/my/cameras", name, officerPassword, body); r.status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != http.StatusCreated {
		t.Fatalf("ward camera: %d %s", r.status, r.body)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 36)), nil); err != nil {
		t.Fatal(err)
	}
	snap := "nha-co-ba-1/2026-01-15/ev-gate.jpg"
	os.MkdirAll(filepath.Join(dir, filepath.Dir(snap)), 0o755)
	if err := os.WriteFile(filepath.Join(dir, snap), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 14, 16, 10, 0, 0, time.UTC) // 23:10 in Vietnam
	if err := e.db.AddAnalyticsEvent(t.Context(), &matthan.AnalyticsEvent{ID: "ev-gate", Type: matthan.EventSecurityLapse, CameraID: "nha-co-ba-1",
		Start: start, End: start.Add(time.Minute), SnapshotPath: snap, Summary: "Gate open at night", SummaryVI: "Cổng mở lúc 23:10"}); err != nil {
		t.Fatal(err)
	}
	return e, fm, buf.Bytes()
}

// fetch gets a body that is not JSON as user with password pw.
func (e *env) fetch(path, user, pw string) (int, string, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(user, pw)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), body
}

func TestReminderAPI(t *testing.T) {
	e, fm, jpegBytes := newReminderEnv(t)
	as := func(user, method, path string, body any) resp {
		t.Helper()
		return e.doAuth(method, path, user, officerPassword, body)
	}

	// From an event, e-mailed: the owner, time, what and snapshot come from it.
	r := e.do("POST", "/api/reminders", "officer", map[string]any{"event_id": "ev-gate", "email": "ba@example.com"})
	if r.status != http.StatusCreated {
		t.Fatalf("from an event: %d %s", r.status, r.body)
	}
	gate := decode[remView](t, r)
	if gate.Recipient != "nha-co-ba" || gate.CameraID != "nha-co-ba-1" || gate.EventID != "ev-gate" ||
		gate.What != "Sơ hở an ninh: Cổng mở lúc 23:10" || gate.Advice != matthan.DefaultAdvice(matthan.EventSecurityLapse) ||
		gate.SeenAtLocal != "14/01/2026 23:10:00" || gate.SnapshotURL == "" || gate.SnapshotPath != "" || gate.CreatedBy != "officer" ||
		!gate.Delivered.Portal || gate.Delivered.Email != matthan.EmailSent || gate.Acked || gate.Overdue ||
		!gate.FollowUpAt.Equal(e.now().Add(matthan.DefaultFollowUp)) {
		t.Fatalf("from an event: %+v", gate)
	}
	msgs := fm.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d e-mails sent", len(msgs))
	}
	m := msgs[0]
	if !slices.Equal(m.To, []string{"ba@example.com"}) || !strings.Contains(m.Subject, "Nhắc nhở của Phường An Bình: Sơ hở an ninh") ||
		!strings.Contains(m.Text, "Kính gửi Hộ nha-co-ba,") || !strings.Contains(m.Text, "14/01/2026 23:10") ||
		!strings.Contains(m.Text, "Đề nghị: "+gate.Advice) || !strings.Contains(m.HTML, "<b>14/01/2026 23:10</b>") {
		t.Errorf("e-mail %+v", m)
	}
	if len(m.Attachments) != 2 || !bytes.Equal(m.Attachments[0].Data, jpegBytes) || m.Attachments[0].ContentType != "image/jpeg" ||
		!bytes.HasPrefix(m.Attachments[1].Data, []byte("%PDF-")) {
		t.Errorf("attachments: %d", len(m.Attachments))
	}

	// By hand, portal only.
	e.advance(time.Minute)
	r = e.do("POST", "/api/reminders", "officer", map[string]any{"camera_id": "tiem-vang-1", "seen_at": "15/01/2026 06:30:00",
		"what": "Cửa cuốn mở, hàng hóa để ngoài", "advice": "Đóng cửa cuốn khi không có người trông"})
	if r.status != http.StatusCreated {
		t.Fatalf("by hand: %d %s", r.status, r.body)
	}
	shop := decode[remView](t, r)
	if shop.Recipient != "tiem-vang" || shop.Delivered.Email != matthan.EmailNone || shop.SnapshotURL != "" || shop.SeenAtLocal != "15/01/2026 06:30:00" {
		t.Fatalf("by hand: %+v", shop)
	}

	// A ward camera has nobody in the portal: only with an e-mail, whose
	// failure is recorded, not fatal.
	e.advance(time.Minute)
	hand := map[string]any{"camera_id": "cam-1", "seen_at": "2026-01-15T00:00:00+07:00", "what": "Xe máy để ngoài", "advice": "Cất xe"}
	err := expectError(t, e.do("POST", "/api/reminders", "officer", hand), http.StatusBadRequest, matthan.EINVALID)
	if f := fieldNames(err); !slices.Equal(f, []string{"email"}) || !strings.Contains(err.Fields[0].MessageVI, "e-mail") {
		t.Errorf("a ward camera without e-mail: %+v", err)
	}
	hand["email"] = "fail@example.com"
	r = e.do("POST", "/api/reminders", "officer", hand)
	if r.status != http.StatusCreated {
		t.Fatalf("ward camera: %d %s", r.status, r.body)
	}
	ward := decode[remView](t, r)
	if ward.Recipient != "" || ward.Delivered.Email != matthan.EmailFailed || !strings.Contains(ward.Delivered.EmailError, "550") || !ward.Delivered.Portal {
		t.Errorf("failed e-mail: %+v", ward.Delivered)
	}

	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"nothing", map[string]any{}, []string{"camera_id", "seen_at", "what", "advice"}},
		{"unknown event", map[string]any{"event_id": "ev-404", "advice": "x"}, []string{"event_id"}},
		{"unknown camera", map[string]any{"camera_id": "cam-404", "seen_at": "15/01/2026 06:30:00", "what": "x", "advice": "y"}, []string{"camera_id"}},
		{"bad time", map[string]any{"camera_id": "cam-1", "seen_at": "hôm qua", "what": "x", "advice": "y"}, []string{"seen_at"}},
		{"bad e-mail", map[string]any{"event_id": "ev-gate", "email": "ba at example"}, []string{"email"}},
	} {
		err := expectError(t, e.do("POST", "/api/reminders", "officer", tc.body), http.StatusBadRequest, matthan.EINVALID)
		if got := fieldNames(err); !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
		}
	}

	// Who may do what.
	for _, who := range []string{"viewer", "nha-co-ba"} {
		pw := map[string]string{"viewer": viewerPassword}[who]
		if pw == "" {
			pw = officerPassword
		}
		for _, req := range [][2]string{{"POST", "/api/reminders"}, {"GET", "/api/reminders"}, {"GET", "/api/reminders/1"},
			{"POST", "/api/reminders/1/follow-up"}} {
			if r := e.doAuth(req[0], req[1], who, pw, map[string]any{"event_id": "ev-gate", "advice": "x"}); r.status != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", who, req[0], req[1], r.status)
			}
		}
	}
	if r := e.do("GET", "/api/my/reminders", "officer", nil); r.status != http.StatusForbidden {
		t.Errorf("an officer's own reminders: %d", r.status)
	}

	// A contributor sees only the reminders addressed to them.
	mine := decode[[]remView](t, as("nha-co-ba", "GET", "/api/my/reminders", nil))
	if len(mine) != 1 || mine[0].ID != gate.ID {
		t.Fatalf("nha-co-ba's reminders: %+v", mine)
	}
	theirs := decode[[]remView](t, as("tiem-vang", "GET", "/api/my/reminders", nil))
	if len(theirs) != 1 || theirs[0].ID != shop.ID {
		t.Fatalf("tiem-vang's reminders: %+v", theirs)
	}
	other, wardID := strconv.FormatInt(shop.ID, 10), strconv.FormatInt(ward.ID, 10)
	for _, id := range []string{other, wardID, "999", "x"} {
		expectError(t, as("nha-co-ba", "GET", "/api/my/reminders/"+id, nil), http.StatusNotFound, matthan.ENOTFOUND)
		expectError(t, as("nha-co-ba", "POST", "/api/my/reminders/"+id+"/ack", map[string]string{"note": "x"}), http.StatusNotFound, matthan.ENOTFOUND)
		for _, file := range []string{"notice.pdf", "snapshot.jpg"} {
			if status, _, body := e.fetch("/api/reminders/"+id+"/"+file, "nha-co-ba", officerPassword); status != http.StatusNotFound {
				t.Errorf("nha-co-ba GET reminder %s %s: %d %s", id, file, status, body)
			}
		}
	}
	if status, _, _ := e.fetch("/api/reminders/"+other+"/notice.pdf", "viewer", viewerPassword); status != http.StatusNotFound {
		t.Errorf("a viewer reading a notice: %d", status)
	}

	// The recipient reads their notice and snapshot, and acknowledges.
	gateID := strconv.FormatInt(gate.ID, 10)
	status, ct, notice := e.fetch("/api/reminders/"+gateID+"/notice.pdf", "nha-co-ba", officerPassword)
	if status != http.StatusOK || ct != "application/pdf" || !bytes.HasPrefix(notice, []byte("%PDF-")) {
		t.Fatalf("the recipient's notice: %d %q", status, ct)
	}
	status, ct, snap := e.fetch("/api/reminders/"+gateID+"/snapshot.jpg", "nha-co-ba", officerPassword)
	if status != http.StatusOK || ct != "image/jpeg" || !bytes.Equal(snap, jpegBytes) {
		t.Fatalf("the recipient's snapshot: %d %q", status, ct)
	}
	if status, ct, _ := e.fetch("/api/reminders/"+wardID+"/notice.pdf", "officer", officerPassword); status != http.StatusOK || ct != "application/pdf" {
		t.Errorf("an officer's notice of a ward camera: %d %q", status, ct)
	}
	e.advance(time.Hour)
	acked := decode[remView](t, as("nha-co-ba", "POST", "/api/my/reminders/"+gateID+"/ack", map[string]string{"note": "Đã lắp khóa mới"}))
	if !acked.Acked || acked.AckNote != "Đã lắp khóa mới" || !acked.AckedAt.Equal(e.now()) {
		t.Fatalf("acknowledged: %+v", acked)
	}

	// Officers see who has not acknowledged, and follow up the overdue.
	listIDs := func(query string) []int64 {
		t.Helper()
		var out []int64
		for _, v := range decode[[]remView](t, e.do("GET", "/api/reminders"+query, "officer", nil)) {
			out = append(out, v.ID)
		}
		return out
	}
	for query, want := range map[string][]int64{
		"":                     {ward.ID, shop.ID, gate.ID},
		"?unacked=true":        {ward.ID, shop.ID},
		"?recipient=nha-co-ba": {gate.ID},
		"?camera=cam-1":        {ward.ID},
		"?overdue=true":        nil,
	} {
		if got := listIDs(query); !slices.Equal(got, want) {
			t.Errorf("GET /api/reminders%s: %v, want %v", query, got, want)
		}
	}
	expectError(t, e.do("GET", "/api/reminders?unacked=maybe", "officer", nil), http.StatusBadRequest, matthan.EINVALID)
	e.advance(4 * 24 * time.Hour)
	if got := listIDs("?overdue=true"); !slices.Equal(got, []int64{ward.ID, shop.ID}) {
		t.Errorf("overdue after 4 days: %v", got)
	}
	fu := decode[remView](t, e.do("POST", "/api/reminders/"+other+"/follow-up", "officer", map[string]string{"note": "Đã gọi điện cho chủ tiệm"}))
	if fu.FollowUps != 1 || !fu.FollowUpAt.Equal(e.now().Add(matthan.DefaultFollowUp)) || fu.Overdue {
		t.Errorf("followed up: %+v", fu)
	}
	// The owner sees that the police followed up, not the police's note.
	if r := as("tiem-vang", "GET", "/api/my/access", nil); r.status != http.StatusOK || !strings.Contains(string(r.body), "reminder.follow-up") ||
		strings.Contains(string(r.body), "gọi điện") {
		t.Errorf("the owner's access log after a follow-up: %d %s", r.status, r.body)
	}
	fu = decode[remView](t, e.do("POST", "/api/reminders/"+wardID+"/follow-up", "officer", nil))
	if fu.FollowUps != 1 {
		t.Errorf("followed up without a body: %+v", fu)
	}
	if got := listIDs("?overdue=true"); len(got) != 0 {
		t.Errorf("overdue after the follow-ups: %v", got)
	}
	expectError(t, e.do("POST", "/api/reminders/"+gateID+"/follow-up", "officer", nil), http.StatusConflict, matthan.ECONFLICT)
	expectError(t, e.do("POST", "/api/reminders/"+other+"/follow-up", "officer", map[string]string{"next": "01/01/2020 00:00:00"}), http.StatusBadRequest, matthan.EINVALID)

	// Every step is in the audit log, and the owner sees those about their camera.
	var actions []string
	for _, a := range decode[[]matthan.AuditEntry](t, e.do("GET", "/api/audit?limit=1000", "admin", nil)) {
		actions = append(actions, a.User+" "+a.Action+" "+a.CameraID)
	}
	for _, want := range []string{"officer reminder.send nha-co-ba-1", "officer reminder.send cam-1", "nha-co-ba reminder.notice nha-co-ba-1",
		"nha-co-ba reminder.snapshot nha-co-ba-1", "nha-co-ba reminder.ack nha-co-ba-1", "officer reminder.follow-up tiem-vang-1"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %q: %v", want, actions)
		}
	}
	for _, a := range decode[[]matthan.AuditEntry](t, as("nha-co-ba", "GET", "/api/my/access", nil)) {
		if a.CameraID != "nha-co-ba-1" {
			t.Errorf("nha-co-ba sees an audit entry of %s", a.CameraID)
		}
	}
}

func TestReminderAPIWithoutStore(t *testing.T) {
	e := newEnv(t)
	err := expectError(t, e.do("GET", "/api/reminders", "officer", nil), http.StatusNotFound, matthan.ENOTFOUND)
	if !strings.Contains(err.MessageVI, "nhắc nhở") {
		t.Errorf("says %q", err.MessageVI)
	}
	expectError(t, e.do("POST", "/api/reminders", "officer", map[string]any{}), http.StatusNotFound, matthan.ENOTFOUND)
}

func TestReminderWithoutMailServer(t *testing.T) {
	e, _, _ := newReminderEnv(t)
	e.api.deps.Reminders.Mail = nil
	r := e.do("POST", "/api/reminders", "officer", map[string]any{"event_id": "ev-gate", "email": "ba@example.com", "advice": "Khóa cổng"})
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	v := decode[remView](t, r)
	if v.Delivered.Email != matthan.EmailFailed || !strings.Contains(v.Delivered.EmailError, "mail.smtp") || v.Advice != "Khóa cổng" {
		t.Errorf("without a mail server: %+v", v)
	}
}
