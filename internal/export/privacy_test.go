package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/export/exporttest"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// testMasks cover x 32..160, y 24..144 of cam-001's 320×240 picture.
var testMasks = []matthan.PrivacyMask{{Name: "cửa sổ nhà bên", Polygon: []matthan.Point{
	{X: 0.1, Y: 0.1}, {X: 0.5, Y: 0.1}, {X: 0.5, Y: 0.6}, {X: 0.1, Y: 0.6}}}}

// maskedNode is recordedNode's cam-001 (12 s of H.264 with AAC) with
// privacy masks, and its cam-002 (6 s of H.264) without.
func maskedNode(t *testing.T) *exporttest.Node {
	t.Helper()
	n := exporttest.New(t)
	c1 := camera1
	c1.PrivacyMasks = testMasks
	n.AddCamera(t, c1)
	n.AddCamera(t, camera2)
	n.Record(t, "cam-001", fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 12}, wall0), 4*time.Second)
	n.Record(t, "cam-002", fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 6}, wall0), 4*time.Second)
	return n
}

// frameRGB decodes one frame of a 320×240 clip as RGB; args pick it.
func frameRGB(t *testing.T, path string, args ...string) []byte {
	t.Helper()
	args = append(append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...),
		"-i", path, "-map", "0:v:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(out) != 320*240*3 {
		t.Fatalf("frame of %s: %d bytes, %v: %s", path, len(out), err, stderr.String())
	}
	return out
}

// TestExportPrivacyMasks exports a masked camera and an unmasked one
// together: the masked clip plays cleanly for the asked range with the
// mask black in its frames and its audio kept, the manifest says it was
// re-encoded and with which masks while still listing the source segments'
// chain, the unmasked clip is the recorded samples byte for byte, the
// package verifies, and a change to the masked clip fails it.
func TestExportPrivacyMasks(t *testing.T) {
	ctx := context.Background()
	n := maskedNode(t)
	d := deps(t, n, nil) // the real clip builder
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	d.FFmpeg = ffmpeg // an absolute path: ffprobe is found beside it
	req := request("cam-001", "cam-002")
	res, err := Export(ctx, d, req)
	if err != nil {
		t.Fatal(err)
	}
	// cam-002 was recorded for 6 s of the 9 s asked, with no gap record:
	// the one warning says the rest may be in a segment being written.
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "camera cam-002: no closed recording from") {
		t.Errorf("warnings %q", res.Warnings)
	}
	pkg, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBytes(t, pkg)
	if !rep.OK {
		t.Fatalf("fresh masked package fails: %+v", rep.Problems)
	}
	var notes []string
	for _, n := range rep.Notes {
		notes = append(notes, n.Code+" "+n.File)
	}
	// cam-002's recording ends at 6 s: a gap.
	if !slices.Equal(notes, []string{NotePrivacyMasked + " cam-001-1.mp4", NoteGap + " "}) {
		t.Errorf("notes %q", notes)
	}

	// The manifest: masks, re-encoding and the source chain.
	c1, c2 := rep.Manifest.Cameras[0], rep.Manifest.Cameras[1]
	if len(c1.Clips) != 1 || len(c2.Clips) != 1 {
		t.Fatalf("clips: %+v, %+v", c1.Clips, c2.Clips)
	}
	masked, plain := c1.Clips[0], c2.Clips[0]
	if !slices.EqualFunc(c1.PrivacyMasks, testMasks, func(a, b matthan.PrivacyMask) bool {
		return a.Name == b.Name && slices.Equal(a.Polygon, b.Polygon)
	}) || c2.PrivacyMasks != nil {
		t.Errorf("masks: cam-001 %+v, cam-002 %+v", c1.PrivacyMasks, c2.PrivacyMasks)
	}
	if !masked.PrivacyMasked || masked.Codec != "H264" || masked.SourceCodec != "H264" || masked.Audio != "AAC" ||
		masked.Width != 320 || masked.Height != 240 || len(masked.Segments) != 3 {
		t.Errorf("masked clip %+v", masked)
	}
	if plain.PrivacyMasked || plain.SourceCodec != "" {
		t.Errorf("unmasked clip %+v", plain)
	}
	if len(c1.Segments) != 3 {
		t.Fatalf("cam-001 segments %+v", c1.Segments)
	}
	for i, s := range c1.Segments {
		if s.FileCheck != FileOK || (i > 0 && s.PrevSHA256 != c1.Segments[i-1].SHA256) {
			t.Errorf("cam-001 segment %d: %+v", i, s)
		}
	}
	mb := entry(t, pkg, "cam-001-1.mp4")
	sum := sha256.Sum256(mb)
	for _, f := range rep.Manifest.Files {
		if f.Name == masked.File && (f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(mb))) {
			t.Errorf("manifest lists %+v, the masked file is %d bytes", f, len(mb))
		}
	}

	// The masked clip plays cleanly for the range, black inside the mask.
	dir := t.TempDir()
	path := filepath.Join(dir, "cam-001-1.mp4")
	if err := os.WriteFile(path, mb, 0o600); err != nil {
		t.Fatal(err)
	}
	p := fmp4test.ProbeFile(t, path)
	if p.Errors != "" {
		t.Errorf("ffprobe/ffmpeg errors:\n%s", p.Errors)
	}
	if len(p.Streams) != 2 || p.Streams[1].CodecName != "aac" || p.Video(t).CodecName != "h264" {
		t.Errorf("streams %+v", p.Streams)
	}
	t.Logf("masked clip: ffprobe %.3f s, manifest %.3f s", p.Duration, masked.DurationSeconds)
	const gop = 1.0
	if want := req.To.Sub(req.From).Seconds(); math.Abs(p.Duration-want) > gop {
		t.Errorf("plays %.3f s, want %.3f s within a GOP", p.Duration, want)
	}
	for _, at := range [][]string{nil, {"-sseof", "-0.5"}} {
		f := frameRGB(t, path, at...)
		inside, outside := 0, 0
		for y := range 240 {
			for x := range 320 {
				o := (y*320 + x) * 3
				switch {
				case x >= 36 && x < 156 && y >= 28 && y < 140: // 4 px in from the mask's edges
					inside = max(inside, int(f[o]), int(f[o+1]), int(f[o+2]))
				case x >= 164 || y >= 148:
					if f[o]+f[o+1]+f[o+2] > 60 {
						outside++
					}
				}
			}
		}
		if inside > 20 || outside < 10000 {
			t.Errorf("frame %q: brightest masked value %d, want black; %d bright pixels outside the mask", at, inside, outside)
		}
	}

	// The unmasked camera's clip is its recorded samples, byte for byte.
	clip, err := openPlayback(ctx, n.DB, n.RecordDir, "cam-002", matthan.StreamMain, req.From, req.To)
	if err != nil {
		t.Fatal(err)
	}
	var recorded bytes.Buffer
	clip.WriteTo(&recorded)
	clip.Close()
	if !bytes.Equal(entry(t, pkg, "cam-002-1.mp4"), recorded.Bytes()) {
		t.Error("cam-002's clip is not its recorded samples")
	}

	// README says it in both languages.
	readme := string(entry(t, pkg, ReadmeName))
	for _, s := range []string{"video của camera cam-001 đã được mã hóa lại (H.264) để che các vùng riêng tư",
		"the video of camera cam-001 was re-encoded (H.264) to hide private areas", "prove what was recorded"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README lacks %q:\n%s", s, readme)
		}
	}

	// A changed byte of the masked clip fails verification, naming it.
	bad := rezip(t, pkg, func(name string, b []byte) ([]byte, bool) {
		if name == "cam-001-1.mp4" {
			b = bytes.Clone(b)
			b[len(b)/2] ^= 1
		}
		return b, true
	})
	rep = verifyBytes(t, bad)
	if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Code != ProblemFileChanged || rep.Problems[0].File != "cam-001-1.mp4" {
		t.Errorf("tampered masked clip: %+v", rep.Problems)
	}

	// Nothing of the re-encoding is left beside the packages.
	entries, _ := os.ReadDir(d.ExportDir)
	if len(entries) != 2 {
		t.Errorf("exports dir: %v, want the zip and its sidecar", entries)
	}
}

