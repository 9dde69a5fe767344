package recorder

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"matthan"
	"matthan/internal/fmp4"
	"matthan/internal/media"
)

// stream records one camera stream: one goroutine, one open segment at most.
type stream struct {
	r      *Recorder
	k      key
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	// Owned by the run goroutine.
	seg     *segment
	bw      *bufio.Writer // reused from file to file
	prevSHA string        // the last segment's hash: the next row's PrevSHA256
	lastEnd time.Time     // where the last segment ended: no segment starts before it
	failed  bool          // writing failed; waiting for retryAt
	retryAt time.Time
	badDesc *media.Desc // a description we cannot write (logged once)
	rotate  bool        // start a new segment at the next keyframe
	lastPTS time.Duration
	handled atomic.Uint64 // units taken from the queue (for tests)

	// live is the open segment as far as it reached the file, for
	// playback before it is indexed; nil when no segment is open.
	live atomic.Pointer[matthan.Segment]
	// cut asks for the open segment to end at the next keyframe (Cut).
	cut atomic.Bool
}

// segment is the file being written.
type segment struct {
	rel, path string
	f         *os.File
	hf        *hashFile
	w         *fmp4.Writer
	desc      *media.Desc
	start     time.Time // wall-clock time of the first sample (monotonic per stream)
	wall0     time.Time // the first sample's wall time as the unit said it
	good      int64     // file size at the end of the last fragment that reached the file
	lastSync  time.Time
	lastUnit  time.Time // node time the last unit arrived
}

func (r *Recorder) newStream(k key) *stream {
	return &stream{r: r, k: k, log: r.log.With("camera", k.camera, "stream", string(k.role)), done: make(chan struct{})}
}

func (s *stream) start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	go s.run(ctx)
}

// stop ends the stream's goroutine once its open segment is finished and indexed.
func (s *stream) stop() {
	s.cancel()
	<-s.done
}

func (s *stream) run(ctx context.Context) {
	defer close(s.done)
	cfg := &s.r.cfg
	s.loadChain(ctx)

	var hub *media.Hub
	for hub == nil {
		if hub = s.r.hubs.Hub(s.k.camera, s.k.role); hub != nil {
			break
		}
		// Ingest has not registered the stream yet.
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	sub := hub.Subscribe(cfg.Queue)
	defer sub.Close()
	tick := time.NewTicker(max(cfg.FragmentDuration/2, 50*time.Millisecond))
	defer tick.Stop()
	s.log.Debug("recording")
	for {
		select {
		case <-ctx.Done():
			s.finish(ctx, nil)
			return
		case u := <-sub.Units():
			if u.AfterSkip {
				s.skipped(ctx, u)
			}
			s.unit(ctx, u)
			s.handled.Add(1)
		case <-tick.C:
			s.idle(ctx)
		}
	}
}

// skipped handles units the hub dropped because this recorder fell behind
// (its queue was full: the node is overloaded): u, the first unit after
// them, starts a GOP. The open segment ends where its samples end, and the
// hole until u is stored as a gap, so that nothing is missing silently.
func (s *stream) skipped(ctx context.Context, u *media.Unit) {
	if s.seg != nil {
		s.finish(ctx, nil)
	}
	from, to := s.lastEnd, s.wallOf(u, s.r.cfg.Clock.Now())
	s.log.Warn("recorder: fell behind; the hub skipped to the next keyframe", "from", from, "to", to)
	if from.IsZero() || !to.After(from) {
		return // nothing recorded before it: no hole in the footage
	}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexTimeout)
	defer cancel()
	g := &matthan.Gap{CameraID: s.k.camera, Stream: s.k.role, Start: from.UTC(), End: to.UTC(), Reason: matthan.GapOverload,
		Detail: "the recorder fell behind and was moved to the next keyframe"}
	if err := s.r.index.AddGap(ictx, g); err != nil {
		s.log.Error("recorder: cannot store gap", "reason", matthan.GapOverload, "err", err)
	}
}

