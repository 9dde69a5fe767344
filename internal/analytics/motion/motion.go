// Package motion finds what moves in a camera's frames, so that the object
// detector only looks there (Frigate's lesson): each frame is shrunk to a
// small grey picture and compared with a running background (an exponential
// average); pixels that differ by more than a noise threshold are dilated
// and grouped into boxes. Masks hide what always moves (trees, a TV, a
// flag), the settings switch to night ones by schedule or by darkness, and
// a change over most of the picture (a light switched on, the camera moved)
// is reported as widespread instead of as boxes.
package motion

import (
	"time"

	"matthan/internal/analytics"
)

// Point is a position in a frame in normalised coordinates: 0..1 from the
// left and from the top, whatever the frame's size.
type Point struct{ X, Y float64 }

// Polygon is a closed region in normalised coordinates.
type Polygon []Point

// Sensitivity says how much change counts as motion.
type Sensitivity struct {
	// Threshold is the grey-level difference (0..255) from the background
	// above which a pixel moves; below it is sensor noise.
	Threshold int
	// MinArea is the smallest moving region kept, in pixels of the
	// analysed (downscaled) picture.
	MinArea int
}

// Config tunes a Model. The zero value gives the defaults.
type Config struct {
	// Width is the width of the analysed grey picture (default 160).
	Width int
	// LearningRate is how fast the background follows the picture, the
	// weight of each new frame (default 0.05: at 5 fps a parked object
	// fades into the background in about 10 s).
	LearningRate float64
	Day, Night   Sensitivity // defaults {25, 8} and {15, 12}: night is noisier but darker
	// NightFrom and NightTo bound the night schedule, as times of day in
	// Asia/Ho_Chi_Minh (defaults 22:00 and 05:00).
	NightFrom, NightTo time.Duration
	// DarkBelow switches to the night settings whatever the time when the
	// picture's mean grey level is below it (default 50; -1 turns it off).
	DarkBelow float64
	// Widespread is the share of the unmasked picture that must move for
	// the motion to count as widespread (default 0.4).
	Widespread float64
	// SuddenChange is the jump of the picture's mean grey level from one
	// frame to the next that makes the change widespread (default 25): a
	// light switched on, a covered lens. Slower changes (the camera's
	// exposure following a cloud) are taken out before comparing pixels.
	SuddenChange float64
	// Masks are regions whose motion is ignored.
	Masks []Polygon
}

// Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed zone
// is exact and needs no time zone database.
var hoChiMinh = time.FixedZone("ICT", 7*60*60)

func (c *Config) defaults() {
	if c.Width <= 0 {
		c.Width = 160
	}
	if c.LearningRate <= 0 || c.LearningRate > 1 {
		c.LearningRate = 0.05
	}
	if c.Day == (Sensitivity{}) {
		c.Day = Sensitivity{Threshold: 25, MinArea: 8}
	}
	if c.Night == (Sensitivity{}) {
		c.Night = Sensitivity{Threshold: 15, MinArea: 12}
	}
	if c.NightFrom == 0 && c.NightTo == 0 {
		c.NightFrom, c.NightTo = 22*time.Hour, 5*time.Hour
	}
	if c.DarkBelow == 0 {
		c.DarkBelow = 50
	}
	if c.SuddenChange <= 0 {
		c.SuddenChange = 25
	}
	if c.Widespread <= 0 {
		c.Widespread = 0.4
	}
}

// Result is what moved in one frame.
type Result struct {
	// Boxes are the moving regions, in pixels of the original frame.
	Boxes []analytics.Box
	// Widespread is set when most of the picture changed at once (a
	// light, a moved camera): the caller should look at the whole frame.
	// Boxes is then empty, and the frame becomes the background.
	Widespread bool
	// Share is the share of the unmasked picture that moved (0..1).
	Share float64
	// Night is set when the night settings were used.
	Night bool
	// Brightness is the picture's mean grey level (0..255).
	Brightness float64
}

