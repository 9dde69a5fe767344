package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"matthan"
)

// RecordingStore is a store that also keeps the recording index.
type RecordingStore interface {
	matthan.Store
	matthan.RecordingIndex
}

// RunRecording runs the recording index suite. open must return a new,
// empty store for each call; RunRecording closes it when the subtest ends.
//
// Beyond the matthan.RecordingIndex docs, the suite pins down:
//   - wall times come back in UTC, truncated to microseconds, and AddSegment
//     and AddGap set them so on the caller's value; media times and
//     durations come back exactly (nanoseconds);
//   - Keyframes come back non-nil (empty when none);
//   - Segments and Gaps return what overlaps [From, To): Start < To and
//     End > From, a zero-length span counting as the instant at its start,
//     an open gap as lasting until now and on; ordered by Start, then ID;
//     1000 results by default;
//   - LastSegment is the greatest Start (not the latest insert);
//   - AddSegment wants a camera, a stream role, a relative '/' path, a
//     Start, End not before Start, no negative sizes and lowercase hex
//     digests; AddGap a camera, a stream role, a Start and a reason, and
//     may add a gap already closed;
//   - EndGap: ENOTFOUND, ECONFLICT when already ended, EINVALID before Start;
//   - segments and gaps need no registered camera and outlive its deletion.
//
// The retention tests (retention.go) list what they pin down there.
func RunRecording(t *testing.T, open func(t *testing.T) RecordingStore) {
	tests := []subtest[RecordingStore]{
		{"SegmentRoundTrip", testSegmentRoundTrip},
		{"SegmentInvalid", testSegmentInvalid},
		{"SegmentConflict", testSegmentConflict},
		{"SegmentNotFound", testSegmentNotFound},
		{"SegmentOverlap", testSegmentOverlap},
		{"SegmentOrderAndLimit", testSegmentOrderAndLimit},
		{"SegmentDefaultLimit", testSegmentDefaultLimit},
		{"LastSegment", testLastSegment},
		{"HashChain", testHashChain},
		{"DeleteSegment", testDeleteSegment},
		{"RecordingOutlivesCamera", testRecordingOutlivesCamera},
		{"GapRoundTrip", testGapRoundTrip},
		{"GapInvalid", testGapInvalid},
		{"EndGap", testEndGap},
		{"GapOverlap", testGapOverlap},
		{"OpenGaps", testOpenGaps},
		{"ConcurrentRecorders", testConcurrentRecorders},
	}
	tests = append(tests, retentionTests...)
	runAll(t, open, tests)
}

var (
	recBase = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	hcm     = time.FixedZone("ICT", 7*3600)
)

// digest returns a distinct valid lowercase hex SHA-256 for n.
func digest(n int) string {
	return fmt.Sprintf("%064x", n+1)
}

// fullSegment returns a segment with every field set, starting at start
// and lasting d.
func fullSegment(camera string, stream matthan.StreamRole, start time.Time, d time.Duration) *matthan.Segment {
	return &matthan.Segment{
		CameraID:   camera,
		Stream:     stream,
		Path:       fmt.Sprintf("%s/%s/%s-%s.mp4", camera, start.UTC().Format("2006-01-02"), stream, start.UTC().Format("20060102T150405.000000Z")),
		Start:      start,
		End:        start.Add(d),
		MediaStart: 90*time.Hour + 123456789*time.Nanosecond,
		Duration:   max(d-7*time.Millisecond, 0),
		Frames:     int64(d/time.Second) * 25,
		Bytes:      int64(d/time.Second) * 500_000,
		Codec:      "H265",
		Width:      2560,
		Height:     1440,
		Audio:      "AAC",
		Keyframes: []matthan.Keyframe{
			{Offset: 0, Time: 0},
			{Offset: 1_234_567, Time: 2*time.Second + 40*time.Millisecond + 1},
			{Offset: 1 << 40, Time: d - time.Second},
		},
		SHA256:     digest(1),
		PrevSHA256: digest(0),
	}
}

