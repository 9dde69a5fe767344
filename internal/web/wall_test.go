package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/testutil"
)

// call sends a request with an optional JSON body and headers, without
// following redirects.
func (e *env) call(method, path string, body any, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// downSince is the fixed time the tests' cameras went down.
var downSince = time.Date(2026, 3, 9, 1, 2, 3, 0, time.UTC) // 09/03/2026 08:02:03 in Vietnam

// setWard gives the test cameras typical states: cam-003 offline, the
// others streaming with figures.
func (e *env) setWard() {
	for _, c := range testCameras() {
		st := matthan.StreamStatus{CameraID: c.ID, Health: matthan.Health{State: matthan.StateStreaming, Since: downSince},
			Stats: matthan.StreamStats{Codec: "H264", Width: 1920, Height: 1080, FPS: 25, Bitrate: 2.5e6, Reconnects: 1}}
		if c.ID == "cam-003" {
			st.Health = matthan.Health{State: matthan.StateOffline, Since: downSince,
				Reason: "The camera does not answer", ReasonVI: "Camera không trả lời"}
			st.Stats = matthan.StreamStats{Reconnects: 7}
		}
		sub := st
		sub.Role, st.Role = matthan.StreamSub, matthan.StreamMain
		e.status.set(c.ID, st, sub)
	}
}

func TestPagesNeedSignIn(t *testing.T) {
	e := newEnv(t)
	e.signIn("")
	for _, p := range []string{"/", "/?camera=cam-001", "/map", "/health"} {
		res, _ := e.get(p)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("%s signed out: %d %q, want a redirect to /login", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/ui/layouts", "/ui/health"} {
		if res, _ := e.get(p); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s signed out: %d, want 401", p, res.StatusCode)
		}
	}
}

func TestWallPage(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	for _, role := range []string{"viewer", "officer", "admin"} {
		e.signIn(role)
		for lang, want := range map[string][]string{
			"vi": {`lang="vi"`, "Tường video", "Camera công cộng (phường)", "Tự chuyển trang", "Khóm 2", `"wall.state.offline":"Mất kết nối"`},
			"en": {`lang="en"`, "Video wall", "Public cameras (ward)", "Rotate pages", "Khóm 2", `"wall.state.offline":"Offline"`},
		} {
			res, body := e.get("/?lang=" + lang)
			if res.StatusCode != 200 {
				t.Fatalf("%s %s: %d", role, lang, res.StatusCode)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: no %q in the page", role, lang, w)
				}
			}
		}
	}
	// The page's data holds every camera with its streams' state.
	_, body := e.get("/")
	data := pageJSON[wallPageData](t, body, "wall-data")
	if len(data.Cameras) != 4 || data.Cameras[2].ID != "cam-003" || data.Cameras[2].Streams[0].State != matthan.StateOffline ||
		data.Cameras[2].Streams[0].ReasonVI != "Camera không trả lời" || data.CanSave {
		t.Errorf("wall data: %+v", data)
	}
	if strings.Contains(body, "Nguyễn Văn Sáu") == false {
		t.Error("the owner's name is missing")
	}
}

// pageJSON decodes the JSON block with id from a page.
func pageJSON[T any](t *testing.T, body, id string) T {
	t.Helper()
	var v T
	start := strings.Index(body, `id="`+id+`">`)
	if start < 0 {
		t.Fatalf("no #%s in the page", id)
	}
	rest := body[start+len(`id="`+id+`">`):]
	if err := json.Unmarshal([]byte(rest[:strings.Index(rest, "</script>")]), &v); err != nil {
		t.Fatalf("#%s: %v", id, err)
	}
	return v
}

// TestPagesEscapeNames: a camera's name is user input; on every page it is
// text, never markup.
func TestPagesEscapeNames(t *testing.T) {
	e := newEnv(t)
	const evil = `<script>window.__xss=1</script><img src=x onerror=alert(1)>`
	c := testCameras()[0]
	c.ID, c.Name, c.Area = "cam-666", evil, `<b>Khóm</b>`
	if err := e.db.CreateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	e.status.set("cam-666", matthan.StreamStatus{CameraID: "cam-666", Role: matthan.StreamMain,
		Health: matthan.Health{State: matthan.StateOffline, Since: downSince, Reason: "<i>down</i>", ReasonVI: "<i>mất</i>"}})
	for _, p := range []string{"/", "/map", "/health", "/ui/health"} {
		_, body := e.get(p)
		for _, raw := range []string{"<script>window.__xss", "<img src=x", "<b>Khóm", "<i>mất"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: %q is in the page unescaped", p, raw)
			}
		}
		if !strings.Contains(body, "cam-666") {
			t.Errorf("%s: the camera is missing", p)
		}
	}
	if _, body := e.get("/health"); !strings.Contains(body, "&lt;script&gt;window.__xss=1&lt;/script&gt;") {
		t.Error("/health: the name is not shown as text")
	}
}

