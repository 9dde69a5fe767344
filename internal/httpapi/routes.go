package httpapi

import "net/http"

// routes lists every route of the node's HTTP API. Keep it the one place a
// reader needs to see what the node serves and who may call it.
func (s *Server) routes(mux *http.ServeMux) {
	// Probes and scraping carry no personal data: /healthz is open, /metrics
	// takes an API token of any scope or a client on the node itself.
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.Handle("GET /metrics", s.metricsGuard(s.metrics())) // an API token, or loopback

	// Camera registry. Reading is open to every role; reading the list is
	// not an access to video, so it is not audited. Changes are admin-only
	// and audited.
	mux.Handle("GET /api/cameras", s.auth(canRead, s.handleListCameras))
	mux.Handle("POST /api/cameras", s.auth(adminOnly, s.handleCreateCamera))
	mux.Handle("GET /api/cameras/{id}", s.auth(canRead, s.handleGetCamera))
	mux.Handle("PUT /api/cameras/{id}", s.auth(adminOnly, s.handleUpdateCamera))
	mux.Handle("DELETE /api/cameras/{id}", s.auth(adminOnly, s.handleDeleteCamera))
	mux.Handle("GET /api/cameras/{id}/health", s.auth(canRead, s.handleCameraHealth))
	mux.Handle("POST /api/cameras/test", s.auth(adminOnly, s.handleTestCamera))          // one test connection, audited
	mux.Handle("POST /api/cameras/{id}/approval", s.auth(canPlayBack, s.handleApproval)) // the police approve a contributed camera

	// A contributor's own cameras (contributors.go): register, share, see every access.
	mux.Handle("GET /api/my/cameras", s.auth(canOwn, s.handleMyCameras))
	mux.Handle("POST /api/my/cameras", s.auth(canOwn, s.handleRegisterCamera))
	mux.Handle("PUT /api/my/cameras/{id}/sharing", s.auth(canOwn, s.handleSetSharing))
	mux.Handle("GET /api/my/access", s.auth(canOwn, s.handleMyAccess))
	// Privacy masks (privacy.go): drawn by the owner or the police, audited.
	mux.Handle("PUT /api/cameras/{id}/privacy-masks", s.auth(canPlayBack, s.handleSetPrivacyMasks))
	mux.Handle("PUT /api/my/cameras/{id}/privacy-masks", s.auth(canOwn, s.handleSetMyPrivacyMasks))
	mux.Handle("GET /api/my/cameras/{id}/still.jpg", s.auth(canOwn, s.handleMyStill)) // to draw them on
	// Footage of a camera shared on request (access_requests.go): officers
	// ask, the owner grants, refuses or revokes; every step audited.
	mux.Handle("POST /api/cameras/{id}/access-requests", s.auth(canPlayBack, s.handleCreateAccessRequest))
	mux.Handle("GET /api/access-requests", s.auth(canPlayBack, s.handleListAccessRequests))
	mux.Handle("GET /api/my/access-requests", s.auth(canOwn, s.handleMyAccessRequests))
	mux.Handle("POST /api/my/access-requests/{id}/{answer}", s.auth(canOwn, s.handleDecideAccessRequest)) // grant, refuse, revoke

	// Live video in the browser (internal/live). Every role watches live;
	// each view is audited (live.webrtc, live.mse) before video flows.
	mux.Handle("POST /api/cameras/{id}/live/{stream}/whep", s.auth(canWatchLive, s.handleWHEP))
	mux.Handle("GET /api/cameras/{id}/live/{stream}/mse", s.auth(canWatchLive, s.handleMSE))
	mux.Handle("DELETE /api/live/sessions/{sid}", s.auth(canWatchLive, s.handleWHEPDelete))
	mux.Handle("GET /api/cameras/{id}/analytics", s.auth(canWatchLive, s.handleLiveBoxes)) // boxes over live video
	// Zones, lines, masks and rules: officers tune them, every change audited.
	mux.Handle("GET /api/cameras/{id}/analytics/settings", s.auth(canPlayBack, s.handleGetAnalyticsSettings))
	mux.Handle("PUT /api/cameras/{id}/analytics/settings", s.auth(canPlayBack, s.handlePutAnalyticsSettings))
	mux.Handle("DELETE /api/cameras/{id}/analytics/settings", s.auth(canPlayBack, s.handleDeleteAnalyticsSettings))

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
	mux.Handle("POST /api/exports", s.auth(canExport, s.handleCreateExport))
	mux.Handle("GET /api/exports", s.auth(canExport, s.handleListExports))
	mux.Handle("GET /api/exports/{file}", s.auth(canExport, s.handleDownloadExport)) // ID.zip

	// Sign-in and accounts (internal/auth): the session cookie with its
	// CSRF token, API tokens, users. Each change is audited.
	mux.HandleFunc("POST /api/session", s.handleSignIn) // rate-limited
	mux.Handle("GET /api/session", s.auth(signedIn, s.handleWhoAmI))
	mux.HandleFunc("DELETE /api/session", s.handleSignOut)
	mux.Handle("POST /api/session/revoke-all", s.auth(signedIn, s.handleRevokeAll))
	mux.Handle("POST /api/session/password", s.auth(signedIn, s.handleChangePassword))
	mux.Handle("GET /api/users", s.auth(adminOnly, s.handleListUsers))
	mux.Handle("POST /api/users", s.auth(adminOnly, s.handleCreateUser))
	mux.Handle("PUT /api/users/{name}", s.auth(adminOnly, s.handleUpdateUser))
	mux.Handle("DELETE /api/users/{name}", s.auth(adminOnly, s.handleDeleteUser))
	mux.Handle("GET /api/tokens", s.auth(signedIn, s.handleListTokens))
	mux.Handle("POST /api/tokens", s.auth(signedIn, s.handleCreateToken))
	mux.Handle("DELETE /api/tokens/{id}", s.auth(signedIn, s.handleRevokeToken))
	// Which analytics events alert the signed-in user live (alerts.go):
	// their own choice only; a preference, not an access, so not audited.
	mux.Handle("GET /api/me/alerts", s.auth(signedIn, s.handleGetMyAlerts))
	mux.Handle("PUT /api/me/alerts", s.auth(signedIn, s.handlePutMyAlerts))

	// Analytics events and the review queue (events.go), for officers and
	// admins: a snapshot shows people, so each view is audited
	// (event.snapshot), and so is each review (event.review).
	mux.Handle("GET /api/events", s.auth(canPlayBack, s.handleListEvents))
	mux.Handle("GET /api/events/{id}", s.auth(canPlayBack, s.handleGetEvent))
	mux.Handle("GET /api/events/{id}/snapshot.jpg", s.auth(canPlayBack, s.handleEventSnapshot))
	mux.Handle("POST /api/events/{id}/review", s.auth(canPlayBack, s.handleReviewEvent))

	// The donation ledger (xã hội hóa, donations.go): donors and their
	// contacts are read by admins and officers; the administrator keeps the
	// books, every change audited (donation.*, cost.*). The public sees
	// only totals, on the web's /transparency page.
	mux.Handle("GET /api/donations", s.auth(canReadLedger, s.handleListDonations))
	mux.Handle("POST /api/donations", s.auth(adminOnly, s.handleCreateDonation))
	mux.Handle("GET /api/donations/totals", s.auth(canReadLedger, s.handleLedgerTotals))
	mux.Handle("GET /api/donations/{id}", s.auth(canReadLedger, s.handleGetDonation))
	mux.Handle("PUT /api/donations/{id}", s.auth(adminOnly, s.handleUpdateDonation))
	mux.Handle("DELETE /api/donations/{id}", s.auth(adminOnly, s.handleDeleteDonation))
	mux.Handle("GET /api/donations/{id}/letter.pdf", s.auth(canReadLedger, s.handleDonationLetter))
	mux.Handle("GET /api/costs", s.auth(canReadLedger, s.handleListCosts))
	mux.Handle("POST /api/costs", s.auth(adminOnly, s.handleCreateCost))
	mux.Handle("GET /api/costs/{id}", s.auth(canReadLedger, s.handleGetCost))
	mux.Handle("PUT /api/costs/{id}", s.auth(adminOnly, s.handleUpdateCost))
	mux.Handle("DELETE /api/costs/{id}", s.auth(adminOnly, s.handleDeleteCost))

	// Reminders to camera owners (reminders.go): officers send, list and
	// follow up (each audited: reminder.send, reminder.follow-up); the
	// recipient reads and acknowledges their own (reminder.ack); the notice
	// and snapshot are for both, each view audited.
	mux.Handle("POST /api/reminders", s.auth(canPlayBack, s.handleCreateReminder))
	mux.Handle("GET /api/reminders", s.auth(canPlayBack, s.handleListReminders))
	mux.Handle("GET /api/reminders/{id}", s.auth(canPlayBack, s.handleGetReminder))
	mux.Handle("POST /api/reminders/{id}/follow-up", s.auth(canPlayBack, s.handleFollowUpReminder))

	// Cases (vụ việc, cases.go), for officers and admins: each action is
	// kept in the case's log and audited (case.*); footage attached to a
	// case is locked while it is open and for keep_days after it closes.
	mux.Handle("POST /api/cases", s.auth(canPlayBack, s.handleCreateCase))
	mux.Handle("GET /api/cases", s.auth(canPlayBack, s.handleListCases))
	mux.Handle("GET /api/cases/{id}", s.auth(canPlayBack, s.handleGetCase))
	mux.Handle("POST /api/cases/{id}/items", s.auth(canPlayBack, s.handleAddCaseItem))
	mux.Handle("DELETE /api/cases/{id}/items/{item}", s.auth(canPlayBack, s.handleRemoveCaseItem))
	mux.Handle("POST /api/cases/{id}/close", s.auth(canPlayBack, s.handleCloseCase))
	mux.Handle("POST /api/cases/{id}/reopen", s.auth(canPlayBack, s.handleReopenCase))
	mux.Handle("POST /api/cases/{id}/exports", s.auth(canExport, s.handleCaseExport))
	// The ward's monthly or quarterly report (ward_reports.go), for staff; CSV and PDF downloads audited (report.csv, report.pdf).
	mux.Handle("GET /api/reports/ward", s.auth(canReadLedger, s.handleWardReport))
	mux.Handle("GET /api/reports/ward.csv", s.auth(canReadLedger, s.handleWardReportCSV))
	mux.Handle("GET /api/reports/ward.pdf", s.auth(canReadLedger, s.handleWardReportPDF))
	mux.Handle("GET /api/reminders/{id}/notice.pdf", s.auth(signedIn, s.handleReminderNotice))     // staff, or the recipient
	mux.Handle("GET /api/reminders/{id}/snapshot.jpg", s.auth(signedIn, s.handleReminderSnapshot)) // staff, or the recipient
	mux.Handle("GET /api/my/reminders", s.auth(canOwn, s.handleMyReminders))
	mux.Handle("GET /api/my/reminders/{id}", s.auth(canOwn, s.handleGetReminder))
	mux.Handle("POST /api/my/reminders/{id}/ack", s.auth(canOwn, s.handleAckReminder))

	mux.Handle("GET /api/presets", s.auth(canRead, s.handlePresets))
	mux.Handle("GET /api/audit", s.auth(adminOnly, s.handleAudit))
}
