//go:build linux

package benchproc

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestEachSample(t *testing.T) {
	text := "# HELP matthan_stream_up Whether the stream is receiving media.\n" +
		"\n" +
		`matthan_stream_up{camera="cam-001",stream="main"} 1` + "\n" +
		`matthan_stream_bytes_total{camera="cam-001",stream="sub"} 1000 1764000000000` + "\n" +
		`matthan_live_viewers{transport="webrtc"}	50` + "\n" +
		"go_goroutines 42\n"
	var got []Sample
	err := EachSample([]byte(text), func(s Sample) error {
		got = append(got, s)
		return nil
	})
	want := []Sample{
		{Line: `matthan_stream_up{camera="cam-001",stream="main"} 1`, Name: "matthan_stream_up", Labels: `camera="cam-001",stream="main"`, Value: "1"},
		{Line: `matthan_stream_bytes_total{camera="cam-001",stream="sub"} 1000 1764000000000`, Name: "matthan_stream_bytes_total", Labels: `camera="cam-001",stream="sub"`, Value: "1000"},
		{Line: `matthan_live_viewers{transport="webrtc"}	50`, Name: "matthan_live_viewers", Labels: `transport="webrtc"`, Value: "50"},
		{Line: "go_goroutines 42", Name: "go_goroutines", Value: "42"},
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("EachSample = %+v, %v;\nwant %+v", got, err, want)
	}

	for _, bad := range []string{
		`matthan_stream_up{camera="x",stream="main"}1`, // no space before the value
		`matthan_stream_up{camera="x",stream="main"} `, // no value
		`matthan_live_viewers{transport="webrtc"`,      // cut
		`matthan_live_skips_total`,                     // no value
		`a}b{ 1`,                                       // braces the wrong way round
	} {
		if err := EachSample([]byte(bad+"\n"), func(Sample) error { return nil }); err == nil {
			t.Errorf("EachSample(%q) = nil error", bad)
		}
	}

	stop := errors.New("stop")
	calls := 0
	err = EachSample([]byte(text), func(Sample) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn's error: EachSample = %v after %d calls, want it after 1", err, calls)
	}
}

func TestLabel(t *testing.T) {
	labels := `camera="cam-001", stream="main",transport="webrtc"`
	for _, tt := range []struct{ name, want string }{
		{"camera", "cam-001"}, {"stream", "main"}, {"transport", "webrtc"}, {"area", ""},
	} {
		if got := Label(labels, tt.name); got != tt.want {
			t.Errorf("Label(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzEachSample(f *testing.F) {
	f.Add([]byte(`matthan_stream_up{camera="cam-001",stream="main"} 1` + "\n# HELP x\ngo_goroutines 42\n"))
	f.Add([]byte("matthan_live_viewers{transport=\"webrtc\"} 1\n{}\n}{ 1\nx{} \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = EachSample(b, func(s Sample) error {
			if s.Value == "" || strings.ContainsAny(s.Value, " \t") || !strings.HasPrefix(s.Line, s.Name) {
				t.Fatalf("odd sample %+v", s)
			}
			return nil
		})
	})
}
