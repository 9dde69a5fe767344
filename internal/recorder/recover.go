package recorder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"matthan"
	"matthan/internal/fmp4"
)

// RecoveryReport says what start-up recovery found.
type RecoveryReport struct {
	// Recovered lists files that had no index row and were indexed, cut
	// back to their last whole fragment where a crash left them open.
	Recovered []string
	// Quarantined lists files that could not be read as segments and were
	// moved to the quarantine directory (never deleted).
	Quarantined []string
	// Short lists indexed files now smaller than their index rows say.
	Short []string
}

var dayDirRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// errNoFootage: a file holds no whole fragment of video.
var errNoFootage = errors.New("no whole video fragment")

// orphan is a file with no index row.
type orphan struct {
	rel string
	k   key
	row *matthan.Segment // nil until read
}

// Recover indexes every segment file that has no index row, cutting a file
// a crash left open back to its last whole fragment (Recovered = true, the
// hash chain continues); moves files it cannot read to the quarantine
// directory; and reports indexed files that are shorter than their rows.
// Run calls it before recording.
func (r *Recorder) Recover(ctx context.Context) (RecoveryReport, error) {
	var rep RecoveryReport
	root := r.cfg.Dir
	cams, err := os.ReadDir(root)
	if err != nil {
		return rep, fmt.Errorf("recorder: recover: %w", err)
	}
	var orphans []*orphan
	for _, cd := range cams {
		if !cd.IsDir() || strings.HasPrefix(cd.Name(), "_") || strings.HasPrefix(cd.Name(), ".") {
			continue
		}
		days, err := os.ReadDir(filepath.Join(root, cd.Name()))
		if err != nil {
			return rep, fmt.Errorf("recorder: recover: %w", err)
		}
		for _, dd := range days {
			if !dd.IsDir() || !dayDirRe.MatchString(dd.Name()) {
				continue
			}
			o, err := r.checkDay(ctx, cd.Name(), dd.Name(), &rep)
			if err != nil {
				return rep, err
			}
			orphans = append(orphans, o...)
		}
	}
	// Read every orphan, then index them oldest first per stream so the
	// hash chain runs in time order.
	var rows []*orphan
	for _, o := range orphans {
		row, err := r.recoverFile(o)
		if err != nil {
			r.quarantine(o.rel, err, &rep)
			continue
		}
		o.row = row
		rows = append(rows, o)
	}
	slices.SortFunc(rows, func(a, b *orphan) int {
		return cmp.Or(cmp.Compare(a.k.camera, b.k.camera), cmp.Compare(a.k.role, b.k.role), a.row.Start.Compare(b.row.Start))
	})
	for _, o := range rows {
		o.row.PrevSHA256 = r.prevOf(ctx, o.row)
		ictx, cancel := context.WithTimeout(ctx, indexTimeout)
		err := r.index.AddSegment(ictx, o.row)
		cancel()
		if err != nil {
			return rep, fmt.Errorf("recorder: recover %s: %w", o.rel, err)
		}
		rep.Recovered = append(rep.Recovered, o.rel)
		r.log.Warn("recovered a segment that had no index row", "camera", o.k.camera, "stream", o.k.role,
			"path", o.rel, "seconds", o.row.Duration.Seconds(), "frames", o.row.Frames)
	}
	return rep, nil
}

