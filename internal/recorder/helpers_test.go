package recorder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"matthan"
	"matthan/internal/bus"
	"matthan/internal/fmp4"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
	"matthan/internal/testutil"
)

// hubs is the hub registry of a test: real hubs, fed by the test.
type hubs struct {
	mu sync.Mutex
	m  map[key]*media.Hub
}

func (h *hubs) Hub(cameraID string, role matthan.StreamRole) *media.Hub {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[key]*media.Hub{}
	}
	k := key{cameraID, role}
	if h.m[k] == nil {
		h.m[k] = media.NewHub()
	}
	return h.m[k]
}

// checkingIndex is the real SQLite index with a witness: when a segment row
// is added, its file must already hold exactly the bytes the row describes.
type checkingIndex struct {
	*sqlite.DB
	t   testing.TB
	dir string
}

func (c *checkingIndex) AddSegment(ctx context.Context, s *matthan.Segment) error {
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(s.Path)))
	if err != nil {
		c.t.Errorf("index row before its file: %v", err)
	} else if sum := sha256.Sum256(b); int64(len(b)) != s.Bytes || hex.EncodeToString(sum[:]) != s.SHA256 {
		c.t.Errorf("index row for %s says %d bytes %s, the file has %d bytes %x", s.Path, s.Bytes, s.SHA256, len(b), sum)
	}
	return c.DB.AddSegment(ctx, s)
}

// env is one test's node: a SQLite store and index, a bus, hubs and a recorder.
type env struct {
	t    *testing.T
	dir  string // recordings
	db   *sqlite.DB
	idx  *checkingIndex
	bus  *bus.Bus
	hubs *hubs
	logs *testutil.Logs
	log  *slog.Logger
}

// newEnv makes a node in root (a new temporary directory if ""): the
// recordings in root/rec, the SQLite store and index in root/index.db.
func newEnv(t *testing.T, root string) *env {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	dir := filepath.Join(root, "rec")
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(root, "index.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &testutil.Logs{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &env{t: t, dir: dir, db: db, idx: &checkingIndex{DB: db, t: t, dir: dir}, bus: bus.New(), hubs: &hubs{}, logs: logs, log: log}
}

func (e *env) addCamera(id string, enabled bool) {
	e.t.Helper()
	c := &matthan.Camera{ID: id, Name: "Camera " + id, Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "Phường"},
		Source: matthan.SourcePull, MainURL: "rtsp://127.0.0.1:1/" + id, Enabled: enabled}
	if err := e.db.CreateCamera(e.t.Context(), c); err != nil {
		e.t.Fatal(err)
	}
}

// start runs a recorder until the test ends or stop is called.
func (e *env) start(cfg Config) (r *Recorder, stop func()) {
	e.t.Helper()
	cfg.Dir = e.dir
	if cfg.Queue == 0 {
		cfg.Queue = 100_000 // the tests publish faster than real time
	}
	r = New(cfg, e.db, e.idx, e.hubs, e.bus, e.log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("Run: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	// Wait until the streams are subscribed.
	waitFor(e.t, "recorder running", func() bool {
		r.reconcileMu.Lock()
		defer r.reconcileMu.Unlock()
		return r.runCtx != nil
	})
	return r, stop
}

// subscribed waits until a camera's main hub has n subscribers.
func (e *env) subscribed(camera string, n int) *media.Hub {
	h := e.hubs.Hub(camera, matthan.StreamMain)
	waitFor(e.t, camera+" subscribed", func() bool { return h.Subscribers() >= n })
	return h
}

// publish sends the units of a clip to a hub, shifted by shift in media and
// wall time, and returns how many video units it sent.
func publish(h *media.Hub, c *fmp4test.Clip, shift time.Duration, wallShift time.Duration) int {
	n := 0
	for _, u := range c.Units {
		cp := *u
		cp.PTS += shift
		cp.Wall = cp.Wall.Add(shift + wallShift)
		h.WriteUnit(&cp)
		if cp.Track == 0 {
			n++
		}
	}
	return n
}

// handled waits until a stream recorder took n units from its queue.
func (r *Recorder) handledUnits(camera string) uint64 {
	r.reconcileMu.Lock()
	defer r.reconcileMu.Unlock()
	if s := r.streams[key{camera, matthan.StreamMain}]; s != nil {
		return s.handled.Load()
	}
	return 0
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) segments(camera string) []*matthan.Segment {
	e.t.Helper()
	segs, err := e.db.Segments(e.t.Context(), matthan.SegmentFilter{CameraID: camera, Stream: matthan.StreamMain, Limit: 10_000})
	if err != nil {
		e.t.Fatal(err)
	}
	return segs
}

func (e *env) gaps(camera string) []*matthan.Gap {
	e.t.Helper()
	gaps, err := e.db.Gaps(e.t.Context(), matthan.GapFilter{CameraID: camera, Stream: matthan.StreamMain, Limit: 10_000})
	if err != nil {
		e.t.Fatal(err)
	}
	return gaps
}

// verifySegments checks every row of a stream against its file: ffprobe
// reads it with no error, frames and keyframes match, the hash is the
// file's, and each row's PrevSHA256 is the hash of the row before it.
func verifySegments(t *testing.T, dir string, segs []*matthan.Segment) {
	t.Helper()
	prev := ""
	for i, s := range segs {
		p := filepath.Join(dir, filepath.FromSlash(s.Path))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != s.SHA256 || int64(len(b)) != s.Bytes {
			t.Fatalf("segment %d %s: row says %d bytes %s, file has %d bytes %x", i, s.Path, s.Bytes, s.SHA256, len(b), sum)
		}
		if s.PrevSHA256 != prev {
			t.Fatalf("segment %d %s: prev %q, want %q (hash chain broken)", i, s.Path, s.PrevSHA256, prev)
		}
		prev = s.SHA256
		pr := fmp4test.ProbeFile(t, p)
		if pr.Errors != "" {
			t.Fatalf("segment %s: ffprobe errors:\n%s", s.Path, pr.Errors)
		}
		if v := pr.Video(t); int64(v.Frames) != s.Frames || v.Width != s.Width || v.Height != s.Height {
			t.Fatalf("segment %s: ffprobe %+v, row %d frames %dx%d", s.Path, v, s.Frames, s.Width, s.Height)
		}
		if len(pr.KeyFlags) == 0 || !pr.KeyFlags[0] {
			t.Fatalf("segment %s does not start with a keyframe", s.Path)
		}
		sf, err := fmp4.Scan(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(sf.Keyframes()) != fmt.Sprint(s.Keyframes) || len(s.Keyframes) == 0 || s.Keyframes[0].Time != 0 {
			t.Fatalf("segment %s: keyframes %v, file has %v", s.Path, s.Keyframes, sf.Keyframes())
		}
		// The index keeps microseconds.
		if d := s.End.Sub(s.Start.Add(s.Duration)); d > time.Microsecond || d < -time.Microsecond || s.Duration <= 0 {
			t.Fatalf("segment %s: %v + %v != %v", s.Path, s.Start, s.Duration, s.End)
		}
		if i > 0 && s.Start.Before(segs[i-1].End) {
			t.Fatalf("segment %s starts %v, before the previous one ends %v", s.Path, s.Start, segs[i-1].End)
		}
	}
}
