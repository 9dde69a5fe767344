// Package config is the node's one typed configuration: defaults, then a JSON
// file, then MATTHAN_* environment variables, then command-line flags, then
// Validate. Every option is declared once in the options table below, which
// also generates ref/config.md.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Config holds every option of a node.
type Config struct {
	HTTP            string        // HTTP listen address: API, UI, /metrics, /healthz
	RTSP            string        // RTSP listen address: restream and push
	Data            string        // data directory: database, node key, recordings
	Node            string        // node name in logs and metrics
	LogLevel        string        // debug, info, warn, error
	LogFormat       string        // text or json
	AdminPassword   string        // initial admin password, used only when the node has no users
	ShutdownTimeout time.Duration // how long a graceful shutdown may take

	Ingest    Ingest
	Record    Record
	Export    Export
	Session   Session
	Live      Live
	UI        UI
	Analytics Analytics
	Ward      Ward
	Mail      Mail
	Cases     Cases
}

// Cases tunes cases (vụ việc) and the locks on their footage.
type Cases struct {
	KeepDays int // days a closed case's footage stays locked against retention
}

// Mail is the SMTP server reminders to camera owners are e-mailed through
// (internal/mail); no server means reminders go by the portal and on paper.
type Mail struct {
	SMTP     string // host:port; "" sends no e-mail
	From     string // sender address, optionally with a name
	Username string // "" sends without signing in
	Password string // never logged
}

// Ward names the ward on the documents the node prints (thank-you letters
// for donations, notices) and on its public transparency page.
type Ward struct {
	Name        string // e.g. "Phường An Bình"
	Authority   string // the issuing body at the top left of a document, e.g. "UBND PHƯỜNG AN BÌNH"
	City        string // the place in a document's date line, e.g. "TP. Cần Thơ"
	Signer      string // who signs documents, e.g. "Trần Minh Tâm"
	SignerTitle string // their title above the signature, e.g. "CHỦ TỊCH"
}

// Analytics tunes street analytics (internal/analytics).
type Analytics struct {
	Enabled       bool    // analyse every enabled camera's sub-stream
	FPS           float64 // frames analysed per second per camera
	WebhookURL    string  // events are POSTed here as signed JSON; "" for none
	WebhookSecret string  // signs webhook bodies (HMAC-SHA256)
	MQTT          string  // broker, e.g. tcp://127.0.0.1:1883; "" for none
	KeepDays      int     // days an event nobody reviewed is kept; reviewed ones stay
	PairFrames    string  // whole frames two to a model run: off, always, busy (detect.PairMode)
	MainDecoders  int     // main-stream decoders for riders' heads at once; 0: one per core
}

// Live tunes live video in browsers (internal/live).
type Live struct {
	UDP        string // UDP address every WebRTC viewer shares; "" means a free port per viewer
	MaxViewers int    // live viewers at once, over WebRTC and MSE together
}

// UI tunes the web screen.
type UI struct {
	TileURL string // map tiles, {z}/{x}/{y}; "" draws cameras on a plain background
}

// Session tunes sign-in sessions of the web UI.
type Session struct {
	IdleTimeout time.Duration // a session unused this long ends
	Lifetime    time.Duration // a session ends this long after sign-in, used or not
}

// Export tunes evidence packages.
type Export struct {
	// Keep is how long the node keeps a package it made; at least a year,
	// and retention never deletes one (export.Prune honours it).
	Keep time.Duration
}

// Record tunes the recorder.
type Record struct {
	Enabled  bool          // false: a live-only node (restream, health), nothing written
	Dir      string        // recordings root; "" means DATA/recordings
	Segment  time.Duration // rotate a segment at the first keyframe after this long
	Fragment time.Duration // longest media time between two fragments: what a crash may lose

	RetainDays        int           // default days to keep per camera (a camera may say otherwise)
	MinFreePercent    int           // free space on the recordings' file system never goes below this
	MinFreeBytes      int64         // nor below this
	EventMargin       time.Duration // footage this close to an event is kept longer than continuous footage
	RetentionInterval time.Duration // how often retention sweeps
}

