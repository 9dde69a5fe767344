package playback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"matthan/internal/childproc"

	"matthan"
)

// Thumbnail limits.
const (
	DefaultThumbnailTimeout = 15 * time.Second
	MaxThumbnailWidth       = 3840
	maxJPEGBytes            = 16 << 20
)

// ThumbnailOptions says how to make a thumbnail.
type ThumbnailOptions struct {
	FFmpeg  string        // the ffmpeg binary; "" means "ffmpeg" on PATH
	Width   int           // scale to this width (even, keeping the aspect); 0 keeps the recorded size
	Timeout time.Duration // 0 means DefaultThumbnailTimeout
}

// Thumbnail returns a JPEG of the frame on screen at time at: ffmpeg
// decodes the small clip from the keyframe before at to the frame at at
// (the clip's edit list makes that frame the first one shown), in its own
// process group, killed with the group when ctx ends or the timeout passes.
// ENOTFOUND when nothing is recorded at at.
func Thumbnail(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string, stream matthan.StreamRole, at time.Time, opt ThumbnailOptions) ([]byte, error) {
	if opt.Width < 0 || opt.Width > MaxThumbnailWidth {
		return nil, matthan.Errorf(matthan.EINVALID,
			fmt.Sprintf("The width must be between 0 and %d pixels", MaxThumbnailWidth),
			fmt.Sprintf("Chiều rộng phải từ 0 đến %d điểm ảnh", MaxThumbnailWidth))
	}
	clip, err := Open(ctx, index, dir, cameraID, stream, at, at.Add(time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer clip.Close()
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultThumbnailTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bin := opt.FFmpeg
	if bin == "" {
		bin = "ffmpeg"
	}
	cmd := exec.CommandContext(ctx, bin, thumbnailArgs(opt.Width)...)
	childproc.Own(cmd)
	cmd.Stdin = clip.NewReader()
	var out limitedBuffer
	var stderr bytes.Buffer
	out.max = maxJPEGBytes
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("playback: thumbnail: ffmpeg: %w", ctx.Err())
		}
		return nil, fmt.Errorf("playback: thumbnail: ffmpeg: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	jpeg := out.Bytes()
	if len(jpeg) < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8 {
		return nil, fmt.Errorf("playback: thumbnail: ffmpeg wrote no JPEG: %s", bytes.TrimSpace(stderr.Bytes()))
	}
	return jpeg, nil
}

// thumbnailArgs is ffmpeg's command line: an MP4 on stdin, one JPEG out.
func thumbnailArgs(width int) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "mp4", "-i", "pipe:0", "-an", "-frames:v", "1"}
	if width > 0 {
		args = append(args, "-vf", "scale="+strconv.Itoa(width&^1)+":-2")
	}
	return append(args, "-c:v", "mjpeg", "-q:v", "3", "-f", "image2pipe", "pipe:1")
}

// limitedBuffer keeps at most max bytes and fails writes past them.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errors.New("output too large")
	}
	return b.Buffer.Write(p)
}
