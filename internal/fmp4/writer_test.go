package fmp4

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"time"

	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// writeClip writes every unit of a clip into one file and returns its path.
func writeClip(t *testing.T, c *fmp4test.Clip, fragDur time.Duration) (string, *Writer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := NewWriter(bw, c.Units[0], c.Units[0].Wall, fragDur)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range c.Units {
		if _, err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return path, w
}

func TestWriterFFprobe(t *testing.T) {
	wall0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		spec      fmp4test.ClipSpec
		vcodec    string
		acodec    string
		fragments int // expected number of fragments
		keyFrags  int // fragments that start with a keyframe
	}{
		{"h264", fmp4test.ClipSpec{Codec: media.H264, Seconds: 3}, "h264", "", 3, 3},
		{"h264 long GOP", fmp4test.ClipSpec{Codec: media.H264, Seconds: 4, GOP: 50}, "h264", "", 4, 2},
		{"h264 aac", fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 3}, "h264", "aac", 3, 3},
		{"h265 aac", fmp4test.ClipSpec{Codec: media.H265, Audio: media.AAC, Seconds: 2}, "hevc", "aac", 2, 2},
		{"h264 g711", fmp4test.ClipSpec{Codec: media.H264, Audio: media.G711, Seconds: 2}, "h264", "pcm_mulaw", 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fmp4test.MakeClip(t, tc.spec, wall0)
			path, w := writeClip(t, c, time.Second)

			p := fmp4test.ProbeFile(t, path)
			if p.Errors != "" {
				t.Fatalf("ffprobe/ffmpeg errors:\n%s", p.Errors)
			}
			v := p.Video(t)
			if v.CodecName != tc.vcodec || v.Width != 320 || v.Height != 240 || v.Frames != c.Video {
				t.Fatalf("video stream %+v, want %s 320x240 with %d frames", v, tc.vcodec, c.Video)
			}
			// The AAC encoder adds a few priming frames, so audio may run a little longer.
			if d := p.Duration - float64(tc.spec.Seconds); d < -0.05 || d > 0.05 && (tc.acodec != "aac" || d > 0.15) {
				t.Fatalf("duration %.3f s, want %d s", p.Duration, tc.spec.Seconds)
			}
			if len(p.KeyFlags) != c.Video {
				t.Fatalf("%d packet flags for %d frames", len(p.KeyFlags), c.Video)
			}
			for i, k := range p.KeyFlags {
				if want := c.Units[0].Desc == nil || isKeyFrame(c, i); k != want {
					t.Fatalf("frame %d: ffprobe key %v, source key %v", i, k, want)
				}
			}
			if tc.acodec != "" {
				if len(p.Streams) != 2 || p.Streams[1].CodecName != tc.acodec || p.Streams[1].Frames == 0 {
					t.Fatalf("streams %+v, want audio %s", p.Streams, tc.acodec)
				}
			} else if len(p.Streams) != 1 {
				t.Fatalf("streams %+v", p.Streams)
			}

			// The scanner sees the same file.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			sf, err := Scan(f, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			if sf.Stop != nil || sf.End != st.Size() || st.Size() != w.Size() {
				t.Fatalf("scan end %d, size %d, writer %d, stop %v", sf.End, st.Size(), w.Size(), sf.Stop)
			}
			if vt := sf.Track("vide"); vt == nil || vt.Width != 320 || vt.Height != 240 || vt.MediaCodec() != string(tc.spec.Codec) {
				t.Fatalf("video track %+v", vt)
			}
			if sf.Meta == nil || !sf.Meta.Start.Equal(wall0) || sf.Meta.MediaStart != 0 {
				t.Fatalf("meta %+v", sf.Meta)
			}
			start, end, frames := sf.VideoSpan()
			if start != 0 || frames != int64(c.Video) || end != time.Duration(tc.spec.Seconds)*time.Second {
				t.Fatalf("video span %v–%v, %d frames", start, end, frames)
			}
			if w.Frames() != frames || w.Duration() != end {
				t.Fatalf("writer says %d frames, %v", w.Frames(), w.Duration())
			}
			if len(sf.Fragments) != tc.fragments {
				t.Fatalf("%d fragments, want %d", len(sf.Fragments), tc.fragments)
			}
			var keys []int64
			for _, fr := range sf.Fragments {
				if r := fr.Run(1); r != nil && r.FirstKey {
					keys = append(keys, fr.Offset)
				}
			}
			kf := w.Keyframes()
			if len(keys) != tc.keyFrags || len(kf) != len(keys) {
				t.Fatalf("key fragments: scan %v, writer %+v, want %d", keys, kf, tc.keyFrags)
			}
			for i := range keys {
				if kf[i].Offset != keys[i] {
					t.Fatalf("keyframe %d at %d, scan says %d", i, kf[i].Offset, keys[i])
				}
			}
		})
	}
}

func isKeyFrame(c *fmp4test.Clip, i int) bool {
	n := 0
	for _, u := range c.Units {
		if u.Track == 0 {
			if n == i {
				return u.Key
			}
			n++
		}
	}
	return false
}
