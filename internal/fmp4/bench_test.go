package fmp4

import (
	"bufio"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// BenchmarkWriteFragment writes a 4 Mbit/s 25 fps stream with AAC (a
// keyframe every second, so a fragment per second) through a buffered,
// hashing writer, as the recorder does. One op is one video frame.
func BenchmarkWriteFragment(b *testing.B) {
	c := fmp4test.MakeClip(b, fmp4test.ClipSpec{Codec: media.H264, Audio: media.AAC, Seconds: 1}, time.Now())
	const fps, frameBytes = 25, 4_000_000 / 8 / 25
	payload := make([]byte, frameBytes)
	var aac []*media.Unit
	for _, u := range c.Units {
		if u.Track == 1 {
			aac = append(aac, u)
		}
	}
	// One second of units, reused with growing timestamps.
	var video [fps]media.Unit
	for i := range video {
		video[i] = media.Unit{Desc: c.Desc, Track: 0, Key: i == 0, Data: [][]byte{payload[:frameBytes/2], payload[frameBytes/2:]}}
	}
	audio := make([]media.Unit, len(aac))
	for i, u := range aac {
		audio[i] = *u
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(io.Discard, h), 64<<10)
	w, err := NewWriter(bw, &video[0], time.Now(), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(frameBytes)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		sec, i := n/fps, n%fps
		u := &video[i]
		u.PTS = time.Duration(n) * time.Second / fps
		if _, err := w.WriteUnit(u); err != nil {
			b.Fatal(err)
		}
		// Audio of this frame's 40 ms.
		for j := range audio {
			a := &audio[j]
			at := time.Duration(sec)*time.Second + aac[j].PTS
			if at >= u.PTS && at < u.PTS+time.Second/fps {
				a.PTS = at
				if _, err := w.WriteUnit(a); err != nil {
					b.Fatal(err)
				}
			}
		}
		n++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}
