package playback

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"matthan/internal/fmp4"
)

// Limits on what is read into memory from a segment file, far above what
// the recorder writes; a damaged or hostile file cannot make us allocate more.
const (
	maxInitBytes   = 1 << 20
	maxMoofBytes   = 16 << 20
	maxRunSamples  = 1 << 20
	maxBoxesInInit = 64
	handlerVideo   = "vide"
	handlerSound   = "soun"
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
		typ, boxSize, hlen, err := fmp4.ReadBoxHeader(r, off, size, hdr[:])
		if err != nil {
			return nil, err
		}
		if n == 0 && typ != "ftyp" {
			return nil, fmt.Errorf("file starts with %q, not ftyp", fmp4.Printable(typ))
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
	err := fmp4.EachBox(b, func(typ string, body, _ []byte) error {
		if typ != "trak" {
			return nil
		}
		var t srcTrack
		err := fmp4.EachBox(body, func(typ string, body, _ []byte) error {
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
				return fmp4.EachBox(body, func(typ string, body, _ []byte) error {
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
						return fmp4.EachBox(body, func(typ string, body, _ []byte) error {
							if typ != "stbl" {
								return nil
							}
							return fmp4.EachBox(body, func(typ string, _, box []byte) error {
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
	typ, moofSize, hlen, err := fmp4.ReadBoxHeader(r, off, size, hdr[:])
	if err != nil {
		return nil, err
	}
	if typ != "moof" {
		return nil, fmt.Errorf("box %q at %d, not moof", fmp4.Printable(typ), off)
	}
	if moofSize > maxMoofBytes {
		return nil, fmt.Errorf("moof of %d bytes at %d", moofSize, off)
	}
	mdatOff := off + moofSize
	mtyp, mdatSize, mhlen, err := fmp4.ReadBoxHeader(r, mdatOff, size, hdr[:])
	if err != nil {
		return nil, err
	}
	if mtyp != "mdat" {
		return nil, fmt.Errorf("moof at %d is followed by %q, not mdat", off, fmp4.Printable(mtyp))
	}
	moof := make([]byte, moofSize)
	if _, err := r.ReadAt(moof, off); err != nil {
		return nil, fmt.Errorf("read moof at %d: %w", off, err)
	}
	b := moof[hlen:]
	fr := &srcFragment{off: off, end: mdatOff + mdatSize, moof: moof, moofHdr: hlen}
	dataFrom, dataTo := mdatOff+mhlen, mdatOff+mdatSize
	next := dataFrom // where a run without a data offset starts
	err = fmp4.EachBox(b, func(typ string, body, _ []byte) error {
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

// parseTraf reads one traf with fmp4.ParseTraf. moofOff is the moof's
// offset and next where the previous run's data ended, the two bases
// ISO/IEC 14496-12 defines.
func parseTraf(b []byte, in *srcInit, moofOff, next, dataTo int64) (srcRun, error) {
	t, err := fmp4.ParseTraf(b)
	if err != nil {
		return srcRun{}, err
	}
	run := srcRun{trackID: t.TrackID, base: t.BaseTime}
	base := next
	if t.HasBaseDataOffset {
		if t.BaseDataOffset > 1<<62 {
			return run, errors.New("base data offset out of range")
		}
		base = int64(t.BaseDataOffset)
	} else if t.BaseIsMoof {
		base = moofOff
	}
	run.dataOff = base
	if t.HasDataOffset {
		run.dataOff = base + int64(t.DataOffset)
	}
	if t.Count > maxRunSamples {
		return run, fmt.Errorf("trun of %d samples does not fit", t.Count)
	}
	// Samples that all take the default size must fit in the mdat too,
	// before we allocate room for them.
	if !t.HasSizes && (t.DefaultSize == 0 || int64(t.Count)*int64(t.DefaultSize) > dataTo-run.dataOff) {
		return run, fmt.Errorf("trun of %d samples of %d bytes does not fit", t.Count, t.DefaultSize)
	}
	run.samples = make([]srcSample, t.Count)
	for i := range run.samples {
		s := t.Sample(i)
		run.samples[i] = srcSample{dur: s.Duration, size: s.Size, cts: s.CTS, sync: s.Sync()}
	}
	if in.trackByID(t.TrackID) == nil {
		// A track we do not play: its bytes still count for where the
		// next run starts, but no clip uses them.
		run.trackID = 0
	}
	return run, nil
}

func (in *srcInit) trackByID(id uint32) *srcTrack {
	for i := range in.tracks {
		if in.tracks[i].id == id {
			return &in.tracks[i]
		}
	}
	return nil
}
