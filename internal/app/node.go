// Package app wires configuration, adapters, services and servers into a
// running node. End-to-end tests start it exactly as `matthan serve` does.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"matthan"
	"matthan/internal/analytics/notify"
	"matthan/internal/analytics/pipeline"
	"matthan/internal/auth"
	"matthan/internal/bus"
	"matthan/internal/config"
	"matthan/internal/httpapi"
	"matthan/internal/ingest"
	"matthan/internal/live"
	"matthan/internal/mail"
	"matthan/internal/media"
	"matthan/internal/pdf"
	"matthan/internal/recorder"
	"matthan/internal/retention"
	"matthan/internal/rtsp"
	"matthan/internal/secret"
	"matthan/internal/sqlite"
	"matthan/internal/web"
)

// Node is one running Mắt Thần node.
type Node struct {
	Config    config.Config
	Log       *slog.Logger
	Store     *sqlite.DB
	Bus       *bus.Bus
	Ingest    *ingest.Manager
	Recorder  *recorder.Recorder
	Retention *retention.Retention
	Users     *auth.Users
	Sessions  *auth.Sessions    // sign-in of the web UI and the API
	Live      *live.Server      // live video in browsers
	Analytics *pipeline.Manager // street analytics; nil when off
	notifier  *notify.Notifier  // webhooks and MQTT for events; nil when none

	rtsp   *rtsp.Server
	http   *http.Server
	httpLn net.Listener
}

