package app

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/export"
	"matthan/internal/sim"
	"matthan/internal/testutil"
)

// TestScreenEndToEnd drives the police post's screen in a real Chromium
// against a node with simulated cameras: sign in, live video really playing
// in every tile over WebRTC and over the MSE fallback, a camera enlarged,
// and a stalled camera flagged within the stall timeout. Screenshots go to
// $MATTHAN_SCREENSHOTS when set (docs/screenshots).
func TestScreenEndToEnd(t *testing.T) {
	w := startWard(t, 4, nil)
	for _, id := range []string{"cam-001", "cam-002", "cam-003", "cam-004"} {
		w.waitState(t, id, matthan.StreamSub, matthan.StateStreaming, 20*time.Second)
	}
	ctx, errs := testutil.Chromium(t, 4*time.Minute)
	defer testutil.NoPageErrors(t, errs)
	base := "http://" + w.node.HTTPAddr()

	// Signing in: a wrong password says so, the right one opens the wall.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#login`),
		chromedp.SendKeys(`input[name=name]`, "admin"),
		chromedp.SendKeys(`input[name=password]`, "not-the-password"),
		chromedp.Click(`#login button[type=submit]`),
		chromedp.WaitVisible(`#login-error`),
	); err != nil {
		t.Fatal(err)
	}
	testutil.Screenshot(t, ctx, "login")
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=password]').value = ''`),
		chromedp.SendKeys(`input[name=password]`, adminPassword),
		chromedp.Click(`#login button[type=submit]`),
		chromedp.WaitVisible(`#wall-grid .tile video`),
	); err != nil {
		t.Fatal(err)
	}

	// Every tile plays its sub-stream, over WebRTC.
	waitPlaying(t, ctx, 4, "webrtc")
	testutil.Screenshot(t, ctx, "wall")

	// Double-click enlarges a camera: its main stream plays alone.
	if err := chromedp.Do(ctx, chromedp.DoubleClick(`#wall-grid .tile`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "one enlarged tile on the main stream", `(() => {
		const t = [...document.querySelectorAll('#wall-grid .tile')].filter(e => e.offsetParent !== null);
		return t.length === 1 && t[0].querySelector('.tile-stream').textContent.startsWith('main');
	})()`)
	waitPlaying(t, ctx, 1, "webrtc")
	testutil.Screenshot(t, ctx, "wall-enlarged")

	// The fallback: fMP4 over WebSocket into Media Source Extensions.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?transport=mse"), chromedp.WaitVisible(`#wall-grid .tile video`)); err != nil {
		t.Fatal(err)
	}
	waitPlaying(t, ctx, 4, "mse")

	// A camera that stops sending is flagged on the page (tile and banner)
	// within the stall timeout, plus the time the tile takes to look.
	if err := w.sim.SetFault("cam-002", sim.Fault{Kind: sim.FaultStall}); err != nil {
		t.Fatal(err)
	}
	stalled := time.Now()
	waitFor(t, ctx, "cam-002 flagged", `!!document.querySelector('#alerts .alert[data-camera="cam-002"]')`)
	flagged := time.Since(stalled)
	stall := w.node.Config.Ingest.StallTimeout
	if flagged > stall+3*time.Second {
		t.Errorf("the stalled camera was flagged after %v; the stall timeout is %v", flagged, stall)
	}
	t.Logf("stalled camera flagged after %v (stall timeout %v)", flagged.Round(10*time.Millisecond), stall)
	testutil.Screenshot(t, ctx, "wall-alert")

	// Timeline: seconds ago (still in the segment being written) play at
	// the asked time, and a range exports as a package that verifies.
	at := time.Now().Add(-6 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/playback?camera=cam-001&at="+at.UTC().Format(time.RFC3339)),
		chromedp.Poll[chromedp.Void](`document.getElementById('pb').dataset.ready === 'true'`, chromedp.WithPollingTimeout(20*time.Second)),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the recorded picture at the asked time", `(() => {
		const c = window.matthanPlayback.cams[0];
		return c.win && c.win.ready && c.video.readyState >= 2 && !c.video.seeking && c.video.videoWidth === 1920;
	})()`)
	pictureAt, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const c = window.matthanPlayback.cams[0]; return c.win.from + c.video.currentTime * 1000; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.UnixMilli(int64(pictureAt)).Sub(at.Truncate(time.Second)); d < -time.Second || d > time.Second {
		t.Errorf("the timeline shows the picture of %v, %v from the asked time", time.UnixMilli(int64(pictureAt)), d)
	}
	testutil.Screenshot(t, ctx, "playback")
	markIn, markOut := at.Add(-3*time.Second), at.Add(2*time.Second)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`(() => { const p = window.matthanPlayback;
		p.pause(); p.seek(%d); document.getElementById('pb-mark-in').click();
		p.seek(%d); document.getElementById('pb-mark-out').click(); document.getElementById('pb-export').click(); return 0; })()`,
		markIn.UnixMilli(), markOut.UnixMilli()))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`#pb-dialog`),
		chromedp.SendKeys(`#pb-dialog [name=reason]`, "Kiểm thử đầu cuối: trích xuất"),
		chromedp.Click(`#pb-dialog-go`),
		chromedp.WaitVisible(`#pb-download`),
	); err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('pb-download').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(ExportDir(w.node.Config.Data), path.Base(href))
	f, err := os.Open(pkg)
	if err != nil {
		t.Fatalf("the package behind %s: %v", href, err)
	}
	st, _ := f.Stat()
	report, err := export.Verify(f, st.Size())
	f.Close()
	if err != nil || !report.OK || report.FilesChecked == 0 {
		t.Fatalf("verify %s: %+v %v", pkg, report, err)
	}
	clip := report.Manifest.Cameras[0].Clips[0]
	if d := clip.DurationSeconds - markOut.Sub(markIn).Seconds(); d < -2 || d > 2 {
		t.Errorf("exported clip lasts %.1f s for a %v range", clip.DurationSeconds, markOut.Sub(markIn))
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/health"), chromedp.WaitVisible(`table`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "cam-002 listed first on the health page", `(document.querySelector('tbody tr')?.textContent || '').includes('cam-002') || (document.querySelector('tbody tr')?.dataset.camera === 'cam-002')`)
	testutil.Screenshot(t, ctx, "health")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/map"), chromedp.WaitVisible(`#map`)); err != nil {
		t.Fatal(err)
	}
	testutil.Screenshot(t, ctx, "map")
}