// loadChain reads where the stream's last segment ended and its hash.
func (s *stream) loadChain(ctx context.Context) {
	ictx, cancel := context.WithTimeout(ctx, indexTimeout)
	defer cancel()
	last, err := s.r.index.LastSegment(ictx, s.k.camera, s.k.role)
	switch {
	case err == nil:
		s.prevSHA, s.lastEnd = last.SHA256, last.End
	case matthan.ErrorCode(err) != matthan.ENOTFOUND:
		s.log.Error("recorder: cannot read the last segment; the hash chain restarts", "err", err)
	}
}

func (s *stream) unit(ctx context.Context, u *media.Unit) {
	now := s.r.cfg.Clock.Now()
	video := u.Desc.Video()
	if video < 0 || u.Desc == s.badDesc {
		return
	}
	isVideo := u.Track == video
	if s.failed && (now.Before(s.retryAt) || !isVideo || !u.Key) {
		return
	}
	if s.cut.Swap(false) && s.seg != nil {
		s.rotate = true
	}
	if s.seg != nil {
		switch {
		case u.Desc != s.seg.desc:
			// A new session or new codec parameters (e.g. resolution):
			// the media clock restarts, so the last sample's end is unknown.
			s.finish(ctx, nil)
		case isVideo:
			if u.PTS < s.lastPTS {
				s.rotate = true // media time went back
			}
			// Compare with the first unit's own wall time, not the start
			// (which may have been moved to keep the timeline monotonic).
			expected := s.seg.wall0.Add(u.PTS - s.seg.w.MediaStart())
			if d := s.wallOf(u, now).Sub(expected); d > s.r.cfg.MaxClockStep || d < -s.r.cfg.MaxClockStep {
				if !s.rotate {
					s.log.Warn("wall clock moved against media time; starting a new segment at the next keyframe", "step", d)
				}
				s.rotate = true
			}
			if u.Key && (s.rotate || u.PTS-s.seg.w.MediaStart() >= s.r.cfg.SegmentDuration) {
				end := u.PTS
				s.finish(ctx, &end)
			}
		}
	}
	if s.seg == nil {
		if !isVideo || !u.Key {
			return // a file starts with a keyframe
		}
		if err := s.open(ctx, u, now); err != nil {
			return
		}
	}
	if isVideo {
		s.lastPTS = u.PTS
	}
	s.seg.lastUnit = now
	wrote, err := s.seg.w.WriteUnit(u)
	if err == nil && wrote {
		err = s.fragmentDone(now)
	}
	if err != nil {
		s.fail(ctx, err, now)
	}
}

// wallOf is the wall-clock time of a unit as the index will say it: the
// receive time, or the camera's own clock when it sends one and agrees with
// the node's within MaxClockStep (a camera clock is never trusted blindly).
func (s *stream) wallOf(u *media.Unit, now time.Time) time.Time {
	if u.Wall.IsZero() {
		return now
	}
	if !u.WallFromSender {
		return u.Wall
	}
	if d := u.Wall.Sub(now); d > s.r.cfg.MaxClockStep || d < -s.r.cfg.MaxClockStep {
		return now
	}
	return u.Wall
}

// open starts a new file with the keyframe u.
func (s *stream) open(ctx context.Context, u *media.Unit, now time.Time) error {
	wall0 := s.wallOf(u, now).UTC()
	start := wall0
	if u.WallFromSender {
		s.r.setDrift(s.k, u.Wall.Sub(now))
	}
	if start.Before(s.lastEnd) {
		// The wall clock went back: keep the timeline monotonic.
		start = s.lastEnd
	}
	seg, err := s.create(start)
	if err != nil {
		s.fail(ctx, err, now)
		return err
	}
	if s.bw == nil {
		s.bw = bufio.NewWriterSize(seg.hf, 64<<10)
	} else {
		s.bw.Reset(seg.hf)
	}
	w, err := fmp4.NewWriter(s.bw, u, start, s.r.cfg.FragmentDuration)
	if err == nil {
		err = s.bw.Flush()
	}
	if err != nil {
		seg.f.Close()
		// Only an init segment was written: there is no footage to keep.
		if rmErr := os.Remove(seg.path); rmErr != nil {
			s.log.Error("recorder: cannot remove an empty file", "path", seg.rel, "err", rmErr)
		}
		var we *writeError
		if !errors.As(err, &we) {
			s.badDesc = u.Desc
			s.log.Error("recorder: cannot record this stream's codec parameters", "err", err)
			return err
		}
		s.fail(ctx, err, now)
		return err
	}
	seg.w, seg.desc, seg.good, seg.lastSync, seg.wall0 = w, u.Desc, w.Size(), now, wall0
	s.seg = seg
	s.rotate = false
	if s.failed {
		s.failed = false
		s.log.Info("recording resumed")
	}
	// Recording again: whatever gap was open ends here.
	s.r.endGap(ctx, s.k, start)
	return nil
}

