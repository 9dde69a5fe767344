package privacy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"matthan"
	"matthan/internal/childproc"
	"matthan/internal/media"
)

// ClipCodec is the video codec of a masked clip.
const ClipCodec = media.H264

// ClipOptions says how MaskClip runs ffmpeg.
type ClipOptions struct {
	FFmpeg string // ffmpeg's path; "": "ffmpeg" on PATH
	// FFprobe is ffprobe's path, which reads the clip's frame size; "":
	// "ffprobe" beside FFmpeg when that is a path, else on PATH.
	FFprobe string
	// CRF is libx264's constant rate factor; 0: 20, close to what
	// cameras send, for footage a court may look at closely.
	CRF int
}

// MaskClip writes to dst (an MP4 file) the clip at src with its video
// re-encoded (H.264, libx264) with the masks painted solid black over
// every frame; every frame keeps its timestamp and audio is copied as it
// is. G.711 audio, which MP4 has no entry for, makes dst a QuickTime file,
// as the recorded segments are. The frame size is read from src with
// ffprobe. ffmpeg runs in its own process group, killed with the group
// when ctx ends; on failure dst is removed and the error ends with
// ffmpeg's last words.
func MaskClip(ctx context.Context, src, dst string, masks []matthan.PrivacyMask, opt ClipOptions) (err error) {
	if len(masks) == 0 {
		return errors.New("privacy: MaskClip needs at least one mask")
	}
	ffmpeg, ffprobe := opt.FFmpeg, opt.FFprobe
	if ffmpeg == "" {
		ffmpeg = "ffmpeg"
	}
	if ffprobe == "" {
		ffprobe = "ffprobe"
		if dir := filepath.Dir(ffmpeg); filepath.Base(ffmpeg) != ffmpeg {
			ffprobe = filepath.Join(dir, "ffprobe")
		}
	}
	crf := opt.CRF
	if crf == 0 {
		crf = 20
	}
	info, err := probe(ctx, ffprobe, src)
	if err != nil {
		return err
	}
	if info.width <= 0 || info.height <= 0 || info.width*info.height > MaxPixels {
		return fmt.Errorf("privacy: %s: video of %dx%d pixels cannot be masked (at most %d pixels)", filepath.Base(src), info.width, info.height, MaxPixels)
	}

	// The mask goes beside dst, where there is room for the clip anyway.
	pf, err := os.CreateTemp(filepath.Dir(dst), ".mask-*.png")
	if err != nil {
		return fmt.Errorf("privacy: %w", err)
	}
	defer os.Remove(pf.Name())
	bw := bufio.NewWriter(pf)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	err = enc.Encode(bw, MaskImage(masks, info.width, info.height))
	if err == nil {
		err = bw.Flush()
	}
	if cerr := pf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("privacy: mask image: %w", err)
	}

	format := "mp4"
	if info.audio == "pcm_mulaw" || info.audio == "pcm_alaw" {
		format = "mov"
	}
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-i", src, "-i", pf.Name(),
		// The mask is one picture; overlay repeats it over every frame.
		"-filter_complex", "[0:v:0][1:v]overlay=eof_action=repeat:format=auto[v]",
		"-map", "[v]", "-map", "0:a?",
		// ultrafast: 2.7× veryfast's speed on a 1080p clip for 1.6× its
		// size at the same CRF (measured); an officer waits for it.
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", fmt.Sprint(crf), "-pix_fmt", "yuv420p",
		// Each frame keeps its time: no frame dropped or duplicated.
		"-fps_mode", "passthrough",
		"-c:a", "copy", "-movflags", "+faststart", "-f", format, dst}
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	childproc.Own(cmd)
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		os.Remove(dst)
		if ctx.Err() != nil {
			return fmt.Errorf("privacy: masking %s: %w", filepath.Base(src), ctx.Err())
		}
		return fmt.Errorf("privacy: masking %s: ffmpeg: %w: %s", filepath.Base(src), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

type clipInfo struct {
	width, height int
	audio         string // ffmpeg's codec name of the first audio stream, if any
}

// probe reads the frame size of a clip's first video stream and the codec
// of its audio.
func probe(ctx context.Context, ffprobe, path string) (clipInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries",
		"stream=codec_type,codec_name,width,height", "-of", "json", path)
	childproc.Own(cmd)
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil && ctx.Err() != nil {
		return clipInfo{}, fmt.Errorf("privacy: ffprobe %s: %w", filepath.Base(path), ctx.Err())
	}
	if err != nil {
		return clipInfo{}, fmt.Errorf("privacy: ffprobe %s: %w: %s", filepath.Base(path), err, bytes.TrimSpace(stderr.Bytes()))
	}
	var r struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
			CodecName string `json:"codec_name"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return clipInfo{}, fmt.Errorf("privacy: ffprobe %s: %w", filepath.Base(path), err)
	}
	var info clipInfo
	video := false
	for _, s := range r.Streams {
		switch {
		case s.CodecType == "video" && !video:
			video, info.width, info.height = true, s.Width, s.Height
		case s.CodecType == "audio" && info.audio == "":
			info.audio = s.CodecName
		}
	}
	if !video {
		return clipInfo{}, fmt.Errorf("privacy: %s has no video stream", filepath.Base(path))
	}
	return info, nil
}

// tailBuffer keeps the last max bytes written: the end of ffmpeg's
// complaints says what went wrong.
type tailBuffer struct {
	b   []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte { return t.b }
