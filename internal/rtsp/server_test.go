package rtsp

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"matthan"
	"matthan/internal/media"
)

// waitHub waits until the hub carries a Desc that ok accepts and some units.
func waitHub(t *testing.T, hub *media.Hub, d time.Duration, what string, ok func(*media.Desc) bool) *media.Desc {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if desc := hub.Desc(); desc != nil && ok(desc) && hub.Published() > 10 {
			return desc
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("hub has no %s after %v (desc %+v)", what, d, hub.Desc())
	return nil
}

func hasTracks(codecs ...media.Codec) func(*media.Desc) bool {
	return func(d *media.Desc) bool {
		if len(d.Tracks) != len(codecs) {
			return false
		}
		for i, c := range codecs {
			if d.Tracks[i].Codec != c {
				return false
			}
		}
		return true
	}
}

// ffmpegPush starts ffmpeg publishing a test pattern (and audio) to url.
func ffmpegPush(t *testing.T, url string, video []string, audio []string) *process {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=640x360:rate=25"}
	if audio != nil {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000")
	}
	args = append(args, video...)
	args = append(args, audio...)
	args = append(args, "-t", "30", "-f", "rtsp", "-rtsp_transport", "tcp", url)
	return start(t, "ffmpeg", args...)
}

var x264 = []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-bf", "0"}

func TestPushRestreamPull(t *testing.T) {
	reg := newTestRegistry()
	reg.addCamera("cam-1", "cam", "cam-pw")
	audit := &auditLog{}
	srv := startServer(t, reg, audit, true)
	base := "rtsp://" + srv.ListenAddr()

	// Any URL text of ours: user info goes in by the tools' syntax.
	pusher := ffmpegPush(t, "rtsp://cam:cam-pw@"+srv.ListenAddr()+"/cam-1/main", x264, []string{"-c:a", "aac", "-ar", "48000", "-b:a", "64k"})
	hub := reg.Hub("cam-1", matthan.StreamMain)
	desc := waitHub(t, hub, 15*time.Second, "H264+AAC", hasTracks(media.H264, media.AAC))
	if v := desc.Tracks[0]; v.Width != 640 || v.Height != 360 {
		t.Fatalf("pushed video %dx%d, want 640x360", v.Width, v.Height)
	}
	if a := desc.Tracks[1]; a.SampleRate != 48000 || a.Channels != 1 {
		t.Errorf("pushed audio %d Hz %d ch, want 48000 Hz mono", a.SampleRate, a.Channels)
	}
	if reg.pushCount() != 1 {
		t.Errorf("StartPush called %d times, want 1", reg.pushCount())
	}
	viewerURL := "rtsp://viewer:pw@" + srv.ListenAddr() + "/cam-1/main"

	t.Run("ffprobe reads the restream", func(t *testing.T) {
		out, err := runTool(t, 20*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
			"-show_entries", "stream=codec_name,width,height,sample_rate", "-of", "compact", viewerURL)
		if err != nil {
			t.Fatalf("ffprobe: %v\n%s", err, out)
		}
		if !strings.Contains(out, "codec_name=h264|width=640|height=360") || !strings.Contains(out, "codec_name=aac") {
			t.Errorf("ffprobe sees:\n%s", out)
		}
	})

	t.Run("ffmpeg plays 3 s without errors", func(t *testing.T) {
		out, err := runTool(t, 20*time.Second, "ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp",
			"-i", viewerURL, "-t", "3", "-f", "null", "-")
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("ffmpeg: %v\n%s", err, out)
		}
	})

	t.Run("readers need credentials", func(t *testing.T) {
		out, err := runTool(t, 10*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", base+"/cam-1/main")
		if err == nil || !strings.Contains(out, "401") {
			t.Errorf("ffprobe without credentials: err %v, output:\n%s", err, out)
		}
		se := pullError(t, PullRequest{URL: base + "/cam-1/main", Username: "viewer", Password: "wrong-pw", Transport: TransportTCP})
		if se.State != matthan.StateAuthFailed || !strings.Contains(se.Reason, "refused the user name or password") {
			t.Errorf("wrong password: %s %q", se.State, se.Reason)
		}
		se = pullError(t, PullRequest{URL: base + "/cam-1/main", Transport: TransportTCP})
		if se.State != matthan.StateAuthFailed {
			t.Errorf("no password: %s %q", se.State, se.Reason)
		}
	})

	t.Run("Pull from our server", func(t *testing.T) {
		for _, transport := range []string{TransportTCP, TransportUDP, TransportAuto} {
			p := startPull(t, PullRequest{URL: base + "/cam-1/main", Username: "viewer", Password: "pw", Transport: transport})
			checkVideo(t, p.units, media.H264, 640, 360)
			units := p.units.snapshot()
			if countTrack(units, media.AAC) == 0 {
				t.Errorf("%s: no AAC units", transport)
			}
			if err := p.stop(t); err != nil {
				t.Errorf("%s: Pull returned %v after cancel", transport, err)
			}
		}
	})

	t.Run("unknown paths", func(t *testing.T) {
		for path, want := range map[string]string{
			"/cam-9/main":       "no stream at this path",
			"/cam-1/sub":        "no stream at this path", // known camera, not streaming
			"/cam-1/main/extra": "no stream at this path",
		} {
			se := pullError(t, PullRequest{URL: base + path, Username: "viewer", Password: "pw", Transport: TransportTCP})
			if se.State != matthan.StateBadURL || !strings.Contains(se.Reason, want) {
				t.Errorf("%s: %s %q", path, se.State, se.Reason)
			}
		}
		if se := pullError(t, PullRequest{URL: base + "/cam-1/sub", Username: "viewer", Password: "pw", Transport: TransportTCP}); !strings.Contains(se.Reason, "not streaming") {
			t.Errorf("a camera that is not streaming should say so: %q", se.Reason)
		}
	})

	t.Run("a second publisher is refused", func(t *testing.T) {
		second := ffmpegPush(t, "rtsp://cam:cam-pw@"+srv.ListenAddr()+"/cam-1/main", x264, nil)
		if err := second.wait(t, 15*time.Second); err == nil || !strings.Contains(second.output.String(), "409") {
			t.Errorf("second publisher: %v\n%s", err, second.output.String())
		}
		if reg.pushCount() != 1 {
			t.Errorf("StartPush called %d times, want 1", reg.pushCount())
		}
	})

	t.Run("audit and unsubscribe", func(t *testing.T) {
		var plays int
		for _, e := range audit.all() {
			if e.Action == "live.rtsp" && e.User == "Viewer viewer" && e.CameraID == "cam-1" && e.Stream == matthan.StreamMain &&
				strings.HasPrefix(e.Remote, "127.0.0.1:") && !e.At.IsZero() {
				plays++
			}
		}
		// ffprobe, ffmpeg and three pulls played.
		if plays < 5 {
			t.Errorf("%d audit entries for plays, want at least 5: %+v", plays, audit.all())
		}
		deadline := time.Now().Add(5 * time.Second)
		for hub.Subscribers() != 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := hub.Subscribers(); n != 0 {
			t.Errorf("%d hub subscriptions left after every reader left", n)
		}
	})

	// When the publisher leaves, StartPush's done is called and readers are let go.
	p := startPull(t, PullRequest{URL: base + "/cam-1/main", Username: "viewer", Password: "pw", Transport: TransportTCP})
	checkVideo(t, p.units, media.H264, 640, 360)
	pusher.stop()
	select {
	case <-reg.endedCh:
	case <-time.After(15 * time.Second):
		t.Error("done was not called when the publisher left")
	}
	if err := p.wait(t, 10*time.Second); err == nil {
		t.Error("the reader was not disconnected when the publisher left")
	}
}

func TestServerRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Addr: "127.0.0.1:0", Registry: newTestRegistry(), Log: testLog(t)}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}

	taken := startServer(t, newTestRegistry(), nil, false)
	s2 := &Server{Addr: taken.ListenAddr(), Registry: newTestRegistry()}
	if err := s2.Run(context.Background()); err == nil {
		t.Error("Run on a busy address returned nil")
	}
}