// Ingest tunes how streams are pulled and watched.
type Ingest struct {
	Transport      string        // auto, tcp or udp
	ConnectTimeout time.Duration // RTSP read/write timeout
	StallTimeout   time.Duration // no media this long with the connection open = stalled
	BackoffMin     time.Duration // first reconnect delay
	BackoffMax     time.Duration // reconnect delay cap
	AuthBackoff    time.Duration // minimum delay after the camera refused our password
}

// option is one configurable value: its names everywhere and how to set it.
type option struct {
	key   string // JSON file key (dotted for nested objects) and flag name
	def   string
	usage string
	ptr   func(c *Config) any // *string, *int, *int64, *float64, *bool or *time.Duration
}

func (o option) env() string {
	return "MATTHAN_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(o.key))
}

var options = []option{
	{"http", ":8080", "HTTP listen address (API, web UI, /metrics, /healthz)", func(c *Config) any { return &c.HTTP }},
	{"rtsp", ":8554", "RTSP listen address (restream at rtsp://HOST:PORT/CAMERA/main and /sub, and push)", func(c *Config) any { return &c.RTSP }},
	{"data", "./matthan-data", "data directory (database, node key, recordings)", func(c *Config) any { return &c.Data }},
	{"node", "", "node name in logs and metrics (default: host name)", func(c *Config) any { return &c.Node }},
	{"log-level", "info", "log level: debug, info, warn or error", func(c *Config) any { return &c.LogLevel }},
	{"log-format", "text", "log format: text or json", func(c *Config) any { return &c.LogFormat }},
	{"admin-password", "", "initial password of user 'admin', used only on a node with no users (default: random, written to DATA/admin-password)", func(c *Config) any { return &c.AdminPassword }},
	{"shutdown-timeout", "10s", "how long a graceful shutdown may take", func(c *Config) any { return &c.ShutdownTimeout }},
	{"ingest.transport", "auto", "RTSP transport to cameras: auto (UDP, falling back to TCP), tcp or udp", func(c *Config) any { return &c.Ingest.Transport }},
	{"ingest.connect-timeout", "10s", "RTSP read and write timeout when talking to a camera", func(c *Config) any { return &c.Ingest.ConnectTimeout }},
	{"ingest.stall-timeout", "5s", "a stream with no media this long while connected is 'stalled' and reconnected", func(c *Config) any { return &c.Ingest.StallTimeout }},
	{"ingest.backoff-min", "1s", "first reconnect delay (doubles each failure, with jitter)", func(c *Config) any { return &c.Ingest.BackoffMin }},
	{"ingest.backoff-max", "30s", "longest reconnect delay", func(c *Config) any { return &c.Ingest.BackoffMax }},
	{"ingest.auth-backoff", "60s", "minimum delay before retrying a camera that refused our password", func(c *Config) any { return &c.Ingest.AuthBackoff }},
	{"record.enabled", "true", "record every enabled camera (false: a live-only node that restreams and watches health)", func(c *Config) any { return &c.Record.Enabled }},
	{"record.dir", "", "directory for recordings (default: DATA/recordings)", func(c *Config) any { return &c.Record.Dir }},
	{"record.segment", "5m", "segment length: a new file starts at the first keyframe after this long", func(c *Config) any { return &c.Record.Segment }},
	{"record.fragment", "1s", "fragment length: the most video a crash or power cut can lose", func(c *Config) any { return &c.Record.Fragment }},
	{"record.retain-days", "30", "days of footage kept per camera, unless the camera says otherwise", func(c *Config) any { return &c.Record.RetainDays }},
	{"record.min-free-percent", "5", "oldest footage is deleted to keep this much of the disk free, in percent (0 here and in min-free-bytes means 5)", func(c *Config) any { return &c.Record.MinFreePercent }},
	{"record.min-free-bytes", "0", "and to keep at least this many bytes free", func(c *Config) any { return &c.Record.MinFreeBytes }},
	{"record.event-margin", "2m", "footage within this of an event is deleted after continuous footage", func(c *Config) any { return &c.Record.EventMargin }},
	{"record.retention-interval", "1m", "how often retention checks days, quotas and free space", func(c *Config) any { return &c.Record.RetentionInterval }},
	{"session.idle-timeout", "12h", "a signed-in browser unused this long is signed out (12h: a night shift)", func(c *Config) any { return &c.Session.IdleTimeout }},
	{"session.lifetime", "168h", "a signed-in browser is signed out this long after signing in, used or not", func(c *Config) any { return &c.Session.Lifetime }},
	{"live.udp", "", "UDP address every WebRTC viewer shares, e.g. :8189 (open it in the firewall); empty: a free port per viewer", func(c *Config) any { return &c.Live.UDP }},
	{"live.max-viewers", "200", "live viewers at once (WebRTC and MSE); more are refused with a clear message", func(c *Config) any { return &c.Live.MaxViewers }},
	{"ui.tile-url", "", "map tile server, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty: cameras on a plain background with area outlines (the post's LAN has no internet)", func(c *Config) any { return &c.UI.TileURL }},
	{"analytics.enabled", "false", "analyse every enabled camera's sub-stream for the ward's rules (motion, objects, tracks, events); the demo turns it on", func(c *Config) any { return &c.Analytics.Enabled }},
	{"analytics.fps", "5", "frames analysed per second per camera", func(c *Config) any { return &c.Analytics.FPS }},
	{"analytics.webhook-url", "", "POST each event here as JSON signed with analytics.webhook-secret (header X-Matthan-Signature)", func(c *Config) any { return &c.Analytics.WebhookURL }},
	{"analytics.webhook-secret", "", "secret that signs webhook bodies (HMAC-SHA256)", func(c *Config) any { return &c.Analytics.WebhookSecret }},
	{"analytics.keep-days", "365", "days an analytics event nobody reviewed is kept, with its snapshot (reviewed events are labels and stay)", func(c *Config) any { return &c.Analytics.KeepDays }},
	{"analytics.mqtt", "", "MQTT broker for events, e.g. tcp://127.0.0.1:1883 (topics matthan/CAMERA/TYPE)", func(c *Config) any { return &c.Analytics.MQTT }},
	{"analytics.pair-frames", "off", "run the detector on whole frames two cameras at a time, each in half of its 416 px input: off, always (1.5 to 1.9 times the frames per core on busy streets, but each frame seen 11 % smaller: motorcycle recall 0.59 to 0.54 on average on the shipped clips), or busy (only when no detector session is free, so a node with spare time loses nothing); docs/performance.md", func(c *Config) any { return &c.Analytics.PairFrames }},
	{"analytics.main-decoders", "0", "most main-stream decoders running at once on the node, for riders' heads too small in the analysed sub-stream (each ~10 % of a core); a rider finding none free is judged on a later frame; 0: one per CPU core", func(c *Config) any { return &c.Analytics.MainDecoders }},
	{"ward.name", "Phường An Bình", "the ward's name, on documents and the public transparency page", func(c *Config) any { return &c.Ward.Name }},
	{"ward.authority", "UBND PHƯỜNG AN BÌNH", "the body that issues the ward's documents, at their top left (e.g. UBND PHƯỜNG … or CÔNG AN PHƯỜNG …)", func(c *Config) any { return &c.Ward.Authority }},
	{"ward.city", "TP. Cần Thơ", "the place written in a document's date line (\"TP. Cần Thơ, ngày 27 tháng 11 năm 2026\")", func(c *Config) any { return &c.Ward.City }},
	{"ward.signer", "Trần Minh Tâm", "who signs the ward's documents (the chairperson or the police chief)", func(c *Config) any { return &c.Ward.Signer }},
	{"ward.signer-title", "CHỦ TỊCH", "the signer's title above the signature (e.g. CHỦ TỊCH, TRƯỞNG CÔNG AN PHƯỜNG)", func(c *Config) any { return &c.Ward.SignerTitle }},
	{"mail.smtp", "", "SMTP server reminders are e-mailed through, host:port (e.g. smtp.example.com:587; STARTTLS is used when the server offers it); empty: no e-mail", func(c *Config) any { return &c.Mail.SMTP }},
	{"mail.from", "", "sender of the e-mails, e.g. \"Công an phường An Bình <canh-bao@example.com>\" (required with mail.smtp)", func(c *Config) any { return &c.Mail.From }},
	{"mail.username", "", "user name to sign in to the SMTP server; empty: no sign-in", func(c *Config) any { return &c.Mail.Username }},
	{"mail.password", "", "password for mail.username (never logged; prefer the environment variable)", func(c *Config) any { return &c.Mail.Password }},
	{"cases.keep-days", "365", "days a closed case's footage stays locked against retention (a case may say otherwise when opened); while a case is open its footage is always kept", func(c *Config) any { return &c.Cases.KeepDays }},
	{"export.keep", "8760h", "how long the node keeps each evidence package it made under DATA/exports (at least 8760h, a year)", func(c *Config) any { return &c.Export.Keep }},
}

