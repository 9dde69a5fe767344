//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"matthan/internal/media"
	"matthan/internal/rtsp"
)

// BenchmarkIngestPipeline measures our hot path per video frame: RTP over
// RTSP/TCP on loopback → rtsp.Pull (gortsplib client, depacketizer) →
// media.Hub → one subscriber draining it. The camera is a minimal RTSP
// replayer written here (not gortsplib's server) that writes pre-packetized
// 1080p 4 Mbit/s H.264 as fast as TCP takes it, so the run is CPU-bound on
// the client side; one op is one frame received.
//
// Reported besides ns/op (wall time per frame, all streams together):
//   - cpu-ns/frame: process CPU time (user+sys) per frame, minus the CPU
//     of the replayer threads (each locked to its own OS thread and measured
//     with RUSAGE_THREAD). Loopback delivery charged to the sender stays
//     with the sender, as it does with a real camera.
//   - %core/stream: cpu-ns/frame at 25 fps, as a percentage of one core:
//     the figure to compare with the orchestrator's cpu%/stream.
//   - skips: times the draining subscriber fell behind and was moved to the
//     next keyframe. Unpaced input can outrun it on two cores, so a few are
//     normal here; with cameras at 25 fps there are none.
func BenchmarkIngestPipeline(b *testing.B) {
	clip := loadBenchClip(b)
	for _, streams := range []int{1, 10} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			benchPipeline(b, clip, streams)
		})
	}
}

func benchPipeline(b *testing.B, clip *benchClip, streams int) {
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	rp := &replayer{clip: clip}
	var wg sync.WaitGroup
	wg.Go(func() { rp.serve(ctx, ln) })
	defer wg.Wait()
	defer cancel()

	rc := &frameCounter{done: make(chan struct{})}
	var subs []*media.Subscription
	for i := range streams {
		hub := media.NewHub()
		sub := hub.Subscribe(128)
		subs = append(subs, sub)
		wg.Go(func() {
			for range sub.Units() { // a consumer that keeps up
			}
		})
		url := fmt.Sprintf("rtsp://%s/cam-%03d/main", ln.Addr(), i+1)
		wg.Go(func() {
			err := rtsp.Pull(ctx, rtsp.PullRequest{URL: url, Transport: rtsp.TransportTCP, Timeout: 10 * time.Second},
				&countingReceiver{hub: hub, count: rc}, nil)
			if err != nil && ctx.Err() == nil {
				b.Errorf("pull %s: %v", url, err)
				cancel()
			}
		})
	}
	defer func() {
		for _, s := range subs {
			s.Close()
		}
	}()

	// Wait until every stream delivers, so the handshakes are not measured.
	for rp.playing.Load() < int32(streams) || rc.frames.Load() < int64(streams*clip.gop) {
		if ctx.Err() != nil {
			b.Fatal("a stream failed to start")
		}
		time.Sleep(5 * time.Millisecond)
	}

	b.SetBytes(int64(clip.bytes / len(clip.frames)))
	b.ReportAllocs()
	rp.mark(1)
	cpu0 := processCPU()
	b.ResetTimer()
	if !rc.waitFor(int64(b.N)) {
		b.Fatal("the streams stopped before the benchmark ended")
	}
	b.StopTimer()
	cpu1 := processCPU()
	replayerCPU := rp.mark(2)

	cpu := float64(cpu1-cpu0-replayerCPU) / float64(b.N)
	b.ReportMetric(cpu, "cpu-ns/frame")
	b.ReportMetric(cpu*simFPS/1e7, "%core/stream")
	var skips uint64
	for _, s := range subs {
		skips += s.Skips()
	}
	b.ReportMetric(float64(skips), "skips")
}

// countingReceiver passes units to a hub and counts video frames.
type countingReceiver struct {
	hub   *media.Hub
	count *frameCounter
}

func (r *countingReceiver) WriteUnit(u *media.Unit) {
	r.hub.WriteUnit(u)
	if u.IsVideo() {
		r.count.add()
	}
}

