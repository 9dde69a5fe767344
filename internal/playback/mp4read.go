package playback

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits on what is read into memory from a segment file, far above what
// the recorder writes; a damaged or hostile file cannot make us allocate more.
const (
	maxInitBytes    = 1 << 20
	maxMoofBytes    = 16 << 20
	maxRunSamples   = 1 << 20
	maxBoxesInInit  = 64
	handlerVideo    = "vide"
	handlerSound    = "soun"
	sampleIsNonSync = 0x00010000 // sample_is_non_sync_sample in sample flags
)

// srcTrack is a track of a segment file, as its init segment declares it.
type srcTrack struct {
	id        uint32
	handler   string // "vide" or "soun"
	timeScale uint32
	width     uint32 // tkhd, 16.16 fixed point
	height    uint32
	stsd      []byte // the whole stsd box: copied as is into clips
}

// srcInit is the init segment of a segment file.
type srcInit struct {
	tracks []srcTrack
	end    int64 // where the boxes before the first fragment end
}

func (in *srcInit) track(handler string) *srcTrack {
	for i := range in.tracks {
		if in.tracks[i].handler == handler {
			return &in.tracks[i]
		}
	}
	return nil
}

// sameParams reports whether two files carry the same tracks with the same
// codec parameters, so their samples can share one sample description.
func (in *srcInit) sameParams(o *srcInit) bool {
	if len(in.tracks) != len(o.tracks) {
		return false
	}
	for i := range in.tracks {
		a, b := &in.tracks[i], &o.tracks[i]
		if a.id != b.id || a.handler != b.handler || a.timeScale != b.timeScale ||
			a.width != b.width || a.height != b.height || !bytes.Equal(a.stsd, b.stsd) {
			return false
		}
	}
	return true
}

// readInit reads the boxes before the first moof of a file of size bytes:
// ftyp, moov and whatever small boxes follow them.
func readInit(r io.ReaderAt, size int64) (*srcInit, error) {
	in := &srcInit{}
	var hdr [16]byte
	off := int64(0)
	for n := 0; off < size; n++ {
		if n == maxBoxesInInit {
			return nil, errors.New("too many boxes before the first fragment")
		}
		typ, boxSize, hlen, err := readBoxHeader(r, off, size, hdr[:])
		if err != nil {
			return nil, err
		}
		if n == 0 && typ != "ftyp" {
			return nil, fmt.Errorf("file starts with %q, not ftyp", printable(typ))
		}
		if typ == "moof" {
			break
		}
		if typ == "moov" {
			if boxSize > maxInitBytes {
				return nil, fmt.Errorf("moov of %d bytes", boxSize)
			}
			b := make([]byte, boxSize-hlen)
			if _, err := r.ReadAt(b, off+hlen); err != nil {
				return nil, fmt.Errorf("read moov: %w", err)
			}
			if in.tracks, err = parseMoov(b); err != nil {
				return nil, fmt.Errorf("moov: %w", err)
			}
		}
		off += boxSize
	}
	if in.tracks == nil {
		return nil, errors.New("no moov before the first fragment")
	}
	if in.track(handlerVideo) == nil {
		return nil, errors.New("no video track")
	}
	in.end = off
	return in, nil
}