// Open prepares a node: data directory, node key, store, the first admin
// user, and both listeners (so their addresses are known before Run).
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	key, err := secret.LoadOrCreateKey(filepath.Join(cfg.Data, "node.key"))
	if err != nil {
		return nil, err
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, filepath.Join(cfg.Data, "matthan.db"), sealer)
	if err != nil {
		return nil, err
	}
	n = &Node{Config: cfg, Log: log, Store: store, Bus: bus.New(), Users: &auth.Users{Store: store}}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	if err := n.ensureAdmin(ctx); err != nil {
		return nil, err
	}
	n.Users.Log = log.With("component", "auth")
	n.Sessions = auth.NewSessions(store, auth.Config{
		IdleTimeout: cfg.Session.IdleTimeout, Lifetime: cfg.Session.Lifetime,
		Users: n.Users, Log: log.With("component", "auth"),
		OnPasswordChanged: func(user string) { removeAdminPasswordFile(cfg.Data, user, log) },
	})

	ic := ingest.DefaultConfig()
	ic.StallTimeout = cfg.Ingest.StallTimeout
	ic.BackoffMin, ic.BackoffMax = cfg.Ingest.BackoffMin, cfg.Ingest.BackoffMax
	ic.AuthBackoff = cfg.Ingest.AuthBackoff
	ic.ConnectTimeout = cfg.Ingest.ConnectTimeout
	ic.Transport = cfg.Ingest.Transport
	n.Ingest = ingest.NewManager(ic, store, n.Bus, pullWithRTSP(log), log)

	if cfg.Record.Enabled {
		rc := recorder.Config{Dir: cfg.RecordDir(), SegmentDuration: cfg.Record.Segment, FragmentDuration: cfg.Record.Fragment}
		n.Recorder = recorder.New(rc, store, store, n.Ingest, n.Bus, log.With("component", "recorder"))
	}
	kc := retention.DefaultConfig()
	kc.Dir, kc.DefaultDays = cfg.RecordDir(), cfg.Record.RetainDays
	kc.MinFreePercent, kc.MinFreeBytes = float64(cfg.Record.MinFreePercent), cfg.Record.MinFreeBytes
	kc.EventMargin, kc.Interval = cfg.Record.EventMargin, cfg.Record.RetentionInterval
	kc.Events = []retention.EventSource{retention.HealthEvents{Store: store}, retention.AnalyticsEvents{Store: store}}
	n.Retention = retention.New(kc, store, store, n.Bus, log.With("component", "retention"))

	n.rtsp = &rtsp.Server{
		Addr:         cfg.RTSP,
		Registry:     n.Ingest,
		Authenticate: n.authenticateViewer,
		LiveRefusal: func(id string) string {
			c, err := store.Camera(context.Background(), id)
			switch {
			case matthan.ErrorCode(err) == matthan.ENOTFOUND:
				return "" // the registry says 404 itself
			case err != nil:
				return "the camera's settings cannot be read now"
			}
			return restreamRefusal(c, time.Now())
		},
		Audit: func(ctx context.Context, e *matthan.AuditEntry) {
			if err := store.AddAudit(ctx, e); err != nil {
				log.Error("audit entry not stored", "err", err, "action", e.Action, "user", e.User)
			}
		},
		Log: log.With("component", "rtsp"),
	}
	if err := n.rtsp.Start(); err != nil {
		return nil, fmt.Errorf("RTSP server on %s: %w", cfg.RTSP, err)
	}

	exports, err := exportDeps(cfg, store, log.With("component", "export"))
	if err != nil {
		return nil, err
	}
	var clocks httpapi.ClockSource
	var recordings matthan.RecordingIndex = store
	if n.Recorder != nil { // a nil *Recorder in the interface would not be nil
		clocks = n.Recorder
		recordings = n.Recorder.Index() // playback sees the segment being written
		exports.Cut = n.Recorder.Cut
	}
	n.Live, err = live.New(live.Deps{Hubs: n.Ingest, ICE: live.ICEConfig{UDPAddr: cfg.Live.UDP},
		MaxViewers: cfg.Live.MaxViewers, Log: log.With("component", "live")})
	if err != nil {
		return nil, fmt.Errorf("live video (live.udp %q): %w", cfg.Live.UDP, err)
	}
	if cfg.Analytics.Enabled {
		if n.Analytics, n.notifier, err = openAnalytics(cfg, store, n, log.With("component", "analytics")); err != nil {
			return nil, fmt.Errorf("analytics: %w", err)
		}
	}
	var boxes httpapi.BoxesSource
	if n.Analytics != nil { // a nil *Manager in the interface would not be nil
		boxes = n.Analytics
	}
	ward := pdf.Ward{Name: cfg.Ward.Name, Authority: cfg.Ward.Authority, City: cfg.Ward.City,
		Signer: cfg.Ward.Signer, SignerTitle: cfg.Ward.SignerTitle}
	var mailer httpapi.Mailer // nil: no e-mail; reminders still reach the portal and paper
	if cfg.Mail.SMTP != "" {
		ms, err := mail.New(mail.Config{Addr: cfg.Mail.SMTP, From: cfg.Mail.From,
			Username: cfg.Mail.Username, Password: cfg.Mail.Password})
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		mailer = ms
	}
	api := httpapi.New(httpapi.Deps{
		Store:              store,
		Status:             n.Ingest,
		OnCameraChanged:    n.cameraChanged,
		Metrics:            metrics{n.Ingest, n.Live, n.Analytics},
		Live:               n.Live,
		Boxes:              boxes,
		AnalyticsSettings:  store,
		OnAnalyticsChanged: n.analyticsChanged,
		Donations:          &httpapi.Donations{Store: store, Ward: ward},
		Reminders:          &httpapi.Reminders{Store: store, Mail: mailer, Ward: ward},
		AccessRequests:     store,
		Reports:            store,
		Cases:              &httpapi.Cases{Store: store, KeepDays: cfg.Cases.KeepDays},
		Events:             store,
		EventsDir:          EventsDir(cfg.Data),
		Sessions:           n.Sessions,
		Recordings:         recordings,
		RecordingsDir:      cfg.RecordDir(),
		Exports:            exports,
		Storage:            n.Retention,
		Clocks:             clocks,
		Log:                log.With("component", "http"),
	})
	n.httpLn, err = net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return nil, fmt.Errorf("HTTP server on %s: %w", cfg.HTTP, err)
	}
	screen, err := web.New(web.Deps{
		Store: store, Status: n.Ingest, Recordings: recordings, Bus: n.Bus, Layouts: store,
		AnalyticsSettings: store, AnalyticsOn: n.Analytics != nil, Alerts: store, Reports: store, AccessRequests: store,
		ExportDir: ExportDir(cfg.Data),
		Donations: &web.Donations{Store: store, Ward: cfg.Ward.Name},
		User: func(r *http.Request) (*matthan.User, error) {
			u, _, err := n.Sessions.User(r)
			return u, err
		},
		CSRFToken: n.Sessions.CSRFToken,
		TileURL:   cfg.UI.TileURL,
		Log:       log.With("component", "web"),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", api.Handler())
	mux.Handle("/healthz", api.Handler())
	mux.Handle("/metrics", api.Handler())
	mux.Handle("GET /live/", live.Static()) // the browser player
	mux.Handle("/", screen.Handler())       // the police post's screen
	n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return n, nil
}

// pullWithRTSP adapts internal/rtsp's client to the ingest manager.
func pullWithRTSP(log *slog.Logger) ingest.PullFunc {
	return func(ctx context.Context, req ingest.PullRequest, r media.Receiver) error {
		return rtsp.Pull(ctx, rtsp.PullRequest{
			URL: req.URL, Username: req.Username, Password: req.Password,
			Transport: req.Transport, Timeout: req.Timeout,
		}, r, log)
	}
}

// cameraChanged tells every part that follows the registry, and cuts the
// camera's live viewers at once when its owner no longer shares its live
// view.
func (n *Node) cameraChanged(id string) {
	n.endUnsharedLive(context.Background(), id)
	n.Ingest.CameraChanged(id)
	if n.Recorder != nil {
		n.Recorder.CameraChanged(id)
	}
	if n.Analytics != nil {
		n.Analytics.CameraChanged(id)
	}
}

// endUnsharedLive ends the live sessions (browser and RTSP restream) of the
// cameras (every camera when none are named) whose sharing does not allow
// live view now, and the restreams of cameras with privacy masks.
func (n *Node) endUnsharedLive(ctx context.Context, ids ...string) {
	var cams []*matthan.Camera
	if len(ids) == 0 {
		var err error
		if cams, err = n.Store.Cameras(ctx, matthan.CameraFilter{}); err != nil {
			n.Log.Error("sharing: cannot read the cameras", "err", err)
			return
		}
	}
	for _, id := range ids {
		c, err := n.Store.Camera(ctx, id)
		switch {
		case matthan.ErrorCode(err) == matthan.ENOTFOUND:
			c = &matthan.Camera{ID: id, Approval: matthan.ApprovalRejected} // gone: shown to nobody
		case err != nil:
			n.Log.Error("sharing: cannot read the camera", "camera", id, "err", err)
			continue
		}
		cams = append(cams, c)
	}
	now := time.Now()
	for _, c := range cams {
		if ok, _, _ := c.Allows(matthan.AccessLive, now); !ok {
			if k := n.Live.EndCamera(c.ID); k > 0 {
				n.Log.Info("live view ended: the camera is not shared live now", "camera", c.ID, "viewers", k)
			}
		}
		if restreamRefusal(c, now) != "" {
			n.rtsp.EndCamera(c.ID)
		}
	}
}

// restreamRefusal says why camera c may not be restreamed over RTSP now, ""
// when it may. The browser's live view draws a camera's privacy masks over
// its video; a restream hands out the camera's own bytes, so a masked
// camera is watched in the browser only.
func restreamRefusal(c *matthan.Camera, now time.Time) string {
	if ok, _, _ := c.Allows(matthan.AccessLive, now); !ok {
		return "the camera's owner does not share it live now"
	}
	if len(c.PrivacyMasks) > 0 {
		return "the camera has privacy masks, which only the web live view draws; watch it there"
	}
	return ""
}

// watchSharingWindows cuts live viewers when a camera's sharing window ends.
func (n *Node) watchSharingWindows(ctx context.Context) error {
	tick := time.NewTicker(sharingCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			n.endUnsharedLive(ctx)
		}
	}
}

