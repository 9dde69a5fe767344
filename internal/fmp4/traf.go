package fmp4

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SampleIsNonSync is sample_is_non_sync_sample in sample flags.
const SampleIsNonSync = 0x00010000

// Sample is one sample of a track run, with the tfhd defaults applied.
type Sample struct {
	Duration uint32
	Size     uint32
	Flags    uint32
	CTS      int32 // composition time offset
}

// Sync reports whether the sample is a sync sample (a keyframe for video).
func (s Sample) Sync() bool { return s.Flags&SampleIsNonSync == 0 }

// Traf is what the tfhd, tfdt and trun of one traf box say. ParseTraf only
// checks the boxes are whole; each reader decides which data offsets and
// tracks it accepts and checks the samples lie inside the mdat.
type Traf struct {
	TrackID  uint32
	BaseTime uint64 // tfdt: decode time of the first sample, in the track's time scale

	HasBaseDataOffset bool   // tfhd gives an explicit base data offset
	BaseDataOffset    uint64 // … this one
	BaseIsMoof        bool   // tfhd default-base-is-moof
	HasDataOffset     bool   // trun gives a data offset
	DataOffset        int32  // … this one, from the base

	DefaultSize uint32 // tfhd default sample size
	HasSizes    bool   // trun lists every sample's size; else all take DefaultSize
	Count       int    // samples in the trun

	// The trun's sample table and what Sample needs to read it.
	trunFlags                uint32
	version                  byte
	defDur, defSize, defFlag uint32
	firstFlags               uint32
	hasFirstFlags            bool
	per                      int // bytes per sample in table
	table                    []byte
}

// ParseTraf reads the body of a traf box: one tfhd, then exactly one trun
// (a tfdt anywhere). It never panics and allocates nothing per sample.
func ParseTraf(b []byte) (Traf, error) {
	var t Traf
	var defDur, defSize, defFlags uint32
	sawTfhd, sawTrun := false, false
	err := eachBox(b, func(typ string, body []byte) error {
		switch typ {
		case "tfhd":
			if sawTfhd {
				return errors.New("a second tfhd")
			}
			if len(body) < 8 {
				return errors.New("short tfhd")
			}
			flags := binary.BigEndian.Uint32(body) & 0xffffff
			t.TrackID = binary.BigEndian.Uint32(body[4:])
			p := body[8:]
			if flags&0x000001 != 0 {
				if len(p) < 8 {
					return errors.New("short tfhd")
				}
				t.HasBaseDataOffset, t.BaseDataOffset, p = true, binary.BigEndian.Uint64(p), p[8:]
			}
			t.BaseIsMoof = flags&0x020000 != 0
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
			t.DefaultSize = defSize
			sawTfhd = true
		case "tfdt":
			if len(body) < 8 {
				return errors.New("short tfdt")
			}
			if body[0] == 1 {
				if len(body) < 12 {
					return errors.New("short tfdt")
				}
				t.BaseTime = binary.BigEndian.Uint64(body[4:])
			} else {
				t.BaseTime = uint64(binary.BigEndian.Uint32(body[4:]))
			}
		case "trun":
			if !sawTfhd || sawTrun {
				return errors.New("trun without tfhd, or a second trun")
			}
			sawTrun = true
			t.defDur, t.defSize, t.defFlag = defDur, defSize, defFlags
			return t.parseTrun(body)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	if !sawTrun {
		return t, errors.New("traf without trun")
	}
	return t, nil
}

func (t *Traf) parseTrun(body []byte) error {
	if len(body) < 8 {
		return errors.New("short trun")
	}
	t.version = body[0]
	flags := binary.BigEndian.Uint32(body) & 0xffffff
	count := int64(binary.BigEndian.Uint32(body[4:]))
	p := body[8:]
	if flags&0x000001 != 0 {
		if len(p) < 4 {
			return errors.New("short trun")
		}
		t.HasDataOffset, t.DataOffset, p = true, int32(binary.BigEndian.Uint32(p)), p[4:]
	}
	if flags&0x000004 != 0 {
		if len(p) < 4 {
			return errors.New("short trun")
		}
		t.firstFlags, t.hasFirstFlags, p = binary.BigEndian.Uint32(p), true, p[4:]
	}
	per := int64(0)
	for _, f := range []uint32{0x100, 0x200, 0x400, 0x800} {
		if flags&f != 0 {
			per += 4
		}
	}
	// A trun listing nothing per sample could claim any count: bound it.
	if count < 1 || count*per > int64(len(p)) || per == 0 && count > 1<<20 {
		return fmt.Errorf("trun of %d samples does not fit", count)
	}
	t.trunFlags, t.per, t.table = flags, int(per), p
	t.Count, t.HasSizes = int(count), flags&0x200 != 0
	return nil
}

// Sample returns sample i (0 <= i < Count) of the trun.
func (t *Traf) Sample(i int) Sample {
	s := Sample{Duration: t.defDur, Size: t.defSize, Flags: t.defFlag}
	p := t.table[i*t.per:]
	if t.trunFlags&0x100 != 0 {
		s.Duration, p = binary.BigEndian.Uint32(p), p[4:]
	}
	if t.trunFlags&0x200 != 0 {
		s.Size, p = binary.BigEndian.Uint32(p), p[4:]
	}
	if t.trunFlags&0x400 != 0 {
		s.Flags, p = binary.BigEndian.Uint32(p), p[4:]
	}
	if t.trunFlags&0x800 != 0 {
		v := binary.BigEndian.Uint32(p)
		if t.version == 0 && v > 1<<31-1 {
			v = 1<<31 - 1 // unsigned in version 0; no real file gets here
		}
		s.CTS = int32(v)
	}
	if i == 0 && t.hasFirstFlags {
		s.Flags = t.firstFlags
	}
	return s
}
