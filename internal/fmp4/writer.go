package fmp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"matthan"
	"matthan/internal/media"
)

// Sample flags (ISO/IEC 14496-12 8.8.3.1): a sync sample depends on no other;
// any other video sample depends on others and is not a sync sample.
const (
	flagsSync    = 0x02000000
	flagsNonSync = 0x01010000
)

// DefaultFragmentDuration is how much media a fragment holds at most.
const DefaultFragmentDuration = time.Second

// aacSamplesPerAU is the number of PCM samples in an AAC-LC access unit.
const aacSamplesPerAU = 1024

// Writer writes one fragmented MP4 file from the units of one media.Desc.
//
// It holds the units of the fragment in progress (at most about a second,
// by reference: units are immutable) and writes each fragment when the
// next video unit shows where it ends, so every sample duration is exact
// except the last one before Flush. It is not safe for concurrent use.
type Writer struct {
	w       io.Writer
	off     int64 // bytes written so far
	err     error // first write error; the writer is dead after it
	desc    *media.Desc
	video   int // index of the video track in desc
	audio   int // index of the recorded audio track, or -1
	fragDur time.Duration
	start   time.Duration // media start: PTS of the first video unit

	v, a trackState

	pendV, pendA []*media.Unit
	seq          uint32
	buf          []byte // moof under construction, reused
	scratch      [8]byte

	frames    int64
	keyframes []matthan.Keyframe
}

// trackState is what a track carries from fragment to fragment.
type trackState struct {
	timeScale int64
	next      int64 // decode time (ticks since the file's start) where the last fragment ended
	delta     int64 // the last sample duration, for a sample whose end is unknown
	samples   int64
}

// NewWriter writes the init segment and the metadata box of a file whose
// first video sample is the keyframe first, and returns a writer for its
// fragments. Writes go to w as they are made; wrap w in a bufio.Writer.
func NewWriter(w io.Writer, first *media.Unit, start time.Time, fragmentDuration time.Duration) (*Writer, error) {
	d := first.Desc
	video, audio, ok := recorded(d)
	if !ok || first.Track != video {
		return nil, errors.New("fmp4: a file must start with a video unit")
	}
	init, err := Init(d)
	if err != nil {
		return nil, err
	}
	if fragmentDuration <= 0 {
		fragmentDuration = DefaultFragmentDuration
	}
	wr := &Writer{
		w: w, desc: d, video: video, audio: audio, fragDur: fragmentDuration, start: first.PTS,
		v:     trackState{timeScale: VideoTimeScale},
		pendV: make([]*media.Unit, 0, 64),
		buf:   make([]byte, 0, 4096),
	}
	if audio >= 0 {
		wr.a.timeScale = int64(audioTimeScale(&d.Tracks[audio]))
		wr.pendA = make([]*media.Unit, 0, 64)
	}
	wr.write(init)
	wr.buf = appendMeta(wr.buf[:0], Meta{MediaStart: first.PTS, Start: start})
	wr.write(wr.buf)
	return wr, wr.err
}

// Desc returns the description the file was made for.
func (w *Writer) Desc() *media.Desc { return w.desc }

// MediaStart returns the session media time of the file's first video sample.
func (w *Writer) MediaStart() time.Duration { return w.start }

// Size returns the bytes written so far (the file size once flushed).
func (w *Writer) Size() int64 { return w.off }

// Frames returns the video samples written in complete fragments.
func (w *Writer) Frames() int64 { return w.frames }

// Duration returns the media time the written video fragments cover.
func (w *Writer) Duration() time.Duration { return fromTicks(w.v.next, VideoTimeScale) }

// Keyframes returns where the written fragments that start with a keyframe
// begin. The slice is the writer's own; copy it to keep it past the next write.
func (w *Writer) Keyframes() []matthan.Keyframe { return w.keyframes }

// Pending reports whether units wait for the next fragment.
func (w *Writer) Pending() bool { return len(w.pendV) > 0 || len(w.pendA) > 0 }

// Err returns the first write error, if any.
func (w *Writer) Err() error { return w.err }

