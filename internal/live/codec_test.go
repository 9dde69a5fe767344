package live

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"matthan/internal/media"
)

// Parameter sets of common streams (x264 High 3.1, x265 Main 3.0 / Main 10
// 4.1 high tier written by hand) and what browsers call them.
func TestCodecString(t *testing.T) {
	for _, tc := range []struct {
		name  string
		track media.Track
		want  string
	}{
		{"H.264 high", media.Track{Codec: media.H264, SPS: []byte{0x67, 0x64, 0x00, 0x1f, 0xac}}, "avc1.64001f"},
		{"H.264 constrained baseline", media.Track{Codec: media.H264, SPS: []byte{0x27, 0x42, 0xe0, 0x1e}}, "avc1.42e01e"},
		// VPS id 0, one sub-layer; Main profile (1), compat flags 1 and 2, progressive+frame-only, level 93.
		{"H.265 main", media.Track{Codec: media.H265, SPS: []byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0, 0, 0, 0, 0, 0x5d}}, "hvc1.1.6.L93.90"},
		// Emulation prevention inside the constraint bytes: 00 00 03 00 → 00 00 00.
		{"H.265 main10 high tier", media.Track{Codec: media.H265, SPS: []byte{0x42, 0x01, 0x01, 0x22, 0x20, 0x00, 0x00, 0x00, 0xb0, 0, 0, 3, 0, 0, 0, 0x7b}}, "hvc1.2.4.H123.B0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CodecString(&tc.track)
			if err != nil || got != tc.want {
				t.Errorf("CodecString = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, bad := range []media.Track{
		{Codec: media.H264, SPS: []byte{0x67, 0x64}},
		{Codec: media.H264, SPS: []byte{0x68, 0x64, 0, 0x1f}}, // a PPS
		{Codec: media.H265, SPS: []byte{0x40, 0x01, 0x0c}},
		{Codec: media.G711},
	} {
		if s, err := CodecString(&bad); err == nil {
			t.Errorf("CodecString(%x) = %q, want an error", bad.SPS, s)
		}
	}
}

// The H.265 string agrees with mediacommon's SPS parser on a real clip.
func TestHVC1MatchesRealSPS(t *testing.T) {
	track, _ := clip(t, media.H265)
	got, err := CodecString(&track)
	if err != nil {
		t.Fatal(err)
	}
	var sps h265.SPS
	if err := sps.Unmarshal(track.SPS); err != nil {
		t.Fatal(err)
	}
	ptl := sps.ProfileTierLevel
	tier := "L"
	if ptl.GeneralTierFlag == 1 {
		tier = "H"
	}
	prefix := fmt.Sprintf("hvc1.%d.", ptl.GeneralProfileIdc)
	level := fmt.Sprintf(".%s%d", tier, ptl.GeneralLevelIdc)
	if !strings.HasPrefix(got, prefix) || !strings.Contains(got, level) {
		t.Errorf("CodecString = %q, want %s….%s…", got, prefix, level)
	}
}

func TestWithParamSets(t *testing.T) {
	sps, pps, aud := []byte{0x67, 1}, []byte{0x68, 2}, []byte{0x09, 0xf0}
	idr, slice := []byte{0x65, 3}, []byte{0x41, 4}
	track := &media.Track{Codec: media.H264, SPS: sps, PPS: pps}
	types := func(nalus [][]byte) (s []byte) {
		for _, n := range nalus {
			s = append(s, n[0]&0x1f)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		unit media.Unit
		want []byte
	}{
		{"bare IDR gets SPS, PPS", media.Unit{Key: true, Data: [][]byte{idr}}, []byte{7, 8, 5}},
		{"AUD dropped", media.Unit{Key: true, Data: [][]byte{aud, idr}}, []byte{7, 8, 5}},
		{"IDR with only PPS", media.Unit{Key: true, Data: [][]byte{pps, idr}}, []byte{7, 8, 5}},
		{"complete IDR unchanged", media.Unit{Key: true, Data: [][]byte{sps, pps, idr}}, []byte{7, 8, 5}},
		{"P slice unchanged", media.Unit{Data: [][]byte{slice}}, []byte{1}},
	} {
		if got := types(withParamSets(track, &tc.unit)); string(got) != string(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	h := &media.Track{Codec: media.H265, VPS: []byte{0x40, 1}, SPS: []byte{0x42, 1}, PPS: []byte{0x44, 1}}
	got := withParamSets(h, &media.Unit{Key: true, Data: [][]byte{{0x26, 1, 0xaf}}})
	if len(got) != 4 || h265NALUType(got[0]) != 32 || h265NALUType(got[3]) != 19 {
		t.Errorf("H.265 IDR: %x", got)
	}
}

func FuzzCodecString(f *testing.F) {
	f.Add(true, []byte{0x67, 0x64, 0x00, 0x1f})
	f.Add(false, []byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0, 0, 0, 0, 0, 0x5d})
	f.Add(false, []byte{0x42, 0x01, 0x01, 0x22, 0x20, 0x00, 0x00, 0x03, 0x00, 0, 0, 3, 0, 0, 0, 0x7b})
	f.Add(false, []byte{0x42, 0, 0, 3})
	f.Fuzz(func(t *testing.T, avc bool, sps []byte) {
		tr := media.Track{Codec: media.H265, SPS: sps}
		if avc {
			tr.Codec = media.H264
		}
		s, err := CodecString(&tr)
		if err == nil && !strings.HasPrefix(s, map[bool]string{true: "avc1.", false: "hvc1."}[avc]) {
			t.Fatalf("CodecString = %q", s)
		}
		if err == nil && strings.ContainsAny(s, "\" \n;") {
			t.Fatalf("CodecString %q would break the MIME type", s)
		}
	})
}

func FuzzParseOffer(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\nm=video 9 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\n"))
	f.Add([]byte("v=0\r\nm=video 9 x 1\r\na=rtpmap:\r\na=fmtp:\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseOffer(b)
		if err != nil && (o.h264 || o.h265) {
			t.Fatal("codecs reported from an offer that did not parse")
		}
	})
}
