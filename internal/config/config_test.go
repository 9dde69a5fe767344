package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite ref/config.md")

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "m.json")
	os.WriteFile(file, []byte(`{"http": "127.0.0.1:9000", "rtsp": ":9554", "data": "/from/file",
		"ingest": {"stall-timeout": "7s"}, "ingest.backoff-max": "45s", "record": {"enabled": false, "retain-days": 32}}`), 0o600)

	c, err := load(t, []string{"--config", file, "--data", "/from/flag"},
		map[string]string{"MATTHAN_RTSP": ":7554", "MATTHAN_DATA": "/from/env", "MATTHAN_INGEST_STALL_TIMEOUT": "9s"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]any{
		"http (file)":               {c.HTTP, "127.0.0.1:9000"},
		"rtsp (env over file)":      {c.RTSP, ":7554"},
		"data (flag over env)":      {c.Data, "/from/flag"},
		"stall (env over file)":     {c.Ingest.StallTimeout, 9 * time.Second},
		"retain days (nested file)": {c.Record.RetainDays, 32},
		"backoff-max (dotted file)": {c.Ingest.BackoffMax, 45 * time.Second},
		"backoff-min (default)":     {c.Ingest.BackoffMin, time.Second},
		"transport (default)":       {c.Ingest.Transport, "auto"},
	}
	for name, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s: got %v, want %v", name, v[0], v[1])
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestBadInputNamesTheOption(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		file string
		want string
	}{
		{args: []string{"--ingest.stall-timeout", "soon"}, want: "ingest.stall-timeout"},
		{env: map[string]string{"MATTHAN_RECORD_RETAIN_DAYS": "many"}, want: "MATTHAN_RECORD_RETAIN_DAYS"},
		{file: `{"htp": ":1"}`, want: `unknown option "htp"`},
		{file: `{"http": `, want: "not valid JSON"},
		{args: []string{"--http", "8080"}, want: "config http (MATTHAN_HTTP)"},
		{args: []string{"--ingest.transport", "quic"}, want: "ingest.transport"},
		{args: []string{"--ingest.backoff-min", "1m", "--ingest.backoff-max", "10s"}, want: "ingest.backoff-max"},
		{args: []string{"--log-level", "loud"}, want: "log-level"},
		{args: []string{"--record.enabled", "maybe"}, want: "record.enabled"},
		{args: []string{"--admin-password", "short"}, want: "admin-password"},
		{args: []string{"--export.keep", "720h"}, want: "export.keep"},
		{args: []string{"--cases.keep-days", "0"}, want: "cases.keep-days"},
		{args: []string{"--analytics.pair-frames", "on"}, want: "analytics.pair-frames"},
		{args: []string{"--analytics.main-decoders", "-1"}, want: "analytics.main-decoders"},
		{env: map[string]string{"MATTHAN_CASES_KEEP_DAYS": "3651"}, want: "cases.keep-days"},
		{args: []string{"--rtsp", ":8080"}, want: "must differ from http"},
		{args: []string{"--ward.authority", " "}, want: "ward.authority"},
		{env: map[string]string{"MATTHAN_WARD_SIGNER_TITLE": strings.Repeat("Ư", 81)}, want: "ward.signer-title"},
		{file: `{"ward": {"name": "Phường\nAn Bình"}}`, want: "ward.name"},
		{args: []string{"--mail.smtp", "smtp.example.com"}, want: "mail.smtp"},
		{args: []string{"--mail.smtp", "smtp.example.com:99999", "--mail.from", "a@b.example"}, want: "mail.smtp"},
		{args: []string{"--mail.smtp", "smtp.example.com:587", "--mail.from", "canh bao"}, want: "mail.from"},
		{args: []string{"--mail.from", "a@b.example"}, want: "mail.smtp"},
		{env: map[string]string{"MATTHAN_MAIL_SMTP": "smtp.example.com:587", "MATTHAN_MAIL_FROM": "a@b.example", "MATTHAN_MAIL_PASSWORD": "x"}, want: "mail.username"},
	} {
		args := tc.args
		if tc.file != "" {
			f := filepath.Join(t.TempDir(), "c.json")
			os.WriteFile(f, []byte(tc.file), 0o600)
			args = append(args, "--config", f)
		}
		c, err := load(t, args, tc.env)
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("args %v env %v file %q: error %v, want it to mention %q", tc.args, tc.env, tc.file, err, tc.want)
		}
	}
}

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Ward.Authority != "UBND PHƯỜNG AN BÌNH" || c.Ward.City != "TP. Cần Thơ" {
		t.Errorf("ward defaults %+v", c.Ward)
	}
	if c.Cases.KeepDays != 365 {
		t.Errorf("cases.keep-days default %d, want 365", c.Cases.KeepDays)
	}
}

func TestWardFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(f, []byte(`{"ward": {"name": "Phường Tân Lộc", "authority": "CÔNG AN PHƯỜNG TÂN LỘC", "signer-title": "TRƯỞNG CÔNG AN PHƯỜNG"}}`), 0o600)
	c, err := load(t, []string{"--config", f, "--ward.signer", "Lê Văn Hùng"}, nil)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	want := Ward{Name: "Phường Tân Lộc", Authority: "CÔNG AN PHƯỜNG TÂN LỘC", City: "TP. Cần Thơ", Signer: "Lê Văn Hùng", SignerTitle: "TRƯỞNG CÔNG AN PHƯỜNG"}
	if c.Ward != want {
		t.Errorf("ward %+v, want %+v", c.Ward, want)
	}
}

func TestMailFromEnvironment(t *testing.T) {
	c, err := load(t, nil, map[string]string{"MATTHAN_MAIL_SMTP": "smtp.example.com:587", "MATTHAN_MAIL_FROM": "Công an phường <canh-bao@example.com>",
		"MATTHAN_MAIL_USERNAME": "canh-bao", "MATTHAN_MAIL_PASSWORD": "s3cret"})
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	want := Mail{SMTP: "smtp.example.com:587", From: "Công an phường <canh-bao@example.com>", Username: "canh-bao", Password: "s3cret"}
	if c.Mail != want {
		t.Errorf("mail %+v, want %+v", c.Mail, want)
	}
	if d := Default(); d.Mail != (Mail{}) {
		t.Errorf("by default e-mail is off, got %+v", d.Mail)
	}
}

// TestReferenceIsCurrent keeps ref/config.md in step with the options table.
func TestReferenceIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "ref", "config.md")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(Reference()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != Reference() {
		t.Fatal("ref/config.md is stale: run go test ./internal/config -update")
	}
	for _, o := range options {
		if !strings.Contains(string(got), "--"+o.key) {
			t.Errorf("ref/config.md lacks %s", o.key)
		}
	}
}
