package detect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"matthan/internal/analytics"
)

// Defaults of MosaicOptions.
const (
	DefaultMosaicSize = 416 // YOLOX-Nano's input side
	DefaultMosaicWait = 10 * time.Millisecond
	// MaxMosaicWait bounds MosaicOptions.Wait: a camera's frame must not
	// wait long for others to fill the canvas.
	MaxMosaicWait = 15 * time.Millisecond
)

// mosaicTiles is the number of tiles on a canvas: 2×2.
const mosaicTiles = 4

// edgePx is how near (in tile pixels) a detection may come to a region's
// side inside the frame before it counts as cut by that side.
const edgePx = 2

// MosaicOptions tune NewMosaic. The zero value suits YOLOX-Nano 416.
type MosaicOptions struct {
	// Size is the canvas side, the model's input side (416): the canvas
	// goes to the inner detector as a Size×Size frame, which its letterbox
	// leaves untouched. Tiles are Size/2.
	Size int
	// Wait is how long a canvas waits for more tiles before it runs with
	// the ones it has (default 10 ms, at most MaxMosaicWait).
	Wait time.Duration
	// Sessions is how many model runs the inner detector does at once
	// (default: its Size() when it has one, as a Pool, else 1). Whole
	// frames and canvases take turns for them, and a canvas keeps taking
	// tiles while it waits for its turn: the busier the detector, the
	// fuller the canvases.
	Sessions int
}

// MosaicStats count a Mosaic's work.
type MosaicStats struct {
	Runs  uint64 // canvases run through the inner detector
	Tiles uint64 // regions on them (Tiles/Runs is the batching achieved)
}

// Mosaic is an analytics.Detector and analytics.RegionDetector: whole
// frames go straight to the inner detector, and motion regions from any
// camera are packed four to a canvas, 2×2 tiles of Size/2, so one model run
// looks at the moving parts of up to four frames (Frigate's regions,
// batched across cameras without a batched model).
//
// Each region is resized into its tile keeping its aspect, at the tile's
// top-left corner, padded with 114 as YOLOX's letterbox, when it is
// submitted: a caller that gives up waiting may reuse its frame at once. A canvas is run by
// the first call that put a tile on it (its leader), once it has four tiles
// or Wait after it was opened; the others wait for its result or their own
// context. No goroutine of its own: it is safe for concurrent use and holds
// at most one canvas per call in progress.
type Mosaic struct {
	inner analytics.Detector
	size  int
	tile  int
	wait  time.Duration

	sessions chan struct{} // a token per model run in progress

	mu   sync.Mutex
	open *canvas // the canvas taking tiles now; nil: none

	runs, tiles atomic.Uint64
	buffers     sync.Pool // canvas pixels, Size*Size*3 bytes
	tileBuffers sync.Pool // a tile's pixels, (Size/2)²*3 bytes
}

// NewMosaic batches regions onto canvases run by inner (a YOLOX or a
// Pool). Close closes inner.
func NewMosaic(inner analytics.Detector, o MosaicOptions) *Mosaic {
	if o.Size <= 0 {
		o.Size = DefaultMosaicSize
	}
	if o.Wait <= 0 {
		o.Wait = DefaultMosaicWait
	}
	o.Wait = min(o.Wait, MaxMosaicWait)
	if sized, ok := inner.(interface{ Size() int }); ok && o.Sessions <= 0 {
		o.Sessions = sized.Size()
	}
	m := &Mosaic{inner: inner, size: o.Size, tile: o.Size / 2, wait: o.Wait,
		sessions: make(chan struct{}, max(o.Sessions, 1))}
	m.buffers.New = func() any { return make([]byte, o.Size*o.Size*3) }
	m.tileBuffers.New = func() any { return make([]byte, m.tile*m.tile*3) }
	return m
}

// tile is one region of a frame resized for the canvas.
type tile struct {
	bgr        []byte // tile×tile BGR; the region is its top-left cw×ch
	x, y, w, h int    // the region in frame pixels
	fw, fh     int    // the frame's size
	cw, ch     int    // the region's size in the tile
	scale      float64
}

// canvas is one model run for up to four tiles.
type canvas struct {
	tiles []*tile
	full  chan struct{} // closed at the fourth tile
	done  chan struct{} // closed when dets and err are set
	dets  [][]analytics.Detection
	err   error
}

// Detect runs whole frames on the inner detector.
func (m *Mosaic) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	select {
	case m.sessions <- struct{}{}:
		defer func() { <-m.sessions }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return m.inner.Detect(ctx, frames)
}

// Close closes the inner detector.
func (m *Mosaic) Close() error { return m.inner.Close() }

