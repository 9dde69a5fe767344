// Package playbacktest records real segments for tests of playback and of
// what is built on it: ffmpeg-encoded units written by the recorder's fMP4
// writer into files below a directory, each indexed in a RecordingIndex as
// the recorder indexes them.
package playbacktest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

// NewIndex opens a real SQLite store in a temporary directory, closed when
// the test ends.
func NewIndex(t testing.TB) *sqlite.DB {
	t.Helper()
	sealer, err := secret.NewSealer(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Recording describes segments to record from one encoded clip.
type Recording struct {
	CameraID string
	Stream   matthan.StreamRole // default main
	Clip     *fmp4test.Clip
	Wall0    time.Time     // wall-clock time of the clip's first unit
	Segment  time.Duration // rotate on the first keyframe this long after a segment began
	// GapAfter adds wall-clock time between segment i and i+1 (the camera
	// was offline): a key of i delays every later segment.
	GapAfter map[int]time.Duration
}

// Record writes the clip as segments below dir, indexes them, and returns
// them in order.
func Record(t testing.TB, dir string, index matthan.RecordingIndex, r Recording) []*matthan.Segment {
	t.Helper()
	if r.Stream == "" {
		r.Stream = matthan.StreamMain
	}
	var segs []*matthan.Segment
	var cur *open
	shift := time.Duration(0) // wall time added by gaps so far
	finish := func(end time.Duration, known bool) {
		var err error
		if known {
			err = cur.w.FlushUntil(end)
		} else {
			err = cur.w.Flush()
		}
		if err != nil {
			t.Fatal(err)
		}
		s := cur.close(t, index)
		segs = append(segs, s)
		shift += r.GapAfter[len(segs)-1]
		cur = nil
	}
	for _, u := range r.Clip.Units {
		video := u.Track == u.Desc.Video()
		if video && u.Key && cur != nil && u.PTS-cur.w.MediaStart() >= r.Segment {
			finish(u.PTS, true)
		}
		if cur == nil {
			if !video || !u.Key {
				continue
			}
			cur = create(t, dir, r, u, r.Wall0.Add(u.PTS+shift))
		}
		if _, err := cur.w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	if cur != nil {
		finish(0, false)
	}
	return segs
}

type open struct {
	f     *os.File
	bw    *bufio.Writer
	w     *fmp4.Writer
	seg   *matthan.Segment
	full  string
	track media.Track
}

func create(t testing.TB, dir string, r Recording, first *media.Unit, wall time.Time) *open {
	t.Helper()
	rel := path.Join(r.CameraID, wall.UTC().Format("2006-01-02"),
		fmt.Sprintf("%s-%s.mp4", r.Stream, wall.UTC().Format("20060102T150405.000Z")))
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(full)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := fmp4.NewWriter(bw, first, wall, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	vt := first.Desc.Tracks[first.Desc.Video()]
	seg := &matthan.Segment{CameraID: r.CameraID, Stream: r.Stream, Path: rel, Start: wall.UTC(),
		MediaStart: first.PTS, Codec: string(vt.Codec), Width: vt.Width, Height: vt.Height}
	for _, tr := range first.Desc.Tracks {
		if tr.Codec == media.AAC || tr.Codec == media.G711 {
			seg.Audio = string(tr.Codec)
			break
		}
	}
	return &open{f: f, bw: bw, w: w, seg: seg, full: full, track: vt}
}

func (o *open) close(t testing.TB, index matthan.RecordingIndex) *matthan.Segment {
	t.Helper()
	if err := o.bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := o.f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := o.f.Close(); err != nil {
		t.Fatal(err)
	}
	s := o.seg
	s.Duration = o.w.Duration()
	s.End = s.Start.Add(s.Duration)
	s.Frames = o.w.Frames()
	s.Bytes = o.w.Size()
	s.Keyframes = slices.Clone(o.w.Keyframes())
	s.SHA256 = fileSHA(t, o.full)
	if last, err := index.LastSegment(t.Context(), s.CameraID, s.Stream); err == nil {
		s.PrevSHA256 = last.SHA256
	}
	if err := index.AddSegment(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func fileSHA(t testing.TB, p string) string {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