func mustAddSegment(t *testing.T, s RecordingStore, seg *matthan.Segment) *matthan.Segment {
	t.Helper()
	if err := s.AddSegment(t.Context(), seg); err != nil {
		t.Fatalf("AddSegment %s: %v", seg.Path, err)
	}
	if seg.ID == 0 {
		t.Fatal("AddSegment did not set ID")
	}
	return seg
}

// sameSegment fails unless got and want agree on every field, wall times
// compared as instants and required to be UTC microseconds.
func sameSegment(t *testing.T, got, want *matthan.Segment) {
	t.Helper()
	mustUTC(t, "Start", got.Start)
	mustUTC(t, "End", got.End)
	if !got.Start.Equal(want.Start.Truncate(time.Microsecond)) || !got.End.Equal(want.End.Truncate(time.Microsecond)) {
		t.Errorf("segment %s times = [%v, %v), want [%v, %v)", want.Path, got.Start, got.End, want.Start, want.End)
	}
	if got.Keyframes == nil {
		t.Errorf("segment %s Keyframes = nil, want a non-nil slice", want.Path)
	}
	g, w := *got, *want
	g.Start, g.End, w.Start, w.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(w.Keyframes) == 0 {
		w.Keyframes = []matthan.Keyframe{}
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("segment %s:\n got %+v\nwant %+v", want.Path, g, w)
	}
}

func paths(segs []*matthan.Segment) []string {
	out := []string{}
	for _, s := range segs {
		out = append(out, s.Path)
	}
	return out
}

func testSegmentRoundTrip(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	// Given in Vietnam time with nanoseconds: must come back UTC, µs.
	seg := fullSegment("cam-001", matthan.StreamMain, recBase.Add(1234567).In(hcm), time.Minute)
	seg.Recovered = true
	sent := *seg
	mustAddSegment(t, s, seg)
	if seg.Start.Location() != time.UTC || !seg.Start.Equal(sent.Start.Truncate(time.Microsecond)) ||
		!seg.End.Equal(sent.End.Truncate(time.Microsecond)) {
		t.Errorf("AddSegment set times [%v, %v), want the stored [%v, %v)", seg.Start, seg.End, sent.Start, sent.End)
	}

	// A sub-stream segment with the least: no audio, no keyframes, no chain.
	bare := &matthan.Segment{CameraID: "cam-001", Stream: matthan.StreamSub, Path: "cam-001/2026-03-01/sub-20260301T080000Z.mp4",
		Start: recBase, End: recBase}
	mustAddSegment(t, s, bare)

	for _, want := range []*matthan.Segment{seg, bare} {
		got, err := s.SegmentByPath(ctx, want.Path)
		if err != nil {
			t.Fatal(err)
		}
		sameSegment(t, got, want)
		last, err := s.LastSegment(ctx, want.CameraID, want.Stream)
		if err != nil {
			t.Fatal(err)
		}
		sameSegment(t, last, want)
	}
	list, err := s.Segments(ctx, matthan.SegmentFilter{CameraID: "cam-001", Stream: matthan.StreamMain})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("Segments returned %d, want 1", len(list))
	}
	sameSegment(t, list[0], seg)
	if !list[0].Recovered || list[0].Keyframes[2].Offset != 1<<40 {
		t.Errorf("round trip lost Recovered or a large offset: %+v", list[0])
	}
}

