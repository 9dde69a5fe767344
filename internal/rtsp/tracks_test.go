package rtsp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"matthan"
	"matthan/internal/media"
)

func TestTrackFromFormat(t *testing.T) {
	h264AU := readAnnexB(t, "h264_320x240.h264", false)[0]
	h265AU := readAnnexB(t, "h265_320x240.h265", true)[0]
	sps, pps := h264AU[0], h264AU[1]
	vps, sps5, pps5 := h265AU[0], h265AU[1], h265AU[2]

	for _, tc := range []struct {
		name   string
		format format.Format
		want   media.Track // compared on the fields below
		err    bool
	}{
		{"H264 with parameters", &format.H264{PayloadTyp: 96, SPS: sps, PPS: pps, PacketizationMode: 1},
			media.Track{Codec: media.H264, ClockRate: 90000, Width: 320, Height: 240, SPS: sps, PPS: pps}, false},
		{"H264 with a broken SPS waits for in-band ones", &format.H264{PayloadTyp: 96, SPS: []byte{0x67, 0xff}, PPS: pps, PacketizationMode: 1},
			media.Track{Codec: media.H264, ClockRate: 90000}, false},
		{"H264 interleaved mode", &format.H264{PayloadTyp: 96, PacketizationMode: 2}, media.Track{}, true},
		{"H265 with parameters", &format.H265{PayloadTyp: 96, VPS: vps, SPS: sps5, PPS: pps5},
			media.Track{Codec: media.H265, ClockRate: 90000, Width: 320, Height: 240, VPS: vps, SPS: sps5, PPS: pps5}, false},
		{"AAC", aacFormat(), media.Track{Codec: media.AAC, ClockRate: 48000, SampleRate: 48000, Channels: 2}, false},
		{"G711 A-law", &format.G711{PayloadTyp: 8, SampleRate: 8000, ChannelCount: 1},
			media.Track{Codec: media.G711, ClockRate: 8000, SampleRate: 8000, Channels: 1}, false},
		{"G711 mu-law 16 kHz", &format.G711{PayloadTyp: 100, MULaw: true, SampleRate: 16000, ChannelCount: 2},
			media.Track{Codec: media.G711, ClockRate: 16000, MULaw: true, SampleRate: 16000, Channels: 2}, false},
		{"MJPEG", &format.MJPEG{}, media.Track{}, true},
		{"Opus", &format.Opus{PayloadTyp: 111, ChannelCount: 2}, media.Track{}, true},
		{"AAC without config", &format.MPEG4Audio{PayloadTyp: 97}, media.Track{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trackFromFormat(tc.format)
			if tc.err {
				if !errors.Is(err, errUnsupported) {
					t.Fatalf("err = %v, want unsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Codec != tc.want.Codec || got.ClockRate != tc.want.ClockRate || got.Width != tc.want.Width ||
				got.Height != tc.want.Height || got.MULaw != tc.want.MULaw || got.SampleRate != tc.want.SampleRate ||
				got.Channels != tc.want.Channels || !bytes.Equal(got.SPS, tc.want.SPS) || !bytes.Equal(got.PPS, tc.want.PPS) ||
				!bytes.Equal(got.VPS, tc.want.VPS) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}

			// And back, as the restream does: the same parameters reach the SDP.
			f, err := formatFromTrack(&got, 96)
			if err != nil {
				t.Fatal(err)
			}
			again, err := trackFromFormat(f)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(again) != fmt.Sprint(got) {
				t.Errorf("round trip changed the track:\n%+v\n%+v", again, got)
			}
		})
	}

	// G.711 at 8 kHz mono uses the static payload types.
	for _, mulaw := range []bool{true, false} {
		f, _ := formatFromTrack(&media.Track{Codec: media.G711, MULaw: mulaw, SampleRate: 8000, Channels: 1, ClockRate: 8000}, 97)
		want := uint8(8)
		if mulaw {
			want = 0
		}
		if f.PayloadType() != want {
			t.Errorf("G711 mu-law=%v: payload type %d, want %d", mulaw, f.PayloadType(), want)
		}
	}
}

func TestSelectTracks(t *testing.T) {
	h264 := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	h265 := &format.H265{PayloadTyp: 98}
	g711 := &format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1}
	mjpeg := &format.MJPEG{}
	opus := &format.Opus{PayloadTyp: 111, ChannelCount: 2}
	m := func(typ description.MediaType, fs ...format.Format) *description.Media {
		return &description.Media{Type: typ, Formats: fs}
	}
	for _, tc := range []struct {
		name   string
		medias []*description.Media
		codecs []media.Codec
		found  string
	}{
		{"video and audio", []*description.Media{m("video", h264), m("audio", aacFormat())}, []media.Codec{media.H264, media.AAC}, "H264, MPEG-4 Audio"},
		{"first video wins, unsupported audio skipped", []*description.Media{m("audio", opus), m("video", h265), m("video", h264), m("audio", g711)},
			[]media.Codec{media.H265, media.G711}, "Opus, H265, H264, G711"},
		{"audio only", []*description.Media{m("audio", aacFormat())}, nil, "MPEG-4 Audio"},
		{"MJPEG camera", []*description.Media{m("video", mjpeg), m("audio", g711)}, nil, "M-JPEG, G711"},
		{"nothing", nil, nil, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, found := selectTracks(tc.medias)
			var codecs []media.Codec
			for _, s := range sel {
				codecs = append(codecs, s.track.Codec)
			}
			if fmt.Sprint(codecs) != fmt.Sprint(tc.codecs) {
				t.Errorf("selected %v, want %v", codecs, tc.codecs)
			}
			if codecList(found) != tc.found {
				t.Errorf("found %q, want %q", codecList(found), tc.found)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	const pass = "s3cr3t/p@ss"
	for _, tc := range []struct {
		name  string
		err   error
		creds bool
		state matthan.StreamState
		words string
	}{
		{"wrong password", liberrors.ErrClientBadStatusCode{Code: 401, Message: "Unauthorized"}, true, matthan.StateAuthFailed, "refused the user name or password"},
		{"no password", liberrors.ErrClientBadStatusCode{Code: 401, Message: "Unauthorized"}, false, matthan.StateAuthFailed, "requires a user name"},
		{"forbidden", liberrors.ErrClientBadStatusCode{Code: 403, Message: "Forbidden"}, true, matthan.StateAuthFailed, "403 Forbidden"},
		{"no such path", liberrors.ErrClientBadStatusCode{Code: 404, Message: "Not Found"}, true, matthan.StateBadURL, "no stream at this path"},
		{"server error echoing the password", liberrors.ErrClientBadStatusCode{Code: 503, Message: "busy " + pass}, true, matthan.StateOffline, "503 busy ***"},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true, matthan.StateOffline, "refused the connection"},
		{"unreachable", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, true, matthan.StateOffline, "cannot be reached"},
		{"request timeout", liberrors.ErrClientRequestTimedOut{}, true, matthan.StateOffline, "did not answer in time"},
		{"dial timeout", &net.OpError{Op: "dial", Err: timeoutError{}}, true, matthan.StateOffline, "did not answer in time"},
		{"EOF", fmt.Errorf("read: %w", io.EOF), true, matthan.StateOffline, "closed the connection"},
		{"stalled", liberrors.ErrClientTCPTimeout{}, true, matthan.StateStalled, "stopped sending"},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "cam.invalid", IsNotFound: true}, true, matthan.StateBadURL, "cannot be resolved"},
		{"bad SDP", liberrors.ErrClientSDPInvalid{Err: errors.New("x")}, true, matthan.StateUnsupported, "description cannot be read"},
		{"anything else with the password", errors.New("weird rtsp://admin:" + pass + "@cam/"), true, matthan.StateOffline, "connection to the camera failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			se := classify(tc.err, tc.creds, pass)
			if se.State != tc.state || !strings.Contains(se.Reason, tc.words) || se.ReasonVI == "" {
				t.Errorf("got %s %q (%q), want %s containing %q", se.State, se.Reason, se.ReasonVI, tc.state, tc.words)
			}
			for _, s := range []string{se.Reason, se.ReasonVI, se.Error(), fmt.Sprint(se.Err)} {
				if strings.Contains(s, pass) || strings.Contains(s, "s3cr3t") {
					t.Errorf("password leaked: %q", s)
				}
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
