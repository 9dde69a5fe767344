package web

import "net/http"

// accountMessages are the texts of the account page (keys "account.…").
var accountMessages = map[string][2]string{}

func (s *Server) accountRoutes(mux *http.ServeMux) {}