// Model is one camera's background model. It is not safe for concurrent
// use: one goroutine feeds it the camera's frames in order.
type Model struct {
	cfg Config

	srcW, srcH     int      // size of the frames the buffers were made for
	w, h           int      // analysed picture
	xs             []int32  // xs[i]..xs[i+1]: source columns of analysed column i
	ys             []int32  // same for rows
	grey           []uint8  // this frame
	bg             []uint16 // background, grey level × 256
	ignore         []bool   // masked pixels
	unmasked       int
	moving         []uint8 // 1 where moving, before dilation
	dilated        []uint8
	labels         []int32
	stack          []int32
	rowSum         []uint32
	bgSum          int64 // sum of bg
	prevBrightness float64
	started        bool
}

// New returns an empty model; the first frame only starts the background.
func New(cfg Config) *Model {
	cfg.defaults()
	return &Model{cfg: cfg}
}

// Reset forgets the background, e.g. after the camera was moved or its
// stream restarted at another size.
func (m *Model) Reset() { m.started = false }

// Update compares f with the background, learns f into it and returns what
// moved.
func (m *Model) Update(f *analytics.Frame) Result {
	if f.Width != m.srcW || f.Height != m.srcH {
		m.resize(f.Width, f.Height)
	}
	sum := m.shrink(f)
	n := m.w * m.h
	res := Result{Brightness: float64(sum) / float64(n)}
	res.Night = m.isNight(f.At, res.Brightness)
	sens := m.cfg.Day
	if res.Night {
		sens = m.cfg.Night
	}
	prev := m.prevBrightness
	m.prevBrightness = res.Brightness
	if !m.started {
		m.learnAll()
		m.started = true
		return res
	}
	if jump := res.Brightness - prev; jump > m.cfg.SuddenChange || jump < -m.cfg.SuddenChange {
		// A light switched on or off, or the camera covered: the whole
		// scene changed. Take it as the new background at once rather than
		// report the change for the next many seconds.
		m.learnAll()
		res.Widespread, res.Share = true, 1
		return res
	}

	// Compare and learn in one pass: bg += rate × (grey − bg), in 8.8 fixed
	// point. The difference of the mean levels is taken out first, so a
	// camera's slow exposure changes are not motion.
	rate := int32(m.cfg.LearningRate*256 + 0.5)
	thr := int32(sens.Threshold) << 8
	offset := int32(sum<<8/n) - int32(m.bgSum/int64(n))
	count := 0
	var bgSum int64
	for i, g := range m.grey {
		b := int32(m.bg[i])
		d := int32(g)<<8 - b
		if c := d - offset; (c > thr || c < -thr) && !m.ignore[i] {
			m.moving[i] = 1
			count++
		} else {
			m.moving[i] = 0
		}
		nb := b + d*rate>>8
		m.bg[i] = uint16(nb)
		bgSum += int64(nb)
	}
	m.bgSum = bgSum
	if m.unmasked > 0 {
		res.Share = float64(count) / float64(m.unmasked)
	}
	if res.Share >= m.cfg.Widespread {
		// Most of the picture moved: the camera was turned or shaken.
		m.learnAll()
		res.Widespread = true
		return res
	}
	if count == 0 {
		return res
	}
	m.dilate()
	res.Boxes = m.components(sens.MinArea)
	return res
}

// learnAll takes this frame as the background.
func (m *Model) learnAll() {
	var sum int64
	for i, g := range m.grey {
		m.bg[i] = uint16(g) << 8
		sum += int64(g) << 8
	}
	m.bgSum = sum
}

// isNight applies the schedule, then darkness.
func (m *Model) isNight(at time.Time, brightness float64) bool {
	if m.cfg.DarkBelow > 0 && brightness < m.cfg.DarkBelow {
		return true
	}
	if at.IsZero() {
		return false
	}
	l := at.In(hoChiMinh)
	tod := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
	from, to := m.cfg.NightFrom, m.cfg.NightTo
	if from <= to {
		return tod >= from && tod < to
	}
	return tod >= from || tod < to // over midnight
}

