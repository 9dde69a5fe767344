package web

import (
	"net/http"

	"matthan"
)

// routes lists every page of the screen and who may open it. The data
// behind them comes from the JSON API (internal/httpapi), which checks
// roles again and audits every access to video.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /static/", static())
	mux.HandleFunc("GET /login", s.handleLogin)
	mux.HandleFunc("GET /events", s.handleEvents) // alerts for the banner on every page
	// Each page's routes are next to it.
	s.wallRoutes(mux)
	s.mapRoutes(mux)
	s.healthRoutes(mux)
	s.playbackRoutes(mux)
	s.cameraRoutes(mux)
	s.accountRoutes(mux)
	s.eventsPageRoutes(mux)
	s.rulesRoutes(mux)
	s.donationRoutes(mux) // the ledger, and the public /transparency page
	s.portalRoutes(mux)   // contributors: /my; the police: /approvals
	s.reminderRoutes(mux) // officers: /reminders
	s.caseRoutes(mux)     // officers: /cases, /cases/{id}
	s.reportRoutes(mux)   // officers and admins: /reports
	s.exportRoutes(mux)   // officers and admins: /exports
	s.privacyRoutes(mux)  // owners and officers: /privacy/{id}
}

func anyRole(matthan.Role) bool { return true }

func adminOnly(r matthan.Role) bool { return r == matthan.RoleAdmin }

// canPlayBack: recordings are for officers and admins; a viewer watches
// live only.
func canPlayBack(r matthan.Role) bool { return r == matthan.RoleAdmin || r == matthan.RoleOfficer }

// handleLogin shows the sign-in form; a signed-in user goes straight on.
// The form posts to the API's POST /api/session (internal/auth).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = "/"
	}
	if _, err := s.deps.User(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := s.newView(w, r, nil)
	v.Title, v.Data = v.T("login.title"), next
	s.render(w, r, "login", v)
}

// localPath reports whether p is a path on this site, so that ?next= cannot
// send a user elsewhere after signing in.
func localPath(p string) bool {
	return len(p) > 0 && p[0] == '/' && (len(p) == 1 || (p[1] != '/' && p[1] != '\\'))
}
