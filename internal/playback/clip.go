package playback

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"sync"
	"time"

	"matthan"
)

// MaxClipDuration is the most media one clip covers. A longer range gives
// a clip that stops there, with NextFrom saying where the rest begins: a
// clip's sample tables live in memory (about 4 bytes a frame).
const MaxClipDuration = 24 * time.Hour

// Clip is one progressive MP4 file (ftyp, moov, mdat) made from the original
// samples of recorded segments, without re-encoding: a "virtual file"
// whose header is built in memory and whose sample bytes are read from the
// segment files when they are read.
//
// Timeline. The clip starts at the keyframe at or before the asked start
// and carries an edit list, so players start showing the frame on screen
// at the asked start (Start). It ends with the last frame that starts before
// the asked end. Samples keep their recorded durations; a hole inside a
// segment shows as the frame before it held longer. Between segments the
// timeline just continues: the first frame of a segment follows the last
// frame of the one before, so a gap in recording (see Spans) looks like a
// cut in the video, and the clip is shorter than End minus Start.
//
// Codec parameters. A clip spans several segments while they have the same
// tracks and codec parameters (one sample description per track). When they
// change inside the range (a new resolution, another codec, audio switched
// on), the clip stops before the first segment that differs and NextFrom
// says where to ask for the next part. It also stops that way after
// MaxClipDuration.
//
// A Clip keeps its segment files open until Close, so the footage stays
// readable even if retention removes the files meanwhile. ReadAt and the
// readers are safe for concurrent use.
type Clip struct {
	header []byte // ftyp, moov and the mdat header
	pieces []piece
	files  []*os.File
	segs   []*matthan.Segment
	size   int64

	start, end, next time.Time
	duration         time.Duration
	audio            bool

	closeOnce sync.Once
	closeErr  error
}

// piece is a run of bytes copied from a segment file into the mdat.
type piece struct {
	file int   // index in Clip.files
	src  int64 // offset in the segment file
	n    int64
	out  int64 // offset in the clip
}

// Size returns the clip's size in bytes.
func (c *Clip) Size() int64 { return c.size }

// Segments returns the source segments the clip's samples come from, in
// order.
func (c *Clip) Segments() []*matthan.Segment { return c.segs }

// Start returns the wall-clock time of the first frame shown: the start of
// the frame on screen at the asked start (at most a frame before it), or
// the start of the recording when it began later.
func (c *Clip) Start() time.Time { return c.start }

// End returns the wall-clock time where the last frame ends (at most a
// frame after the asked end, or earlier where the recording ended).
func (c *Clip) End() time.Time { return c.end }

// Duration returns how long the clip plays. It is End minus Start less the
// gaps between the segments it spans.
func (c *Clip) Duration() time.Duration { return c.duration }

// HasAudio reports whether the clip carries an audio track.
func (c *Clip) HasAudio() bool { return c.audio }

// NextFrom returns where the rest of the asked range begins when the clip
// stopped early (codec parameters changed, or MaxClipDuration reached), and
// the zero time when the clip covers the whole range.
func (c *Clip) NextFrom() time.Time { return c.next }

// ReadAt reads the clip's bytes at off.
func (c *Clip) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("playback: negative offset")
	}
	n := 0
	for len(p) > 0 && off < c.size {
		var k int
		if off < int64(len(c.header)) {
			k = copy(p, c.header[off:])
		} else {
			pos := off - int64(len(c.header))
			i := sort.Search(len(c.pieces), func(i int) bool { return c.pieces[i].out+c.pieces[i].n > pos })
			pc := c.pieces[i]
			in := pos - pc.out
			want := min(int64(len(p)), pc.n-in)
			var err error
			k, err = c.files[pc.file].ReadAt(p[:want], pc.src+in)
			if k < int(want) {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF // the segment file shrank
				}
				return n + k, fmt.Errorf("playback: read %s: %w", c.segs[pc.file].Path, err)
			}
		}
		n += k
		off += int64(k)
		p = p[k:]
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// NewReader returns a reader of the whole clip, for http.ServeContent. It
// reads sample bytes from the segment files as it goes.
func (c *Clip) NewReader() io.ReadSeeker { return io.NewSectionReader(c, 0, c.size) }

