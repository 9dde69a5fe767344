package web

import "net/http"

// playbackMessages are the texts of the playback page (keys "playback.…").
var playbackMessages = map[string][2]string{}

func (s *Server) playbackRoutes(mux *http.ServeMux) {}