// resize makes the buffers for frames of w×h.
func (m *Model) resize(w, h int) {
	m.srcW, m.srcH = w, h
	m.w = min(m.cfg.Width, w)
	m.h = max(1, h*m.w/w)
	m.xs = bounds(w, m.w)
	m.ys = bounds(h, m.h)
	n := m.w * m.h
	m.grey = make([]uint8, n)
	m.bg = make([]uint16, n)
	m.moving = make([]uint8, n)
	m.dilated = make([]uint8, n)
	m.labels = make([]int32, n)
	m.rowSum = make([]uint32, m.w)
	m.ignore = make([]bool, n)
	m.unmasked = 0
	for y := 0; y < m.h; y++ {
		for x := 0; x < m.w; x++ {
			p := Point{(float64(x) + 0.5) / float64(m.w), (float64(y) + 0.5) / float64(m.h)}
			for _, poly := range m.cfg.Masks {
				if poly.Contains(p) {
					m.ignore[y*m.w+x] = true
					break
				}
			}
			if !m.ignore[y*m.w+x] {
				m.unmasked++
			}
		}
	}
	m.started = false
}

// bounds splits src pixels into dst nearly equal runs.
func bounds(src, dst int) []int32 {
	b := make([]int32, dst+1)
	for i := range b {
		b[i] = int32(i * src / dst)
	}
	return b
}

// shrink averages each block of the BGR frame into one grey pixel (luma,
// BT.601 weights) and returns the sum of the grey levels.
func (m *Model) shrink(f *analytics.Frame) int {
	stride := f.Width * 3
	total := 0
	for y := 0; y < m.h; y++ {
		clear(m.rowSum)
		y0, y1 := int(m.ys[y]), int(m.ys[y+1])
		// Every other row of a tall block is enough to average the noise
		// out, and halves the cost of the stage that dominates.
		step := 1
		if y1-y0 >= 4 {
			step = 2
		}
		rows := uint32((y1 - y0 + step - 1) / step)
		for sy := y0; sy < y1; sy += step {
			row := f.BGR[sy*stride : sy*stride+stride]
			for x := 0; x < m.w; x++ {
				var s uint32
				px := row[int(m.xs[x])*3 : int(m.xs[x+1])*3]
				for i := 0; i+2 < len(px); i += 3 {
					s += 29*uint32(px[i]) + 150*uint32(px[i+1]) + 77*uint32(px[i+2])
				}
				m.rowSum[x] += s
			}
		}
		out := m.grey[y*m.w : (y+1)*m.w]
		for x := range out {
			cnt := rows * uint32(m.xs[x+1]-m.xs[x])
			g := uint8(m.rowSum[x] / (cnt * 256))
			out[x] = g
			total += int(g)
		}
	}
	return total
}

// dilate grows the moving pixels by one in every direction (3×3), joining
// the parts of one object that the threshold split.
func (m *Model) dilate() {
	w, h := m.w, m.h
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var v uint8
			for dy := -1; dy <= 1 && v == 0; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				row := m.moving[yy*w : yy*w+w]
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx >= 0 && xx < w && row[xx] != 0 {
						v = 1
						break
					}
				}
			}
			m.dilated[y*w+x] = v
		}
	}
}

// components groups dilated pixels into 8-connected regions and returns
// the boxes of those with at least minArea moving pixels, in pixels of the
// original frame.
func (m *Model) components(minArea int) []analytics.Box {
	w, h := m.w, m.h
	clear(m.labels)
	sx := float32(m.srcW) / float32(w)
	sy := float32(m.srcH) / float32(h)
	var boxes []analytics.Box
	for start, v := range m.dilated {
		if v == 0 || m.labels[start] != 0 {
			continue
		}
		m.labels[start] = 1
		m.stack = append(m.stack[:0], int32(start))
		x1, y1, x2, y2 := w, h, 0, 0
		area := 0
		for len(m.stack) > 0 {
			i := int(m.stack[len(m.stack)-1])
			m.stack = m.stack[:len(m.stack)-1]
			x, y := i%w, i/w
			x1, y1, x2, y2 = min(x1, x), min(y1, y), max(x2, x+1), max(y2, y+1)
			area += int(m.moving[i])
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					j := yy*w + xx
					if m.dilated[j] != 0 && m.labels[j] == 0 {
						m.labels[j] = 1
						m.stack = append(m.stack, int32(j))
					}
				}
			}
		}
		if area >= minArea {
			boxes = append(boxes, analytics.Box{
				X1: float32(x1) * sx, Y1: float32(y1) * sy,
				X2: min(float32(x2)*sx, float32(m.srcW)), Y2: min(float32(y2)*sy, float32(m.srcH)),
			})
		}
	}
	return boxes
}

// Contains reports whether p is inside the polygon (even-odd rule).
func (poly Polygon) Contains(p Point) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}
