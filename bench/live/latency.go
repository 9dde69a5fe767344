//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/chromedp/chromedp"

	"matthan/bench/internal/benchproc"
)

// browser is one headless Chromium signed in to the node.
type browser struct {
	ctx    context.Context
	cancel func()
	csrf   string
}

// startBrowser starts Chromium with the flags of internal/live's browser
// test (autoplay allowed without a gesture) and a fresh profile.
func startBrowser(ctx context.Context, path, profile string) (*browser, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("chromium (make setup installs Debian's package): %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(profile),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{ctx: bctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	if err := chromedp.Do(bctx); err != nil {
		b.cancel()
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	return b, nil
}

// signIn opens one of the node's pages (for its origin) and signs in with
// fetch, as the product's sign-in page does.
func (b *browser) signIn(base, user, password string) error {
	if err := chromedp.Do(b.ctx, chromedp.Navigate(base+"/login")); err != nil {
		return fmt.Errorf("open %s/login: %w", base, err)
	}
	creds, _ := json.Marshal(map[string]string{"name": user, "password": password})
	js := fmt.Sprintf(`(async () => {
  const r = await fetch('/api/session', { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: %q });
  const text = await r.text();
  if (!r.ok) throw new Error('sign-in answered ' + r.status + ': ' + text);
  return JSON.parse(text).csrf_token || '';
})()`, creds)
	csrf, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	b.csrf = csrf
	return nil
}

// pageFigures is what the page reports about the bench player.
type pageFigures struct {
	State     string    `json:"state"`
	Transport string    `json:"transport"`
	Message   string    `json:"message"`
	States    []string  `json:"states"`
	Frames    int       `json:"frames"` // totalVideoFrames of the element
	Samples   int       `json:"samples"`
	BrowserMS *float64  `json:"browser_median_ms"` // from reaching the page to display
	Unmatched int       `json:"unmatched"`
	Reason    string    `json:"reason"`
	Values    []float64 `json:"values"`
	// WebRTC receiver figures over the whole session (getStats).
	JitterMS float64 `json:"jitter_ms"` // jitter buffer delay per frame
	DecodeMS float64 `json:"decode_ms"` // decode time per frame
	Dropped  int     `json:"dropped"`
	Lost     int     `json:"lost"`
	// MSE: how far the element plays behind its newest buffered frame.
	BehindMS float64 `json:"behind_ms"`
}

const figuresJS = `(async (opts) => {
  const p = window.benchPlayer, v = window.benchVideo;
  const out = { state: p.state.state, transport: p.state.transport || '', message: p.state.message_en || '',
    states: window.benchStates.slice(), frames: v.getVideoPlaybackQuality().totalVideoFrames,
    samples: 0, browser_median_ms: null, unmatched: 0, reason: '', values: [], jitter_ms: 0, decode_ms: 0, dropped: 0, lost: 0, behind_ms: 0 };
  if (opts.latency) {
    const l = p.latency({ clear: true, raw: opts.raw });
    Object.assign(out, { samples: l.samples, browser_median_ms: l.browser_median_ms, unmatched: l.unmatched,
      reason: l.reason || '', values: l.values || [] });
  }
  if (p._pc) {
    (await p._pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && s.jitterBufferEmittedCount) {
        out.jitter_ms = 1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount;
        out.decode_ms = s.framesDecoded ? 1000 * s.totalDecodeTime / s.framesDecoded : 0;
        out.dropped = s.framesDropped || 0;
        out.lost = s.packetsLost || 0;
      }
    });
  } else if (v.buffered.length) {
    out.behind_ms = 1000 * (v.buffered.end(v.buffered.length - 1) - v.currentTime);
  }
  return out;
})`

// figures reads the page's figures; with latency it also clears the
// player's latency samples (raw: and returns them).
func (b *browser) figures(latency, raw bool) (pageFigures, error) {
	js := fmt.Sprintf("%s({ latency: %t, raw: %t })", figuresJS, latency, raw)
	return chromedp.Run(b.ctx, chromedp.Evaluate[pageFigures](js, chromedp.EvalAwaitPromise))
}

// play injects a video element and a measuring LivePlayer into the page.
func (b *browser) play(camera, stream, transport string) error {
	w, h := 640, 360
	if stream == "main" {
		w, h = 960, 540
	}
	opts, _ := json.Marshal(map[string]any{"camera": camera, "stream": stream, "transport": transport,
		"csrf": b.csrf, "measure": true})
	js := fmt.Sprintf(`(async () => {
  const { LivePlayer } = await import('/live/player.js');
  if (window.benchPlayer) window.benchPlayer.stop(true);
  document.body.replaceChildren();
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true; v.width = %d; v.height = %d;
  document.body.append(v);
  window.benchStates = [];
  const p = new LivePlayer(v, %s);
  p.onstate = (s) => window.benchStates.push(s.state + '/' + (s.transport || ''));
  window.benchPlayer = p;
  window.benchVideo = v;
  p.start();
  return true;
})()`, w, h, opts)
	_, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
	return err
}

// stop stops the bench player; the node ends its session.
func (b *browser) stop() error {
	return chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](`window.benchPlayer && window.benchPlayer.stop()`))
}

