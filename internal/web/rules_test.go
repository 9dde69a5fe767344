package web

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/playback/playbacktest"
	"matthan/internal/testutil"
)

func TestRulesPages(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, user, path string
		status           int
		want, notWant    []string
	}{
		{"list", "officer", "/rules", 200, []string{"Vùng và quy tắc phân tích", "Cổng chợ An Bình", "Mặc định",
			"Xe máy đang chạy chở từ 3 người trở lên", `href="/rules/cam-004"`, "chưa bật phân tích"}, nil},
		{"list in English", "admin", "/rules?lang=en", 200, []string{"Analytics zones and rules", "Defaults", "A moving motorbike carries 3 people or more"}, nil},
		{"editor", "officer", "/rules/cam-003", 200, []string{"Vùng và quy tắc: Tiệm vàng Kim Long", `data-stream="sub"`, "Cấm đỗ xe", "Cổng / cửa",
			"Trái sang phải", "Lảng vảng", "Bắt đầu vẽ", `value="dumping"`, "Đổ rác trái phép", `value="lapse"`, "Sơ hở an ninh ban đêm"}, nil},
		{"unknown camera", "officer", "/rules/cam-404", 404, nil, []string{"rules-edit"}},
		{"viewer", "viewer", "/rules", 403, nil, []string{"rules-table"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(tc.user)
			e.checkPage(t, tc.path, tc.status, tc.want, tc.notWant, "rules.")
		})
	}
}