// sharingCheckEvery is how late, at most, a live view goes on after its
// camera's sharing window ended.
const sharingCheckEvery = 15 * time.Second

// analyticsChanged restarts a camera's analysis with its new settings.
func (n *Node) analyticsChanged(id string) {
	if n.Analytics != nil {
		n.Analytics.CameraChanged(id)
	}
}

func (n *Node) authenticateViewer(user, pass string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := n.Users.Authenticate(ctx, user, pass)
	if err != nil || !matthan.RoleScopes(u.Role).Has(matthan.ScopeLive) {
		return "", false // a contributor watches no restream
	}
	return u.Name, true
}

// HTTPAddr and RTSPAddr are the addresses the node listens on.
func (n *Node) HTTPAddr() string { return n.httpLn.Addr().String() }
func (n *Node) RTSPAddr() string { return n.rtsp.ListenAddr() }

// Run serves until ctx ends, then shuts down gracefully: stop taking
// requests, end every camera session, close the store.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	// Each part runs until ctx ends; one that fails stops the node. The
	// recorder finishes and indexes its open segments on the way out, so
	// the store is closed only after everyone returned.
	parts := map[string]func(context.Context) error{"ingest": n.Ingest.Run, "retention": n.Retention.Run,
		"exports": pruneExports(ExportDir(n.Config.Data), pruneInterval, time.Now, n.Log.With("component", "export")),
		"events":  pruneEvents(n.Store, EventsDir(n.Config.Data), n.Config.Analytics.KeepDays, pruneInterval, time.Now, n.Log.With("component", "analytics"))}
	parts["sharing"] = n.watchSharingWindows
	if n.Recorder != nil {
		parts["recorder"] = n.Recorder.Run
	}
	if n.Analytics != nil {
		parts["analytics"] = n.Analytics.Run
	}
	if n.notifier != nil {
		parts["notify"] = n.notifier.Run
	}
	errc := make(chan error, len(parts)+1) // every part and the HTTP server may fail once
	for name, run := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
			cancel()
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.http.Serve(n.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("HTTP server: %w", err)
		}
		cancel()
	}()
	n.Log.Info("node running", "http", n.HTTPAddr(), "rtsp", n.RTSPAddr(), "data", n.Config.Data)

	<-ctx.Done()
	n.Log.Info("shutting down")
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), n.Config.ShutdownTimeout)
	defer cancelShutdown()
	n.Live.Close() // ends viewers' sessions: their WebSockets are not the HTTP server's to wait for
	n.http.Shutdown(shutdown)
	n.rtsp.Close()
	wg.Wait()
	close(errc)
	err := n.close()
	for e := range errc {
		err = errors.Join(err, e)
	}
	return err
}

