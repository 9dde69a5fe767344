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

// Limits on what Scan reads into memory, far above what Writer makes.
const (
	maxInitSize = 1 << 20  // moov
	maxMoofSize = 16 << 20 // one moof (12 bytes per sample)
)

// ErrNoInit means a file has no readable init segment: it cannot be played
// or indexed, only quarantined.
var ErrNoInit = errors.New("fmp4: no valid init segment")

// ScanTrack is a track declared in the init segment.
type ScanTrack struct {
	ID        uint32
	TimeScale uint32
	Handler   string // "vide" or "soun"
	Codec     string // sample entry: avc1, hvc1, mp4a, ulaw, alaw, …
	Width     int    // video: from tkhd
	Height    int
}

// MediaCodec returns the codec of a sample entry in media's words
// (H264, H265, AAC, G711), or "" for any other.
func (t *ScanTrack) MediaCodec() string {
	switch t.Codec {
	case "avc1", "avc3":
		return string(media.H264)
	case "hvc1", "hev1":
		return string(media.H265)
	case "mp4a":
		return string(media.AAC)
	case "ulaw", "alaw":
		return string(media.G711)
	}
	return ""
}

// Run is one track's samples in a fragment.
type Run struct {
	TrackID  uint32
	BaseTime uint64 // decode time of the first sample, in the track's time scale
	Duration uint64 // sum of the sample durations
	Samples  int
	Bytes    int64
	FirstKey bool // the first sample is a sync sample
}

// Fragment is one moof and its mdat.
type Fragment struct {
	Offset   int64 // of the moof
	Size     int64 // moof and mdat
	Sequence uint32
	Runs     []Run
}

// Run returns the run of a track, or nil.
func (f *Fragment) Run(trackID uint32) *Run {
	for i := range f.Runs {
		if f.Runs[i].TrackID == trackID {
			return &f.Runs[i]
		}
	}
	return nil
}

// File is what Scan found in a file.
type File struct {
	Tracks    []ScanTrack
	Meta      *Meta // nil if the file has no metadata box
	InitEnd   int64 // where the boxes before the first fragment end
	Fragments []Fragment
	// End is where the last complete fragment ends (InitEnd if none): a file
	// cut there is whole.
	End int64
	// Size is the size Scan was given; bytes past End are a fragment a
	// crash cut short, or damage.
	Size int64
	// Stop says why scanning stopped before Size (nil when End == Size).
	Stop error
}

// Track returns the track with a handler ("vide", "soun"), or nil.
func (f *File) Track(handler string) *ScanTrack {
	for i := range f.Tracks {
		if f.Tracks[i].Handler == handler {
			return &f.Tracks[i]
		}
	}
	return nil
}

// VideoSpan returns the media time the video fragments cover, from the start
// of the first to the end of the last, and the number of video samples.
func (f *File) VideoSpan() (start, end time.Duration, frames int64) {
	t := f.Track("vide")
	if t == nil {
		return 0, 0, 0
	}
	first := true
	for i := range f.Fragments {
		r := f.Fragments[i].Run(t.ID)
		if r == nil {
			continue
		}
		if first {
			start, first = fromTicks(int64(r.BaseTime), int64(t.TimeScale)), false
		}
		end = fromTicks(int64(r.BaseTime+r.Duration), int64(t.TimeScale))
		frames += int64(r.Samples)
	}
	return start, end, frames
}