// WriteUnit adds a unit of the writer's Desc. A video unit that is a keyframe,
// or that comes a fragment's duration after the pending fragment began,
// first completes that fragment: then wrote is true. Units of other tracks,
// and audio from before the file's start, are ignored.
func (w *Writer) WriteUnit(u *media.Unit) (wrote bool, err error) {
	if w.err != nil {
		return false, w.err
	}
	switch u.Track {
	case w.video:
		if n := len(w.pendV); n > 0 && (u.Key || u.PTS-w.pendV[0].PTS >= w.fragDur) {
			w.writeFragment(u.PTS, true)
			wrote = true
		}
		w.pendV = append(w.pendV, u)
	case w.audio:
		if u.PTS >= w.start {
			w.pendA = append(w.pendA, u)
		}
	}
	return wrote, w.err
}

// Flush writes the pending units as a fragment; the last video sample lasts
// as long as the one before it. It does nothing when nothing is pending.
func (w *Writer) Flush() error {
	if w.err == nil && w.Pending() {
		w.writeFragment(0, false)
	}
	return w.err
}

// FlushUntil writes the pending units as a fragment whose video ends at
// media time end (the PTS of the unit that follows, e.g. the keyframe that
// starts the next file).
func (w *Writer) FlushUntil(end time.Duration) error {
	if w.err == nil && w.Pending() {
		w.writeFragment(end, true)
	}
	return w.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.off += int64(n)
	if err != nil {
		w.err = fmt.Errorf("fmp4: write: %w", err)
	}
}

// writeFragment writes moof and mdat for the pending units. end is the media
// time where the last pending video sample ends, if known.
func (w *Writer) writeFragment(end time.Duration, endKnown bool) {
	w.seq++
	b := w.buf[:0]
	moof := len(b)
	b = appendBoxStart(b, "moof")
	mfhd := len(b)
	b = appendFullBoxStart(b, "mfhd", 0, 0)
	b = binary.BigEndian.AppendUint32(b, w.seq)
	b = endBox(b, mfhd)

	var vOffPos, aOffPos int
	var vBytes int64
	vBase, aBase := w.v.next, w.a.next
	var vDur, aDur int64
	if len(w.pendV) > 0 {
		b, vOffPos, vBytes, vBase, vDur = w.appendVideoTraf(b, end, endKnown)
	}
	if len(w.pendA) > 0 {
		b, aOffPos, aBase, aDur = w.appendAudioTraf(b)
	}
	b = endBox(b, moof)
	moofSize := int64(len(b) - moof)
	if vOffPos > 0 {
		binary.BigEndian.PutUint32(b[vOffPos:], uint32(moofSize+8))
	}
	if aOffPos > 0 {
		binary.BigEndian.PutUint32(b[aOffPos:], uint32(moofSize+8+vBytes))
	}
	// mdat header; the payload is written unit by unit below.
	var aBytes int64
	for _, u := range w.pendA {
		aBytes += int64(u.Size())
	}
	b = binary.BigEndian.AppendUint32(b, uint32(8+vBytes+aBytes))
	b = append(b, "mdat"...)
	w.buf = b

	fragOff := w.off
	w.write(b)
	for _, u := range w.pendV {
		for _, n := range u.Data {
			binary.BigEndian.PutUint32(w.scratch[:4], uint32(len(n)))
			w.write(w.scratch[:4])
			w.write(n)
		}
	}
	for _, u := range w.pendA {
		for _, p := range u.Data {
			w.write(p)
		}
	}
	if w.err != nil {
		return
	}
	if len(w.pendV) > 0 {
		if w.pendV[0].Key {
			w.keyframes = append(w.keyframes, matthan.Keyframe{Offset: fragOff, Time: fromTicks(vBase, VideoTimeScale)})
		}
		w.frames += int64(len(w.pendV))
		w.v.next = vBase + vDur
	}
	if len(w.pendA) > 0 {
		w.a.next = aBase + aDur
	}
	clear(w.pendV)
	clear(w.pendA)
	w.pendV, w.pendA = w.pendV[:0], w.pendA[:0]
}