func TestLayoutsAPI(t *testing.T) {
	e := newEnv(t)
	csrf := map[string]string{"X-CSRF-Token": "test-csrf"}

	// Without a store, saving says so in both languages.
	if res, body := e.call("POST", "/ui/layouts", layoutInput{Name: "x", Size: 4}, csrf); res.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "does not save layouts") || !strings.Contains(body, "không lưu bố cục") {
		t.Fatalf("no store: %d %s", res.StatusCode, body)
	}
	e.web.deps.Layouts = e.db

	in := layoutInput{Name: "Ca đêm", Size: 9, Cameras: []string{"cam-003", "cam-001"}, Rotation: 30}
	for name, h := range map[string]map[string]string{"no token": nil, "wrong token": {"X-CSRF-Token": "other"}} {
		res, body := e.call("POST", "/ui/layouts", in, h)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, `"message_vi":"Mã bảo vệ`) {
			t.Errorf("%s: %d %s, want 403 with a Vietnamese message", name, res.StatusCode, body)
		}
	}
	res, body := e.call("POST", "/ui/layouts", in, csrf)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var made matthan.Layout
	json.Unmarshal([]byte(body), &made)
	if made.ID == 0 || made.Name != "Ca đêm" || !slices.Equal(made.Cameras, in.Cameras) {
		t.Fatalf("created %+v", made)
	}
	if res, body := e.call("POST", "/ui/layouts", in, csrf); res.StatusCode != http.StatusConflict || !strings.Contains(body, "Bạn đã có bố cục") {
		t.Errorf("same name again: %d %s", res.StatusCode, body)
	}
	if res, body := e.call("POST", "/ui/layouts", layoutInput{Name: "x", Size: 7}, csrf); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"field":"size"`) {
		t.Errorf("bad size: %d %s", res.StatusCode, body)
	}
	if res, _ := e.call("POST", "/ui/layouts", "not an object", csrf); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad body: %d", res.StatusCode)
	}

	// The officer sees none of the admin's layouts and cannot touch them.
	e.signIn("officer")
	if _, body := e.call("GET", "/ui/layouts", nil, nil); strings.TrimSpace(body) != "[]" {
		t.Errorf("officer's list: %s", body)
	}
	id := fmt.Sprint(made.ID)
	if res, _ := e.call("PUT", "/ui/layouts/"+id, layoutInput{Name: "mine", Size: 1}, csrf); res.StatusCode != http.StatusNotFound {
		t.Errorf("officer changes the admin's layout: %d", res.StatusCode)
	}
	if res, _ := e.call("DELETE", "/ui/layouts/"+id, nil, csrf); res.StatusCode != http.StatusNotFound {
		t.Errorf("officer deletes the admin's layout: %d", res.StatusCode)
	}

	e.signIn("admin")
	if res, _ := e.call("DELETE", "/ui/layouts/"+id, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("delete without a token: %d", res.StatusCode)
	}
	in.Size, in.Rotation = 16, 0
	if res, body := e.call("PUT", "/ui/layouts/"+id, in, csrf); res.StatusCode != 200 || !strings.Contains(body, `"size":16`) {
		t.Errorf("update: %d %s", res.StatusCode, body)
	}
	if _, body := e.get("/"); !strings.Contains(body, `"name":"Ca đêm"`) {
		t.Error("the wall does not list the saved layout")
	}
	if res, _ := e.call("DELETE", "/ui/layouts/"+id, nil, csrf); res.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if res, _ := e.call("DELETE", "/ui/layouts/abc", nil, csrf); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad id: %d", res.StatusCode)
	}
	if _, body := e.call("GET", "/ui/layouts", nil, nil); strings.TrimSpace(body) != "[]" {
		t.Errorf("after delete: %s", body)
	}
}

// stubPlayer stands in for internal/live's /live/player.js: it plays a
// canvas stream and reports "playing", except for the main stream of
// cam-004, which it cannot play (as H.265 in most browsers). Every player
// made is kept in window.__players for the test to inspect.
const stubPlayer = `export class LivePlayer {
  constructor(video, opts) { this.video = video; this.opts = opts; this.onstate = null; this.running = false; (window.__players ||= []).push(this); }
  start() {
    this.running = true;
    if (this.opts.camera === 'cam-004' && this.opts.stream === 'main') {
      setTimeout(() => this.onstate?.({ state: 'error', message_vi: 'Trình duyệt không phát được H.265', message_en: 'This browser cannot play H.265' }), 10);
      return;
    }
    const c = document.createElement('canvas'); c.width = 160; c.height = 90;
    const g = c.getContext('2d'); g.fillStyle = '#234'; g.fillRect(0, 0, 160, 90); g.fillStyle = '#9cf'; g.fillText(this.opts.camera, 10, 50);
    this.media = c.captureStream(5);
    this.video.srcObject = this.media;
    this.video.play().catch(() => {});
    setTimeout(() => this.onstate?.({ state: 'playing', transport: 'webrtc' }), 10);
  }
  stop() { this.running = false; this.media?.getTracks().forEach((t) => t.stop()); this.video.srcObject = null; this.onstate?.({ state: 'stopped' }); }
}
`

// uiServer serves e's screen with the stub player, and extra handlers, for
// a browser. Start it before the browser: a page's open alert stream
// would keep it from closing.
func uiServer(e *env, extra map[string]http.Handler) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /live/player.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, stubPlayer)
	})
	for p, h := range extra {
		mux.Handle(p, h)
	}
	mux.Handle("/", e.srv.Config.Handler)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv.URL
}

// eval runs a script in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitFor waits until a script's value is truthy.
func waitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+js+")", chromedp.WithPollingTimeout(8*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", js, err)
	}
}

// moreCameras adds cameras cam-005… so the wall has several pages.
func (e *env) moreCameras(n int) {
	e.t.Helper()
	for i := range n {
		c := testCameras()[i%4]
		c.ID = fmt.Sprintf("cam-%03d", 5+i)
		c.Name = fmt.Sprintf("Hẻm %d đường Trần Phú", 5+i)
		c.Latitude += float64(i+1) * 0.0007
		if err := e.db.CreateCamera(context.Background(), c); err != nil {
			e.t.Fatal(err)
		}
		e.status.set(c.ID,
			matthan.StreamStatus{CameraID: c.ID, Role: matthan.StreamMain, Health: matthan.Health{State: matthan.StateStreaming, Since: downSince}},
			matthan.StreamStatus{CameraID: c.ID, Role: matthan.StreamSub, Health: matthan.Health{State: matthan.StateStreaming, Since: downSince}})
	}
}

const runningPlayers = `(window.__players || []).filter((p) => p.running).map((p) => p.opts.camera + '/' + p.opts.stream).sort().join(' ')`
const tileCameras = `[...document.querySelectorAll('#wall-grid .tile[data-camera]')].map((t) => t.dataset.camera + '/' + t.dataset.stream).join(' ')`

func TestWallInBrowser(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	e.moreCameras(6) // 10 cameras: 3 pages of 4, 2 of 9
	e.web.deps.Layouts = e.db
	base := uiServer(e, nil)
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}

	// Four tiles by default, with names, states, the grid stream, and a clock.
	waitFor(t, ctx, `document.querySelectorAll('#wall-grid .tile[data-player="playing"]').length === 3`)
	if got := eval[string](t, ctx, tileCameras); got != "cam-001/sub cam-002/sub cam-003/sub cam-004/sub" {
		t.Fatalf("tiles: %s", got)
	}
	if got := eval[string](t, ctx, runningPlayers); got != "cam-001/sub cam-002/sub cam-004/sub" {
		t.Errorf("players: %q (an offline camera plays nothing)", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.tile[data-camera="cam-001"] .tile-name').textContent + ' | ' + document.querySelector('.tile[data-camera="cam-001"] .tile-state').textContent`); got != "Cổng chợ An Bình | Đang hoạt động" {
		t.Errorf("tile text: %q", got)
	}
	offline := eval[string](t, ctx, `document.querySelector('.tile[data-camera="cam-003"] .tile-why').textContent`)
	if offline != "Mất kết nối từ 09/03/2026 08:02:03\nCamera không trả lời" {
		t.Errorf("offline tile says %q", offline)
	}
	if clock := eval[string](t, ctx, `document.querySelector('.tile .tile-clock').textContent`); len(clock) != len("09/03/2026 08:02:03") || clock[2] != '/' {
		t.Errorf("tile clock %q", clock)
	}
	// A 1920×1080 screen shows the whole wall without scrolling, in 16:9 tiles.
	if fits := eval[bool](t, ctx, `document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth`); !fits {
		t.Error("the wall scrolls on 1920×1080")
	}
	if ratio := eval[float64](t, ctx, `(() => { const r = document.querySelector('.tile').getBoundingClientRect(); return r.width / r.height; })()`); ratio < 1.7 || ratio > 1.85 {
		t.Errorf("tile ratio %.2f, want 16:9", ratio)
	}
	testutil.Screenshot(t, ctx, "wall")

	// Page 2 shows the next four; the first page's players stop.
	if err := chromedp.Do(ctx, chromedp.Click(`#wall-next`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, runningPlayers+` === "cam-005/sub cam-006/sub cam-007/sub cam-008/sub"`)
	if got := eval[string](t, ctx, `document.getElementById('wall-page').textContent`); got != "Trang 2/3" {
		t.Errorf("pager: %q", got)
	}

	// Nine tiles.
	if err := chromedp.Do(ctx, chromedp.Click(`[data-size="9"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll('#wall-grid .tile[data-camera]').length === 9`)
	if got := eval[string](t, ctx, `getComputedStyle(document.getElementById('wall-grid')).gridTemplateColumns.split(' ').length + ''`); got != "3" {
		t.Errorf("9 tiles in %s columns", got)
	}

	// A health change from the banner's stream updates the tile at once.
	eval[bool](t, ctx, `document.dispatchEvent(new CustomEvent('matthan:health', { detail: { camera_id: 'cam-002', stream: 'sub', state: 'stalled', reason: 'No frames', reason_vi: 'Không nhận được khung hình', since: '09/03/2026 09:00:00', down: true } })) || true`)
	if got := eval[string](t, ctx, `document.querySelector('.tile[data-camera="cam-002"] .tile-why').textContent`); got != "Không có hình từ 09/03/2026 09:00:00\nKhông nhận được khung hình" {
		t.Errorf("stalled tile says %q", got)
	}

	// Double-click enlarges on the main stream; cam-004's H.265 cannot
	// play: the tile says so and offers the sub-stream.
	if err := chromedp.Do(ctx, chromedp.DoubleClick(`.tile[data-camera="cam-004"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('#wall-grid.enlarged .tile[data-camera="cam-004"][data-stream="main"][data-player="error"]')`)
	if got := eval[string](t, ctx, `document.querySelector('.tile-why').textContent + ' | ' + location.search`); got != "Trình duyệt không phát được H.265 | ?camera=cam-004" {
		t.Errorf("enlarged H.265 camera: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`.tile-sub`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, runningPlayers+` === "cam-004/sub"`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\u001b")); err != nil { // Escape
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll('#wall-grid .tile[data-camera]').length === 9 && !location.search`)

	// ?camera= (the alert banner's link) opens a camera enlarged.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?camera=cam-002")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, runningPlayers+` === "cam-002/main"`)
	if got := eval[string](t, ctx, tileCameras); got != "cam-002/main" {
		t.Errorf("?camera=cam-002 shows %s", got)
	}
	if err := chromedp.Do(ctx, chromedp.DoubleClick(`.tile[data-camera="cam-002"]`)); err != nil {
		t.Fatal(err)
	}
	// Back to the wall as it was left: 9 tiles (kept in the browser).
	waitFor(t, ctx, `document.querySelectorAll('#wall-grid .tile[data-camera]').length === 9`)

	// Save a layout of two cameras in a chosen order, with rotation.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#wall-new`),
		chromedp.WaitVisible(`#layout-dialog`),
		chromedp.SendKeys(`#layout-form input[name=name]`, "Chợ"),
		chromedp.SetValue(`#layout-form select[name=size]`, "4"),
	); err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `(() => { for (const li of document.querySelectorAll('#layout-cams li')) li.querySelector('input').checked = ['cam-003', 'cam-001'].includes(li.dataset.id); return true; })()`)
	if err := chromedp.Do(ctx, chromedp.Click(`#layout-cams li[data-id="cam-003"] [data-move="-1"]`), chromedp.Click(`#layout-cams li[data-id="cam-003"] [data-move="-1"]`),
		chromedp.Click(`#layout-form button[type=submit]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.getElementById('wall-group').value.startsWith('layout:')`)
	if got := eval[string](t, ctx, tileCameras); got != "cam-003/sub cam-001/sub" {
		t.Errorf("saved layout shows %s", got)
	}
	ls, err := e.db.Layouts(t.Context(), "admin")
	if err != nil || len(ls) != 1 || ls[0].Name != "Chợ" || ls[0].Size != 4 || !slices.Equal(ls[0].Cameras, []string{"cam-003", "cam-001"}) {
		t.Errorf("stored layouts: %+v %v", ls, err)
	}
}

// TestWallOnPhone: one column, every tile full width.
func TestWallOnPhone(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	base := uiServer(e, nil) // before the browser, so that it closes after it
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll('#wall-grid .tile[data-camera]').length === 4`)
	if got := eval[string](t, ctx, `getComputedStyle(document.getElementById('wall-grid')).gridTemplateColumns.split(' ').length + ''`); got != "1" {
		t.Errorf("phone wall in %s columns", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.tile[data-camera="cam-003"] .tile-state').textContent`); got != "Offline" {
		t.Errorf("English state %q", got)
	}
	testutil.Screenshot(t, ctx, "wall-phone")
}

