// Package retention deletes old footage so the recordings disk never fills:
// per camera after N days, per camera over a byte quota, and across
// cameras while free space is under a floor. Under the quota and the floor
// it deletes continuous footage before footage around events, oldest first,
// and never footage under an active evidence lock. When it cannot hold the
// floor or a quota, or the disk refuses writes, it raises an alarm on the
// bus; it never stops the node. design/recording.md ("Retention") says why.
package retention

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"

	"matthan"
)

// Reason says which rule deleted footage.
type Reason string

const (
	ReasonDays      Reason = "days"       // older than the camera's days
	ReasonQuota     Reason = "quota"      // the camera's footage was over its quota
	ReasonFreeSpace Reason = "free_space" // free space was under the floor
)

// Config tunes retention. Zero fields take the defaults of DefaultConfig,
// except Dir, which is required.
type Config struct {
	Dir         string // recordings root: segment paths are relative to it
	DefaultDays int    // days a camera with RetainDays 0 keeps its footage

	// The floor of free space on the file system holding Dir is the larger
	// of the two; both zero means 5 percent.
	MinFreeBytes   int64
	MinFreePercent float64

	// EventMargin: footage within this of an event is event footage.
	EventMargin time.Duration
	// Interval between sweeps in Run.
	Interval time.Duration
	// ForecastWindow: the recent past whose bytes per day Forecast
	// extrapolates.
	ForecastWindow time.Duration

	// Events say when things happened on a camera; nil means the stream
	// health changes in the Store.
	Events []EventSource

	// FreeSpace measures the file system holding dir (default: statfs).
	FreeSpace func(dir string) (free, total uint64, err error)
	// Remove deletes one file or empty directory (default: os.Remove).
	Remove func(path string) error
	// Probe checks that dir takes writes (default: write and remove a
	// small file); its error raises an alarm.
	Probe func(dir string) error
	Now   func() time.Time
}

// DefaultConfig returns the defaults: 30 days, a floor of 5 percent, two
// minutes around events, a sweep a minute, rates over the last 7 days.
func DefaultConfig() Config {
	return Config{
		DefaultDays:    30,
		MinFreePercent: 5,
		EventMargin:    2 * time.Minute,
		Interval:       time.Minute,
		ForecastWindow: 7 * 24 * time.Hour,
		FreeSpace:      statfs,
		Remove:         os.Remove,
		Probe:          probeWrite,
		Now:            time.Now,
	}
}

// maxFailures is how many deletions may fail in one sweep before it stops
// trying: a read-only disk refuses them all, and the alarm is already up.
const maxFailures = 3

// pageSize is how many index rows a sweep reads at a time.
const pageSize = 500

// Retention applies the retention rules. Sweep runs one pass; Run sweeps
// every Interval until its context ends.
type Retention struct {
	cfg   Config
	cams  matthan.Store
	index matthan.RecordingIndex
	bus   matthan.Bus
	log   *slog.Logger

	sweepMu sync.Mutex // one sweep at a time

	mu     sync.Mutex
	alarms map[alarmKey]*Alarm // raised and not cleared yet
}

