package web

import "net/http"

// cameraMessages are the texts of the camera page (keys "camera.…").
var cameraMessages = map[string][2]string{}

func (s *Server) cameraRoutes(mux *http.ServeMux) {}