func parseMoov(b []byte) ([]srcTrack, error) {
	var tracks []srcTrack
	err := eachBox(b, func(typ string, body, _ []byte) error {
		if typ != "trak" {
			return nil
		}
		var t srcTrack
		err := eachBox(body, func(typ string, body, _ []byte) error {
			switch typ {
			case "tkhd":
				// version 1 has 64-bit times: the track ID and the rest move by 8.
				i := 12
				if len(body) > 0 && body[0] == 1 {
					i = 20
				}
				if len(body) < i+4+64 {
					return errors.New("short tkhd")
				}
				t.id = binary.BigEndian.Uint32(body[i:])
				t.width = binary.BigEndian.Uint32(body[len(body)-8:])
				t.height = binary.BigEndian.Uint32(body[len(body)-4:])
			case "mdia":
				return eachBox(body, func(typ string, body, _ []byte) error {
					switch typ {
					case "mdhd":
						i := 12
						if len(body) > 0 && body[0] == 1 {
							i = 20
						}
						if len(body) < i+4 {
							return errors.New("short mdhd")
						}
						t.timeScale = binary.BigEndian.Uint32(body[i:])
					case "hdlr":
						if len(body) < 12 {
							return errors.New("short hdlr")
						}
						t.handler = string(body[8:12])
					case "minf":
						return eachBox(body, func(typ string, body, _ []byte) error {
							if typ != "stbl" {
								return nil
							}
							return eachBox(body, func(typ string, _, box []byte) error {
								if typ == "stsd" {
									t.stsd = bytes.Clone(box)
								}
								return nil
							})
						})
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if t.handler != handlerVideo && t.handler != handlerSound {
			return nil // a track we do not play (e.g. metadata)
		}
		if t.id == 0 || t.timeScale == 0 || len(t.stsd) == 0 {
			return fmt.Errorf("track %d: time scale %d, %d bytes of sample description", t.id, t.timeScale, len(t.stsd))
		}
		for _, o := range tracks {
			if o.handler == t.handler {
				return nil // one track of each kind: the recorder writes no more
			}
		}
		tracks = append(tracks, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tracks, nil
}

// srcSample is one sample of a run.
type srcSample struct {
	dur  uint32
	size uint32
	cts  int32 // composition time offset
	sync bool
}

// srcRun is the samples of one track in one fragment, whose bytes lie
// contiguously in the file from dataOff.
type srcRun struct {
	trackID uint32
	base    uint64 // decode time of the first sample, in the track's time scale
	dataOff int64  // absolute file offset of the first sample's bytes
	samples []srcSample
}

// srcFragment is one moof with its mdat.
type srcFragment struct {
	off, end int64
	moof     []byte // the whole moof box
	moofHdr  int64  // size of its box header
	runs     []srcRun
}

// readFragment reads the moof at off and the samples it describes, checking
// they lie inside the mdat that follows it. io.EOF means off is the end of
// the file.
func readFragment(r io.ReaderAt, off, size int64, in *srcInit) (*srcFragment, error) {
	if off >= size {
		return nil, io.EOF
	}
	var hdr [16]byte
	typ, moofSize, hlen, err := readBoxHeader(r, off, size, hdr[:])
	if err != nil {
		return nil, err
	}
	if typ != "moof" {
		return nil, fmt.Errorf("box %q at %d, not moof", printable(typ), off)
	}
	if moofSize > maxMoofBytes {
		return nil, fmt.Errorf("moof of %d bytes at %d", moofSize, off)
	}
	mdatOff := off + moofSize
	mtyp, mdatSize, mhlen, err := readBoxHeader(r, mdatOff, size, hdr[:])
	if err != nil {
		return nil, err
	}
	if mtyp != "mdat" {
		return nil, fmt.Errorf("moof at %d is followed by %q, not mdat", off, printable(mtyp))
	}
	moof := make([]byte, moofSize)
	if _, err := r.ReadAt(moof, off); err != nil {
		return nil, fmt.Errorf("read moof at %d: %w", off, err)
	}
	b := moof[hlen:]
	fr := &srcFragment{off: off, end: mdatOff + mdatSize, moof: moof, moofHdr: hlen}
	dataFrom, dataTo := mdatOff+mhlen, mdatOff+mdatSize
	next := dataFrom // where a run without a data offset starts
	err = eachBox(b, func(typ string, body, _ []byte) error {
		if typ != "traf" {
			return nil
		}
		run, err := parseTraf(body, in, off, next, dataTo)
		if err != nil {
			return err
		}
		var n int64
		for _, s := range run.samples {
			n += int64(s.size)
		}
		if run.dataOff < dataFrom || run.dataOff+n > dataTo {
			return fmt.Errorf("samples [%d, %d) outside the mdat [%d, %d)", run.dataOff, run.dataOff+n, dataFrom, dataTo)
		}
		next = run.dataOff + n
		fr.runs = append(fr.runs, run)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("moof at %d: %w", off, err)
	}
	return fr, nil
}

// parseTraf reads one traf. moofOff is the moof's offset and next where the
// previous run's data ended, the two bases ISO/IEC 14496-12 defines.
func parseTraf(b []byte, in *srcInit, moofOff, next, dataTo int64) (srcRun, error) {
	var run srcRun
	var track *srcTrack
	var defDur, defSize, defFlags uint32
	base := next
	sawTfhd, sawTrun := false, false
	err := eachBox(b, func(typ string, body, _ []byte) error {
		switch typ {
		case "tfhd":
			if len(body) < 8 {
				return errors.New("short tfhd")
			}
			flags := binary.BigEndian.Uint32(body) & 0xffffff
			run.trackID = binary.BigEndian.Uint32(body[4:])
			for i := range in.tracks {
				if in.tracks[i].id == run.trackID {
					track = &in.tracks[i]
				}
			}
			p := body[8:]
			if flags&0x000001 != 0 {
				if len(p) < 8 {
					return errors.New("short tfhd")
				}
				v := binary.BigEndian.Uint64(p)
				if v > 1<<62 {
					return errors.New("base data offset out of range")
				}
				base, p = int64(v), p[8:]
			} else if flags&0x020000 != 0 {
				base = moofOff
			}
			for _, f := range []struct {
				flag uint32
				dst  *uint32
			}{{0x000002, nil}, {0x000008, &defDur}, {0x000010, &defSize}, {0x000020, &defFlags}} {
				if flags&f.flag == 0 {
					continue
				}
				if len(p) < 4 {
					return errors.New("short tfhd")
				}
				if f.dst != nil {
					*f.dst = binary.BigEndian.Uint32(p)
				}
				p = p[4:]
			}
			sawTfhd = true
		case "tfdt":
			if len(body) < 8 {
				return errors.New("short tfdt")
			}
			if body[0] == 1 {
				if len(body) < 12 {
					return errors.New("short tfdt")
				}
				run.base = binary.BigEndian.Uint64(body[4:])
			} else {
				run.base = uint64(binary.BigEndian.Uint32(body[4:]))
			}
		case "trun":
			if !sawTfhd || sawTrun {
				return errors.New("trun without tfhd, or a second trun")
			}
			sawTrun = true
			return parseTrun(body, &run, base, dataTo, defDur, defSize, defFlags)
		}
		return nil
	})
	if err != nil {
		return run, err
	}
	if !sawTrun {
		return run, errors.New("traf without trun")
	}
	if track == nil {
		// A track we do not play: its bytes still count for where the
		// next run starts, but no clip uses them.
		run.trackID = 0
	}
	return run, nil
}

func parseTrun(body []byte, run *srcRun, base, dataTo int64, defDur, defSize, defFlags uint32) error {
	if len(body) < 8 {
		return errors.New("short trun")
	}
	version := body[0]
	flags := binary.BigEndian.Uint32(body) & 0xffffff
	count := int64(binary.BigEndian.Uint32(body[4:]))
	p := body[8:]
	run.dataOff = base
	if flags&0x000001 != 0 {
		if len(p) < 4 {
			return errors.New("short trun")
		}
		run.dataOff = base + int64(int32(binary.BigEndian.Uint32(p)))
		p = p[4:]
	}
	firstFlags, hasFirst := uint32(0), false
	if flags&0x000004 != 0 {
		if len(p) < 4 {
			return errors.New("short trun")
		}
		firstFlags, hasFirst = binary.BigEndian.Uint32(p), true
		p = p[4:]
	}
	per := int64(0)
	for _, f := range []uint32{0x100, 0x200, 0x400, 0x800} {
		if flags&f != 0 {
			per += 4
		}
	}
	if count < 1 || count > maxRunSamples || count*per > int64(len(p)) {
		return fmt.Errorf("trun of %d samples does not fit", count)
	}
	// Samples that all take the default size must fit in the mdat too,
	// before we allocate room for them.
	if flags&0x200 == 0 && (defSize == 0 || count*int64(defSize) > dataTo-run.dataOff) {
		return fmt.Errorf("trun of %d samples of %d bytes does not fit", count, defSize)
	}
	run.samples = make([]srcSample, count)
	for i := range run.samples {
		d, sz, fl, cts := defDur, defSize, defFlags, int32(0)
		if flags&0x100 != 0 {
			d, p = binary.BigEndian.Uint32(p), p[4:]
		}
		if flags&0x200 != 0 {
			sz, p = binary.BigEndian.Uint32(p), p[4:]
		}
		if flags&0x400 != 0 {
			fl, p = binary.BigEndian.Uint32(p), p[4:]
		}
		if flags&0x800 != 0 {
			v := binary.BigEndian.Uint32(p)
			if version == 0 && v > 1<<31-1 {
				v = 1<<31 - 1 // unsigned in version 0; no real file gets here
			}
			cts, p = int32(v), p[4:]
		}
		if i == 0 && hasFirst {
			fl = firstFlags
		}
		run.samples[i] = srcSample{dur: d, size: sz, cts: cts, sync: fl&sampleIsNonSync == 0}
	}
	return nil
}

// readBoxHeader reads the box header at off and checks the box fits in size.
func readBoxHeader(r io.ReaderAt, off, size int64, hdr []byte) (typ string, boxSize, hlen int64, err error) {
	if size-off < 8 {
		return "", 0, 0, fmt.Errorf("%d stray bytes at %d", size-off, off)
	}
	if _, err := r.ReadAt(hdr[:8], off); err != nil {
		return "", 0, 0, fmt.Errorf("read at %d: %w", off, err)
	}
	boxSize, hlen = int64(binary.BigEndian.Uint32(hdr)), 8
	typ = string(hdr[4:8])
	if boxSize == 1 {
		if size-off < 16 {
			return "", 0, 0, fmt.Errorf("cut box header at %d", off)
		}
		if _, err := r.ReadAt(hdr[8:16], off+8); err != nil {
			return "", 0, 0, fmt.Errorf("read at %d: %w", off, err)
		}
		u := binary.BigEndian.Uint64(hdr[8:16])
		if u > uint64(size) {
			return "", 0, 0, fmt.Errorf("box %q at %d is cut short", printable(typ), off)
		}
		boxSize, hlen = int64(u), 16
	}
	if boxSize < hlen || boxSize > size-off {
		return "", 0, 0, fmt.Errorf("box %q at %d of size %d does not fit", printable(typ), off, boxSize)
	}
	return typ, boxSize, hlen, nil
}

// eachBox calls fn with the type, body and whole bytes of every box of b,
// which must be exactly a list of boxes.
func eachBox(b []byte, fn func(typ string, body, box []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return errors.New("stray bytes after the last box")
		}
		size, hlen := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		if size == 1 {
			if len(b) < 16 {
				return errors.New("cut box header")
			}
			size, hlen = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hlen || size > uint64(len(b)) {
			return fmt.Errorf("box %q of size %d in %d bytes", printable(string(b[4:8])), size, len(b))
		}
		if err := fn(string(b[4:8]), b[hlen:size], b[:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// printable keeps a box type readable in messages when the bytes are junk.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
