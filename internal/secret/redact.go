package secret

import (
	"regexp"
	"strings"
)

// Redacted replaces a password in redacted output.
const Redacted = "***"

// queryPassword matches password-like query parameters some cameras use
// (e.g. "?user=admin&password=123456").
var queryPassword = regexp.MustCompile(`(?i)([?&;](?:password|passwd|pass|pwd|pw)=)[^&;#]*`)

// RedactURL returns raw with any password replaced by "***", keeping the
// user name, e.g. "rtsp://admin:***@10.0.0.5:554/Streaming/Channels/101".
//
// It works on text, not on a parsed URL, because camera passwords are often
// typed unescaped ("rtsp://admin:P@ss#1/x@host/...") and such URLs either do
// not parse or parse into the wrong parts. The user info is taken to end at
// the last '@' after "://", so a password with '@', '/', '?' or '#' in it is
// still hidden whole; an '@' later in the path makes it hide more than
// needed, never less.
func RedactURL(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	head, tail := "", raw // tail: what follows the user info
	if at := strings.LastIndexByte(raw[start:], '@'); at >= 0 {
		at += start
		head, tail = raw[:at], raw[at:]
		if colon := strings.IndexByte(raw[start:at], ':'); colon >= 0 {
			head = raw[:start+colon+1] + Redacted
		}
	}
	return head + queryPassword.ReplaceAllString(tail, "${1}"+Redacted)
}
