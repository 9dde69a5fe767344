//go:build linux

package benchproc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"matthan"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

func TestChildrenStop(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		grace    time.Duration
		atLeast  time.Duration // the stop took at least this: the grace was waited out
		wantKill bool
	}{
		{"stops on SIGTERM", "exec sleep 30", 5 * time.Second, 0, false},
		{"killed after the grace", `trap "" TERM; while :; do sleep 0.05; done`, 300 * time.Millisecond, 300 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var procs Children
			t.Cleanup(func() { procs.Stop(0) })
			c, err := procs.Start("sh", []string{"-c", tt.script}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // the trap is set
			if c.Exited() || c.Err() != nil {
				t.Fatalf("running child: Exited %v, Err %v", c.Exited(), c.Err())
			}
			t0 := time.Now()
			procs.Stop(tt.grace, c)
			took := time.Since(t0)
			if !c.Exited() {
				t.Fatal("Stop returned before the child exited")
			}
			if took < tt.atLeast || (!tt.wantKill && took >= tt.grace) {
				t.Errorf("Stop took %s (grace %s)", took, tt.grace)
			}
			var ee *exec.ExitError
			if !errors.As(c.Err(), &ee) {
				t.Fatalf("Err = %v, want the exit of a signalled process", c.Err())
			}
			sig := ee.Sys().(syscall.WaitStatus).Signal()
			if want := map[bool]syscall.Signal{false: syscall.SIGTERM, true: syscall.SIGKILL}[tt.wantKill]; sig != want {
				t.Errorf("ended by %v, want %v", sig, want)
			}
		})
	}
}

func TestChildrenStopAllAndGrandchildren(t *testing.T) {
	var procs Children
	pidFile := filepath.Join(t.TempDir(), "pid")
	c, err := procs.Start("sh", []string{"-c", "sleep 30 & echo $! > " + pidFile + "; wait"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	for deadline := time.Now().Add(5 * time.Second); grandchild == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		fmt.Sscan(string(b), &grandchild)
	}
	if grandchild == 0 {
		t.Fatal("the script did not say its child's PID")
	}
	procs.Stop(5 * time.Second) // none named: all of them
	if !c.Exited() {
		t.Fatal("Stop() left the child running")
	}
	// The whole process group was signalled: the forked sleep ends too.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", grandchild))
		if err != nil || strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still runs: %s", grandchild, b)
		}
	}
}

func TestStartSim(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		wantErr string
	}{
		{"ready", `echo "warming up" >&2; echo "Simulating 2 cameras"; exec sleep 30`, ""},
		{"ready on stdout in pieces", `printf Simu; sleep 0.1; echo "lating"; exec sleep 30`, ""},
		{"exits", `echo "no clips" >&2; exit 3`, "simulator exited early: exit status 3 (see "},
		{"never ready", `exec sleep 30`, "simulator not ready after 300ms (see "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fake := filepath.Join(dir, "matthan")
			if err := os.WriteFile(fake, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var procs Children
			logs := Logs{Prefix: filepath.Join(dir, "run")}
			t.Cleanup(func() { procs.Stop(time.Second); logs.Close() })
			c, addr, err := StartSim(context.Background(), &procs, &logs, SimOptions{
				Matthan: fake, Cameras: 2, Clips: "clips", Timeout: 300 * time.Millisecond})
			if tt.wantErr == "" {
				if err != nil || c == nil || c.Exited() || !strings.HasPrefix(addr, "127.0.0.1:") {
					t.Fatalf("StartSim = child %v, %q, %v", c != nil, addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), logs.Path("sim")) {
				t.Fatalf("StartSim error = %v, want %q… naming %s", err, tt.wantErr, logs.Path("sim"))
			}
		})
	}
}