// TestExportPrivacyMaskFails: when the masked clip cannot be made, no
// package is kept or audited, and no temporary file is left.
func TestExportPrivacyMaskFails(t *testing.T) {
	n := maskedNode(t)
	d := deps(t, n, segmentClips)
	d.FFmpeg = filepath.Join(t.TempDir(), "no-ffmpeg")
	_, err := Export(context.Background(), d, request("cam-001"))
	if err == nil || !strings.Contains(err.Error(), "cam-001-1.mp4") {
		t.Fatalf("err %v", err)
	}
	if entries, _ := os.ReadDir(d.ExportDir); len(entries) != 0 {
		t.Errorf("exports dir holds %v", entries)
	}
	if audit, _ := n.DB.Audit(context.Background(), matthan.AuditFilter{}); len(audit) != 0 {
		t.Errorf("audit %+v", audit)
	}
}

// TestManifestPrivacyConsistent: a manifest whose clip flags and camera
// masks disagree, or whose masks are not valid, is refused.
func TestManifestPrivacyConsistent(t *testing.T) {
	base := func() *Manifest {
		return &Manifest{Format: FormatV1, Node: Node{ID: "x", PublicKey: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
			Files: []File{{Name: "cam-1.mp4", SHA256: strings.Repeat("a", 64)}},
			Cameras: []Camera{{ID: "cam", PrivacyMasks: testMasks,
				Clips: []Clip{{File: "cam-1.mp4", PrivacyMasked: true}}}}}
	}
	if err := base().validate(); err != nil {
		t.Fatalf("consistent manifest: %v", err)
	}
	tests := []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"masked clip, no masks", func(m *Manifest) { m.Cameras[0].PrivacyMasks = nil }, "privacy_masked true"},
		{"masks, clip not masked", func(m *Manifest) { m.Cameras[0].Clips[0].PrivacyMasked = false }, "privacy_masked false"},
		{"bad mask", func(m *Manifest) {
			m.Cameras[0].PrivacyMasks = []matthan.PrivacyMask{{Polygon: []matthan.Point{{X: 2}, {}, {}}}}
		}, "privacy masks are not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			if err := m.validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
