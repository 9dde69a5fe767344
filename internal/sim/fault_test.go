package sim

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"matthan"
)

// TestFaults switches each fault on one camera while another camera is
// read throughout: each fault must show the way a real broken camera does,
// and the bystander must not lose a single packet.
func TestFaults(t *testing.T) {
	lib := testLibrary(t)
	s := startSim(t, lib, Config{Cameras: 8, H265Every: 4})
	bystander := mustPlay(t, s.URL("cam-008", matthan.StreamSub))
	url := func(id string) string { return s.URL(id, matthan.StreamMain) }
	setFault := func(t *testing.T, id string, f Fault) {
		t.Helper()
		if err := s.SetFault(id, f); err != nil {
			t.Fatalf("SetFault(%s, %s): %v", id, f.Kind, err)
		}
	}
	// receiving waits until r gets media, failing the test if it does not.
	receiving := func(t *testing.T, r *rtspReader) {
		t.Helper()
		n := r.frames()
		if !waitFor(3*time.Second, func() bool { return r.frames() > n+2 }) {
			t.Fatal("no media")
		}
	}

	t.Run("drop", func(t *testing.T) {
		r := mustPlay(t, url("cam-001"))
		receiving(t, r)
		setFault(t, "cam-001", Fault{Kind: FaultDrop})
		if !r.closed(2 * time.Second) {
			t.Fatal("session still open after drop")
		}
		if f, _ := s.FaultOf("cam-001"); f.Kind != FaultNone {
			t.Errorf("drop left fault %q; it is an action, not a state", f.Kind)
		}
		receiving(t, mustPlay(t, url("cam-001"))) // clients may reconnect at once
	})

	t.Run("stall", func(t *testing.T) {
		r := mustPlay(t, url("cam-002"))
		receiving(t, r)
		setFault(t, "cam-002", Fault{Kind: FaultStall})
		stalled := time.Now()
		time.Sleep(2500 * time.Millisecond)
		for _, p := range r.packets() {
			if p.at.After(stalled.Add(100 * time.Millisecond)) {
				t.Fatalf("packet %v after the stall began", p.at.Sub(stalled))
			}
		}
		if r.closed(0) {
			t.Fatal("the stall closed the session; it must stay open")
		}
		before := len(r.packets())
		setFault(t, "cam-002", Fault{Kind: FaultNone})
		receiving(t, r)
		// Media resumes with a keyframe and timestamps that kept counting.
		pkts := r.packets()
		if aus := decodeAUs(t, r.forma, pkts[before:]); len(aus) == 0 || !isKey(r.forma, aus[0]) {
			t.Error("media did not resume with a keyframe")
		}
		gap := time.Duration(pkts[before].ts-pkts[before-1].ts) * time.Second / 90000
		if gap < 2400*time.Millisecond || gap > 4*time.Second {
			t.Errorf("timestamps moved %v over a ~2.5 s stall", gap)
		}
	})

	t.Run("garbage", func(t *testing.T) {
		r := mustPlay(t, url("cam-003"))
		receiving(t, r)
		setFault(t, "cam-003", Fault{Kind: FaultGarbage})
		// Packets already on their way may be real: look only at those
		// that came 100 ms after the fault, and wait for a few (three
		// frames can arrive in one batch before that).
		since := time.Now().Add(100 * time.Millisecond)
		after := func() int {
			n := 0
			for _, p := range r.packets() {
				if p.at.After(since) {
					n++
				}
			}
			return n
		}
		if !waitFor(3*time.Second, func() bool { return after() > 2 }) {
			t.Fatal("no packets during the garbage fault")
		}
		real := map[string]bool{}
		for _, f := range lib.clips[0].main.frames {
			for _, p := range f.packets {
				real[string(p.payload)] = true
			}
		}
		for _, p := range r.packets() {
			if p.at.After(since) && real[string(p.payload)] {
				t.Fatal("a real packet was sent during the garbage fault")
			}
		}
		// A real decoder chokes on it.
		out, _ := runCmd(t, 30*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
			"-i", url("cam-003"), "-t", "2", "-f", "null", "-")
		if strings.TrimSpace(out) == "" {
			t.Error("ffmpeg decoded garbage without a single error")
		}
		setFault(t, "cam-003", Fault{Kind: FaultNone})
		before := len(r.packets())
		receiving(t, r)
		// Garbage sent just before the fault cleared may still arrive; after
		// it, the first real packet starts a keyframe.
		pkts := r.packets()[before:]
		first := slices.IndexFunc(pkts, func(p rxPacket) bool { return real[string(p.payload)] })
		if first < 0 {
			t.Fatal("no valid media after the garbage fault cleared")
		}
		if aus := decodeAUs(t, r.forma, pkts[first:]); len(aus) == 0 || !isKey(r.forma, aus[0]) {
			t.Error("valid media did not resume with a keyframe")
		}
	})

	t.Run("password", func(t *testing.T) {
		r := mustPlay(t, url("cam-005"))
		receiving(t, r)
		setFault(t, "cam-005", Fault{Kind: FaultPassword, User: "admin", Password: "Matkhau123"})
		if !r.closed(2 * time.Second) {
			t.Fatal("open session survived the password change")
		}
		host := s.Addr()
		for _, u := range []string{
			"rtsp://" + host + "/cam-005/main",
			"rtsp://admin:wrong@" + host + "/cam-005/main",
		} {
			_, err := play(t, u)
			var bad liberrors.ErrClientBadStatusCode
			if !errors.As(err, &bad) || bad.Code != base.StatusUnauthorized {
				t.Errorf("%s: err %v, want 401", u, err)
			}
		}
		receiving(t, mustPlay(t, "rtsp://admin:Matkhau123@"+host+"/cam-005/main"))

		// Basic, by hand; Digest, by ffprobe (it picks Digest when offered).
		if code, hdr := rawDescribe(t, host, "/cam-005/main", ""); code != 401 ||
			!strings.Contains(hdr, "Basic") || !strings.Contains(hdr, "Digest") {
			t.Errorf("no credentials: %d, WWW-Authenticate %q; want 401 offering Basic and Digest", code, hdr)
		}
		if code, _ := rawDescribe(t, host, "/cam-005/main", "admin:Matkhau123"); code != 200 {
			t.Errorf("Basic with the right password: %d, want 200", code)
		}
		out, err := runCmd(t, 30*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
			"-show_entries", "stream=codec_name", "-of", "csv=p=0", "rtsp://admin:Matkhau123@"+host+"/cam-005/main")
		if err != nil || strings.TrimSpace(out) != "h264" {
			t.Errorf("ffprobe with the password: %v %q", err, out)
		}
		// Other cameras stay open.
		receiving(t, mustPlay(t, url("cam-006")))
		setFault(t, "cam-005", Fault{Kind: FaultNone})
		receiving(t, mustPlay(t, url("cam-005")))
	})

	t.Run("resolution", func(t *testing.T) {
		if err := s.SetFault("cam-004", Fault{Kind: FaultResolution}); matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("resolution fault on an H.265 camera: %v, want invalid", err)
		}
		r := mustPlay(t, url("cam-006"))
		receiving(t, r)
		setFault(t, "cam-006", Fault{Kind: FaultResolution})
		widthsSeen := func() []int { return spsWidths(decodeAUs(t, r.forma, r.packets())) }
		if !waitFor(3*time.Second, func() bool { w := widthsSeen(); return len(w) > 0 && w[len(w)-1] == 1280 }) {
			t.Fatalf("no 1280-wide SPS within a GOP; widths seen %v", widthsSeen())
		}
		if got, _ := s.FaultOf("cam-006"); got.Kind != FaultResolution {
			t.Errorf("fault = %q", got.Kind)
		}
		setFault(t, "cam-006", Fault{Kind: FaultNone})
		if !waitFor(3*time.Second, func() bool { w := widthsSeen(); return w[len(w)-1] == 1920 }) {
			t.Fatalf("did not switch back to 1920; widths seen %v", widthsSeen())
		}
		if r.closed(0) {
			t.Fatal("the resolution change closed the session")
		}
		checkContinuous(t, "cam-006 main", r.packets(), 90000/mainFPS)
	})

	t.Run("offline", func(t *testing.T) {
		r := mustPlay(t, url("cam-007"))
		receiving(t, r)
		setFault(t, "cam-007", Fault{Kind: FaultOffline})
		if !r.closed(2 * time.Second) {
			t.Fatal("session survived going offline")
		}
		if _, err := play(t, url("cam-007")); err == nil {
			t.Fatal("an offline camera answered")
		}
		if out, err := runCmd(t, 30*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", url("cam-007")); err == nil {
			t.Errorf("ffprobe read an offline camera: %s", out)
		}
		receiving(t, mustPlay(t, url("cam-006"))) // the others stay up
		setFault(t, "cam-007", Fault{Kind: FaultNone})
		receiving(t, mustPlay(t, url("cam-007")))
	})

	t.Run("unknown", func(t *testing.T) {
		if err := s.SetFault("cam-999", Fault{Kind: FaultStall}); matthan.ErrorCode(err) != matthan.ENOTFOUND {
			t.Errorf("unknown camera: %v", err)
		}
		if err := s.SetFault("cam-001", Fault{Kind: "melt"}); matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("unknown fault: %v", err)
		}
		if err := s.SetFault("cam-001", Fault{Kind: FaultPassword}); matthan.ErrorCode(err) != matthan.EINVALID {
			t.Errorf("password fault without a password: %v", err)
		}
	})

	// Through it all the bystander streamed without a gap.
	if bystander.closed(0) {
		t.Fatal("the bystander's session ended")
	}
	checkContinuous(t, "bystander", bystander.packets(), 90000/subFPS)
	pkts := bystander.packets()
	media := time.Duration(pkts[len(pkts)-1].ts-pkts[0].ts) * time.Second / 90000
	if wall := pkts[len(pkts)-1].at.Sub(pkts[0].at); wall-media > 500*time.Millisecond {
		t.Errorf("bystander got %v of media in %v", media, wall)
	}
}

