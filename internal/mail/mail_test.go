package mail

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// havePythonSMTPD checks once that python3 has its smtpd module.
var havePythonSMTPD = sync.OnceValue(func() error {
	return exec.Command("python3", "-W", "ignore", "-c", "import smtpd").Run()
})

// smtpSink runs testdata/smtpsink.py, a real SMTP server on loopback, and
// returns its address and the directory it writes messages to.
func smtpSink(t *testing.T) (addr, dir string) {
	t.Helper()
	if err := havePythonSMTPD(); err != nil {
		t.Fatalf("these tests need python3 with its smtpd module (Debian's python3 3.11 has it): %v", err)
	}
	dir = t.TempDir()
	cmd := exec.Command("python3", "-W", "ignore", "testdata/smtpsink.py", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		port, ok := strings.CutPrefix(strings.TrimSpace(s), "port ")
		if !ok {
			t.Fatalf("smtpsink said %q", s)
		}
		return net.JoinHostPort("127.0.0.1", port), dir
	case <-time.After(10 * time.Second):
		t.Fatal("smtpsink did not start")
	}
	return "", ""
}

// received waits for the n-th message (from 0) the sink stored.
func received(t *testing.T, dir string, n int) (envelope struct {
	From string
	To   []string
}, msg *mail.Message) {
	t.Helper()
	base := filepath.Join(dir, strconv.Itoa(n))
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := os.ReadFile(base + ".eml")
		if err == nil {
			env, err := os.ReadFile(base + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(env, &envelope); err != nil {
				t.Fatal(err)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("the received message does not parse: %v\n%s", err, raw)
			}
			return envelope, msg
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %d arrived", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSendToRealServer(t *testing.T) {
	addr, dir := smtpSink(t)
	s, err := New(Config{Addr: addr, From: "Công an phường An Bình <canh-bao@anbinh.example>"})
	if err != nil {
		t.Fatal(err)
	}
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0, 1, 2, 0xfe, '\r', '\n', '.'}, 300)...)
	subject := "Phiếu nhắc nhở: cổng mở lúc 23:10 ngày 27/11/2026"
	text := "Kính gửi ông/bà Nguyễn Thị Ba,\n\nCamera ghi nhận cổng nhà mở lúc nửa đêm.\n.\nĐề nghị khóa cổng."
	html := "<p>Kính gửi ông/bà <b>Nguyễn Thị Ba</b>,</p><p>Đề nghị khóa cổng.</p>"
	err = s.Send(t.Context(), Message{To: []string{"Nguyễn Thị Ba <ba@example.com>"}, Subject: subject, Text: text, HTML: html,
		Attachments: []Attachment{{Name: "ảnh-chụp.jpg", ContentType: "image/jpeg", Data: jpeg}}})
	if err != nil {
		t.Fatal(err)
	}

	env, msg := received(t, dir, 0)
	if env.From != "canh-bao@anbinh.example" || len(env.To) != 1 || env.To[0] != "ba@example.com" {
		t.Errorf("envelope %+v", env)
	}
	dec := new(mime.WordDecoder)
	gotSubject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || gotSubject != subject {
		t.Errorf("subject %q (raw %q), want %q", gotSubject, msg.Header.Get("Subject"), subject)
	}
	if raw := msg.Header.Get("Subject"); !isASCII(raw) {
		t.Errorf("the raw subject is not RFC 2047 encoded: %q", raw)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Công an phường An Bình" || from[0].Address != "canh-bao@anbinh.example" {
		t.Errorf("From %v %v", from, err)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if msg.Header.Get("Message-ID") == "" {
		t.Error("no Message-ID")
	}

	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q %v", msg.Header.Get("Content-Type"), err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	alt, err := parts.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	mt, altParams, _ := mime.ParseMediaType(alt.Header.Get("Content-Type"))
	if mt != "multipart/alternative" {
		t.Fatalf("first part is %s", mt)
	}
	bodies := map[string]string{}
	inner := multipart.NewReader(alt, altParams["boundary"])
	for {
		p, err := inner.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if cp["charset"] != "utf-8" {
			t.Errorf("%s charset %q", ct, cp["charset"])
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		bodies[ct] = string(b)
	}
	if got := strings.ReplaceAll(bodies["text/plain"], "\r\n", "\n"); got != text {
		t.Errorf("text body %q, want %q", got, text)
	}
	if got := strings.ReplaceAll(bodies["text/html"], "\r\n", "\n"); got != html {
		t.Errorf("html body %q, want %q", got, html)
	}

	att, err := parts.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if ct, _, _ := mime.ParseMediaType(att.Header.Get("Content-Type")); ct != "image/jpeg" {
		t.Errorf("attachment type %q", ct)
	}
	if att.FileName() != "ảnh-chụp.jpg" {
		t.Errorf("attachment name %q", att.FileName())
	}
	data, err := io.ReadAll(att) // base64 is not decoded by multipart
	if err != nil {
		t.Fatal(err)
	}
	if att.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Fatalf("attachment encoding %q", att.Header.Get("Content-Transfer-Encoding"))
	}
	got, err := decodeBase64(data)
	if err != nil || !bytes.Equal(got, jpeg) {
		t.Errorf("attachment bytes differ (%d bytes, want %d): %v", len(got), len(jpeg), err)
	}
	if _, err := parts.NextPart(); !errors.Is(err, io.EOF) {
		t.Errorf("more parts than expected: %v", err)
	}
}

func TestSendFailures(t *testing.T) {
	addr, _ := smtpSink(t)
	const password = "Mật-khẩu-SMTP-9"
	s, err := New(Config{Addr: addr, From: "canh-bao@anbinh.example", Username: "canh-bao", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{To: []string{"ba@example.com"}, Subject: "x", Text: "y"}
	err = s.Send(t.Context(), msg)
	if err == nil || !strings.Contains(err.Error(), "AUTH") || strings.Contains(err.Error(), password) {
		t.Errorf("a server without sign-in, with a user name set: %v", err)
	}

	// Nobody listening: a quick, clear error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	s, _ = New(Config{Addr: closed, From: "a@b.example", Timeout: 2 * time.Second})
	if err := s.Send(t.Context(), msg); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("no server: %v", err)
	}

	for _, tc := range []struct {
		name string
		m    Message
	}{
		{"no recipient", Message{Subject: "x", Text: "y"}},
		{"bad recipient", Message{To: []string{"not an address"}, Subject: "x", Text: "y"}},
		{"header injection", Message{To: []string{"a@b.example"}, Subject: "x\r\nBcc: all@example.com", Text: "y"}},
		{"no body", Message{To: []string{"a@b.example"}, Subject: "x"}},
	} {
		if err := s.Send(t.Context(), tc.m); err == nil {
			t.Errorf("%s: sent", tc.name)
		}
	}
	var none *Sender
	if err := none.Send(t.Context(), msg); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("a nil sender: %v", err)
	}
	if got := fmt.Sprint(Config{Addr: "smtp.example.com:587", Username: "u", Password: password}); strings.Contains(got, password) || !strings.Contains(got, "***") {
		t.Errorf("the config prints as %s", got)
	}
	if got := fmt.Sprintf("%+v", Config{Password: password}); strings.Contains(got, password) {
		t.Errorf("the config prints as %s", got)
	}
	for _, cfg := range []Config{{Addr: "smtp.example.com", From: "a@b.example"}, {Addr: "smtp.example.com:25", From: "not mail"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func decodeBase64(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
}