func TestPushRefused(t *testing.T) {
	reg := newTestRegistry()
	reg.addCamera("cam-1", "cam", "cam-pw")
	reg.addCamera("cam-pulled", "", "")
	srv := startServer(t, reg, nil, false)
	addr := srv.ListenAddr()
	for _, tc := range []struct {
		name, url, status string
		video, audio      []string
	}{
		{"wrong password", "rtsp://cam:nope@" + addr + "/cam-1/main", "401", x264, nil},
		{"no password", "rtsp://" + addr + "/cam-1/main", "401", x264, nil},
		{"unknown camera", "rtsp://cam:cam-pw@" + addr + "/cam-2/main", "404", x264, nil},
		{"not a push camera", "rtsp://cam:cam-pw@" + addr + "/cam-pulled/main", "404", x264, nil},
		{"bad path", "rtsp://cam:cam-pw@" + addr + "/cam-1/third", "404", x264, nil},
		{"no video", "rtsp://cam:cam-pw@" + addr + "/cam-1/main", "400", []string{"-vn"}, []string{"-c:a", "aac"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ffmpegPush(t, tc.url, tc.video, tc.audio)
			err := p.wait(t, 15*time.Second)
			if err == nil || !strings.Contains(p.output.String(), tc.status) {
				t.Errorf("ffmpeg: %v, want a refusal with %s; output:\n%s", err, tc.status, p.output.String())
			}
		})
	}
	if reg.pushCount() != 0 {
		t.Errorf("StartPush called %d times for refused publishers", reg.pushCount())
	}
}