// Default returns the configuration with every default applied.
func Default() Config {
	var c Config
	for _, o := range options {
		if err := set(o.ptr(&c), o.def); err != nil {
			panic("config: bad default for " + o.key + ": " + err.Error())
		}
	}
	return c
}

// Load builds the configuration: defaults → file (--config or MATTHAN_CONFIG)
// → MATTHAN_* environment → flags in args. fs receives the option flags
// (callers may have added their own before calling Load). defaults, if any,
// change the defaults for one command (the demo binds loopback). It does not
// call Validate.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string, defaults ...func(*Config)) (Config, error) {
	file := fs.String("config", "", "JSON configuration file (also MATTHAN_CONFIG)")
	given := map[string]string{} // flags as typed, applied last so they win
	for _, o := range options {
		o := o
		fs.Func(o.key, o.usage+" (default "+strconv.Quote(o.def)+", env "+o.env()+")", func(s string) error {
			if err := set(o.ptr(&Config{}), s); err != nil {
				return err
			}
			given[o.key] = s
			return nil
		})
	}
	c := Default()
	for _, d := range defaults {
		d(&c)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	path := *file
	if path == "" {
		path = getenv("MATTHAN_CONFIG")
	}
	if path != "" {
		if err := loadFile(&c, path); err != nil {
			return c, err
		}
	}
	for _, o := range options {
		if v := getenv(o.env()); v != "" {
			if err := set(o.ptr(&c), v); err != nil {
				return c, fmt.Errorf("environment %s: %w", o.env(), err)
			}
		}
	}
	var err error
	for _, o := range options {
		if v, ok := given[o.key]; ok {
			err = errors.Join(err, set(o.ptr(&c), v))
		}
	}
	return c, err
}

