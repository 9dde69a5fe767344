package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
)

// parsePages builds one template set per page: layout.html with the page's
// file, which defines "content" (and may define "head" and "scripts").
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