func TestPushPullH265WithG711(t *testing.T) {
	reg := newTestRegistry()
	reg.addCamera("cam-5", "cam", "cam-pw")
	srv := startServer(t, reg, nil, false)
	x265 := []string{"-vf", "scale=320:240", "-c:v", "libx265", "-preset", "ultrafast", "-tune", "zerolatency",
		"-x265-params", "keyint=25:bframes=0:log-level=error"}
	ffmpegPush(t, "rtsp://cam:cam-pw@"+srv.ListenAddr()+"/cam-5/sub", x265, []string{"-c:a", "pcm_mulaw"})
	hub := reg.Hub("cam-5", matthan.StreamSub)
	desc := waitHub(t, hub, 20*time.Second, "H265+G711", hasTracks(media.H265, media.G711))
	if g := desc.Tracks[1]; !g.MULaw || g.SampleRate != 8000 {
		t.Errorf("G711 track %+v, want mu-law 8 kHz", g)
	}

	p := startPull(t, PullRequest{URL: "rtsp://" + srv.ListenAddr() + "/cam-5/sub", Username: "viewer", Password: "pw", Transport: TransportTCP})
	checkVideo(t, p.units, media.H265, 320, 240)
	units := p.units.snapshot()
	if countTrack(units, media.G711) == 0 {
		t.Error("no G711 units pulled")
	}
	for _, u := range units {
		if tr := u.Desc.Tracks[u.Track]; tr.Codec == media.G711 && (!tr.MULaw || u.Size() == 0) {
			t.Fatalf("G711 unit %+v", u)
		}
	}
}

// feeder publishes access units into a hub at 25 fps, as an ingest session would.
type feeder struct {
	hub  *media.Hub
	mu   sync.Mutex
	desc *media.Desc
	aus  [][][]byte
	stop chan struct{}
	done chan struct{}
}

func startFeeder(t *testing.T, hub *media.Hub, desc *media.Desc, aus [][][]byte) *feeder {
	f := &feeder{hub: hub, desc: desc, aus: aus, stop: make(chan struct{}), done: make(chan struct{})}
	go f.run()
	t.Cleanup(func() {
		close(f.stop)
		<-f.done
	})
	return f
}