// loadFile applies a JSON file: keys are option names, nested objects allowed
// ({"ingest": {"stall-timeout": "5s"}}) as well as dotted keys.
func loadFile(c *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("config file %s: not valid JSON: %w", path, err)
	}
	flat := map[string]any{}
	flatten("", raw, flat)
	for k, v := range flat {
		o, ok := lookup(k)
		if !ok {
			return fmt.Errorf("config file %s: unknown option %q", path, k)
		}
		s := fmt.Sprint(v)
		if f, isNum := v.(float64); isNum {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if err := set(o.ptr(c), s); err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, k, err)
		}
	}
	return nil
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if prefix != "" {
			k = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(k, sub, out)
		} else {
			out[k] = v
		}
	}
}

func lookup(key string) (option, bool) {
	key = strings.ReplaceAll(key, "_", "-")
	for _, o := range options {
		if o.key == key {
			return o, true
		}
	}
	return option{}, false
}

func set(p any, s string) error {
	switch p := p.(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		*p = b
	case *int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		*p = f
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration (like 5s, 2m)", s)
		}
		*p = d
	default:
		return fmt.Errorf("unsupported option type %T", p)
	}
	return nil
}

// Validate checks every option and names the first bad one.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config %s (%s): %s", key, option{key: key}.env(), fmt.Sprintf(format, args...)))
	}
	for key, addr := range map[string]string{"http": c.HTTP, "rtsp": c.RTSP} {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not a listen address like :8080 or 127.0.0.1:8080", addr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad(key, "port %q is not a number from 0 to 65535", port)
		}
	}
	if c.HTTP == c.RTSP && !strings.HasSuffix(c.HTTP, ":0") {
		bad("rtsp", "must differ from http (%s)", c.HTTP)
	}
	if strings.TrimSpace(c.Data) == "" {
		bad("data", "must name a directory")
	}
	if !oneOf(c.LogLevel, "debug", "info", "warn", "error") {
		bad("log-level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	if !oneOf(c.LogFormat, "text", "json") {
		bad("log-format", "%q is not text or json", c.LogFormat)
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		bad("admin-password", "must be at least 8 characters")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "must be positive")
	}
	in := c.Ingest
	if !oneOf(in.Transport, "auto", "tcp", "udp") {
		bad("ingest.transport", "%q is not auto, tcp or udp", in.Transport)
	}
	for key, d := range map[string]time.Duration{
		"ingest.connect-timeout": in.ConnectTimeout, "ingest.stall-timeout": in.StallTimeout,
		"ingest.backoff-min": in.BackoffMin, "ingest.backoff-max": in.BackoffMax, "ingest.auth-backoff": in.AuthBackoff,
	} {
		if d <= 0 {
			bad(key, "must be positive, got %s", d)
		}
	}
	if in.BackoffMax < in.BackoffMin {
		bad("ingest.backoff-max", "(%s) must not be less than ingest.backoff-min (%s)", in.BackoffMax, in.BackoffMin)
	}
	if c.Record.Segment < time.Minute || c.Record.Segment > 24*time.Hour {
		bad("record.segment", "must be from 1m to 24h, got %s", c.Record.Segment)
	}
	if c.Record.Fragment < 100*time.Millisecond || c.Record.Fragment > 10*time.Second {
		bad("record.fragment", "must be from 100ms to 10s, got %s", c.Record.Fragment)
	}
	if r := c.Record; r.RetainDays < 1 || r.RetainDays > 3650 {
		bad("record.retain-days", "must be from 1 to 3650, got %d", r.RetainDays)
	}
	if k := c.Cases.KeepDays; k < 1 || k > 3650 {
		bad("cases.keep-days", "must be from 1 to 3650, got %d", k)
	}
	if r := c.Record; r.MinFreePercent < 0 || r.MinFreePercent > 90 {
		bad("record.min-free-percent", "must be from 0 to 90, got %d", r.MinFreePercent)
	}
	if c.Record.MinFreeBytes < 0 {
		bad("record.min-free-bytes", "must not be negative")
	}
	if c.Record.EventMargin < 0 || c.Record.EventMargin > time.Hour {
		bad("record.event-margin", "must be from 0 to 1h, got %s", c.Record.EventMargin)
	}
	if c.Record.RetentionInterval < time.Second {
		bad("record.retention-interval", "must be at least 1s, got %s", c.Record.RetentionInterval)
	}
	if c.Live.UDP != "" {
		if _, port, err := net.SplitHostPort(c.Live.UDP); err != nil {
			bad("live.udp", "%q is not a UDP address like :8189", c.Live.UDP)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("live.udp", "port %q is not a number from 0 to 65535", port)
		}
	}
	if a := c.Analytics; a.FPS <= 0 || a.FPS > 25 {
		bad("analytics.fps", "must be above 0 and at most 25, got %g", a.FPS)
	}
	if a := c.Analytics; a.WebhookURL != "" && !strings.HasPrefix(a.WebhookURL, "http://") && !strings.HasPrefix(a.WebhookURL, "https://") {
		bad("analytics.webhook-url", "%q must be an http(s) URL", a.WebhookURL)
	}
	if a := c.Analytics; a.WebhookURL != "" && len(a.WebhookSecret) < 16 {
		bad("analytics.webhook-secret", "must be at least 16 characters when analytics.webhook-url is set")
	}
	if p := c.Analytics.PairFrames; p != "" && p != "off" && p != "always" && p != "busy" { // "": off
		bad("analytics.pair-frames", "must be off, always or busy, got %q", p)
	}
	if c.Analytics.MainDecoders < 0 {
		bad("analytics.main-decoders", "must be 0 (one per core) or more, got %d", c.Analytics.MainDecoders)
	}
	if c.Analytics.KeepDays < 1 {
		bad("analytics.keep-days", "must be at least 1, got %d", c.Analytics.KeepDays)
	}
	if c.Live.MaxViewers < 1 {
		bad("live.max-viewers", "must be at least 1, got %d", c.Live.MaxViewers)
	}
	if u := c.UI.TileURL; u != "" && (!strings.Contains(u, "{z}") || !strings.Contains(u, "{x}") || !strings.Contains(u, "{y}") ||
		!(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "/"))) {
		bad("ui.tile-url", "%q must be an http(s) URL with {z}, {x} and {y}", u)
	}
	if d := c.Session.IdleTimeout; d < time.Minute {
		bad("session.idle-timeout", "must be at least 1m, got %s", d)
	}
	if d := c.Session.Lifetime; d < time.Minute || d < c.Session.IdleTimeout {
		bad("session.lifetime", "must be at least 1m and not less than session.idle-timeout (%s), got %s", c.Session.IdleTimeout, d)
	}
	for key, v := range map[string]string{"ward.name": c.Ward.Name, "ward.authority": c.Ward.Authority, "ward.city": c.Ward.City,
		"ward.signer": c.Ward.Signer, "ward.signer-title": c.Ward.SignerTitle} {
		if n := utf8.RuneCountInString(strings.TrimSpace(v)); n == 0 || n > maxWardText {
			bad(key, "must be 1 to %d characters (it is printed on documents)", maxWardText)
		} else if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			bad(key, "must be one line of text")
		}
	}
	if m := c.Mail; m.SMTP != "" {
		if host, port, err := net.SplitHostPort(m.SMTP); err != nil || host == "" {
			bad("mail.smtp", "%q is not host:port like smtp.example.com:587", m.SMTP)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			bad("mail.smtp", "port %q is not a number from 1 to 65535", port)
		}
		if _, err := mail.ParseAddress(m.From); err != nil {
			bad("mail.from", "%q is not an e-mail address (like canh-bao@example.com)", m.From)
		}
	} else if m.From != "" || m.Username != "" {
		bad("mail.smtp", "must be set when mail.from or mail.username is")
	}
	if m := c.Mail; m.Password != "" && m.Username == "" {
		bad("mail.username", "must be set when mail.password is")
	}
	if c.Export.Keep < minExportKeep {
		bad("export.keep", "must be at least %s (a year), got %s", minExportKeep, c.Export.Keep)
	}
	return errors.Join(errs...)
}

