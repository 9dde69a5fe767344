package live

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"matthan"
	"matthan/internal/media"
)

// whepClient is a pion peer on loopback that plays a stream as a browser
// would, and keeps what it received.
type whepClient struct {
	t        testing.TB
	pc       *webrtc.PeerConnection
	location string
	header   http.Header
	readers  sync.WaitGroup

	mu          sync.Mutex
	annexB      bytes.Buffer // every video NAL unit received, with start codes
	types       []byte       // NAL unit types in order
	frames      int          // RTP marker bits: access units
	audioPkts   int
	audioCodec  string
	videoCodec  string
	firstFrames int
}

// offerCodecs says what the client offers to receive.
type offerCodecs struct {
	h264, h265, pcmu bool
}

func clientAPI(t testing.TB, oc offerCodecs) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	reg := func(c webrtc.RTPCodecParameters, typ webrtc.RTPCodecType) {
		if err := m.RegisterCodec(c, typ); err != nil {
			t.Fatal(err)
		}
	}
	if oc.h264 {
		reg(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, PayloadType: 96}, webrtc.RTPCodecTypeVideo)
	}
	if oc.h265 {
		reg(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH265, ClockRate: 90000}, PayloadType: 98}, webrtc.RTPCodecTypeVideo)
	}
	if oc.pcmu {
		reg(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, webrtc.RTPCodecTypeAudio)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
}

