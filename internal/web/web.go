// Package web serves the police post's screen: server-rendered pages in
// Vietnamese first (English by a switch), with small scripts that call the
// JSON API (internal/httpapi) and play live video (internal/live). Every
// template and asset is embedded, so the screen works on a LAN with no
// internet.
package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"matthan"
	"matthan/internal/report"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// StatusSource reports the live health and figures of a camera's streams
// (the ingest manager).
type StatusSource interface {
	Status(cameraID string) []matthan.StreamStatus
}

// Deps is what the pages need from the rest of the node.
type Deps struct {
	Store  matthan.Store
	Status StatusSource // nil: streams show as connecting
	// Recordings is the index of recorded segments and gaps (nil: no
	// uptime figures).
	Recordings matthan.RecordingIndex
	Bus        matthan.Bus // health events for the alert banner; nil: none
	// Layouts keeps each user's saved wall layouts (nil: none can be saved).
	Layouts LayoutStore
	// AnalyticsSettings keeps each camera's zones and rules (nil: every
	// camera shows the defaults); AnalyticsOn says whether the node
	// analyses at all, so the rules pages can say when they do not apply.
	AnalyticsSettings matthan.AnalyticsSettingsStore
	// Reports sums the ward's reports (/reports); nil: the page says the
	// node makes none.
	Reports report.Source
	// ExportDir is where the node keeps its evidence packages (/exports);
	// "": the page says it keeps none.
	ExportDir   string
	AnalyticsOn bool
	// AccessRequests are the police's requests for footage, counted in an
	// owner's nav while they wait for an answer; nil: not counted.
	AccessRequests matthan.AccessRequestStore
	// Alerts keeps each user's choice of which analytics events alert
	// them (the banner, desktop notifications); nil: everyone gets
	// matthan.DefaultAlertSubscription. The account page saves the choice
	// through the API (PUT /api/me/alerts).
	Alerts matthan.AlertSubscriptionStore
	// Donations is the donation ledger and the ward's name (nil: the
	// ledger page and the public /transparency page say none is kept).
	Donations *Donations

	// User returns the signed-in user of a request (the session cookie),
	// or an EUNAUTHORIZED error. CSRFToken is that session's token, which
	// pages hand to their scripts for the API's unsafe methods.
	User      func(r *http.Request) (*matthan.User, error)
	CSRFToken func(r *http.Request) string

	// TileURL is the map's tile server, e.g.
	// "https://tile.openstreetmap.org/{z}/{x}/{y}.png"; "" draws cameras on
	// a plain background with area outlines.
	TileURL string
	Log     *slog.Logger
	Now     func() time.Time
}

// Server renders the pages. It holds no goroutines of its own; each alert
// stream (/events) lives as long as its request.
type Server struct {
	deps    Deps
	log     *slog.Logger
	now     func() time.Time
	pages   map[string]*template.Template
	handler http.Handler
}

// New parses the templates (a broken template fails here, at start, not on
// a request) and returns the Server.
func New(deps Deps) (*Server, error) {
	s := &Server{deps: deps, log: deps.Log, now: deps.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = mux
	return s, nil
}

// Handler returns the pages' HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// static serves the embedded scripts, styles and images. They change only
// with the binary, so browsers may cache them for a while.
func static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // the directory is embedded: cannot fail
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	}))
}

// page is a page handler for a signed-in user; it returns the template
// name and its data, or an error shown as an error page.
type page func(r *http.Request, v *view) (name string, err error)

// view is what every template gets: who is looking, in which language, and
// the page's own data.
type view struct {
	User   *matthan.User
	Lang   string // "vi" or "en"
	Path   string // the request path, to mark the current tab
	CSRF   string
	Now    string // dd/MM/yyyy HH:mm:ss, Asia/Ho_Chi_Minh
	Title  string
	Data   any
	tr     func(key string) string
	Status int // HTTP status; 0 means 200
	// waiting counts what waits for the signed-in user, for the nav: the
	// police, contributed cameras to approve; an owner, requests for
	// footage to answer (nil: not shown).
	waiting func() int
}

// Waiting is the number of things waiting for the user (0 hides it).
func (v *view) Waiting() int {
	if v.waiting == nil {
		return 0
	}
	return v.waiting()
}

// T translates a message key into the view's language.
func (v *view) T(key string) string { return v.tr(key) }

// signedIn wraps a page: without a session the browser goes to the sign-in
// page and comes back afterwards.
func (s *Server) signedIn(allowed func(matthan.Role) bool, p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.deps.User(r)
		if err != nil {
			if matthan.ErrorCode(err) != matthan.EUNAUTHORIZED {
				s.log.ErrorContext(r.Context(), "page: session", "path", r.URL.Path, "err", err)
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v := s.newView(w, r, u)
		if !allowed(u.Role) && u.Role == matthan.RoleContributor {
			// A contributor's pages are the portal: the ward's pages send
			// them there rather than to an error.
			http.Redirect(w, r, "/my", http.StatusSeeOther)
			return
		}
		if !allowed(u.Role) {
			s.renderError(w, r, v, http.StatusForbidden, v.T("err.forbidden"))
			return
		}
		name, err := p(r, v)
		if err != nil {
			s.renderErr(w, r, v, err)
			return
		}
		s.render(w, r, name, v)
	})
}

func (s *Server) newView(w http.ResponseWriter, r *http.Request, u *matthan.User) *view {
	lang := language(w, r)
	v := &view{User: u, Lang: lang, Path: r.URL.Path, Now: matthan.FormatLocal(s.now()),
		tr: func(key string) string { return translate(lang, key) }}
	if u != nil && s.deps.CSRFToken != nil {
		v.CSRF = s.deps.CSRFToken(r)
	}
	switch {
	case u == nil:
	case canPlayBack(u.Role):
		v.waiting = func() int { return s.waitingApprovals(r) }
	case u.Role == matthan.RoleContributor && s.deps.AccessRequests != nil:
		v.waiting = func() int { return s.waitingRequests(r, u.Name) }
	}
	return v
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	t, ok := s.pages[name]
	if !ok {
		s.log.ErrorContext(r.Context(), "page: no template", "template", name)
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "page: render", "template", name, "err", err)
		http.Error(w, "Lỗi hiển thị trang / page failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if v.Status != 0 {
		w.WriteHeader(v.Status)
	}
	w.Write(buf.Bytes())
}

// renderErr shows a domain error in the user's language; others are
// logged and shown as an internal error.
func (s *Server) renderErr(w http.ResponseWriter, r *http.Request, v *view, err error) {
	var e *matthan.Error
	status := http.StatusInternalServerError
	msg := v.T("err.internal")
	if errors.As(err, &e) {
		switch e.Code {
		case matthan.ENOTFOUND:
			status = http.StatusNotFound
		case matthan.EINVALID:
			status = http.StatusBadRequest
		case matthan.EFORBIDDEN:
			status = http.StatusForbidden
		}
		if status != http.StatusInternalServerError {
			msg = e.Message
			if v.Lang == "vi" && e.MessageVI != "" {
				msg = e.MessageVI
			}
		}
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	s.renderError(w, r, v, status, msg)
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, v *view, status int, msg string) {
	v.Status, v.Title, v.Data = status, v.T("err.title"), msg
	s.render(w, r, "error", v)
}