// maxWardText keeps the ward's names short enough for a document's header.
const maxWardText = 80

// minExportKeep is the shortest time evidence packages are kept: footage
// used for a fine must stay usable for a year (export.MinKeep).
const minExportKeep = 8760 * time.Hour

// RecordDir is where recordings go.
func (c *Config) RecordDir() string {
	if c.Record.Dir != "" {
		return c.Record.Dir
	}
	return filepath.Join(c.Data, "recordings")
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

// Reference renders ref/config.md from the options table.
func Reference() string {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Generated from `internal/config` (`go test ./internal/config -update` rewrites it).\n\n")
	b.WriteString("Each option is read, in order, from its default, a JSON file (`--config FILE` or `MATTHAN_CONFIG`),\n")
	b.WriteString("the environment, and the command line; the last one wins. Durations are written like `5s`, `2m`.\n")
	b.WriteString("In the JSON file, dotted options may also be nested: `{\"ingest\": {\"stall-timeout\": \"5s\"}}`.\n\n")
	b.WriteString("| option / flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, o := range options {
		def := "`" + o.def + "`"
		if o.def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", o.key, o.env(), def, o.usage)
	}
	b.WriteString("\n`matthan demo` binds the HTTP server to `127.0.0.1:8080` unless `--http` says otherwise, and adds\n")
	b.WriteString("`--cameras N` (default 8) and `--sim ADDR` (the simulator's RTSP address, default `127.0.0.1:8555`).\n")
	b.WriteString("`matthan sim` takes `--cameras N`, `--rtsp ADDR` (default `127.0.0.1:8555`), `--control ADDR`\n")
	b.WriteString("(fault-injection HTTP API, default `127.0.0.1:8556`) and `--h265-every N`.\n")
	return b.String()
}
