package web

import "net/http"

// mapMessages are the texts of the map page (keys "map.…").
var mapMessages = map[string][2]string{}

func (s *Server) mapRoutes(mux *http.ServeMux) {}
