package web

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/export"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/httpapi"
	"matthan/internal/media"
	"matthan/internal/playback/playbacktest"
	"matthan/internal/testutil"
)

// withRecordings serves recordings from dir and exports them, signed, to
// a temporary directory.
func withRecordings(dir string) envOption {
	return func(e *env, api *httpapi.Deps) {
		api.Recordings, api.RecordingsDir = e.db, dir
		api.Exports = &export.Deps{Store: e.db, Index: e.db, RecordDir: dir, ExportDir: filepath.Join(e.t.TempDir(), "exports"),
			Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)), NodeName: "node-test"}
	}
}

// recordCam001 stores recordings of cam-001 in dir and e's index: 15 s of
// real H.264 in 5-second segments from wall0 (two hours ago, on one Vietnam day), a 10-minute
// gap (camera offline, stored with its reason), then 5 s more.
func recordCam001(t *testing.T, e *env, dir string) (wall0 time.Time, segs []*matthan.Segment) {
	t.Helper()
	wall0 = time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	// The recording (about 10.5 minutes) stays on one day in Vietnam, the
	// day the page shows: a run near midnight there starts it earlier.
	if end := wall0.Add(15 * time.Minute).In(matthan.Vietnam); end.Day() != wall0.In(matthan.Vietnam).Day() {
		midnight := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, matthan.Vietnam)
		wall0 = midnight.Add(-20 * time.Minute)
	}
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 20}, wall0)
	segs = playbacktest.Record(t, dir, e.db, playbacktest.Recording{CameraID: "cam-001", Clip: clip, Wall0: wall0,
		Segment: 5 * time.Second, GapAfter: map[int]time.Duration{2: 10 * time.Minute}})
	if len(segs) != 4 {
		t.Fatalf("%d segments, want 4", len(segs))
	}
	gap := &matthan.Gap{CameraID: "cam-001", Stream: matthan.StreamMain, Start: segs[2].End, End: segs[3].Start,
		Reason: matthan.GapOffline, Detail: "camera unreachable"}
	if err := e.db.AddGap(t.Context(), gap); err != nil {
		t.Fatal(err)
	}
	return wall0, segs
}

