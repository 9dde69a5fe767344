package ingest

import (
	"sync"
	"time"

	"matthan"
	"matthan/internal/media"
)

// windowSecs is the span over which fps and bitrate are measured.
const windowSecs = 5

// bucket sums one second of a stream.
type bucket struct {
	sec         int64 // mono second + 1; 0: unused
	frames      uint64
	bytes       uint64
	first, last int64 // mono time of the first and last video frame
}

// figures are a stream's live figures. add runs for every unit of every
// stream, so it only bumps counters in a ring of one-second buckets under one
// mutex and allocates nothing; snapshot does the arithmetic when asked.
// Skips are counted by the stream's hub.
type figures struct {
	mu          sync.Mutex
	ring        [windowSecs + 1]bucket
	desc        *media.Desc
	frames      uint64
	bytes       uint64
	packetsLost uint64
	reconnects  uint64
	lastFrameAt time.Time

	// Keyframe interval: media time between the last two keyframes of one
	// session. A window of a few seconds often holds a single keyframe
	// (cameras use 2–10 s GOPs), so the last interval is the useful figure.
	keyDesc     *media.Desc
	keyPTS      time.Duration
	keyInterval time.Duration
}

func (f *figures) add(u *media.Unit, video bool, mono int64, wall time.Time) {
	n := uint64(u.Size())
	sec := mono/int64(time.Second) + 1
	f.mu.Lock()
	f.desc = u.Desc
	f.bytes += n
	b := &f.ring[sec%int64(len(f.ring))]
	if b.sec != sec {
		*b = bucket{sec: sec}
	}
	b.bytes += n
	if video {
		f.frames++
		f.lastFrameAt = wall
		if b.frames == 0 {
			b.first = mono
		}
		b.last = mono
		b.frames++
		if u.Key {
			if f.keyDesc == u.Desc && u.PTS > f.keyPTS {
				f.keyInterval = u.PTS - f.keyPTS
			}
			f.keyDesc, f.keyPTS = u.Desc, u.PTS
		}
	}
	f.mu.Unlock()
}

func (f *figures) lost(n uint64) {
	f.mu.Lock()
	f.packetsLost += n
	f.mu.Unlock()
}

func (f *figures) reconnected() {
	f.mu.Lock()
	f.reconnects++
	f.mu.Unlock()
}

// snapshot returns the figures at mono time now.
func (f *figures) snapshot(now int64) matthan.StreamStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := matthan.StreamStats{
		Frames:           f.frames,
		Bytes:            f.bytes,
		PacketsLost:      f.packetsLost,
		Reconnects:       f.reconnects,
		LastFrameAt:      f.lastFrameAt,
		KeyframeInterval: f.keyInterval.Seconds(),
	}
	if d := f.desc; d != nil {
		if v := d.Video(); v >= 0 {
			t := &d.Tracks[v]
			st.Codec, st.Width, st.Height = string(t.Codec), t.Width, t.Height
		}
		for i := range d.Tracks {
			if !d.Tracks[i].IsVideo() {
				st.Audio = string(d.Tracks[i].Codec)
				break
			}
		}
	}

	cur := now/int64(time.Second) + 1
	var frames, bytes uint64
	first, last := int64(-1), int64(-1)
	for i := range f.ring {
		b := &f.ring[i]
		if b.sec == 0 || b.sec <= cur-windowSecs || b.sec > cur {
			continue
		}
		frames += b.frames
		bytes += b.bytes
		if b.frames > 0 {
			if first < 0 || b.first < first {
				first = b.first
			}
			last = max(last, b.last)
		}
	}
	if frames >= 2 && last > first {
		// n frames span n-1 intervals; stretch to n intervals so a steady
		// stream measures exactly, and to now so a stopping one decays.
		span := float64(last-first) * float64(frames) / float64(frames-1)
		span = max(span, float64(now-first)) / float64(time.Second)
		st.FPS = float64(frames) / span
		st.Bitrate = float64(bytes) * 8 / span
	}
	return st
}
