package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"matthan"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/playback"
	"matthan/internal/playback/playbacktest"
)

var pbWall0 = time.Date(2026, 1, 15, 1, 0, 0, 0, time.UTC) // 08:00:00 in Vietnam

// playbackEnv is an API with recordings of camera "cam-1": a 6-second H.264
// + AAC clip in 3-second segments, with a 10-second gap after the first
// (stored as a gap with its reason).
type playbackEnv struct {
	*env
	dir  string
	segs []*matthan.Segment
}

func newPlaybackEnv(t *testing.T, edits ...func(*Deps)) *playbackEnv {
	t.Helper()
	dir := t.TempDir()
	e := newEnvWith(t, func(d *Deps) {
		d.Recordings = d.Store.(matthan.RecordingIndex) // the same SQLite database
		d.RecordingsDir = dir
		for _, edit := range edits {
			edit(d)
		}
	})
	pe := &playbackEnv{env: e, dir: dir}
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-1")); r.status != http.StatusCreated {
		t.Fatalf("create camera: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/cameras", "admin", cameraBody("cam-2")); r.status != http.StatusCreated {
		t.Fatalf("create camera: %d %s", r.status, r.body)
	}
	c := fmp4test.MakeClip(t, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 6}, pbWall0)
	pe.segs = playbacktest.Record(t, dir, e.db, playbacktest.Recording{CameraID: "cam-1", Clip: c, Wall0: pbWall0,
		Segment: 3 * time.Second, GapAfter: map[int]time.Duration{0: 10 * time.Second}})
	if len(pe.segs) != 2 {
		t.Fatalf("%d segments", len(pe.segs))
	}
	gap := &matthan.Gap{CameraID: "cam-1", Stream: matthan.StreamMain, Start: pe.segs[0].End, End: pe.segs[1].Start,
		Reason: matthan.GapOffline, Detail: "camera unreachable"}
	if err := e.db.AddGap(t.Context(), gap); err != nil {
		t.Fatal(err)
	}
	return pe
}

// get fetches a path with headers as a user, without the JSON checks of do.
func (e *playbackEnv) get(path, user string, hdr map[string]string) resp {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if user != "" {
		pw, ok := map[string]string{"admin": adminPassword, "viewer": viewerPassword}[user]
		if !ok {
			pw = officerPassword // officers, and contributors made with the officer's hash
		}
		req.SetBasicAuth(user, pw)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: body}
}

// userURL is the server's URL for path with the viewer's credentials in it,
// for ffmpeg and ffprobe.
func (e *playbackEnv) userURL(path string) string {
	u, _ := url.Parse(e.srv.URL + path)
	u.User = url.UserPassword("officer", officerPassword)
	return u.String()
}

func rng(from, to time.Time) string {
	return "from=" + url.QueryEscape(from.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339Nano))
}

// runTool runs ffmpeg or ffprobe and returns stdout; stderr must be empty.
func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %v: %v: %s", name, args, err, stderr.String())
	}
	return out
}

