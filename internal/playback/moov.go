package playback

import (
	"encoding/binary"
	"math"
	"time"
)

// movieTimeScale is the time scale of mvhd, tkhd and edit list durations.
const movieTimeScale = 1000

// mp4Epoch is 1904-01-01, where MP4 creation times count from.
var mp4Epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

// entry is a run-length entry of stts or ctts: count samples with value.
type entry struct{ count, value uint32 }

func appendRLE(es []entry, v uint32) []entry {
	if n := len(es); n > 0 && es[n-1].value == v && es[n-1].count < math.MaxUint32 {
		es[n-1].count++
		return es
	}
	return append(es, entry{1, v})
}

// edit is one edit list entry: duration in the movie time scale, media time
// in the track's time scale (-1 for an empty edit).
type edit struct {
	duration  int64
	mediaTime int64
}

// outTrack collects one track's sample tables as samples are added in
// decode order. A sample's duration is known once the next one comes, so
// the last added sample waits in pend.
type outTrack struct {
	src     *srcTrack
	trackID uint32

	stts    []entry
	ctts    []entry
	hasCtts bool
	negCtts bool
	stsz    []uint32
	stss    []uint32 // 1-based numbers of sync samples
	allSync bool
	stsc    []entry // count: first chunk (1-based), value: samples per chunk
	chunks  []int64 // chunk offsets from the start of the mdat payload
	n       uint32  // samples emitted

	pend    srcSample
	pendDTS int64
	hasPend bool
	first   int64 // decode time of the first sample
	edits   []edit
}

func newOutTrack(src *srcTrack, id uint32) *outTrack {
	return &outTrack{src: src, trackID: id, allSync: true}
}

func (t *outTrack) empty() bool { return t.n == 0 && !t.hasPend }

// end is where the track's samples end on the clip's timeline.
func (t *outTrack) end() int64 {
	if t.hasPend {
		return t.pendDTS + int64(t.pend.dur)
	}
	return t.first + t.mediaDuration()
}

func (t *outTrack) mediaDuration() int64 {
	var d int64
	for _, e := range t.stts {
		d += int64(e.count) * int64(e.value)
	}
	if t.hasPend {
		d += int64(t.pend.dur)
	}
	return d
}

// add appends a sample at decode time dts. Decode times only go forward:
// a sample at or before the previous one is moved just after it, and the
// previous sample lasts until this one starts (so a hole in the source
// becomes a longer frame, keeping the tracks in step).
func (t *outTrack) add(dts int64, s srcSample) {
	if t.hasPend {
		if dts <= t.pendDTS {
			dts = t.pendDTS + 1
		}
		t.emit(uint32(min(dts-t.pendDTS, math.MaxUint32)))
	} else {
		t.first = dts
	}
	t.pend, t.pendDTS, t.hasPend = s, dts, true
}

func (t *outTrack) emit(dur uint32) {
	s := t.pend
	t.n++
	t.stts = appendRLE(t.stts, dur)
	t.ctts = appendRLE(t.ctts, uint32(s.cts))
	t.hasCtts = t.hasCtts || s.cts != 0
	t.negCtts = t.negCtts || s.cts < 0
	t.stsz = append(t.stsz, s.size)
	if s.sync {
		t.stss = append(t.stss, t.n)
	} else {
		t.allSync = false
	}
}

// finish emits the last sample with its own duration.
func (t *outTrack) finish() {
	if t.hasPend {
		t.emit(max(t.pend.dur, 1))
		t.hasPend = false
	}
}

// addChunk records that the next samples samples lie at off in the mdat.
func (t *outTrack) addChunk(samples uint32, off int64) {
	t.chunks = append(t.chunks, off)
	if n := len(t.stsc); n == 0 || t.stsc[n-1].value != samples {
		t.stsc = append(t.stsc, entry{uint32(len(t.chunks)), samples})
	}
}

// boxes builds MP4 boxes in a byte slice.
type boxes struct{ b []byte }

func (x *boxes) start(typ string) int {
	i := len(x.b)
	x.b = append(x.b, 0, 0, 0, 0)
	x.b = append(x.b, typ...)
	return i
}

func (x *boxes) startFull(typ string, version uint8, flags uint32) int {
	i := x.start(typ)
	x.u32(uint32(version)<<24 | flags&0xffffff)
	return i
}

func (x *boxes) end(i int) { binary.BigEndian.PutUint32(x.b[i:], uint32(len(x.b)-i)) }

func (x *boxes) u16(v uint16) { x.b = binary.BigEndian.AppendUint16(x.b, v) }
func (x *boxes) u32(v uint32) { x.b = binary.BigEndian.AppendUint32(x.b, v) }
func (x *boxes) u64(v uint64) { x.b = binary.BigEndian.AppendUint64(x.b, v) }
func (x *boxes) zeros(n int)  { x.b = append(x.b, make([]byte, n)...) }

func (x *boxes) matrix() {
	for _, v := range []uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000} {
		x.u32(v)
	}
}