func testSegmentInvalid(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	tests := []struct {
		name   string
		change func(*matthan.Segment)
	}{
		{"no camera", func(g *matthan.Segment) { g.CameraID = "" }},
		{"no path", func(g *matthan.Segment) { g.Path = "" }},
		{"absolute path", func(g *matthan.Segment) { g.Path = "/var/lib/matthan/x.mp4" }},
		{"path leaves the directory", func(g *matthan.Segment) { g.Path = "cam-001/../../etc/passwd" }},
		{"path with an empty element", func(g *matthan.Segment) { g.Path = "cam-001//main.mp4" }},
		{"no stream", func(g *matthan.Segment) { g.Stream = "" }},
		{"unknown stream", func(g *matthan.Segment) { g.Stream = "third" }},
		{"no start", func(g *matthan.Segment) { g.Start, g.End = time.Time{}, time.Time{} }},
		{"end before start", func(g *matthan.Segment) { g.End = g.Start.Add(-time.Microsecond) }},
		{"negative bytes", func(g *matthan.Segment) { g.Bytes = -1 }},
		{"negative frames", func(g *matthan.Segment) { g.Frames = -1 }},
		{"negative duration", func(g *matthan.Segment) { g.Duration = -time.Second }},
		{"short digest", func(g *matthan.Segment) { g.SHA256 = "abc" }},
		{"uppercase digest", func(g *matthan.Segment) { g.SHA256 = strings.Repeat("AB", 32) }},
		{"non-hex previous digest", func(g *matthan.Segment) { g.PrevSHA256 = strings.Repeat("g", 64) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seg := fullSegment("cam-001", matthan.StreamMain, recBase, time.Minute)
			tt.change(seg)
			wantCode(t, s.AddSegment(ctx, seg), matthan.EINVALID)
			if seg.ID != 0 {
				t.Errorf("a refused segment got ID %d", seg.ID)
			}
		})
	}
	all, err := s.Segments(ctx, matthan.SegmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 0 {
		t.Fatalf("refused segments were stored: %v", paths(all))
	}
	// The edges of the rules are valid: zero length, empty digests.
	ok := fullSegment("cam-001", matthan.StreamMain, recBase, 0)
	ok.SHA256, ok.PrevSHA256, ok.Duration = "", "", 0
	mustAddSegment(t, s, ok)
}

func testSegmentConflict(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	first := mustAddSegment(t, s, fullSegment("cam-001", matthan.StreamMain, recBase, time.Minute))
	dup := fullSegment("cam-002", matthan.StreamSub, recBase.Add(time.Hour), time.Minute)
	dup.Path = first.Path
	wantCode(t, s.AddSegment(ctx, dup), matthan.ECONFLICT)
	got, err := s.SegmentByPath(ctx, first.Path)
	if err != nil {
		t.Fatal(err)
	}
	sameSegment(t, got, first)
	// Paths are compared exactly.
	other := fullSegment("cam-001", matthan.StreamMain, recBase, time.Minute)
	other.Path = strings.ToUpper(first.Path)
	mustAddSegment(t, s, other)
}

func testSegmentNotFound(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	_, err := s.SegmentByPath(ctx, "cam-001/2026-03-01/main-20260301T080000Z.mp4")
	wantCode(t, err, matthan.ENOTFOUND)
	_, err = s.LastSegment(ctx, "cam-001", matthan.StreamMain)
	wantCode(t, err, matthan.ENOTFOUND)
	wantCode(t, s.DeleteSegment(ctx, 12345), matthan.ENOTFOUND)

	// A segment of the other stream or camera is not the last of this one.
	mustAddSegment(t, s, fullSegment("cam-001", matthan.StreamSub, recBase, time.Minute))
	mustAddSegment(t, s, fullSegment("cam-002", matthan.StreamMain, recBase, time.Minute))
	_, err = s.LastSegment(ctx, "cam-001", matthan.StreamMain)
	wantCode(t, err, matthan.ENOTFOUND)
}

func testSegmentOverlap(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	at := func(m float64) time.Time { return recBase.Add(time.Duration(m * float64(time.Minute))) }
	add := func(name, camera string, stream matthan.StreamRole, from, to float64) {
		seg := fullSegment(camera, stream, at(from), at(to).Sub(at(from)))
		seg.Path = name
		mustAddSegment(t, s, seg)
	}
	// cam-a main: [0,1) [1,2) [2,3), then a hole, then an instant at 5.
	add("a0", "cam-a", matthan.StreamMain, 0, 1)
	add("a1", "cam-a", matthan.StreamMain, 1, 2)
	add("a2", "cam-a", matthan.StreamMain, 2, 3)
	add("a5", "cam-a", matthan.StreamMain, 5, 5)
	add("as", "cam-a", matthan.StreamSub, 0, 10)
	add("b1", "cam-b", matthan.StreamMain, 1, 2)
	// A long one that spans every range asked below.
	add("bl", "cam-b", matthan.StreamSub, -60, 60)

	us := time.Microsecond
	tests := []struct {
		name string
		f    matthan.SegmentFilter
		want []string
	}{
		{"all", matthan.SegmentFilter{}, []string{"bl", "a0", "as", "a1", "b1", "a2", "a5"}},
		{"camera stream", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain}, []string{"a0", "a1", "a2", "a5"}},
		{"camera", matthan.SegmentFilter{CameraID: "cam-a"}, []string{"a0", "as", "a1", "a2", "a5"}},
		{"stream", matthan.SegmentFilter{Stream: matthan.StreamSub}, []string{"bl", "as"}},
		{"unknown camera", matthan.SegmentFilter{CameraID: "nope"}, []string{}},
		{"from = an end excludes it", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(1)}, []string{"a1", "a2", "a5"}},
		{"from just before an end includes it", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(1).Add(-us)}, []string{"a0", "a1", "a2", "a5"}},
		{"to = a start excludes it", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, To: at(2)}, []string{"a0", "a1"}},
		{"to just after a start includes it", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, To: at(2).Add(us)}, []string{"a0", "a1", "a2"}},
		{"inside one segment", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(1.2), To: at(1.3)}, []string{"a1"}},
		{"exactly one segment", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(1), To: at(2)}, []string{"a1"}},
		{"in the hole", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(3), To: at(5)}, []string{}},
		{"instant at from", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(5), To: at(6)}, []string{"a5"}},
		{"instant at to", matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(4), To: at(5)}, []string{}},
		{"from only", matthan.SegmentFilter{From: at(2.5)}, []string{"bl", "as", "a2", "a5"}},
		{"to only", matthan.SegmentFilter{To: at(1)}, []string{"bl", "a0", "as"}},
		{"other time zone", matthan.SegmentFilter{CameraID: "cam-b", From: at(1.5).In(hcm), To: at(1.6).In(hcm)}, []string{"bl", "b1"}},
		{"empty range", matthan.SegmentFilter{From: at(1.5), To: at(1.5)}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Segments(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Error("Segments returned nil, want an empty slice")
			}
			if !reflect.DeepEqual(paths(got), tt.want) {
				t.Errorf("Segments(%+v) = %v, want %v", tt.f, paths(got), tt.want)
			}
		})
	}
}