// appendVideoTraf appends the video traf and returns where its data offset
// goes, the sample bytes, the base decode time and the total duration.
func (w *Writer) appendVideoTraf(b []byte, end time.Duration, endKnown bool) ([]byte, int, int64, int64, int64) {
	ts := &w.v
	base := max(toTicks(w.pendV[0].PTS-w.start, ts.timeScale), ts.next)
	traf := len(b)
	b = appendBoxStart(b, "traf")
	b = appendTfhdTfdt(b, 1, base)
	trun := len(b)
	b = appendFullBoxStart(b, "trun", 0, 0x000001|0x000100|0x000200|0x000400)
	b = binary.BigEndian.AppendUint32(b, uint32(len(w.pendV)))
	offPos := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	var bytes, total int64
	for i, u := range w.pendV {
		var next time.Duration
		known := true
		if i+1 < len(w.pendV) {
			next = w.pendV[i+1].PTS
		} else {
			next, known = end, endKnown
		}
		d := ts.delta
		if known {
			if dd := toTicks(next-w.start, ts.timeScale) - toTicks(u.PTS-w.start, ts.timeScale); dd > 0 {
				d = dd
			}
		}
		if d <= 0 {
			d = VideoTimeScale / 25 // no delta seen yet: assume 25 fps
		}
		ts.delta = d
		size := 0
		for _, n := range u.Data {
			size += 4 + len(n)
		}
		flags := uint32(flagsNonSync)
		if u.Key {
			flags = flagsSync
		}
		b = binary.BigEndian.AppendUint32(b, uint32(d))
		b = binary.BigEndian.AppendUint32(b, uint32(size))
		b = binary.BigEndian.AppendUint32(b, flags)
		bytes += int64(size)
		total += d
	}
	b = endBox(b, trun)
	b = endBox(b, traf)
	return b, offPos, bytes, base, total
}

// appendAudioTraf appends the audio traf. AAC units hold access units of
// 1024 samples each; a G.711 unit is one MP4 sample of len(payload) samples
// per channel.
func (w *Writer) appendAudioTraf(b []byte) ([]byte, int, int64, int64) {
	ts := &w.a
	t := &w.desc.Tracks[w.audio]
	base := max(toTicks(w.pendA[0].PTS-w.start, ts.timeScale), ts.next)
	n := 0
	for _, u := range w.pendA {
		if t.Codec == media.AAC {
			n += len(u.Data)
		} else {
			n++
		}
	}
	traf := len(b)
	b = appendBoxStart(b, "traf")
	b = appendTfhdTfdt(b, 2, base)
	trun := len(b)
	b = appendFullBoxStart(b, "trun", 0, 0x000001|0x000100|0x000200)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	offPos := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	var total int64
	for _, u := range w.pendA {
		if t.Codec == media.AAC {
			for _, au := range u.Data {
				b = binary.BigEndian.AppendUint32(b, aacSamplesPerAU)
				b = binary.BigEndian.AppendUint32(b, uint32(len(au)))
				total += aacSamplesPerAU
			}
			continue
		}
		size := u.Size()
		d := int64(size / max(t.Channels, 1))
		b = binary.BigEndian.AppendUint32(b, uint32(d))
		b = binary.BigEndian.AppendUint32(b, uint32(size))
		total += d
	}
	b = endBox(b, trun)
	b = endBox(b, traf)
	return b, offPos, base, total
}

// appendTfhdTfdt appends tfhd (data offsets relative to the moof) and a
// 64-bit tfdt.
func appendTfhdTfdt(b []byte, trackID uint32, base int64) []byte {
	i := len(b)
	b = appendFullBoxStart(b, "tfhd", 0, 0x020000) // default-base-is-moof
	b = binary.BigEndian.AppendUint32(b, trackID)
	b = endBox(b, i)
	i = len(b)
	b = appendFullBoxStart(b, "tfdt", 1, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(base))
	return endBox(b, i)
}

func appendBoxStart(b []byte, typ string) []byte {
	b = append(b, 0, 0, 0, 0)
	return append(b, typ...)
}

func appendFullBoxStart(b []byte, typ string, version uint8, flags uint32) []byte {
	b = appendBoxStart(b, typ)
	return binary.BigEndian.AppendUint32(b, uint32(version)<<24|flags&0xffffff)
}

// endBox writes the size of the box that starts at start.
func endBox(b []byte, start int) []byte {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// toTicks converts a duration to a time scale without overflow for any
// realistic duration (centuries at 90 kHz).
func toTicks(d time.Duration, timeScale int64) int64 {
	s, r := int64(d/time.Second), int64(d%time.Second)
	return s*timeScale + r*timeScale/int64(time.Second)
}

func fromTicks(t, timeScale int64) time.Duration {
	if timeScale <= 0 {
		return 0
	}
	s, r := t/timeScale, t%timeScale
	return time.Duration(s)*time.Second + time.Duration(r*int64(time.Second)/timeScale)
}
