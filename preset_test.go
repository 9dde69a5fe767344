package matthan

import (
	"errors"
	"strings"
	"testing"
)

func TestPresetURLs(t *testing.T) {
	for _, tc := range []struct {
		name          string
		p             Preset
		wantMain, sub string
	}{
		{"hikvision channel 1", Preset{Brand: "hikvision", Host: "192.168.1.64"},
			"rtsp://192.168.1.64:554/Streaming/Channels/101", "rtsp://192.168.1.64:554/Streaming/Channels/102"},
		{"hikvision channel 12, own port", Preset{Brand: "Hikvision", Host: "nvr.local", Port: 10554, Channel: 12},
			"rtsp://nvr.local:10554/Streaming/Channels/1201", "rtsp://nvr.local:10554/Streaming/Channels/1202"},
		{"dahua", Preset{Brand: "dahua", Host: "10.0.0.5", Channel: 2},
			"rtsp://10.0.0.5:554/cam/realmonitor?channel=2&subtype=0", "rtsp://10.0.0.5:554/cam/realmonitor?channel=2&subtype=1"},
		{"kbvision", Preset{Brand: "KBVISION", Host: "10.0.0.6"},
			"rtsp://10.0.0.6:554/cam/realmonitor?channel=1&subtype=0", "rtsp://10.0.0.6:554/cam/realmonitor?channel=1&subtype=1"},
		{"imou with host:port", Preset{Brand: "imou", Host: " 10.0.0.7:8554 "},
			"rtsp://10.0.0.7:8554/cam/realmonitor?channel=1&subtype=0", "rtsp://10.0.0.7:8554/cam/realmonitor?channel=1&subtype=1"},
		{"ipv6", Preset{Brand: "hikvision", Host: "fe80::1"},
			"rtsp://[fe80::1]:554/Streaming/Channels/101", "rtsp://[fe80::1]:554/Streaming/Channels/102"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			main, sub, err := tc.p.URLs()
			if err != nil {
				t.Fatal(err)
			}
			if main != tc.wantMain || sub != tc.sub {
				t.Errorf("URLs() = %q, %q; want %q, %q", main, sub, tc.wantMain, tc.sub)
			}
			// A preset's URLs must pass the camera rules as they are.
			c := validCamera()
			c.MainURL, c.SubURL = main, sub
			if err := c.Validate(); err != nil {
				t.Errorf("preset URLs fail validation: %v", err)
			}
		})
	}
}

func TestPresetErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      Preset
		fields []string
	}{
		{"unknown brand", Preset{Brand: "axis", Host: "h"}, []string{"preset.brand"}},
		{"no brand", Preset{Host: "h"}, []string{"preset.brand"}},
		{"no host", Preset{Brand: "dahua"}, []string{"preset.host"}},
		{"url as host", Preset{Brand: "dahua", Host: "rtsp://h/x"}, []string{"preset.host"}},
		{"credentials in host", Preset{Brand: "dahua", Host: "admin:pw@h"}, []string{"preset.host"}},
		{"bad port", Preset{Brand: "dahua", Host: "h", Port: 70000}, []string{"preset.port"}},
		{"bad port in host", Preset{Brand: "dahua", Host: "h:abc"}, []string{"preset.host"}},
		{"port out of range in host", Preset{Brand: "dahua", Host: "h:99999"}, []string{"preset.port"}},
		{"negative channel", Preset{Brand: "hikvision", Host: "h", Channel: -1}, []string{"preset.channel"}},
		{"huge channel", Preset{Brand: "hikvision", Host: "h", Channel: 1000}, []string{"preset.channel"}},
		{"everything", Preset{Brand: "x", Port: -1, Channel: -1}, []string{"preset.brand", "preset.host", "preset.port", "preset.channel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.p.URLs()
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("URLs() error = %v, want EINVALID", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
				if f.Message == "" || f.MessageVI == "" || f.Message == f.MessageVI {
					t.Errorf("field %s not bilingual: %+v", f.Field, f)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestBrands(t *testing.T) {
	brands := Brands()
	want := map[string]string{"hikvision": "Hikvision", "dahua": "Dahua", "kbvision": "KBVision", "imou": "Imou"}
	if len(brands) != len(want) {
		t.Fatalf("Brands() has %d entries, want %d", len(brands), len(want))
	}
	for _, b := range brands {
		if want[b.ID] != b.Name {
			t.Errorf("brand %q named %q, want %q", b.ID, b.Name, want[b.ID])
		}
		if b.MainPath == "" || b.SubPath == "" || b.MainPath == b.SubPath {
			t.Errorf("brand %q paths %q %q", b.ID, b.MainPath, b.SubPath)
		}
		if _, _, err := (Preset{Brand: b.ID, Host: "h"}).URLs(); err != nil {
			t.Errorf("listed brand %q is not accepted: %v", b.ID, err)
		}
	}
	if brands[0].MainPath != "/Streaming/Channels/101" {
		t.Errorf("Hikvision example path = %q", brands[0].MainPath)
	}
}