// create makes the file (and its directories, fsynced so the new entries
// survive a power cut) for a segment starting at start.
func (s *stream) create(start time.Time) (*segment, error) {
	dir := filepath.Join(s.r.cfg.Dir, s.k.camera, start.Format(time.DateOnly))
	if err := mkdirSynced(s.r.cfg.Dir, dir); err != nil {
		return nil, &writeError{err}
	}
	for n := 1; ; n++ {
		rel := segmentPath(s.k.camera, s.k.role, start, n)
		path := filepath.Join(s.r.cfg.Dir, filepath.FromSlash(rel))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && n < 1000 {
			continue
		}
		if err != nil {
			return nil, &writeError{err}
		}
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, &writeError{err}
		}
		return &segment{rel: rel, path: path, f: f, hf: &hashFile{f: f, h: sha256.New()}, start: start}, nil
	}
}

// fragmentDone pushes a finished fragment to the file, and to the disk
// every SyncInterval.
func (s *stream) fragmentDone(now time.Time) error {
	if err := s.bw.Flush(); err != nil {
		return err
	}
	s.seg.good = s.seg.w.Size()
	if now.Sub(s.seg.lastSync) >= s.r.cfg.SyncInterval {
		if err := s.seg.f.Sync(); err != nil {
			return &writeError{err}
		}
		s.seg.lastSync = now
	}
	s.publish()
	return nil
}

// publish shows the open segment's fragments to playback (Recorder.Index).
func (s *stream) publish() {
	seg, w := s.seg, s.seg.w
	kf := w.Keyframes() // append-only for this file: a capped prefix stays valid
	row := &matthan.Segment{
		CameraID: s.k.camera, Stream: s.k.role, Path: seg.rel,
		Start: seg.start, End: seg.start.Add(w.Duration()),
		MediaStart: w.MediaStart(), Duration: w.Duration(),
		Frames: w.Frames(), Bytes: seg.good, Keyframes: kf[:len(kf):len(kf)],
		PrevSHA256: s.prevSHA, Open: true,
	}
	describe(row, w.Desc())
	s.live.Store(row)
}

// idle flushes the pending fragment of a stream that went quiet, and
// finishes its segment when it stays quiet.
func (s *stream) idle(ctx context.Context) {
	if s.seg == nil {
		return
	}
	now := s.r.cfg.Clock.Now()
	quiet := now.Sub(s.seg.lastUnit)
	switch {
	case quiet >= s.r.cfg.IdleTimeout:
		s.finish(ctx, nil)
	case quiet >= s.r.cfg.FragmentDuration && s.seg.w.Pending():
		err := s.seg.w.Flush()
		if err == nil {
			err = s.fragmentDone(now)
		}
		if err != nil {
			s.fail(ctx, err, now)
		}
	}
}

// finish completes the open segment: the last fragment (ending at *end if
// known), flush, fsync, close, and only then its index row.
func (s *stream) finish(ctx context.Context, end *time.Duration) {
	seg := s.seg
	if seg == nil {
		return
	}
	var err error
	if end != nil {
		err = seg.w.FlushUntil(*end)
	} else {
		err = seg.w.Flush()
	}
	if err == nil {
		err = s.bw.Flush()
	}
	if err == nil {
		seg.good = seg.w.Size()
		if err = seg.f.Sync(); err != nil {
			err = &writeError{err}
		}
	}
	if err != nil {
		s.fail(ctx, err, s.r.cfg.Clock.Now())
		return
	}
	s.seg = nil
	if err := seg.f.Close(); err != nil {
		s.log.Error("recorder: close", "path", seg.rel, "err", err)
	}
	w := seg.w
	row := &matthan.Segment{
		CameraID:   s.k.camera,
		Stream:     s.k.role,
		Path:       seg.rel,
		Start:      seg.start,
		End:        seg.start.Add(w.Duration()),
		MediaStart: w.MediaStart(),
		Duration:   w.Duration(),
		Frames:     w.Frames(),
		Bytes:      seg.good,
		Keyframes:  slices.Clone(w.Keyframes()),
		SHA256:     hex.EncodeToString(seg.hf.h.Sum(nil)),
	}
	describe(row, w.Desc())
	s.addSegment(ctx, row)
	s.live.Store(nil) // after the row: playback always finds the footage
}

