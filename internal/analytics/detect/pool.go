package detect

import (
	"context"
	"errors"

	"matthan/internal/analytics"
)

// Pool is several detector sessions used as one: a session runs one call
// at a time, so a node with N cores wants N of them for its cameras.
type Pool struct {
	free chan analytics.Detector
	all  []analytics.Detector
}

// NewPool makes n YOLOX sessions with opts (n < 1 means 1).
func NewPool(n int, opts Options) (*Pool, error) {
	p := &Pool{free: make(chan analytics.Detector, max(n, 1))}
	for range max(n, 1) {
		d, err := NewYOLOX(opts)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.all = append(p.all, d)
		p.free <- d
	}
	return p, nil
}

// Detect runs frames on the next free session.
func (p *Pool) Detect(ctx context.Context, frames []*analytics.Frame) ([][]analytics.Detection, error) {
	select {
	case d := <-p.free:
		defer func() { p.free <- d }()
		return d.Detect(ctx, frames)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Size is the number of sessions: how many calls run at once.
func (p *Pool) Size() int { return len(p.all) }

// Close closes every session.
func (p *Pool) Close() error {
	var err error
	for _, d := range p.all {
		err = errors.Join(err, d.Close())
	}
	return err
}
