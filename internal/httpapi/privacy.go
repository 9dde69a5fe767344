package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"matthan"
	"matthan/internal/playback"
	"matthan/internal/privacy"
)

// Privacy masks: parts of a camera's picture nobody may see (a
// neighbour's window). The camera's owner or the police draw them; exports
// and snapshots are re-encoded with them painted over, and live view and
// playback draw them over the video. A change is audited on the camera,
// so the owner sees it.

// masksInput is the body of PUT …/privacy-masks.
type masksInput struct {
	Masks []matthan.PrivacyMask `json:"masks"`
}

// PUT /api/cameras/{id}/privacy-masks: an officer or admin sets the masks.
func (s *Server) handleSetPrivacyMasks(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	c, err := s.deps.Store.Camera(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.setPrivacyMasks(w, r, u, c)
}

// PUT /api/my/cameras/{id}/privacy-masks: the owner sets their camera's.
func (s *Server) handleSetMyPrivacyMasks(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	c, err := s.ownCamera(r, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.setPrivacyMasks(w, r, u, c)
}

func (s *Server) setPrivacyMasks(w http.ResponseWriter, r *http.Request, u *matthan.User, c *matthan.Camera) error {
	var in masksInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := matthan.ValidatePrivacyMasks(in.Masks); err != nil {
		return err
	}
	c.PrivacyMasks = in.Masks
	if err := s.deps.Store.UpdateCamera(r.Context(), c); err != nil {
		return fmt.Errorf("set privacy masks: %w", err)
	}
	// Not s.changed: masks change no stream, so ingest need not restart.
	s.auditEvidence(r, u, "camera.privacy_masks", c.ID, fmt.Sprintf("masks=%d", len(in.Masks)))
	s.writeJSON(w, r, http.StatusOK, s.view(c))
	return nil
}

// GET /api/my/cameras/{id}/still.jpg: the latest recorded picture of the
// owner's own camera, to draw its masks on: unmasked, since the owner must
// see what they hide (it is their own camera). Audited, as every picture is.
func (s *Server) handleMyStill(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	c, err := s.ownCamera(r, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.deps.Recordings == nil {
		return errRecordingsOff()
	}
	last, err := s.deps.Recordings.LastSegment(r.Context(), c.ID, matthan.StreamMain)
	if err != nil {
		return matthan.Errorf(matthan.ENOTFOUND, "This camera has recorded nothing yet", "Camera này chưa ghi hình")
	}
	at := last.End.Add(-time.Second)
	if at.Before(last.Start) {
		at = last.Start
	}
	jpeg, err := playback.Thumbnail(r.Context(), s.deps.Recordings, s.deps.RecordingsDir, c.ID, matthan.StreamMain, at,
		playback.ThumbnailOptions{FFmpeg: s.deps.FFmpeg, Width: 960})
	if err != nil {
		return err
	}
	s.auditEvidence(r, u, "owner.still", c.ID, "at="+at.UTC().Format(time.RFC3339Nano))
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(jpeg)
	return nil
}

// maskSnapshot paints camera id's privacy masks over a JPEG snapshot before
// it leaves the node. It fails closed: a snapshot that cannot be masked is
// not served. A camera deleted since keeps no masks to apply.
func (s *Server) maskSnapshot(ctx context.Context, id string, jpeg []byte) ([]byte, error) {
	c, err := s.deps.Store.Camera(ctx, id)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		return jpeg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("privacy masks of %s: %w", id, err)
	}
	return privacy.MaskJPEG(jpeg, c.PrivacyMasks)
}