func testSegmentOrderAndLimit(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	// Added out of order (recovery indexes old orphans late); two share a
	// Start, and then the first added comes first.
	var want []string
	for _, m := range []int{4, 1, 3, 0, 2, 2} {
		seg := fullSegment("cam-a", matthan.StreamMain, recBase.Add(time.Duration(m)*time.Minute), time.Minute)
		seg.Path = fmt.Sprintf("%s-%d", seg.Path, len(want))
		mustAddSegment(t, s, seg)
		want = append(want, seg.Path)
	}
	want = []string{want[3], want[1], want[4], want[5], want[2], want[0]}
	got, err := s.Segments(ctx, matthan.SegmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(paths(got), want) {
		t.Errorf("Segments = %v, want by Start then ID %v", paths(got), want)
	}
	got, err = s.Segments(ctx, matthan.SegmentFilter{Limit: 2, From: recBase.Add(90 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(paths(got), want[1:3]) {
		t.Errorf("Segments with limit 2 = %v, want the first two from the start %v", paths(got), want[1:3])
	}
	got, err = s.Segments(ctx, matthan.SegmentFilter{Limit: 1 << 30}) // a silly limit is capped, not an error
	if err != nil || len(got) != len(want) {
		t.Errorf("Segments with a huge limit = %d segments, %v", len(got), err)
	}
}

func testSegmentDefaultLimit(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	const n = 1001
	for i := range n {
		seg := &matthan.Segment{CameraID: "cam-a", Stream: matthan.StreamMain, Path: fmt.Sprintf("cam-a/%04d.mp4", i),
			Start: recBase.Add(time.Duration(i) * time.Second), End: recBase.Add(time.Duration(i+1) * time.Second)}
		mustAddSegment(t, s, seg)
	}
	got, err := s.Segments(ctx, matthan.SegmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || got[0].Path != "cam-a/0000.mp4" || got[999].Path != "cam-a/0999.mp4" {
		t.Fatalf("default limit gave %d segments, want the first 1000 by Start", len(got))
	}
	got, err = s.Segments(ctx, matthan.SegmentFilter{Limit: 2000})
	if err != nil || len(got) != n {
		t.Fatalf("limit 2000 gave %d segments, %v; want %d", len(got), err, n)
	}
}

func testLastSegment(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	newest := mustAddSegment(t, s, fullSegment("cam-a", matthan.StreamMain, recBase.Add(time.Hour), time.Minute))
	// An older file indexed later (an orphan found at start-up) does not
	// become the last one.
	mustAddSegment(t, s, fullSegment("cam-a", matthan.StreamMain, recBase, time.Minute))
	sub := mustAddSegment(t, s, fullSegment("cam-a", matthan.StreamSub, recBase.Add(2*time.Hour), time.Minute))
	mustAddSegment(t, s, fullSegment("cam-b", matthan.StreamMain, recBase.Add(3*time.Hour), time.Minute))

	for _, tt := range []struct {
		stream matthan.StreamRole
		want   *matthan.Segment
	}{{matthan.StreamMain, newest}, {matthan.StreamSub, sub}} {
		got, err := s.LastSegment(ctx, "cam-a", tt.stream)
		if err != nil {
			t.Fatal(err)
		}
		sameSegment(t, got, tt.want)
	}
}

func testHashChain(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	// What a recorder does: chain each new segment to the last one.
	for i := range 4 {
		seg := fullSegment("cam-a", matthan.StreamMain, recBase.Add(time.Duration(i)*time.Minute), time.Minute)
		seg.SHA256, seg.PrevSHA256 = digest(100+i), ""
		last, err := s.LastSegment(ctx, "cam-a", matthan.StreamMain)
		switch {
		case i == 0:
			wantCode(t, err, matthan.ENOTFOUND)
		case err != nil:
			t.Fatal(err)
		default:
			seg.PrevSHA256 = last.SHA256
		}
		mustAddSegment(t, s, seg)
	}
	got, err := s.Segments(ctx, matthan.SegmentFilter{CameraID: "cam-a", Stream: matthan.StreamMain})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d segments, want 4", len(got))
	}
	prev := ""
	for i, seg := range got {
		if seg.SHA256 != digest(100+i) || seg.PrevSHA256 != prev {
			t.Errorf("segment %d: sha256 %s prev %q, want %s prev %q", i, seg.SHA256, seg.PrevSHA256, digest(100+i), prev)
		}
		prev = seg.SHA256
	}
}

func testDeleteSegment(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	a := mustAddSegment(t, s, fullSegment("cam-a", matthan.StreamMain, recBase, time.Minute))
	b := mustAddSegment(t, s, fullSegment("cam-a", matthan.StreamMain, recBase.Add(time.Minute), time.Minute))
	if err := s.DeleteSegment(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteSegment(ctx, b.ID), matthan.ENOTFOUND)
	_, err := s.SegmentByPath(ctx, b.Path)
	wantCode(t, err, matthan.ENOTFOUND)
	// The last segment is again the one before.
	last, err := s.LastSegment(ctx, "cam-a", matthan.StreamMain)
	if err != nil {
		t.Fatal(err)
	}
	sameSegment(t, last, a)
	// The path is free to be indexed again (a file re-indexed after repair).
	b.ID = 0
	mustAddSegment(t, s, b)
}

func testRecordingOutlivesCamera(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	mustCamera(t, s, "cam-a")
	seg := mustAddSegment(t, s, fullSegment("cam-a", matthan.StreamMain, recBase, time.Minute))
	gap := &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamMain, Start: recBase.Add(time.Minute), Reason: matthan.GapOffline}
	if err := s.AddGap(ctx, gap); err != nil {
		t.Fatal(err)
	}
	// A camera the registry never knew (footage found on disk) is indexed too.
	mustAddSegment(t, s, fullSegment("cam-gone", matthan.StreamMain, recBase, time.Minute))

	if err := s.DeleteCamera(ctx, "cam-a"); err != nil {
		t.Fatal(err)
	}
	got, err := s.SegmentByPath(ctx, seg.Path)
	if err != nil {
		t.Fatalf("the segment of a deleted camera is gone: %v", err)
	}
	sameSegment(t, got, seg)
	gaps, err := s.Gaps(ctx, matthan.GapFilter{CameraID: "cam-a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].ID != gap.ID {
		t.Errorf("gaps of a deleted camera = %+v, want the one added", gaps)
	}
	all, err := s.Segments(ctx, matthan.SegmentFilter{})
	if err != nil || len(all) != 2 {
		t.Errorf("Segments = %d, %v; want 2", len(all), err)
	}
}

func mustAddGap(t *testing.T, s RecordingStore, g *matthan.Gap) *matthan.Gap {
	t.Helper()
	if err := s.AddGap(t.Context(), g); err != nil {
		t.Fatalf("AddGap: %v", err)
	}
	if g.ID == 0 {
		t.Fatal("AddGap did not set ID")
	}
	return g
}

func sameGap(t *testing.T, got, want *matthan.Gap) {
	t.Helper()
	mustUTC(t, "Start", got.Start)
	if !got.Start.Equal(want.Start.Truncate(time.Microsecond)) {
		t.Errorf("gap %d Start = %v, want %v", want.ID, got.Start, want.Start)
	}
	if want.End.IsZero() != got.End.IsZero() || !got.End.Equal(want.End.Truncate(time.Microsecond)) {
		t.Errorf("gap %d End = %v, want %v", want.ID, got.End, want.End)
	}
	if !got.End.IsZero() {
		mustUTC(t, "End", got.End)
	}
	g, w := *got, *want
	g.Start, g.End, w.Start, w.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("gap:\n got %+v\nwant %+v", g, w)
	}
}

func gapIDs(gs []*matthan.Gap) []int64 {
	out := []int64{}
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func testGapRoundTrip(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	open := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamMain,
		Start: recBase.Add(1234567).In(hcm), Reason: matthan.GapOffline, Detail: "dial tcp 10.0.0.5:554: connection refused"})
	if open.Start.Location() != time.UTC || open.Start.Nanosecond()%1000 != 0 || !open.End.IsZero() {
		t.Errorf("AddGap set Start %v End %v, want the stored Start and a zero End", open.Start, open.End)
	}
	// A gap learnt after the fact is added closed.
	closed := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamSub,
		Start: recBase.Add(-time.Hour), End: recBase.Add(-time.Minute + 999).In(hcm), Reason: matthan.GapNodeStopped})
	if closed.End.Location() != time.UTC || closed.End.Nanosecond()%1000 != 0 {
		t.Errorf("AddGap set End %v, want the stored time", closed.End)
	}
	zero := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-b", Stream: matthan.StreamMain,
		Start: recBase, End: recBase, Reason: matthan.GapDiskError})

	got, err := s.Gaps(ctx, matthan.GapFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{closed.ID, zero.ID, open.ID}; !reflect.DeepEqual(gapIDs(got), want) {
		t.Fatalf("Gaps = %v, want %v", gapIDs(got), want)
	}
	sameGap(t, got[0], closed)
	sameGap(t, got[1], zero)
	sameGap(t, got[2], open)
}

