package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"matthan"
)

// Names the browser and scripts see.
const (
	CookieName = "matthan_session"
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token" // form field, for plain HTML forms
	// TokenPrefix starts every API token, so a leaked one is recognisable.
	TokenPrefix = "mt_"
)

// Defaults of Config.
const (
	DefaultIdleTimeout   = 12 * time.Hour // a night shift
	DefaultLifetime      = 7 * 24 * time.Hour
	DefaultMaxFailures   = 5
	DefaultFailureWindow = 15 * time.Minute
)

const (
	// touchEvery limits writes: a session's last use is recorded at most
	// this often, so idle expiry is exact to within it.
	touchEvery = time.Minute
	// limiterKeys bounds the memory of the sign-in rate limiter.
	limiterKeys = 10_000
)

// Store is what Sessions needs: the node's store with sessions and tokens.
type Store interface {
	matthan.Store
	matthan.SessionStore
}

// Config tunes Sessions; zero fields take the defaults above.
type Config struct {
	IdleTimeout   time.Duration // a session unused this long ends
	Lifetime      time.Duration // a session ends this long after sign-in, used or not
	MaxFailures   int           // failed sign-ins per client address or user name …
	FailureWindow time.Duration // … within this window block further tries
	Now           func() time.Time
	Log           *slog.Logger
	// Users checks passwords; nil makes one over the store with this Now.
	// The node shares one with the RTSP server.
	Users *Users
	// OnPasswordChanged, if set, is called after a user's password changed
	// (the node removes DATA/admin-password once admin has chosen one).
	OnPasswordChanged func(user string)
}

// Sessions signs people in to the web UI and the API: session cookies with
// CSRF protection, API tokens, HTTP Basic, and login rate limiting. It also
// does the account operations (users, passwords, tokens) with their audit
// entries. It holds no goroutines.
type Sessions struct {
	store   Store
	users   *Users
	cfg     Config
	log     *slog.Logger
	limiter *limiter
}

// NewSessions returns Sessions over store.
func NewSessions(store Store, cfg Config) *Sessions {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = DefaultFailureWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sessions{store: store, cfg: cfg, log: cfg.Log,
		limiter: newLimiter(cfg.MaxFailures, cfg.FailureWindow, limiterKeys)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.users = cfg.Users
	if s.users == nil {
		s.users = &Users{Store: store, Now: cfg.Now, Log: s.log}
	}
	return s
}

// Users returns the password checker Sessions uses.
func (s *Sessions) Users() *Users { return s.users }

func (s *Sessions) now() time.Time { return s.cfg.Now() }

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// RemoteHost is the client's address without the port: the key of the rate
// limiter and what the audit log records. Forwarded headers are not
// trusted: the node is reached directly on the post's LAN.
func RemoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

func errSessionEnded() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"Your session has ended; sign in again",
		"Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại")
}

func errSignIn() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"Sign in with a valid user name and password, a session or an API token",
		"Vui lòng đăng nhập bằng tên đăng nhập và mật khẩu, phiên đăng nhập hoặc mã truy cập hợp lệ")
}

func errBadToken() error {
	return matthan.Errorf(matthan.EUNAUTHORIZED,
		"The API token is not valid, has expired or was revoked",
		"Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi")
}

// checkPassword is Users.Authenticate behind the rate limiter: a client
// address or a user name with too many recent failures gets a *LimitError
// without a password check. Failures are logged with the address only:
// people type passwords into the name field.
func (s *Sessions) checkPassword(ctx context.Context, remote, name, password string) (*matthan.User, error) {
	now := s.now()
	ipKey, nameKey := "ip:"+remote, "name:"+name
	if wait := s.limiter.blocked(now, ipKey, nameKey); wait > 0 {
		s.log.WarnContext(ctx, "sign-in refused: too many failures", "remote", remote)
		return nil, &LimitError{RetryAfter: wait}
	}
	u, err := s.users.Authenticate(ctx, name, password)
	if matthan.ErrorCode(err) == matthan.EUNAUTHORIZED {
		n := s.limiter.fail(now, ipKey, nameKey)
		s.log.WarnContext(ctx, "sign-in failed", "remote", remote, "failures", n)
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	s.limiter.clear(nameKey)
	return u, nil
}

// SignIn checks name and password and starts a session: the cookie goes
// on w. It returns an EUNAUTHORIZED error, or a *LimitError after too many
// failures.
func (s *Sessions) SignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, name, password string) (*matthan.User, error) {
	u, _, err := s.SignInSession(ctx, w, r, name, password)
	return u, err
}

