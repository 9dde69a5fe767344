package retention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"matthan"
	"matthan/internal/bus"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
)

// now is the fake clock of every test: sweeps never read the real time.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// env is a recordings directory of real small files indexed in a real
// SQLite store, a fake disk whose free space follows those files, and a
// bus whose storage alarms the test reads.
type env struct {
	t      *testing.T
	db     *sqlite.DB
	dir    string
	bus    *bus.Bus
	alarms <-chan matthan.Event
	disk   *fakeDisk
	cfg    Config
	r      *Retention
	logs   *syncBuffer
}

// syncBuffer is a log destination safe for Run's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeDisk is a file system of total bytes holding the recordings
// directory's files plus other bytes that are not footage.
type fakeDisk struct {
	mu    sync.Mutex
	total uint64
	other uint64
	err   error
}

func (d *fakeDisk) freeSpace(dir string) (free, total uint64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, 0, d.err
	}
	var used uint64
	err = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err == nil {
			used += uint64(info.Size())
		}
		return err
	})
	if used+d.other > d.total {
		return 0, d.total, err
	}
	return d.total - used - d.other, d.total, err
}

func newEnv(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "matthan.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, dir: t.TempDir(), bus: bus.New(), disk: &fakeDisk{total: 1 << 40}}
	alarms, cancel := e.bus.Subscribe(TopicStorage, 100)
	t.Cleanup(cancel)
	e.alarms = alarms
	e.cfg = Config{
		Dir:          e.dir,
		DefaultDays:  3,
		MinFreeBytes: 1000,
		EventMargin:  2 * time.Minute,
		FreeSpace:    e.disk.freeSpace,
		Now:          func() time.Time { return now },
	}
	if edit != nil {
		edit(&e.cfg)
	}
	e.logs = &syncBuffer{}
	e.r = New(e.cfg, db, db, e.bus, slog.New(slog.NewTextHandler(e.logs, nil)))
	return e
}

func (e *env) camera(id string, days int, quota int64) {
	e.t.Helper()
	c := &matthan.Camera{ID: id, Name: id, Source: matthan.SourcePull, MainURL: "rtsp://10.0.0.5/" + id,
		Enabled: true, RetainDays: days, QuotaBytes: quota}
	if err := e.db.CreateCamera(e.t.Context(), c); err != nil {
		e.t.Fatal(err)
	}
}