// checkDay compares one day directory with the index and returns its
// files that have no row.
func (r *Recorder) checkDay(ctx context.Context, camera, day string, rep *RecoveryReport) ([]*orphan, error) {
	dir := filepath.Join(r.cfg.Dir, camera, day)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("recorder: recover: %w", err)
	}
	from, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return nil, nil
	}
	ictx, cancel := context.WithTimeout(ctx, indexTimeout)
	segs, err := r.index.Segments(ictx, matthan.SegmentFilter{CameraID: camera, From: from, To: from.Add(24 * time.Hour), Limit: 10_000})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("recorder: recover: %w", err)
	}
	indexed := make(map[string]*matthan.Segment, len(segs))
	for _, s := range segs {
		indexed[s.Path] = s
	}
	var orphans []*orphan
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".mp4") {
			continue
		}
		rel := path.Join(camera, day, e.Name())
		if s := indexed[rel]; s != nil {
			if info, err := e.Info(); err == nil && info.Size() < s.Bytes {
				rep.Short = append(rep.Short, rel)
				r.log.Error("a recorded segment is shorter than its index row says", "camera", camera, "path", rel,
					"bytes", info.Size(), "indexed_bytes", s.Bytes)
			}
			continue
		}
		cam, role, _, ok := parseSegmentPath(rel)
		if !ok {
			r.quarantine(rel, errors.New("not a segment file name"), rep)
			continue
		}
		orphans = append(orphans, &orphan{rel: rel, k: key{cam, role}})
	}
	return orphans, nil
}

// recoverFile cuts an orphan back to its last whole fragment and reads its row.
func (r *Recorder) recoverFile(o *orphan) (*matthan.Segment, error) {
	p := filepath.Join(r.cfg.Dir, filepath.FromSlash(o.rel))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	sf, err := fmp4.Scan(f, info.Size())
	if err == nil && sf.End < info.Size() {
		r.log.Warn("cutting a segment back to its last whole fragment", "path", o.rel,
			"bytes", info.Size(), "kept", sf.End, "why", sf.Stop)
		if err = f.Truncate(sf.End); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	row, err := r.segmentFromFile(p, o.rel, o.k)
	if err != nil {
		return nil, err
	}
	row.Recovered = true
	return row, nil
}

// segmentFromFile builds the index row of a whole file from its content
// (the hash comes from reading it back: used only when a file was not
// written to its end).
func (r *Recorder) segmentFromFile(p, rel string, k key) (*matthan.Segment, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sf, err := fmp4.Scan(f, info.Size())
	if err != nil {
		return nil, err
	}
	if sf.End != info.Size() {
		return nil, fmt.Errorf("damaged after byte %d: %w", sf.End, sf.Stop)
	}
	vt := sf.Track("vide")
	_, end, frames := sf.VideoSpan()
	if vt == nil || frames == 0 {
		return nil, errNoFootage
	}
	sum, err := hashReader(f, sf.End)
	if err != nil {
		return nil, err
	}
	row := &matthan.Segment{
		CameraID: k.camera, Stream: k.role, Path: rel,
		Duration: end, Frames: frames, Bytes: sf.End,
		Codec: vt.MediaCodec(), Width: vt.Width, Height: vt.Height,
		Keyframes: sf.Keyframes(),
		SHA256:    sum,
	}
	if at := sf.Track("soun"); at != nil {
		row.Audio = at.MediaCodec()
	}
	if sf.Meta != nil {
		row.Start, row.MediaStart = sf.Meta.Start, sf.Meta.MediaStart
	} else if _, _, start, ok := parseSegmentPath(rel); ok {
		row.Start = start
	}
	row.End = row.Start.Add(row.Duration)
	return row, nil
}

// prevOf returns the hash of the segment of the same stream that comes
// before row, for the chain.
func (r *Recorder) prevOf(ctx context.Context, row *matthan.Segment) string {
	ictx, cancel := context.WithTimeout(ctx, indexTimeout)
	defer cancel()
	last, err := r.index.LastSegment(ictx, row.CameraID, row.Stream)
	if err != nil {
		return ""
	}
	if last.Start.Before(row.Start) {
		return last.SHA256
	}
	// An older orphan (its row was lost while later files were indexed).
	segs, err := r.index.Segments(ictx, matthan.SegmentFilter{CameraID: row.CameraID, Stream: row.Stream,
		From: row.Start.Add(-24 * time.Hour), To: row.Start, Limit: 10_000})
	if err != nil {
		return ""
	}
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].Start.Before(row.Start) {
			return segs[i].SHA256
		}
	}
	return ""
}