func TestPlaybackRecordings(t *testing.T) {
	e := newPlaybackEnv(t)
	// dd/MM/yyyy HH:mm:ss is Vietnam time: 07:59:00 is 00:59:00 UTC.
	q := "from=" + url.QueryEscape("15/01/2026 07:59:00") + "&to=2026-01-15T08:01:00%2B07:00"
	r := e.do("GET", "/api/cameras/cam-1/recordings?"+q, "officer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("recordings: %d %s", r.status, r.body)
	}
	var got struct {
		From, To time.Time
		Spans    []playback.Span
		Gaps     []*matthan.Gap
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if !got.From.Equal(pbWall0.Add(-time.Minute)) || !got.To.Equal(pbWall0.Add(time.Minute)) {
		t.Errorf("range %v – %v", got.From, got.To)
	}
	if len(got.Spans) != 2 || !got.Spans[0].Start.Equal(e.segs[0].Start) || !got.Spans[1].End.Equal(e.segs[1].End) ||
		got.Spans[0].Codec != "H264" || got.Spans[0].Audio != "AAC" || got.Spans[0].Width != 320 {
		t.Errorf("spans %+v", got.Spans)
	}
	if len(got.Gaps) != 1 || got.Gaps[0].Reason != matthan.GapOffline {
		t.Errorf("gaps %+v", got.Gaps)
	}
	// An unescaped '+' of an offset arrives as a space and still works.
	if r := e.do("GET", "/api/cameras/cam-1/recordings?from=2026-01-15T07:59:00+07:00&to=2026-01-15T08:01:00+07:00", "officer", nil); r.status != http.StatusOK {
		t.Errorf("unescaped offset: %d %s", r.status, r.body)
	}
	// A camera with nothing recorded has empty lists, not null.
	r = e.do("GET", "/api/cameras/cam-2/recordings?"+rng(pbWall0, pbWall0.Add(time.Hour)), "officer", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"spans":[]`) || !strings.Contains(string(r.body), `"gaps":[]`) {
		t.Errorf("empty camera: %d %s", r.status, r.body)
	}
}

func TestPlaybackClip(t *testing.T) {
	e := newPlaybackEnv(t)
	from, to := pbWall0.Add(1500*time.Millisecond), e.segs[1].Start.Add(2*time.Second)
	path := "/api/cameras/cam-1/clip.mp4?" + rng(from, to)
	r := e.get(path, "officer", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "video/mp4" || r.header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("clip: %d %v %s", r.status, r.header, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `inline; filename="cam-1_main_15012026_080001.mp4"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	clip, err := playback.Open(t.Context(), e.db, e.dir, "cam-1", matthan.StreamMain, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer clip.Close()
	var want bytes.Buffer
	if _, err := clip.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, want.Bytes()) {
		t.Fatalf("body (%d bytes) differs from WriteTo (%d bytes)", len(r.body), want.Len())
	}
	for _, tc := range []struct {
		rng        string
		start, end int // bytes [start, end)
	}{
		{"bytes=0-99", 0, 100},
		{"bytes=1000-40999", 1000, 41000},
		{"bytes=-50", want.Len() - 50, want.Len()},
		{"bytes=5000-", 5000, want.Len()},
	} {
		r := e.get(path, "officer", map[string]string{"Range": tc.rng})
		if r.status != http.StatusPartialContent || !bytes.Equal(r.body, want.Bytes()[tc.start:tc.end]) {
			t.Errorf("%s: %d, %d bytes", tc.rng, r.status, len(r.body))
		}
	}
	// A player reads it over HTTP (with range requests): zero errors, and
	// the 3.5 s asked (1.5 s before the gap, 2 s after) within one GOP.
	out := runTool(t, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", e.userURL(path))
	var d float64
	if err := json.Unmarshal(bytes.TrimSpace(out), &d); err != nil || d < 2.5 || d > 4.5 {
		t.Errorf("duration %s", out)
	}
	runTool(t, "ffmpeg", "-v", "error", "-i", e.userURL(path), "-f", "null", "-")

	audits := e.audits(t, "playback.mp4")
	if len(audits) < 6 || audits[0].User != "officer" || audits[0].Stream != matthan.StreamMain ||
		!strings.Contains(audits[len(audits)-1].Detail, "from=2026-01-15T01:00:01.5Z") {
		t.Errorf("audit rows %d, first %+v", len(audits), audits[0])
	}
}

// audits returns the audit rows of an action for cam-1, newest first.
func (e *playbackEnv) audits(t *testing.T, action string) []*matthan.AuditEntry {
	t.Helper()
	all, err := e.db.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-1", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*matthan.AuditEntry
	for _, a := range all {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

func TestPlaybackHLS(t *testing.T) {
	e := newPlaybackEnv(t)
	from, to := pbWall0.Add(500*time.Millisecond), e.segs[1].End
	path := "/api/cameras/cam-1/hls/index.m3u8?" + rng(from, to)
	r := e.get(path, "officer", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		t.Fatalf("playlist: %d %s", r.status, r.body)
	}
	pl := string(r.body)
	for _, tag := range []string{"#EXTM3U\n", "#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-TARGETDURATION:3\n", "#EXT-X-MAP:URI=\"init.mp4?",
		"#EXT-X-PROGRAM-DATE-TIME:2026-01-15T01:00:00.000Z\n", "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T01:00:13.000Z\n", "#EXT-X-ENDLIST\n"} {
		if !strings.Contains(pl, tag) {
			t.Errorf("playlist lacks %q:\n%s", tag, pl)
		}
	}
	if n := strings.Count(pl, "#EXTINF:"); n != 2 {
		t.Errorf("%d parts, want 2 (one per 3 s segment):\n%s", n, pl)
	}
	// A player reads the whole session: every frame, no error.
	out := runTool(t, "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", e.userURL(path))
	if strings.Fields(string(out))[0] != "150" { // ffprobe lists the stream again under the HLS program
		t.Errorf("frames read over HLS: %s, want 150", out)
	}
	runTool(t, "ffmpeg", "-v", "error", "-i", e.userURL(path), "-f", "null", "-")
	if a := e.audits(t, "playback.hls"); len(a) != 3 || !strings.Contains(a[0].Detail, "parts=2") {
		t.Errorf("hls audit rows %+v", a)
	}

	// Part URLs are the playlist's, for its user only.
	var part string
	for _, l := range strings.Split(pl, "\n") {
		if strings.HasPrefix(l, "part.m4s?") {
			part = "/api/cameras/cam-1/hls/" + l
			break
		}
	}
	if r := e.get(part, "officer", nil); r.status != http.StatusOK || r.header.Get("Content-Type") != "video/iso.segment" {
		t.Fatalf("part: %d %s", r.status, r.body)
	}
	if r := e.get(part, "admin", nil); r.status != http.StatusForbidden {
		t.Errorf("part as another user: %d", r.status)
	}
	if r := e.get(strings.Replace(part, "from=", "from=1", 1), "officer", nil); r.status != http.StatusForbidden {
		t.Errorf("tampered part: %d", r.status)
	}
	if r := e.get(strings.Replace(part, "/cam-1/", "/cam-2/", 1), "officer", nil); r.status != http.StatusForbidden {
		t.Errorf("part under another camera: %d", r.status)
	}
	e.advance(13 * time.Hour)
	if r := e.get(part, "officer", nil); r.status != http.StatusForbidden {
		t.Errorf("expired part: %d", r.status)
	}
}

func TestPlaybackThumbnail(t *testing.T) {
	e := newPlaybackEnv(t)
	for _, tc := range []struct {
		query string
		size  string
	}{
		{"at=" + url.QueryEscape("15/01/2026 08:00:01"), "320,240"},
		{"at=2026-01-15T01:00:14.55Z&width=160", "160,120"},
	} {
		r := e.get("/api/cameras/cam-1/thumbnail.jpg?"+tc.query, "officer", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %d %s", tc.query, r.status, r.body)
		}
		cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", "-")
		cmd.Stdin = bytes.NewReader(r.body)
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) != "mjpeg,"+tc.size {
			t.Errorf("%s: ffprobe %q %v", tc.query, out, err)
		}
	}
	if a := e.audits(t, "playback.thumbnail"); len(a) != 2 || a[1].Detail != "at=2026-01-15T01:00:01Z" {
		t.Errorf("thumbnail audit rows %+v", a)
	}
}

// TestPlaybackErrors: unknown camera and nothing recorded are 404, bad
// input 400, each with a bilingual message; nothing of it is audited.
func TestPlaybackErrors(t *testing.T) {
	e := newPlaybackEnv(t)
	ok := rng(pbWall0, pbWall0.Add(2*time.Second))
	empty := rng(pbWall0.Add(time.Hour), pbWall0.Add(2*time.Hour))
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/cameras/nope/recordings?" + ok, 404, matthan.ENOTFOUND},
		{"/api/cameras/nope/clip.mp4?" + ok, 404, matthan.ENOTFOUND},
		{"/api/cameras/nope/hls/index.m3u8?" + ok, 404, matthan.ENOTFOUND},
		{"/api/cameras/nope/thumbnail.jpg?at=2026-01-15T01:00:01Z", 404, matthan.ENOTFOUND},
		{"/api/cameras/cam-1/clip.mp4?" + empty, 404, matthan.ENOTFOUND},
		{"/api/cameras/cam-2/clip.mp4?" + ok, 404, matthan.ENOTFOUND},
		{"/api/cameras/cam-1/hls/index.m3u8?" + empty, 404, matthan.ENOTFOUND},
		{"/api/cameras/cam-1/thumbnail.jpg?at=2026-01-15T01:00:05Z", 404, matthan.ENOTFOUND}, // in the gap
		{"/api/cameras/cam-1/clip.mp4?from=yesterday&to=2026-01-15T01:00:01Z", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/clip.mp4?from=2026-01-15T01:00:00Z", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/clip.mp4?from=2026-01-15T01:00:02Z&to=2026-01-15T01:00:01Z", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/clip.mp4?" + ok + "&stream=third", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/recordings?from=32/01/2026%2008:00:00", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/hls/index.m3u8?from=2026-01-15T01:00:00Z&to=2026-01-17T01:00:00Z", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/thumbnail.jpg", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/thumbnail.jpg?at=2026-01-15T01:00:01Z&width=-3", 400, matthan.EINVALID},
		{"/api/cameras/cam-1/hls/part.m4s?path=x&from=0&to=9&t=0&exp=9999999999&token=abc", 403, matthan.EFORBIDDEN},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.do("GET", tc.path, "officer", nil)
			expectError(t, r, tc.status, tc.code)
		})
	}
	if r := e.get("/api/cameras/cam-1/clip.mp4?"+ok, "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("without sign-in: %d", r.status)
	}
	all, err := e.db.Audit(t.Context(), matthan.AuditFilter{CameraID: "cam-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if strings.HasPrefix(a.Action, "playback.") {
			t.Errorf("failed request audited: %+v", a)
		}
	}

	// A node without recordings answers 404.
	plain := newEnv(t)
	plain.do("POST", "/api/cameras", "admin", cameraBody("cam-1"))
	expectError(t, plain.do("GET", "/api/cameras/cam-1/recordings", "officer", nil), 404, matthan.ENOTFOUND)
}

// A viewer watches live only: recordings are for operators and admins.
func TestPlaybackNeedsOperator(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/api/cameras/cam-1/recordings", "/api/cameras/cam-1/clip.mp4",
		"/api/cameras/cam-1/hls/index.m3u8", "/api/cameras/cam-1/thumbnail.jpg"} {
		expectError(t, e.do("GET", path, "viewer", nil), 403, matthan.EFORBIDDEN)
	}
}