// WriteTo writes the whole clip to w.
func (c *Clip) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(c.header)
	total := int64(n)
	if err != nil {
		return total, err
	}
	for _, pc := range c.pieces {
		k, err := io.Copy(w, io.NewSectionReader(c.files[pc.file], pc.src, pc.n))
		total += k
		if err != nil {
			return total, err
		}
		if k < pc.n {
			return total, fmt.Errorf("playback: read %s: %w", c.segs[pc.file].Path, io.ErrUnexpectedEOF)
		}
	}
	return total, nil
}

// Close closes the segment files.
func (c *Clip) Close() error {
	c.closeOnce.Do(func() {
		var errs []error
		for _, f := range c.files {
			errs = append(errs, f.Close())
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// ErrNothingRecorded is the error (code ENOTFOUND) for a range without
// recorded video.
func errNothingRecorded(cameraID string, stream matthan.StreamRole, from, to time.Time) error {
	return matthan.Errorf(matthan.ENOTFOUND,
		fmt.Sprintf("Nothing of camera %s (%s stream) is recorded between %s and %s",
			cameraID, stream, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)),
		fmt.Sprintf("Không có đoạn ghi hình nào của camera %s (luồng %s) từ %s đến %s",
			cameraID, stream, matthan.FormatLocal(from), matthan.FormatLocal(to)))
}

func errBadRange() error {
	return matthan.Errorf(matthan.EINVALID,
		"The end of the range must be after its start",
		"Thời điểm kết thúc phải sau thời điểm bắt đầu")
}

// Open builds the clip of a camera stream for [from, to). It returns an
// ENOTFOUND *matthan.Error when nothing is recorded in the range, and an
// EINVALID one when to is not after from. Close the clip when done.
func Open(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string, stream matthan.StreamRole, from, to time.Time) (*Clip, error) {
	if !to.After(from) {
		return nil, errBadRange()
	}
	first, err := index.Segments(ctx, matthan.SegmentFilter{CameraID: cameraID, Stream: stream, From: from, To: to, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("playback: segments: %w", err)
	}
	if len(first) == 0 {
		return nil, errNothingRecorded(cameraID, stream, from, to)
	}
	// A clip covers at most MaxClipDuration from where footage begins.
	b := &builder{from: from, to: to}
	if limit := maxTime(from, first[0].Start).Add(MaxClipDuration); limit.Before(to) {
		b.to, b.next = limit, limit
	}
	segs, err := segmentsIn(ctx, index, cameraID, stream, from, b.to)
	if err != nil {
		return nil, err
	}
	clip, err := b.build(ctx, dir, segs)
	if err != nil {
		b.closeFiles()
		return nil, err
	}
	if clip == nil {
		return nil, errNothingRecorded(cameraID, stream, from, to)
	}
	return clip, nil
}

// builder makes a Clip from segments, one after another.
type builder struct {
	from, to time.Time
	next     time.Time

	init         *srcInit
	video, audio *outTrack
	files        []*os.File
	segs         []*matthan.Segment
	pieces       []piece
	mdat         int64 // bytes of sample data so far

	skip       int64 // video ticks from the first keyframe to the first frame shown
	start, end time.Time
}

func (b *builder) closeFiles() {
	for _, f := range b.files {
		f.Close()
	}
}

func (b *builder) build(ctx context.Context, dir string, segs []*matthan.Segment) (*Clip, error) {
	for _, s := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, size, err := openSegment(dir, s)
		if err != nil {
			return nil, err
		}
		in, err := readInit(f, size)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("playback: segment %s: %w", s.Path, err)
		}
		if b.init == nil {
			b.init = in
			b.video = newOutTrack(in.track(handlerVideo), 1)
			if a := in.track(handlerSound); a != nil {
				b.audio = newOutTrack(a, 2)
			}
		} else if !b.init.sameParams(in) {
			f.Close()
			if s.Start.Before(b.to) {
				b.next = s.Start
			}
			break
		}
		b.files = append(b.files, f)
		b.segs = append(b.segs, s)
		before := len(b.pieces)
		done, err := b.addSegment(f, size, in, s)
		if err != nil {
			return nil, fmt.Errorf("playback: segment %s: %w", s.Path, err)
		}
		if len(b.pieces) == before { // nothing of it in the range
			f.Close()
			b.files, b.segs = b.files[:len(b.files)-1], b.segs[:len(b.segs)-1]
		}
		if done {
			break
		}
	}
	if b.video == nil || b.video.empty() {
		return nil, nil
	}
	return b.finish(), nil
}

// openSegment opens a segment file below dir; the path cannot leave dir.
func openSegment(dir string, s *matthan.Segment) (*os.File, int64, error) {
	if !fs.ValidPath(s.Path) {
		return nil, 0, fmt.Errorf("playback: segment %d has an invalid path %q", s.ID, s.Path)
	}
	f, err := os.OpenInRoot(dir, s.Path)
	if err != nil {
		return nil, 0, fmt.Errorf("playback: open segment: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("playback: open segment: %w", err)
	}
	size := st.Size()
	if s.Open && s.Bytes < size {
		size = s.Bytes // a fragment may be half written past the last whole one
	}
	return f, size, nil
}

// addSegment adds the samples of one segment that lie in the range. done
// is true once a video sample at or after the range's end was seen.
func (b *builder) addSegment(f *os.File, size int64, in *srcInit, s *matthan.Segment) (done bool, err error) {
	vt, at := in.track(handlerVideo), in.track(handlerSound)
	fileIdx := len(b.files) - 1
	first := b.video.empty()
	fromLocal := b.from.Sub(s.Start)
	startOff := in.end
	if first && fromLocal > 0 {
		// The last keyframe at or before from; Keyframes are in file order.
		for _, k := range s.Keyframes {
			if k.Time <= fromLocal && k.Offset >= in.end {
				startOff = k.Offset
			}
		}
	}
	cut := b.to.Sub(s.Start)
	base := int64(0) // where this segment starts on the clip's video timeline
	if !first {
		base = b.video.end()
	}
	var origin int64 // decode time of the segment's first video sample used
	originSet := false
	for off := startOff; !done; {
		fr, err := readFragment(f, off, size, in)
		if err == io.EOF {
			break
		} else if err != nil {
			return false, err
		}
		off = fr.end
		for _, run := range fr.runs {
			var t *outTrack
			var ts int64
			switch {
			case run.trackID == vt.id:
				t, ts = b.video, int64(vt.timeScale)
			case at != nil && run.trackID == at.id && b.audio != nil:
				t, ts = b.audio, int64(at.timeScale)
			default:
				continue
			}
			video := t == b.video
			dts := int64(run.base)
			dataOff := run.dataOff
			var count uint32
			var bytes int64
			chunkStart := int64(-1)
			for _, smp := range run.samples {
				local := fromTicks(dts, ts)
				if local >= cut {
					if video {
						done = true
					}
					break
				}
				keep := true
				if video {
					if !originSet {
						origin, originSet = dts, true
						if first {
							b.start = s.Start.Add(local)
						}
					}
					out := base + dts - origin
					if first && fromLocal > 0 && local <= fromLocal {
						b.skip = out
						b.start = s.Start.Add(local)
					}
					t.add(out, smp)
					b.end = s.Start.Add(fromTicks(dts+int64(smp.dur), ts))
				} else {
					// Audio is placed by the segment's video: same offset from
					// the first video sample used as in the file. Audio before
					// that sample is not played and left out.
					out := int64(-1)
					if originSet {
						vts := int64(vt.timeScale)
						out = toTicks(fromTicks(base, vts)+local-fromTicks(origin, vts), ts)
					}
					if keep = out >= 0; keep {
						t.add(out, smp)
					}
				}
				if keep {
					if chunkStart < 0 {
						chunkStart = dataOff
					}
					count++
					bytes += int64(smp.size)
				}
				dataOff += int64(smp.size)
				dts += int64(smp.dur)
			}
			if count > 0 {
				t.addChunk(count, b.mdat)
				b.addPiece(fileIdx, chunkStart, bytes)
			}
		}
	}
	return done, nil
}

func (b *builder) addPiece(file int, src, n int64) {
	if k := len(b.pieces) - 1; k >= 0 {
		if p := &b.pieces[k]; p.file == file && p.src+p.n == src {
			p.n += n
			b.mdat += n
			return
		}
	}
	b.pieces = append(b.pieces, piece{file: file, src: src, n: n, out: b.mdat})
	b.mdat += n
}

func (b *builder) finish() *Clip {
	tracks := []*outTrack{b.video}
	b.video.finish()
	if b.audio != nil {
		b.audio.finish()
		if !b.audio.empty() {
			tracks = append(tracks, b.audio)
		}
	}
	vts := int64(b.video.src.timeScale)
	shown := max(b.video.end()-b.skip, 1)
	movieDur := toTicksRound(fromTicks(shown, vts), movieTimeScale)
	b.video.edits = []edit{{movieDur, b.skip}}
	if len(tracks) == 2 {
		a := b.audio
		ats := int64(a.src.timeScale)
		from := toTicks(fromTicks(b.skip, vts), ats) // where showing starts, in audio ticks
		if a.first <= from {
			a.edits = []edit{{movieDur, from - a.first}}
		} else {
			// Audio begins after the first frame shown: silence until it does.
			empty := min(toTicksRound(fromTicks(a.first-from, ats), movieTimeScale), movieDur)
			a.edits = []edit{{empty, -1}}
			if movieDur > empty {
				a.edits = append(a.edits, edit{movieDur - empty, 0})
			}
		}
	}

	// The header's size does not depend on the chunk offsets: build it once
	// to measure, then with the real offsets.
	ft := ftyp()
	co64 := false
	mdatHdr := int64(8)
	if b.mdat+8 > math.MaxUint32 {
		mdatHdr = 16
	}
	mv := moov(tracks, b.start, movieDur, 0, false)
	dataStart := int64(len(ft)+len(mv)) + mdatHdr
	if dataStart+b.mdat > math.MaxUint32 {
		co64 = true
		mv = moov(tracks, b.start, movieDur, 0, true)
		dataStart = int64(len(ft)+len(mv)) + mdatHdr
	}
	mv = moov(tracks, b.start, movieDur, dataStart, co64)
	header := make([]byte, 0, dataStart)
	header = append(header, ft...)
	header = append(header, mv...)
	if mdatHdr == 16 {
		header = binary.BigEndian.AppendUint32(header, 1)
		header = append(header, "mdat"...)
		header = binary.BigEndian.AppendUint64(header, uint64(16+b.mdat))
	} else {
		header = binary.BigEndian.AppendUint32(header, uint32(8+b.mdat))
		header = append(header, "mdat"...)
	}
	return &Clip{
		header:   header,
		pieces:   b.pieces,
		files:    b.files,
		segs:     b.segs,
		size:     int64(len(header)) + b.mdat,
		start:    b.start,
		end:      b.end,
		next:     b.next,
		duration: fromTicks(shown, vts),
		audio:    len(tracks) == 2,
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// toTicks converts a duration to a time scale, rounding down, without
// overflow for any realistic duration.
func toTicks(d time.Duration, timeScale int64) int64 {
	s, r := int64(d/time.Second), int64(d%time.Second)
	return s*timeScale + r*timeScale/int64(time.Second)
}

// toTicksRound converts a duration to a time scale, rounding to nearest.
func toTicksRound(d time.Duration, timeScale int64) int64 {
	s, r := int64(d/time.Second), int64(d%time.Second)
	return s*timeScale + (r*timeScale+int64(time.Second)/2)/int64(time.Second)
}

func fromTicks(t, timeScale int64) time.Duration {
	if timeScale <= 0 {
		return 0
	}
	s, r := t/timeScale, t%timeScale
	return time.Duration(s)*time.Second + time.Duration(r*int64(time.Second)/timeScale)
}