// New returns a Retention over the registry (cameras' days and quotas,
// audit), the recording index and the bus that carries its alarms.
func New(cfg Config, cams matthan.Store, index matthan.RecordingIndex, bus matthan.Bus, log *slog.Logger) *Retention {
	d := DefaultConfig()
	if cfg.DefaultDays <= 0 {
		cfg.DefaultDays = d.DefaultDays
	}
	if cfg.MinFreeBytes <= 0 && cfg.MinFreePercent <= 0 {
		cfg.MinFreePercent = d.MinFreePercent
	}
	if cfg.EventMargin <= 0 {
		cfg.EventMargin = d.EventMargin
	}
	if cfg.Interval <= 0 {
		cfg.Interval = d.Interval
	}
	if cfg.ForecastWindow <= 0 {
		cfg.ForecastWindow = d.ForecastWindow
	}
	if cfg.FreeSpace == nil {
		cfg.FreeSpace = d.FreeSpace
	}
	if cfg.Remove == nil {
		cfg.Remove = d.Remove
	}
	if cfg.Probe == nil {
		cfg.Probe = d.Probe
	}
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	if cfg.Events == nil {
		cfg.Events = []EventSource{HealthEvents{Store: cams}}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retention{cfg: cfg, cams: cams, index: index, bus: bus, log: log, alarms: map[alarmKey]*Alarm{}}
}

// Run sweeps at once and then every Interval until ctx ends; it returns
// nil then. A failed sweep is logged and retried at the next tick.
func (r *Retention) Run(ctx context.Context) error {
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		if _, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "retention sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Report is what one sweep did.
type Report struct {
	At      time.Time  `json:"at"`
	Deleted []Deletion `json:"deleted"` // one per camera and rule, in the order they first deleted
	// Locked counts segments a rule would have deleted but an evidence
	// lock kept.
	Locked     int     `json:"locked"`
	Failed     int     `json:"failed"` // deletions that failed
	FreeBytes  uint64  `json:"free_bytes"`
	TotalBytes uint64  `json:"total_bytes"`
	FloorBytes uint64  `json:"floor_bytes"`
	Alarms     []Alarm `json:"alarms"` // active after the sweep
}

// Deletion sums what one rule deleted of one camera in a sweep.
type Deletion struct {
	CameraID string    `json:"camera_id"`
	Reason   Reason    `json:"reason"`
	Segments int       `json:"segments"`
	Bytes    int64     `json:"bytes"`
	Missing  int       `json:"missing"` // index rows whose file was already gone
	From     time.Time `json:"from"`    // earliest start deleted
	To       time.Time `json:"to"`      // latest end deleted
}

// Sweep runs the rules once: days, then quotas, then the free-space floor.
// Alarms are raised and cleared by what it found. An error means the
// index or registry could not be read; deletions that fail are counted
// and alarmed, not returned.
func (r *Retention) Sweep(ctx context.Context) (Report, error) {
	r.sweepMu.Lock()
	defer r.sweepMu.Unlock()
	s := &sweep{
		r: r, now: r.cfg.Now().UTC(),
		events: map[string][]time.Time{}, byCamera: map[string]int{}, dirs: map[string]bool{},
		alarms: map[alarmKey]*Alarm{},
	}
	s.report.At, s.report.Deleted = s.now, []Deletion{}
	err := s.run(ctx)
	s.cleanDirs()
	s.summarise(ctx)
	// A failed read leaves the sweep's picture incomplete: keep the
	// alarms it could not re-check rather than clear them.
	s.report.Alarms = r.settleAlarms(ctx, s.now, s.alarms, err == nil)
	return s.report, err
}

// sweep is the state of one pass.
type sweep struct {
	r      *Retention
	now    time.Time
	report Report

	cams     map[string]*matthan.Camera
	usage    map[string]int64 // bytes per camera, kept current as rows go
	locks    map[string][]*matthan.EvidenceLock
	events   map[string][]time.Time // per camera, sorted; loaded when first needed
	byCamera map[string]int         // index in report.Deleted by camera+reason
	dirs     map[string]bool        // directories that lost files
	failures int
	alarms   map[alarmKey]*Alarm
}

func (s *sweep) run(ctx context.Context) error {
	cams, err := s.r.cams.Cameras(ctx, matthan.CameraFilter{})
	if err != nil {
		return fmt.Errorf("retention: cameras: %w", err)
	}
	s.cams = map[string]*matthan.Camera{}
	for _, c := range cams {
		s.cams[c.ID] = c
	}
	if s.usage, err = s.r.index.RecordingBytes(ctx, time.Time{}, time.Time{}); err != nil {
		return fmt.Errorf("retention: recording bytes: %w", err)
	}
	// All locks, judged by the sweep's clock: a closed case's locks are
	// released at a time still to come.
	all, err := s.r.index.Locks(ctx, matthan.LockFilter{})
	if err != nil {
		return fmt.Errorf("retention: evidence locks: %w", err)
	}
	s.locks = map[string][]*matthan.EvidenceLock{}
	for _, l := range all {
		if holds(l, s.now) {
			s.locks[l.CameraID] = append(s.locks[l.CameraID], l)
		}
	}

	ids := make([]string, 0, len(s.usage))
	for id := range s.usage {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.days(ctx, id); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := s.quota(ctx, id); err != nil {
			return err
		}
	}
	err = s.floor(ctx)
	// Probe after deleting: a disk the floor rule just made room on is
	// not full any more.
	s.probe()
	return err
}

// probe raises an alarm when the recordings directory refuses writes:
// the recorder will fail too, and people must know before footage is lost.
func (s *sweep) probe() {
	err := s.r.cfg.Probe(s.r.cfg.Dir)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist): // nothing recorded yet
	case errors.Is(err, syscall.EROFS):
		s.raise(alarmReadOnly(s.r.cfg.Dir))
	case errors.Is(err, syscall.ENOSPC):
		s.raise(alarmDiskFull(s.r.cfg.Dir))
	default:
		s.raise(alarmDiskError(s.r.cfg.Dir, err))
	}
}

