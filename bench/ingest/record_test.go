//go:build linux

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"matthan/internal/fmp4"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// writeSegment writes units as our recorder does (1 s fragments) and
// returns the file's size and the sample bytes it holds.
func writeSegment(t *testing.T, path string, units []*media.Unit) (size, samples int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := fmp4.NewWriter(bw, units[0], units[0].Wall, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if _, err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
		for _, nal := range u.Data {
			samples += 4 + int64(len(nal)) // AVCC: a 4-byte length before each NAL unit
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return w.Size(), samples
}

func TestScanRecordings(t *testing.T) {
	wall0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clip := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Seconds: 4}, wall0) // a keyframe every second
	root := t.TempDir()

	// cam-001: whole. cam-002: the second GOP never reached the recorder
	// (what a skip to the next keyframe does).
	size1, samples1 := writeSegment(t, filepath.Join(root, "cam-001", "2026-03-01", "main-20260301T100000Z.mp4"), clip.Units)
	var skipped []*media.Unit
	for i, u := range clip.Units {
		if i < 25 || i >= 50 {
			skipped = append(skipped, u)
		}
	}
	size2, samples2 := writeSegment(t, filepath.Join(root, "cam-002", "2026-03-01", "main-20260301T100000Z.mp4"), skipped)
	// cam-003: a file cut inside a fragment, and one recovery set aside.
	size3, _ := writeSegment(t, filepath.Join(root, "cam-003", "2026-03-01", "main-20260301T100000Z.mp4"), clip.Units)
	if err := os.Truncate(filepath.Join(root, "cam-003", "2026-03-01", "main-20260301T100000Z.mp4"), size3-100); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(root, "_quarantine", "cam-003", "main-20260301T090000Z.mp4")
	if err := os.MkdirAll(filepath.Dir(q), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}

	d, err := scanRecordings(root)
	if err != nil {
		t.Fatal(err)
	}
	if d.Files != 3 || d.Bytes != size1+size2+size3-100 || d.BadFiles != 1 || d.Quarantined != 1 {
		t.Errorf("files %d, bytes %d, bad %d, quarantined %d; want 3, %d, 1, 1", d.Files, d.Bytes, d.BadFiles, d.Quarantined, size1+size2+size3-100)
	}
	if d.SampleBytes != samples1+samples2 {
		t.Errorf("sample bytes %d, want %d (the damaged file is not read)", d.SampleBytes, samples1+samples2)
	}
	if d.Frames["cam-001"] != 100 || d.Holes["cam-001"] != 0 {
		t.Errorf("cam-001: %d frames, %d holes; want 100, 0", d.Frames["cam-001"], d.Holes["cam-001"])
	}
	if d.Frames["cam-002"] != 75 || d.Holes["cam-002"] == 0 {
		t.Errorf("cam-002: %d frames, %d holes; want 75 and a hole", d.Frames["cam-002"], d.Holes["cam-002"])
	}
	// Our container: init, a metadata box, and per fragment a moof and an
	// mdat header (a large share here: the test frames are tiny).
	want := float64(size1+size2-samples1-samples2) / float64(samples1+samples2)
	if o := d.overhead(); o != want || o <= 0 {
		t.Errorf("overhead %.4f, want %.4f", o, want)
	}
}

func TestFFmpegArgs(t *testing.T) {
	tests := []struct {
		o    options
		want string
	}{
		{options{mode: modeIngest}, "-nostdin -rtsp_transport tcp -i URL -c copy -f null -"},
		{options{mode: modeRecord, baseline: baselineMP4},
			"-nostdin -rtsp_transport tcp -i URL -c copy -f segment -segment_time 300 -reset_timestamps 1 -segment_format mp4 D/cam-001-%03d.mp4"},
		{options{mode: modeRecord, baseline: baselineFMP4},
			"-nostdin -rtsp_transport tcp -i URL -c copy -f segment -segment_time 300 -reset_timestamps 1 -segment_format mp4 " +
				"-segment_format_options movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000 D/cam-001-%03d.mp4"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.o.ffmpegArgs("URL", "D/cam-001"), " "); got != tt.want {
			t.Errorf("%s/%s:\n got %s\nwant %s", tt.o.mode, tt.o.baseline, got, tt.want)
		}
	}
	// Ours must not record in ingest mode, where ffmpeg writes nothing.
	ingest := options{mode: modeIngest}
	if got := strings.Join(ingest.serveArgs("D"), " "); !strings.Contains(got, "--record.enabled=false") {
		t.Errorf("ingest serve args %q do not turn recording off", got)
	}
	record := options{mode: modeRecord}
	if got := strings.Join(record.serveArgs("D"), " "); strings.Contains(got, "record") {
		t.Errorf("record serve args %q change the recorder's defaults", got)
	}
}
