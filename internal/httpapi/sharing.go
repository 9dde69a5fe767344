package httpapi

import (
	"net/http"
	"slices"
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
// back by the signed-in user (for one moment, from == to).
func (s *Server) playbackShared(r *http.Request, id string, from, to time.Time) error {
	c, err := s.deps.Store.Camera(r.Context(), id)
	if err != nil {
		return err
	}
	err = sharedRange(c, from, to)
	if err != nil && s.granted(r, c, from, to) {
		return nil
	}
	return err
}

// granted reports whether the owner of an on-request camera granted the
// signed-in user a request that covers footage of [from, to].
func (s *Server) granted(r *http.Request, c *matthan.Camera, from, to time.Time) bool {
	return s.covers(s.grants(r, c), from, to)
}

// grants returns the requests for camera c that its owner granted the
// signed-in user; none unless c is shared on request and active: paused
// or revoked sharing ends every grant, the owner's last word wins.
func (s *Server) grants(r *http.Request, c *matthan.Camera) []*matthan.AccessRequest {
	u := userOf(r)
	if u == nil || c.Sharing.Mode != matthan.ShareOnRequest || !c.Active() || s.deps.AccessRequests == nil {
		return nil
	}
	list, err := s.deps.AccessRequests.AccessRequests(r.Context(), matthan.AccessRequestFilter{
		CameraID: c.ID, Requester: u.Name, Status: matthan.RequestGranted})
	if err != nil {
		s.log.ErrorContext(r.Context(), "access requests not read", "camera", c.ID, "err", err)
		return nil
	}
	return list
}

// covers reports whether one of grants covers footage of [from, to] now.
func (s *Server) covers(grants []*matthan.AccessRequest, from, to time.Time) bool {
	now := s.now()
	return slices.ContainsFunc(grants, func(a *matthan.AccessRequest) bool { return a.Covers(from, to, now) })
}
