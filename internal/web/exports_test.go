package web

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan/internal/export"
)

func TestExportsPage(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	e.web.deps.ExportDir = dir
	e.signIn("officer")
	e.checkPage(t, "/exports", 200, []string{"Chưa có gói chứng cứ nào.", `<a href="/exports" aria-current="page">Gói chứng cứ</a>`}, nil, "export.")

	at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	for _, p := range []export.Stored{
		{ID: "exp-old", Size: 159_800_000, SHA256: "aa11", CreatedAt: at, KeepUntil: at.AddDate(1, 0, 0), ExportedBy: "officer",
			Reason: "Trộm xe máy", Case: "VV-12/2026", Cameras: []string{"cam-001", "cam-002"}, From: at.Add(-time.Hour), To: at.Add(-50 * time.Minute)},
		{ID: "exp-new", Size: 2_500_000, SHA256: "bb22", CreatedAt: at.Add(time.Hour), KeepUntil: at.AddDate(1, 0, 0), ExportedBy: "admin",
			Reason: "Va chạm giao thông", Cameras: []string{"cam-003"}, From: at, To: at.Add(time.Minute)},
	} {
		p.File = p.ID + ".zip"
		b, _ := json.Marshal(p)
		if err := os.WriteFile(filepath.Join(dir, p.ID+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	body := e.checkPage(t, "/exports", 200, []string{
		`<tr data-export="exp-old"><td>20/11/2026 10:00:00</td><td>cam-001, cam-002</td><td>20/11/2026 09:00:00 – 20/11/2026 09:10:00</td><td>officer</td>`,
		"<td>Trộm xe máy</td><td>VV-12/2026</td><td class=\"num\">159,8 MB</td><td>20/11/2027 10:00:00</td><td><code>aa11</code></td>",
		`<a href="/api/exports/exp-old.zip" download>Tải về</a>`, `<a href="/api/exports/exp-new.zip" download>Tải về</a>`,
	}, []string{"Chưa có gói chứng cứ nào."}, "export.")
	if newer, older := strings.Index(body, "exp-new"), strings.Index(body, "exp-old"); newer < 0 || older < newer {
		t.Errorf("the newest package is not first")
	}
	e.checkPage(t, "/exports?lang=en", 200, []string{"Evidence packages", "2.5 MB", "Download"}, nil, "export.")

	e.signIn("viewer")
	if res, _ := e.get("/exports"); res.StatusCode == 200 {
		t.Errorf("a viewer sees the evidence packages")
	}
}
