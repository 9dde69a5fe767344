package live

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var staticFiles embed.FS

// Static serves the browser player (player.js, an ES module with no
// dependencies). It serves files by their base name, so it works mounted
// at /live/ with or without http.StripPrefix.
func Static() http.Handler {
	files, _ := fs.Sub(staticFiles, "static") // the directory is embedded: never fails
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Base(r.URL.Path)
		if _, err := fs.Stat(files, name); err != nil || name == "." || name == "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache") // revalidate: the player changes with the binary
		r2 := *r
		u := *r.URL
		u.Path = "/" + name
		r2.URL = &u
		fileServer.ServeHTTP(w, &r2)
	})
}
