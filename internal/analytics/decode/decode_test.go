package decode

import (
	"context"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"matthan/internal/analytics"
	"matthan/internal/media"
)

// startDecoder runs a decoder of hub until the end of the test.
func startDecoder(t *testing.T, hub *media.Hub, cfg Config) *Decoder {
	t.Helper()
	cfg.CameraID = "cam-1"
	cfg.MinBackoff = 50 * time.Millisecond
	cfg.Buffer = 64
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), nil))
	d := New(hub, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if s := d.Stats(); s.Running {
			t.Errorf("ffmpeg still running after Run returned: %+v", s)
		}
	})
	waitFor(t, "subscription", 5*time.Second, func() bool { return hub.Subscribers() > 0 })
	return d
}

// collect reads frames until n are in or timeout passes.
func collect(d *Decoder, n int, timeout time.Duration) []*analytics.Frame {
	var fs []*analytics.Frame
	deadline := time.After(timeout)
	for len(fs) < n {
		select {
		case f := <-d.Frames():
			fs = append(fs, f)
		case <-deadline:
			return fs
		}
	}
	return fs
}

// TestDecodeRealClip feeds a real 640x360 10 fps clip through a hub, as a
// camera's sub-stream, and checks that frames come out at 5 fps of media
// time, scaled, with each unit's wall time, for both codecs.
func TestDecodeRealClip(t *testing.T) {
	for _, tc := range []struct {
		codec        media.Codec
		width        int
		wantW, wantH int
	}{
		{media.H264, 320, 320, 180},
		{media.H265, 0, 640, 360},
	} {
		t.Run(string(tc.codec), func(t *testing.T) {
			c := realClip(t, tc.codec, 640, 360, 10, 3)
			hub := media.NewHub()
			d := startDecoder(t, hub, Config{Width: tc.width})
			f := &feeder{hub: hub, wall0: time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)}
			f.play(t.Context(), c, c.desc, 0, 1, 1)
			// ffmpeg writes back every 2nd of the 30 units (10 fps kept at
			// 5) and holds back the last few units while the input is
			// open (its pipeline, not the reorder: there are no
			// B-frames), so 13 to 15 of the 15 come out (seen: 14
			// unloaded, 13 on a loaded machine).
			frames := collect(d, 15, 3*time.Second)
			if len(frames) < 13 {
				t.Fatalf("%d frames from 3 s at 5 fps, want 13 to 15; stats %+v", len(frames), d.Stats())
			}
			for i, fr := range frames {
				wantPTS := time.Duration(i) * 200 * time.Millisecond
				if fr.PTS != wantPTS || !fr.At.Equal(f.wall0.Add(wantPTS)) || fr.At.Location() != time.UTC {
					t.Errorf("frame %d: PTS %v at %v, want %v", i, fr.PTS, fr.At, wantPTS)
				}
				if fr.Width != tc.wantW || fr.Height != tc.wantH || len(fr.BGR) != tc.wantW*tc.wantH*3 || fr.CameraID != "cam-1" {
					t.Fatalf("frame %d: %dx%d, %d bytes, camera %q", i, fr.Width, fr.Height, len(fr.BGR), fr.CameraID)
				}
			}
			s := d.Stats()
			if s.KeepEvery != 2 || s.Decoded < 13 || s.Decoded > 15 || s.Dropped != 0 || s.Delivered < uint64(len(frames)) ||
				s.UnitsWritten != 30 || s.Starts != 1 || !s.Running || s.CPU <= 0 {
				t.Errorf("stats %+v", s)
			}
			// Real pictures: the frames differ (traffic moves) and are not grey.
			if diff := meanAbsDiff(frames[0].BGR, frames[9].BGR); diff < 2 {
				t.Errorf("first and last frames differ by %.2f on average: not the real clip", diff)
			}
		})
	}
}

func meanAbsDiff(a, b []byte) float64 {
	var sum int
	for i := range a {
		d := int(a[i]) - int(b[i])
		sum += max(d, -d)
	}
	return float64(sum) / float64(len(a))
}

