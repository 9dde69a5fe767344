package ingest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"matthan"
)

// allStates are the states the matthan_stream_state gauge reports, one series each.
var allStates = []matthan.StreamState{
	matthan.StateConnecting, matthan.StateStreaming, matthan.StateStalled, matthan.StateOffline,
	matthan.StateAuthFailed, matthan.StateUnsupported, matthan.StateBadURL, matthan.StateDisabled,
}

// metric is one per-stream family of the exposition.
type metric struct {
	name, kind, help string
	value            func(st *matthan.StreamStatus) float64
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var streamMetrics = []metric{
	{"matthan_stream_up", "gauge", "1 when the stream is streaming, else 0.",
		func(st *matthan.StreamStatus) float64 { return boolValue(st.State == matthan.StateStreaming) }},
	{"matthan_stream_frames_total", "counter", "Video frames received since the node started.",
		func(st *matthan.StreamStatus) float64 { return float64(st.Stats.Frames) }},
	{"matthan_stream_bytes_total", "counter", "Payload bytes received since the node started.",
		func(st *matthan.StreamStatus) float64 { return float64(st.Stats.Bytes) }},
	{"matthan_stream_packets_lost_total", "counter", "RTP packets lost in transport.",
		func(st *matthan.StreamStatus) float64 { return float64(st.Stats.PacketsLost) }},
	{"matthan_stream_reconnects_total", "counter", "Session attempts after the first one.",
		func(st *matthan.StreamStatus) float64 { return float64(st.Stats.Reconnects) }},
	{"matthan_stream_skips_total", "counter", "Times a slow consumer was moved ahead to the next keyframe.",
		func(st *matthan.StreamStatus) float64 { return float64(st.Stats.Skips) }},
	{"matthan_stream_fps", "gauge", "Video frames per second over the last seconds.",
		func(st *matthan.StreamStatus) float64 { return st.Stats.FPS }},
	{"matthan_stream_bitrate_bits", "gauge", "Bits per second over the last seconds, video and audio.",
		func(st *matthan.StreamStatus) float64 { return st.Stats.Bitrate }},
	{"matthan_stream_keyframe_interval_seconds", "gauge", "Media time between the last two video keyframes.",
		func(st *matthan.StreamStatus) float64 { return st.Stats.KeyframeInterval }},
	{"matthan_stream_last_frame_timestamp_seconds", "gauge", "Unix time of the last video frame (0: none yet).",
		func(st *matthan.StreamStatus) float64 {
			if st.Stats.LastFrameAt.IsZero() {
				return 0
			}
			return float64(st.Stats.LastFrameAt.UnixMilli()) / 1000
		}},
}

// WriteMetrics writes every stream's figures and state in the Prometheus
// text exposition format (version 0.0.4).
func (m *Manager) WriteMetrics(w io.Writer) error {
	all := m.AllStatus()
	var b bytes.Buffer
	for _, mt := range streamMetrics {
		writeHeader(&b, mt.name, mt.kind, mt.help)
		for i := range all {
			st := &all[i]
			writeSample(&b, mt.name, st, "", mt.value(st))
		}
	}
	writeHeader(&b, "matthan_stream_state", "gauge", "1 for the state the stream is in, 0 for the others.")
	for i := range all {
		st := &all[i]
		for _, s := range allStates {
			writeSample(&b, "matthan_stream_state", st, s, boolValue(st.State == s))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ServeHTTP serves WriteMetrics, for /metrics.
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = m.WriteMetrics(w) // a failed write means the scraper left
}

func writeHeader(b *bytes.Buffer, name, kind, help string) {
	b.WriteString("# HELP " + name + " " + help + "\n")
	b.WriteString("# TYPE " + name + " " + kind + "\n")
}

func writeSample(b *bytes.Buffer, name string, st *matthan.StreamStatus, state matthan.StreamState, v float64) {
	b.WriteString(name)
	b.WriteString(`{camera="`)
	b.WriteString(escapeLabel(st.CameraID))
	b.WriteString(`",stream="`)
	b.WriteString(escapeLabel(string(st.Role)))
	if state != "" {
		b.WriteString(`",state="`)
		b.WriteString(escapeLabel(string(state)))
	}
	b.WriteString(`"} `)
	b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	b.WriteByte('\n')
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// escapeLabel escapes a label value as the exposition format requires.
func escapeLabel(s string) string { return labelEscaper.Replace(s) }
