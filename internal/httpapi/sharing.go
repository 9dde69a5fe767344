package httpapi

import (
	"net/http"
	"time"

	"matthan"
)

// The owner's sharing choice is checked wherever footage leaves the node:
// live view (now), and playback, thumbnails, HLS, clips and exports (the
// footage's own time). A refusal says why in the owner's terms.

// errNotShared is the EFORBIDDEN answer with the owner's reason.
func errNotShared(en, vi string) error { return matthan.Errorf(matthan.EFORBIDDEN, en, vi) }

// sharedAt checks one moment.
func sharedAt(c *matthan.Camera, access matthan.Access, at time.Time) error {
	if ok, en, vi := c.Allows(access, at); !ok {
		return errNotShared(en, vi)
	}
	return nil
}

// sharedRange checks footage of [from, to): every minute of it must be in
// the owner's windows (a camera without windows is checked once).
func sharedRange(c *matthan.Camera, from, to time.Time) error {
	if len(c.Sharing.Windows) == 0 || !to.After(from) {
		return sharedAt(c, matthan.AccessPlayback, from)
	}
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		if err := sharedAt(c, matthan.AccessPlayback, t); err != nil {
			return err
		}
	}
	return sharedAt(c, matthan.AccessPlayback, to.Add(-time.Nanosecond))
}

// playbackShared checks that camera id's footage of [from, to) may be played
// back (for one moment, from == to).
func (s *Server) playbackShared(r *http.Request, id string, from, to time.Time) error {
	c, err := s.deps.Store.Camera(r.Context(), id)
	if err != nil {
		return err
	}
	return sharedRange(c, from, to)
}