// waitPlaying waits until n visible tiles play video over transport: their
// video's time advances and frames decode.
func waitPlaying(t *testing.T, ctx context.Context, n int, transport string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf("%d tiles playing over %s", n, transport), fmt.Sprintf(`(() => {
		const tiles = [...document.querySelectorAll('#wall-grid .tile')].filter(e => e.offsetParent !== null);
		if (tiles.length < %d) return false;
		window.__seen ??= new Map();
		return tiles.every(tile => {
			const v = tile.querySelector('video');
			if (!tile.querySelector('.tile-stream').textContent.endsWith(%q)) return false;
			const q = v.getVideoPlaybackQuality();
			const before = window.__seen.get(v);
			window.__seen.set(v, {time: v.currentTime, frames: q.totalVideoFrames});
			return before && v.currentTime > before.time && q.totalVideoFrames > before.frames + 1 && v.videoWidth > 0 && tile.dataset.player === "playing";
		});
	})()`, n, transport))
}

// waitFor polls a JavaScript condition until it is true.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.tile')].map(t => t.innerText.replace(/\n/g, ' | ')).join('\n') || document.body.innerText.slice(0, 2000)`))
			t.Fatalf("timed out waiting for %s (last error %v); the page says:\n%s", what, err, strings.TrimSpace(html))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