func ftyp() []byte {
	var x boxes
	i := x.start("ftyp")
	x.b = append(x.b, "isom"...)
	x.u32(0x200)
	x.b = append(x.b, "isomiso2avc1mp41"...)
	x.end(i)
	return x.b
}

// moov builds the movie box. dataStart is the file offset of the mdat
// payload, which chunk offsets are relative to; co64 selects 64-bit offsets.
func moov(tracks []*outTrack, created time.Time, duration int64, dataStart int64, co64 bool) []byte {
	x := boxes{b: make([]byte, 0, 4096)}
	secs := uint64(max(created.Sub(mp4Epoch)/time.Second, 0))
	m := x.start("moov")
	i := x.startFull("mvhd", 1, 0)
	x.u64(secs)
	x.u64(secs)
	x.u32(movieTimeScale)
	x.u64(uint64(duration))
	x.u32(0x00010000) // rate 1.0
	x.u16(0x0100)     // volume 1.0
	x.zeros(10)
	x.matrix()
	x.zeros(24)
	x.u32(uint32(len(tracks) + 1))
	x.end(i)
	for _, t := range tracks {
		t.trak(&x, secs, duration, dataStart, co64)
	}
	x.end(m)
	return x.b
}

func (t *outTrack) trak(x *boxes, secs uint64, duration, dataStart int64, co64 bool) {
	video := t.src.handler == handlerVideo
	tr := x.start("trak")
	i := x.startFull("tkhd", 1, 3) // enabled, in movie
	x.u64(secs)
	x.u64(secs)
	x.u32(t.trackID)
	x.u32(0)
	x.u64(uint64(duration))
	x.zeros(8)
	x.u16(0) // layer
	x.u16(0) // alternate group
	if video {
		x.u16(0)
	} else {
		x.u16(0x0100)
	}
	x.u16(0)
	x.matrix()
	x.u32(t.src.width)
	x.u32(t.src.height)
	x.end(i)

	ed := x.start("edts")
	i = x.startFull("elst", 1, 0)
	x.u32(uint32(len(t.edits)))
	for _, e := range t.edits {
		x.u64(uint64(e.duration))
		x.u64(uint64(e.mediaTime))
		x.u16(1) // rate 1.0
		x.u16(0)
	}
	x.end(i)
	x.end(ed)

	md := x.start("mdia")
	i = x.startFull("mdhd", 1, 0)
	x.u64(secs)
	x.u64(secs)
	x.u32(t.src.timeScale)
	x.u64(uint64(t.mediaDuration()))
	x.u16(0x55c4) // "und"
	x.u16(0)
	x.end(i)
	i = x.startFull("hdlr", 0, 0)
	x.u32(0)
	x.b = append(x.b, t.src.handler...)
	x.zeros(12)
	if video {
		x.b = append(x.b, "VideoHandler\x00"...)
	} else {
		x.b = append(x.b, "SoundHandler\x00"...)
	}
	x.end(i)

	mi := x.start("minf")
	if video {
		i = x.startFull("vmhd", 0, 1)
		x.zeros(8)
	} else {
		i = x.startFull("smhd", 0, 0)
		x.zeros(4)
	}
	x.end(i)
	di := x.start("dinf")
	dr := x.startFull("dref", 0, 0)
	x.u32(1)
	x.end(x.startFull("url ", 0, 1)) // media in this file
	x.end(dr)
	x.end(di)

	st := x.start("stbl")
	x.b = append(x.b, t.src.stsd...)
	i = x.startFull("stts", 0, 0)
	x.u32(uint32(len(t.stts)))
	for _, e := range t.stts {
		x.u32(e.count)
		x.u32(e.value)
	}
	x.end(i)
	if t.hasCtts {
		v := uint8(0)
		if t.negCtts {
			v = 1
		}
		i = x.startFull("ctts", v, 0)
		x.u32(uint32(len(t.ctts)))
		for _, e := range t.ctts {
			x.u32(e.count)
			x.u32(e.value)
		}
		x.end(i)
	}
	if video && !t.allSync {
		i = x.startFull("stss", 0, 0)
		x.u32(uint32(len(t.stss)))
		for _, n := range t.stss {
			x.u32(n)
		}
		x.end(i)
	}
	i = x.startFull("stsc", 0, 0)
	x.u32(uint32(len(t.stsc)))
	for _, e := range t.stsc {
		x.u32(e.count)
		x.u32(e.value)
		x.u32(1) // sample description index
	}
	x.end(i)
	i = x.startFull("stsz", 0, 0)
	x.u32(0)
	x.u32(uint32(len(t.stsz)))
	for _, s := range t.stsz {
		x.u32(s)
	}
	x.end(i)
	if co64 {
		i = x.startFull("co64", 0, 0)
		x.u32(uint32(len(t.chunks)))
		for _, c := range t.chunks {
			x.u64(uint64(dataStart + c))
		}
	} else {
		i = x.startFull("stco", 0, 0)
		x.u32(uint32(len(t.chunks)))
		for _, c := range t.chunks {
			x.u32(uint32(dataStart + c))
		}
	}
	x.end(i)
	x.end(st)
	x.end(mi)
	x.end(md)
	x.end(tr)
}
