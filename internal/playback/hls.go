package playback

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"matthan"
	"matthan/internal/fmp4"
)

// HLS limits.
const (
	// MaxPlaylistDuration is the longest range one playlist covers.
	MaxPlaylistDuration = 24 * time.Hour
	// hlsPartTarget is how long a media part is at least, when the
	// keyframes allow: a part is whole GOPs (fragments that start with a
	// keyframe), so a player can start at any part.
	hlsPartTarget = 4 * time.Second
)

// Playlist is an HLS VOD playlist over a range of a camera stream: parts
// that are byte ranges of the segment files, each whole GOPs. The segment
// files' decode times restart with each file, so a served part has them
// rewritten onto the playlist's one timeline (OutStart); nothing else in
// the bytes changes. Between segments the timeline just continues, as in a
// Clip; EXT-X-PROGRAM-DATE-TIME on every part tells the wall-clock time.
// Where codec parameters change, a discontinuity and a new init follow.
type Playlist struct {
	Parts []Part
}

// Part is one media part of a playlist.
type Part struct {
	Segment  *matthan.Segment
	From, To int64         // byte range [From, To) in the segment file: whole fragments
	Start    time.Time     // wall-clock time of its first frame
	Duration time.Duration // media time
	OutStart int64         // where it starts on the playlist's timeline, in 90 kHz ticks
	// Init is the path of the segment file whose init segment (EXT-X-MAP)
	// describes this part; Discontinuity marks a change of it.
	Init          string
	Discontinuity bool
}

// hlsTimeScale is the time scale of Part.OutStart.
const hlsTimeScale = 90000

// NewPlaylist lists the parts of a camera stream overlapping [from, to):
// from the GOP that holds from to the one that holds the end. ENOTFOUND
// when nothing is recorded; EINVALID for an empty range or one longer than
// MaxPlaylistDuration.
func NewPlaylist(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string, stream matthan.StreamRole, from, to time.Time) (*Playlist, error) {
	if !to.After(from) {
		return nil, errBadRange()
	}
	if to.Sub(from) > MaxPlaylistDuration {
		return nil, matthan.Errorf(matthan.EINVALID,
			fmt.Sprintf("A playlist covers at most %v", MaxPlaylistDuration),
			fmt.Sprintf("Một danh sách phát chỉ được dài tối đa %v giờ", MaxPlaylistDuration.Hours()))
	}
	segs, err := segmentsIn(ctx, index, cameraID, stream, from, to)
	if err != nil {
		return nil, err
	}
	p := &Playlist{}
	var init *srcInit
	initPath := ""
	var out int64
	for _, s := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, size, err := openSegment(dir, s)
		if err != nil {
			return nil, err
		}
		in, err := readInit(f, size)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("playback: segment %s: %w", s.Path, err)
		}
		disc := false
		if init == nil || !init.sameParams(in) {
			disc = init != nil
			init, initPath = in, s.Path
		}
		parts := segmentParts(s, in.end, from, to)
		for i := range parts {
			parts[i].Init = initPath
			parts[i].Discontinuity = disc && i == 0
			parts[i].OutStart = out
			out += toTicksRound(parts[i].Duration, hlsTimeScale)
		}
		p.Parts = append(p.Parts, parts...)
	}
	if len(p.Parts) == 0 {
		return nil, errNothingRecorded(cameraID, stream, from, to)
	}
	return p, nil
}

// segmentParts cuts a segment at its keyframes into parts of at least
// hlsPartTarget and keeps those overlapping [from, to).
func segmentParts(s *matthan.Segment, initEnd int64, from, to time.Time) []Part {
	type point struct {
		off int64
		t   time.Duration
	}
	var pts []point
	for _, k := range s.Keyframes {
		if k.Offset >= initEnd && k.Offset < s.Bytes && (len(pts) == 0 || k.Offset > pts[len(pts)-1].off && k.Time >= pts[len(pts)-1].t) {
			pts = append(pts, point{k.Offset, k.Time})
		}
	}
	if len(pts) == 0 || pts[0].off != initEnd {
		pts = slices.Insert(pts, 0, point{initEnd, 0}) // the first fragment starts with a keyframe
	}
	pts = append(pts, point{s.Bytes, s.Duration})
	var parts []Part
	for i := 0; i+1 < len(pts); {
		// Skip GOPs that end before from; stop at the first starting at to.
		j := i + 1
		for j+1 < len(pts) && pts[j].t-pts[i].t < hlsPartTarget {
			j++
		}
		a, b := pts[i], pts[j]
		start, end := s.Start.Add(a.t), s.Start.Add(b.t)
		if !start.Before(to) {
			break
		}
		if end.After(from) {
			// Begin at the GOP holding from, not at the part's start.
			for k := i + 1; k < j && !s.Start.Add(pts[k].t).After(from); k++ {
				a, start = pts[k], s.Start.Add(pts[k].t)
			}
			if b.t > a.t {
				parts = append(parts, Part{Segment: s, From: a.off, To: b.off, Start: start, Duration: b.t - a.t})
			}
		}
		i = j
	}
	return parts
}