// Scan reads the boxes of a fragmented MP4 file of size bytes. It returns
// ErrNoInit (wrapped) when the file does not start with a readable ftyp and
// moov; otherwise it returns every complete fragment and where they end,
// however the rest of the file is cut or damaged. It never panics.
func Scan(r io.ReaderAt, size int64) (*File, error) {
	f := &File{Size: size}
	var hdr [16]byte
	off := int64(0)
	sawFtyp, sawMoov := false, false
	for off < size {
		typ, boxSize, hlen, err := ReadBoxHeader(r, off, size, hdr[:])
		if err != nil {
			f.Stop = err
			break
		}
		if !sawMoov {
			switch {
			case !sawFtyp && typ != "ftyp":
				return nil, fmt.Errorf("%w: starts with %q", ErrNoInit, Printable(typ))
			case typ == "ftyp":
				sawFtyp = true
			case typ == "moov":
				if boxSize > maxInitSize {
					return nil, fmt.Errorf("%w: moov of %d bytes", ErrNoInit, boxSize)
				}
				b := make([]byte, boxSize-hlen)
				if _, err := r.ReadAt(b, off+hlen); err != nil {
					return nil, fmt.Errorf("%w: %w", ErrNoInit, err)
				}
				if f.Tracks, err = parseMoov(b); err != nil {
					return nil, fmt.Errorf("%w: %w", ErrNoInit, err)
				}
				sawMoov = true
			}
			off += boxSize
			f.InitEnd, f.End = off, off
			continue
		}
		switch typ {
		case "moof":
			fr, next, err := readFragment(r, off, boxSize, hlen, size, f.Tracks)
			if err != nil {
				f.Stop = err
				return f, nil
			}
			f.Fragments = append(f.Fragments, fr)
			off = next
			f.End = off
			continue
		case "free", "skip":
			if len(f.Fragments) == 0 && boxSize == int64(metaBoxSize) && f.Meta == nil {
				var b [metaBoxSize - 8]byte
				if _, err := r.ReadAt(b[:], off+8); err == nil && string(b[:len(metaMagic)]) == metaMagic {
					p := b[len(metaMagic):]
					f.Meta = &Meta{
						MediaStart: time.Duration(binary.BigEndian.Uint64(p)),
						Start:      time.Unix(0, int64(binary.BigEndian.Uint64(p[8:]))).UTC(),
					}
				}
			}
		case "styp", "sidx", "prft", "udta", "uuid":
		default:
			f.Stop = fmt.Errorf("fmp4: unexpected box %q at %d", Printable(typ), off)
			return f, nil
		}
		off += boxSize
		if len(f.Fragments) == 0 {
			f.InitEnd = off
		}
		f.End = off
	}
	if !sawMoov {
		if f.Stop == nil {
			f.Stop = errors.New("fmp4: no moov")
		}
		return nil, fmt.Errorf("%w: %w", ErrNoInit, f.Stop)
	}
	if f.Stop == nil && f.End < size {
		f.Stop = fmt.Errorf("fmp4: %d bytes after the last fragment", size-f.End)
	}
	return f, nil
}

// ReadBoxHeader reads the box header at off (hdr holds at least 16 bytes)
// and checks the box fits in size.
func ReadBoxHeader(r io.ReaderAt, off, size int64, hdr []byte) (typ string, boxSize, hlen int64, err error) {
	if size-off < 8 {
		return "", 0, 0, fmt.Errorf("fmp4: %d stray bytes at %d", size-off, off)
	}
	if _, err := r.ReadAt(hdr[:8], off); err != nil {
		return "", 0, 0, fmt.Errorf("fmp4: read at %d: %w", off, err)
	}
	boxSize, hlen = int64(binary.BigEndian.Uint32(hdr)), 8
	typ = string(hdr[4:8])
	switch boxSize {
	case 0: // to the end of the file: never written by us, and cannot be checked
		return "", 0, 0, fmt.Errorf("fmp4: open-ended box %q at %d", Printable(typ), off)
	case 1:
		if size-off < 16 {
			return "", 0, 0, fmt.Errorf("fmp4: cut box header at %d", off)
		}
		if _, err := r.ReadAt(hdr[8:16], off+8); err != nil {
			return "", 0, 0, fmt.Errorf("fmp4: read at %d: %w", off, err)
		}
		u := binary.BigEndian.Uint64(hdr[8:16])
		if u > uint64(size) {
			return "", 0, 0, fmt.Errorf("fmp4: box %q at %d is cut short", Printable(typ), off)
		}
		boxSize, hlen = int64(u), 16
	}
	if boxSize < hlen {
		return "", 0, 0, fmt.Errorf("fmp4: box %q at %d has size %d", Printable(typ), off, boxSize)
	}
	if boxSize > size-off {
		return "", 0, 0, fmt.Errorf("fmp4: box %q at %d is cut short", Printable(typ), off)
	}
	return typ, boxSize, hlen, nil
}

