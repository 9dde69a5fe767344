package httpapi

import (
	"fmt"
	"net/http"

	"matthan"
)

// policy decides whether a role may call a route.
type policy func(matthan.Role) bool

func anyRole(r matthan.Role) bool {
	return r == matthan.RoleAdmin || r == matthan.RoleOfficer || r == matthan.RoleViewer
}

func adminOnly(r matthan.Role) bool { return r == matthan.RoleAdmin }

// canPlayBack: recordings are for operators and admins; a viewer watches live only.
func canPlayBack(r matthan.Role) bool { return r == matthan.RoleAdmin || r == matthan.RoleOfficer }

// authedHandler is a route handler that runs for a signed-in user. A
// returned error is answered through writeError.
type authedHandler func(w http.ResponseWriter, r *http.Request, u *matthan.User) error

// auth wraps h with HTTP Basic sign-in against the store's users and a role
// check.
func (s *Server) auth(allowed policy, h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !allowed(u.Role) {
			s.writeError(w, r, matthan.Errorf(matthan.EFORBIDDEN,
				"Your role may not do this",
				"Vai trò của bạn không được phép thực hiện thao tác này"))
			return
		}
		if err := h(w, r, u); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func errSignIn() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"Sign in with a valid user name and password",
		"Vui lòng đăng nhập bằng tên đăng nhập và mật khẩu hợp lệ")
}

func (s *Server) authenticate(r *http.Request) (*matthan.User, error) {
	name, pw, ok := r.BasicAuth()
	if !ok || name == "" {
		return nil, errSignIn()
	}
	u, err := s.deps.Users.Authenticate(r.Context(), name, pw)
	if matthan.ErrorCode(err) == matthan.EUNAUTHORIZED {
		// The user name is not logged: people type passwords into it.
		s.log.WarnContext(r.Context(), "sign-in failed", "remote", remoteHost(r))
		return nil, errSignIn()
	} else if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return u, nil
}
