package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"matthan"
)

// TestStreamsPlayWithFFmpeg reads an H.264 main, an H.265 main and a sub
// stream with ffmpeg, a peer we did not write: no errors, and the media
// arrives at real-time pace.
func TestStreamsPlayWithFFmpeg(t *testing.T) {
	s := startSim(t, testLibrary(t), Config{Cameras: 2, H265Every: 2})
	tests := []struct {
		url           string
		codec         string
		width, height int
		frames        int
	}{
		{s.URL("cam-001", matthan.StreamMain), "h264", 1920, 1080, 75},
		{s.URL("cam-002", matthan.StreamMain), "hevc", 1920, 1080, 75},
		{s.URL("cam-002", matthan.StreamSub), "h264", 640, 360, 30},
	}
	var wg sync.WaitGroup
	for _, tt := range tests {
		wg.Go(func() {
			out, err := runCmd(t, 30*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
				"-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", tt.url)
			if want := fmt.Sprintf("%s,%d,%d", tt.codec, tt.width, tt.height); err != nil || strings.TrimSpace(out) != want {
				t.Errorf("ffprobe %s: %v: got %q, want %q", tt.url, err, out, want)
			}

			crc := filepath.Join(t.TempDir(), "frames.crc")
			began := time.Now()
			out, err = runCmd(t, 30*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
				"-i", tt.url, "-t", "3", "-f", "framecrc", crc)
			took := time.Since(began)
			if err != nil || strings.TrimSpace(out) != "" {
				t.Errorf("ffmpeg %s: err %v, output %q", tt.url, err, out)
			}
			b, _ := os.ReadFile(crc)
			frames := 0
			for _, line := range strings.Split(string(b), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					frames++
				}
			}
			if frames < tt.frames-1 {
				t.Errorf("%s: decoded %d frames in 3 s, want %d", tt.url, frames, tt.frames)
			}
			if took < 2700*time.Millisecond {
				t.Errorf("%s: 3 s of media arrived in %v: faster than real time", tt.url, took)
			}
		})
	}
	wg.Wait()
}

// TestTimestampsAcrossLoop plays longer than the 3 s test clip, so every
// stream loops, and checks that sequence numbers and timestamps never jump
// back, frames keep their exact spacing, the pace is real time, and the
// first picture a reader gets is a keyframe.
func TestTimestampsAcrossLoop(t *testing.T) {
	s := startSim(t, testLibrary(t), Config{Cameras: 2, H265Every: 2})
	readers := map[string]*rtspReader{}
	for _, path := range []string{"cam-001/main", "cam-001/sub", "cam-002/main"} {
		readers[path] = mustPlay(t, "rtsp://"+s.Addr()+"/"+path)
	}
	// Wait until every stream has played past the 3 s clip's loop point. On
	// a loaded machine (CI runs packages side by side under -race) that can
	// take longer than 3 s of wall time; being slow is not the point here.
	spanOf := func(r *rtspReader) time.Duration {
		pkts := r.packets()
		if len(pkts) < 2 {
			return 0
		}
		return time.Duration(pkts[len(pkts)-1].ts-pkts[0].ts) * time.Second / 90000
	}
	deadline := time.Now().Add(30 * time.Second)
	for path, r := range readers {
		for spanOf(r) < 3500*time.Millisecond {
			if time.Now().After(deadline) {
				t.Fatalf("%s: only %v of media after 30 s", path, spanOf(r))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for path, r := range readers {
		fps := mainFPS
		if strings.HasSuffix(path, "sub") {
			fps = subFPS
		}
		pkts := r.packets()
		checkContinuous(t, path, pkts, uint32(90000/fps))
		if n := r.frames(); n < fps*3 {
			t.Errorf("%s: %d frames over more than 3.5 s of media, want at least %d", path, n, fps*3)
		}
		first, last := pkts[0], pkts[len(pkts)-1]
		media := time.Duration(last.ts-first.ts) * time.Second / 90000
		wall := last.at.Sub(first.at)
		// Real-time pacing: never faster than the camera would send.
		if media-wall > 250*time.Millisecond {
			t.Errorf("%s: %v of media arrived in %v of wall time: faster than real time", path, media, wall)
		}
		aus := decodeAUs(t, r.forma, pkts)
		if len(aus) == 0 || !isKey(r.forma, aus[0]) {
			t.Errorf("%s: the first access unit is not a keyframe", path)
		}
	}
}

// checkContinuous asserts that packets have consecutive sequence numbers and
// that timestamps rise by exactly one frame between frames.
func checkContinuous(t *testing.T, name string, pkts []rxPacket, ticks uint32) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		prev, p := pkts[i-1], pkts[i]
		if p.seq != prev.seq+1 {
			t.Errorf("%s: sequence number %d after %d", name, p.seq, prev.seq)
			return
		}
		want := prev.ts
		if prev.marker {
			want += ticks
		}
		if p.ts != want {
			t.Errorf("%s: packet %d: timestamp %d after %d (delta %d), want delta %d",
				name, i, p.ts, prev.ts, int32(p.ts-prev.ts), want-prev.ts)
			return
		}
	}
}

// decodeAUs turns received packets back into access units.
func decodeAUs(t *testing.T, forma format.Format, pkts []rxPacket) [][][]byte {
	t.Helper()
	var decode func(*rtp.Packet) ([][]byte, error)
	switch f := forma.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		decode = d.Decode
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		decode = d.Decode
	}
	var aus [][][]byte
	for _, p := range pkts {
		au, err := decode(&rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: payloadType, SequenceNumber: p.seq, Timestamp: p.ts, Marker: p.marker},
			Payload: p.payload,
		})
		if err == nil {
			aus = append(aus, au)
		} else if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !errors.Is(err, rtph265.ErrMorePacketsNeeded) {
			t.Logf("decode: %v", err)
		}
	}
	return aus
}