func TestPlaybackPage(t *testing.T) {
	e := newEnv(t)
	at := url.QueryEscape("15/01/2026 08:00:00")
	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
	}{
		{"picker in Vietnamese", "officer", "/playback", 200,
			[]string{`lang="vi"`, "Chọn camera để xem lại", "Cổng chợ An Bình", `value="cam-004"`}, nil},
		{"picker in English", "admin", "/playback?lang=en", 200, []string{"Choose cameras to play back"}, nil},
		{"one camera", "officer", "/playback?camera=cam-001&at=" + at, 200,
			[]string{`data-camera="cam-001"`, "Ngày trước", `"at":"2026-01-15T01:00:00Z"`, "/static/timeline.js"},
			[]string{`data-camera="cam-002"`}},
		{"a group", "officer", "/playback?cameras=cam-001,cam-002,cam-003,cam-004", 200,
			[]string{`data-camera="cam-004"`, `class="pb-videos n4"`}, nil},
		{"English texts", "officer", "/playback?camera=cam-001&lang=en", 200, []string{"Previous day", "Export evidence", "Speed"}, nil},
		{"RFC 3339 time", "officer", "/playback?camera=cam-001&at=2026-01-15T08:00:00%2B07:00", 200, []string{`"at":"2026-01-15T01:00:00Z"`}, nil},
		{"too many cameras", "officer", "/playback?cameras=cam-001,cam-002,cam-003,cam-004,cam-005", 400, []string{"tối đa 4 camera"}, nil},
		{"bad time", "officer", "/playback?camera=cam-001&at=hôm+qua", 400, []string{"dd/MM/yyyy HH:mm:ss"}, nil},
		{"unknown camera", "officer", "/playback?camera=cam-404", 404, nil, []string{"pb-timeline"}},
		{"a viewer is told why", "viewer", "/playback?camera=cam-001", 403, []string{"chỉ được xem trực tiếp"}, []string{"pb-timeline"}},
		{"a viewer, in English", "viewer", "/playback?lang=en", 403, []string{"Viewers may watch live video only"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, "playback.")
		})
	}

	e.signIn("")
	if res, _ := e.get("/playback?camera=cam-001"); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") != "/login?next="+url.QueryEscape("/playback?camera=cam-001") {
		t.Errorf("signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestPlaybackPageEscapes(t *testing.T) {
	e := newEnv(t)
	evil := &matthan.Camera{ID: "cam-evil", Name: `<script>alert(1)</script>"`, Area: `Khóm <b>3</b>`, Latitude: 10.03, Longitude: 105.77,
		Owner: matthan.Owner{Kind: matthan.OwnerWard}, Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/x", Enabled: true}
	if err := e.db.CreateCamera(t.Context(), evil); err != nil {
		t.Fatal(err)
	}
	e.signIn("officer")
	for _, path := range []string{"/playback", "/playback?camera=cam-evil"} {
		_, body := e.get(path)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>3") {
			t.Errorf("%s: a camera's name is not escaped", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the escaped name is missing", path)
		}
	}
}

// scriptRe matches script elements, whose JSON holds message keys.
var scriptRe = regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`)

// untranslated returns a message key with prefix shown outside scripts.
func untranslated(body, prefix string) string {
	body = scriptRe.ReplaceAllString(body, "")
	if i := strings.Index(body, prefix); i >= 0 {
		return body[i:min(len(body), i+40)]
	}
	return ""
}

// jsTime is a time as the page's script writes it.
func jsTime(t time.Time) float64 { return float64(t.UnixMilli()) }

func TestPlaybackInBrowser(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, withRecordings(dir))
	wall0, segs := recordCam001(t, e, dir)
	e.signIn("officer")
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	start := wall0.Add(2 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/playback?camera=cam-001&at="+url.QueryEscape(start.Format(time.RFC3339))),
		chromedp.Poll[chromedp.Void](`document.getElementById('pb').dataset.ready === 'true'`, chromedp.WithPollingTimeout(15*time.Second)),
	); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	str := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}

	// The timeline draws both recorded spans and the stored gap with its
	// reason (in Vietnamese), from the real index.
	if n := eval(`document.querySelectorAll('.pb-row[data-camera="cam-001"] .pb-span').length`); n != 2 {
		t.Errorf("%v spans drawn, want 2", n)
	}
	gapTitle := str(`document.querySelector('.pb-gap[data-reason="offline"]')?.title || ''`)
	if !strings.Contains(gapTitle, "Không có bản ghi: camera mất kết nối") {
		t.Errorf("gap title %q", gapTitle)
	}
	if got := str(`document.querySelector('.pb-span').dataset.start`); got != segs[0].Start.UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("first span starts %s, want %s", got, segs[0].Start)
	}

	// Zoomed to 10 minutes, a click on the timeline seeks the video there.
	target := wall0.Add(4 * time.Second)
	x := eval(fmt.Sprintf(`(() => {
		document.querySelector('[data-zoom="600"]').click();
		const st = window.matthanPlayback.st, r = document.getElementById('pb-timeline').getBoundingClientRect();
		return r.left + (%f - st.viewFrom) / (st.viewTo - st.viewFrom) * r.width;
	})()`, jsTime(target)))
	y := eval(`(() => { const r = document.querySelector('.pb-row').getBoundingClientRect(); return r.top + r.height / 2; })()`)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`(() => {
		const c = window.matthanPlayback.cams[0];
		return c.win && c.win.ready && c.video.readyState >= 2 && !c.video.seeking;
	})()`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatal("the video did not load: ", err)
	}
	playhead := eval(`window.matthanPlayback.st.playhead`)
	if d := math.Abs(playhead - jsTime(target)); d > 1000 { // a pixel of a 10-minute view is about 0.3 s
		t.Errorf("playhead %v ms from the clicked time", d)
	}
	// The picture's time: the clip window's start plus the video's time.
	pictureAt := eval(`(() => { const c = window.matthanPlayback.cams[0]; return c.win.from + c.video.currentTime * 1000; })()`)
	if d := math.Abs(pictureAt - playhead); d > 300 {
		t.Errorf("the video shows %v ms away from the playhead", d)
	}
	if clock := str(`document.getElementById('pb-clock').textContent`); clock != matthan.FormatLocal(time.UnixMilli(int64(playhead))) {
		t.Errorf("clock %q", clock)
	}

	// Playing at 1×, then 4×: the video's time moves at that speed.
	measure := func(speed string, over time.Duration) float64 {
		t.Helper()
		c0 := eval(`document.querySelector('[data-speed="` + speed + `"]').click(); window.matthanPlayback.cams[0].video.currentTime`)
		time.Sleep(over)
		return (eval(`window.matthanPlayback.cams[0].video.currentTime`) - c0) / over.Seconds()
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#pb-play`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`!window.matthanPlayback.cams[0].video.paused`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatal("the video does not play: ", err)
	}
	if rate := measure("1", 1500*time.Millisecond); rate < 0.6 || rate > 1.5 {
		t.Errorf("at 1× the video moved %.2f s a second", rate)
	}
	if rate := measure("4", time.Second); rate < 2.5 {
		t.Errorf("at 4× the video moved %.2f s a second", rate)
	}
	testutil.Screenshot(t, ctx, "playback", testutil.FullPage)

	// Export a range: the reason is required, then the package downloads.
	eval(fmt.Sprintf(`(() => { const p = window.matthanPlayback; p.pause(); p.seek(%f); document.getElementById('pb-mark-in').click();
		p.seek(%f); document.getElementById('pb-mark-out').click(); document.getElementById('pb-export').click(); return 0; })()`,
		jsTime(wall0.Add(time.Second)), jsTime(wall0.Add(4*time.Second))))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#pb-dialog`), chromedp.Click(`#pb-dialog-go`),
		chromedp.WaitVisible(`#pb-dialog [data-error="reason"]`),
		chromedp.SendKeys(`#pb-dialog [name=reason]`, "Vụ trộm xe máy đêm 14/01"),
		chromedp.Click(`#pb-dialog-go`),
		chromedp.WaitVisible(`#pb-download`),
	); err != nil {
		t.Fatal(err)
	}
	href := str(`document.getElementById('pb-download').getAttribute('href')`)
	res, zip := e.get(href)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(zip, "PK") {
		t.Errorf("download %s: %d, %d bytes", href, res.StatusCode, len(zip))
	}
	rows, err := e.db.Audit(t.Context(), matthan.AuditFilter{User: "officer", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	exported := false
	for _, a := range rows {
		exported = exported || (a.Action == "export" && strings.Contains(a.Detail, "Vụ trộm xe máy"))
	}
	if !exported {
		t.Error("the export is not audited with its reason")
	}
	eval(`document.getElementById('pb-dialog').close(); 0`)

	// In the gap, the picture says why there is none.
	gapMid := segs[2].End.Add(5 * time.Minute)
	eval(fmt.Sprintf(`window.matthanPlayback.pause(); window.matthanPlayback.seek(%f); 0`, jsTime(gapMid)))
	if over := str(`document.querySelector('.pb-overlay').hidden ? '' : document.querySelector('.pb-overlay').textContent`); over != "Không có bản ghi: camera mất kết nối" {
		t.Errorf("overlay in the gap: %q", over)
	}
}