func testGapInvalid(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	valid := func() *matthan.Gap {
		return &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamMain, Start: recBase, Reason: matthan.GapStalled}
	}
	for _, tt := range []struct {
		name   string
		change func(*matthan.Gap)
	}{
		{"no camera", func(g *matthan.Gap) { g.CameraID = "" }},
		{"no reason", func(g *matthan.Gap) { g.Reason = "" }},
		{"no stream", func(g *matthan.Gap) { g.Stream = "" }},
		{"no start", func(g *matthan.Gap) { g.Start = time.Time{} }},
		{"end before start", func(g *matthan.Gap) { g.End = g.Start.Add(-time.Second) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := valid()
			tt.change(g)
			wantCode(t, s.AddGap(ctx, g), matthan.EINVALID)
		})
	}
	if got, err := s.Gaps(ctx, matthan.GapFilter{}); err != nil || len(got) != 0 {
		t.Fatalf("after refused gaps Gaps = %d, %v; want none", len(got), err)
	}
}

func testEndGap(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	g := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamMain, Start: recBase, Reason: matthan.GapOffline})

	wantCode(t, s.EndGap(ctx, g.ID+100, recBase.Add(time.Minute)), matthan.ENOTFOUND)
	wantCode(t, s.EndGap(ctx, g.ID, recBase.Add(-time.Microsecond)), matthan.EINVALID)
	wantCode(t, s.EndGap(ctx, g.ID, time.Time{}), matthan.EINVALID)

	end := recBase.Add(90*time.Second + 999).In(hcm)
	if err := s.EndGap(ctx, g.ID, end); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.EndGap(ctx, g.ID, recBase.Add(time.Hour)), matthan.ECONFLICT)

	got, err := s.Gaps(ctx, matthan.GapFilter{CameraID: "cam-a"})
	if err != nil {
		t.Fatal(err)
	}
	want := *g
	want.End = end
	if len(got) != 1 {
		t.Fatalf("%d gaps, want 1", len(got))
	}
	sameGap(t, got[0], &want)

	// A gap may end the instant it starts.
	h := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamSub, Start: recBase, Reason: matthan.GapStalled})
	if err := s.EndGap(ctx, h.ID, recBase); err != nil {
		t.Fatal(err)
	}
	if open, err := s.OpenGaps(ctx); err != nil || len(open) != 0 {
		t.Errorf("OpenGaps after ending both = %d, %v; want none", len(open), err)
	}
}

