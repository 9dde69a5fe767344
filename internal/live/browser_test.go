package live

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan/internal/media"
	"matthan/internal/testutil"
)

// testPage plays one stream with player.js and keeps every state it reported.
const testPage = `<!doctype html>
<meta charset="utf-8">
<video id="v" muted autoplay playsinline width="640" height="360"></video>
<script type="module">
import { LivePlayer } from '/live/player.js';
const q = new URLSearchParams(location.search);
const v = document.getElementById('v');
window.states = [];
const p = new LivePlayer(v, { camera: q.get('camera'), stream: q.get('stream'), transport: q.get('transport'), csrf: 'token' });
p.onstate = (s) => window.states.push(s);
window.player = p;
p.start();
</script>`

// playerState is what the page reports about its player and video element.
type playerState struct {
	State     string  `json:"state"`
	Transport string  `json:"transport"`
	MessageEN string  `json:"message_en"`
	MessageVI string  `json:"message_vi"`
	Time      float64 `json:"time"`
	Frames    int     `json:"frames"`
	States    string  `json:"states"`
}

const stateJS = `(() => {
  const v = document.getElementById('v');
  const s = window.player ? window.player.state : {};
  return { state: s.state || '', transport: s.transport || '', message_en: s.message_en || '', message_vi: s.message_vi || '',
    time: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames,
    states: (window.states || []).map((x) => x.state + '/' + x.transport).join(' ') };
})()`

// latencyJS says how long frames wait in the browser: WebRTC's jitter
// buffer and decode time per frame, or how far MSE plays behind its newest frame.
const latencyJS = `(async () => {
  const p = window.player, v = document.getElementById('v');
  if (p._pc) {
    const stats = await p._pc.getStats();
    let out = 'no inbound video';
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && s.jitterBufferEmittedCount) {
        out = 'WebRTC jitter buffer ' + (1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount).toFixed(1) + ' ms, decode ' +
          (1000 * s.totalDecodeTime / s.framesDecoded).toFixed(1) + ' ms per frame, ' + s.framesDropped + ' dropped, ' + s.packetsLost + ' packets lost';
      }
    });
    return out;
  }
  const b = v.buffered;
  return b.length ? 'MSE plays ' + (1000 * (b.end(b.length - 1) - v.currentTime)).toFixed(0) + ' ms behind its newest frame' : 'MSE: nothing buffered';
})()`

func pageState(t *testing.T, ctx context.Context) playerState {
	t.Helper()
	st, err := chromedp.Run(ctx, chromedp.Evaluate[playerState](stateJS))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return st
}