// dialWHEP offers to receive a stream. It returns the client, or the
// server's answer when that is not 201.
func dialWHEP(t testing.TB, env *testEnv, camera, role string, oc offerCodecs) (*whepClient, *http.Response) {
	t.Helper()
	pc, err := clientAPI(t, oc).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &whepClient{t: t, pc: pc}
	t.Cleanup(c.close)
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	if oc.pcmu {
		kinds = append(kinds, webrtc.RTPCodecTypeAudio)
	}
	for _, kind := range kinds {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.readers.Add(1)
		defer c.readers.Done()
		c.read(tr)
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	url := env.http.URL + "/api/cameras/" + camera + "/live/" + role + "/whep"
	res, err := http.Post(url, "application/sdp", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated {
		return nil, res
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.location, c.header = res.Header.Get("Location"), res.Header
	if ct := res.Header.Get("Content-Type"); ct != "application/sdp" {
		t.Errorf("answer Content-Type = %q, want application/sdp", ct)
	}
	if !strings.Contains(string(answer), "a=candidate:") || !strings.Contains(string(answer), "a=end-of-candidates") {
		t.Errorf("answer lacks complete ICE candidates:\n%s", answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	return c, nil
}

func (c *whepClient) read(tr *webrtc.TrackRemote) {
	mime := tr.Codec().MimeType
	c.mu.Lock()
	if tr.Kind() == webrtc.RTPCodecTypeAudio {
		c.audioCodec = mime
	} else {
		c.videoCodec = mime
	}
	c.mu.Unlock()
	var h264p codecs.H264Packet
	var h265p codecs.H265Depacketizer
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		c.mu.Lock()
		switch {
		case tr.Kind() == webrtc.RTPCodecTypeAudio:
			c.audioPkts++
		default:
			var out []byte
			if strings.EqualFold(mime, webrtc.MimeTypeH265) {
				out, err = h265p.Unmarshal(pkt.Payload)
			} else {
				out, err = h264p.Unmarshal(pkt.Payload)
			}
			if err == nil && len(out) > 0 {
				c.annexB.Write(out)
				{
					for _, n := range splitAnnexB(out) {
						if strings.EqualFold(mime, webrtc.MimeTypeH265) {
							c.types = append(c.types, h265NALUType(n))
						} else {
							c.types = append(c.types, h264NALUType(n))
						}
					}
				}
			}
			if pkt.Marker {
				c.frames++
			}
		}
		c.mu.Unlock()
	}
}

func (c *whepClient) frameCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

func (c *whepClient) close() {
	c.pc.Close()
	c.readers.Wait()
}

// deleteSession ends the client's session through its Location.
func (c *whepClient) deleteSession(env *testEnv) int {
	req, _ := http.NewRequest(http.MethodDelete, env.http.URL+c.location, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func apiError(t testing.TB, res *http.Response) (int, *matthan.Error) {
	t.Helper()
	defer res.Body.Close()
	var body struct {
		Error *matthan.Error `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.Error == nil {
		t.Fatalf("status %d without a JSON error: %v", res.StatusCode, err)
	}
	return res.StatusCode, body.Error
}

// The WebRTC path carries H.264 unchanged, with SPS and PPS before every
// IDR (the clip has them only before its first), and G.711 sound; DELETE
// ends the session and the hub loses its subscriber.
func TestWHEPPlaysH264WithG711(t *testing.T) {
	ffprobeAvailable(t)
	hub := media.NewHub()
	startFeeder(t, hub, media.H264, true)
	env := newTestEnv(t, hubMap{"cam-001/sub": hub}, ICEConfig{})

	c, res := dialWHEP(t, env, "cam-001", "sub", offerCodecs{h264: true, pcmu: true})
	if res != nil {
		_, e := apiError(t, res)
		t.Fatalf("WHEP refused: %d %s", res.StatusCode, e.Message)
	}
	if !strings.HasPrefix(c.location, SessionPath) {
		t.Errorf("Location = %q, want it under %s", c.location, SessionPath)
	}
	if got := c.header.Get(HeaderAudio); got != "PCMU" {
		t.Errorf("%s = %q, want PCMU", HeaderAudio, got)
	}
	eventually(t, 10*time.Second, "60 frames over WebRTC", func() bool { return c.frameCount() >= 60 })
	if n := env.srv.Sessions(); n != 1 {
		t.Errorf("Sessions() = %d, want 1", n)
	}
	info := env.srv.List()
	if len(info) != 1 || info[0].Transport != WebRTC || info[0].Audio != "PCMU" || info[0].Video != media.H264 {
		t.Errorf("List() = %+v", info)
	}

	if code := c.deleteSession(env); code != http.StatusOK {
		t.Fatalf("DELETE = %d", code)
	}
	eventually(t, 5*time.Second, "session gone after DELETE", func() bool {
		return env.srv.Sessions() == 0 && hub.Subscribers() == 0
	})
	if code := c.deleteSession(env); code != http.StatusNotFound {
		t.Errorf("second DELETE = %d, want 404", code)
	}
	c.close()

	c.mu.Lock()
	defer c.mu.Unlock()
	if !strings.EqualFold(c.videoCodec, webrtc.MimeTypeH264) || !strings.EqualFold(c.audioCodec, webrtc.MimeTypePCMU) {
		t.Errorf("tracks: video %q audio %q", c.videoCodec, c.audioCodec)
	}
	if c.audioPkts < 25 {
		t.Errorf("audio packets = %d, want G.711 flowing", c.audioPkts)
	}
	// The first picture is a keyframe, and every IDR has SPS and PPS in
	// its access unit (between the previous slice and itself).
	idrs := 0
	auStart := 0
	for i, typ := range c.types {
		if typ == 1 && idrs == 0 {
			t.Fatalf("a non-IDR slice came before the first IDR (types %v)", c.types[:i+1])
		}
		if typ == 5 {
			idrs++
			au := string(c.types[auStart:i])
			if !strings.Contains(au, "\x07") || !strings.Contains(au, "\x08") {
				t.Fatalf("IDR #%d at %d without SPS and PPS in its access unit: %v", idrs, i, c.types[auStart:i+1])
			}
		}
		if typ == 1 || typ == 5 {
			auStart = i + 1
		}
	}
	if idrs < 2 {
		t.Errorf("IDRs received = %d, want at least 2 (a keyframe every second)", idrs)
	}
	path := filepath.Join(t.TempDir(), "webrtc.h264")
	if err := os.WriteFile(path, c.annexB.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := decodeCheck(t, path, "h264"); n < 60 {
		t.Errorf("decoded %d frames, want at least 60", n)
	}
	st := env.srv.Stats()
	t.Logf("hub unit → RTP sent: mean %v, last %v over %d frames", st.SendAvg, st.SendLast, st.Frames[WebRTC])
	if st.SendAvg <= 0 || st.SendAvg > 50*time.Millisecond {
		t.Errorf("mean send delay %v, want (0, 50ms]", st.SendAvg)
	}
}

// A browser that cannot decode H.265 over WebRTC gets a clear refusal that
// offers the sub-stream; one that offers H.265 gets it passed through.
func TestWHEPH265(t *testing.T) {
	hub := media.NewHub()
	startFeeder(t, hub, media.H265, false)
	env := newTestEnv(t, hubMap{"cam-004/main": hub}, ICEConfig{})

	_, res := dialWHEP(t, env, "cam-004", "main", offerCodecs{h264: true, pcmu: true})
	if res == nil {
		t.Fatal("an H.264-only browser was offered the H.265 main stream")
	}
	status, e := apiError(t, res)
	if status != http.StatusBadRequest || e.Code != matthan.EINVALID ||
		!strings.Contains(e.Message, "H.265") || !strings.Contains(e.Message, "sub-stream") ||
		!strings.Contains(e.MessageVI, "H.265") || !strings.Contains(e.MessageVI, "luồng phụ") ||
		len(e.Fields) != 1 || e.Fields[0].Field != "stream" {
		t.Errorf("refusal = %d %+v", status, e)
	}
	if env.srv.Sessions() != 0 || hub.Subscribers() != 0 {
		t.Error("a refused offer left a session")
	}

	c, res := dialWHEP(t, env, "cam-004", "main", offerCodecs{h265: true})
	if res != nil {
		_, e := apiError(t, res)
		t.Fatalf("an H.265 offer was refused: %s", e.Message)
	}
	eventually(t, 10*time.Second, "30 H.265 frames", func() bool { return c.frameCount() >= 30 })
	c.close()
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[byte]bool{}
	for _, typ := range c.types {
		seen[typ] = true
	}
	if !seen[32] || !seen[33] || !seen[34] || !(seen[19] || seen[20]) {
		t.Errorf("H.265 NAL unit types seen %v, want VPS, SPS, PPS and IDR", seen)
	}
	path := filepath.Join(t.TempDir(), "webrtc.h265")
	os.WriteFile(path, c.annexB.Bytes(), 0o644)
	if n := decodeCheck(t, path, "hevc"); n < 30 {
		t.Errorf("decoded %d H.265 frames, want at least 30", n)
	}
}

func TestWHEPRefusals(t *testing.T) {
	idle := media.NewHub() // registered, never streamed
	env := newTestEnv(t, hubMap{"cam-001/main": idle}, ICEConfig{})
	post := func(env *testEnv, path, ctype, body string) *http.Response {
		res, err := http.Post(env.http.URL+path, ctype, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	const sdpOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=recvonly\r\n"
	hub := media.NewHub()
	startFeeder(t, hub, media.H264, false)
	env2 := newTestEnv(t, hubMap{"cam-002/sub": hub}, ICEConfig{})
	for _, tc := range []struct {
		name, path, ctype, body string
		status                  int
		code, want              string
		env                     *testEnv
	}{
		{"unknown camera", "/api/cameras/nope/live/sub/whep", "application/sdp", sdpOffer, 404, matthan.ENOTFOUND, "has no sub-stream", env},
		{"not streaming", "/api/cameras/cam-001/live/main/whep", "application/sdp", sdpOffer, 409, matthan.ECONFLICT, "not streaming", env},
		{"bad role", "/api/cameras/cam-001/live/hd/whep", "application/sdp", sdpOffer, 400, matthan.EINVALID, "main or sub", env},
		{"not SDP", "/api/cameras/cam-002/live/sub/whep", "application/json", "{}", 400, matthan.EINVALID, "application/sdp", env2},
		{"garbage SDP", "/api/cameras/cam-002/live/sub/whep", "application/sdp", "hello", 400, matthan.EINVALID, "not valid", env2},
		{"no H.264 offered", "/api/cameras/cam-002/live/sub/whep", "application/sdp",
			strings.ReplaceAll(sdpOffer, "H264", "VP8"), 400, matthan.EINVALID, "cannot play", env2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e := apiError(t, post(tc.env, tc.path, tc.ctype, tc.body))
			if status != tc.status || e.Code != tc.code || !strings.Contains(e.Message, tc.want) || e.MessageVI == "" || e.MessageVI == e.Message {
				t.Errorf("got %d %s %q / %q; want %d %s containing %q, in both languages", status, e.Code, e.Message, e.MessageVI, tc.status, tc.code, tc.want)
			}
		})
	}
	if env2.srv.Sessions() != 0 {
		t.Error("a refused offer left a session")
	}
}

// Sessions end on their own when the stream ends and when the peer leaves.
func TestWHEPSessionEnds(t *testing.T) {
	hub := media.NewHub()
	f := startFeeder(t, hub, media.H264, false)
	env := newTestEnv(t, hubMap{"cam-001/sub": hub}, ICEConfig{UDPAddr: "127.0.0.1:0"})
	t.Logf("ICE on one UDP port: %v", env.srv.localUDPAddr())

	a, res := dialWHEP(t, env, "cam-001", "sub", offerCodecs{h264: true})
	if res != nil {
		t.Fatalf("WHEP refused: %d", res.StatusCode)
	}
	b, res := dialWHEP(t, env, "cam-001", "sub", offerCodecs{h264: true})
	if res != nil {
		t.Fatalf("WHEP refused: %d", res.StatusCode)
	}
	eventually(t, 10*time.Second, "both viewers get frames over the shared UDP port", func() bool {
		return a.frameCount() >= 10 && b.frameCount() >= 10
	})
	a.close() // the peer leaves
	eventually(t, 8*time.Second, "session of a departed peer ends", func() bool { return env.srv.Sessions() == 1 })
	f.stop() // the camera's session ends
	eventually(t, 3*time.Second, "session ends with the stream", func() bool {
		return env.srv.Sessions() == 0 && hub.Subscribers() == 0
	})
}

// Close ends every session, WebRTC and MSE, and leaves no goroutine behind.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	hub := media.NewHub()
	startFeeder(t, hub, media.H264, true)
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()

	srv, err := New(Deps{Hubs: hubMap{"cam-001/sub": hub}, Log: testLogger(t), ICE: ICEConfig{IPs: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{srv: srv}
	env.http = newHTTP(t, srv)
	var clients []*whepClient
	for range 3 {
		c, res := dialWHEP(t, env, "cam-001", "sub", offerCodecs{h264: true, pcmu: true})
		if res != nil {
			t.Fatalf("WHEP refused: %d", res.StatusCode)
		}
		clients = append(clients, c)
	}
	ws := dialMSE(t, env, "cam-001", "sub")
	readHeader(t, ws)
	eventually(t, 10*time.Second, "three WebRTC viewers get frames", func() bool {
		for _, c := range clients {
			if c.frameCount() < 10 {
				return false
			}
		}
		return true
	})
	if srv.Sessions() != 4 || hub.Subscribers() != 4 {
		t.Fatalf("sessions %d, subscribers %d; want 4 and 4", srv.Sessions(), hub.Subscribers())
	}
	srv.Close()
	if srv.Sessions() != 0 || hub.Subscribers() != 0 {
		t.Fatalf("after Close: sessions %d, subscribers %d", srv.Sessions(), hub.Subscribers())
	}
	ws.CloseNow()
	for _, c := range clients {
		c.close()
	}
	env.http.Close()
	http.DefaultClient.CloseIdleConnections()
	eventually(t, 10*time.Second, "goroutines back to where they were", func() bool {
		return runtime.NumGoroutine() <= before
	})
	t.Logf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
}
