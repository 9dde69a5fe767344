// Package media holds the units that flow from a camera session to every
// consumer (restream, recorder, live view, analytics), and the hub that fans
// them out.
package media

import "time"

// Codec names a codec we carry.
type Codec string

const (
	H264 Codec = "H264"
	H265 Codec = "H265"
	AAC  Codec = "AAC"  // MPEG-4 audio
	G711 Codec = "G711" // PCMU or PCMA
)

// Track describes one elementary stream of a session.
type Track struct {
	Codec     Codec
	ClockRate int

	// Video parameter sets (without start codes) and the picture size they declare.
	VPS, SPS, PPS []byte
	Width, Height int

	// Audio.
	AACConfig  []byte // MPEG-4 AudioSpecificConfig, encoded
	MULaw      bool   // G711: true for PCMU, false for PCMA
	SampleRate int
	Channels   int
}

// IsVideo reports whether t is a video track.
func (t *Track) IsVideo() bool { return t.Codec == H264 || t.Codec == H265 }

// Desc is what a session carries. A new Desc is made whenever the source
// (re)connects or its codec parameters change (e.g. a new resolution), so a
// consumer notices a change by comparing Unit.Desc pointers.
type Desc struct {
	Tracks []Track
}

// Video returns the index of the first video track, or -1.
func (d *Desc) Video() int {
	for i := range d.Tracks {
		if d.Tracks[i].IsVideo() {
			return i
		}
	}
	return -1
}

// Unit is one access unit: a video frame or a group of audio samples.
// Units are immutable once published; consumers must not modify Data.
type Unit struct {
	Desc  *Desc
	Track int // index into Desc.Tracks

	// PTS is media time relative to the session start, from RTP timestamps.
	PTS time.Duration
	// Wall is the wall-clock time of the unit: from the camera's RTCP sender
	// reports when WallFromSender, else the time it was received.
	Wall           time.Time
	WallFromSender bool

	// Key marks a video random-access point (IDR / IRAP with parameter sets available).
	Key bool
	// Data holds NAL units without start codes (video), access units (AAC)
	// or samples (G711).
	Data [][]byte
	// AfterSkip marks, for one subscriber only (a copy of the unit), the
	// first unit it gets after the hub skipped units it fell behind on: a
	// hole lies just before it.
	AfterSkip bool
}

// IsVideo reports whether u belongs to a video track.
func (u *Unit) IsVideo() bool { return u.Desc.Tracks[u.Track].IsVideo() }

// Size is the payload size in bytes.
func (u *Unit) Size() int {
	n := 0
	for _, b := range u.Data {
		n += len(b)
	}
	return n
}

// Receiver takes what a source session (RTSP pull, RTSP push, …) produces.
// Methods may be called from several goroutines at once.
type Receiver interface {
	// WriteUnit delivers one unit.
	WriteUnit(u *Unit)
	// PacketsLost reports RTP packets the transport lost.
	PacketsLost(n uint64)
	// DecodeErrors reports packets that arrived but could not be turned into
	// units (malformed, or not the codec the session announced).
	DecodeErrors(n uint64)
}

// Ender is implemented by a Receiver that may want its session gone (the
// camera was switched off, or a newer session replaced this one): a source
// that holds the session open (an RTSP publisher) closes it when Ended is.
type Ender interface {
	Ended() <-chan struct{}
}
