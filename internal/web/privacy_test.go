package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/testutil"
)

// TestPrivacyAndRequestsInBrowser: the owner of an on-request camera draws
// a privacy mask on its picture; the mask covers it on the wall and in
// playback; an officer asks for footage from the playback page; the owner
// grants it in the portal; the officer then plays that footage back.
func TestPrivacyAndRequestsInBrowser(t *testing.T) {
	dir := t.TempDir()
	e := portalEnv(t, withRecordings(dir))
	wall0, segs := recordCam001(t, e, dir)
	ctx := t.Context()
	c, err := e.db.Camera(ctx, "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	c.Contributor, c.Sharing = "kimlong", matthan.Sharing{Mode: matthan.ShareOnRequest}
	if err := e.db.UpdateCamera(ctx, c); err != nil {
		t.Fatal(err)
	}

	bctx, errs := testutil.Chromium(t, 120*time.Second)
	// This env serves no live player (the tile says so), and playback is
	// refused until the owner grants the request: both are expected.
	defer testutil.NoPageErrors(t, errs, "/live/player.js", "status of 403 (Forbidden) "+e.srv.URL+"/api/cameras/cam-001/clip.mp4")
	eval, wait := browserPage(t, bctx)
	open := func(path, sel string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(sel)); err != nil {
			t.Fatal(err)
		}
	}
	click := func(sel string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Click(sel)); err != nil {
			t.Fatal(err)
		}
	}

	// The owner draws a mask on the still of their own camera.
	e.signIn("kimlong")
	open("/my", `article[data-camera="cam-001"] a[data-privacy]`)
	click(`article[data-camera="cam-001"] a[data-privacy]`)
	wait(`document.getElementById('priv-img') && !document.getElementById('priv-img').hidden`)
	eval(`(() => { document.getElementById('priv-name').value = 'Cửa sổ nhà bên'; return ''; })()`)
	click(`#priv-draw`)
	eval(`(() => {
		const svg = document.getElementById('priv-svg'), r = svg.getBoundingClientRect();
		for (const [x, y] of [[0.6, 0.1], [0.9, 0.1], [0.9, 0.4], [0.6, 0.4]]) {
			svg.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: r.left + x * r.width, clientY: r.top + y * r.height }));
		}
		return '';
	})()`)
	click(`#priv-done`)
	wait(`document.getElementById('priv').dataset.masks === '1'`)
	click(`#priv-save`)
	wait(`document.getElementById('priv-status').textContent === 'Đã lưu, có hiệu lực ngay'`)
	testutil.Screenshot(t, bctx, "privacy-masks", testutil.FullPage)
	if c, err := e.db.Camera(ctx, "cam-001"); err != nil || len(c.PrivacyMasks) != 1 || c.PrivacyMasks[0].Name != "Cửa sổ nhà bên" ||
		len(c.PrivacyMasks[0].Polygon) != 4 || abs(c.PrivacyMasks[0].Polygon[2].X-0.9) > 0.01 || abs(c.PrivacyMasks[0].Polygon[2].Y-0.4) > 0.01 {
		t.Fatalf("stored masks: %+v, %v", c.PrivacyMasks, err)
	}

	// The wall covers it in live view.
	e.signIn("officer")
	open("/", `.tile[data-camera="cam-001"]`)
	wait(`document.querySelector('.tile[data-camera="cam-001"] canvas.privacy-masks')?.dataset.masks === '1'`)

	// Playback refuses it; the officer asks the owner for the footage.
	at := url.QueryEscape(matthan.FormatLocal(wall0.Add(5 * time.Second)))
	open("/playback?camera=cam-001&at="+at, `[data-request-camera="cam-001"] form`)
	wait(`document.querySelector('.pb-cam[data-camera="cam-001"] canvas.privacy-masks')?.dataset.masks === '1'`)
	wait(`document.querySelector('.pb-cam[data-camera="cam-001"] .pb-overlay').textContent.includes('chỉ chia sẻ khi có yêu cầu')`)
	panel := `[data-request-camera="cam-001"]`
	wait(`document.querySelector('` + panel + `').dataset.requests === '0'`)
	click(panel + ` button[type=submit]`)
	wait(`!document.querySelector('` + panel + ` [data-error="reason"]').hidden`)
	eval(fmt.Sprintf(`(() => { const f = document.querySelector('%s form').elements;
		f.namedItem('from').value = '%s'; f.namedItem('to').value = '%s'; f.namedItem('reason').value = 'Mất trộm xe máy trước chợ';
		return ''; })()`, panel, matthan.FormatLocal(wall0), matthan.FormatLocal(segs[1].End)))
	click(panel + ` button[type=submit]`)
	wait(`document.querySelector('` + panel + ` tr[data-status="pending"]') !== null`)
	clip := "/api/cameras/cam-001/clip.mp4?from=" + url.QueryEscape(wall0.Add(time.Second).Format(time.RFC3339)) + "&to=" + url.QueryEscape(segs[1].End.Add(-time.Second).Format(time.RFC3339))
	if res, _ := e.get(clip); res.StatusCode != http.StatusForbidden {
		t.Fatalf("clip before the grant: %d", res.StatusCode)
	}

	// The owner sees the request with its reason and grants it.
	e.signIn("kimlong")
	open("/my", `#my-req article[data-status="pending"]`)
	if n := eval(`document.querySelector('nav [data-waiting]')?.textContent || ''`); n != "1" {
		t.Errorf("the owner's nav counts %q requests waiting, want 1", n)
	}
	if txt := eval(`document.querySelector('#my-req article').textContent`); !strings.Contains(txt, "Mất trộm xe máy trước chợ") || !strings.Contains(txt, "officer") {
		t.Errorf("the request as the owner sees it: %q", txt)
	}
	// The access log says what was asked for, in Vietnam time, and why.
	wait(`document.querySelector('#my-log tr[data-action="access.request"]') !== null`)
	want := matthan.FormatLocal(wall0) + " – " + matthan.FormatLocal(segs[1].End) + " · Mất trộm xe máy trước chợ"
	if got := eval(`document.querySelector('#my-log tr[data-action="access.request"]').cells[4].textContent`); got != want {
		t.Errorf("the request in the access log: %q, want %q", got, want)
	}
	testutil.Screenshot(t, bctx, "portal-request", testutil.FullPage)
	click(`#my-req article button[data-answer="grant"]`)
	wait(`document.querySelector('#my-req article[data-status="granted"] button[data-answer="revoke"]') !== null`)

	// The officer sees the answer and plays the footage back.
	e.signIn("officer")
	open("/playback?camera=cam-001&at="+at, panel+` tr[data-status="granted"]`)
	if res, _ := e.get(clip); res.StatusCode != http.StatusOK {
		t.Fatalf("clip after the grant: %d", res.StatusCode)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
