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

// mosaicTiles is the number of tiles on a canvas: 2×2. A whole frame on a
// canvas (MosaicOptions.Pair) takes a row of two.
const mosaicTiles = 4

// pairMinShare is the least share of its own letterbox's scale that a
// frame keeps in half a canvas for Pair to pair it: a 16:9 frame
// keeps 0.89 of it (416×234 → 370×208), a 4:3 one only 0.67 and goes alone.
const pairMinShare = 0.85

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
	// Pair puts whole frames (Detect) two to a canvas, one in each half
	// (Size × Size/2), when that keeps at least 0.85 of the scale the
	// frame would have alone (frames about 16:9 or wider): two cameras'
	// whole frames for the price of one run, each seen 11 % smaller (a
	// 640×360 frame at 0.58 instead of 0.65). A half mixes with region
	// tiles: a canvas holds two halves, or a half and two regions.
	Pair PairMode
}

// PairMode says when Mosaic puts whole frames two to a canvas.
type PairMode int

const (
	PairOff    PairMode = iota // never: each whole frame is a run
	PairAlways                 // every frame that fits half a canvas
	// PairBusy pairs a frame only when no session is free at the moment
	// it comes: a node with spare detector time sees every frame whole,
	// and an overloaded one analyses its frames at 0.89 of the scale
	// rather than falling behind.
	PairBusy
)

// PairModes are PairMode's names, as ParsePairMode reads them.
var PairModes = []string{"off", "always", "busy"}

// String is the mode's name.
func (p PairMode) String() string {
	if int(p) < len(PairModes) && p >= 0 {
		return PairModes[p]
	}
	return fmt.Sprintf("PairMode(%d)", int(p))
}

// ParsePairMode reads "off", "always" or "busy".
func ParsePairMode(s string) (PairMode, error) {
	for i, n := range PairModes {
		if s == n {
			return PairMode(i), nil
		}
	}
	return PairOff, fmt.Errorf("detect: pairing mode %q is not one of off, always, busy / chế độ ghép khung %q không phải off, always hay busy", s, s)
}

// MosaicStats count a Mosaic's work.
type MosaicStats struct {
	Runs   uint64 // canvases run through the inner detector
	Tiles  uint64 // regions on them (Tiles/Runs is the batching achieved)
	Frames uint64 // whole frames on them (Pair), a half each
}

// Mosaic is an analytics.Detector and analytics.RegionDetector: motion
// regions from any camera are packed four to a canvas, 2×2 tiles of
// Size/2, so one model run looks at the moving parts of up to four frames
// (Frigate's regions, batched across cameras without a batched model).
// Whole frames go straight to the inner detector or, with Pair, two to a
// canvas, each in a half (a row of two tiles' cells).
//
// Each region or frame is resized into its tile keeping its aspect, at the
// tile's top-left corner, padded with 114 as YOLOX's letterbox, when it is
// submitted: a caller that gives up waiting may reuse its frame at once. A
// canvas is run by the first call that put a tile on it (its leader), once
// its cells are taken or Wait after it was opened; the others wait for its
// result or their own context. No goroutine of its own: it is safe for
// concurrent use and holds at most one canvas per call in progress.
type Mosaic struct {
	inner analytics.Detector
	size  int
	tile  int
	wait  time.Duration
	pair  PairMode

	sessions chan struct{} // a token per model run in progress

	mu   sync.Mutex
	open *canvas // the canvas taking tiles now; nil: none

	runs, tiles, frames atomic.Uint64
	buffers             sync.Pool // canvas pixels, Size*Size*3 bytes
	tileBuffers         sync.Pool // a region tile's pixels, (Size/2)²*3 bytes
	halfBuffers         sync.Pool // a whole frame's half canvas, Size*(Size/2)*3 bytes
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
	m := &Mosaic{inner: inner, size: o.Size, tile: o.Size / 2, wait: o.Wait, pair: o.Pair,
		sessions: make(chan struct{}, max(o.Sessions, 1))}
	m.buffers.New = func() any { return make([]byte, o.Size*o.Size*3) }
	m.tileBuffers.New = func() any { return make([]byte, m.tile*m.tile*3) }
	m.halfBuffers.New = func() any { return make([]byte, m.size*m.tile*3) }
	return m
}

