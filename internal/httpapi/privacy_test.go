package httpapi

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"matthan"
)

// TestPrivacyMasks: the owner and the police draw masks, each change
// audited where the owner sees it; others cannot; the owner gets a still
// of their own camera to draw on.
func TestPrivacyMasks(t *testing.T) {
	e := newPlaybackEnv(t)
	ctx := t.Context()
	as := e.addContributors("nha-co-ba", "tiem-vang")
	cam, err := e.db.Camera(ctx, "cam-1")
	if err != nil {
		t.Fatal(err)
	}
	cam.Contributor = "nha-co-ba"
	if err := e.db.UpdateCamera(ctx, cam); err != nil {
		t.Fatal(err)
	}
	window := map[string]any{"name": "cửa sổ nhà bên", "polygon": []map[string]float64{{"x": 0.6, "y": 0.1}, {"x": 0.9, "y": 0.1}, {"x": 0.9, "y": 0.4}, {"x": 0.6, "y": 0.4}}}

	if v := decode[cameraView](t, e.do("GET", "/api/cameras/cam-1", "viewer", nil)); v.PrivacyMasks == nil || len(v.PrivacyMasks) != 0 {
		t.Fatalf("no masks yet: %+v", v.PrivacyMasks)
	}
	thumb := "/api/cameras/cam-1/thumbnail.jpg?at=" + url.QueryEscape(e.segs[0].Start.Add(time.Second).Format(time.RFC3339Nano))
	if lum := windowLuma(t, e.get(thumb, "officer", nil)); lum < 20 {
		t.Fatalf("the window of the unmasked picture is already dark (%.1f): the test proves nothing", lum)
	}
	r := as("nha-co-ba", "PUT", "/api/my/cameras/cam-1/privacy-masks", map[string]any{"masks": []any{window}})
	if v := decode[cameraView](t, r); len(v.PrivacyMasks) != 1 || v.PrivacyMasks[0].Name != "cửa sổ nhà bên" || len(v.PrivacyMasks[0].Polygon) != 4 {
		t.Fatalf("after the owner's masks: %s", r.body)
	}
	// Every viewer's live view gets them, with the camera.
	if v := decode[cameraView](t, e.do("GET", "/api/cameras/cam-1", "viewer", nil)); len(v.PrivacyMasks) != 1 || v.PrivacyMasks[0].Polygon[2] != (matthan.Point{X: 0.9, Y: 0.4}) {
		t.Fatalf("the camera as a viewer reads it: %+v", v.PrivacyMasks)
	}
	bad := map[string]any{"masks": []any{map[string]any{"name": "x", "polygon": []map[string]float64{{"x": 0, "y": 0}, {"x": 1.5, "y": 0}, {"x": 0, "y": 1}}}}}
	if f := fieldNames(expectError(t, as("nha-co-ba", "PUT", "/api/my/cameras/cam-1/privacy-masks", bad), http.StatusBadRequest, matthan.EINVALID)); !slices.Contains(f, "privacy_masks[0].polygon") {
		t.Errorf("a corner outside the picture: fields %v", f)
	}
	expectError(t, as("tiem-vang", "PUT", "/api/my/cameras/cam-1/privacy-masks", map[string]any{"masks": []any{}}), http.StatusNotFound, matthan.ENOTFOUND)
	expectError(t, as("tiem-vang", "GET", "/api/my/cameras/cam-1/still.jpg", nil), http.StatusNotFound, matthan.ENOTFOUND)
	if r := e.do("PUT", "/api/cameras/cam-1/privacy-masks", "viewer", map[string]any{"masks": []any{}}); r.status != http.StatusForbidden {
		t.Errorf("a viewer setting masks: %d", r.status)
	}
	if v := decode[cameraView](t, e.do("PUT", "/api/cameras/cam-1/privacy-masks", "officer", map[string]any{"masks": []any{window, window}})); len(v.PrivacyMasks) != 2 {
		t.Fatalf("after the officer's masks: %+v", v.PrivacyMasks)
	}

	// Snapshots leave the node with the masks painted over.
	if lum := windowLuma(t, e.get(thumb, "officer", nil)); lum > 2 {
		t.Errorf("the masked window's mean brightness is %.1f, want black", lum)
	}

	// The owner's still of their camera: a real picture, audited.
	still := e.get("/api/my/cameras/cam-1/still.jpg", "", nil)
	if still.status != http.StatusUnauthorized {
		t.Errorf("still without signing in: %d", still.status)
	}
	r = e.get("/api/my/cameras/cam-1/still.jpg", "nha-co-ba", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("still: %d %s", r.status, r.body)
	}
	if _, err := jpeg.Decode(bytes.NewReader(r.body)); err != nil {
		t.Fatalf("still is not a JPEG: %v", err)
	}

	var steps []string
	for _, a := range decode[[]matthan.AuditEntry](t, as("nha-co-ba", "GET", "/api/my/access", nil)) {
		steps = append(steps, a.User+" "+a.Action)
	}
	for _, want := range []string{"nha-co-ba camera.privacy_masks", "officer camera.privacy_masks", "nha-co-ba owner.still"} {
		if !slices.Contains(steps, want) {
			t.Errorf("the owner's access log %v lacks %q", steps, want)
		}
	}
}

// windowLuma is the mean brightness (0..255) of the "neighbour's window"
// the test masks (x 0.6–0.9, y 0.1–0.4), a little inside its edges.
func windowLuma(t *testing.T, r resp) float64 {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("snapshot: %d %s", r.status, r.body)
	}
	img, err := jpeg.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	var sum float64
	var n int
	for y := b.Min.Y + b.Dy()*12/100; y < b.Min.Y+b.Dy()*38/100; y++ {
		for x := b.Min.X + b.Dx()*62/100; x < b.Min.X+b.Dx()*88/100; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			n++
		}
	}
	return sum / float64(n)
}
