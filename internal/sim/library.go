package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"matthan/internal/childproc"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"matthan"
)

// Encoding settings of the simulated cameras' streams.
const (
	clipSeconds = 10 // longer sources are trimmed: enough variety, cheap to convert
	mainFPS     = 25
	subFPS      = 10
	gopSeconds  = 2 // a keyframe every 2 s, as cameras are usually set up

	payloadType = 96
	// rtpPayloadMax keeps packets under the IPv4/UDP MTU with gortsplib's default
	// MaxPacketSize of 1472 (12 bytes of RTP header).
	rtpPayloadMax = 1450
)

// Stream files in a converted clip's cache directory.
const (
	fileMain     = "main.h264"
	fileMainH265 = "main.h265"
	fileAlt      = "alt.h264"
	fileSub      = "sub.h264"
)

// Library holds every clip converted, split into access units and packetized
// once, shared read-only by all simulated cameras.
type Library struct {
	clips []*clip
}

// clip is one source video in every form a simulated camera serves.
type clip struct {
	name     string
	main     *variant // H.264 1920x1080 25 fps
	mainH265 *variant // H.265 1920x1080 25 fps
	alt      *variant // H.264 1280x720 25 fps, frame-aligned with main; for the resolution fault
	sub      *variant // H.264 640x360 10 fps
}

// variant is one elementary stream, ready to send.
type variant struct {
	codec         Codec
	width, height int
	fps           int
	vps, sps, pps []byte
	frames        []frame
}

// frame is one access unit as RTP payloads.
type frame struct {
	key     bool
	packets []packet
}

type packet struct {
	payload []byte
	marker  bool
}

// ClipNames lists the clips in the library, in the order cameras use them.
func (l *Library) ClipNames() []string {
	names := make([]string, len(l.clips))
	for i, c := range l.clips {
		names[i] = c.name
	}
	return names
}

// Prepare converts every video in clipsDir (*.mp4, *.mkv, *.mov) into the
// simulator's streams, once: results are cached in cacheDir under a hash of
// the source and the encoding settings. It then loads them into memory.
func Prepare(ctx context.Context, clipsDir, cacheDir string, log *slog.Logger) (*Library, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sources, err := findSources(clipsDir)
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, matthan.Errorf(matthan.EINVALID,
			fmt.Sprintf("no video clips (*.mp4, *.mkv, *.mov) in %s", clipsDir),
			fmt.Sprintf("không có video mẫu (*.mp4, *.mkv, *.mov) trong %s", clipsDir))
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("sim: create clip cache: %w", err)
	}

	lib := &Library{clips: make([]*clip, len(sources))}
	errs := make([]error, len(sources))
	// ffmpeg threads itself; two conversions at once keep both cores busy
	// through each one's single-threaded decode and filter stages.
	sem := make(chan struct{}, max(1, min(2, runtime.NumCPU())))
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dir, err := convertCached(ctx, src, cacheDir, log)
			if err == nil {
				lib.clips[i], err = loadClip(dir, strings.TrimSuffix(filepath.Base(src), filepath.Ext(src)))
			}
			if err != nil {
				errs[i] = fmt.Errorf("sim: clip %s: %w", filepath.Base(src), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return lib, nil
}

func findSources(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sim: read clips directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".mp4", ".mkv", ".mov":
			if !e.IsDir() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// errNoFFmpeg tells the user how to get the tools the conversion needs.
func errNoFFmpeg(tool string) error {
	return matthan.Errorf(matthan.EINTERNAL,
		tool+" not found: the simulator needs ffmpeg to convert its clips; install it (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg)",
		"không tìm thấy "+tool+": trình mô phỏng cần ffmpeg để chuyển đổi video mẫu; hãy cài đặt (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg)")
}

// convertCached returns the cache directory holding src's converted streams,
// converting them first when no cached copy matches.
func convertCached(ctx context.Context, src, cacheDir string, log *slog.Logger) (string, error) {
	key, err := cacheKey(src)
	if err != nil {
		return "", err
	}
	stem := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	dir := filepath.Join(cacheDir, stem+"-"+key[:16])
	if _, err := os.Stat(filepath.Join(dir, fileSub)); err == nil {
		return dir, nil
	}

	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", errNoFFmpeg(tool)
		}
	}
	seconds, err := probeSeconds(ctx, src)
	if err != nil {
		return "", err
	}
	seconds = min(seconds, clipSeconds)
	if seconds < 1 {
		return "", fmt.Errorf("shorter than one second (%.2f s)", seconds)
	}

	// Convert into a scratch directory and rename it into place, so a crash
	// or a concurrent run never leaves a half-written cache entry.
	tmp, err := os.MkdirTemp(cacheDir, ".convert-"+stem+"-")
	if err != nil {
		return "", fmt.Errorf("create scratch directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it private
		return "", fmt.Errorf("scratch directory: %w", err)
	}

	began := time.Now()
	log.Info("converting clip for the simulator (once, cached)", "clip", stem, "seconds", seconds)
	args := encodeArgs(src, tmp, seconds)
	if err := runTool(ctx, "ffmpeg", args...); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, fileSub)); statErr == nil {
			return dir, nil // another process converted it meanwhile
		}
		return "", fmt.Errorf("store converted clip: %w", err)
	}
	log.Info("clip converted", "clip", stem, "took", time.Since(began).Round(time.Millisecond))
	return dir, nil
}