// tile is one region of a frame, or a whole frame (wide), resized for the
// canvas.
type tile struct {
	bgr        []byte // tw×(Size/2) BGR; the region is its top-left cw×ch
	wide       bool   // a whole frame in a row of two cells, tw = Size; else tw = Size/2
	tw         int
	x, y, w, h int // the region in frame pixels
	fw, fh     int // the frame's size
	cw, ch     int // the region's size in the tile
	scale      float64
}

// canvas is one model run for up to four cells of Size/2: a region takes
// one, a whole frame a row of two.
type canvas struct {
	tiles []*tile
	cells []int         // each tile's first cell, 0..3 (row-major)
	used  int           // bit i: cell i taken
	full  chan struct{} // closed when every cell is taken, or a tile did not fit
	done  chan struct{} // closed when dets and err are set
	dets  [][]analytics.Detection
	err   error
}

// place puts t on c's first free cell (a wide tile: first free row) and
// returns its index, or -1 when it does not fit.
func (c *canvas) place(t *tile) int {
	for cell := range mosaicTiles {
		need := 1 << cell
		if t.wide {
			if cell%2 != 0 {
				continue
			}
			need = 3 << cell
		}
		if c.used&need == 0 {
			c.used |= need
			c.tiles = append(c.tiles, t)
			c.cells = append(c.cells, cell)
			return len(c.tiles) - 1
		}
	}
	return -1
}

// Detect runs whole frames on the inner detector, or with Pair, two to a
// canvas (frames about 16:9 or wider; others go alone).
func (m *Mosaic) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	switch m.pair {
	case PairOff:
		return m.detectAlone(ctx, frames)
	case PairBusy:
		select {
		case m.sessions <- struct{}{}: // a session is free: whole, at full scale
			defer func() { <-m.sessions }()
			return m.inner.Detect(ctx, frames)
		default:
		}
	}
	out := make([][]analytics.Detection, len(frames))
	var halves []*tile
	var halfOf []int // frame index of each half
	var alone []*analytics.Frame
	var aloneOf []int
	for i, f := range frames {
		if err := checkFrame(f); err != nil {
			return nil, err
		}
		if !m.pairable(f.Width, f.Height) {
			alone, aloneOf = append(alone, f), append(aloneOf, i)
			continue
		}
		t, err := m.cut(f, analytics.Box{X2: float32(f.Width), Y2: float32(f.Height)}, true)
		if err != nil {
			return nil, err
		}
		halves, halfOf = append(halves, t), append(halfOf, i)
	}
	if len(alone) > 0 {
		res, err := m.detectAlone(ctx, alone)
		if err != nil {
			return nil, err
		}
		for k, i := range aloneOf {
			out[i] = res[k]
		}
	}
	if len(halves) > 0 {
		res, err := m.submit(ctx, halves)
		if err != nil {
			return nil, err
		}
		for k, i := range halfOf {
			out[i] = res[k]
		}
	}
	return out, nil
}

// pairable says whether a w×h frame keeps at least pairMinShare of its
// letterbox scale in half a canvas.
func (m *Mosaic) pairable(w, h int) bool {
	alone := min(float64(m.size)/float64(w), float64(m.size)/float64(h))
	half := min(float64(m.size)/float64(w), float64(m.tile)/float64(h))
	return half >= pairMinShare*alone
}

// MaxRegions is how many regions of one frame are worth searching rather
// than the whole frame: three tiles when a whole frame costs a run (four
// cost as much), two when whole frames are paired (a half costs two).
func (m *Mosaic) MaxRegions() int {
	if m.pair != PairOff {
		return 2
	}
	return mosaicTiles - 1
}

// detectAlone runs whole frames on the inner detector, a session each.
func (m *Mosaic) detectAlone(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
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

// Stats returns the canvases run so far and the regions and frames on them.
func (m *Mosaic) Stats() MosaicStats {
	return MosaicStats{Runs: m.runs.Load(), Tiles: m.tiles.Load(), Frames: m.frames.Load()}
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
		t, err := m.cut(f, r, false)
		if err != nil {
			return nil, err
		}
		tiles[i] = t
	}
	res, err := m.submit(ctx, tiles)
	if err != nil {
		return nil, err
	}
	var out []analytics.Detection
	for _, dets := range res {
		out = append(out, dets...)
	}
	if len(regions) > 1 { // regions may touch: one object, one box
		out = nms(out, DefaultNMSIoU)
	}
	return out, nil
}