// Stats returns the canvases run so far and the regions on them.
func (m *Mosaic) Stats() MosaicStats {
	return MosaicStats{Runs: m.runs.Load(), Tiles: m.tiles.Load()}
}

// MaxRegionSide is the largest region that the canvas sees at least as
// sharply as the whole-frame pass sees the frame: a tile (Size/2) scaled by
// the frame's letterbox ratio, and never less than a tile (regions up to a
// tile are enlarged, which helps small objects).
func (m *Mosaic) MaxRegionSide(w, h int) int {
	return max(m.tile, m.tile*max(w, h)/m.size)
}

// DetectRegions finds the objects inside regions of f, in f's pixels, best
// first. A detection that reaches a region's side where the region ends
// inside the frame is dropped: it continues outside the region, so the box
// is only part of an object (the caller's padding keeps moving objects
// whole; what is cut is usually a still object at the region's border,
// which the full-frame pass sees whole).
func (m *Mosaic) DetectRegions(ctx context.Context, f *analytics.Frame, regions []analytics.Box) ([]analytics.Detection, error) {
	if err := checkFrame(f); err != nil {
		return nil, err
	}
	if len(regions) == 0 {
		return nil, nil
	}
	tiles := make([]*tile, len(regions))
	for i, r := range regions {
		t, err := m.cut(f, r)
		if err != nil {
			return nil, err
		}
		tiles[i] = t
	}
	type place struct {
		c    *canvas
		i    int
		lead bool
	}
	places := make([]place, len(tiles))
	m.mu.Lock()
	for k, t := range tiles {
		lead := false
		if m.open == nil {
			m.open = &canvas{full: make(chan struct{}), done: make(chan struct{})}
			lead = true
		}
		c := m.open
		c.tiles = append(c.tiles, t)
		if len(c.tiles) == mosaicTiles {
			close(c.full)
			m.open = nil
		}
		places[k] = place{c, len(c.tiles) - 1, lead}
	}
	m.mu.Unlock()
	// The canvases this call leads run first, so no call ever waits on a
	// canvas whose leader waits on it.
	for _, p := range places {
		if p.lead {
			m.lead(ctx, p.c)
		}
	}
	var out []analytics.Detection
	for _, p := range places {
		select {
		case <-p.c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.c.err != nil {
			return nil, p.c.err
		}
		out = append(out, p.c.dets[p.i]...)
	}
	if len(regions) > 1 { // regions may touch: one object, one box
		out = nms(out, DefaultNMSIoU)
	}
	return out, nil
}

// lead waits for the canvas to fill (or Wait, or ctx) and for a session,
// closes the canvas to new tiles and runs it. It runs even when ctx ends:
// other cameras' tiles are on it, and one run is short.
func (m *Mosaic) lead(ctx context.Context, c *canvas) {
	timer := time.NewTimer(m.wait)
	select {
	case <-c.full:
	case <-timer.C:
	case <-ctx.Done():
	}
	timer.Stop()
	m.sessions <- struct{}{} // runs end, so this wait does
	defer func() { <-m.sessions }()
	m.mu.Lock()
	if m.open == c {
		m.open = nil
	}
	m.mu.Unlock() // c.tiles is final from here
	c.dets, c.err = m.run(context.WithoutCancel(ctx), c.tiles)
	close(c.done)
}

// run composes the canvas, runs the inner detector on it and hands each
// tile its detections in its frame's pixels.
func (m *Mosaic) run(ctx context.Context, tiles []*tile) ([][]analytics.Detection, error) {
	buf := m.buffers.Get().([]byte)
	defer m.buffers.Put(buf)
	for i := range buf {
		buf[i] = padValue
	}
	stride, ts := m.size*3, m.tile*3
	for i, t := range tiles {
		ox, oy := (i%2)*m.tile, (i/2)*m.tile
		for y := range t.ch {
			copy(buf[(oy+y)*stride+ox*3:], t.bgr[y*ts:y*ts+t.cw*3])
		}
		m.tileBuffers.Put(t.bgr) // the leader alone holds the canvas's tiles now
		t.bgr = nil
	}
	frame := &analytics.Frame{CameraID: "mosaic", Width: m.size, Height: m.size, BGR: buf}
	res, err := m.inner.Detect(ctx, []*analytics.Frame{frame})
	if err != nil {
		return nil, fmt.Errorf("detect: mosaic: %w", err)
	}
	if len(res) != 1 {
		return nil, errors.New("detect: mosaic: the detector returned no result")
	}
	m.runs.Add(1)
	m.tiles.Add(uint64(len(tiles)))
	out := make([][]analytics.Detection, len(tiles))
	for _, d := range res[0] {
		cx, cy := (d.Box.X1+d.Box.X2)/2, (d.Box.Y1+d.Box.Y2)/2
		col, row := min(int(cx)/m.tile, 1), min(int(cy)/m.tile, 1)
		i := row*2 + col
		if i >= len(tiles) {
			continue // nothing there but padding
		}
		t := tiles[i]
		if b, ok := t.toFrame(d.Box, float32(col*m.tile), float32(row*m.tile)); ok {
			d.Box = b
			out[i] = append(out[i], d)
		}
	}
	return out, nil
}

// toFrame maps a box from the canvas, whose tile has its top-left corner
// at (ox, oy), to the tile's frame; false when the box is cut by a side of
// the region that lies inside the frame, or is empty.
func (t *tile) toFrame(b analytics.Box, ox, oy float32) (analytics.Box, bool) {
	cw, ch := float32(t.cw), float32(t.ch)
	b = analytics.Box{X1: b.X1 - ox, Y1: b.Y1 - oy, X2: b.X2 - ox, Y2: b.Y2 - oy}
	if (t.x > 0 && b.X1 < edgePx) || (t.y > 0 && b.Y1 < edgePx) ||
		(t.x+t.w < t.fw && b.X2 > cw-edgePx) || (t.y+t.h < t.fh && b.Y2 > ch-edgePx) {
		return analytics.Box{}, false
	}
	s := float32(t.scale)
	b = analytics.Box{
		X1: float32(t.x) + clamp(b.X1, cw)/s, Y1: float32(t.y) + clamp(b.Y1, ch)/s,
		X2: float32(t.x) + clamp(b.X2, cw)/s, Y2: float32(t.y) + clamp(b.Y2, ch)/s,
	}
	return b, b.Area() > 0
}

// cut resizes region r of f into a tile, keeping its aspect (bilinear, as
// the letterbox), at its top-left corner.
func (m *Mosaic) cut(f *analytics.Frame, r analytics.Box) (*tile, error) {
	x1 := min(max(int(math.Floor(float64(r.X1))), 0), f.Width)
	y1 := min(max(int(math.Floor(float64(r.Y1))), 0), f.Height)
	x2 := min(max(int(math.Ceil(float64(r.X2))), 0), f.Width)
	y2 := min(max(int(math.Ceil(float64(r.Y2))), 0), f.Height)
	w, h := x2-x1, y2-y1
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("detect: region %v is outside the %dx%d frame of camera %q", r, f.Width, f.Height, f.CameraID)
	}
	s := float64(m.tile) / float64(max(w, h))
	t := &tile{bgr: m.tileBuffers.Get().([]byte), x: x1, y: y1, w: w, h: h, fw: f.Width, fh: f.Height, scale: s,
		cw: max(1, min(m.tile, int(math.Round(float64(w)*s)))), ch: max(1, min(m.tile, int(math.Round(float64(h)*s))))}
	// Source positions per output column and row, OpenCV INTER_LINEAR
	// style (pixel centres aligned, edges clamped).
	sample := func(d, n int) (int, int, float32) {
		v := (float64(d)+0.5)/s - 0.5
		i := int(math.Floor(v))
		frac := float32(v - float64(i))
		if i < 0 {
			i, frac = 0, 0
		}
		if i >= n-1 {
			i, frac = n-1, 0
		}
		return i, min(i+1, n-1), frac
	}
	x0, x1s, xw := make([]int, t.cw), make([]int, t.cw), make([]float32, t.cw)
	for x := range t.cw {
		a, b, frac := sample(x, w)
		x0[x], x1s[x], xw[x] = (x1+a)*3, (x1+b)*3, frac
	}
	fs, ts := f.Width*3, m.tile*3
	for y := range t.ch {
		a, b, wy := sample(y, h)
		top, bot := f.BGR[(y1+a)*fs:(y1+a+1)*fs], f.BGR[(y1+b)*fs:(y1+b+1)*fs]
		row := t.bgr[y*ts : y*ts+t.cw*3]
		for x := range t.cw {
			i0, i1, wx := x0[x], x1s[x], xw[x]
			row[x*3] = byte(lerp2(top[i0], top[i1], bot[i0], bot[i1], wx, wy))
			row[x*3+1] = byte(lerp2(top[i0+1], top[i1+1], bot[i0+1], bot[i1+1], wx, wy))
			row[x*3+2] = byte(lerp2(top[i0+2], top[i1+2], bot[i0+2], bot[i1+2], wx, wy))
		}
	}
	return t, nil
}

var (
	_ analytics.Detector       = (*Mosaic)(nil)
	_ analytics.RegionDetector = (*Mosaic)(nil)
)