func isKey(forma format.Format, au [][]byte) bool {
	if _, ok := forma.(*format.H265); ok {
		return h265.IsRandomAccess(au)
	}
	return h264.IsRandomAccess(au)
}

// spsWidths returns the width of every H.264 SPS in the access units, in order.
func spsWidths(aus [][][]byte) []int {
	var widths []int
	for _, au := range aus {
		for _, n := range au {
			if len(n) > 0 && h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS {
				var sps h264.SPS
				if sps.Unmarshal(n) == nil {
					widths = append(widths, sps.Width())
				}
			}
		}
	}
	return widths
}

func TestCameras(t *testing.T) {
	s := startSim(t, testLibrary(t), Config{Cameras: 3})
	cams := s.Cameras()
	if len(cams) != 3 {
		t.Fatalf("got %d cameras", len(cams))
	}
	for i, c := range cams {
		if want := "cam-00" + strconv.Itoa(i+1); c.ID != want {
			t.Errorf("camera %d: ID %q, want %q", i, c.ID, want)
		}
		if want := "rtsp://" + s.Addr() + "/" + c.ID + "/main"; c.MainURL != want {
			t.Errorf("%s: main URL %q, want %q", c.ID, c.MainURL, want)
		}
		if want := "rtsp://" + s.Addr() + "/" + c.ID + "/sub"; c.SubURL != want {
			t.Errorf("%s: sub URL %q, want %q", c.ID, c.SubURL, want)
		}
		if c.Name == "" || c.Area == "" || c.Owner.Name == "" || !c.Enabled || c.Source != matthan.SourcePull {
			t.Errorf("%s: incomplete registration %+v", c.ID, c)
		}
	}
	for _, path := range []string{"cam-004/main", "cam-001/other", "cam-001", ""} {
		if _, err := play(t, "rtsp://"+s.Addr()+"/"+path); err == nil {
			t.Errorf("playing %q worked, want not found", path)
		}
	}
}

// TestUDPTransport reads the simulator over UDP when it offers UDP.
func TestUDPTransport(t *testing.T) {
	rtpAddr, rtcpAddr := freeUDPPair(t)
	s := startSim(t, testLibrary(t), Config{Cameras: 1, UDPRTPAddr: rtpAddr, UDPRTCPAddr: rtcpAddr})
	out, err := runCmd(t, 30*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "udp",
		"-i", s.URL("cam-001", matthan.StreamSub), "-t", "2", "-f", "null", "-")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("ffmpeg over UDP: err %v, output %q", err, out)
	}
}

// freeUDPPair finds two free consecutive loopback UDP ports, the first even.
func freeUDPPair(t *testing.T) (string, string) {
	t.Helper()
	for range 50 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		a, errA := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		b, errB := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+1))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if errA == nil && errB == nil {
			return fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1)
		}
	}
	t.Fatal("no free UDP port pair")
	return "", ""
}

func TestRun(t *testing.T) {
	lib := testLibrary(t)
	s, err := New(lib, Config{Addr: "127.0.0.1:0", Cameras: 1}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if !waitFor(5*time.Second, func() bool { return s.Addr() != "" }) {
		t.Fatal("not listening")
	}
	r := mustPlay(t, s.URL("cam-001", matthan.StreamSub))
	if !waitFor(3*time.Second, func() bool { return r.frames() > 2 }) {
		t.Fatal("no media")
	}

	// A second simulator on the same address fails to start, saying where.
	other, err := New(lib, Config{Addr: s.Addr(), Cameras: 1}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err == nil || !strings.Contains(err.Error(), s.Addr()) {
		t.Errorf("second Start on a busy address: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !r.closed(2 * time.Second) {
		t.Error("reader still connected after Run returned")
	}
	if _, err := New(lib, Config{Cameras: 0}, nil); matthan.ErrorCode(err) != matthan.EINVALID {
		t.Errorf("zero cameras: %v", err)
	}
}