// SignInSession is SignIn that also returns the new session, whose
// CSRFToken the page or client needs for its next unsafe request.
func (s *Sessions) SignInSession(ctx context.Context, w http.ResponseWriter, r *http.Request, name, password string) (*matthan.User, *matthan.Session, error) {
	if err := checkOrigin(r); err != nil {
		return nil, nil, err
	}
	remote := RemoteHost(r)
	u, err := s.checkPassword(ctx, remote, name, password)
	if err != nil {
		return nil, nil, err
	}
	// A session the browser already had ends: a new sign-in gets a new
	// token (no session fixation).
	if c, err := r.Cookie(CookieName); err == nil {
		s.store.DeleteSession(ctx, hashToken(c.Value))
	}
	if _, err := s.store.DeleteExpiredSessions(ctx, s.now()); err != nil {
		s.log.WarnContext(ctx, "expired sessions not removed", "err", err)
	}
	sess, err := s.start(ctx, w, r, u.Name)
	if err != nil {
		return nil, nil, err
	}
	s.audit(ctx, &matthan.AuditEntry{User: u.Name, Action: "session.sign_in", Remote: remote})
	return u, sess, nil
}

// start creates a session for user and sets its cookie on w.
func (s *Sessions) start(ctx context.Context, w http.ResponseWriter, r *http.Request, user string) (*matthan.Session, error) {
	token, now := randomToken(), s.now()
	sess := &matthan.Session{Hash: hashToken(token), User: user, CSRFToken: randomToken(),
		CreatedAt: now, LastSeen: now, Expires: now.Add(s.cfg.Lifetime),
		IdleExpires: now.Add(min(s.cfg.IdleTimeout, s.cfg.Lifetime)),
		Remote:      RemoteHost(r), UserAgent: truncate(r.UserAgent(), 256)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/",
		MaxAge: int(s.cfg.Lifetime / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil})
	return sess, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// clearCookie tells the browser to drop its session cookie.
func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

// SignOut ends the request's session, if any, and clears its cookie.
func (s *Sessions) SignOut(w http.ResponseWriter, r *http.Request) error {
	clearCookie(w, r)
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	ctx := r.Context()
	hash := hashToken(c.Value)
	sess, err := s.store.Session(ctx, hash)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		return nil
	} else if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if err := s.store.DeleteSession(ctx, hash); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	s.audit(ctx, &matthan.AuditEntry{User: sess.User, Action: "session.sign_out", Remote: RemoteHost(r)})
	return nil
}

// RevokeAll ends every session of user ("sign out everywhere") and says
// how many there were.
func (s *Sessions) RevokeAll(ctx context.Context, user, remote string) (int, error) {
	n, err := s.store.DeleteUserSessions(ctx, user)
	if err != nil {
		return 0, fmt.Errorf("sign out everywhere: %w", err)
	}
	s.audit(ctx, &matthan.AuditEntry{User: user, Action: "session.revoke_all", Remote: remote,
		Detail: fmt.Sprintf("sessions=%d", n)})
	return n, nil
}

// User returns the signed-in user and session of the request's cookie, or
// an EUNAUTHORIZED error when there is none or it has ended. Using a
// session keeps it alive (up to its lifetime).
func (s *Sessions) User(r *http.Request) (*matthan.User, *matthan.Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, nil, errSignIn()
	}
	ctx := r.Context()
	hash := hashToken(c.Value)
	sess, err := s.store.Session(ctx, hash)
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		return nil, nil, errSessionEnded()
	} else if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	now := s.now()
	if !now.Before(sess.IdleExpires) || !now.Before(sess.Expires) {
		s.store.DeleteSession(ctx, hash)
		return nil, nil, errSessionEnded()
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		idle := now.Add(s.cfg.IdleTimeout)
		if idle.After(sess.Expires) {
			idle = sess.Expires
		}
		if err := s.store.TouchSession(ctx, hash, now, idle); err != nil && matthan.ErrorCode(err) != matthan.ENOTFOUND {
			s.log.WarnContext(ctx, "session use not recorded", "err", err)
		}
		sess.LastSeen, sess.IdleExpires = now, idle
	}
	u, err := s.store.UserByName(ctx, sess.User)
	if err != nil {
		return nil, nil, fmt.Errorf("session user: %w", err)
	}
	return u, sess, nil
}

// CSRFToken returns the CSRF token of the request's session, or "" when it
// has none. Pages put it in forms (field csrf_token) or send it as the
// X-CSRF-Token header.
func (s *Sessions) CSRFToken(r *http.Request) string {
	_, sess, err := s.User(r)
	if err != nil {
		return ""
	}
	return sess.CSRFToken
}

