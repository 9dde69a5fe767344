// Package exporttest builds a node's data directory with real recordings
// for the tests of evidence export: segment files written by internal/fmp4
// from ffmpeg-encoded units, indexed in the real SQLite store with their
// hash chain, as the recorder leaves them.
package exporttest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// Node is a data directory laid out as `matthan serve` keeps it:
// DATA/node.key, DATA/matthan.db and DATA/recordings.
type Node struct {
	Data      string
	RecordDir string
	DB        *sqlite.DB
}

// New creates an empty node data directory; the store closes with the test.
func New(t testing.TB) *Node {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	key, err := secret.LoadOrCreateKey(filepath.Join(data, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Node{Data: data, RecordDir: filepath.Join(data, "recordings"), DB: db}
}

// AddCamera registers a pulled camera with the place and owner given.
func (n *Node) AddCamera(t testing.TB, c matthan.Camera) *matthan.Camera {
	t.Helper()
	c.Source = matthan.SourcePull
	if c.MainURL == "" {
		c.MainURL = "rtsp://192.0.2.1/" + c.ID
	}
	c.Enabled = true
	if err := n.DB.CreateCamera(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// Record writes a clip's units as the main stream's segments of a camera,
// starting a new segment at the first keyframe after every segLen, and
// indexes each, continuing the camera's hash chain. Wall times are the
// units' own.
func (n *Node) Record(t testing.TB, cameraID string, c *fmp4test.Clip, segLen time.Duration) []*matthan.Segment {
	t.Helper()
	ctx := context.Background()
	prev := ""
	if last, err := n.DB.LastSegment(ctx, cameraID, matthan.StreamMain); err == nil {
		prev = last.SHA256
	}
	var out []*matthan.Segment
	var group []*media.Unit
	flush := func(next *media.Unit) {
		s := n.writeSegment(t, cameraID, group, next, prev)
		prev = s.SHA256
		out = append(out, s)
		group = group[:0]
	}
	for _, u := range c.Units {
		video := c.Desc.Tracks[u.Track].IsVideo()
		if video && u.Key && len(group) > 0 && u.PTS-group[0].PTS >= segLen {
			flush(u)
		}
		if len(group) == 0 && !video {
			continue // a file starts with video
		}
		group = append(group, u)
	}
	if len(group) > 0 {
		flush(nil)
	}
	return out
}

// writeSegment writes units into one file; next, if any, is the keyframe
// that starts the next file and so ends this one exactly.
func (n *Node) writeSegment(t testing.TB, cameraID string, units []*media.Unit, next *media.Unit, prev string) *matthan.Segment {
	t.Helper()
	first := units[0]
	start := first.Wall.UTC()
	rel := path.Join(cameraID, start.Format(time.DateOnly), "main-"+start.Format("20060102T150405Z")+".mp4")
	full := filepath.Join(n.RecordDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(full)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriter(f)
	w, err := fmp4.NewWriter(bw, first, start, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if _, err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	if next != nil {
		err = w.FlushUntil(next.PTS)
	} else {
		err = w.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	d := first.Desc
	vt := d.Tracks[first.Track]
	s := &matthan.Segment{
		CameraID: cameraID, Stream: matthan.StreamMain, Path: rel,
		Start: start, End: start.Add(w.Duration()), MediaStart: w.MediaStart(), Duration: w.Duration(),
		Frames: w.Frames(), Bytes: w.Size(), Codec: string(vt.Codec), Width: vt.Width, Height: vt.Height,
		Keyframes: slices.Clone(w.Keyframes()), SHA256: hex.EncodeToString(h.Sum(nil)), PrevSHA256: prev,
	}
	for _, tr := range d.Tracks {
		if tr.Codec == media.AAC || tr.Codec == media.G711 {
			s.Audio = string(tr.Codec)
		}
	}
	if int64(len(b)) != s.Bytes {
		t.Fatalf("segment %s: %d bytes on disk, the writer counted %d", rel, len(b), s.Bytes)
	}
	if err := n.DB.AddSegment(context.Background(), s); err != nil {
		t.Fatal(fmt.Errorf("index %s: %w", rel, err))
	}
	return s
}

// AddGap records a closed gap of the main stream.
func (n *Node) AddGap(t testing.TB, cameraID string, from, to time.Time, reason matthan.GapReason, detail string) {
	t.Helper()
	g := &matthan.Gap{CameraID: cameraID, Stream: matthan.StreamMain, Start: from, End: to, Reason: reason, Detail: detail}
	if err := n.DB.AddGap(context.Background(), g); err != nil {
		t.Fatal(err)
	}
}
