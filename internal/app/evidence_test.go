package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/config"
	"matthan/internal/export"
	"matthan/internal/export/exporttest"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/testutil"
)

// TestNodeServesEvidence runs a node over a data directory with
// recordings and uses the evidence routes as a browser would: the export
// is signed with the node's key and kept for export.keep, the lock and the
// continuity report and storage figures come from the node's own parts.
func TestNodeServesEvidence(t *testing.T) {
	wall0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	d := exporttest.New(t)
	d.AddCamera(t, matthan.Camera{ID: "cam-001", Name: "Ngã tư", Area: "Khóm 1", Address: "12 Lê Lợi",
		Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND Phường 1"}})
	// Switched off, so the node does not try to reach the camera.
	cam, err := d.DB.Camera(t.Context(), "cam-001")
	if err != nil {
		t.Fatal(err)
	}
	cam.Enabled = false
	if err := d.DB.UpdateCamera(t.Context(), cam); err != nil {
		t.Fatal(err)
	}
	d.Record(t, "cam-001", fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 4}, wall0), 2*time.Second)

	cfg := config.Default()
	cfg.Data, cfg.HTTP, cfg.RTSP = d.Data, "127.0.0.1:0", "127.0.0.1:0"
	cfg.AdminPassword = adminPassword
	cfg.Export.Keep = 2 * 8760 * time.Hour
	cfg.Record.MinFreePercent, cfg.Record.MinFreeBytes = 0, 1 // retention leaves the test's footage alone
	logs := &testutil.Logs{}
	n, err := Open(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with: %v", err)
		}
	})

	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, "http://"+n.HTTPAddr()+path, rd)
		req.SetBasicAuth("admin", adminPassword)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	from, to := matthan.FormatLocal(wall0), matthan.FormatLocal(wall0.Add(3*time.Second))
	code, b := call("POST", "/api/exports", map[string]any{"cameras": []string{"cam-001"}, "from": from, "to": to,
		"reason": "Va chạm giao thông", "case": "7/2026"})
	if code != http.StatusCreated {
		t.Fatalf("POST /api/exports = %d %s", code, b)
	}
	var x struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"created_at"`
		KeepUntil time.Time `json:"keep_until"`
		Download  string    `json:"download"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	if !x.KeepUntil.Equal(x.CreatedAt.Add(cfg.Export.Keep)) {
		t.Errorf("kept until %s, created %s: export.keep not applied", x.KeepUntil, x.CreatedAt)
	}
	code, pkg := call("GET", x.Download, nil)
	if code != http.StatusOK {
		t.Fatalf("download = %d %s", code, pkg)
	}
	key, err := export.LoadOrCreateSigningKey(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := export.VerifyKey(bytes.NewReader(pkg), int64(len(pkg)), key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK {
		t.Fatalf("the package does not verify with the node's key: %v %+v", err, rep)
	}
	if _, err := os.Stat(filepath.Join(ExportDir(cfg.Data), x.ID+".zip")); err != nil {
		t.Errorf("package not kept in DATA/exports: %v", err)
	}

	code, b = call("POST", "/api/cameras/cam-001/locks", map[string]any{"from": from, "to": to, "case": "7/2026", "reason": "Giữ chứng cứ"})
	if code != http.StatusCreated {
		t.Errorf("POST lock = %d %s", code, b)
	}
	if code, b = call("GET", "/api/locks?active=1", nil); code != http.StatusOK || !strings.Contains(string(b), `"case":"7/2026"`) {
		t.Errorf("GET /api/locks = %d %s", code, b)
	}
	if code, b = call("GET", "/api/cameras/cam-001/continuity", nil); code != http.StatusOK || !strings.Contains(string(b), `"uptime_percent"`) {
		t.Errorf("continuity = %d %s", code, b)
	}
	if code, b = call("GET", "/api/storage", nil); code != http.StatusOK || !strings.Contains(string(b), `"camera_id":"cam-001"`) {
		t.Errorf("storage = %d %s", code, b)
	}
	audit, err := d.DB.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-001"})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, a := range audit {
		actions[a.Action]++
	}
	if actions["export"] != 1 || actions["export.download"] != 1 || actions["evidence.lock"] != 1 {
		t.Errorf("audit actions %v", actions)
	}
}

// writeStored keeps a fake package in dir, made at created and kept until.
func writeStored(t *testing.T, dir, id string, created, until time.Time) {
	t.Helper()
	b, err := json.Marshal(export.Stored{ID: id, File: id + ".zip", CreatedAt: created, KeepUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".zip"), []byte("PK"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPruneExports(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
	year := 8760 * time.Hour
	writeStored(t, dir, "exp-old", now.Add(-2*year), now.Add(-year))              // past its keep time
	writeStored(t, dir, "exp-young", now.Add(-year/2), now.Add(-time.Hour))       // expired on paper, but under a year old
	writeStored(t, dir, "exp-kept", now.Add(-year-time.Hour), now.Add(time.Hour)) // kept a little longer
	logs := &testutil.Logs{}
	log := slog.New(slog.NewTextHandler(logs, nil))

	// With its context already ended, the loop prunes once and returns.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pruneExports(dir, time.Hour, func() time.Time { return now }, log)(ctx); err != nil {
		t.Fatal(err)
	}
	kept, err := export.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range kept {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "exp-kept,exp-young" {
		t.Errorf("kept %v, want exp-kept and exp-young", ids)
	}
	if _, err := os.Stat(filepath.Join(dir, "exp-old.zip")); !os.IsNotExist(err) {
		t.Errorf("exp-old.zip still there: %v", err)
	}
	if !strings.Contains(logs.String(), "exp-old") {
		t.Errorf("the deletion is not logged:\n%s", logs)
	}

	// It runs again every interval; a failure is logged and never stops
	// the node.
	var mu sync.Mutex
	clock := now
	tick := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(year)
		return clock
	}
	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- pruneExports(dir, 5*time.Millisecond, tick, log)(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if kept, _ := export.List(dir); len(kept) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("later passes did not prune")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A broken exports directory: logged, the loop goes on.
	if err := os.WriteFile(filepath.Join(dir, "exp-bad.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(logs.String(), "pruning evidence packages failed") {
		if time.Now().After(deadline) {
			t.Fatal("failure not logged")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("prune loop returned %v", err)
	}
}
