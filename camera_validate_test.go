package matthan

import (
	"errors"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// validCamera returns a camera that passes Validate; tests break one field.
func validCamera() *Camera {
	return &Camera{
		ID:        "cam-001",
		Name:      "Ngã tư Trần Hưng Đạo",
		Area:      "Khóm 3",
		Address:   "12 Trần Hưng Đạo",
		Latitude:  10.0345,
		Longitude: 105.7876,
		Owner:     Owner{Kind: OwnerShop, Name: "Tạp hóa Bà Tư", Contact: "0912345678"},
		Source:    SourcePull,
		MainURL:   "rtsp://192.168.1.64:554/Streaming/Channels/101",
		SubURL:    "rtsp://192.168.1.64:554/Streaming/Channels/102",
		Username:  "admin",
		Password:  "s3cret",
		Enabled:   true,
		Tags:      []string{"ngã tư", "trường học"},
	}
}

func TestValidateAcceptsValidCameras(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *Camera)
	}{
		{"full", func(c *Camera) {}},
		{"ward owner without name or contact", func(c *Camera) { c.Owner = Owner{Kind: OwnerWard} }},
		{"push without URLs", func(c *Camera) {
			c.Source, c.MainURL, c.SubURL, c.Username, c.Password = SourcePush, "", "", "pub", "publish-secret"
		}},
		{"no sub URL", func(c *Camera) { c.SubURL = "" }},
		{"rtsps and host name", func(c *Camera) { c.MainURL = "rtsps://cam.example.vn/live" }},
		{"ipv6 host", func(c *Camera) { c.MainURL = "rtsp://[fe80::1]:554/live" }},
		{"dahua query", func(c *Camera) { c.MainURL = "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0" }},
		{"e-mail contact", func(c *Camera) { c.Owner.Contact = "ba.tu@example.vn" }},
		{"+84 contact with spaces", func(c *Camera) { c.Owner.Contact = "+84 912 345 678" }},
		{"landline", func(c *Camera) { c.Owner.Contact = "0292.3812.345" }},
		{"two-char id", func(c *Camera) { c.ID = "c1" }},
		{"edge coordinates", func(c *Camera) { c.Latitude, c.Longitude = -90, 180 }},
		{"name of 120 runes", func(c *Camera) { c.Name = strings.Repeat("đ", 120) }},
		{"20 tags", func(c *Camera) { c.Tags = make([]string, 20); fill(c.Tags, "t") }},
		{"notes of 2000 runes", func(c *Camera) { c.Notes = strings.Repeat("ệ", 2000) }},
		{"retention at the limits", func(c *Camera) { c.RetainDays, c.QuotaBytes = CameraRetainDaysMax, 1<<50 }},
		{"retention at the node's defaults", func(c *Camera) { c.RetainDays, c.QuotaBytes = 0, 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validCamera()
			tc.edit(c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
		})
	}
}

func fill(s []string, v string) {
	for i := range s {
		s[i] = v
	}
}