// quarantine moves a file recovery cannot use out of the recordings.
func (r *Recorder) quarantine(rel string, why error, rep *RecoveryReport) {
	qdir := filepath.Join(r.cfg.Dir, quarantineDir)
	if err := mkdirSynced(r.cfg.Dir, qdir); err != nil {
		r.log.Error("recorder: cannot create the quarantine directory", "err", err)
		return
	}
	name := strings.ReplaceAll(rel, "/", "_")
	dst := filepath.Join(qdir, name)
	if _, err := os.Stat(dst); err == nil {
		dst = filepath.Join(qdir, fmt.Sprintf("%d-%s", r.cfg.Clock.Now().UnixNano(), name))
	}
	src := filepath.Join(r.cfg.Dir, filepath.FromSlash(rel))
	if err := os.Rename(src, dst); err != nil {
		r.log.Error("recorder: cannot quarantine an unreadable file", "path", rel, "err", err)
		return
	}
	if err := syncDir(qdir); err != nil {
		r.log.Error("recorder: quarantine", "err", err)
	}
	if err := syncDir(filepath.Dir(src)); err != nil {
		r.log.Error("recorder: quarantine", "err", err)
	}
	rep.Quarantined = append(rep.Quarantined, rel)
	r.log.Error("moved an unreadable recording to quarantine", "path", rel, "to", filepath.Join(quarantineDir, filepath.Base(dst)), "why", why)
}

// noteAlive records that the node is running now.
func (r *Recorder) noteAlive() {
	p := filepath.Join(r.cfg.Dir, aliveFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(r.cfg.Clock.Now().UTC().Format(time.RFC3339Nano)), 0o644); err != nil {
		r.log.Debug("recorder: cannot note the time", "err", err)
		return
	}
	if err := os.Rename(tmp, p); err != nil {
		r.log.Debug("recorder: cannot note the time", "err", err)
	}
}

// lastAlive returns when an earlier run last noted it was alive (zero if never).
func (r *Recorder) lastAlive() time.Time {
	b, err := os.ReadFile(filepath.Join(r.cfg.Dir, aliveFile))
	if err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}
	}
	return t
}

// nodeStoppedGaps ends the gaps an earlier run left open (at the last
// moment it was known alive) and opens a node_stopped gap for every
// recorded stream from where its recording or its last gap ended; that gap
// ends when the stream records again or its health says why it does not.
func (r *Recorder) nodeStoppedGaps(ctx context.Context, cams []*matthan.Camera) {
	now := r.cfg.Clock.Now().UTC()
	alive := r.lastAlive()
	ictx, cancel := context.WithTimeout(ctx, indexTimeout)
	defer cancel()
	open, err := r.index.OpenGaps(ictx)
	if err != nil {
		r.log.Error("recorder: cannot read open gaps", "err", err)
	}
	ended := map[key]time.Time{}
	for _, g := range open {
		end := g.Start
		if alive.After(end) {
			end = alive
		}
		if end.After(now) {
			end = now
		}
		if err := r.index.EndGap(ictx, g.ID, end); err != nil {
			r.log.Error("recorder: cannot end a gap left open", "camera", g.CameraID, "err", err)
			continue
		}
		k := key{g.CameraID, g.Stream}
		if end.After(ended[k]) {
			ended[k] = end
		}
	}
	for _, c := range cams {
		for _, role := range recordedRoles(c) {
			k := key{c.ID, role}
			from := ended[k]
			last, err := r.index.LastSegment(ictx, c.ID, role)
			if err == nil && last.End.After(from) {
				from = last.End
			}
			if from.IsZero() || !from.Before(now) {
				continue
			}
			r.setGap(ctx, k, matthan.GapNodeStopped, from, "the node was not running")
		}
	}
}