func (r *countingReceiver) PacketsLost(n uint64)  {}
func (r *countingReceiver) DecodeErrors(n uint64) {}

// frameCounter counts frames over all streams and says when a target is reached.
type frameCounter struct {
	frames atomic.Int64
	target atomic.Int64 // 0: none
	once   sync.Once
	done   chan struct{}
}

func (c *frameCounter) add() {
	if n := c.frames.Add(1); n == c.target.Load() {
		c.once.Do(func() { close(c.done) })
	}
}

// waitFor waits until n more frames than now have arrived.
func (c *frameCounter) waitFor(n int64) bool {
	target := c.frames.Load() + n
	c.target.Store(target)
	if c.frames.Load() >= target {
		return true
	}
	select {
	case <-c.done:
		return true
	case <-time.After(time.Minute):
		return false
	}
}

// processCPU is this process's user+system CPU time, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// threadCPU is the calling OS thread's user+system CPU time, in nanoseconds.
func threadCPU() int64 {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchClip is a short 1080p25 H.264 clip as RTP packets, framed for RTSP
// over TCP, ready to be written in a loop.
type benchClip struct {
	sdp    []byte
	frames [][]byte // per frame: interleaved frames ('$', channel 0, length, RTP packet), back to back
	bytes  int      // H.264 payload bytes of all frames
	gop    int      // frames per GOP
}

// loadBenchClip encodes two seconds of a moving test pattern with ffmpeg,
// the way the simulator encodes its main streams.
func loadBenchClip(b *testing.B) *benchClip {
	b.Helper()
	const seconds, gop = 4, 50
	path := filepath.Join(b.TempDir(), "clip.h264")
	cmd := exec.CommandContext(b.Context(), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=1920x1080:rate=%d,noise=alls=12:allf=t", simFPS),
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "ultrafast",
		"-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M",
		"-x264-params", fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:bframes=0:repeat-headers=1:aud=1", gop, gop),
		"-f", "h264", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	nalus := splitAnnexB(raw)

	// Access units start at each delimiter; the delimiters themselves are not sent.
	var aus [][][]byte
	for _, n := range nalus {
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
			aus = append(aus, nil)
			continue
		}
		if len(aus) == 0 {
			aus = append(aus, nil)
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], n)
	}

	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	enc, err := forma.CreateEncoder()
	if err != nil {
		b.Fatal(err)
	}
	clip := &benchClip{gop: gop}
	for _, au := range aus {
		pkts, err := enc.Encode(au)
		if err != nil {
			b.Fatal(err)
		}
		var buf []byte
		for _, p := range pkts {
			raw, err := p.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			buf = append(buf, '$', 0, byte(len(raw)>>8), byte(len(raw)))
			buf = append(buf, raw...)
		}
		for _, n := range au {
			clip.bytes += len(n)
		}
		clip.frames = append(clip.frames, buf)
	}
	desc := &description.Session{Medias: []*description.Media{{
		Type: description.MediaTypeVideo, Control: "trackID=0", Formats: []format.Format{forma},
	}}}
	if clip.sdp, err = desc.Marshal(); err != nil {
		b.Fatal(err)
	}
	b.Logf("bench clip: %d frames 1920x1080, %.2f Mbit/s", len(clip.frames),
		float64(clip.bytes)*8/float64(len(clip.frames))*simFPS/1e6)
	return clip
}

// replayer is a minimal RTSP camera: it answers OPTIONS, DESCRIBE, SETUP
// (TCP interleaved only) and PLAY, then writes the clip in a loop with
// rising sequence numbers and timestamps, as fast as the reader takes it.
type replayer struct {
	clip    *benchClip
	playing atomic.Int32

	phase   atomic.Int32 // measurement marks, see mark
	mu      sync.Mutex
	cpu     map[int32]int64 // per mark: sum of the writer threads' CPU
	marked  map[int32]int   // per mark: writers that recorded it
	writers int
}

