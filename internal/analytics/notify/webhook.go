package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"matthan"
)

// Webhook headers. The signature covers the body exactly as sent.
const (
	HeaderSignature = "X-Matthan-Signature" // sha256=<hex HMAC-SHA256 of the body with the secret>
	HeaderTimestamp = "X-Matthan-Timestamp" // Unix seconds when this try was sent
	HeaderEventID   = "X-Matthan-Event-Id"  // the same on every retry, to drop duplicates
	HeaderEventType = "X-Matthan-Event-Type"
)

// Webhook is an HTTP endpoint that receives each matching event as a JSON
// POST (the event as the API shows it).
type Webhook struct {
	Name   string // shown in logs and stats; "" uses the URL's host
	URL    string // http or https
	Secret string // signs the body; never logged
	Filter Filter
	Client *http.Client // nil: a plain client
}

// Sign returns the signature header's value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is body's signature with secret, in constant
// time: what a receiver does.
func Verify(secret string, body []byte, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(Sign(secret, body)))
}

type webhookDest struct {
	hook    Webhook
	label   string
	timeout time.Duration
}

func newWebhookDest(w Webhook, timeout time.Duration) (*webhookDest, error) {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL may hold a token: the message does not quote it.
		return nil, &matthan.Error{Code: matthan.EINVALID,
			Message:   fmt.Sprintf("Webhook %q needs an http:// or https:// URL", w.Name),
			MessageVI: fmt.Sprintf("Webhook %q cần địa chỉ http:// hoặc https://", w.Name)}
	}
	if w.Secret == "" {
		return nil, &matthan.Error{Code: matthan.EINVALID,
			Message:   fmt.Sprintf("Webhook %q needs a secret to sign its requests", w.Name),
			MessageVI: fmt.Sprintf("Webhook %q cần khóa bí mật để ký các yêu cầu", w.Name)}
	}
	if w.Client == nil {
		w.Client = &http.Client{}
	}
	label := w.Name
	if label == "" {
		label = "webhook " + u.Host
	}
	return &webhookDest{hook: w, label: label, timeout: timeout}, nil
}

func (d *webhookDest) name() string   { return d.label }
func (d *webhookDest) filter() Filter { return d.hook.Filter }

// send POSTs once. 5xx, 429 and transport errors (timeouts included) may
// be retried; any other non-2xx answer is permanent.
func (d *webhookDest) send(ctx context.Context, e *matthan.AnalyticsEvent, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.hook.URL, bytes.NewReader(body))
	if err != nil {
		return permanent{fmt.Errorf("webhook %s: %w", d.label, err)}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "matthan-webhook/1")
	req.Header.Set(HeaderSignature, Sign(d.hook.Secret, body))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set(HeaderEventID, e.ID)
	req.Header.Set(HeaderEventType, string(e.Type))
	res, err := d.hook.Client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which may hold a token.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return fmt.Errorf("webhook %s: %w", d.label, err)
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // lets the connection be reused
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("webhook %s: %w", d.label, errStatus(res.StatusCode))
	}
	return permanent{fmt.Errorf("webhook %s: %w", d.label, errStatus(res.StatusCode))}
}
