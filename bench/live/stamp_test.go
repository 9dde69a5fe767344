//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"matthan/internal/fmp4"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/live"
	"matthan/internal/media"
	"matthan/internal/sim"
)

// stampSEI builds an H.264 SEI NAL unit holding t the way `matthan sim`
// does (internal/sim/stamp.go), escaped, or with another UUID.
func stampSEI(t time.Time, uuid [16]byte) []byte {
	payload := append(uuid[:], binary.BigEndian.AppendUint64(nil, uint64(t.UnixMicro()))...)
	rbsp := append([]byte{5, byte(len(payload))}, payload...)
	rbsp = append(rbsp, 0x80)
	out := []byte{6}
	zeros := 0
	for _, b := range rbsp {
		if zeros >= 2 && b <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// player.js finds the simulator's stamps where the bench looks for them:
// in the Annex-B access units a WebRTC receiver's encoded frames hold, and
// in the fMP4 fragments the node sends for MSE (one frame per fragment,
// written by internal/fmp4 as internal/live does), with emulation
// prevention bytes inside the stamp.
func TestPlayerReadsStamps(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s is not installed (make setup installs Debian's chromium package): %v", chromium, err)
	}
	// Unix microseconds whose bytes hold 00 00 00 and 00 00 03 runs: the
	// escaping must be undone.
	base := time.UnixMicro(0x0006_4800_0000_0003)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 1}, time.Now())

	var units []*media.Unit
	var want []float64 // stamp of each video unit, ms since the epoch
	var aus []string   // each unit as Annex B, base64
	for _, u := range clip.Units {
		if !u.IsVideo() {
			continue
		}
		at := base.Add(time.Duration(len(units)) * 40 * time.Millisecond)
		sei := stampSEI(at, sim.StampUUID)
		if got, ok := sim.ReadStamp(sim.CodecH264, sei); !ok || !got.Equal(at) {
			t.Fatalf("the test's SEI reads back as %v, %v; want %v", got, ok, at)
		}
		v := *u
		v.Data = append([][]byte{stampSEI(at, [16]byte{'n', 'o', 't', ' ', 'o', 'u', 'r', 's'}), sei}, u.Data...)
		units = append(units, &v)
		want = append(want, float64(at.UnixMicro())/1000)
		var ab []byte
		for i, n := range v.Data {
			if i%2 == 0 {
				ab = append(ab, 0) // 4-byte and 3-byte start codes
			}
			ab = append(ab, 0, 0, 1)
			ab = append(ab, n...)
		}
		aus = append(aus, base64.StdEncoding.EncodeToString(ab))
	}

	var buf bytes.Buffer
	w, err := fmp4.NewWriter(&buf, units[0], units[0].Wall, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	init, err := fmp4.Init(clip.Desc)
	if err != nil {
		t.Fatal(err)
	}
	var frags []string
	for _, u := range units {
		wrote, err := w.WriteUnit(u)
		if err != nil {
			t.Fatal(err)
		}
		if wrote && buf.Len() > 0 {
			frags = append(frags, base64.StdEncoding.EncodeToString(buf.Bytes()))
			buf.Reset()
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	frags = append(frags, base64.StdEncoding.EncodeToString(buf.Bytes()))
	if len(frags) != len(units) {
		t.Fatalf("%d fragments for %d frames", len(frags), len(units))
	}

	mux := http.NewServeMux()
	mux.Handle("GET /live/", live.Static())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>blank</title>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	br, err := startBrowser(context.Background(), chromium, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.cancel)
	if err := chromedp.Do(br.ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"init": base64.StdEncoding.EncodeToString(init), "frags": frags, "aus": aus})
	js := fmt.Sprintf(`(async (d) => {
  const m = await import('/live/player.js');
  const dec = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const timescale = m.timescaleOfInit(dec(d.init));
  return { timescale,
    frags: d.frags.map((f) => m.stampsOfFragment(dec(f), timescale)),
    aus: d.aus.map((a) => m.stampOfAnnexB(dec(a))),
    initAsFragment: m.stampsOfFragment(dec(d.init), timescale).length,
    fragAsInit: m.timescaleOfInit(dec(d.frags[0])) };
})(%s)`, in)
	type result struct {
		Timescale      int           `json:"timescale"`
		Frags          [][][]float64 `json:"frags"`
		AUs            []*float64    `json:"aus"`
		InitAsFragment int           `json:"initAsFragment"`
		FragAsInit     int           `json:"fragAsInit"`
	}
	got, err := chromedp.Run(br.ctx, chromedp.Evaluate[result](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got.Timescale != fmp4.VideoTimeScale || got.InitAsFragment != 0 || got.FragAsInit != 0 {
		t.Errorf("time scale %d (want %d), stamps in the init segment %d, time scale of a fragment %d",
			got.Timescale, fmp4.VideoTimeScale, got.InitAsFragment, got.FragAsInit)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-3 }
	for i := range units {
		if a := got.AUs[i]; a == nil || !near(*a, want[i]) {
			t.Errorf("access unit %d: stamp %v, want %.3f", i, a, want[i])
		}
		pts := (units[i].PTS - units[0].PTS).Seconds()
		f := got.Frags[i]
		if len(f) != 1 || len(f[0]) != 2 || math.Abs(f[0][0]-pts) > 1.0/fmp4.VideoTimeScale || !near(f[0][1], want[i]) {
			t.Errorf("fragment %d: %v, want [[%.4f %.3f]]", i, f, pts, want[i])
		}
	}
}