// Encode writes the playlist as an HLS VOD media playlist. initURL and
// partURL give the URL of a segment file's init and of a part.
func (p *Playlist) Encode(w io.Writer, initURL func(path string) string, partURL func(Part) string) error {
	target := 1
	for _, pt := range p.Parts {
		target = max(target, int(math.Ceil(pt.Duration.Seconds())))
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	fmt.Fprintf(&b, "#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n", target)
	init := ""
	for _, pt := range p.Parts {
		if pt.Discontinuity {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		if pt.Init != init {
			init = pt.Init
			fmt.Fprintf(&b, "#EXT-X-MAP:URI=\"%s\"\n", initURL(init))
		}
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", pt.Start.UTC().Format("2006-01-02T15:04:05.000Z"))
		fmt.Fprintf(&b, "#EXTINF:%.3f,\n%s\n", pt.Duration.Seconds(), partURL(pt))
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ReadInit returns the init segment of a segment file (ftyp, moov and the
// boxes before the first fragment), for EXT-X-MAP.
func ReadInit(dir string, s *matthan.Segment) ([]byte, error) {
	f, size, err := openSegment(dir, s)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, err := readInit(f, size)
	if err != nil {
		return nil, fmt.Errorf("playback: segment %s: %w", s.Path, err)
	}
	b := make([]byte, in.end)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("playback: segment %s: %w", s.Path, err)
	}
	return b, nil
}

// ValidPart reports whether [from, to) is a range a playlist can name in a
// segment: it starts at a keyframe fragment (or the first fragment) and
// ends at one or at the end of the file.
func ValidPart(s *matthan.Segment, from, to int64) bool {
	if from >= to || to > s.Bytes {
		return false
	}
	okFrom, okTo := false, to == s.Bytes
	for _, k := range s.Keyframes {
		okFrom = okFrom || k.Offset == from
		okTo = okTo || k.Offset == to
	}
	// The first fragment may be missing from Keyframes only in a file
	// indexed from an older recorder; WritePart checks it is a fragment.
	return (okFrom || len(s.Keyframes) == 0) && okTo
}

// WritePart writes the fragments in [from, to) of a segment file (to-from
// bytes) with their decode times moved so the part's first video sample is
// at outStart (90 kHz ticks) on the playlist's timeline. Only the tfdt
// boxes change; sample bytes are copied from the file as they are written.
// It checks the first fragment before writing anything, so an error with
// nothing written can still be answered properly.
func WritePart(w io.Writer, dir string, s *matthan.Segment, from, to, outStart int64) error {
	if from < 0 || to <= from || outStart < 0 {
		return errBadPart()
	}
	f, size, err := openSegment(dir, s)
	if err != nil {
		return err
	}
	defer f.Close()
	if to > size {
		return matthan.Errorf(matthan.ENOTFOUND, "The part is not in the segment file", "Phần phát không có trong tệp ghi hình")
	}
	in, err := readInit(f, size)
	if err != nil {
		return fmt.Errorf("playback: segment %s: %w", s.Path, err)
	}
	if from < in.end {
		return errBadPart()
	}
	if err := writePart(w, f, in, from, to, outStart); err != nil {
		return fmt.Errorf("playback: segment %s at %d: %w", s.Path, from, err)
	}
	return nil
}

func errBadPart() error {
	return matthan.Errorf(matthan.EINVALID, "Invalid part", "Phần phát không hợp lệ")
}

func writePart(w io.Writer, r io.ReaderAt, in *srcInit, from, to, outStart int64) error {
	vt := in.track(handlerVideo)
	var shift time.Duration
	for off := from; off < to; {
		fr, err := readFragment(r, off, to, in)
		if err != nil {
			return err
		}
		if off == from {
			run := fr.videoRun(vt.id)
			if run == nil || !run.samples[0].sync {
				return errors.New("part does not start with a video keyframe")
			}
			shift = fromTicks(outStart, hlsTimeScale) - fromTicks(int64(run.base), int64(vt.timeScale))
		}
		if err := shiftDecodeTimes(fr.moof[fr.moofHdr:], in, shift); err != nil {
			return err
		}
		if _, err := w.Write(fr.moof); err != nil {
			return err
		}
		mdat := off + int64(len(fr.moof))
		if _, err := io.Copy(w, io.NewSectionReader(r, mdat, fr.end-mdat)); err != nil {
			return err
		}
		off = fr.end
	}
	return nil
}

// shiftDecodeTimes moves the tfdt of every traf of a moof body by shift.
// The body was parsed by readFragment, so its boxes are whole.
func shiftDecodeTimes(moof []byte, in *srcInit, shift time.Duration) error {
	return fmp4.EachBox(moof, func(typ string, traf, _ []byte) error {
		if typ != "traf" {
			return nil
		}
		var ts int64
		return fmp4.EachBox(traf, func(typ string, body, _ []byte) error {
			switch typ {
			case "tfhd":
				id := binary.BigEndian.Uint32(body[4:])
				for _, t := range in.tracks {
					if t.id == id {
						ts = int64(t.timeScale)
					}
				}
			case "tfdt":
				if ts == 0 {
					return nil
				}
				var old int64
				if body[0] == 1 {
					old = int64(min(binary.BigEndian.Uint64(body[4:]), math.MaxInt64/2))
				} else {
					old = int64(binary.BigEndian.Uint32(body[4:]))
				}
				v := max(toTicksRound(fromTicks(old, ts)+shift, ts), 0)
				if body[0] == 1 {
					binary.BigEndian.PutUint64(body[4:], uint64(v))
				} else {
					binary.BigEndian.PutUint32(body[4:], uint32(min(v, math.MaxUint32)))
				}
			}
			return nil
		})
	})
}

func (f *srcFragment) videoRun(id uint32) *srcRun {
	for i := range f.runs {
		if f.runs[i].trackID == id && len(f.runs[i].samples) > 0 {
			return &f.runs[i]
		}
	}
	return nil
}
