package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
)

type variantWant struct {
	name          string
	v             *variant
	codec         Codec
	width, height int
	fps, frames   int
	gop           int
}

func checkVariants(t *testing.T, wants []variantWant) {
	t.Helper()
	for _, w := range wants {
		v := w.v
		if v.codec != w.codec || v.width != w.width || v.height != w.height || v.fps != w.fps {
			t.Errorf("%s: %s %dx%d@%d, want %s %dx%d@%d", w.name, v.codec, v.width, v.height, v.fps, w.codec, w.width, w.height, w.fps)
		}
		if len(v.frames) != w.frames {
			t.Errorf("%s: %d frames, want %d", w.name, len(v.frames), w.frames)
		}
		for i, f := range v.frames {
			if want := i%w.gop == 0; f.key != want {
				t.Errorf("%s: frame %d key=%v, want %v (keyframe every %d)", w.name, i, f.key, want, w.gop)
				break
			}
			if len(f.packets) == 0 || !f.packets[len(f.packets)-1].marker {
				t.Errorf("%s: frame %d: last packet lacks the marker bit", w.name, i)
				break
			}
			for _, p := range f.packets {
				if len(p.payload) > rtpPayloadMax {
					t.Fatalf("%s: frame %d: payload of %d bytes", w.name, i, len(p.payload))
				}
			}
		}
	}
}

func TestPrepareTestClip(t *testing.T) {
	lib := testLibrary(t)
	if got := lib.ClipNames(); len(got) != 1 || got[0] != "testsrc-3s" {
		t.Fatalf("clips = %v", got)
	}
	c := lib.clips[0]
	checkVariants(t, []variantWant{
		{"main", c.main, CodecH264, 1920, 1080, 25, 75, 50},
		{"main H.265", c.mainH265, CodecH265, 1920, 1080, 25, 75, 50},
		{"alt", c.alt, CodecH264, 1280, 720, 25, 75, 50},
		{"sub", c.sub, CodecH264, 640, 360, 10, 30, 20},
	})

	// The cached streams have no B-frames, and looping them (the file twice
	// in a row, as cameras send it) decodes without a single error.
	dir, err := convertCached(t.Context(), filepath.Join(testCacheDir(t), "src", "testsrc-3s.mp4"),
		filepath.Join(testCacheDir(t), "lib"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file, format string
		frames       int
	}{{fileMain, "h264", 75}, {fileMainH265, "hevc", 75}, {fileAlt, "h264", 75}, {fileSub, "h264", 30}} {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			looped := filepath.Join(t.TempDir(), "looped."+tt.format)
			if err := os.WriteFile(looped, append(append([]byte(nil), b...), b...), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runCmd(t, time.Minute, "ffprobe", "-v", "error", "-f", tt.format, "-show_entries",
				"frame=pict_type", "-of", "default=noprint_wrappers=1:nokey=1", looped)
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, out)
			}
			types := strings.Fields(out)
			if len(types) != 2*tt.frames {
				t.Errorf("looped stream decodes to %d frames, want %d", len(types), 2*tt.frames)
			}
			for i, typ := range types {
				if typ != "I" && typ != "P" {
					t.Fatalf("frame %d has type %q: want only I and P frames\n%s", i, typ, out)
				}
			}
			if out, err := runCmd(t, time.Minute, "ffmpeg", "-v", "error", "-f", tt.format, "-i", looped, "-f", "null", "-"); err != nil || strings.TrimSpace(out) != "" {
				t.Errorf("decoding the looped stream: err %v, output %q", err, out)
			}
		})
	}
}

// TestPrepareRealClips converts the repository's clips (slow the first
// time, cached afterwards) and checks what every camera will serve.
func TestPrepareRealClips(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	began := time.Now()
	lib, err := Prepare(ctx, filepath.Join("..", "..", "testdata", "clips"), filepath.Join(testCacheDir(t), "real"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prepared %v in %v", lib.ClipNames(), time.Since(began).Round(time.Millisecond))
	if len(lib.clips) != 4 {
		t.Fatalf("got %d clips, want 4: %v", len(lib.clips), lib.ClipNames())
	}
	for _, c := range lib.clips {
		checkVariants(t, []variantWant{
			{c.name + " main", c.main, CodecH264, 1920, 1080, 25, 250, 50},
			{c.name + " main H.265", c.mainH265, CodecH265, 1920, 1080, 25, 250, 50},
			{c.name + " alt", c.alt, CodecH264, 1280, 720, 25, 250, 50},
			{c.name + " sub", c.sub, CodecH264, 640, 360, 10, 100, 20},
		})
		// About 4 Mbit/s on the main stream, 512 kbit/s on the sub stream.
		for _, b := range []struct {
			name   string
			v      *variant
			lo, hi float64
		}{{"main", c.main, 2.5e6, 5.5e6}, {"sub", c.sub, 0.25e6, 0.8e6}} {
			if rate := bitrate(b.v); rate < b.lo || rate > b.hi {
				t.Errorf("%s %s: %.0f bit/s, want %.0f..%.0f", c.name, b.name, rate, b.lo, b.hi)
			}
		}
	}
}

func bitrate(v *variant) float64 {
	total := 0
	for _, f := range v.frames {
		for _, p := range f.packets {
			total += len(p.payload)
		}
	}
	return float64(total*8) * float64(v.fps) / float64(len(v.frames))
}

func TestPrepareWithoutFFmpeg(t *testing.T) {
	clips := t.TempDir()
	if err := os.WriteFile(filepath.Join(clips, "a.mp4"), []byte("not really a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err := Prepare(t.Context(), clips, t.TempDir(), testLogger(t))
	var e *matthan.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a *matthan.Error", err)
	}
	if !strings.Contains(e.Message, "apt-get install ffmpeg") || !strings.Contains(e.MessageVI, "không tìm thấy ffmpeg") {
		t.Errorf("error does not say how to install ffmpeg: %q / %q", e.Message, e.MessageVI)
	}
}

func TestPrepareEmptyDirectory(t *testing.T) {
	_, err := Prepare(t.Context(), t.TempDir(), t.TempDir(), testLogger(t))
	if matthan.ErrorCode(err) != matthan.EINVALID {
		t.Fatalf("err = %v, want an invalid-input error", err)
	}
}