// encodingVersion changes whenever encodeArgs changes meaning, so old cache
// entries are not reused.
const encodingVersion = "sim-encode-v1"

// cacheKey hashes the source's bytes and the encoding settings.
func cacheKey(src string) (string, error) {
	f, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("open source: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash source: %w", err)
	}
	fmt.Fprintf(h, "\x00%s\x00%q", encodingVersion, encodeArgs("SRC", "OUT", clipSeconds))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// encodeArgs builds the one ffmpeg command that turns a source into the four
// streams: one decode, split into scaled copies. Every stream has constant
// frame rate, no B-frames, a closed GOP of gopSeconds starting at frame 0,
// and parameter sets repeated before every IDR so that any keyframe, and the
// jump from the last frame back to the first, decodes on its own.
func encodeArgs(src, outDir string, seconds float64) []string {
	mainFrames := int(seconds * mainFPS)
	subFrames := int(seconds * subFPS)
	x264 := func(fps int) string {
		g := strconv.Itoa(gopSeconds * fps)
		return "repeat-headers=1:keyint=" + g + ":min-keyint=" + g + ":scenecut=0:bframes=0:open-gop=0"
	}
	g := strconv.Itoa(gopSeconds * mainFPS)
	x265 := "repeat-headers=1:keyint=" + g + ":min-keyint=" + g + ":scenecut=0:bframes=0:open-gop=0:log-level=error"
	secs := strconv.FormatFloat(seconds, 'f', 3, 64)
	filter := fmt.Sprintf("[0:v]fps=%d,split=4[m][h][a][s0];"+
		"[m]scale=1920:1080,setsar=1,format=yuv420p[main];"+
		"[h]scale=1920:1080,setsar=1,format=yuv420p[hevc];"+
		"[a]scale=1280:720,setsar=1,format=yuv420p[alt];"+
		"[s0]fps=%d,scale=640:360,setsar=1,format=yuv420p[sub]", mainFPS, subFPS)
	out := func(name string) string { return filepath.Join(outDir, name) }
	return []string{
		"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-t", secs, "-i", src, "-an", "-sn", "-dn",
		"-filter_complex", filter,
		"-map", "[main]", "-frames:v", strconv.Itoa(mainFrames),
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M",
		"-x264-params", x264(mainFPS), "-f", "h264", out(fileMain),
		"-map", "[hevc]", "-frames:v", strconv.Itoa(mainFrames),
		"-c:v", "libx265", "-preset", "ultrafast", "-b:v", "3M",
		"-x265-params", x265, "-f", "hevc", out(fileMainH265),
		"-map", "[alt]", "-frames:v", strconv.Itoa(mainFrames),
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-maxrate", "2M", "-bufsize", "4M",
		"-x264-params", x264(mainFPS), "-f", "h264", out(fileAlt),
		"-map", "[sub]", "-frames:v", strconv.Itoa(subFrames),
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "512k", "-maxrate", "512k", "-bufsize", "1M",
		"-x264-params", x264(subFPS), "-f", "h264", out(fileSub),
	}
}

func probeSeconds(ctx context.Context, src string) (float64, error) {
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error",
		"-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", src)
	childproc.Own(cmd)
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: %w", filepath.Base(src), err)
	}
	s, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: duration %q: %w", filepath.Base(src), strings.TrimSpace(string(out)), err)
	}
	return s, nil
}

