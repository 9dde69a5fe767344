package export

import (
	"context"
	"time"

	"matthan"
	"matthan/internal/playback"
)

// openPlayback builds clips with internal/playback.
func openPlayback(ctx context.Context, index matthan.RecordingIndex, dir, cameraID string,
	stream matthan.StreamRole, from, to time.Time) (PlaybackClip, error) {
	c, err := playback.Open(ctx, index, dir, cameraID, stream, from, to)
	if err != nil {
		return nil, err
	}
	return c, nil
}