// segment writes a file of n bytes for [start, start+d) and indexes it.
func (e *env) segment(camera string, start time.Time, d time.Duration, n int) *matthan.Segment {
	e.t.Helper()
	start = start.UTC()
	seg := &matthan.Segment{
		CameraID: camera, Stream: matthan.StreamMain,
		Path:  fmt.Sprintf("%s/%s/main-%s.mp4", camera, start.Format(time.DateOnly), start.Format("20060102T150405Z")),
		Start: start, End: start.Add(d), Duration: d, Bytes: int64(n),
	}
	full := filepath.Join(e.dir, filepath.FromSlash(seg.Path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(full, make([]byte, n), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.AddSegment(e.t.Context(), seg); err != nil {
		e.t.Fatal(err)
	}
	return seg
}

func (e *env) event(camera string, at time.Time) {
	e.t.Helper()
	if err := e.db.AddHealthEvent(e.t.Context(), &matthan.HealthEvent{CameraID: camera, Stream: matthan.StreamMain,
		From: matthan.StateStreaming, To: matthan.StateOffline, At: at}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) lock(camera string, start, end time.Time) *matthan.EvidenceLock {
	e.t.Helper()
	l := &matthan.EvidenceLock{CameraID: camera, Start: start, End: end, Case: "VV-2026/0142",
		Reason: "Trộm xe máy", CreatedBy: "officer.tuan"}
	if err := e.db.AddLock(e.t.Context(), l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

func (e *env) sweep() Report {
	e.t.Helper()
	rep, err := e.r.Sweep(e.t.Context())
	if err != nil {
		e.t.Fatalf("Sweep: %v", err)
	}
	return rep
}

// left returns the start times (as offsets from base, in minutes) of a
// camera's indexed segments, checking each still has its file.
func (e *env) left(camera string, base time.Time) []int {
	e.t.Helper()
	segs, err := e.db.Segments(e.t.Context(), matthan.SegmentFilter{CameraID: camera})
	if err != nil {
		e.t.Fatal(err)
	}
	out := []int{}
	for _, s := range segs {
		if _, err := os.Stat(filepath.Join(e.dir, filepath.FromSlash(s.Path))); err != nil {
			e.t.Errorf("indexed segment %s has no file: %v", s.Path, err)
		}
		out = append(out, int(s.Start.Sub(base)/time.Minute))
	}
	return out
}

// files counts the segment files left under the recordings directory.
func (e *env) files() int {
	e.t.Helper()
	n := 0
	filepath.WalkDir(e.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	return n
}

// nextAlarm returns the storage alarm published since the last call, or
// fails; noAlarm fails if one was.
func (e *env) nextAlarm() *Alarm {
	e.t.Helper()
	select {
	case ev := <-e.alarms:
		a, ok := ev.Data.(*Alarm)
		if !ok || ev.Topic != TopicStorage || ev.CameraID != a.CameraID || !ev.At.Equal(now) {
			e.t.Fatalf("storage event = %+v", ev)
		}
		if a.Message == "" || a.MessageVI == "" || a.Message == a.MessageVI {
			e.t.Errorf("alarm %s lacks a message in both languages: %+v", a.Kind, a)
		}
		return a
	default:
		e.t.Fatal("no storage alarm was published")
		return nil
	}
}

func (e *env) noAlarm() {
	e.t.Helper()
	select {
	case ev := <-e.alarms:
		e.t.Fatalf("unexpected storage alarm: %+v", ev.Data)
	default:
	}
}

func TestDaysRule(t *testing.T) {
	e := newEnv(t, nil) // the node keeps 3 days
	e.camera("cam-default", 0, 0)
	e.camera("cam-week", 7, 0)
	e.camera("cam-day", 1, 0)
	base := now.Add(-10 * 24 * time.Hour)
	// Every camera has a segment at -10 d, -5 d, -2 d, -12 h, and one that
	// straddles its cutoff.
	mins := func(d time.Duration) int { return int(d / time.Minute) }
	for _, id := range []string{"cam-default", "cam-week", "cam-day", "cam-gone"} { // cam-gone: not in the registry
		for _, at := range []time.Duration{0, 5 * 24 * time.Hour, 8 * 24 * time.Hour, 9*24*time.Hour + 12*time.Hour} {
			e.segment(id, base.Add(at), 10*time.Minute, 100)
		}
	}
	straddle := map[string]time.Duration{"cam-default": 7 * 24 * time.Hour, "cam-week": 3 * 24 * time.Hour, "cam-day": 9 * 24 * time.Hour}
	for id, at := range straddle {
		e.segment(id, base.Add(at-5*time.Minute), 10*time.Minute, 100)
	}
	// A lock keeps cam-day's footage of 2 days ago.
	e.lock("cam-day", base.Add(8*24*time.Hour+time.Minute), base.Add(8*24*time.Hour+2*time.Minute))

	rep := e.sweep()

	want := map[string][]int{
		"cam-default": {mins(7*24*time.Hour - 5*time.Minute), mins(8 * 24 * time.Hour), mins(9*24*time.Hour + 12*time.Hour)},
		"cam-week":    {mins(3*24*time.Hour - 5*time.Minute), mins(5 * 24 * time.Hour), mins(8 * 24 * time.Hour), mins(9*24*time.Hour + 12*time.Hour)},
		"cam-day":     {mins(8 * 24 * time.Hour), mins(9*24*time.Hour - 5*time.Minute), mins(9*24*time.Hour + 12*time.Hour)},
		"cam-gone":    {mins(8 * 24 * time.Hour), mins(9*24*time.Hour + 12*time.Hour)},
	}
	for id, w := range want {
		if got := e.left(id, base); !slices.Equal(got, w) {
			t.Errorf("%s kept %v, want %v", id, got, w)
		}
	}
	if got, want := e.files(), 3+4+3+2; got != want {
		t.Errorf("%d files left, want %d", got, want)
	}
	// One summary per camera, all by the days rule.
	got := map[string]int{}
	for _, d := range rep.Deleted {
		if d.Reason != ReasonDays || d.Bytes != int64(d.Segments)*100 || d.Missing != 0 {
			t.Errorf("deletion summary %+v", d)
		}
		got[d.CameraID] += d.Segments
	}
	if w := map[string]int{"cam-default": 2, "cam-week": 1, "cam-day": 2, "cam-gone": 2}; !equalMaps(got, w) {
		t.Errorf("deleted per camera = %v, want %v", got, w)
	}
	if rep.Locked != 1 {
		t.Errorf("Locked = %d, want 1", rep.Locked)
	}
	// Emptied date directories go; the camera directory stays.
	if _, err := os.Stat(filepath.Join(e.dir, "cam-gone", base.Format(time.DateOnly))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("emptied date directory still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "cam-gone")); err != nil {
		t.Errorf("camera directory removed: %v", err)
	}
	// Deletions are audited once per camera and sweep.
	audit, err := e.db.Audit(t.Context(), matthan.AuditFilter{User: AuditUser})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 4 || audit[0].Action != "recording.delete" || !strings.Contains(audit[0].Detail, "rule: days") {
		t.Errorf("audit = %+v", audit)
	}
	// And logged once per camera and sweep, as a summary.
	if n := strings.Count(e.logs.String(), `msg="recordings deleted"`); n != 4 {
		t.Errorf("%d deletion summaries logged, want 4:\n%s", n, e.logs)
	}
	e.noAlarm()

	// A second sweep finds nothing more to do.
	if rep := e.sweep(); len(rep.Deleted) != 0 {
		t.Errorf("second sweep deleted %+v", rep.Deleted)
	}
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestQuotaDeletionOrder: over its quota, a camera loses its oldest
// continuous footage first, then footage around events, oldest first.
func TestQuotaDeletionOrder(t *testing.T) {
	e := newEnv(t, nil)
	e.camera("cam-q", 0, 3000)
	e.camera("cam-free", 0, 0) // no quota: untouched
	base := now.Add(-2 * time.Hour)
	for i := range 6 {
		e.segment("cam-q", base.Add(time.Duration(i)*10*time.Minute), 10*time.Minute, 1000)
		e.segment("cam-free", base.Add(time.Duration(i)*10*time.Minute), 10*time.Minute, 1000)
	}
	e.event("cam-q", base.Add(15*time.Minute)) // inside the segment at 10
	e.event("cam-q", base.Add(61*time.Minute)) // a minute after the one at 50 ends: within the margin
	e.event("cam-q", base.Add(-3*time.Minute)) // three minutes before the one at 0: outside it
	e.event("cam-free", base)

	rep := e.sweep()
	// 6000 bytes, quota 3000: the three oldest continuous go (0, 20, 30);
	// 10 and 50 are event footage.
	if got, want := e.left("cam-q", base), []int{10, 40, 50}; !slices.Equal(got, want) {
		t.Errorf("cam-q kept %v, want %v", got, want)
	}
	if got := e.left("cam-free", base); len(got) != 6 {
		t.Errorf("cam-free kept %v, want all 6", got)
	}
	if len(rep.Deleted) != 1 || rep.Deleted[0] != (Deletion{CameraID: "cam-q", Reason: ReasonQuota, Segments: 3, Bytes: 3000,
		From: base, To: base.Add(40 * time.Minute)}) {
		t.Errorf("Deleted = %+v", rep.Deleted)
	}

	// A smaller quota: the last continuous segment, then the oldest event.
	setQuota(t, e, "cam-q", 1500)
	e.sweep()
	if got, want := e.left("cam-q", base), []int{50}; !slices.Equal(got, want) {
		t.Errorf("cam-q kept %v, want %v", got, want)
	}
	e.noAlarm()
}

func setQuota(t *testing.T, e *env, id string, quota int64) {
	t.Helper()
	c, err := e.db.Camera(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	c.QuotaBytes = quota
	if err := e.db.UpdateCamera(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

// TestLockMakesQuotaImpossible: locked footage is never deleted, even when
// that leaves a camera over its quota; an alarm says so, and clears once
// the lock is released and the quota is met.
func TestLockMakesQuotaImpossible(t *testing.T) {
	e := newEnv(t, nil)
	e.camera("cam-q", 0, 1000)
	base := now.Add(-time.Hour)
	for i := range 3 {
		e.segment("cam-q", base.Add(time.Duration(i)*10*time.Minute), 10*time.Minute, 1000)
	}
	l := e.lock("cam-q", base.Add(5*time.Minute), base.Add(25*time.Minute)) // touches all three

	rep := e.sweep()
	if got := e.left("cam-q", base); !slices.Equal(got, []int{0, 10, 20}) {
		t.Errorf("locked footage deleted: kept %v", got)
	}
	if len(rep.Deleted) != 0 || rep.Locked == 0 {
		t.Errorf("Deleted %+v, Locked %d", rep.Deleted, rep.Locked)
	}
	a := e.nextAlarm()
	if a.Kind != AlarmQuota || a.CameraID != "cam-q" || !a.Active || !strings.Contains(a.Message, "locked as evidence") ||
		!strings.Contains(a.MessageVI, "khóa làm chứng cứ") {
		t.Errorf("alarm = %+v", a)
	}
	if len(rep.Alarms) != 1 || rep.Alarms[0].Kind != AlarmQuota || len(e.r.Alarms()) != 1 {
		t.Errorf("active alarms: report %+v, Alarms() %+v", rep.Alarms, e.r.Alarms())
	}

	// Still impossible: the alarm stays up and is not published again.
	e.sweep()
	e.noAlarm()

	if err := e.db.ReleaseLock(t.Context(), l.ID, "officer.lan", now); err != nil {
		t.Fatal(err)
	}
	e.sweep()
	if got := e.left("cam-q", base); !slices.Equal(got, []int{20}) {
		t.Errorf("after release kept %v, want [20]", got)
	}
	if a := e.nextAlarm(); a.Kind != AlarmQuota || a.Active {
		t.Errorf("clearing alarm = %+v", a)
	}
	if len(e.r.Alarms()) != 0 {
		t.Errorf("Alarms() = %+v after clearing", e.r.Alarms())
	}
}

// TestFreeSpaceFloor: under the floor, the oldest continuous footage of
// all cameras goes first, then event footage; locks hold; if the floor
// still cannot be met, an alarm says so.
func TestFreeSpaceFloor(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MinFreeBytes = 4000 })
	e.disk.total = 10_000
	e.camera("cam-a", 0, 0)
	e.camera("cam-b", 0, 0)
	base := now.Add(-time.Hour)
	// Interleaved: a at 0, 10, 20; b at 5, 15, 25 (minutes).
	for i := range 3 {
		e.segment("cam-a", base.Add(time.Duration(i)*10*time.Minute), 5*time.Minute, 1000)
		e.segment("cam-b", base.Add(time.Duration(i)*10*time.Minute+5*time.Minute), 5*time.Minute, 1000)
	}
	e.event("cam-b", base.Add(6*time.Minute)) // b's first segment is event footage
	e.lock("cam-a", base, base.Add(time.Minute))
	// 6000 used, 4000 free: at the floor, nothing to do.
	if rep := e.sweep(); len(rep.Deleted) != 0 || rep.FreeBytes != 4000 || rep.FloorBytes != 4000 {
		t.Fatalf("at the floor: %+v", rep)
	}
	// Something else takes 2500 bytes: 1500 free, 2500 short. Deletion
	// skips a's locked first segment and b's event footage: a@10, a@20,
	// b@15 go, in that order.
	e.disk.other = 2500
	rep := e.sweep()
	if got := e.left("cam-a", base); !slices.Equal(got, []int{0}) {
		t.Errorf("cam-a kept %v, want [0]", got)
	}
	if got := e.left("cam-b", base); !slices.Equal(got, []int{5, 25}) {
		t.Errorf("cam-b kept %v, want [5 25]", got)
	}
	if rep.FreeBytes != 4500 {
		t.Errorf("FreeBytes = %d, want 4500", rep.FreeBytes)
	}
	for _, d := range rep.Deleted {
		if d.Reason != ReasonFreeSpace {
			t.Errorf("deletion %+v, want reason free_space", d)
		}
	}
	e.noAlarm()

	// Short again by more than may go: continuous b@25 first, then b's
	// event footage; a's locked footage stays and the alarm goes up.
	e.disk.other = 6000
	rep = e.sweep()
	if got := e.left("cam-b", base); len(got) != 0 {
		t.Errorf("cam-b kept %v, want nothing", got)
	}
	if got := e.left("cam-a", base); !slices.Equal(got, []int{0}) {
		t.Errorf("cam-a kept %v, want its locked [0]", got)
	}
	a := e.nextAlarm()
	if a.Kind != AlarmFloor || !a.Active || !strings.Contains(a.Message, "under the floor") {
		t.Errorf("alarm = %+v", a)
	}
	// Space comes back: the alarm clears.
	e.disk.other = 0
	e.sweep()
	if a := e.nextAlarm(); a.Kind != AlarmFloor || a.Active {
		t.Errorf("clearing alarm = %+v", a)
	}
}

func TestFloorPercent(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MinFreeBytes, c.MinFreePercent = 100, 25 })
	e.disk.total = 8000
	e.camera("cam-a", 0, 0)
	for i := range 7 {
		e.segment("cam-a", now.Add(time.Duration(i-10)*time.Minute), time.Minute, 1000)
	}
	// 1000 free, the floor is 25% of 8000 = 2000: one segment goes.
	rep := e.sweep()
	if rep.FloorBytes != 2000 || rep.FreeBytes != 2000 || e.files() != 6 {
		t.Errorf("floor %d, free %d, %d files; want 2000, 2000, 6", rep.FloorBytes, rep.FreeBytes, e.files())
	}
}

// TestMissingFileRowsCleaned: a crash between removing a file and its row
// leaves a row without a file; the next sweep deletes the row.
func TestMissingFileRowsCleaned(t *testing.T) {
	e := newEnv(t, nil)
	e.camera("cam-a", 1, 0)
	old := e.segment("cam-a", now.Add(-48*time.Hour), time.Minute, 500)
	keep := e.segment("cam-a", now.Add(-time.Hour), time.Minute, 500)
	if err := os.Remove(filepath.Join(e.dir, filepath.FromSlash(old.Path))); err != nil {
		t.Fatal(err)
	}
	rep := e.sweep()
	if _, err := e.db.SegmentByPath(t.Context(), old.Path); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("row of the missing file still there: %v", err)
	}
	if len(rep.Deleted) != 1 || rep.Deleted[0].Missing != 1 || rep.Deleted[0].Segments != 1 {
		t.Errorf("Deleted = %+v", rep.Deleted)
	}
	if _, err := e.db.SegmentByPath(t.Context(), keep.Path); err != nil {
		t.Error(err)
	}
	e.noAlarm()
}

// TestReadOnlyDisk: when the disk refuses to delete and write, the sweep
// returns normally, keeps the index rows, gives up after a few failures
// and raises an alarm; once the disk is writable again it deletes and
// clears the alarm.
func TestReadOnlyDisk(t *testing.T) {
	var mu sync.Mutex
	readOnly := true
	var attempts int
	e := newEnv(t, func(c *Config) {
		c.Remove = func(path string) error {
			mu.Lock()
			defer mu.Unlock()
			if readOnly {
				attempts++
				return &fs.PathError{Op: "remove", Path: path, Err: syscall.EROFS}
			}
			return os.Remove(path)
		}
		c.Probe = func(dir string) error {
			mu.Lock()
			defer mu.Unlock()
			if readOnly {
				return &fs.PathError{Op: "open", Path: dir, Err: syscall.EROFS}
			}
			return probeWrite(dir)
		}
	})
	e.camera("cam-a", 1, 0)
	for i := range 10 {
		e.segment("cam-a", now.Add(-72*time.Hour+time.Duration(i)*time.Minute), time.Minute, 100)
	}
	rep := e.sweep()
	if attempts != maxFailures || rep.Failed != maxFailures {
		t.Errorf("%d removals tried, %d failed; want %d", attempts, rep.Failed, maxFailures)
	}
	if got := e.left("cam-a", now); len(got) != 10 {
		t.Errorf("rows of undeleted files went: %d left", len(got))
	}
	a := e.nextAlarm()
	if a.Kind != AlarmReadOnly || !a.Active || !strings.Contains(a.MessageVI, "chỉ đọc") {
		t.Errorf("alarm = %+v", a)
	}
	e.noAlarm() // one alarm, however many failures

	mu.Lock()
	readOnly = false
	mu.Unlock()
	rep = e.sweep()
	if e.files() != 0 || len(rep.Deleted) != 1 || rep.Deleted[0].Segments != 10 {
		t.Errorf("after recovery: %d files, Deleted %+v", e.files(), rep.Deleted)
	}
	if a := e.nextAlarm(); a.Kind != AlarmReadOnly || a.Active {
		t.Errorf("clearing alarm = %+v", a)
	}
}

// TestDiskErrors: a failing free-space measure or a full disk raise alarms;
// the sweep still applies the other rules.
func TestDiskErrors(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Probe = func(dir string) error { return &fs.PathError{Op: "write", Path: dir, Err: syscall.ENOSPC} }
	})
	e.disk.err = &fs.PathError{Op: "statfs", Path: e.dir, Err: syscall.EIO}
	e.camera("cam-a", 1, 0)
	e.segment("cam-a", now.Add(-48*time.Hour), time.Minute, 100)
	rep := e.sweep()
	if e.files() != 0 {
		t.Error("the days rule did not run")
	}
	got := []AlarmKind{e.nextAlarm().Kind, e.nextAlarm().Kind}
	slices.Sort(got)
	if want := []AlarmKind{AlarmDiskError, AlarmDiskFull}; !slices.Equal(got, want) || len(rep.Alarms) != 2 {
		t.Errorf("alarms = %v (report %+v), want %v", got, rep.Alarms, want)
	}
}

// TestLockAddedDuringSweep: the lock is checked again right before each
// deletion, so footage locked after the sweep read its locks is kept.
func TestLockAddedDuringSweep(t *testing.T) {
	e := newEnv(t, nil)
	e.camera("cam-a", 1, 0)
	seg := e.segment("cam-a", now.Add(-48*time.Hour), time.Minute, 100)
	e.lock("cam-a", seg.Start, seg.End)
	s := &sweep{r: e.r, now: now, events: map[string][]time.Time{}, byCamera: map[string]int{},
		dirs: map[string]bool{}, alarms: map[alarmKey]*Alarm{}, usage: map[string]int64{}}
	// The sweep's preloaded picture has no locks; the index has one.
	freed, err := s.delete(t.Context(), seg, ReasonDays)
	if err != nil || freed != 0 || s.report.Locked != 1 || e.files() != 1 {
		t.Errorf("delete of freshly locked footage: freed %d, err %v, locked %d, files %d", freed, err, s.report.Locked, e.files())
	}
}

func TestRun(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Interval = 10 * time.Millisecond })
	e.camera("cam-a", 1, 0)
	e.segment("cam-a", now.Add(-48*time.Hour), time.Minute, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.r.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.files() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if e.files() != 0 {
		t.Error("Run did not sweep")
	}
}

func TestOverlaps(t *testing.T) {
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		a0, a1, b0, b1 int
		want           bool
	}{
		{0, 10, 5, 15, true},
		{0, 10, 10, 20, false}, // ends are exclusive
		{10, 20, 0, 10, false},
		{0, 30, 10, 20, true},
		{5, 5, 0, 10, true},    // an instant inside
		{10, 10, 0, 10, false}, // an instant at the end
		{0, 0, 0, 10, true},    // an instant at the start
	}
	for _, tt := range tests {
		if got := overlaps(at(tt.a0), at(tt.a1), at(tt.b0), at(tt.b1)); got != tt.want {
			t.Errorf("overlaps([%d,%d), [%d,%d)) = %v, want %v", tt.a0, tt.a1, tt.b0, tt.b1, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		n      int64
		en, vi string
	}{
		{0, "0 B", "0 B"},
		{999, "999 B", "999 B"},
		{1500, "1.5 kB", "1,5 kB"},
		{2_000_000_000, "2 GB", "2 GB"},
		{1_260_000_000_000, "1.3 TB", "1,3 TB"},
	}
	for _, tt := range tests {
		if en, vi := formatBytes(tt.n); en != tt.en || vi != tt.vi {
			t.Errorf("formatBytes(%d) = %q, %q; want %q, %q", tt.n, en, vi, tt.en, tt.vi)
		}
	}
}

func TestDefaultDiskFunctions(t *testing.T) {
	dir := t.TempDir()
	free, total, err := statfs(dir)
	if err != nil || total == 0 || free > total {
		t.Errorf("statfs = %d free of %d, %v", free, total, err)
	}
	if _, _, err := statfs(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("statfs of a missing directory = %v, want ErrNotExist", err)
	}
	if err := probeWrite(dir); err != nil {
		t.Errorf("probeWrite = %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("probeWrite left %v", left)
	}
	if err := probeWrite(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("probeWrite of a missing directory = %v, want ErrNotExist", err)
	}
}

// TestCaseLocks: footage attached to a case is kept while the case is open
// and for KeepDays after it closes; reopening locks it again; once a
// closed case's days have passed, retention deletes it.
func TestCaseLocks(t *testing.T) {
	clock := now
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return clock } })
	ctx := t.Context()
	e.camera("cam-c", 1, 0)
	base := now.Add(-10 * 24 * time.Hour)
	e.segment("cam-c", base, 10*time.Minute, 1000)
	e.segment("cam-c", base.Add(10*time.Minute), 10*time.Minute, 1000)
	c := &matthan.Case{Number: "VV-2026-0042", Title: "Trộm xe máy", OpenedBy: "officer.tuan", KeepDays: 2, OpenedAt: now}
	if err := e.db.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	it := &matthan.CaseItem{CaseID: c.ID, Kind: matthan.CaseItemFootage, CameraID: "cam-c",
		From: base.Add(time.Minute), To: base.Add(5 * time.Minute), AddedBy: "officer.tuan", AddedAt: now}
	if err := e.db.AddCaseItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		change func() error
		at     time.Time
		want   []int
	}{
		{"open", nil, now, []int{0}},
		{"closed, within its days", func() error { _, err := e.db.CloseCase(ctx, c.ID, "officer.tuan", "", now); return err },
			now.Add(24 * time.Hour), []int{0}},
		{"reopened, past the first close's days", func() error {
			_, err := e.db.ReopenCase(ctx, c.ID, "officer.lan", "new witness", now.Add(24*time.Hour))
			return err
		}, now.Add(3 * 24 * time.Hour), []int{0}},
		{"closed again, past its days", func() error {
			_, err := e.db.CloseCase(ctx, c.ID, "officer.lan", "", now.Add(3*24*time.Hour))
			return err
		}, now.Add(5*24*time.Hour + time.Hour), nil},
	}
	for _, st := range steps {
		if st.change != nil {
			if err := st.change(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		clock = st.at
		e.sweep()
		if got := e.left("cam-c", base); !slices.Equal(got, st.want) {
			t.Errorf("%s: kept %v, want %v", st.name, got, st.want)
		}
	}
}