// waitState polls the page until cond holds.
func waitState(t *testing.T, ctx context.Context, within time.Duration, what string, cond func(playerState) bool) playerState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := pageState(t, ctx)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s; page: %+v", within, what, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The player really plays in Chromium: over WebRTC, over MSE when forced,
// and over MSE when 'auto' finds WebRTC cannot connect; an H.265 main
// stream is refused in words that offer the sub-stream.
func TestBrowserPlays(t *testing.T) {
	ctx, _ := testutil.Chromium(t, 3*time.Minute)
	h264 := media.NewHub()
	startFeeder(t, h264, media.H264, true)
	h265 := media.NewHub()
	startFeeder(t, h265, media.H265, false)
	hubs := hubMap{"cam-001/sub": h264, "cam-004/main": h265}

	for _, tc := range []struct {
		name, camera, stream, transport string
		ice                             ICEConfig
		want                            string // transport that must end up playing
	}{
		{"mse", "cam-001", "sub", "mse", ICEConfig{}, "mse"},
		{"auto prefers webrtc", "cam-001", "sub", "auto", ICEConfig{}, "webrtc"},
		// The server announces an address the browser cannot reach: ICE never
		// connects, so auto falls back to MSE after about 4 s.
		{"auto falls back to mse", "cam-001", "sub", "auto", ICEConfig{IPs: []string{"127.0.0.1"}, AnnounceIPs: []string{"192.0.2.1"}, NoLoopback: false}, "mse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, hubs, tc.ice)
			url := fmt.Sprintf("%s/test.html?camera=%s&stream=%s&transport=%s", env.http.URL, tc.camera, tc.stream, tc.transport)
			start := time.Now()
			if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			st := waitState(t, ctx, 20*time.Second, "the player reports playing", func(s playerState) bool {
				return s.State == "playing" || s.State == "error" && tc.want == ""
			})
			t.Logf("playing over %s after %v (states: %s)", st.Transport, time.Since(start).Round(10*time.Millisecond), st.States)
			if st.Transport != tc.want {
				t.Fatalf("playing over %q, want %q", st.Transport, tc.want)
			}
			time.Sleep(time.Second)
			later := pageState(t, ctx)
			if later.Time < st.Time+0.6 || later.Frames < st.Frames+10 {
				t.Errorf("video not advancing: %.2fs/%d frames, then %.2fs/%d frames 1 s later", st.Time, st.Frames, later.Time, later.Frames)
			}
			lat, err := chromedp.Run(ctx, chromedp.Evaluate[string](latencyJS, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Errorf("latency figures: %v", err)
			}
			t.Logf("browser-side delay: %s", lat)
			list := env.srv.List()
			if len(list) == 1 {
				t.Logf("session opened %v after navigation", list[0].Started.Sub(start).Round(10*time.Millisecond))
			}
			if len(list) != 1 || string(list[0].Transport) != tc.want {
				t.Errorf("server sessions = %+v", list)
			}
			if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.player.stop()`)); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "stop() ends the server's session", func() bool { return env.srv.Sessions() == 0 })
		})
	}

	// When the camera's stream ends the player says so and comes back by
	// itself once the camera does.
	for _, transport := range []string{"webrtc", "mse"} {
		t.Run("reconnects over "+transport, func(t *testing.T) {
			hub := media.NewHub()
			f := startFeeder(t, hub, media.H264, false)
			env := newTestEnv(t, hubMap{"cam-009/sub": hub}, ICEConfig{})
			url := fmt.Sprintf("%s/test.html?camera=cam-009&stream=sub&transport=%s", env.http.URL, transport)
			if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			waitState(t, ctx, 20*time.Second, "playing", func(s playerState) bool { return s.State == "playing" })
			f.stop()
			dropped := time.Now()
			st := waitState(t, ctx, 8*time.Second, "the drop noticed", func(s playerState) bool { return s.State != "playing" })
			t.Logf("drop noticed after %v: %s %q", time.Since(dropped).Round(10*time.Millisecond), st.State, st.MessageEN)
			if st.MessageVI == "" || st.MessageEN == "" {
				t.Errorf("no message for the drop: %+v", st)
			}
			time.Sleep(500 * time.Millisecond)
			startFeeder(t, hub, media.H264, false)
			back := time.Now()
			st = waitState(t, ctx, 15*time.Second, "playing again", func(s playerState) bool { return s.State == "playing" })
			t.Logf("playing again over %s %v after the camera came back (states: %s)", st.Transport, time.Since(back).Round(10*time.Millisecond), st.States)
			if st.Transport != transport {
				t.Errorf("came back over %s, want %s", st.Transport, transport)
			}
			chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.player.stop()`))
		})
	}

	t.Run("h265 main refused with advice", func(t *testing.T) {
		env := newTestEnv(t, hubs, ICEConfig{})
		url := env.http.URL + "/test.html?camera=cam-004&stream=main&transport=auto"
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		st := waitState(t, ctx, 15*time.Second, "an error", func(s playerState) bool { return s.State == "error" || s.State == "playing" })
		t.Logf("H.265 main: %s over %s: %q / %q (states: %s)", st.State, st.Transport, st.MessageEN, st.MessageVI, st.States)
		if st.State != "error" {
			t.Fatalf("state %q: Debian's Chromium plays no H.265, so the player must say so", st.State)
		}
		if !strings.Contains(st.MessageEN, "H.265") || !strings.Contains(st.MessageEN, "sub-stream") || !strings.Contains(st.MessageVI, "luồng phụ") {
			t.Errorf("message %q / %q does not name H.265 and offer the sub-stream", st.MessageEN, st.MessageVI)
		}
	})
}
