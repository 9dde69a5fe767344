package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"matthan"
	"matthan/internal/media"
)

func dialMSE(t testing.TB, env *testEnv, camera, role string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(env.http.URL, "http") + "/api/cameras/" + camera + "/live/" + role + "/mse"
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.SetReadLimit(8 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func readMessage(t testing.TB, c *websocket.Conn) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, b
}

func readHeader(t testing.TB, c *websocket.Conn) MSEHeader {
	t.Helper()
	typ, b := readMessage(t, c)
	if typ != websocket.MessageText {
		t.Fatalf("first message is %v, want text", typ)
	}
	var h MSEHeader
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("header %q: %v", b, err)
	}
	return h
}

// An MSE viewer gets the header, an init segment and one fragment per
// frame from a keyframe on; together they are an MP4 that ffprobe decodes
// without a single error.
func TestMSEStreamsFragmentedMP4(t *testing.T) {
	ffprobeAvailable(t)
	for _, tc := range []struct {
		codec      media.Codec
		mimePrefix string
		probeCodec string
		w, h       int
	}{
		{media.H264, `video/mp4; codecs="avc1.6400`, "h264", 640, 360},
		{media.H265, `video/mp4; codecs="hvc1.1.6.L`, "hevc", 320, 240},
	} {
		t.Run(string(tc.codec), func(t *testing.T) {
			hub := media.NewHub()
			startFeeder(t, hub, tc.codec, true)
			env := newTestEnv(t, hubMap{"cam-001/main": hub}, ICEConfig{})
			c := dialMSE(t, env, "cam-001", "main")
			h := readHeader(t, c)
			if !strings.HasPrefix(h.MIME, tc.mimePrefix) || h.Codec != tc.codec || h.Width != tc.w || h.Height != tc.h ||
				h.Audio || h.Session == "" || h.AudioNote == "" || h.AudioNoteVI == "" {
				t.Errorf("header = %+v", h)
			}
			var file bytes.Buffer
			typ, init := readMessage(t, c)
			if typ != websocket.MessageBinary || !bytes.Equal(init[4:8], []byte("ftyp")) || bytes.Contains(init, []byte("mdat")) {
				t.Fatalf("second message: %v, %q…, want an init segment", typ, init[:min(16, len(init))])
			}
			file.Write(init)
			const fragments = 30
			start := time.Now()
			for i := range fragments {
				typ, frag := readMessage(t, c)
				if typ != websocket.MessageBinary || string(frag[4:8]) != "moof" {
					t.Fatalf("fragment %d: %v %q", i, typ, frag[4:8])
				}
				// One frame per fragment: one trun sample count of 1.
				if bytes.Count(frag, []byte("trun")) != 1 {
					t.Errorf("fragment %d has %d truns", i, bytes.Count(frag, []byte("trun")))
				}
				file.Write(frag)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("%d fragments of 40 ms frames took %v: not one frame per fragment", fragments, el)
			}
			if env.srv.Sessions() != 1 || env.srv.List()[0].Transport != MSE {
				t.Errorf("sessions = %+v", env.srv.List())
			}
			c.Close(websocket.StatusNormalClosure, "")
			eventually(t, 3*time.Second, "MSE session ends when the viewer leaves", func() bool {
				return env.srv.Sessions() == 0 && hub.Subscribers() == 0
			})
			path := filepath.Join(t.TempDir(), "mse.mp4")
			if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if n := decodeCheck(t, path, ""); n != fragments {
				t.Errorf("ffprobe decoded %d frames, want %d", n, fragments)
			}
			out, err := runTool(t, time.Minute, "ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", path)
			if err != nil || strings.TrimSpace(out) != tc.probeCodec+","+itoa(tc.w)+","+itoa(tc.h) {
				t.Errorf("ffprobe streams = %q (%v), want one %s video %dx%d and no audio", out, err, tc.probeCodec, tc.w, tc.h)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Errors reach a WebSocket player inside the socket; a plain request gets them returned.
func TestMSEErrors(t *testing.T) {
	hub := media.NewHub()
	f := startFeeder(t, hub, media.H264, false)
	env := newTestEnv(t, hubMap{"cam-001/sub": hub}, ICEConfig{})

	c := dialMSE(t, env, "nope", "sub")
	typ, b := readMessage(t, c)
	var msg struct{ Error *matthan.Error }
	if typ != websocket.MessageText || json.Unmarshal(b, &msg) != nil || msg.Error == nil ||
		msg.Error.Code != matthan.ENOTFOUND || msg.Error.MessageVI == "" {
		t.Fatalf("in-band error = %v %s", typ, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != CloseError {
		t.Errorf("close after the error: %v, want code %d", err, CloseError)
	}

	res, err := http.Get(env.http.URL + "/api/cameras/nope/live/sub/mse")
	if err != nil {
		t.Fatal(err)
	}
	if status, e := apiError(t, res); status != 404 || e.Code != matthan.ENOTFOUND {
		t.Errorf("plain GET = %d %+v", status, e)
	}
	res, err = http.Get(env.http.URL + "/api/cameras/cam-001/live/sub/mse")
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := apiError(t, res); status != 400 {
		t.Errorf("plain GET of a streaming camera = %d, want 400 (needs WebSocket)", status)
	}

	// The stream ending closes the socket with CloseStreamEnded.
	c = dialMSE(t, env, "cam-001", "sub")
	readHeader(t, c)
	readMessage(t, c)
	f.stop()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	for {
		_, _, err := c.Read(ctx2)
		if err == nil {
			continue
		}
		if websocket.CloseStatus(err) != CloseStreamEnded {
			t.Errorf("close when the stream ended: %v, want code %d", err, CloseStreamEnded)
		}
		break
	}
	eventually(t, 3*time.Second, "no session left", func() bool { return env.srv.Sessions() == 0 })
}

// A viewer started at a new description (the camera reconnected) gets a
// new header and init segment, and fragments keep coming.
func TestMSEFollowsNewDescription(t *testing.T) {
	hub := media.NewHub()
	f := startFeeder(t, hub, media.H264, false)
	env := newTestEnv(t, hubMap{"cam-001/sub": hub}, ICEConfig{})
	c := dialMSE(t, env, "cam-001", "sub")
	readHeader(t, c)
	readMessage(t, c) // init
	readMessage(t, c) // a fragment
	f.cancel()
	<-f.done // no Reset: the camera comes back before anyone notices
	startFeeder(t, hub, media.H264, false)
	for i := 0; ; i++ {
		typ, b := readMessage(t, c)
		if typ == websocket.MessageText {
			var h MSEHeader
			if err := json.Unmarshal(b, &h); err != nil || h.Codec != media.H264 {
				t.Fatalf("second header %s", b)
			}
			break
		}
		if i > 30 {
			t.Fatal("no new header after the description changed")
		}
	}
	if typ, b := readMessage(t, c); typ != websocket.MessageBinary || string(b[4:8]) != "ftyp" {
		t.Fatal("no init segment after the new header")
	}
	if typ, b := readMessage(t, c); typ != websocket.MessageBinary || string(b[4:8]) != "moof" {
		t.Fatal("no fragment after the new init segment")
	}
}

// MaxViewers turns the next viewer away with a message, over either transport.
func TestMaxViewers(t *testing.T) {
	hub := media.NewHub()
	startFeeder(t, hub, media.H264, false)
	srv, err := New(Deps{Hubs: hubMap{"cam-001/sub": hub}, Log: testLogger(t), MaxViewers: 1})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{srv: srv, http: newHTTP(t, srv)}
	t.Cleanup(func() { srv.Close() })
	first := dialMSE(t, env, "cam-001", "sub")
	readHeader(t, first)
	second := dialMSE(t, env, "cam-001", "sub")
	typ, b := readMessage(t, second)
	var msg struct{ Error *matthan.Error }
	if typ != websocket.MessageText || json.Unmarshal(b, &msg) != nil || msg.Error == nil ||
		msg.Error.Code != matthan.ECONFLICT || !strings.Contains(msg.Error.Message, "at most 1") || msg.Error.MessageVI == "" {
		t.Fatalf("second viewer got %v %s", typ, b)
	}
	res, err := http.Post(env.http.URL+"/api/cameras/cam-001/live/sub/whep", "application/sdp",
		strings.NewReader("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=recvonly\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if status, e := apiError(t, res); status != 409 || e.Code != matthan.ECONFLICT {
		t.Errorf("WHEP over the limit = %d %+v", status, e)
	}
	if srv.Sessions() != 1 {
		t.Errorf("Sessions() = %d, want 1", srv.Sessions())
	}
}

func TestStaticServesPlayer(t *testing.T) {
	env := newTestEnv(t, hubMap{}, ICEConfig{})
	res, err := http.Get(env.http.URL + "/live/player.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") ||
		!bytes.Contains(body, []byte("export class LivePlayer")) {
		t.Errorf("player.js: %d %q %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	res, err = http.Get(env.http.URL + "/live/nothing.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("unknown file: %d", res.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	hub := media.NewHub()
	startFeeder(t, hub, media.H264, false)
	env := newTestEnv(t, hubMap{"cam-001/sub": hub}, ICEConfig{})
	c := dialMSE(t, env, "cam-001", "sub")
	readHeader(t, c)
	readMessage(t, c)
	readMessage(t, c)
	var b strings.Builder
	if err := env.srv.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`matthan_live_viewers{transport="mse"} 1`, `matthan_live_viewers{transport="webrtc"} 0`,
		`matthan_live_sessions_total{transport="mse"} 1`, "# TYPE matthan_live_frames_total counter", "matthan_live_send_delay_seconds_count"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}

func TestNewRejectsBadICEConfig(t *testing.T) {
	for _, ice := range []ICEConfig{{IPs: []string{"not-an-ip"}}, {UDPAddr: "256.0.0.1:1"}, {PortMin: 5000, PortMax: 4000}} {
		if _, err := New(Deps{Hubs: hubMap{}, ICE: ice}); err == nil {
			t.Errorf("New accepted %+v", ice)
		}
	}
	if _, err := New(Deps{}); err == nil || errors.Is(err, nil) {
		t.Error("New accepted no hub source")
	}
}

// TestEndCamera: when a camera's owner stops sharing its live view, its
// viewers are cut at once; another camera's viewers go on.
func TestEndCamera(t *testing.T) {
	a, b := media.NewHub(), media.NewHub()
	startFeeder(t, a, media.H264, true)
	startFeeder(t, b, media.H264, true)
	env := newTestEnv(t, hubMap{"cam-001/main": a, "cam-002/main": b}, ICEConfig{})
	ca := dialMSE(t, env, "cam-001", "main")
	readHeader(t, ca)
	cb := dialMSE(t, env, "cam-002", "main")
	readHeader(t, cb)
	eventually(t, 3*time.Second, "two viewers", func() bool { return env.srv.Sessions() == 2 })
	if n := env.srv.EndCamera("cam-001"); n != 1 {
		t.Fatalf("EndCamera ended %d sessions, want 1", n)
	}
	eventually(t, 3*time.Second, "cam-001's viewer cut, cam-002's kept", func() bool {
		l := env.srv.List()
		return len(l) == 1 && l[0].CameraID == "cam-002" && a.Subscribers() == 0
	})
	for {
		if _, _, err := ca.Read(t.Context()); err != nil {
			break // the socket was closed
		}
	}
	if typ, _ := readMessage(t, cb); typ != websocket.MessageBinary {
		t.Error("the other camera's viewer stopped getting video")
	}
}
