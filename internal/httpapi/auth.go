package httpapi

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"

	"matthan"
	"matthan/internal/auth"
)

// policy decides whether a request may call a route, from the user's role
// and the request's scopes (all of them for a session or a password, an
// API token's own otherwise). What counts is their intersection,
// Scopes.Effective.
type policy func(matthan.Role, matthan.Scopes) bool

// signedIn: the account routes are for everyone signed in.
func signedIn(r matthan.Role, s matthan.Scopes) bool { return len(s.Effective(r)) > 0 }

func adminOnly(r matthan.Role, s matthan.Scopes) bool {
	return s.Effective(r).Has(matthan.ScopeAdmin)
}

// canRead: the registry and health of every camera, for the ward's staff
// (every staff scope includes reading it: a live-only token must find its
// cameras); a contributor reads only their own (canOwn routes).
func canRead(r matthan.Role, s matthan.Scopes) bool {
	return slices.ContainsFunc(s.Effective(r), func(x matthan.Scope) bool { return x != matthan.ScopeOwn })
}

// canOwn: a contributor's own cameras.
func canOwn(r matthan.Role, s matthan.Scopes) bool { return s.Effective(r).Has(matthan.ScopeOwn) }

// canWatchLive: every role watches live, with the live scope.
func canWatchLive(r matthan.Role, s matthan.Scopes) bool {
	return s.Effective(r).Has(matthan.ScopeLive)
}

// canPlayBack: recordings are for officers and admins; a viewer watches
// live only.
func canPlayBack(r matthan.Role, s matthan.Scopes) bool {
	return s.Effective(r).Has(matthan.ScopePlayback)
}

// canExport: evidence packages, for officers and admins.
func canExport(r matthan.Role, s matthan.Scopes) bool {
	return s.Effective(r).Has(matthan.ScopeExport)
}

// authedHandler is a route handler that runs for a signed-in user. A
// returned error is answered through writeError.
type authedHandler func(w http.ResponseWriter, r *http.Request, u *matthan.User) error

type scopesKey struct{}

type userKey struct{}

// userOf returns the signed-in user of a request that passed auth.
func userOf(r *http.Request) *matthan.User {
	u, _ := r.Context().Value(userKey{}).(*matthan.User)
	return u
}

// scopesOf returns the scopes the request was signed in with.
func scopesOf(r *http.Request) matthan.Scopes {
	s, _ := r.Context().Value(scopesKey{}).(matthan.Scopes)
	return s
}

// auth wraps h with sign-in (session cookie with its CSRF token, API
// token, or HTTP Basic; auth.Sessions.Authenticate) and the policy.
func (s *Server) auth(allowed policy, h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Sessions == nil {
			s.writeError(w, r, errSignIn())
			return
		}
		u, scopes, err := s.deps.Sessions.Authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !allowed(u.Role, scopes) {
			s.writeError(w, r, matthan.Errorf(matthan.EFORBIDDEN,
				"Your role (or this API token's scopes) may not do this",
				"Vai trò của bạn (hoặc phạm vi của mã truy cập này) không được phép thực hiện thao tác này"))
			return
		}
		ctx := context.WithValue(r.Context(), scopesKey{}, scopes)
		r = r.WithContext(context.WithValue(ctx, userKey{}, u))
		if err := h(w, r, u); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func errSignIn() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"Sign in with a valid user name and password, a session or an API token",
		"Vui lòng đăng nhập bằng tên đăng nhập và mật khẩu, phiên đăng nhập hoặc mã truy cập hợp lệ")
}

// basicChallenge reports whether a 401 should invite HTTP Basic: not for
// the web UI (a request with a session cookie, a script's fetch, or
// signing in), where the browser's own password dialog would pop up over
// the page.
func basicChallenge(r *http.Request) bool {
	if _, err := r.Cookie(auth.CookieName); err == nil {
		return false
	}
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" && m != "navigate" {
		return false
	}
	return r.URL.Path != "/api/session"
}

// metricsGuard lets a scraper in with an API token of any scope, or from
// the node itself (loopback).
func (s *Server) metricsGuard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Metrics == nil || isLoopback(r) {
			h.ServeHTTP(w, r)
			return
		}
		bearer := strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ")
		if !bearer || s.deps.Sessions == nil {
			s.writeError(w, r, matthan.Errorf(matthan.EUNAUTHORIZED,
				"Metrics need an API token (Authorization: Bearer mt_…) or a request from the node itself",
				"Số liệu giám sát cần mã truy cập (Authorization: Bearer mt_…) hoặc yêu cầu từ chính nút"))
			return
		}
		if _, _, err := s.deps.Sessions.Authenticate(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func isLoopback(r *http.Request) bool {
	ip := net.ParseIP(auth.RemoteHost(r))
	return ip != nil && ip.IsLoopback()
}