func (n *Node) close() error {
	if n.Live != nil {
		n.Live.Close()
	}
	if n.rtsp != nil {
		n.rtsp.Close()
	}
	if n.httpLn != nil {
		n.httpLn.Close()
	}
	return n.Store.Close()
}

// ensureAdmin creates user "admin" on a node with no users, with the
// configured password or a random one written to DATA/admin-password (0600).
// The password itself is never logged.
func (n *Node) ensureAdmin(ctx context.Context) error {
	users, err := n.Store.Users(ctx)
	if err != nil || len(users) > 0 {
		return err
	}
	pw := n.Config.AdminPassword
	if pw == "" {
		b := make([]byte, 12)
		rand.Read(b)
		pw = base64.RawURLEncoding.EncodeToString(b)
		path := AdminPasswordFile(n.Config.Data)
		if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing the initial admin password: %w", err)
		}
		n.Log.Warn("created user admin; its password is in a file readable only by this user", "file", path)
	} else {
		n.Log.Info("created user admin with the configured password")
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	return n.Store.CreateUser(ctx, &matthan.User{Name: "admin", Role: matthan.RoleAdmin, PasswordHash: hash})
}

// AdminPasswordFile is where a generated admin password is written.
func AdminPasswordFile(data string) string { return filepath.Join(data, "admin-password") }

// NewLogger builds the node's logger from its configuration.
func NewLogger(cfg config.Config, node string) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	if node == "" {
		node, _ = os.Hostname()
	}
	return slog.New(h).With("node", node)
}

// Serve runs `matthan serve`.
func Serve(ctx context.Context, cfg config.Config, version string) error {
	log := NewLogger(cfg, cfg.Node)
	log.Info("starting Mắt Thần", "version", version)
	n, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

// metrics serves /metrics: the streams' figures, the live viewers', and
// the analysed cameras' when analytics is on.
type metrics struct {
	ingest    *ingest.Manager
	live      *live.Server
	analytics *pipeline.Manager // nil when off
}

func (m metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	// A failed write means the scraper left.
	if m.ingest.WriteMetrics(w) != nil || m.live.WriteMetrics(w) != nil || m.analytics == nil {
		return
	}
	m.analytics.WriteMetrics(w)
}