// retainDays is the days rule of a camera; footage of cameras the
// registry no longer knows keeps the node's default.
func (s *sweep) retainDays(id string) int {
	if c, ok := s.cams[id]; ok && c.RetainDays > 0 {
		return c.RetainDays
	}
	return s.r.cfg.DefaultDays
}

// days deletes a camera's segments that ended before its days began.
func (s *sweep) days(ctx context.Context, id string) error {
	cutoff := s.now.Add(-time.Duration(s.retainDays(id)) * 24 * time.Hour)
	return s.walk(ctx, matthan.SegmentFilter{CameraID: id, To: cutoff}, func(seg *matthan.Segment) (bool, error) {
		if s.failures >= maxFailures {
			return true, nil
		}
		if seg.End.After(cutoff) {
			return false, nil // it started before the cutoff but still holds newer footage
		}
		if s.locked(seg) {
			s.report.Locked++
			return false, nil
		}
		_, err := s.delete(ctx, seg, ReasonDays)
		return false, err
	})
}

// quota deletes a camera's oldest continuous footage, then its oldest
// event footage, until its footage fits its quota.
func (s *sweep) quota(ctx context.Context, id string) error {
	c, ok := s.cams[id]
	if !ok || c.QuotaBytes <= 0 || s.usage[id] <= c.QuotaBytes {
		return nil
	}
	locked := 0
	for _, eventFootage := range []bool{false, true} {
		err := s.walk(ctx, matthan.SegmentFilter{CameraID: id}, func(seg *matthan.Segment) (bool, error) {
			if s.usage[id] <= c.QuotaBytes || s.failures >= maxFailures {
				return true, nil
			}
			if s.locked(seg) {
				if eventFootage {
					locked++
				}
				return false, nil
			}
			if ev, err := s.isEventFootage(ctx, seg); err != nil || ev != eventFootage {
				return false, err
			}
			_, err := s.delete(ctx, seg, ReasonQuota)
			return false, err
		})
		if err != nil {
			return err
		}
	}
	s.report.Locked += locked
	if s.usage[id] > c.QuotaBytes {
		s.raise(alarmQuota(id, s.usage[id], c.QuotaBytes, locked > 0))
	}
	return nil
}

// floor deletes the oldest continuous footage of every camera, then the
// oldest event footage, until free space is back over the floor.
func (s *sweep) floor(ctx context.Context) error {
	free, total, err := s.r.cfg.FreeSpace(s.r.cfg.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing recorded yet
	}
	if err != nil {
		s.raise(alarmDiskError(s.r.cfg.Dir, err))
		return nil
	}
	floor := s.r.floorBytes(total)
	s.report.FreeBytes, s.report.TotalBytes, s.report.FloorBytes = free, total, floor
	if free >= floor {
		return nil
	}
	need := int64(floor - free)
	locked := 0
	for _, eventFootage := range []bool{false, true} {
		err := s.walk(ctx, matthan.SegmentFilter{}, func(seg *matthan.Segment) (bool, error) {
			if need <= 0 || s.failures >= maxFailures {
				return true, nil
			}
			if s.locked(seg) {
				if eventFootage {
					locked++
				}
				return false, nil
			}
			if ev, err := s.isEventFootage(ctx, seg); err != nil || ev != eventFootage {
				return false, err
			}
			freed, err := s.delete(ctx, seg, ReasonFreeSpace)
			need -= freed
			return false, err
		})
		if err != nil {
			return err
		}
	}
	s.report.Locked += locked
	// Measure again rather than trust the sum: files still open elsewhere
	// free their blocks only when closed.
	if free, total, err = s.r.cfg.FreeSpace(s.r.cfg.Dir); err != nil {
		s.raise(alarmDiskError(s.r.cfg.Dir, err))
		return nil
	}
	s.report.FreeBytes, s.report.TotalBytes = free, total
	if free < floor {
		s.raise(alarmFloor(s.r.cfg.Dir, free, floor, locked > 0))
	}
	return nil
}

// floorBytes is the free space to keep on a file system of total bytes.
func (r *Retention) floorBytes(total uint64) uint64 {
	floor := uint64(max(r.cfg.MinFreeBytes, 0))
	if p := r.cfg.MinFreePercent; p > 0 {
		floor = max(floor, uint64(float64(total)*min(p, 100)/100))
	}
	return floor
}

