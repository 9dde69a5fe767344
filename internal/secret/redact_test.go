package secret

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"rtsp://admin:12345@10.0.0.5:554/Streaming/Channels/101", "rtsp://admin:***@10.0.0.5:554/Streaming/Channels/101"},
		{"rtsp://admin:abc@cam.local/cam/realmonitor?channel=1&subtype=0", "rtsp://admin:***@cam.local/cam/realmonitor?channel=1&subtype=0"},
		{"rtsp://admin@10.0.0.5/live", "rtsp://admin@10.0.0.5/live"},
		{"rtsp://10.0.0.5:554/live", "rtsp://10.0.0.5:554/live"},
		{"rtsp://admin:@10.0.0.5/", "rtsp://admin:***@10.0.0.5/"},
		{"rtsp://admin:p%40ss@10.0.0.5/", "rtsp://admin:***@10.0.0.5/"},
		// Unescaped special characters: url.Parse fails or splits wrongly.
		{"rtsp://admin:P@ss#1@192.168.1.10:554/x", "rtsp://admin:***@192.168.1.10:554/x"},
		{"rtsp://admin:12/ss@host/live", "rtsp://admin:***@host/live"},
		{"rtsp://admin:a?b@host/live", "rtsp://admin:***@host/live"},
		{"rtsp://admin:pa ss@host/live", "rtsp://admin:***@host/live"},
		{"admin:secret@10.0.0.5", "admin:***@10.0.0.5"},
		{"://admin:secret@", "://admin:***@"},
		{"rtsp://host/onvif?user=admin&password=secret&channel=1", "rtsp://host/onvif?user=admin&password=***&channel=1"},
		{"http://host/x?PWD=secret", "http://host/x?PWD=***"},
		{"", ""},
		{"not a url", "not a url"},
		{"%zz://a:b@c", "%zz://a:***@c"},
		{"rtsp://a&pw=x:secret@host/?pw=y", "rtsp://a&pw=x:***@host/?pw=***"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRedactURL checks that a password put in a URL's user info never
// survives redaction, whatever the other parts hold.
func FuzzRedactURL(f *testing.F) {
	f.Add("rtsp", "admin", "12345", "10.0.0.5:554/Streaming/Channels/101")
	f.Add("rtsp", "admin", "P@ss#1", "192.168.1.10/cam/realmonitor?channel=1&subtype=0")
	f.Add("rtsp", "admin", "a/b?c", "host/x@y")
	f.Add("http", "u", "p:q", "h?password=z")
	f.Add("", "user", "mật khẩu", "host")
	f.Add("rtsp", "a&pw=", "secret", "host/?pwd=1")
	f.Fuzz(func(t *testing.T, scheme, user, pass, rest string) {
		// A user name cannot hold these unescaped; a scheme cannot either.
		if pass == "" || strings.ContainsAny(user, ":@/?#") || strings.ContainsAny(scheme, ":/@?#") {
			return
		}
		// Skip passwords that the kept parts hold anyway (e.g. "h" in "host"):
		// there they are not a leak. Stars would match the redaction marker.
		if strings.Contains(pass, "*") || strings.Contains(scheme+"://"+user+":"+Redacted+"@"+rest, pass) {
			return
		}
		raw := scheme + "://" + user + ":" + pass + "@" + rest
		got := RedactURL(raw)
		if strings.Contains(got, pass) {
			t.Fatalf("RedactURL(%q) = %q keeps the password %q", raw, got, pass)
		}
		if !strings.Contains(got, user+":"+Redacted) {
			t.Fatalf("RedactURL(%q) = %q lost the user name", raw, got)
		}
	})
}