// readFragment reads the moof at off and checks the mdat after it holds every
// sample the moof describes.
func readFragment(r io.ReaderAt, off, moofSize, hlen, size int64, tracks []ScanTrack) (Fragment, int64, error) {
	fr := Fragment{Offset: off}
	if moofSize > maxMoofSize {
		return fr, 0, fmt.Errorf("fmp4: moof of %d bytes at %d", moofSize, off)
	}
	b := make([]byte, moofSize-hlen)
	if _, err := r.ReadAt(b, off+hlen); err != nil {
		return fr, 0, fmt.Errorf("fmp4: read moof at %d: %w", off, err)
	}
	var hdr [16]byte
	mdatOff := off + moofSize
	typ, mdatSize, mdatHlen, err := ReadBoxHeader(r, mdatOff, size, hdr[:])
	if err != nil {
		return fr, 0, fmt.Errorf("fmp4: fragment at %d: %w", off, err)
	}
	if typ != "mdat" {
		return fr, 0, fmt.Errorf("fmp4: moof at %d is followed by %q, not mdat", off, Printable(typ))
	}
	// Sample data must lie inside the mdat, measured from the moof.
	dataFrom, dataTo := moofSize+mdatHlen, moofSize+mdatSize
	if err := parseMoof(b, &fr, tracks, dataFrom, dataTo); err != nil {
		return fr, 0, fmt.Errorf("fmp4: moof at %d: %w", off, err)
	}
	fr.Size = moofSize + mdatSize
	return fr, off + fr.Size, nil
}