// mark starts measurement mark m (1: start, 2: end) and returns the CPU the
// writer threads spent between marks 1 and 2 once they have all seen m.
func (r *replayer) mark(m int32) int64 {
	r.phase.Store(m)
	for {
		r.mu.Lock()
		done := r.marked[m] >= r.writers
		cpu := r.cpu[2] - r.cpu[1]
		r.mu.Unlock()
		if done {
			return cpu
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *replayer) serve(ctx context.Context, ln net.Listener) {
	context.AfterFunc(ctx, func() { ln.Close() })
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		context.AfterFunc(ctx, func() { conn.Close() })
		wg.Go(func() {
			defer conn.Close()
			r.session(conn)
		})
	}
}

func (r *replayer) session(conn net.Conn) {
	br := bufio.NewReader(conn)
	for {
		var req base.Request
		if err := req.Unmarshal(br); err != nil {
			return
		}
		res := base.Response{StatusCode: base.StatusOK, Header: base.Header{"CSeq": req.Header["CSeq"]}}
		switch req.Method {
		case base.Options:
			res.Header["Public"] = base.HeaderValue{"OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"}
		case base.Describe:
			res.Header["Content-Base"] = base.HeaderValue{req.URL.String() + "/"}
			res.Header["Content-Type"] = base.HeaderValue{"application/sdp"}
			res.Body = r.clip.sdp
		case base.Setup:
			res.Header["Transport"] = base.HeaderValue{"RTP/AVP/TCP;unicast;interleaved=0-1"}
			res.Header["Session"] = base.HeaderValue{"12345678;timeout=60"}
		case base.Play:
			res.Header["Session"] = base.HeaderValue{"12345678"}
		default:
			res.StatusCode = base.StatusNotImplemented
		}
		out, err := res.Marshal()
		if err != nil {
			return
		}
		if _, err := conn.Write(out); err != nil {
			return
		}
		if req.Method == base.Play {
			// From now on the client only sends RTCP and keep-alives: drop them.
			go io.Copy(io.Discard, br)
			r.stream(conn)
			return
		}
	}
}

// stream writes the clip forever, on a thread of its own so that its CPU
// time can be told apart from the client's.
func (r *replayer) stream(conn net.Conn) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r.mu.Lock()
	r.writers++
	if r.cpu == nil {
		r.cpu, r.marked = map[int32]int64{}, map[int32]int{}
	}
	r.mu.Unlock()
	r.playing.Add(1)

	// Each writer patches sequence numbers and timestamps into its own copy.
	frames := make([][]byte, len(r.clip.frames))
	for i, f := range r.clip.frames {
		frames[i] = append([]byte(nil), f...)
	}
	var seen int32
	seq := uint16(0)
	const ticksPerFrame = 90000 / simFPS
	for n := uint32(0); ; n++ {
		if m := r.phase.Load(); m != seen {
			cpu := threadCPU()
			r.mu.Lock()
			r.cpu[m] += cpu
			r.marked[m]++
			r.mu.Unlock()
			seen = m
		}
		buf := frames[int(n)%len(frames)]
		for off := 0; off+4 <= len(buf); {
			size := int(binary.BigEndian.Uint16(buf[off+2:]))
			pkt := buf[off+4 : off+4+size]
			binary.BigEndian.PutUint16(pkt[2:], seq)
			binary.BigEndian.PutUint32(pkt[4:], n*ticksPerFrame)
			seq++
			off += 4 + size
		}
		if _, err := conn.Write(buf); err != nil {
			return // the client left or the benchmark ended
		}
	}
}

// splitAnnexB splits an H.264 byte stream at its start codes (00 00 01,
// possibly after more zeros). The input is ffmpeg's, so it is trusted.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] != 0 || b[i+1] != 0 || b[i+2] != 1 {
			continue
		}
		if start >= 0 {
			end := i
			for end > start && b[end-1] == 0 {
				end--
			}
			out = append(out, b[start:end])
		}
		start = i + 3
		i += 2
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	return out
}
