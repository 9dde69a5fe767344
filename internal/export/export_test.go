package export

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
)

// TestExport exports two cameras through internal/playback and checks the
// package: every clip plays cleanly for the asked range, the manifest says
// where and whose the footage is, the package verifies, it is kept with
// its sidecar, and the audit came first.
func TestExport(t *testing.T) {
	ctx := context.Background()
	n := recordedNode(t)
	d := deps(t, n, nil) // the real clip builder
	res, err := Export(ctx, d, request("cam-002", "cam-001", "cam-001"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
	if want := filepath.Join(n.Data, "exports", res.ID+".zip"); res.Path != want {
		t.Errorf("path %s, want %s", res.Path, want)
	}
	st, err := os.Stat(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != res.Size || st.Mode().Perm() != 0o600 {
		t.Errorf("package: %d bytes mode %#o, want %d bytes mode 0600", st.Size(), st.Mode().Perm(), res.Size)
	}
	pkg, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBytes(t, pkg)
	if !rep.OK {
		t.Fatalf("fresh package fails: %+v", rep.Problems)
	}

	m := rep.Manifest
	if m.ID != res.ID || m.ExportedBy != "tuan" || m.Case != "12/2026" || m.Reason != "Trộm xe máy / motorbike theft" {
		t.Errorf("manifest header: %+v", m)
	}
	if m.CreatedAt.Local != "02/03/2026 10:04:05" || !m.CreatedAt.UTC.Equal(created) {
		t.Errorf("created %+v", m.CreatedAt)
	}
	if m.Range.From.Local != "01/03/2026 08:00:01" || m.Range.To.Local != "01/03/2026 08:00:10" ||
		!m.Range.From.UTC.Equal(wall0.Add(1500*time.Millisecond)) {
		t.Errorf("range %+v", m.Range)
	}
	if len(m.Cameras) != 2 || m.Cameras[0].ID != "cam-001" || m.Cameras[1].ID != "cam-002" {
		t.Fatalf("cameras %+v", m.Cameras)
	}
	c1, c2 := m.Cameras[0], m.Cameras[1]
	if c2.Owner != camera2.Owner || c2.Address != camera2.Address || c2.Area != camera2.Area ||
		c2.Latitude != camera2.Latitude || c2.Longitude != camera2.Longitude || c2.Name != camera2.Name {
		t.Errorf("camera 2 as exported: %+v", c2)
	}

	// One clip for cam-001; two for cam-002, whose resolution changes.
	type want struct {
		file          string
		seconds       float64 // the asked range as recorded
		width, height int
		audio         bool
	}
	wants := []want{
		{"cam-001-1.mp4", 9, 320, 240, true},
		{"cam-002-1.mp4", 4.5, 320, 240, false},
		{"cam-002-2.mp4", 2.5, 160, 120, false},
	}
	var clips []Clip
	for _, c := range m.Cameras {
		clips = append(clips, c.Clips...)
	}
	if len(clips) != len(wants) {
		t.Fatalf("clips %+v, want %d", clips, len(wants))
	}
	dir := t.TempDir()
	for i, w := range wants {
		if clips[i].File != w.file || clips[i].Width != w.width {
			t.Errorf("clip %d: %+v, want %s", i, clips[i], w.file)
		}
		path := filepath.Join(dir, w.file)
		if err := os.WriteFile(path, entry(t, pkg, w.file), 0o600); err != nil {
			t.Fatal(err)
		}
		p := fmp4test.ProbeFile(t, path)
		if p.Errors != "" {
			t.Errorf("%s: ffprobe/ffmpeg errors:\n%s", w.file, p.Errors)
		}
		if v := p.Video(t); v.Width != w.width || v.Height != w.height {
			t.Errorf("%s: video %dx%d, want %dx%d", w.file, v.Width, v.Height, w.width, w.height)
		}
		if hasAudio := len(p.Streams) == 2; hasAudio != w.audio {
			t.Errorf("%s: streams %+v, audio want %v", w.file, p.Streams, w.audio)
		}
		t.Logf("%s: ffprobe %.3f s, manifest %.3f s, %+v", w.file, p.Duration, clips[i].DurationSeconds, p.Streams)
		const gop = 1.0 // seconds: a keyframe every 25 frames at 25 fps
		if math.Abs(p.Duration-w.seconds) > gop {
			t.Errorf("%s: plays %.3f s, want %.3f s within a GOP", w.file, p.Duration, w.seconds)
		}
		if math.Abs(clips[i].DurationSeconds-w.seconds) > gop {
			t.Errorf("%s: manifest says %.3f s, want %.3f s", w.file, clips[i].DurationSeconds, w.seconds)
		}
	}

	// The source segments, their chain, and the gap with its reason.
	if len(c1.Segments) != 3 || len(c2.Segments) != 3 {
		t.Fatalf("segments: cam-001 %d, cam-002 %d, want 3 and 3", len(c1.Segments), len(c2.Segments))
	}
	for _, c := range m.Cameras {
		for i, s := range c.Segments {
			if s.FileCheck != FileOK || s.ChainBreak {
				t.Errorf("%s segment %d: %+v", c.ID, i, s)
			}
			if i > 0 && s.PrevSHA256 != c.Segments[i-1].SHA256 {
				t.Errorf("%s segment %d does not chain", c.ID, i)
			}
		}
	}
	if !slices.Equal(clips[0].Segments, []string{c1.Segments[0].Path, c1.Segments[1].Path, c1.Segments[2].Path}) {
		t.Errorf("cam-001 clip segments %q", clips[0].Segments)
	}
	wantGap := []Gap{{Start: At(wall0.Add(6 * time.Second)), End: At(wall0.Add(8 * time.Second)),
		Reason: matthan.GapOffline, Detail: "no answer from the camera"}}
	if len(c1.Gaps) != 0 || !gapsEqual(c2.Gaps, wantGap) {
		t.Errorf("gaps: cam-001 %+v, cam-002 %+v", c1.Gaps, c2.Gaps)
	}

	// Kept with a sidecar, listed for a year.
	kept, err := List(d.ExportDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || kept[0].ID != res.ID || kept[0].SHA256 != res.SHA256 ||
		!kept[0].KeepUntil.Equal(created.Add(DefaultKeep)) || !slices.Equal(kept[0].Cameras, []string{"cam-001", "cam-002"}) {
		t.Errorf("kept %+v", kept)
	}

	// One audit entry per camera, naming the reason, case, range and package.
	audit, err := n.DB.Audit(ctx, matthan.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 {
		t.Fatalf("audit %+v, want 2 entries", audit)
	}
	for _, e := range audit {
		if e.Action != "export" || e.User != "tuan" || e.Stream != matthan.StreamMain {
			t.Errorf("audit entry %+v", e)
		}
		for _, s := range []string{"reason: Trộm xe máy", "case: 12/2026", "01/03/2026 08:00:01 – 01/03/2026 08:00:10", res.ID, res.SHA256} {
			if !strings.Contains(e.Detail, s) {
				t.Errorf("audit detail %q lacks %q", e.Detail, s)
			}
		}
	}
}

func gapsEqual(a, b []Gap) bool {
	return slices.EqualFunc(a, b, func(x, y Gap) bool {
		return x.Start.UTC.Equal(y.Start.UTC) && x.End.UTC.Equal(y.End.UTC) && x.Start.Local == y.Start.Local &&
			x.Reason == y.Reason && x.Detail == y.Detail
	})
}

// TestExportGapsAndChain: a camera with nothing recorded is exported with
// the whole range as an unexplained gap; a segment deleted from the middle
// shows as a declared chain restart; a source file changed on disk is
// stated in the manifest.
func TestExportGapsAndChain(t *testing.T) {
	ctx := context.Background()
	n := recordedNode(t)
	n.AddCamera(t, matthan.Camera{ID: "cam-003", Name: "Chợ", Area: "Khóm 3", Address: "1 Chợ",
		Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND"}})
	segs, err := n.DB.Segments(ctx, matthan.SegmentFilter{CameraID: "cam-001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.DB.DeleteSegment(ctx, segs[1].ID); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(n.RecordDir, segs[2].Path), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff}, 200)
	f.Close()

	res, err := Export(ctx, deps(t, n, segmentClips), request("cam-001", "cam-003"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 2 || !strings.Contains(res.Warnings[0], segs[2].Path) || !strings.Contains(res.Warnings[1], "cam-003: nothing recorded") {
		t.Errorf("warnings %q", res.Warnings)
	}
	c1, c3 := res.Manifest.Cameras[0], res.Manifest.Cameras[1]
	if len(c1.Segments) != 2 || !c1.Segments[1].ChainBreak || c1.Segments[1].FileCheck != FileChanged || c1.Segments[0].FileCheck != FileOK {
		t.Errorf("cam-001 segments %+v", c1.Segments)
	}
	wantGap := []Gap{{Start: At(wall0.Add(4 * time.Second)), End: At(wall0.Add(8 * time.Second)), Reason: GapUnknown}}
	if !gapsEqual(c1.Gaps, wantGap) {
		t.Errorf("cam-001 gaps %+v", c1.Gaps)
	}
	wantGap = []Gap{{Start: res.Manifest.Range.From, End: res.Manifest.Range.To, Reason: GapUnknown}}
	if len(c3.Clips) != 0 || !gapsEqual(c3.Gaps, wantGap) {
		t.Errorf("cam-003: %+v", c3)
	}

	pkg, _ := os.ReadFile(res.Path)
	rep := verifyBytes(t, pkg)
	if !rep.OK {
		t.Fatalf("problems %+v", rep.Problems)
	}
	var codes []string
	for _, n := range rep.Notes {
		codes = append(codes, n.Code)
	}
	if !slices.Equal(codes, []string{NoteChainRestart, NoteSegmentChanged, NoteGap, NoteGap}) {
		t.Errorf("notes %+v", rep.Notes)
	}
}

func TestExportRefused(t *testing.T) {
	ctx := context.Background()
	n := recordedNode(t)
	d := deps(t, n, segmentClips)
	edit := func(fn func(r *Request)) Request {
		r := request("cam-001")
		fn(&r)
		return r
	}
	tests := []struct {
		name   string
		deps   Deps
		req    Request
		code   string
		fields []string
	}{
		{"no camera", d, edit(func(r *Request) { r.CameraIDs = nil }), matthan.EINVALID, []string{"cameras"}},
		{"end before start", d, edit(func(r *Request) { r.From, r.To = r.To, r.From }), matthan.EINVALID, []string{"range"}},
		{"too long", d, edit(func(r *Request) { r.To = r.From.Add(MaxRange + time.Second) }), matthan.EINVALID, []string{"range"}},
		{"no reason, no user", d, edit(func(r *Request) { r.Reason, r.User = "  ", "" }), matthan.EINVALID, []string{"reason", "user"}},
		{"bad stream", d, edit(func(r *Request) { r.Stream = "x" }), matthan.EINVALID, []string{"stream"}},
		{"unknown camera", d, request("cam-404"), matthan.ENOTFOUND, nil},
		{"nothing recorded", d, edit(func(r *Request) { r.From, r.To = wall0.Add(-time.Hour), wall0.Add(-time.Minute) }), matthan.ENOTFOUND, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Export(ctx, tt.deps, tt.req)
			if matthan.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want code %s", err, tt.code)
			}
			var e *matthan.Error
			errors.As(err, &e)
			if e.MessageVI == "" {
				t.Errorf("no Vietnamese message: %+v", e)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields %q, want %q", fields, tt.fields)
			}
		})
	}
	// Nothing kept, nothing audited.
	entries, _ := os.ReadDir(d.ExportDir)
	if len(entries) != 0 {
		t.Errorf("exports dir holds %d entries after refused exports", len(entries))
	}
	if audit, _ := n.DB.Audit(ctx, matthan.AuditFilter{}); len(audit) != 0 {
		t.Errorf("audit %+v", audit)
	}
}

// failingAudit is a store whose audit log cannot be written.
type failingAudit struct{ Store }

func (failingAudit) AddAudit(context.Context, *matthan.AuditEntry) error {
	return errors.New("disk full")
}

// TestExportNeedsAudit: without its audit entry no package is handed out.
func TestExportNeedsAudit(t *testing.T) {
	n := recordedNode(t)
	d := deps(t, n, segmentClips)
	d.Store = failingAudit{n.DB}
	_, err := Export(context.Background(), d, request("cam-001"))
	if err == nil || !strings.Contains(err.Error(), "audit entry: disk full") {
		t.Fatalf("err %v", err)
	}
	entries, _ := os.ReadDir(d.ExportDir)
	if len(entries) != 0 {
		t.Errorf("exports dir holds %v without an audit", entries)
	}
}

func TestSigningKey(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	k1, err := LoadOrCreateSigningKey(data)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(data, SigningKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", st, err)
	}
	k2, err := LoadOrCreateSigningKey(data)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v, same key %v", err, bytes.Equal(k1, k2))
	}
	id := NodeID(k1.Public().(ed25519.PublicKey))
	if len(id) != 16 || id != NodeID(k2.Public().(ed25519.PublicKey)) {
		t.Errorf("node id %q", id)
	}
	os.Chmod(filepath.Join(data, SigningKeyFile), 0o644)
	if _, err := LoadOrCreateSigningKey(data); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: err %v", err)
	}
}

// TestPrune: a package goes only after its keep-until time, and never
// before a year whatever its sidecar says.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	add := func(id string, createdAt time.Time, keep time.Duration) {
		os.WriteFile(filepath.Join(dir, id+".zip"), []byte("zip"), 0o600)
		if err := writeSidecar(dir, Stored{ID: id, File: id + ".zip", CreatedAt: createdAt, KeepUntil: createdAt.Add(keep)}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	add("old", now.Add(-400*24*time.Hour), DefaultKeep)
	add("young", now.Add(-100*24*time.Hour), DefaultKeep)
	add("long", now.Add(-400*24*time.Hour), 5*DefaultKeep)
	add("short-sidecar", now.Add(-30*24*time.Hour), 24*time.Hour) // an edited sidecar cannot shorten the year
	gone, err := Prune(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gone, []string{"old"}) {
		t.Errorf("pruned %q, want [old]", gone)
	}
	kept, _ := List(dir)
	if len(kept) != 3 {
		t.Errorf("kept %+v", kept)
	}
	if _, err := os.Stat(filepath.Join(dir, "old.zip")); !os.IsNotExist(err) {
		t.Errorf("old.zip still there: %v", err)
	}
}

// TestExportCutsTheOpenSegment: before packing a camera, Export asks the
// recorder to close the segment it is writing; when that fails the package
// still comes, with a warning that says so.
// TestExportWarnsOfTheOpenSegment: without a recorder to close the segment
// being written (`matthan export` beside a running node), a range that runs
// past the closed recording says so, where the footage is and how to get
// it; a range inside the recording, or a recorder that closes it, does not.
func TestExportWarnsOfTheOpenSegment(t *testing.T) {
	ctx := context.Background()
	n := recordedNode(t)
	req := request("cam-001")
	req.To = wall0.Add(40 * time.Second) // the recording ends at 12 s
	res, err := Export(ctx, deps(t, n, segmentClips), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "cam-001: no closed recording from 01/03/2026 08:00:12") ||
		!strings.Contains(res.Warnings[0], "segment still being written") {
		t.Fatalf("warnings %q", res.Warnings)
	}
	if res, err = Export(ctx, deps(t, n, segmentClips), request("cam-001")); err != nil || len(res.Warnings) != 0 {
		t.Fatalf("a range inside the recording: %v, warnings %q", err, res.Warnings)
	}
	d := deps(t, n, segmentClips)
	d.Cut = func(context.Context, string, matthan.StreamRole, time.Time) error { return nil }
	if res, err = Export(ctx, d, req); err != nil || len(res.Warnings) != 0 {
		t.Fatalf("with a recorder that closes the segment: %v, warnings %q", err, res.Warnings)
	}
}

func TestExportCutsTheOpenSegment(t *testing.T) {
	ctx := context.Background()
	n := recordedNode(t)
	d := deps(t, n, segmentClips)
	req := request("cam-001")
	var asked []string
	d.Cut = func(ctx context.Context, id string, stream matthan.StreamRole, to time.Time) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("Cut without a deadline")
		}
		asked = append(asked, fmt.Sprint(id, " ", stream, " ", to.Equal(req.To)))
		return nil
	}
	res, err := Export(ctx, d, req)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"cam-001 main true"}) || len(res.Warnings) != 0 {
		t.Fatalf("cut %q, warnings %q", asked, res.Warnings)
	}
	d.Cut = func(context.Context, string, matthan.StreamRole, time.Time) error { return context.DeadlineExceeded }
	res, err = Export(ctx, d, request("cam-001"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "could not be closed") {
		t.Fatalf("warnings %q", res.Warnings)
	}
}