// walk calls fn on the segments f selects, oldest first, reading the index
// a page at a time and resuming after the last segment seen, so rows that
// fn deletes or keeps do not shift the pages. fn returns true to stop.
func (s *sweep) walk(ctx context.Context, f matthan.SegmentFilter, fn func(*matthan.Segment) (bool, error)) error {
	var (
		lastStart time.Time
		lastID    int64
		started   bool
		limit     = pageSize
	)
	for {
		q := f
		q.Limit = limit
		if started {
			q.From = lastStart
		}
		segs, err := s.r.index.Segments(ctx, q)
		if err != nil {
			return fmt.Errorf("retention: segments: %w", err)
		}
		progressed := false
		for _, seg := range segs {
			// From selects by overlap: skip what began before the cursor.
			if started && (seg.Start.Before(lastStart) || seg.Start.Equal(lastStart) && seg.ID <= lastID) {
				continue
			}
			progressed = true
			lastStart, lastID, started = seg.Start, seg.ID, true
			if stop, err := fn(seg); err != nil || stop {
				return err
			}
		}
		if len(segs) < limit {
			return nil
		}
		if !progressed {
			// A page held only segments overlapping the cursor (many
			// streams at one instant): read a larger one.
			limit *= 2
		}
	}
}

// overlaps says whether [aStart, aEnd) and [bStart, bEnd) share an instant;
// an empty span counts as the instant at its start.
func overlaps(aStart, aEnd, bStart, bEnd time.Time) bool {
	if !aEnd.After(aStart) {
		return !aStart.Before(bStart) && aStart.Before(bEnd)
	}
	return aStart.Before(bEnd) && aEnd.After(bStart)
}

// locked says whether an active evidence lock of its camera covers seg.
func (s *sweep) locked(seg *matthan.Segment) bool {
	for _, l := range s.locks[seg.CameraID] {
		if overlaps(seg.Start, seg.End, l.Start, l.End) {
			return true
		}
	}
	return false
}

// lockedNow asks the index again just before a deletion, so a lock added
// since the sweep began still protects its footage.
func (s *sweep) lockedNow(ctx context.Context, seg *matthan.Segment) (bool, error) {
	to := seg.End
	if !to.After(seg.Start) {
		to = seg.Start.Add(time.Microsecond)
	}
	ls, err := s.r.index.Locks(ctx, matthan.LockFilter{CameraID: seg.CameraID, From: seg.Start, To: to})
	if err != nil {
		return false, fmt.Errorf("retention: evidence locks of %s: %w", seg.CameraID, err)
	}
	return slices.ContainsFunc(ls, func(l *matthan.EvidenceLock) bool { return holds(l, s.now) }), nil
}

// holds reports whether a lock keeps its footage at now: not released, or
// released only later (a closed case's locks end KeepDays after it
// closes).
func holds(l *matthan.EvidenceLock, now time.Time) bool {
	return l.ReleasedAt.IsZero() || l.ReleasedAt.After(now)
}