func testGapOverlap(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	at := func(m int) time.Time { return recBase.Add(time.Duration(m) * time.Minute) }
	add := func(camera string, stream matthan.StreamRole, from, to int, open bool) int64 {
		g := &matthan.Gap{CameraID: camera, Stream: stream, Start: at(from), Reason: matthan.GapOffline}
		if !open {
			g.End = at(to)
		}
		return mustAddGap(t, s, g).ID
	}
	a1 := add("cam-a", matthan.StreamMain, 1, 2, false)
	a3 := add("cam-a", matthan.StreamMain, 3, 3, false) // an instant
	a5 := add("cam-a", matthan.StreamMain, 5, 0, true)  // still open
	as := add("cam-a", matthan.StreamSub, 0, 10, false)
	b0 := add("cam-b", matthan.StreamMain, 0, 0, true)

	tests := []struct {
		name string
		f    matthan.GapFilter
		want []int64
	}{
		{"all", matthan.GapFilter{}, []int64{as, b0, a1, a3, a5}},
		{"camera stream", matthan.GapFilter{CameraID: "cam-a", Stream: matthan.StreamMain}, []int64{a1, a3, a5}},
		{"stream", matthan.GapFilter{Stream: matthan.StreamSub}, []int64{as}},
		{"from = an end excludes it", matthan.GapFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(2)}, []int64{a3, a5}},
		{"to = a start excludes it", matthan.GapFilter{CameraID: "cam-a", Stream: matthan.StreamMain, To: at(1)}, []int64{}},
		{"instant at from", matthan.GapFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(3), To: at(4)}, []int64{a3}},
		{"instant at to", matthan.GapFilter{CameraID: "cam-a", Stream: matthan.StreamMain, From: at(2), To: at(3)}, []int64{}},
		{"an open gap reaches any later time", matthan.GapFilter{From: at(60 * 24), To: at(60*24 + 1)}, []int64{b0, a5}},
		{"an open gap does not reach back", matthan.GapFilter{CameraID: "cam-a", Stream: matthan.StreamMain, To: at(5)}, []int64{a1, a3}},
		{"limit", matthan.GapFilter{Limit: 2}, []int64{as, b0}},
		{"no match", matthan.GapFilter{CameraID: "nope"}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Gaps(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Error("Gaps returned nil, want an empty slice")
			}
			if !reflect.DeepEqual(gapIDs(got), tt.want) {
				t.Errorf("Gaps(%+v) = %v, want %v", tt.f, gapIDs(got), tt.want)
			}
		})
	}
}