// TestWallRotates: with rotation on, the wall turns its pages by itself,
// and an enlarged camera stops it.
func TestWallRotates(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	e.moreCameras(6) // 10 cameras: 3 pages of 4
	base := uiServer(e, nil)
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.getElementById('wall-page').textContent === 'Trang 1/3'`)
	if err := chromedp.Do(ctx, chromedp.SetValue(`#wall-rotation`, "10")); err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `document.getElementById('wall-rotation').dispatchEvent(new Event('change')) || true`)
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('wall-page').textContent === 'Trang 2/3'`,
		chromedp.WithPollingTimeout(14*time.Second))); err != nil {
		t.Fatalf("the wall did not turn its page within 14 s: %v", err)
	}
	if d := time.Since(start); d < 8*time.Second {
		t.Errorf("turned after %v with a 10 s rotation", d)
	}
	// Enlarging a camera stops the rotation.
	if err := chromedp.Do(ctx, chromedp.DoubleClick(`#wall-grid .tile[data-camera]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `location.search.startsWith('?camera=')`)
	enlarged := eval[string](t, ctx, `location.search`)
	time.Sleep(11 * time.Second)
	if now := eval[string](t, ctx, `location.search`); now != enlarged {
		t.Errorf("the enlarged camera %s was rotated away to %s", enlarged, now)
	}
}

// TestTileDrawsBoxes: a playing tile draws what analytics sees on its
// camera, and asks nothing more of a camera that is not analysed.
func TestTileDrawsBoxes(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	var asked2 atomic.Int32
	base := uiServer(e, map[string]http.Handler{
		"GET /api/cameras/cam-001/analytics": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"at":"2026-03-09T01:00:00Z","motion":[],"tracks":[
				{"id":1,"class":"motorcycle","box":[0.1,0.5,0.3,0.9],"stationary":false},
				{"id":2,"class":"person","box":[0.12,0.3,0.28,0.7],"stationary":false}]}`)
		}),
		"GET /api/cameras/cam-002/analytics": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			asked2.Add(1)
			http.Error(w, `{"error":{"code":"not_found","message":"not analysed"}}`, http.StatusNotFound)
		}),
	})
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.tile[data-camera="cam-001"]')?.dataset.boxes === "2"`)
	time.Sleep(1500 * time.Millisecond)
	if n := asked2.Load(); n != 1 {
		t.Errorf("a camera that is not analysed was asked %d times, want 1", n)
	}
}