// TestRulesEditorInBrowser: an officer draws a no-parking zone on the
// camera's recorded picture, adds rules, gets a wrong one pointed out at
// the rule, fixes it and saves; the stored settings hold the drawn points.
func TestRulesEditorInBrowser(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, withRecordings(dir))
	wall0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 4, Width: 640, Height: 360}, wall0)
	playbacktest.Record(t, dir, e.db, playbacktest.Recording{CameraID: "cam-002", Stream: matthan.StreamSub, Clip: clip, Wall0: wall0, Segment: 4 * time.Second})
	e.signIn("officer")

	ctx, errs := testutil.Chromium(t, time.Minute)
	defer testutil.NoPageErrors(t, errs)
	eval, wait := browserPage(t, ctx)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.srv.URL+"/rules/cam-002"), chromedp.WaitVisible(`#rules-svg`)); err != nil {
		t.Fatal(err)
	}
	// The recorded picture of the analysed stream, decoded by the API.
	wait(`(() => { const i = document.getElementById('rules-img'); return !i.hidden && i.naturalWidth === 960; })()`)
	wait(`document.querySelectorAll('#rules-described li').length === 2`) // the defaults, in words

	// Draw a no-parking zone: four clicks on the picture.
	eval(`document.getElementById('draw-what').value = 'zone';
		document.getElementById('draw-kind').value = 'no_parking'; ''`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#draw-name`, "Vỉa hè"), chromedp.Click(`#draw-start`)); err != nil {
		t.Fatal(err)
	}
	type rect struct{ X, Y, W, H float64 }
	box, err := chromedp.Run(ctx, chromedp.Evaluate[rect](`(() => { const r = document.getElementById('rules-svg').getBoundingClientRect();
		return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]float64{{0.1, 0.5}, {0.6, 0.5}, {0.6, 0.9}, {0.1, 0.9}}
	for _, p := range want {
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(box.X+p[0]*box.W, box.Y+p[1]*box.H)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#draw-done`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.querySelector('#rules-svg polygon.k-no_parking') !== null && [...document.querySelectorAll('#zone-list input')].some(i => i.value === 'Vỉa hè')`)

	// A parking rule on it (2 minutes), and a line-crossing rule with no
	// line drawn: the server refuses that one, and says so at the rule.
	add := func(typ string) {
		eval(fmt.Sprintf(`(() => { const s = document.getElementById('rule-add'); s.value = %q; s.dispatchEvent(new Event('change')); return ''; })()`, typ))
	}
	add("parking")
	wait(`[...document.querySelectorAll('[data-item="rules.parking[0]"] select option')].some(o => o.value === 'Vỉa hè')`)
	eval(`(() => { const card = document.querySelector('[data-item="rules.parking[0]"]');
		const zone = card.querySelector('select'); zone.value = 'Vỉa hè'; zone.dispatchEvent(new Event('change'));
		const min = card.querySelector('input[type=number]'); min.value = '2'; min.dispatchEvent(new Event('change')); return ''; })()`)
	// The picture rules have their own fields; a lapse is a night matter.
	add("dumping")
	add("lapse")
	wait(`document.querySelector('[data-item="rules.dumping[0]"]')?.textContent.includes('Vật lạ nằm lại quá') &&
		document.querySelector('[data-item="rules.lapse[0]"]')?.textContent.includes('Cổng mở')`)
	if got := eval(`[...document.querySelectorAll('[data-item="rules.lapse[0]"] select')].map(s => s.value).join(',')`); got != ",night," {
		t.Errorf("a new lapse rule's choices: %q, want any gate zone, at night, the default severity", got)
	}
	eval(`document.querySelector('[data-item="rules.lapse[0]"] header button').click();
		document.querySelector('[data-item="rules.dumping[0]"] header button').click(); ''`)
	add("line_crossing")
	if err := chromedp.Do(ctx, chromedp.Click(`#rules-save`)); err != nil {
		t.Fatal(err)
	}
	wait(`!document.querySelector('[data-error="rules.line_crossing[0]"]').hidden`)
	if msg := eval(`document.querySelector('[data-error="rules.line_crossing[0]"]').textContent`); !strings.Contains(msg, "không có đường tên") {
		t.Errorf("the rule's error says %q", msg)
	}
	if !strings.Contains(eval(`document.getElementById('rules-error').textContent`), "Hãy sửa") {
		t.Error("no summary of the errors beside Save")
	}
	if _, err := e.db.AnalyticsSettings(t.Context(), "cam-002"); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Fatalf("refused settings were stored: %v", err)
	}
	testutil.Screenshot(t, ctx, "rules-editor-error", testutil.FullPage)

	// Remove it and save.
	if err := chromedp.Do(ctx, chromedp.Click(`[data-item="rules.line_crossing[0]"] header button`), chromedp.Click(`#rules-save`)); err != nil {
		t.Fatal(err)
	}
	wait(`document.getElementById('rules-status').textContent.startsWith('Đã lưu')`)
	described := eval(`document.getElementById('rules-described').textContent`)
	if !strings.Contains(described, "Vỉa hè") || !strings.Contains(described, "2 phút") {
		t.Errorf("saved rules in words: %q", described)
	}
	stored, err := e.db.AnalyticsSettings(t.Context(), "cam-002")
	if err != nil {
		t.Fatal(err)
	}
	set, err := pipeline.ParseSettings(stored.Settings)
	if err != nil {
		t.Fatal(err)
	}
	if stored.UpdatedBy != "officer" || len(set.Zones) != 2 || len(set.Rules.Parking) != 1 || len(set.Rules.Riders) != 1 || set.Rules.Parking[0].MinStay != 2*time.Minute ||
		set.Rules.Parking[0].Zone != "Vỉa hè" || len(set.Rules.LineCrossing) != 0 {
		t.Fatalf("stored %s", stored.Settings)
	}
	// The defaults stay: they are where the officer started from.
	for i, p := range set.Zones[1].Polygon {
		if math.Abs(p.X-want[i][0]) > 0.01 || math.Abs(p.Y-want[i][1]) > 0.01 {
			t.Errorf("point %d stored at (%.3f, %.3f), clicked at %v", i, p.X, p.Y, want[i])
		}
	}
	testutil.Screenshot(t, ctx, "rules-editor", testutil.FullPage)

	// After a reload the zone is there; the list says the camera has its own.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	wait(`[...document.querySelectorAll('#zone-list input')].some(i => i.value === 'Vỉa hè') && document.querySelector('#rules-svg polygon.k-no_parking') !== null`)
	body := e.checkPage(t, "/rules", 200, []string{"Cấu hình riêng", "Sửa lần cuối bởi officer"}, nil, "rules.")
	if !strings.Contains(body, "Vỉa hè") {
		t.Error("the list does not show the new rule")
	}
}