// isEventFootage says whether seg lies within EventMargin of an event of
// its camera.
func (s *sweep) isEventFootage(ctx context.Context, seg *matthan.Segment) (bool, error) {
	times, ok := s.events[seg.CameraID]
	if !ok {
		for _, src := range s.r.cfg.Events {
			ts, err := src.EventTimes(ctx, seg.CameraID, time.Time{}, s.now.Add(s.r.cfg.EventMargin))
			if err != nil {
				return false, fmt.Errorf("retention: events of %s: %w", seg.CameraID, err)
			}
			times = append(times, ts...)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		s.events[seg.CameraID] = times
	}
	m := s.r.cfg.EventMargin
	// The first event at or after Start-margin is the only one that can
	// fall in [Start-margin, End+margin].
	i := sort.Search(len(times), func(i int) bool { return !times[i].Before(seg.Start.Add(-m)) })
	return i < len(times) && !times[i].After(seg.End.Add(m)), nil
}

// delete removes a segment's file, then its index row. The order is the
// point: a crash between the two leaves a row whose file is gone, which
// the next sweep deletes; the other order would leave a file no index row
// names, which start-up recovery re-indexes as an orphan. It returns the
// bytes freed on disk.
func (s *sweep) delete(ctx context.Context, seg *matthan.Segment, why Reason) (int64, error) {
	if locked, err := s.lockedNow(ctx, seg); err != nil || locked {
		if locked {
			s.report.Locked++
		}
		return 0, err
	}
	path := filepath.Join(s.r.cfg.Dir, filepath.FromSlash(seg.Path))
	freed, missing := seg.Bytes, false
	if err := s.r.cfg.Remove(path); errors.Is(err, fs.ErrNotExist) {
		freed, missing = 0, true
	} else if err != nil {
		s.failures++
		s.report.Failed++
		s.r.log.WarnContext(ctx, "retention could not delete a segment", "camera", seg.CameraID,
			"stream", seg.Stream, "path", seg.Path, "err", err)
		if errors.Is(err, syscall.EROFS) {
			s.raise(alarmReadOnly(s.r.cfg.Dir))
		} else {
			s.raise(alarmDiskError(s.r.cfg.Dir, err))
		}
		return 0, nil
	}
	s.dirs[filepath.Dir(path)] = true
	if err := s.r.index.DeleteSegment(ctx, seg.ID); err != nil && matthan.ErrorCode(err) != matthan.ENOTFOUND {
		return freed, fmt.Errorf("retention: delete index row of %s: %w", seg.Path, err)
	}
	s.usage[seg.CameraID] -= seg.Bytes
	s.count(seg, why, missing)
	return freed, nil
}

func (s *sweep) count(seg *matthan.Segment, why Reason, missing bool) {
	key := seg.CameraID + "\x00" + string(why)
	i, ok := s.byCamera[key]
	if !ok {
		i = len(s.report.Deleted)
		s.byCamera[key] = i
		s.report.Deleted = append(s.report.Deleted, Deletion{CameraID: seg.CameraID, Reason: why, From: seg.Start, To: seg.End})
	}
	d := &s.report.Deleted[i]
	d.Segments++
	d.Bytes += seg.Bytes
	if missing {
		d.Missing++
	}
	if seg.Start.Before(d.From) {
		d.From = seg.Start
	}
	if seg.End.After(d.To) {
		d.To = seg.End
	}
}

// cleanDirs removes date directories that deletions emptied. Those of
// today and yesterday (UTC) are left alone: the recorder may be about to
// create a file in one, and must not find it gone between its mkdir and
// its create.
func (s *sweep) cleanDirs() {
	yesterday := s.now.Add(-24 * time.Hour).Format(time.DateOnly)
	for dir := range s.dirs {
		day := filepath.Base(dir)
		if _, err := time.Parse(time.DateOnly, day); err != nil || day >= yesterday {
			continue
		}
		_ = s.r.cfg.Remove(dir) // fails while the directory holds files: that is fine
	}
}

// summarise logs and audits each camera's deletions once per sweep.
func (s *sweep) summarise(ctx context.Context) {
	for _, d := range s.report.Deleted {
		s.r.log.InfoContext(ctx, "recordings deleted", "camera", d.CameraID, "reason", string(d.Reason),
			"segments", d.Segments, "bytes", d.Bytes, "missing_files", d.Missing,
			"from", d.From, "to", d.To)
		detail := fmt.Sprintf("%d segments, %d bytes, %s to %s, rule: %s", d.Segments, d.Bytes,
			d.From.Format(time.RFC3339), d.To.Format(time.RFC3339), d.Reason)
		if d.Reason == ReasonDays {
			detail += fmt.Sprintf(" (%d days)", s.retainDays(d.CameraID))
		}
		if d.Missing > 0 {
			detail += fmt.Sprintf("; %d files were already gone", d.Missing)
		}
		if err := s.r.cams.AddAudit(ctx, &matthan.AuditEntry{
			At: s.now, User: AuditUser, Action: "recording.delete", CameraID: d.CameraID, Detail: detail,
		}); err != nil {
			s.r.log.ErrorContext(ctx, "audit of deleted recordings not stored", "camera", d.CameraID, "err", err)
		}
	}
}

// AuditUser is who deletions are audited as.
const AuditUser = "system:retention"

// statfs measures the file system holding dir: blocks free to
// unprivileged users (what the recorder, not running as root, can use).
func statfs(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, &fs.PathError{Op: "statfs", Path: dir, Err: err}
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// probeWrite writes and removes a small file in dir.
func probeWrite(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, ".retention-probe")
	if err := os.WriteFile(path, []byte("ok\n"), 0o600); err != nil {
		return err
	}
	return os.Remove(path)
}
