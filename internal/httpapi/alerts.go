package httpapi

import (
	"net/http"

	"matthan"
)

// alertStore is where the signed-in user's alert subscription is kept:
// the node's Store, when it keeps them (the SQLite store does).
func (s *Server) alertStore() (matthan.AlertSubscriptionStore, error) {
	if st, ok := s.deps.Store.(matthan.AlertSubscriptionStore); ok {
		return st, nil
	}
	return nil, matthan.Errorf(matthan.ENOTFOUND, "This node does not keep alert settings",
		"Máy chủ này không lưu cài đặt cảnh báo")
}

// handleGetMyAlerts: GET /api/me/alerts, which analytics events alert the
// signed-in user live (the default when they never chose).
func (s *Server) handleGetMyAlerts(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.alertStore()
	if err != nil {
		return err
	}
	sub, err := st.AlertSubscription(r.Context(), u.Name)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, sub)
	return nil
}

// handlePutMyAlerts: PUT /api/me/alerts replaces the signed-in user's
// subscription with the body (every field; updated_at is ignored). A
// user changes only their own: the name comes from the sign-in.
func (s *Server) handlePutMyAlerts(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	st, err := s.alertStore()
	if err != nil {
		return err
	}
	var sub matthan.AlertSubscription
	if err := decodeJSON(w, r, &sub); err != nil {
		return err
	}
	sub.User = u.Name
	if err := st.SetAlertSubscription(r.Context(), &sub); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, &sub)
	return nil
}
