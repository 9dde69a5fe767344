package httpapi

import (
	"net/http"
	"strconv"

	"matthan"
	"matthan/internal/auth"
)

func actor(r *http.Request, u *matthan.User) auth.Actor {
	return auth.Actor{User: u.Name, Remote: auth.RemoteHost(r)}
}

// handleListUsers: GET /api/users (admin).
func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	users, err := s.deps.Store.Users(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, users)
	return nil
}

// handleCreateUser: POST /api/users {name, role, password} (admin).
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in struct {
		Name     string       `json:"name"`
		Role     matthan.Role `json:"role"`
		Password string       `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	created, err := s.deps.Sessions.CreateUser(r.Context(), actor(r, u), in.Name, in.Role, in.Password)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, created)
	return nil
}

// handleUpdateUser: PUT /api/users/{name} {role, password}, either or both
// (admin). A new password ends the user's sessions; the last admin keeps
// the role.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in struct {
		Role     matthan.Role `json:"role"`
		Password string       `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	updated, err := s.deps.Sessions.UpdateUser(r.Context(), actor(r, u), r.PathValue("name"),
		auth.UserChange{Role: in.Role, Password: in.Password})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, updated)
	return nil
}

// handleDeleteUser: DELETE /api/users/{name} (admin), not the last admin.
func (s *Server) handleDeleteUser(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	if err := s.deps.Sessions.DeleteUser(r.Context(), actor(r, u), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// canAdmin reports whether the request may manage others' tokens.
func canAdmin(r *http.Request, u *matthan.User) bool {
	return scopesOf(r).Effective(u.Role).Has(matthan.ScopeAdmin)
}

// handleListTokens: GET /api/tokens: one's own; an admin sees everyone's.
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	owner := u.Name
	if canAdmin(r, u) {
		owner = r.URL.Query().Get("user") // "" lists all
	}
	toks, err := s.deps.Sessions.Tokens(r.Context(), owner)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, toks)
	return nil
}

// handleCreateToken: POST /api/tokens {name, scopes, expires ("90d"),
// user (admin only)}. The answer's "token" is the secret, shown this once.
// A token never gets more than the request that makes it has.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in struct {
		Name    string   `json:"name"`
		Scopes  []string `json:"scopes"`
		Expires string   `json:"expires"` // a lifetime: 90d, 12h; "" never expires
		User    string   `json:"user"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	scopes, err := matthan.ParseScopes(in.Scopes)
	if err != nil {
		return err
	}
	req := auth.TokenRequest{User: u.Name, Name: in.Name, Scopes: scopes}
	if in.User != "" && in.User != u.Name {
		if !canAdmin(r, u) {
			return matthan.Errorf(matthan.EFORBIDDEN,
				"Only an admin makes tokens for other users", "Chỉ quản trị viên mới tạo mã truy cập cho người khác")
		}
		req.User = in.User
	} else {
		mine := scopesOf(r).Effective(u.Role)
		for _, x := range scopes {
			if !mine.Has(x) {
				return matthan.Errorf(matthan.EFORBIDDEN,
					"A token cannot have a scope this request lacks: "+string(x),
					"Mã truy cập không thể có phạm vi mà yêu cầu này không có: "+string(x))
			}
		}
	}
	if in.Expires != "" {
		d, err := auth.ParseTTL(in.Expires)
		if err != nil {
			return err
		}
		req.ExpiresAt = s.now().Add(d)
	}
	secret, t, err := s.deps.Sessions.CreateToken(r.Context(), actor(r, u), req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, struct {
		Token string `json:"token"`
		*matthan.APIToken
	}{secret, t})
	return nil
}

// handleRevokeToken: DELETE /api/tokens/{id}: one's own; an admin any.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return matthan.Errorf(matthan.ENOTFOUND, "API token not found", "Không tìm thấy mã truy cập")
	}
	owner := u.Name
	if canAdmin(r, u) {
		owner = ""
	}
	if err := s.deps.Sessions.RevokeToken(r.Context(), actor(r, u), id, owner); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
