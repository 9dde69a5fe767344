package matthan

import "time"

// StreamError says why a stream session could not start or ended, classified
// into the state the health machine moves to. Sources (internal/rtsp) return
// it; the ingest supervisor acts on State.
type StreamError struct {
	State    StreamState // StateOffline, StateAuthFailed, StateUnsupported, StateBadURL, StateStalled
	Reason   string      // English, safe to show: never contains a password
	ReasonVI string      // Vietnamese
	Err      error       // underlying cause, for logs (must not contain a password either)
}

func (e *StreamError) Error() string { return e.Reason }
func (e *StreamError) Unwrap() error { return e.Err }

// StreamStats are a stream's live figures.
type StreamStats struct {
	Codec            string    `json:"codec"` // "H264", "H265"; "" until known
	Width            int       `json:"width"`
	Height           int       `json:"height"`
	Audio            string    `json:"audio,omitempty"` // "AAC", "G711", or ""
	FPS              float64   `json:"fps"`
	Bitrate          float64   `json:"bitrate"`           // bits per second, video and audio
	KeyframeInterval float64   `json:"keyframe_interval"` // seconds between video keyframes
	Frames           uint64    `json:"frames"`            // video frames since the node started
	Bytes            uint64    `json:"bytes"`             // payload bytes since the node started
	PacketsLost      uint64    `json:"packets_lost"`
	Reconnects       uint64    `json:"reconnects"`
	Skips            uint64    `json:"skips"` // times a slow consumer was moved to the next keyframe
	LastFrameAt      time.Time `json:"last_frame_at"`
}

// StreamStatus is a stream's health and figures at one moment.
type StreamStatus struct {
	CameraID string     `json:"camera_id"`
	Role     StreamRole `json:"role"`
	Health
	Stats StreamStats `json:"stats"`
}
