package httpapi

import "net/http"

// routes lists every route of the node's HTTP API. Keep it the one place a
// reader needs to see what the node serves and who may call it.
func (s *Server) routes(mux *http.ServeMux) {
	// Probes and scraping: no auth, they carry no personal data.
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.Handle("GET /metrics", s.metrics())

	// Camera registry. Reading is open to every role; reading the list is
	// not an access to video, so it is not audited. Changes are admin-only
	// and audited.
	mux.Handle("GET /api/cameras", s.auth(anyRole, s.handleListCameras))
	mux.Handle("POST /api/cameras", s.auth(adminOnly, s.handleCreateCamera))
	mux.Handle("GET /api/cameras/{id}", s.auth(anyRole, s.handleGetCamera))
	mux.Handle("PUT /api/cameras/{id}", s.auth(adminOnly, s.handleUpdateCamera))
	mux.Handle("DELETE /api/cameras/{id}", s.auth(adminOnly, s.handleDeleteCamera))
	mux.Handle("GET /api/cameras/{id}/health", s.auth(anyRole, s.handleCameraHealth))

	// Playback. Operators and admins watch recordings (a viewer watches live
	// only, matthan.RoleViewer); every clip, HLS session
	// (its playlist) and thumbnail is audited. HLS init and part URLs are
	// only valid as signed in the audited playlist, for the same user.
	mux.Handle("GET /api/cameras/{id}/recordings", s.auth(canPlayBack, s.handleRecordings))
	mux.Handle("GET /api/cameras/{id}/clip.mp4", s.auth(canPlayBack, s.handleClip))
	mux.Handle("GET /api/cameras/{id}/hls/index.m3u8", s.auth(canPlayBack, s.handleHLSPlaylist))
	mux.Handle("GET /api/cameras/{id}/hls/init.mp4", s.auth(canPlayBack, s.handleHLSInit))
	mux.Handle("GET /api/cameras/{id}/hls/part.m4s", s.auth(canPlayBack, s.handleHLSPart))
	mux.Handle("GET /api/cameras/{id}/thumbnail.jpg", s.auth(canPlayBack, s.handleThumbnail))

	// Recording health: a camera's continuity per day, and the disk.
	// Figures about recordings, not footage, so not audited.
	mux.Handle("GET /api/cameras/{id}/continuity", s.auth(canPlayBack, s.handleContinuity))
	mux.Handle("GET /api/storage", s.auth(canPlayBack, s.handleStorage))

	// Evidence. Locks keep footage from retention for a case; creating and
	// releasing one is audited (evidence.lock, evidence.unlock). Exports
	// are signed packages; making one is audited by internal/export
	// ("export", one row per camera), every download as export.download.
	mux.Handle("POST /api/cameras/{id}/locks", s.auth(canPlayBack, s.handleCreateLock))
	mux.Handle("GET /api/locks", s.auth(canPlayBack, s.handleListLocks))
	mux.Handle("POST /api/locks/{lockID}/release", s.auth(canPlayBack, s.handleReleaseLock))
	mux.Handle("POST /api/exports", s.auth(canPlayBack, s.handleCreateExport))
	mux.Handle("GET /api/exports", s.auth(canPlayBack, s.handleListExports))
	mux.Handle("GET /api/exports/{file}", s.auth(canPlayBack, s.handleDownloadExport)) // ID.zip

	mux.Handle("GET /api/presets", s.auth(anyRole, s.handlePresets))
	mux.Handle("GET /api/audit", s.auth(adminOnly, s.handleAudit))
}
