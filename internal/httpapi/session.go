package httpapi

import (
	"net/http"
	"time"

	"matthan"
	"matthan/internal/auth"
)

// sessionView answers the session routes: who is signed in, how, and the
// CSRF token a page sends back in X-CSRF-Token.
type sessionView struct {
	User      *matthan.User  `json:"user"`
	Via       string         `json:"via"` // session, token or password
	Scopes    matthan.Scopes `json:"scopes"`
	CSRFToken string         `json:"csrf_token,omitempty"`
	Expires   *time.Time     `json:"expires,omitempty"`      // the session's absolute end
	IdleUntil *time.Time     `json:"idle_expires,omitempty"` // ends earlier if unused until then
}

func viewOfSession(u *matthan.User, sess *matthan.Session) sessionView {
	return sessionView{User: u, Via: "session", Scopes: matthan.RoleScopes(u.Role), CSRFToken: sess.CSRFToken,
		Expires: &sess.Expires, IdleUntil: &sess.IdleExpires}
}

// handleSignIn: POST /api/session {name, password} sets the session cookie.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	err := decodeJSON(w, r, &in)
	if err == nil && s.deps.Sessions == nil {
		err = errSignIn()
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, sess, err := s.deps.Sessions.SignInSession(r.Context(), w, r, in.Name, in.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, viewOfSession(u, sess))
}

// handleWhoAmI: GET /api/session.
func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if auth.Via(r) == "session" {
		_, sess, err := s.deps.Sessions.User(r)
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusOK, viewOfSession(u, sess))
		return nil
	}
	s.writeJSON(w, r, http.StatusOK, sessionView{User: u, Via: auth.Via(r), Scopes: scopesOf(r).Effective(u.Role)})
	return nil
}

// handleSignOut: DELETE /api/session ends this browser's session. A
// session that already ended only has its cookie cleared; a live one
// needs its CSRF token, so no other site can sign the officer out.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if s.deps.Sessions == nil {
		s.writeError(w, r, errSignIn())
		return
	}
	err := s.deps.Sessions.CheckCSRF(r)
	if err != nil && matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
		s.writeError(w, r, err)
		return
	}
	if err := s.deps.Sessions.SignOut(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleRevokeAll: POST /api/session/revoke-all signs the user out of every
// browser, this one included.
func (s *Server) handleRevokeAll(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	n, err := s.deps.Sessions.RevokeAll(r.Context(), u.Name, auth.RemoteHost(r))
	if err != nil {
		return err
	}
	if auth.ByCookie(r) {
		http.SetCookie(w, &http.Cookie{Name: auth.CookieName, Path: "/", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	s.writeJSON(w, r, http.StatusOK, map[string]int{"ended": n})
	return nil
}

// handleChangePassword: POST /api/session/password {current, new}. Every
// session of the user ends; this browser gets a new one (and CSRF token).
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sess, err := s.deps.Sessions.ChangePassword(r.Context(), w, r, u, in.Current, in.New)
	if err != nil {
		return err
	}
	if sess != nil {
		s.writeJSON(w, r, http.StatusOK, viewOfSession(u, sess))
		return nil
	}
	s.writeJSON(w, r, http.StatusOK, sessionView{User: u, Via: auth.Via(r), Scopes: scopesOf(r).Effective(u.Role)})
	return nil
}