// describe fills a row's codec fields from a description.
func describe(row *matthan.Segment, d *media.Desc) {
	v := &d.Tracks[d.Video()]
	row.Codec, row.Width, row.Height = string(v.Codec), v.Width, v.Height
	for i := range d.Tracks {
		if c := d.Tracks[i].Codec; c == media.AAC || c == media.G711 {
			row.Audio = string(c)
			break
		}
	}
}

// addSegment stores a row whose file is on disk, continuing the hash chain.
func (s *stream) addSegment(ctx context.Context, row *matthan.Segment) {
	row.PrevSHA256 = s.prevSHA
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexTimeout)
	defer cancel()
	if err := s.r.index.AddSegment(ictx, row); err != nil {
		// The file is whole on disk: start-up recovery indexes it.
		s.log.Error("recorder: cannot index segment; it will be indexed at the next start", "path", row.Path, "err", err)
	} else {
		s.log.Debug("segment recorded", "path", row.Path, "seconds", row.Duration.Seconds(), "frames", row.Frames)
	}
	s.prevSHA, s.lastEnd = row.SHA256, row.End
}

// fail handles a write error: it keeps what reached the file (cut to its
// last whole fragment and indexed), opens a disk gap and pauses the stream
// for RetryInterval. Ingest and the other streams are not touched.
func (s *stream) fail(ctx context.Context, err error, now time.Time) {
	reason := matthan.GapDiskError
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		reason = matthan.GapDiskFull
	}
	if !s.failed {
		s.log.Error("recorder: writing failed; recording of this stream paused", "reason", reason, "err", err)
	}
	if seg := s.seg; seg != nil {
		s.seg = nil
		s.salvage(ctx, seg)
		s.live.Store(nil)
	}
	s.failed, s.retryAt = true, now.Add(s.r.cfg.RetryInterval)
	s.r.setGap(ctx, s.k, reason, now, err.Error())
}

// salvage cuts a file whose writing failed back to its last whole fragment
// and indexes it; a file with no whole fragment has no footage and goes.
func (s *stream) salvage(ctx context.Context, seg *segment) {
	defer seg.f.Close()
	if err := seg.f.Truncate(seg.good); err != nil {
		// Leave it to start-up recovery, which cuts it the same way.
		s.log.Error("recorder: cannot cut a failed file; it will be recovered at the next start", "path", seg.rel, "err", err)
		return
	}
	if err := seg.f.Sync(); err != nil {
		s.log.Error("recorder: cannot sync a failed file; it will be recovered at the next start", "path", seg.rel, "err", err)
		return
	}
	row, err := s.r.segmentFromFile(seg.path, seg.rel, s.k)
	if errors.Is(err, errNoFootage) {
		if err := os.Remove(seg.path); err != nil {
			s.log.Error("recorder: cannot remove an empty file", "path", seg.rel, "err", err)
		}
		return
	}
	if err != nil {
		s.log.Error("recorder: cannot read back a failed file; it will be recovered at the next start", "path", seg.rel, "err", err)
		return
	}
	s.addSegment(ctx, row)
}

// writeError marks an error of the file system, as opposed to one of the media.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// hashFile writes to a file and hashes what the file took.
type hashFile struct {
	f *os.File
	h hash.Hash
}

func (hf *hashFile) Write(p []byte) (int, error) {
	n, err := hf.f.Write(p)
	hf.h.Write(p[:n])
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// mkdirSynced creates dir and any missing parents below root, fsyncing each
// parent whose entries changed.
func mkdirSynced(root, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != root && parent != dir {
		if err := mkdirSynced(root, parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// hashReader hashes the first n bytes of r.
func hashReader(r io.ReaderAt, n int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, n)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