// rawDescribe sends one DESCRIBE, with Basic credentials if userPass is set,
// and returns the status code and WWW-Authenticate header.
func rawDescribe(t *testing.T, host, path, userPass string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "DESCRIBE rtsp://" + host + path + " RTSP/1.0\r\nCSeq: 1\r\n"
	if userPass != "" {
		req += "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userPass)) + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var res base.Response
	if err := res.Unmarshal(br); err != nil {
		t.Fatalf("read response: %v", err)
	}
	return int(res.StatusCode), strings.Join(res.Header["WWW-Authenticate"], ", ")
}

func TestControlHandler(t *testing.T) {
	s := startSim(t, testLibrary(t), Config{Cameras: 4, H265Every: 4})
	srv := httptest.NewServer(s.ControlHandler())
	t.Cleanup(srv.Close)

	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		if _, err := bufio.NewReader(res.Body).WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, b.String()
	}

	tests := []struct {
		name, method, path, body string
		code                     int
		contains                 []string
		absent                   []string
	}{
		{"stall", "POST", "/cameras/cam-001/fault", `{"fault":"stall"}`, 200, []string{`"fault":"stall"`}, nil},
		{"password hidden", "POST", "/cameras/cam-002/fault", `{"fault":"password","user":"u","password":"SecretPw9"}`, 200,
			[]string{`"fault":"password"`, `"user":"u"`}, []string{"SecretPw9"}},
		{"clear", "DELETE", "/cameras/cam-001/fault", "", 200, []string{`"fault":"none"`}, nil},
		{"unknown camera", "POST", "/cameras/cam-404/fault", `{"fault":"stall"}`, 404, []string{`"message_vi"`}, nil},
		{"unknown fault", "POST", "/cameras/cam-001/fault", `{"fault":"melt"}`, 400, []string{"melt", `"message_vi"`}, nil},
		{"bad json", "POST", "/cameras/cam-001/fault", `stall`, 400, []string{`"code":"invalid"`}, nil},
		{"resolution on H.265", "POST", "/cameras/cam-004/fault", `{"fault":"resolution"}`, 400, []string{"H.265"}, nil},
		{"resolution", "POST", "/cameras/cam-003/fault", `{"fault":"resolution"}`, 200, []string{`"main_size":"1280x720"`}, nil},
		{"list", "GET", "/cameras", "", 200,
			[]string{`"id":"cam-004"`, `"main_codec":"H265"`, `"fault":"password"`, `"rtsp://` + s.Addr() + `/cam-001/main"`},
			[]string{"SecretPw9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Errorf("status %d, want %d: %s", code, tt.code, body)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %s: %s", s, body)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(body, s) {
					t.Errorf("body shows %s: %s", s, body)
				}
			}
		})
	}

	_, body := do("GET", "/cameras", "")
	var list []cameraStatus
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 4 {
		t.Fatalf("list: %v, %d cameras", err, len(list))
	}
	if got, _ := s.FaultOf("cam-001"); got.Kind != FaultNone {
		t.Errorf("cam-001 fault %q after DELETE", got.Kind)
	}
}