func parseMoof(b []byte, fr *Fragment, tracks []ScanTrack, dataFrom, dataTo int64) error {
	sawMfhd := false
	err := eachBox(b, func(typ string, body []byte) error {
		switch typ {
		case "mfhd":
			if len(body) < 8 {
				return errors.New("short mfhd")
			}
			fr.Sequence, sawMfhd = binary.BigEndian.Uint32(body[4:]), true
		case "traf":
			run, err := parseTraf(body, tracks, dataFrom, dataTo)
			if err != nil {
				return err
			}
			fr.Runs = append(fr.Runs, run)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !sawMfhd || len(fr.Runs) == 0 {
		return errors.New("no mfhd or no traf")
	}
	return nil
}

// parseTraf reads one traf into a Run. Scan accepts only what Writer makes:
// a known track, and data offsets from the moof.
func parseTraf(b []byte, tracks []ScanTrack, dataFrom, dataTo int64) (Run, error) {
	t, err := ParseTraf(b)
	if err != nil {
		return Run{}, err
	}
	run := Run{TrackID: t.TrackID, BaseTime: t.BaseTime, Samples: t.Count}
	var track *ScanTrack
	for i := range tracks {
		if tracks[i].ID == t.TrackID {
			track = &tracks[i]
		}
	}
	if track == nil {
		return run, fmt.Errorf("traf of unknown track %d", t.TrackID)
	}
	if t.HasBaseDataOffset {
		return run, errors.New("tfhd with an explicit base data offset")
	}
	dataOff := dataFrom
	if t.HasDataOffset {
		if !t.BaseIsMoof {
			return run, errors.New("trun data offset without a moof base")
		}
		dataOff = int64(t.DataOffset)
	}
	for i := range t.Count {
		s := t.Sample(i)
		if i == 0 {
			run.FirstKey = track.Handler != "vide" || s.Sync()
		}
		run.Duration += uint64(s.Duration)
		run.Bytes += int64(s.Size)
	}
	if dataOff < dataFrom || dataOff+run.Bytes > dataTo {
		return run, fmt.Errorf("samples [%d, %d) outside the mdat [%d, %d)", dataOff, dataOff+run.Bytes, dataFrom, dataTo)
	}
	return run, nil
}

// parseMoov returns the tracks of a moov body.
func parseMoov(b []byte) ([]ScanTrack, error) {
	var tracks []ScanTrack
	err := eachBox(b, func(typ string, body []byte) error {
		if typ != "trak" {
			return nil
		}
		var t ScanTrack
		err := eachBox(body, func(typ string, body []byte) error {
			switch typ {
			case "tkhd":
				// version 1: 8+8 bytes of times; version 0: 4+4; then track ID.
				i := 4 + 8
				if len(body) > 0 && body[0] == 1 {
					i = 4 + 16
				}
				if len(body) < i+4 {
					return errors.New("short tkhd")
				}
				t.ID = binary.BigEndian.Uint32(body[i:])
				// Width and height (16.16) end the box: 76 bytes in for version 0.
				if w := 76 + i - 12; len(body) >= w+8 {
					t.Width = int(binary.BigEndian.Uint32(body[w:]) >> 16)
					t.Height = int(binary.BigEndian.Uint32(body[w+4:]) >> 16)
				}
			case "mdia":
				return eachBox(body, func(typ string, body []byte) error {
					switch typ {
					case "mdhd":
						i := 4 + 8
						if len(body) > 0 && body[0] == 1 {
							i = 4 + 16
						}
						if len(body) < i+4 {
							return errors.New("short mdhd")
						}
						t.TimeScale = binary.BigEndian.Uint32(body[i:])
					case "hdlr":
						if len(body) < 12 {
							return errors.New("short hdlr")
						}
						t.Handler = string(body[8:12])
					case "minf":
						return eachBox(body, func(typ string, body []byte) error {
							if typ != "stbl" {
								return nil
							}
							return eachBox(body, func(typ string, body []byte) error {
								if typ == "stsd" && len(body) >= 16 {
									t.Codec = Printable(string(body[12:16]))
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
		if t.ID == 0 || t.TimeScale == 0 || (t.Handler != "vide" && t.Handler != "soun") {
			return fmt.Errorf("track %d: time scale %d, handler %q", t.ID, t.TimeScale, Printable(t.Handler))
		}
		tracks = append(tracks, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(tracks) == 0 {
		return nil, errors.New("no tracks")
	}
	return tracks, nil
}

// eachBox calls fn for every box of b, which must be exactly a list of boxes.
func eachBox(b []byte, fn func(typ string, body []byte) error) error {
	return EachBox(b, func(typ string, body, _ []byte) error { return fn(typ, body) })
}

// EachBox calls fn with the type, body and whole bytes of every box of b,
// which must be exactly a list of boxes.
func EachBox(b []byte, fn func(typ string, body, box []byte) error) error {
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
			return fmt.Errorf("box %q of size %d in %d bytes", Printable(string(b[4:8])), size, len(b))
		}
		if err := fn(string(b[4:8]), b[hlen:size], b[:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// Printable keeps a box type readable in messages when the bytes are junk.
func Printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// Keyframes returns where the fragments that start with a video keyframe
// begin, and their media time from the file's start.
func (f *File) Keyframes() []matthan.Keyframe {
	t := f.Track("vide")
	if t == nil {
		return nil
	}
	var ks []matthan.Keyframe
	for i := range f.Fragments {
		if r := f.Fragments[i].Run(t.ID); r != nil && r.FirstKey {
			ks = append(ks, matthan.Keyframe{Offset: f.Fragments[i].Offset, Time: fromTicks(int64(r.BaseTime), int64(t.TimeScale))})
		}
	}
	return ks
}
