package web

import "net/http"

// healthMessages are the texts of the health page (keys "health.…").
var healthMessages = map[string][2]string{}

func (s *Server) healthRoutes(mux *http.ServeMux) {}
