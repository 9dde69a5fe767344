package web

import "net/http"

// wallMessages are the texts of the wall page (keys "wall.…").
var wallMessages = map[string][2]string{}

func (s *Server) wallRoutes(mux *http.ServeMux) {}
