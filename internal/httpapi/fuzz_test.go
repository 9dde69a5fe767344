package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"matthan"
)

// FuzzCameraInput runs untrusted request bodies through the create path
// without the store: strict decode, preset, URL normalising, validation and
// the response view. Nothing may panic, and the password, whether sent in
// "password" or pasted into a URL, never appears in the response or error.
func FuzzCameraInput(f *testing.F) {
	seeds := []string{
		`{"id":"cam-001","name":"Ngã tư","area":"Khóm 1","latitude":10.03,"longitude":105.78,` +
			`"owner":{"kind":"ward"},"source":"pull","main_url":"rtsp://10.0.0.5/live","password":"Secret-123"}`,
		`{"id":"cam-002","name":"x","area":"a","latitude":1,"longitude":1,"owner":{"kind":"shop","name":"n","contact":"0912345678"},` +
			`"main_url":"rtsp://admin:Paste-Pw-9@10.0.0.5:554/Streaming/Channels/101"}`,
		`{"id":"cam-003","name":"x","area":"a","latitude":1,"longitude":1,"owner":{"kind":"ward"},` +
			`"preset":{"brand":"dahua","host":"10.0.0.9","channel":2},"password":"Preset-Pw-1"}`,
		`{"main_url":"rtsp://u:p@ss@h/x?password=Query-Pw-22","password":null,"tags":["a,b"]}`,
		`{"latitude":"north"}`,
		`{"preset":{"brand":"hikvision","host":"[::1]:99999"}}`,
		`[]`,
		`{"id":"cam-1","colour":1}`,
		`{"password":"x"} {"id":"y"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	s := New(Deps{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var in cameraInput
		err := decodeStrict(bytes.NewReader(data), &in)
		if err != nil {
			checkNoSecret(t, secretsOf(&in, nil), err)
			return
		}
		c := &matthan.Camera{}
		if err := in.toCamera(c, true); err != nil {
			checkNoSecret(t, secretsOf(&in, c), err)
			return
		}
		for _, raw := range []string{c.MainURL, c.SubURL} {
			if u, err := url.Parse(raw); raw != "" && (err != nil || u.User != nil) {
				t.Fatalf("accepted URL with user info or unparsable")
			}
		}
		checkNoSecret(t, secretsOf(&in, c), s.view(c))
	})
}

// secretsOf returns the passwords a request carried, if they are long
// enough and distinct enough from the rest of the input to be a fair test.
func secretsOf(in *cameraInput, c *matthan.Camera) []string {
	var pws []string
	if in.Password != nil {
		pws = append(pws, *in.Password)
	}
	if c != nil {
		pws = append(pws, c.Password)
	}
	others := []string{in.ID, in.Name, in.Area, in.Address, string(in.Owner.Kind), in.Owner.Name,
		in.Owner.Contact, string(in.Source), in.Username, in.Notes, strings.Join(in.Tags, "\n")}
	if in.Preset != nil {
		others = append(others, in.Preset.Brand, in.Preset.Host)
	}
	if c != nil {
		// What is left of the URLs after the credentials were moved out.
		others = append(others, c.MainURL, c.SubURL)
	}
	var out []string
	for _, pw := range pws {
		if len(pw) < 6 {
			continue
		}
		shared := false
		for _, o := range others {
			if strings.Contains(o, pw) {
				shared = true
			}
		}
		if !shared {
			out = append(out, pw)
		}
	}
	return out
}

// checkNoSecret fails if a password shows in v. For an error, the messages
// are checked; field names are left out, as an unknown field's name is the
// client's own key echoed back, not a value.
func checkNoSecret(t *testing.T, pws []string, v any) {
	t.Helper()
	if err, ok := v.(error); ok {
		var e *matthan.Error
		if !errors.As(err, &e) {
			t.Fatalf("error of type %T, want *matthan.Error", err)
		}
		msgs := []string{e.Message, e.MessageVI}
		for _, f := range e.Fields {
			msgs = append(msgs, f.Message, f.MessageVI)
		}
		v = msgs
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	for _, pw := range pws {
		esc, _ := json.Marshal(pw)
		if bytes.Contains(j, esc[1:len(esc)-1]) {
			t.Fatalf("password %q echoed in %s", pw, j)
		}
	}
}
