// Package httpapi serves the node's JSON API: the camera registry, brand
// presets, health history and the audit log, playback of recordings (spans
// and gaps, MP4 clips, HLS, thumbnails), evidence locks and evidence
// export, continuity reports and the storage forecast, plus /healthz and
// /metrics.
//
// Every response body is JSON (except /healthz and /metrics); errors have the
// shape {"error": {"code", "message", "message_vi", "fields": [...]}}.
// Camera passwords are write-only: accepted in requests, never returned, and
// stream URLs are returned redacted.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"matthan"
	"matthan/internal/auth"
	"matthan/internal/export"
	"matthan/internal/report"
	"matthan/internal/retention"
)

// StatusSource reports the live health and figures of a camera's streams.
// The ingest manager implements it.
type StatusSource interface {
	Status(cameraID string) []matthan.StreamStatus
}

// Deps is what the API needs from the rest of the node.
type Deps struct {
	Store  matthan.Store
	Status StatusSource // nil: every stream shows as connecting
	// OnCameraChanged is called after a camera was created, updated or
	// deleted, so ingest can (re)start or stop its streams. May be nil.
	OnCameraChanged func(id string)
	Metrics         http.Handler // served at /metrics; nil answers 404
	// Sessions signs requests in (session cookie, API token, HTTP Basic)
	// and does the account operations; nil means auth.NewSessions over
	// Store with the defaults (Store must then be an auth.Store).
	Sessions *auth.Sessions
	Log      *slog.Logger // nil discards
	Now      func() time.Time

	// Recordings is the index of recorded segments and gaps, and
	// RecordingsDir the directory their paths are below; with a nil
	// Recordings the playback routes answer 404.
	Recordings    matthan.RecordingIndex
	RecordingsDir string
	// FFmpeg is the ffmpeg binary thumbnails are decoded with; "" means
	// "ffmpeg" on PATH.
	FFmpeg string

	// Exports makes and keeps evidence packages (export.Export with these
	// Deps; packages are kept in Exports.ExportDir). nil: the export
	// routes answer 404.
	Exports *export.Deps
	// Storage forecasts disk use and holds the storage alarms (the node's
	// retention). nil: /api/storage answers 404.
	Storage StorageSource
	// Clocks says how far each camera's clock is from the node's (the
	// recorder). nil: no clock_offset_ms is shown.
	Clocks ClockSource
	// Live serves live video to browsers; nil: the live routes answer 404.
	Live LiveSource
	// Boxes gives what analytics sees on each camera now; nil: 404.
	Boxes BoxesSource
	// AnalyticsSettings keeps each camera's zones and rules (nil: the
	// settings routes answer 404); OnAnalyticsChanged is called after a
	// camera's settings changed, so its analysis restarts with them.
	AnalyticsSettings  matthan.AnalyticsSettingsStore
	OnAnalyticsChanged func(id string)
	// Events keeps analytics events and their reviews, and EventsDir is
	// the directory their snapshot paths are below; nil: the event routes
	// answer 404.
	Events    matthan.EventStore
	EventsDir string
	// Donations is the donation ledger (xã hội hóa) and the ward's names
	// for its thank-you letters; nil: the ledger routes answer 404.
	Donations *Donations
	// Reminders are officers' reminders to camera owners (reminders.go);
	// nil: the reminder routes answer 404.
	Reminders *Reminders
	// Cases are the ward's cases (vụ việc, cases.go); nil: the case
	// routes answer 404.
	Cases *Cases
	// AccessRequests are officers' requests for footage of cameras shared
	// on request, and the owners' answers; nil: those routes answer 404
	// and such cameras are shown to nobody.
	AccessRequests matthan.AccessRequestStore
	// Reports sums the ward's monthly and quarterly reports
	// (ward_reports.go); nil: those routes answer 404.
	Reports report.Source
}

// StorageSource is what /api/storage shows; *retention.Retention is one.
type StorageSource interface {
	Forecast(ctx context.Context) (retention.Forecast, error)
	Alarms() []retention.Alarm
}

// ClockSource measures camera clocks; *recorder.Recorder is one. ok is
// false while a stream's offset is unknown.
type ClockSource interface {
	ClockOffset(cameraID string, role matthan.StreamRole) (offset time.Duration, ok bool)
}

// Server is the HTTP API. It holds no goroutines and no state of its own.
type Server struct {
	deps    Deps
	log     *slog.Logger
	now     func() time.Time
	handler http.Handler
	hlsKey  []byte // signs HLS part URLs; new at each start
}

// maxBodyBytes bounds request bodies; a camera is a few KiB at most.
const maxBodyBytes = 1 << 20

// New returns a Server for deps.
func New(deps Deps) *Server {
	s := &Server{deps: deps, log: deps.Log, now: deps.Now, hlsKey: make([]byte, 32)}
	rand.Read(s.hlsKey) // never fails (crypto/rand)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if st, ok := deps.Store.(auth.Store); ok && s.deps.Sessions == nil {
		s.deps.Sessions = auth.NewSessions(st, auth.Config{Now: s.now, Log: s.log})
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = mux
	return s
}

// Handler returns the API's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}

func (s *Server) metrics() http.Handler {
	if s.deps.Metrics != nil {
		return s.deps.Metrics
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, matthan.Errorf(matthan.ENOTFOUND, "Metrics are not enabled", "Chưa bật số liệu giám sát"))
	})
}

// httpStatus is the one table from domain error codes to HTTP status.
func httpStatus(code string) int {
	switch code {
	case matthan.EINVALID:
		return http.StatusBadRequest
	case matthan.ENOTFOUND:
		return http.StatusNotFound
	case matthan.ECONFLICT:
		return http.StatusConflict
	case matthan.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case matthan.EFORBIDDEN:
		return http.StatusForbidden
	case matthan.ETOOMANY:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// internalError is what a client sees for an error we did not classify; the
// real error is only logged, since it may describe internals.
func internalError() *matthan.Error {
	return matthan.Errorf(matthan.EINTERNAL,
		"Internal server error; the node's log has the details",
		"Lỗi nội bộ của máy chủ; chi tiết có trong nhật ký của nút")
}

// writeError answers with err mapped through httpStatus. Unclassified errors
// are logged here, once, and hidden from the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *matthan.Error
	if !errors.As(err, &e) || httpStatus(e.Code) == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "request failed",
			"method", r.Method, "path", r.URL.Path, "err", err)
		e = internalError()
	}
	if e.Code == matthan.EUNAUTHORIZED && basicChallenge(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="matthan"`)
	}
	if wait, ok := auth.IsLimited(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	s.writeJSON(w, r, httpStatus(e.Code), struct {
		Error *matthan.Error `json:"error"`
	}{e})
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Our own types always marshal; reaching here is a programming error.
		s.log.ErrorContext(r.Context(), "encode response", "path", r.URL.Path, "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"Internal server error","message_vi":"Lỗi nội bộ của máy chủ"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// remoteHost is the client's address for the audit log, without the port.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