// TestDecodeRestarts checks the supervision: a killed ffmpeg is restarted
// and frames go on; a new description (the camera's resolution changed)
// restarts it at the new size.
func TestDecodeRestarts(t *testing.T) {
	c := realClip(t, media.H264, 320, 180, 10, 1)
	hub := media.NewHub()
	d := startDecoder(t, hub, Config{FPS: 10})
	f := &feeder{hub: hub, wall0: time.Now().UTC()}
	feedCtx, stopFeeding := context.WithCancel(t.Context())
	var feeding sync.WaitGroup
	defer func() { stopFeeding(); feeding.Wait() }()
	done := make(chan time.Duration, 2)
	ctx, cancel := context.WithCancel(feedCtx)
	defer cancel()
	feeding.Go(func() { done <- f.play(ctx, c, c.desc, 0, 1000, 1) })

	if fs := collect(d, 3, 5*time.Second); len(fs) != 3 {
		t.Fatalf("%d frames before the kill", len(fs))
	}
	pid := d.Stats().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a restart", 5*time.Second, func() bool { s := d.Stats(); return s.Restarts == 1 && s.Running })
	s := d.Stats()
	if s.PID == pid || s.LastError == "" {
		t.Errorf("after the kill: %+v", s)
	}
	for len(d.Frames()) > 0 {
		<-d.Frames()
	}
	fs := collect(d, 3, 5*time.Second)
	if len(fs) != 3 || fs[0].Width != 320 {
		t.Fatalf("%d frames after the restart", len(fs))
	}

	// The camera comes back at another resolution: a new Desc.
	cancel()
	pts := <-done
	big := realClip(t, media.H264, 480, 270, 10, 1)
	desc := &media.Desc{Tracks: big.desc.Tracks}
	feeding.Go(func() { done <- f.play(feedCtx, big, desc, pts, 1000, 1) })
	waitFor(t, "a frame at the new size", 5*time.Second, func() bool {
		fr := <-d.Frames()
		return fr.Width == 480 && fr.Height == 270 && len(fr.BGR) == 480*270*3
	})
	if s := d.Stats(); s.Restarts != 2 || s.Width != 480 {
		t.Errorf("after the new description: %+v", s)
	}
}

// TestDecodeFrameRateChange checks that a camera going from 10 to 25 fps
// with the same stream description (the rate is not in it) gets a new
// ffmpeg, once the new rate is measured, at a keyframe, that writes back
// every 5th frame instead of every 2nd; frames stay about 200 ms of media
// time apart across the change, each with its own unit's time.
func TestDecodeFrameRateChange(t *testing.T) {
	slow := realClip(t, media.H264, 320, 180, 10, 2)
	fast := realClip(t, media.H264, 320, 180, 25, 2)
	for _, u := range fast.units {
		u.Desc = slow.desc
	}
	hub := media.NewHub()
	d := startDecoder(t, hub, Config{})
	f := &feeder{hub: hub, wall0: time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)}
	pts := f.play(t.Context(), slow, slow.desc, 0, 1, 4)
	f.play(t.Context(), fast, slow.desc, pts, 1, 4)
	frames := collect(d, 19, 5*time.Second) // 4 s at 5 fps, less what ffmpeg holds back
	if len(frames) < 18 {
		t.Fatalf("%d frames from 4 s at 5 fps; stats %+v", len(frames), d.Stats())
	}
	// The first second at 25 fps is still decoded keeping every 2nd frame
	// (the median interval needs a few units to move, then a keyframe):
	// Go's grid takes the first frame at or after each 200 ms step. From
	// the keyframe at 3 s on, ffmpeg's every 5th frame is on the grid.
	for i, fr := range frames {
		grid := time.Duration(i) * 200 * time.Millisecond
		late := fr.PTS - grid
		if late < 0 || late >= 80*time.Millisecond || (grid < 2*time.Second || grid >= 3*time.Second) && late != 0 ||
			!fr.At.Equal(f.wall0.Add(fr.PTS)) {
			t.Errorf("frame %d: PTS %v at %v, want %v or up to one 25 fps frame after it in the 3rd second", i, fr.PTS, fr.At, grid)
		}
	}
	if s := d.Stats(); s.KeepEvery != 5 || s.Restarts != 1 || s.UnitsWritten != 70 {
		t.Errorf("stats %+v", s)
	}
}

// TestDecodeStartPlaces: two cameras whose keyframes come at the same
// moment share one start place: one ffmpeg starts, the other waits for its
// stream's next keyframe, and both then decode. A place is given back once
// the first frame is in, and by an ffmpeg that could not start.
func TestDecodeStartPlaces(t *testing.T) {
	c := realClip(t, media.H264, 320, 180, 10, 3)
	starting := make(chan struct{}, 1)
	hubA, hubB := media.NewHub(), media.NewHub()
	a := startDecoder(t, hubA, Config{Starting: starting})
	b := startDecoder(t, hubB, Config{Starting: starting})
	fa := &feeder{hub: hubA, wall0: time.Now().UTC()}
	fb := &feeder{hub: hubB, wall0: fa.wall0}
	var feeding sync.WaitGroup
	feeding.Go(func() { fa.play(t.Context(), c, c.desc, 0, 1, 1) })
	feeding.Go(func() { fb.play(t.Context(), c, c.desc, 0, 1, 1) })
	feeding.Wait()
	waitFor(t, "frames from both", 5*time.Second, func() bool {
		return a.Stats().Delivered > 0 && b.Stats().Delivered > 0
	})
	sa, sb := a.Stats(), b.Stats()
	if sa.StartWaits+sb.StartWaits == 0 || sa.Starts != 1 || sb.Starts != 1 {
		t.Errorf("both started at once or one started twice: %+v %+v", sa, sb)
	}
	if len(starting) != 0 {
		t.Errorf("%d start places still taken after both decoders delivered", len(starting))
	}

	broken := startDecoder(t, media.NewHub(), Config{Starting: starting, FFmpeg: "/nonexistent/ffmpeg"})
	f := &feeder{hub: broken.hub, wall0: time.Now().UTC()}
	f.play(t.Context(), c, c.desc, 0, 1, 10)
	waitFor(t, "the failed start", 5*time.Second, func() bool { return broken.Stats().LastError != "" })
	if len(starting) != 0 {
		t.Errorf("a decoder that could not start ffmpeg kept its start place")
	}
}

