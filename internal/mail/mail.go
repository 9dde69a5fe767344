// Package mail sends the node's e-mail (reminders to camera owners) over
// SMTP: a plain-text and an HTML body, in UTF-8, with attachments such as
// a snapshot. It upgrades to TLS with STARTTLS whenever the server offers
// it, and signs in only when a user name is configured. The password is
// never logged nor put in an error.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Config is where and as whom mail is sent (internal/config's mail.*).
type Config struct {
	Addr     string // SMTP server, host:port (e.g. smtp.example.com:587)
	From     string // sender, "Công an phường <canh-bao@example.com>" or a bare address
	Username string // "" sends without signing in
	Password string
	// Timeout bounds one whole send; 0 means 30 s.
	Timeout time.Duration
	// TLS, if set, is used for STARTTLS (tests trust their own server);
	// nil verifies the server's certificate for its host name.
	TLS *tls.Config
}

// String shows the configuration without its password, so printing or
// logging it leaks nothing.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "***"
	}
	return fmt.Sprintf("{Addr:%s From:%s Username:%s Password:%s Timeout:%s}", c.Addr, c.From, c.Username, pw, c.Timeout)
}

// ErrNotConfigured is what a nil *Sender answers: the node has no mail
// server.
var ErrNotConfigured = errors.New("mail: no mail server is configured (mail.smtp)")

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string // file name as the recipient sees it
	ContentType string // e.g. image/jpeg
	Data        []byte
}

// Message is one e-mail. Text is required; HTML, when set, is the
// alternative a mail program shows instead.
type Message struct {
	To          []string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
}

// Sender sends messages through one SMTP server. It keeps no connection
// between messages: reminders are few.
type Sender struct {
	cfg  Config
	from *mail.Address
	host string
	now  func() time.Time
}

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("mail: server %q is not host:port", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender %q is not an e-mail address: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg, from: from, host: host, now: time.Now}, nil
}

// Send delivers m to the server. The error says which step failed (the
// server's reply included), never the password.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if s == nil {
		return ErrNotConfigured
	}
	if len(m.To) == 0 {
		return errors.New("mail: no recipient")
	}
	var to []string
	for _, a := range m.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return fmt.Errorf("mail: recipient %q is not an e-mail address", a)
		}
		to = append(to, addr.Address)
	}
	body, err := Compose(s.from, to, m, s.now(), s.host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", s.cfg.Addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) // cancel unblocks I/O
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("mail: greeting from %s: %w", s.cfg.Addr, err)
	}
	defer c.Close()
	if err := c.Hello(localName()); err != nil {
		return fmt.Errorf("mail: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := s.cfg.TLS
		if tc == nil {
			tc = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("mail: %s does not offer sign-in (AUTH), but mail.username is set", s.cfg.Addr)
		}
		// PlainAuth refuses to send the password unencrypted, except to
		// the node itself.
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return fmt.Errorf("mail: sign in as %s: %w", s.cfg.Username, redact(err, s.cfg.Password))
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return fmt.Errorf("mail: RCPT TO %s: %w", a, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("mail: send message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: message refused: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mail: QUIT: %w", err)
	}
	return nil
}

// redact removes the password from a server's or library's error text.
func redact(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "***"))
}

// localName is what the node calls itself in EHLO.
func localName() string {
	return "matthan.localdomain"
}

// Compose writes m as an RFC 5322 message with MIME parts: multipart/mixed
// holding multipart/alternative (text/plain and text/html, UTF-8,
// quoted-printable) and each attachment (base64). The subject and names
// are encoded per RFC 2047. host names the Message-ID's domain.
func Compose(from *mail.Address, to []string, m Message, date time.Time, host string) ([]byte, error) {
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: the subject must be one line")
	}
	if m.Text == "" {
		return nil, errors.New("mail: a message needs a text body")
	}
	var b bytes.Buffer
	id := make([]byte, 12)
	rand.Read(id)
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.BEncoding.Encode("utf-8", m.Subject))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id)+"@"+host+">")
	h("MIME-Version", "1.0")

	mixed := multipart.NewWriter(&b)
	h("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mixed.Boundary()}))
	b.WriteString("\r\n")

	var altBody bytes.Buffer
	alt := multipart.NewWriter(&altBody)
	if err := textPart(alt, "text/plain", m.Text); err != nil {
		return nil, err
	}
	if m.HTML != "" {
		if err := textPart(alt, "text/html", m.HTML); err != nil {
			return nil, err
		}
	}
	if err := alt.Close(); err != nil {
		return nil, err
	}
	pw, err := mixed.CreatePart(textproto.MIMEHeader{
		"Content-Type": {mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": alt.Boundary()})}})
	if err != nil {
		return nil, err
	}
	pw.Write(altBody.Bytes())

	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		pw, err := mixed.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(ct, map[string]string{"name": a.Name})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			pw.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		pw.Write([]byte(enc + "\r\n"))
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func textPart(w *multipart.Writer, ct, text string) error {
	pw, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ct + "; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(pw)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}