// CheckCSRF checks an unsafe request (POST, PUT, PATCH, DELETE) that is
// signed in by its cookie: its Origin, if sent, must be this host, and it
// must carry the session's CSRF token. Safe methods pass.
func (s *Sessions) CheckCSRF(r *http.Request) error {
	if err := checkOrigin(r); err != nil {
		return err
	}
	if safeMethod(r.Method) {
		return nil
	}
	_, sess, err := s.User(r)
	if err != nil {
		return err
	}
	return checkCSRFToken(r, sess)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func errCSRF() error {
	return matthan.Errorf(matthan.EFORBIDDEN,
		"The request lacks this page's security token (CSRF); reload the page and try again",
		"Yêu cầu thiếu mã bảo vệ của trang (CSRF); vui lòng tải lại trang rồi thử lại")
}

func checkCSRFToken(r *http.Request, sess *matthan.Session) error {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
			got = r.PostFormValue(CSRFField)
		}
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
		return errCSRF()
	}
	return nil
}

// checkOrigin refuses a request sent by a page of another site: browsers
// send Origin with cross-site requests (fetch, forms, WebSocket), and
// without CORS we never serve those to cookie holders.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return matthan.Errorf(matthan.EFORBIDDEN,
			"The request came from a page of another site",
			"Yêu cầu đến từ trang của một trang web khác")
	}
	return nil
}

// Authenticate signs in an API request by, in order, an
// "Authorization: Bearer mt_…" token, HTTP Basic, or the session cookie,
// and returns the user with the request's scopes (a token's; all for a
// password or session). A cookie request must also pass CheckCSRF; a
// token or Basic request needs no CSRF token, as scripts send those, but
// a Basic request from another site's page (its Origin) is refused.
// Without any credentials: EUNAUTHORIZED.
func (s *Sessions) Authenticate(r *http.Request) (*matthan.User, matthan.Scopes, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			return s.tokenUser(ctx, strings.TrimSpace(value))
		case strings.EqualFold(scheme, "Basic"):
			name, pw, ok := r.BasicAuth()
			if !ok || name == "" {
				return nil, nil, errSignIn()
			}
			// A browser that once showed its Basic dialog sends these
			// credentials by itself, also with another site's form.
			if err := checkOrigin(r); err != nil {
				return nil, nil, err
			}
			u, err := s.checkPassword(ctx, RemoteHost(r), name, pw)
			if err != nil {
				return nil, nil, err
			}
			return u, matthan.AllScopes(), nil
		}
		return nil, nil, errSignIn()
	}
	if _, err := r.Cookie(CookieName); err != nil {
		return nil, nil, errSignIn()
	}
	if err := checkOrigin(r); err != nil {
		return nil, nil, err
	}
	u, sess, err := s.User(r)
	if err != nil {
		return nil, nil, err
	}
	if !safeMethod(r.Method) {
		if err := checkCSRFToken(r, sess); err != nil {
			return nil, nil, err
		}
	}
	return u, matthan.AllScopes(), nil
}

// ByCookie reports whether Authenticate would use r's session cookie
// (no Authorization header).
func ByCookie(r *http.Request) bool { return Via(r) == "session" }

// Via says how Authenticate signs r in: "token", "password" (HTTP Basic),
// "session" (the cookie), or "" (not at all).
func Via(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, _, _ := strings.Cut(h, " ")
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			return "token"
		case strings.EqualFold(scheme, "Basic"):
			return "password"
		}
		return ""
	}
	if _, err := r.Cookie(CookieName); err == nil {
		return "session"
	}
	return ""
}

// tokenUser signs in by API token.
func (s *Sessions) tokenUser(ctx context.Context, secret string) (*matthan.User, matthan.Scopes, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return nil, nil, errBadToken()
	}
	t, err := s.store.TokenByHash(ctx, hashToken(secret))
	if matthan.ErrorCode(err) == matthan.ENOTFOUND {
		return nil, nil, errBadToken()
	} else if err != nil {
		return nil, nil, fmt.Errorf("API token: %w", err)
	}
	now := s.now()
	if t.Expired(now) {
		return nil, nil, errBadToken()
	}
	if now.Sub(t.LastUsed) >= touchEvery {
		if err := s.store.TouchToken(ctx, t.ID, now); err != nil {
			s.log.WarnContext(ctx, "token use not recorded", "err", err)
		}
	}
	u, err := s.store.UserByName(ctx, t.User)
	if err != nil {
		return nil, nil, fmt.Errorf("token user: %w", err)
	}
	return u, t.Scopes, nil
}

// audit stores an entry, logging (not failing) when it cannot.
func (s *Sessions) audit(ctx context.Context, e *matthan.AuditEntry) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if err := s.store.AddAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.ErrorContext(ctx, "audit entry not stored", "action", e.Action, "user", e.User, "err", err)
	}
}

// IsLimited reports whether err is a sign-in refused by the rate limiter,
// and for how long.
func IsLimited(err error) (time.Duration, bool) {
	var l *LimitError
	if errors.As(err, &l) {
		return l.RetryAfter, true
	}
	return 0, false
}
