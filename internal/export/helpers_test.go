package export

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/export/exporttest"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

var (
	// wall0 is 08:00:00 in Vietnam.
	wall0   = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	created = time.Date(2026, 3, 2, 3, 4, 5, 0, time.UTC)
)

var camera1 = matthan.Camera{ID: "cam-001", Name: "Ngã tư Lê Lợi", Area: "Khóm 1",
	Address: "12 Lê Lợi, Phường 1", Latitude: 10.776543, Longitude: 106.700981,
	Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND Phường 1"}}

var camera2 = matthan.Camera{ID: "cam-002", Name: "Hẻm 45", Area: "Khóm 2",
	Address: "45/3 Trần Hưng Đạo, Phường 1", Latitude: 10.771234, Longitude: 106.69321,
	Owner: matthan.Owner{Kind: matthan.OwnerHousehold, Name: "Nguyễn Văn An", Contact: "0903 123 456"}}

// recordedNode is a node with two cameras recorded from 08:00:00 (Vietnam):
//   - cam-001: 12 s of H.264 320x240 with AAC, in 4 s segments;
//   - cam-002: 6 s of H.264 320x240, a 2 s gap (camera offline), then 4 s
//     of H.264 160x120: the codec parameters change, so a clip across it
//     comes in two parts.
func recordedNode(t testing.TB) *exporttest.Node {
	t.Helper()
	n := exporttest.New(t)
	n.AddCamera(t, camera1)
	n.AddCamera(t, camera2)
	c1 := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 12}, wall0)
	n.Record(t, "cam-001", c1, 4*time.Second)
	a := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 6}, wall0)
	n.Record(t, "cam-002", a, 4*time.Second)
	n.AddGap(t, "cam-002", wall0.Add(6*time.Second), wall0.Add(8*time.Second), matthan.GapOffline, "no answer from the camera")
	b := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 4, Width: 160, Height: 120}, wall0.Add(8*time.Second))
	n.Record(t, "cam-002", b, 4*time.Second)
	return n
}

func testKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

func deps(t testing.TB, n *exporttest.Node, open OpenClipFunc) Deps {
	return Deps{Store: n.DB, Index: n.DB, RecordDir: n.RecordDir, ExportDir: filepath.Join(n.Data, "exports"),
		Key: testKey(t), NodeName: "phuong-1", OpenClip: open, Now: func() time.Time { return created }}
}

func request(cams ...string) Request {
	return Request{CameraIDs: cams, From: wall0.Add(1500 * time.Millisecond), To: wall0.Add(10500 * time.Millisecond),
		User: "tuan", Reason: "Trộm xe máy / motorbike theft", Case: "12/2026"}
}

// segmentClips is a clip source that serves each segment file whole: a
// valid MP4 independent of internal/playback, for the tests of Verify.
func segmentClips(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string,
	stream matthan.StreamRole, from, to time.Time) (PlaybackClip, error) {
	segs, err := index.Segments(ctx, matthan.SegmentFilter{CameraID: cameraID, Stream: stream, From: from, To: to})
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, matthan.Errorf(matthan.ENOTFOUND, "nothing recorded", "không có ghi hình")
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(segs[0].Path)))
	if err != nil {
		return nil, err
	}
	return &bytesClip{b: b, seg: segs[0]}, nil
}

type bytesClip struct {
	b   []byte
	seg *matthan.Segment
}

func (c *bytesClip) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(c.b)
	return int64(n), err
}
func (c *bytesClip) Size() int64                  { return int64(len(c.b)) }
func (c *bytesClip) Segments() []*matthan.Segment { return []*matthan.Segment{c.seg} }
func (c *bytesClip) Start() time.Time             { return c.seg.Start }
func (c *bytesClip) End() time.Time               { return c.seg.End }
func (c *bytesClip) Close() error                 { return nil }

// buildSample exports both cameras with segmentClips and returns the
// package's bytes.
func buildSample(t testing.TB) []byte {
	t.Helper()
	n := recordedNode(t)
	res, err := Export(context.Background(), deps(t, n, segmentClips), request("cam-001", "cam-002"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rezip rewrites a package entry by entry: edit returns the new bytes of
// an entry and whether to keep it; extra entries are appended.
func rezip(t testing.TB, pkg []byte, edit func(name string, b []byte) ([]byte, bool), extra ...[2]string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			var keep bool
			if b, keep = edit(f.Name, b); !keep {
				continue
			}
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: f.Modified})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, e := range extra {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// entry returns one entry's bytes, or fails the test.
func entry(t testing.TB, pkg []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no %s in the package", name)
	return nil
}

func verifyBytes(t testing.TB, pkg []byte) *Report {
	t.Helper()
	rep, err := Verify(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// smallPackage is a valid signed package of a few kilobytes, for fuzz
// seeds: two cameras with tiny clips, built without ffmpeg or SQLite.
func smallPackage(t testing.TB) []byte {
	t.Helper()
	cams := map[string]*matthan.Camera{"cam-001": &camera1, "cam-002": &camera2}
	var segs []*matthan.Segment
	prev := ""
	for i, cam := range []string{"cam-001", "cam-001", "cam-002"} {
		sum := strings.Repeat(string(rune('a'+i)), 64)
		if cam == "cam-002" {
			prev = ""
		}
		start := wall0.Add(time.Duration(i%2) * 4 * time.Second)
		segs = append(segs, &matthan.Segment{CameraID: cam, Stream: matthan.StreamMain, Path: fmt.Sprintf("%s/2026-03-01/main-%d.mp4", cam, i),
			Start: start, End: start.Add(4 * time.Second), SHA256: sum, PrevSHA256: prev, Codec: "H264", Width: 320, Height: 240})
		prev = sum
	}
	idx := &fakeIndex{segs: segs}
	d := Deps{Store: fakeStore(cams), Index: idx, RecordDir: t.TempDir(), ExportDir: t.TempDir(), Key: testKey(t),
		NodeName: "n", Now: func() time.Time { return created },
		OpenClip: func(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string, stream matthan.StreamRole, from, to time.Time) (PlaybackClip, error) {
			s, _ := index.Segments(ctx, matthan.SegmentFilter{CameraID: cameraID, From: from, To: to})
			if len(s) == 0 {
				return nil, matthan.Errorf(matthan.ENOTFOUND, "none", "không có")
			}
			return &bytesClip{b: []byte("\x00\x00\x00\x08free" + s[0].Path), seg: s[0]}, nil
		}}
	res, err := Export(context.Background(), d, Request{CameraIDs: []string{"cam-001", "cam-002"}, From: wall0, To: wall0.Add(10 * time.Second),
		User: "u", Reason: "r", Case: "c"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fakeStore map[string]*matthan.Camera

func (s fakeStore) Camera(_ context.Context, id string) (*matthan.Camera, error) {
	if c, ok := s[id]; ok {
		return c, nil
	}
	return nil, matthan.Errorf(matthan.ENOTFOUND, "no camera", "không có camera")
}

func (fakeStore) AddAudit(context.Context, *matthan.AuditEntry) error { return nil }

// fakeIndex answers Segments and Gaps from memory.
type fakeIndex struct {
	matthan.RecordingIndex
	segs []*matthan.Segment
}

func (x *fakeIndex) Segments(_ context.Context, f matthan.SegmentFilter) ([]*matthan.Segment, error) {
	var out []*matthan.Segment
	for _, s := range x.segs {
		if s.CameraID == f.CameraID && s.Start.Before(f.To) && s.End.After(f.From) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (x *fakeIndex) Gaps(context.Context, matthan.GapFilter) ([]*matthan.Gap, error) { return nil, nil }
