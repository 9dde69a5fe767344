package app

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"matthan/internal/config"
	"matthan/internal/testutil"
)

// tokenCLI runs `matthan token SUB ARGS` as cmd/matthan wires it.
func tokenCLI(ctx context.Context, sub string, args ...string) (string, error) {
	fs := flag.NewFlagSet("matthan token "+sub, flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	var out bytes.Buffer
	opts := TokenOptions{Out: &out}
	opts.Flags(fs)
	cfg, err := config.Load(fs, args, func(string) string { return "" })
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		err = Token(ctx, cfg, sub, fs.Args(), opts)
	}
	return out.String(), err
}

func initCLI(ctx context.Context, args ...string) (string, error) {
	fs := flag.NewFlagSet("matthan init", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	var out bytes.Buffer
	cfg, err := config.Load(fs, args, func(string) string { return "" })
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		err = Init(ctx, cfg, &out)
	}
	return out.String(), err
}

// startNode runs a node without cameras or recording on data.
func startNode(t *testing.T, data, adminPassword string) (*Node, *testutil.Logs) {
	t.Helper()
	cfg := config.Default()
	cfg.Data, cfg.HTTP, cfg.RTSP, cfg.AdminPassword = data, "127.0.0.1:0", "127.0.0.1:0", adminPassword
	cfg.Record.Enabled = false
	logs := &testutil.Logs{}
	n, err := Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.Run(ctx); err != nil {
			t.Errorf("node: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return n, logs
}

func call(t *testing.T, n *Node, method, path, body string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://"+n.HTTPAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var (
	tokenRE    = regexp.MustCompile(`mt_[A-Za-z0-9_-]{43}`)
	passwordRE = regexp.MustCompile(`\n    (\S+)\n`)
)

// TestInitThenTokenWorksAgainstTheAPI: `matthan init` makes admin and
// prints the password once; `matthan token create` makes a token the
// running node accepts, and `matthan token revoke` takes it back.
func TestInitThenTokenWorksAgainstTheAPI(t *testing.T) {
	ctx := t.Context()
	data := t.TempDir() + "/node"
	if _, err := tokenCLI(ctx, "create", "--data", data, "--user", "admin"); err == nil || !strings.Contains(err.Error(), "no node data") {
		t.Fatalf("token create before init: %v", err)
	}
	out, err := initCLI(ctx, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	m := passwordRE.FindStringSubmatch(out)
	if m == nil || len(m[1]) < 16 {
		t.Fatalf("no one-time password in:\n%s", out)
	}
	password := m[1]
	again, err := initCLI(ctx, "--data", data)
	if err != nil || !strings.Contains(again, "already has an admin") || strings.Contains(again, password) {
		t.Fatalf("second init: %v\n%s", err, again)
	}

	out, err = tokenCLI(ctx, "create", "--data", data, "--user", "admin", "--name", "prometheus", "--scope", "read,live", "--expires", "90d")
	if err != nil {
		t.Fatal(err)
	}
	token := tokenRE.FindString(out)
	if token == "" {
		t.Fatalf("no token in:\n%s", out)
	}
	for _, bad := range [][]string{
		{"--user", "ghost"},
		{"--user", "admin", "--scope", "root"},
		{"--user", "admin", "--expires", "forever"},
		{},
	} {
		if _, err := tokenCLI(ctx, "create", append([]string{"--data", data}, bad...)...); err == nil {
			t.Errorf("token create %v passed", bad)
		}
	}

	n, logs := startNode(t, data, "")
	if _, err := os.Stat(AdminPasswordFile(data)); err == nil {
		t.Error("the node wrote an admin password although init made admin")
	}
	auth := []string{"Authorization", "Bearer " + token}
	if code, body := call(t, n, "GET", "/api/cameras", "", auth...); code != 200 {
		t.Fatalf("GET /api/cameras with the CLI's token: %d %s", code, body)
	}
	if code, body := call(t, n, "GET", "/api/session", "", auth...); code != 200 || !strings.Contains(body, `"scopes":["read","live"]`) {
		t.Errorf("who am I: %d %s", code, body)
	}
	if code, _ := call(t, n, "GET", "/api/audit", "", auth...); code != 403 {
		t.Errorf("a read,live token reads the audit log: %d", code)
	}
	// The printed password signs in.
	if code, body := call(t, n, "POST", "/api/session", `{"name":"admin","password":"`+password+`"}`); code != 200 {
		t.Errorf("sign in with init's password: %d %s", code, body)
	}

	list, err := tokenCLI(ctx, "list", "--data", data)
	if err != nil || !strings.Contains(list, "prometheus") || !strings.Contains(list, "read,live") || strings.Contains(list, token) {
		t.Fatalf("token list: %v\n%s", err, list)
	}
	if _, err := tokenCLI(ctx, "revoke", "--data", data, "1"); err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, n, "GET", "/api/cameras", "", auth...); code != 401 {
		t.Errorf("revoked token: %d", code)
	}
	if _, err := tokenCLI(ctx, "revoke", "--data", data, "1"); err == nil {
		t.Error("revoking twice passed")
	}
	for _, s := range []string{password, token} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the node logged a secret")
		}
	}
}

// TestGeneratedAdminPasswordFileGoesWhenChanged: the password a first
// `serve` writes to DATA/admin-password is deleted once admin changes it.
func TestGeneratedAdminPasswordFileGoesWhenChanged(t *testing.T) {
	data := t.TempDir()
	n, _ := startNode(t, data, "")
	b, err := os.ReadFile(AdminPasswordFile(data))
	if err != nil {
		t.Fatal(err)
	}
	generated := strings.TrimSpace(string(b))
	code, body := call(t, n, "POST", "/api/session/password", `{"current":"`+generated+`","new":"Mật-khẩu-mới-2026"}`,
		"Authorization", "Basic "+basic("admin", generated))
	if code != 200 {
		t.Fatalf("change password: %d %s", code, body)
	}
	if _, err := os.Stat(AdminPasswordFile(data)); !os.IsNotExist(err) {
		t.Errorf("admin-password file still there: %v", err)
	}
}

func basic(user, pw string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pw)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}
