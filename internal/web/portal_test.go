package web

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/testutil"
)

// portalEnv is the test ward with two contributors: "kimlong" shares
// cam-003 (approved), "ongsau" has registered cam-004 (waiting).
func portalEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := newEnv(t, opts...)
	ctx := t.Context()
	hash, err := secret.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kimlong", "ongsau"} {
		if err := e.db.CreateUser(ctx, &matthan.User{Name: name, Role: matthan.RoleContributor, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	dir := 135.0
	for id, v := range map[string]struct {
		owner    string
		approval matthan.Approval
	}{"cam-003": {"kimlong", matthan.ApprovalApproved}, "cam-004": {"ongsau", matthan.ApprovalPending}} {
		c, err := e.db.Camera(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c.Contributor, c.Approval, c.Direction = v.owner, v.approval, &dir
		c.Owner.Contact = "0912345678"
		c.Sharing = matthan.Sharing{Mode: matthan.ShareLive}
		if err := e.db.UpdateCamera(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func TestPortalPages(t *testing.T) {
	e := portalEnv(t)
	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
	}{
		{"my cameras", "kimlong", "/my", 200, []string{`lang="vi"`, "Camera của tôi", "Tiệm vàng Kim Long", `data-camera="cam-003"`,
			`data-approval="approved"`, "Đã duyệt", "Chia sẻ trực tiếp và bản ghi", "Chỉ bản ghi", "Chỉ khi được yêu cầu", "Ngừng chia sẻ",
			`value="live" checked`, "Hướng nhìn 135 độ", "Nhật ký truy cập", "Đăng ký camera", "Hikvision", `href="/account"`},
			[]string{"Nhà ông Sáu", "cam-004", "cam-001", `href="/map"`, ">Tường video</a>", `value="ward"`}},
		{"my cameras in English", "ongsau", "/my?lang=en", 200, []string{"My cameras", "Nhà ông Sáu", "Waiting for approval",
			"Not connected", "the camera&#39;s registration is not approved", "Recordings only", "Access log"},
			[]string{"Tiệm vàng Kim Long", "cam-003"}},
		{"officer's queue", "officer", "/approvals", 200, []string{"Duyệt camera đóng góp", `data-camera="cam-004"`, "ongsau",
			"Nguyễn Văn Sáu", "0912345678", "10.034, 105.7711", "rtsp://127.0.0.1:1/cam-004/main", "Từ chối", "Đã quyết định gần đây",
			`<span class="badge" data-waiting>1</span>`}, nil},
		{"admin's queue in English", "admin", "/approvals?lang=en", 200, []string{"Approve contributed cameras", "Approve", "Reject", "Approved"}, nil},
		{"officer may not open the portal", "officer", "/my", 403, []string{"Vai trò của bạn không được xem trang này"}, []string{"my-reg"}},
		{"viewer may not approve", "viewer", "/approvals", 403, nil, []string{"appr-waiting"}},
		{"viewer has no queue link", "viewer", "/", 200, nil, []string{`href="/approvals"`}},
		{"the contributor's account page", "kimlong", "/account", 200, []string{"Người đóng góp camera", `href="/my"`}, []string{`href="/health"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			prefix := "my."
			if strings.HasPrefix(tc.path, "/approvals") {
				prefix = "appr."
			}
			e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, prefix)
		})
	}

	// The ward's pages send a contributor to the portal, also right after
	// signing in (to "/").
	e.signIn("kimlong")
	for _, p := range []string{"/", "/map", "/health", "/playback", "/review", "/cameras", "/approvals", "/donations", "/rules"} {
		if res, _ := e.get(p); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/my" {
			t.Errorf("contributor at %s: %d %q, want a redirect to /my", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// A contributor's alert stream says nothing of the ward's cameras.
func TestMyAlertStreamIsQuiet(t *testing.T) {
	e := portalEnv(t)
	e.status.set("cam-001", matthan.StreamStatus{Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateOffline, Since: downSince}})
	read := func(user string) string {
		e.signIn(user)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/events", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var got strings.Builder
		r := bufio.NewReader(res.Body)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == ": ready\n" {
				return got.String()
			}
			got.WriteString(line)
		}
	}
	if got := read("viewer"); !strings.Contains(got, "cam-001") {
		t.Errorf("staff get no alert: %q", got)
	}
	if got := read("kimlong"); got != "" {
		t.Errorf("a contributor got %q", got)
	}
}

// The flow the issue asks for: a contributor registers a camera, the police
// approve it, the owner shares recordings only at night, and their access
// log shows both.
func TestPortalFlowInBrowser(t *testing.T) {
	e := portalEnv(t)
	ctx, errs := testutil.Chromium(t, 90*time.Second)
	defer testutil.NoPageErrors(t, errs)
	eval, wait := browserPage(t, ctx)
	open := func(path, sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(sel)); err != nil {
			t.Fatal(err)
		}
	}

	// Register, first with a URL that is not RTSP: the message is under it.
	e.signIn("kimlong")
	open("/my", `#my-reg`)
	fill := func(mainURL string) {
		eval(`(() => {
			const f = document.getElementById('my-reg').elements;
			const set = (n, v) => { f.namedItem(n).value = v; };
			set('id', 'cam-nha-5'); set('name', 'Cổng nhà số 5'); set('area', 'Khóm 2'); set('address', '5 Lê Lợi');
			set('latitude', '10.0351'); set('longitude', '105.7712'); set('direction', '270');
			set('owner.kind', 'shop'); set('owner.name', 'Tiệm vàng Kim Long'); set('owner.contact', '0912345678');
			set('main_url', '` + mainURL + `'); set('username', 'admin'); set('password', 'mat-khau-9');
			return '';
		})()`)
	}
	fill("http://192.168.1.64/cam")
	if err := chromedp.Do(ctx, chromedp.Click(`#my-reg button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.querySelector('#my-reg [data-error="main_url"]').hidden`)
	if msg := eval(`document.querySelector('#my-reg [data-error="main_url"]').textContent`); !strings.Contains(msg, "rtsp://") {
		t.Errorf("main_url error %q", msg)
	}
	if eval(`document.querySelector('#my-reg [name=main_url]').getAttribute('aria-invalid') || ''`) != "true" {
		t.Error("the bad field is not marked")
	}
	fill("rtsp://192.168.1.64:554/Streaming/Channels/101")
	if err := chromedp.Do(ctx, chromedp.Click(`#my-reg button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('article[data-camera="cam-nha-5"] [data-approval="pending"]') !== null`)

	// The officer rejects without a note (refused: the owner must be told
	// why), then approves.
	e.signIn("officer")
	open("/approvals", `#appr-waiting tr[data-camera="cam-nha-5"]`)
	row := `#appr-waiting tr[data-camera="cam-nha-5"]`
	if err := chromedp.Do(ctx, chromedp.Click(row+` button[data-decide="rejected"]`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.querySelector('` + row + ` [data-error="note"]').hidden`)
	if err := chromedp.Do(ctx, chromedp.Click(row+` button[data-decide="approved"]`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('#appr-decided tr[data-camera="cam-nha-5"] [data-approval="approved"]') !== null`)
	testutil.Screenshot(t, ctx, "approvals", testutil.FullPage)

	// The owner shares recordings only, at night; it is there after a reload.
	e.signIn("kimlong")
	open("/my", `form.my-sharing[data-camera="cam-nha-5"]`)
	form := `form.my-sharing[data-camera="cam-nha-5"]`
	eval(`(() => {
		const f = document.querySelector('` + form + `');
		f.querySelector('input[name=mode][value=recordings]').click();
		f.querySelector('[data-add-window]').click();
		f.querySelector('[name=from]').value = '22:00';
		f.querySelector('[name=to]').value = '06:00';
		return '';
	})()`)
	if err := chromedp.Do(ctx, chromedp.Click(form+` [data-save]`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.querySelector('` + form + ` [data-saved]').hidden`)
	open("/my", form)
	if got := eval(`(() => { const f = document.querySelector('` + form + `');
		return f.querySelector('input[name=mode]:checked').value + ' ' + f.querySelector('[name=from]').value + '-' + f.querySelector('[name=to]').value; })()`); got != "recordings 22:00-06:00" {
		t.Errorf("after a reload the form shows %q", got)
	}
	if c, err := e.db.Camera(t.Context(), "cam-nha-5"); err != nil || c.Sharing.Mode != matthan.ShareRecordings ||
		len(c.Sharing.Windows) != 1 || c.Sharing.Windows[0] != (matthan.TimeWindow{From: "22:00", To: "06:00"}) || c.Approval != matthan.ApprovalApproved {
		t.Errorf("stored %+v %v", c, err)
	}

	// The access log shows the officer's approval and the owner's change,
	// in words, with Vietnam time.
	wait(`document.querySelector('#my-log tr[data-action="camera.sharing"]') !== null`)
	log := eval(`[...document.querySelectorAll('#my-log tbody tr')].map(r => [...r.cells].map(c => c.textContent).join(' | ')).join('\n')`)
	for _, want := range []string{"officer | Duyệt | Cổng nhà số 5 (cam-nha-5) | Đã duyệt",
		"kimlong | Đổi chia sẻ | Cổng nhà số 5 (cam-nha-5) | Chỉ bản ghi · 22:00–06:00", "kimlong | Đăng ký | Cổng nhà số 5 (cam-nha-5)"} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %q:\n%s", want, log)
		}
	}
	if !regexp.MustCompile(`^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d \| `).MatchString(log) {
		t.Errorf("access log time:\n%s", log)
	}
	testutil.Screenshot(t, ctx, "portal", testutil.FullPage)
	// The filter narrows it to one camera.
	eval(`(() => { const s = document.getElementById('my-log-camera'); s.value = 'cam-003'; s.dispatchEvent(new Event('change')); return ''; })()`)
	wait(`document.querySelector('#my-log tr[data-action="camera.sharing"]') === null && !document.getElementById('my-log-none').hidden`)

	// Pause is in force at once; the page shows it and offers to resume.
	if err := chromedp.Do(ctx, chromedp.Click(form+` [data-pause]`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('article[data-camera="cam-nha-5"] [data-paused-badge]') !== null`)
	if got := eval(`document.querySelector('` + form + ` [data-pause]').textContent`); got != "Tiếp tục chia sẻ" {
		t.Errorf("pause button %q", got)
	}
	if c, err := e.db.Camera(t.Context(), "cam-nha-5"); err != nil || !c.Sharing.Paused || c.Sharing.Mode != matthan.ShareRecordings || len(c.Sharing.Windows) != 1 {
		t.Errorf("paused: %+v %v", c, err)
	}
}