func TestStartServeArgs(t *testing.T) {
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "matthan")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" > %s\nexec sleep 30\n", argsFile)
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var procs Children
	t.Cleanup(func() { procs.Stop(time.Second) })
	args := []string{"serve", "--data", "D"}
	c, httpAddr, err := StartServe(&procs, fake, args, nil, "--live.max-viewers", "60")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for deadline := time.Now().Add(5 * time.Second); got == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(argsFile)
		got = strings.TrimSpace(string(b))
	}
	f := strings.Fields(got)
	if len(f) != 9 || strings.Join(f[:3], " ") != "serve --data D" || f[3] != "--http" || f[4] != httpAddr ||
		f[5] != "--rtsp" || !strings.HasPrefix(f[6], "127.0.0.1:") || f[6] == httpAddr || f[7] != "--live.max-viewers" || f[8] != "60" {
		t.Fatalf("matthan ran with %q (http %s)", got, httpAddr)
	}
	if len(args) != 3 {
		t.Errorf("StartServe changed the caller's args: %q", args)
	}
	if c.Exited() {
		t.Error("the node exited")
	}
}

func TestRegisterCameras(t *testing.T) {
	for _, tt := range []struct {
		name    string
		streams Streams
		sub     bool
	}{{"main only", MainOnly, false}, {"main and sub", MainAndSub, true}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			if err := RegisterCameras(ctx, dir, "127.0.0.1:8554", 3, tt.streams); err != nil {
				t.Fatal(err)
			}
			key, err := secret.LoadOrCreateKey(filepath.Join(dir, "node.key"))
			if err != nil {
				t.Fatal(err)
			}
			sealer, err := secret.NewSealer(key)
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlite.Open(ctx, filepath.Join(dir, "matthan.db"), sealer)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			cams, err := db.Cameras(ctx, matthan.CameraFilter{})
			if err != nil || len(cams) != 3 {
				t.Fatalf("Cameras = %d, %v; want 3", len(cams), err)
			}
			for _, c := range cams {
				if c.MainURL != "rtsp://127.0.0.1:8554/"+c.ID+"/main" {
					t.Errorf("%s main URL %q", c.ID, c.MainURL)
				}
				if wantSub := "rtsp://127.0.0.1:8554/" + c.ID + "/sub"; (tt.sub && c.SubURL != wantSub) || (!tt.sub && c.SubURL != "") {
					t.Errorf("%s sub URL %q", c.ID, c.SubURL)
				}
			}
		})
	}
}

func TestFetchMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "go_goroutines 42")
	}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	body, err := FetchMetrics(context.Background(), client, srv.URL+"/metrics")
	if err != nil || string(body) != "go_goroutines 42\n" {
		t.Fatalf("FetchMetrics = %q, %v", body, err)
	}
	if _, err := FetchMetrics(context.Background(), client, srv.URL+"/other"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("FetchMetrics of a 403 = %v, want an error naming it", err)
	}
}

func TestLogs(t *testing.T) {
	for _, dropEmpty := range []bool{false, true} {
		dir := t.TempDir()
		logs := Logs{Prefix: filepath.Join(dir, "run"), DropEmpty: dropEmpty}
		if _, err := logs.Create("quiet"); err != nil {
			t.Fatal(err)
		}
		loud, err := logs.Create("loud")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(loud, "something")
		logs.Close()
		if _, err := os.Stat(filepath.Join(dir, "run-loud.log")); err != nil {
			t.Errorf("DropEmpty %v: the written log is gone: %v", dropEmpty, err)
		}
		if _, err := os.Stat(logs.Path("quiet")); (err == nil) == dropEmpty {
			t.Errorf("DropEmpty %v: the empty log: %v", dropEmpty, err)
		}
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	if err := Sleep(ctx, time.Minute); !errors.Is(err, context.Canceled) || time.Since(t0) > time.Second {
		t.Fatalf("Sleep after cancel = %v after %s", err, time.Since(t0))
	}
}

func TestFirstLine(t *testing.T) {
	if got := FirstLine("sh", "-c", "echo ' one'; echo two"); got != "one" {
		t.Errorf("FirstLine = %q, want one", got)
	}
	if got := FirstLine("/no/such/binary"); !strings.HasPrefix(got, "/no/such/binary: ") {
		t.Errorf("FirstLine of a missing binary = %q", got)
	}
}