func testOpenGaps(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	got, err := s.OpenGaps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got) != 0 {
		t.Fatalf("OpenGaps of an empty store = %v, want an empty slice", got)
	}
	late := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-b", Stream: matthan.StreamMain, Start: recBase.Add(time.Hour), Reason: matthan.GapDiskFull})
	early := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamSub, Start: recBase, Reason: matthan.GapAuthFailed, Detail: "401"})
	ended := mustAddGap(t, s, &matthan.Gap{CameraID: "cam-a", Stream: matthan.StreamMain, Start: recBase, Reason: matthan.GapOffline})
	mustAddGap(t, s, &matthan.Gap{CameraID: "cam-c", Stream: matthan.StreamMain, Start: recBase, End: recBase.Add(time.Second), Reason: matthan.GapNodeStopped})
	if err := s.EndGap(ctx, ended.ID, recBase.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err = s.OpenGaps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{early.ID, late.ID}; !reflect.DeepEqual(gapIDs(got), want) {
		t.Fatalf("OpenGaps = %v, want %v", gapIDs(got), want)
	}
	sameGap(t, got[0], early)
	sameGap(t, got[1], late)
}

func testConcurrentRecorders(t *testing.T, s RecordingStore) {
	ctx := t.Context()
	const cameras, segments = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, cameras*segments*2)
	for c := range cameras {
		wg.Go(func() {
			id := fmt.Sprintf("cam-%02d", c)
			prev := ""
			for i := range segments {
				seg := fullSegment(id, matthan.StreamMain, recBase.Add(time.Duration(i)*time.Minute), time.Minute)
				seg.SHA256, seg.PrevSHA256 = digest(c*1000+i), prev
				if err := s.AddSegment(ctx, seg); err != nil {
					errs <- err
					return
				}
				prev = seg.SHA256
				if last, err := s.LastSegment(ctx, id, matthan.StreamMain); err != nil {
					errs <- err
				} else if last.ID != seg.ID {
					errs <- fmt.Errorf("%s: last segment %d, want %d just added", id, last.ID, seg.ID)
				}
			}
			if err := s.AddGap(ctx, &matthan.Gap{CameraID: id, Stream: matthan.StreamMain, Start: recBase.Add(time.Hour), Reason: matthan.GapOffline}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.Segments(ctx, matthan.SegmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenGaps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != cameras*segments || len(open) != cameras {
		t.Errorf("%d segments and %d open gaps, want %d and %d", len(all), len(open), cameras*segments, cameras)
	}
}