// submit puts tiles on canvases, leads the canvases it opened and waits
// for the others: each tile's detections, in its frame's pixels.
func (m *Mosaic) submit(ctx context.Context, tiles []*tile) ([][]analytics.Detection, error) {
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
		i := m.open.place(t)
		if i < 0 { // no room left for it: that canvas runs as it is
			close(m.open.full)
			m.open = &canvas{full: make(chan struct{}), done: make(chan struct{})}
			lead = true
			i = m.open.place(t)
		}
		c := m.open
		if c.used == 1<<mosaicTiles-1 {
			close(c.full)
			m.open = nil
		}
		places[k] = place{c, i, lead}
	}
	m.mu.Unlock()
	// The canvases this call leads run first, so no call ever waits on a
	// canvas whose leader waits on it.
	for _, p := range places {
		if p.lead {
			m.lead(ctx, p.c)
		}
	}
	out := make([][]analytics.Detection, len(tiles))
	for k, p := range places {
		select {
		case <-p.c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.c.err != nil {
			return nil, p.c.err
		}
		out[k] = p.c.dets[p.i]
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
	c.dets, c.err = m.run(context.WithoutCancel(ctx), c)
	close(c.done)
}

// run composes the canvas, runs the inner detector on it and hands each
// tile its detections in its frame's pixels. A detection belongs to the
// cell its centre is in; a box that reaches past its tile (over the seam
// between two frames, or into a neighbour tile) is clipped to the tile's
// picture, or dropped when it is cut by a region's side (tile.toFrame).
func (m *Mosaic) run(ctx context.Context, c *canvas) ([][]analytics.Detection, error) {
	tiles := c.tiles
	buf := m.buffers.Get().([]byte)
	defer m.buffers.Put(buf)
	for i := range buf {
		buf[i] = padValue
	}
	owner := [mosaicTiles]int{-1, -1, -1, -1} // the tile on each cell
	stride := m.size * 3
	for i, t := range tiles {
		cell := c.cells[i]
		owner[cell] = i
		if t.wide {
			owner[cell+1] = i
		}
		ox, oy, ts := (cell%2)*m.tile, (cell/2)*m.tile, t.tw*3
		for y := range t.ch {
			copy(buf[(oy+y)*stride+ox*3:], t.bgr[y*ts:y*ts+t.cw*3])
		}
		// The leader alone holds the canvas's tiles now.
		if t.wide {
			m.halfBuffers.Put(t.bgr)
		} else {
			m.tileBuffers.Put(t.bgr)
		}
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
	for _, t := range tiles {
		if t.wide {
			m.frames.Add(1)
		} else {
			m.tiles.Add(1)
		}
	}
	out := make([][]analytics.Detection, len(tiles))
	for _, d := range res[0] {
		cx, cy := (d.Box.X1+d.Box.X2)/2, (d.Box.Y1+d.Box.Y2)/2
		col, row := min(max(int(cx), 0)/m.tile, 1), min(max(int(cy), 0)/m.tile, 1)
		i := owner[row*2+col]
		if i < 0 {
			continue // nothing there but padding
		}
		t, cell := tiles[i], c.cells[i]
		if b, ok := t.toFrame(d.Box, float32((cell%2)*m.tile), float32((cell/2)*m.tile)); ok {
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
// the letterbox), at its top-left corner: a Size/2 square, or when wide
// (a whole frame) half a canvas, Size × Size/2.
func (m *Mosaic) cut(f *analytics.Frame, r analytics.Box, wide bool) (*tile, error) {
	x1 := min(max(int(math.Floor(float64(r.X1))), 0), f.Width)
	y1 := min(max(int(math.Floor(float64(r.Y1))), 0), f.Height)
	x2 := min(max(int(math.Ceil(float64(r.X2))), 0), f.Width)
	y2 := min(max(int(math.Ceil(float64(r.Y2))), 0), f.Height)
	w, h := x2-x1, y2-y1
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("detect: region %v is outside the %dx%d frame of camera %q", r, f.Width, f.Height, f.CameraID)
	}
	tw, buffers := m.tile, &m.tileBuffers
	if wide {
		tw, buffers = m.size, &m.halfBuffers
	}
	s := min(float64(tw)/float64(w), float64(m.tile)/float64(h))
	t := &tile{bgr: buffers.Get().([]byte), wide: wide, tw: tw, x: x1, y: y1, w: w, h: h, fw: f.Width, fh: f.Height, scale: s,
		cw: max(1, min(tw, int(math.Round(float64(w)*s)))), ch: max(1, min(m.tile, int(math.Round(float64(h)*s))))}
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
	fs, ts := f.Width*3, tw*3
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