// latencyResult is one measured window of one player.
type latencyResult struct {
	Round     int          `json:"round"`
	Transport string       `json:"transport"`
	Camera    string       `json:"camera"`
	Stream    string       `json:"stream"`
	Window    float64      `json:"window_s"`
	Stats     latencyStats `json:"latency"`
	FPS       num          `json:"fps_measured"` // frames with a latency per second
	// BrowserMS is the median time from the frame reaching the page (its
	// RTP packets assembled, or its WebSocket message) to its display.
	BrowserMS num       `json:"browser_median_ms"`
	Unmatched int       `json:"unmatched"` // frames shown without a stamp found
	Reason    string    `json:"reason,omitempty"`
	States    []string  `json:"states"`    // the player's states since it started
	JitterMS  num       `json:"jitter_ms"` // WebRTC: jitter buffer delay per frame
	DecodeMS  num       `json:"decode_ms"`
	Dropped   int       `json:"frames_dropped"`
	Lost      int       `json:"packets_lost"`
	BehindMS  num       `json:"mse_behind_ms"` // MSE: behind the newest buffered frame at the end
	Busy      float64   `json:"machine_busy_percent"`
	Values    []float64 `json:"-"` // every sample, for the pooled figures
}

// measureLatency plays one stream over one transport and measures the
// latency of every frame shown during the window, after a warm-up.
func (b *browser) measureLatency(ctx context.Context, o options, round int, camera, stream, transport string) (*latencyResult, error) {
	if err := b.play(camera, stream, transport); err != nil {
		return nil, fmt.Errorf("start the player: %w", err)
	}
	defer b.stop()
	deadline := time.Now().Add(o.playTimeout)
	for {
		f, err := b.figures(false, false)
		if err != nil {
			return nil, err
		}
		if f.State == "playing" {
			if f.Transport != transport {
				return nil, fmt.Errorf("playing over %s, not %s (states %v)", f.Transport, transport, f.States)
			}
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("not playing after %s: %s %q (states %v)", o.playTimeout, f.State, f.Message, f.States)
		}
		if err := benchproc.Sleep(ctx, 250*time.Millisecond); err != nil {
			return nil, err
		}
	}
	if err := benchproc.Sleep(ctx, o.latencyWarmup); err != nil {
		return nil, err
	}
	if _, err := b.figures(true, false); err != nil { // clears what the warm-up showed
		return nil, err
	}
	m0, _ := benchproc.ReadMachineCPU()
	t0 := time.Now()
	if err := benchproc.Sleep(ctx, o.latencyWindow); err != nil {
		return nil, err
	}
	f, err := b.figures(true, true)
	if err != nil {
		return nil, err
	}
	window := time.Since(t0).Seconds()
	m1, _ := benchproc.ReadMachineCPU()
	r := &latencyResult{Round: round + 1, Transport: transport, Camera: camera, Stream: stream, Window: window,
		Stats: summarizeLatency(f.Values), FPS: num(float64(len(f.Values)) / window), Unmatched: f.Unmatched,
		Reason: f.Reason, States: f.States, BrowserMS: num(math.NaN()), JitterMS: num(f.JitterMS), DecodeMS: num(f.DecodeMS),
		Dropped: f.Dropped, Lost: f.Lost, BehindMS: num(f.BehindMS), Busy: benchproc.BusyPercent(m0, m1), Values: f.Values}
	if f.BrowserMS != nil {
		r.BrowserMS = num(*f.BrowserMS)
	}
	if f.State != "playing" {
		return r, fmt.Errorf("the player left playing during the window: %s %q (states %v)", f.State, f.Message, f.States)
	}
	return r, nil
}