func (f *feeder) set(desc *media.Desc, aus [][][]byte) {
	f.mu.Lock()
	f.desc, f.aus = desc, aus
	f.mu.Unlock()
}

func (f *feeder) run() {
	defer close(f.done)
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	var pts time.Duration
	for n := 0; ; n++ {
		select {
		case <-f.stop:
			return
		case <-tick.C:
		}
		f.mu.Lock()
		desc, aus := f.desc, f.aus
		f.mu.Unlock()
		u := &media.Unit{Desc: desc, PTS: pts, Wall: time.Now()}
		if desc.Video() >= 0 {
			au := aus[n%len(aus)]
			u.Data, u.Key = au, h264.IsRandomAccess(au)
		} else {
			u.Data = [][]byte{{0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c}} // an AAC frame's worth of bytes
		}
		f.hub.WriteUnit(u)
		pts += 40 * time.Millisecond
	}
}

// h264Desc describes the stream of a testdata file.
func h264Desc(t *testing.T, aus [][][]byte) *media.Desc {
	sps, pps := aus[0][0], aus[0][1]
	w, h, err := h264Size(sps)
	if err != nil {
		t.Fatal(err)
	}
	return &media.Desc{Tracks: []media.Track{{Codec: media.H264, ClockRate: 90000, SPS: sps, PPS: pps, Width: w, Height: h}}}
}

func TestRestreamFollowsNewParameters(t *testing.T) {
	reg := newTestRegistry()
	reg.addCamera("cam-7", "", "")
	srv := startServer(t, reg, nil, false)
	big := readAnnexB(t, "h264_320x240.h264", false)
	small := readAnnexB(t, "h264_160x120.h264", false)
	hub := reg.Hub("cam-7", matthan.StreamMain)
	f := startFeeder(t, hub, h264Desc(t, big), big)
	waitHub(t, hub, 5*time.Second, "video", hasTracks(media.H264))
	req := PullRequest{URL: "rtsp://" + srv.ListenAddr() + "/cam-7/main", Username: "viewer", Password: "pw", Transport: TransportTCP}

	p := startPull(t, req)
	checkVideo(t, p.units, media.H264, 320, 240)

	// The camera switches resolution: the old restream closes, readers reconnect.
	f.set(h264Desc(t, small), small)
	err := p.wait(t, 10*time.Second)
	if se, ok := err.(*matthan.StreamError); !ok || se.State != matthan.StateOffline {
		t.Fatalf("reader of the old stream ended with %v, want an offline StreamError", err)
	}
	p = startPull(t, req)
	checkVideo(t, p.units, media.H264, 160, 120)
	for _, u := range p.units.snapshot() {
		if tr := u.Desc.Tracks[0]; tr.Width != 160 {
			t.Fatalf("reconnected reader got a %dx%d unit", tr.Width, tr.Height)
		}
	}
}

func TestPullAudioOnlyIsUnsupported(t *testing.T) {
	reg := newTestRegistry()
	reg.addCamera("cam-a", "", "")
	srv := startServer(t, reg, nil, false)
	cfg, err := aacFormat().Config.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	desc := &media.Desc{Tracks: []media.Track{{Codec: media.AAC, ClockRate: 48000, AACConfig: cfg, SampleRate: 48000, Channels: 2}}}
	startFeeder(t, reg.Hub("cam-a", matthan.StreamMain), desc, nil)
	waitHub(t, reg.Hub("cam-a", matthan.StreamMain), 5*time.Second, "audio", hasTracks(media.AAC))

	se := pullError(t, PullRequest{URL: "rtsp://" + srv.ListenAddr() + "/cam-a/main", Username: "viewer", Password: "pw", Transport: TransportTCP})
	if se.State != matthan.StateUnsupported || !strings.Contains(se.Reason, "MPEG-4 Audio") || !strings.Contains(se.ReasonVI, "MPEG-4 Audio") {
		t.Errorf("got %s %q / %q, want unsupported naming MPEG-4 Audio", se.State, se.Reason, se.ReasonVI)
	}
}