func TestKeepEvery(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		fps      float64
		interval []time.Duration // between units
		want     int
		known    bool
	}{
		{5, nil, 1, false},
		{5, []time.Duration{100 * ms}, 1, false}, // one interval: the first unit's PTS is no interval from zero
		{5, []time.Duration{100 * ms, 100 * ms}, 2, true},
		{5, []time.Duration{40 * ms, 40 * ms, 40 * ms}, 5, true},
		{5, []time.Duration{33366666, 33366666, 33366666}, 6, true}, // 29.97 fps: 200.2 ms apart, within the grid's tolerance
		{5, []time.Duration{33333333, 33333334, 33333333}, 6, true}, // 30 fps
		{5, []time.Duration{83333333, 83333333}, 2, true},           // 12 fps: every 2nd, 6 fps (Go keeps 5)
		{5, []time.Duration{125 * ms, 125 * ms}, 1, true},           // 8 fps
		{10, []time.Duration{100 * ms, 100 * ms}, 1, true},
		{25, []time.Duration{40 * ms, 40 * ms}, 1, true},
		// A late unit, a lost one, a gap and a restarted stream move nothing.
		{5, []time.Duration{40 * ms, 55 * ms, 25 * ms, 80 * ms, 40 * ms, 3 * time.Second, -time.Hour, 40 * ms}, 5, true},
	} {
		var r frameRate
		pts := 40 * ms // a stream's first unit: not an interval from zero
		r.add(pts)
		for _, d := range tc.interval {
			pts += d
			r.add(pts)
		}
		if got, known := r.keepEvery(tc.fps); got != tc.want || known != tc.known {
			t.Errorf("%v fps after %v: %d, %v; want %d, %v", tc.fps, tc.interval, got, known, tc.want, tc.known)
		}
	}
}

// TestDecodeSlowConsumer checks that nobody waits for a consumer that reads
// no frames: the hub publishes at full speed, the decoder keeps only the
// newest frames and counts the others as lost.
func TestDecodeSlowConsumer(t *testing.T) {
	c := realClip(t, media.H264, 320, 180, 10, 2)
	hub := media.NewHub()
	d := New(hub, Config{CameraID: "cam-1", Buffer: 2, FPS: 10})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "subscription", 5*time.Second, func() bool { return hub.Subscribers() > 0 })
	f := &feeder{hub: hub, wall0: time.Now().UTC()}
	start := time.Now()
	f.play(t.Context(), c, c.desc, 0, 5, 1000) // 10 s of video, as fast as possible
	if el := time.Since(start); el > time.Second {
		t.Errorf("publishing 100 units took %v", el)
	}
	waitFor(t, "the decoder to settle", 10*time.Second, func() bool {
		s := d.Stats()
		return s.Decoded > 0 && s.Decoded+s.HubSkips > 0 && s.Lost > 0 && s.Delivered == s.Lost+2
	})
	if len(d.Frames()) != 2 {
		t.Errorf("%d frames waiting, want the buffer's 2", len(d.Frames()))
	}
}

func TestOutputSize(t *testing.T) {
	for _, tc := range []struct{ sw, sh, width, w, h int }{
		{640, 360, 0, 640, 360},
		{640, 360, 320, 320, 180},
		{1920, 1080, 640, 640, 360},
		{640, 480, 1280, 640, 480},
		{2560, 1440, 333, 332, 186},
	} {
		if w, h := OutputSize(tc.sw, tc.sh, tc.width); w != tc.w || h != tc.h {
			t.Errorf("OutputSize(%d, %d, %d) = %dx%d, want %dx%d", tc.sw, tc.sh, tc.width, w, h, tc.w, tc.h)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	stat := []byte("1234 (ff mpeg (x)) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0\n")
	if d, err := parseStatCPU(stat); err != nil || d != 3*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 3s", d, err)
	}
	if _, err := parseStatCPU([]byte("1234 (x) S 1")); err == nil {
		t.Error("a short stat parsed")
	}
}