// runTool runs a tool in its own process group (killed whole on ctx
// cancellation) and reports its stderr on failure.
func runTool(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	childproc.Own(cmd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return nil
}

// loadClip reads a converted clip's streams into memory.
func loadClip(dir, name string) (*clip, error) {
	c := &clip{name: name}
	for _, v := range []struct {
		file  string
		codec Codec
		dst   **variant
		fps   int
	}{
		{fileMain, CodecH264, &c.main, mainFPS},
		{fileMainH265, CodecH265, &c.mainH265, mainFPS},
		{fileAlt, CodecH264, &c.alt, mainFPS},
		{fileSub, CodecH264, &c.sub, subFPS},
	} {
		b, err := os.ReadFile(filepath.Join(dir, v.file))
		if err != nil {
			return nil, fmt.Errorf("read converted stream: %w", err)
		}
		*v.dst, err = loadVariant(v.codec, v.fps, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.file, err)
		}
	}
	// The resolution fault swaps main for alt at a keyframe, and cameras
	// jump between keyframes by the main's: every 25 fps variant must have
	// the same frames and keyframes.
	for _, v := range []struct {
		name string
		v    *variant
	}{{fileAlt, c.alt}, {fileMainH265, c.mainH265}} {
		if len(v.v.frames) != len(c.main.frames) {
			return nil, fmt.Errorf("%s has %d frames but %s has %d", v.name, len(v.v.frames), fileMain, len(c.main.frames))
		}
		for i := range v.v.frames {
			if v.v.frames[i].key != c.main.frames[i].key {
				return nil, fmt.Errorf("keyframes of %s and %s differ at frame %d", v.name, fileMain, i)
			}
		}
	}
	return c, nil
}

// loadVariant splits an Annex-B elementary stream into access units, checks
// that it can loop seamlessly, and packetizes every unit into RTP payloads.
func loadVariant(codec Codec, fps int, annexB []byte) (*variant, error) {
	aus := groupAccessUnits(codec, splitAnnexB(annexB))
	if len(aus) == 0 {
		return nil, errors.New("no pictures in stream")
	}
	v := &variant{codec: codec, fps: fps}
	v.vps, v.sps, v.pps = paramSets(codec, aus[0].nalus)
	if !aus[0].key || v.sps == nil || v.pps == nil || (codec == CodecH265 && v.vps == nil) {
		return nil, errors.New("stream does not start with parameter sets and a keyframe, so it cannot loop")
	}
	var err error
	v.width, v.height, err = spsSize(codec, v.sps)
	if err != nil {
		return nil, err
	}

	encode, err := newPacketizer(codec)
	if err != nil {
		return nil, err
	}
	v.frames = make([]frame, len(aus))
	total := 0
	for i, au := range aus {
		pkts, err := encode(au.nalus)
		if err != nil {
			return nil, fmt.Errorf("packetize access unit %d: %w", i, err)
		}
		f := frame{key: au.key, packets: make([]packet, len(pkts))}
		for j, p := range pkts {
			f.packets[j] = packet{payload: p.Payload, marker: p.Marker}
			total += len(p.Payload)
		}
		v.frames[i] = f
	}
	// Copy every payload into one block so the file buffer and the
	// encoder's many small allocations can be freed.
	block := make([]byte, 0, total)
	for i := range v.frames {
		for j := range v.frames[i].packets {
			p := &v.frames[i].packets[j]
			start := len(block)
			block = append(block, p.payload...)
			p.payload = block[start:len(block):len(block)]
		}
	}
	v.vps, v.sps, v.pps = clone(v.vps), clone(v.sps), clone(v.pps)
	return v, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}

func spsSize(codec Codec, sps []byte) (int, int, error) {
	if codec == CodecH265 {
		var s h265.SPS
		if err := s.Unmarshal(sps); err != nil {
			return 0, 0, fmt.Errorf("parse SPS: %w", err)
		}
		return s.Width(), s.Height(), nil
	}
	var s h264.SPS
	if err := s.Unmarshal(sps); err != nil {
		return 0, 0, fmt.Errorf("parse SPS: %w", err)
	}
	return s.Width(), s.Height(), nil
}

// newPacketizer returns an RFC 6184 / RFC 7798 packetizer; only payloads and
// marker bits are kept, sequence numbers and timestamps are stamped per camera.
func newPacketizer(codec Codec) (func([][]byte) ([]*rtp.Packet, error), error) {
	if codec == CodecH265 {
		f := &format.H265{PayloadTyp: payloadType}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		enc.PayloadMaxSize = rtpPayloadMax
		return enc.Encode, nil
	}
	f := &format.H264{PayloadTyp: payloadType, PacketizationMode: 1}
	enc, err := f.CreateEncoder()
	if err != nil {
		return nil, err
	}
	enc.PayloadMaxSize = rtpPayloadMax
	return enc.Encode, nil
}

// untilKey returns how many frames after idx the next keyframe is (0 if idx
// is one), wrapping around the loop; frame 0 is always a keyframe.
func (v *variant) untilKey(idx int) int {
	for d := 0; d < len(v.frames); d++ {
		if v.frames[(idx+d)%len(v.frames)].key {
			return d
		}
	}
	return 0
}

// sdpFormat returns the SDP format announcing this variant.
func (v *variant) sdpFormat() format.Format {
	if v.codec == CodecH265 {
		return &format.H265{PayloadTyp: payloadType, VPS: v.vps, SPS: v.sps, PPS: v.pps}
	}
	return &format.H264{PayloadTyp: payloadType, PacketizationMode: 1, SPS: v.sps, PPS: v.pps}
}
