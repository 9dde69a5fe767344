package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan/internal/testutil"
)

func TestMapPage(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	for _, tc := range []struct {
		role     string
		playback bool
	}{{"viewer", false}, {"officer", true}, {"admin", true}} {
		e.signIn(tc.role)
		res, body := e.get("/map")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", tc.role, res.StatusCode)
		}
		if got := strings.Contains(body, `id="map-popup-playback"`); got != tc.playback {
			t.Errorf("%s: playback link %v, want %v", tc.role, got, tc.playback)
		}
		data := pageJSON[mapPageData](t, body, "map-data")
		if len(data.Cameras) != 4 || data.CanPlayBack != tc.playback || data.TileURL != "" {
			t.Errorf("%s: map data %+v", tc.role, data)
		}
	}
	// No tile server: a plain background from the first paint, said in words.
	_, body := e.get("/map")
	if !strings.Contains(body, `class="map plain"`) || !strings.Contains(body, "Không có bản đồ nền") || !strings.Contains(body, `<option value="Khóm 2">Khóm 2</option>`) {
		t.Error("no plain map without a tile server")
	}
	e.web.deps.TileURL = "https://tile.example.org/{z}/{x}/{y}.png"
	_, body = e.get("/map?lang=en")
	data := pageJSON[mapPageData](t, body, "map-data")
	if data.TileURL != "https://tile.example.org/{z}/{x}/{y}.png" || strings.Contains(body, `class="map plain"`) ||
		!strings.Contains(body, "Base map: tile.example.org") || !strings.Contains(body, "Camera map") {
		t.Errorf("with a tile server: %+v", data)
	}
}

// tilePNG is a 256×256 tile of one colour.
func tilePNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = []byte{40, 60, 70, 255}[i%4]
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const markerCount = `document.querySelectorAll('.marker:not([hidden])').length`
const outlines = `[...document.querySelectorAll('path.area-outline')].map((p) => p.dataset.area).join(', ') + ' | ' + [...document.querySelectorAll('text.area-label')].map((p) => p.textContent).join(', ')`

func TestMapInBrowser(t *testing.T) {
	e := newEnv(t)
	e.setWard()
	var served atomic.Int64
	tile := tilePNG(t)
	base := uiServer(e, map[string]http.Handler{
		"GET /tiles/ok/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			w.Header().Set("Content-Type", "image/png")
			w.Write(tile)
		}),
		"GET /tiles/broken/": http.NotFoundHandler(),
	})
	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs, "/tiles/broken/")
	open := func(lang string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/map?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, markerCount+` === 4`)
	}

	// No tile server: markers and area outlines on a plain background.
	open("vi")
	if got := eval[string](t, ctx, outlines); got != "Khóm 1, Khóm 2 | Khóm 1, Khóm 2" {
		t.Errorf("outlines: %s", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.marker[data-camera="cam-003"]').className + ' ' + document.querySelector('.marker[data-camera="cam-001"]').className`); got != "marker state-down marker state-streaming" {
		t.Errorf("marker colours: %s", got)
	}
	// Every marker is inside the map (it fits the cameras).
	if in := eval[bool](t, ctx, `(() => { const m = document.getElementById('map').getBoundingClientRect(); return [...document.querySelectorAll('.marker')].every((k) => { const r = k.getBoundingClientRect(); return r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom; }); })()`); !in {
		t.Error("markers outside the map")
	}

	// Click a camera: a popup with its name, live sub-stream and links.
	if err := chromedp.Do(ctx, chromedp.Click(`.marker[data-camera="cam-001"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, runningPlayers+` === "cam-001/sub"`)
	if got := eval[string](t, ctx, `document.getElementById('map-popup-name').textContent + ' | ' + document.getElementById('map-popup-wall').getAttribute('href') + ' | ' + document.getElementById('map-popup-playback').getAttribute('href')`); got != "Cổng chợ An Bình | /?camera=cam-001 | /playback?camera=cam-001" {
		t.Errorf("popup: %s", got)
	}
	testutil.Screenshot(t, ctx, "map")
	if err := chromedp.Do(ctx, chromedp.Click(`#map-close`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, runningPlayers+` === ""`)

	// Filters: only the cameras with a problem; only contributed ones.
	if err := chromedp.Do(ctx, chromedp.SetValue(`#map-filters select[name=status]`, "down")); err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `document.getElementById('map-filters').dispatchEvent(new Event('change')) || true`)
	waitFor(t, ctx, markerCount+` === 1 && !document.querySelector('.marker[data-camera="cam-003"]').hidden`)
	if err := chromedp.Do(ctx, chromedp.SetValue(`#map-filters select[name=status]`, ""), chromedp.SetValue(`#map-filters select[name=owner]`, "contributed")); err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `document.getElementById('map-filters').dispatchEvent(new Event('change')) || true`)
	waitFor(t, ctx, markerCount+` === 2`)

	// Zoom in by a button and pan by dragging: the markers move with the map.
	eval[bool](t, ctx, `(window.__left = parseFloat(document.querySelector('.marker[data-camera="cam-004"]').style.left), true)`)
	if err := chromedp.Do(ctx, chromedp.Click(`#map-zoom-out`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `parseFloat(document.querySelector('.marker[data-camera="cam-004"]').style.left) !== window.__left`)

	// A tile server that fails: the same plain map, said in words.
	e.web.deps.TileURL = base + "/tiles/broken/{z}/{x}/{y}.png"
	open("en")
	waitFor(t, ctx, `document.getElementById('map').classList.contains('plain') && document.querySelectorAll('.map-tiles img').length === 0`)
	if got := eval[string](t, ctx, outlines+` + ' | ' + document.getElementById('map-note').textContent`); got != "Khóm 1, Khóm 2 | Khóm 1, Khóm 2 | The base map could not be loaded: cameras are shown on a plain background with area outlines" {
		t.Errorf("failed tiles: %s", got)
	}

	// A tile server that works: tiles under the markers.
	e.web.deps.TileURL = base + "/tiles/ok/{z}/{x}/{y}.png"
	open("vi")
	waitFor(t, ctx, `[...document.querySelectorAll('.map-tiles img')].some((i) => i.complete && i.naturalWidth === 256)`)
	if plain := eval[bool](t, ctx, `document.getElementById('map').classList.contains('plain')`); plain || served.Load() == 0 {
		t.Errorf("working tiles: plain=%v, served %d", plain, served.Load())
	}
}