func TestValidateRejectsBadFields(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(c *Camera)
		fields []string // exactly the fields reported
	}{
		{"empty id", func(c *Camera) { c.ID = "" }, []string{"id"}},
		{"short id", func(c *Camera) { c.ID = "c" }, []string{"id"}},
		{"long id", func(c *Camera) { c.ID = strings.Repeat("a", 41) }, []string{"id"}},
		{"uppercase id", func(c *Camera) { c.ID = "Cam-1" }, []string{"id"}},
		{"id with slash", func(c *Camera) { c.ID = "cam/1" }, []string{"id"}},
		{"id with leading dash", func(c *Camera) { c.ID = "-cam" }, []string{"id"}},
		{"id with diacritics", func(c *Camera) { c.ID = "cám-1" }, []string{"id"}},
		{"blank name", func(c *Camera) { c.Name = "  " }, []string{"name"}},
		{"long name", func(c *Camera) { c.Name = strings.Repeat("a", 121) }, []string{"name"}},
		{"no area", func(c *Camera) { c.Area = "" }, []string{"area"}},
		{"latitude", func(c *Camera) { c.Latitude = 91 }, []string{"latitude"}},
		{"longitude", func(c *Camera) { c.Longitude = -180.5 }, []string{"longitude"}},
		{"NaN latitude", func(c *Camera) { c.Latitude = math.NaN() }, []string{"latitude"}},
		{"location missing", func(c *Camera) { c.Latitude, c.Longitude = 0, 0 }, []string{"location"}},
		{"owner kind", func(c *Camera) { c.Owner.Kind = "police" }, []string{"owner.kind"}},
		{"empty owner kind", func(c *Camera) { c.Owner.Kind = "" }, []string{"owner.kind"}},
		{"contributor without name", func(c *Camera) { c.Owner.Name = "" }, []string{"owner.name"}},
		{"contributor without contact", func(c *Camera) { c.Owner.Contact = "" }, []string{"owner.contact"}},
		{"bad phone", func(c *Camera) { c.Owner.Contact = "12345" }, []string{"owner.contact"}},
		{"bad e-mail", func(c *Camera) { c.Owner.Contact = "a@b" }, []string{"owner.contact"}},
		{"ward with bad contact", func(c *Camera) { c.Owner = Owner{Kind: OwnerWard, Contact: "x"} }, []string{"owner.contact"}},
		{"no source", func(c *Camera) { c.Source = "" }, []string{"source"}},
		{"bad source", func(c *Camera) { c.Source = "ftp" }, []string{"source"}},
		{"pull without main", func(c *Camera) { c.MainURL = "" }, []string{"main_url"}},
		{"http main", func(c *Camera) { c.MainURL = "http://192.168.1.64/" }, []string{"main_url"}},
		{"no host", func(c *Camera) { c.MainURL = "rtsp:///live" }, []string{"main_url"}},
		{"opaque", func(c *Camera) { c.MainURL = "rtsp:live" }, []string{"main_url"}},
		{"bad port", func(c *Camera) { c.MainURL = "rtsp://h:70000/" }, []string{"main_url"}},
		{"space in url", func(c *Camera) { c.MainURL = "rtsp://h/a b" }, []string{"main_url"}},
		{"password in main", func(c *Camera) { c.MainURL = "rtsp://admin:pw@h/" }, []string{"main_url"}},
		{"user in sub", func(c *Camera) { c.SubURL = "rtsp://admin@h/" }, []string{"sub_url"}},
		{"bad sub for push", func(c *Camera) {
			c.Source, c.SubURL, c.Username, c.Password = SourcePush, "udp://x", "pub", "publish-secret"
		}, []string{"sub_url"}},
		{"push without credentials", func(c *Camera) { c.Source, c.Username, c.Password = SourcePush, "", "" }, []string{"username", "password"}},
		{"push with a short password", func(c *Camera) { c.Source, c.Username, c.Password = SourcePush, "pub", "short" }, []string{"password"}},
		{"bad host", func(c *Camera) { c.MainURL = "rtsp://bad_host!/" }, []string{"main_url"}},
		{"21 tags", func(c *Camera) { c.Tags = make([]string, 21); fill(c.Tags, "t") }, []string{"tags"}},
		{"long tag", func(c *Camera) { c.Tags = []string{strings.Repeat("t", 41)} }, []string{"tags"}},
		{"comma tag", func(c *Camera) { c.Tags = []string{"a,b"} }, []string{"tags"}},
		{"empty tag", func(c *Camera) { c.Tags = []string{""} }, []string{"tags"}},
		{"long notes", func(c *Camera) { c.Notes = strings.Repeat("n", 2001) }, []string{"notes"}},
		{"negative retain days", func(c *Camera) { c.RetainDays = -1 }, []string{"retain_days"}},
		{"retain days over ten years", func(c *Camera) { c.RetainDays = CameraRetainDaysMax + 1 }, []string{"retain_days"}},
		{"negative quota", func(c *Camera) { c.QuotaBytes = -1 }, []string{"quota_bytes"}},
		{"control in name", func(c *Camera) { c.Name = "a\x00b" }, []string{"name"}},
		{"long password", func(c *Camera) { c.Password = strings.Repeat("p", 129) }, []string{"password"}},
		{"many at once", func(c *Camera) { *c = Camera{} }, []string{"id", "name", "area", "location", "owner.kind", "owner.name", "owner.contact", "source"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validCamera()
			tc.edit(c)
			err := c.Validate()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want *Error", err)
			}
			if e.Code != EINVALID {
				t.Errorf("code = %q, want %q", e.Code, EINVALID)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
				if f.Message == "" || f.MessageVI == "" {
					t.Errorf("field %s: missing a language: %+v", f.Field, f)
				}
				if f.Message == f.MessageVI {
					t.Errorf("field %s: Vietnamese message is the English one", f.Field)
				}
				if strings.Contains(f.Message+f.MessageVI, "pw") {
					t.Errorf("field %s: message echoes a credential", f.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestValidateMessagesAreVietnamese(t *testing.T) {
	err := (&Camera{}).Validate()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	// Vietnamese messages need diacritics; plain ASCII means someone forgot them.
	for _, f := range append(e.Fields, FieldError{Field: "-", MessageVI: e.MessageVI}) {
		ascii := true
		for _, r := range f.MessageVI {
			if r >= utf8.RuneSelf {
				ascii = false
			}
		}
		if ascii {
			t.Errorf("field %s: Vietnamese message %q has no diacritics", f.Field, f.MessageVI)
		}
	}
}

func TestNormalizeURLs(t *testing.T) {
	for _, tc := range []struct {
		name               string
		main, sub          string
		user, pass         string // before
		wantMain, wantSub  string
		wantUser, wantPass string
	}{
		{
			name:     "main with credentials",
			main:     "rtsp://admin:abc123@192.168.1.64:554/Streaming/Channels/101",
			sub:      "rtsp://192.168.1.64:554/Streaming/Channels/102",
			wantMain: "rtsp://192.168.1.64:554/Streaming/Channels/101",
			wantSub:  "rtsp://192.168.1.64:554/Streaming/Channels/102",
			wantUser: "admin", wantPass: "abc123",
		},
		{
			name:     "password with @ : / # unescaped",
			main:     "rtsp://admin:p@ss:w/o#rd@10.0.0.5/cam/realmonitor?channel=1&subtype=0",
			wantMain: "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0",
			wantUser: "admin", wantPass: "p@ss:w/o#rd",
		},
		{
			name: "percent-escaped password",
			main: "rtsp://admin:p%40ss@h/live", wantMain: "rtsp://h/live",
			wantUser: "admin", wantPass: "p@ss",
		},
		{
			name: "user only keeps the old password",
			main: "rtsp://operator@h/live", user: "admin", pass: "old",
			wantMain: "rtsp://h/live", wantUser: "operator", wantPass: "old",
		},
		{
			name: "main wins over sub",
			main: "rtsp://a:1@h/m", sub: "rtsp://b:2@h/s",
			wantMain: "rtsp://h/m", wantSub: "rtsp://h/s", wantUser: "a", wantPass: "1",
		},
		{
			name: "credentials only in sub",
			main: "rtsp://h/m", sub: " rtsp://b:2@h/s ",
			wantMain: "rtsp://h/m", wantSub: "rtsp://h/s", wantUser: "b", wantPass: "2",
		},
		{
			name: "no credentials leaves fields alone",
			main: " rtsp://h/m ", user: "admin", pass: "keep",
			wantMain: "rtsp://h/m", wantUser: "admin", wantPass: "keep",
		},
		{
			name: "@ in a query is not user info",
			main: "rtsp://h/live?owner=a@b", user: "u", pass: "p",
			wantMain: "rtsp://h/live?owner=a@b", wantUser: "u", wantPass: "p",
		},
		{
			name: "uppercase scheme",
			main: "RTSP://x:y@h/live", wantMain: "RTSP://h/live", wantUser: "x", wantPass: "y",
		},
		{
			name: "not rtsp is left for Validate",
			main: "http://x:y@h/", wantMain: "http://x:y@h/",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Camera{MainURL: tc.main, SubURL: tc.sub, Username: tc.user, Password: tc.pass}
			c.NormalizeURLs()
			if c.MainURL != tc.wantMain || c.SubURL != tc.wantSub {
				t.Errorf("urls = %q, %q; want %q, %q", c.MainURL, c.SubURL, tc.wantMain, tc.wantSub)
			}
			if c.Username != tc.wantUser || c.Password != tc.wantPass {
				t.Errorf("credentials = %q/%q, want %q/%q", c.Username, c.Password, tc.wantUser, tc.wantPass)
			}
		})
	}
}

func TestNormalizedURLPassesValidation(t *testing.T) {
	c := validCamera()
	c.MainURL = "rtsp://admin:hunter2@192.168.1.64/Streaming/Channels/101"
	if c.Validate() == nil {
		t.Fatal("URL with a password passed validation before normalizing")
	}
	c.NormalizeURLs()
	if err := c.Validate(); err != nil {
		t.Fatalf("after NormalizeURLs: %v", err)
	}
	if c.Password != "hunter2" || strings.Contains(c.MainURL, "hunter2") {
		t.Fatalf("password not moved: %q in %q", c.Password, c.MainURL)
	}
}

func TestValidContact(t *testing.T) {
	for s, want := range map[string]bool{
		"0912345678":       true,
		"091 234 5678":     true,
		"+84912345678":     true,
		"02923812345":      true,
		"ba.tu@example.vn": true,
		"912345678":        false,
		"+1 555 123 4567":  false,
		"09123456789012":   false,
		"ba tu@example.vn": false,
		"@example.vn":      false,
		"tu@example":       false,
		"không có liên hệ": false,
	} {
		if got := ValidContact(s); got != want {
			t.Errorf("ValidContact(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzNormalizeValidate checks that no input panics and that a password
// pasted into a URL never survives in the URL or in validation messages.
func FuzzNormalizeValidate(f *testing.F) {
	f.Add("rtsp://admin:pa55@192.168.1.64:554/Streaming/Channels/101", "pa55")
	f.Add("rtsp://u:p@ss@h/x?y=@z", "p@ss")
	f.Add("rtsps://[::1]:1/a", "")
	f.Add("rtsp://%zz:%@h", "")
	f.Fuzz(func(t *testing.T, raw, pw string) {
		c := validCamera()
		c.MainURL = raw
		c.NormalizeURLs()
		err := c.Validate()
		if err != nil && len(pw) >= 4 && strings.Contains(raw, pw) && strings.Contains(err.Error(), pw) {
			// A password that is part of the message's own words (the
			// "pass" of "password") proves nothing: it must come from the URL.
			other := validCamera()
			other.MainURL = strings.ReplaceAll(raw, pw, strings.Repeat("x", len(pw)))
			other.NormalizeURLs()
			if oerr := other.Validate(); oerr == nil || !strings.Contains(oerr.Error(), pw) {
				t.Fatalf("validation message contains %q", pw)
			}
		}
		if err == nil {
			u, perr := url.Parse(c.MainURL)
			if perr != nil || u.User != nil {
				t.Fatalf("accepted URL %q: parse error %v or user info left", c.MainURL, perr)
			}
		}
	})
}

func TestPrivacyMasksValidate(t *testing.T) {
	tri := []Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 0.5, Y: 1}}
	tests := []struct {
		name  string
		masks []PrivacyMask
		field string // "" when valid
	}{
		{"none", nil, ""},
		{"triangle", []PrivacyMask{{Name: "cửa sổ", Polygon: tri}}, ""},
		{"two corners", []PrivacyMask{{Polygon: tri[:2]}}, "privacy_masks[0].polygon"},
		{"outside", []PrivacyMask{{Polygon: []Point{{X: 0, Y: 0}, {X: 1.2, Y: 0}, {X: 0, Y: 1}}}}, "privacy_masks[0].polygon"},
		{"NaN", []PrivacyMask{{}, {Polygon: []Point{{X: 0, Y: 0}, {X: math.NaN(), Y: 0}, {X: 0, Y: 1}}}}, "privacy_masks[1].polygon"},
		{"too many", make([]PrivacyMask, MaxPrivacyMasks+1), "privacy_masks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePrivacyMasks(tt.masks)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || !slices.ContainsFunc(e.Fields, func(f FieldError) bool { return f.Field == tt.field && f.MessageVI != "" }) {
				t.Fatalf("err = %v, want a field error on %s", err, tt.field)
			}
		})
	}
}
