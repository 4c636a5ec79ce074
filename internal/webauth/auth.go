package webauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/internal/control"
)

// CookieName is the session cookie.
const CookieName = "alived_session"

// Session lifetimes: a session ends after IdleTimeout without a request
// or MaxAge after login, whichever comes first.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
)

// maxLoginBody bounds a login request: a user name and a password.
const maxLoginBody = 4 << 10

// maxBody bounds the bodies the policy reads to decide (the API's own
// bound).
const maxBody = 1 << 20

// kdfSlots is how many password verifications run at once: each costs
// argon2id's memory, and the machine's first job is load balancing.
const kdfSlots = 2

// Options configure an Auth.
type Options struct {
	// UsersFile is the users file (DefaultUsersFile when empty). It is
	// re-read when it changes; while it does not exist the API is off.
	UsersFile string
	// Staged reports the staged edits for the operator rule; nil: only
	// admins may plan, apply or discard.
	Staged Staged
	// AllowInsecureLogin allows logins over plain HTTP on a non-loopback
	// address (--web.allow-insecure-login): passwords and session
	// cookies then cross the network in clear.
	AllowInsecureLogin bool
	// Logger receives logins, logouts and refusals (never a password or
	// token); nil discards.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
	// IdleTimeout and MaxAge bound sessions (defaults above).
	IdleTimeout, MaxAge time.Duration
	// KDF hashes the dummy password that unknown users are checked
	// against, so they take as long as known ones (DefaultKDF when
	// zero).
	KDF KDFParams
}

// Auth authenticates and authorises the web listener's API.
type Auth struct {
	opt      Options
	log      *slog.Logger
	src      *userSource
	sessions *sessions
	limits   *limiter
	slots    chan struct{}

	dummyOnce sync.Once
	dummy     string
}

// New returns an Auth.
func New(opt Options) *Auth {
	if opt.UsersFile == "" {
		opt.UsersFile = DefaultUsersFile
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = DefaultMaxAge
	}
	if opt.KDF == (KDFParams{}) {
		opt.KDF = DefaultKDF()
	}
	a := &Auth{opt: opt, log: opt.Logger, src: &userSource{path: opt.UsersFile},
		sessions: newSessions(opt.Now, opt.IdleTimeout, opt.MaxAge), limits: newLimiter(opt.Now),
		slots: make(chan struct{}, kdfSlots)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.src.log = a.log
	return a
}

// OffText is what the web listener says while no users file exists.
func OffText(usersFile string) string {
	return "alived: the web UI and API are off: there is no users file (" + usersFile + ").\n" +
		"Turn them on by creating the first user:\n\n" +
		"    alivectl user add NAME --role admin\n\n" +
		"(add --users-file PATH if alived runs with --web.users-file PATH). No restart is needed.\n"
}

// Enabled reports whether the users file exists (the UI and API are on).
// A malformed file counts as on: its requests are refused with an error
// rather than the instructions for a fresh install.
func (a *Auth) Enabled() bool {
	_, err := a.users()
	return !errors.Is(err, errNoUsers)
}

// UsersFile is the users file's path.
func (a *Auth) UsersFile() string { return a.opt.UsersFile }

// users reads the users file (its failures are logged by the source,
// once per version of the file).
func (a *Auth) users() (*Users, error) { return a.src.get() }

// identity is who made a request.
type identity struct {
	user string
	role Role
	// caller is what the history and audit log record.
	caller string
	// session is the session ID (empty for a token).
	session string
}

type identityKey struct{}

// Handler serves the API next (built by api.NewHandler with a
// Controller) behind the session routes (login, logout, whoami), the
// role policy and cross-origin protection. Only routes api.Routes lists
// are passed on.
func (a *Auth) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	pol := Policy()
	for _, rt := range api.Routes() {
		key := rt.Method + " " + rt.Path
		acc, ok := pol[key]
		if !ok {
			acc = Administer
		}
		mux.Handle(key, a.guard(acc, next))
	}
	own := a.sessionHandlers()
	for _, rt := range api.WebSessionRoutes() {
		key := rt.Method + " " + rt.Path
		mux.Handle(key, own[key])
	}
	return Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if _, err := a.users(); errors.Is(err, errNoUsers) {
			writeError(w, http.StatusServiceUnavailable, strings.ReplaceAll(strings.TrimSpace(OffText(a.opt.UsersFile)), "\n", " "))
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// sessionHandlers are the handlers of api.WebSessionRoutes.
func (a *Auth) sessionHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /api/v1/login":  http.HandlerFunc(a.login),
		"POST /api/v1/logout": http.HandlerFunc(a.logout),
		"GET /api/v1/whoami": a.guard(View, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Context().Value(identityKey{}).(identity)
			writeJSON(w, http.StatusOK, api.Identity{User: id.user, Role: string(id.role)})
		})),
	}
}

// Protect applies the protections every response of the web listener
// gets: Go's cross-origin protection for unsafe methods (a form another
// site posts is refused; a request carrying a bearer token is not sent
// by a browser on its own, so it passes) and headers that forbid
// framing and content sniffing.
func Protect(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	protected := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		if _, ok := bearer(r); ok {
			h.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// bearer is the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(tok), ok
}

// identify finds who made r: a bearer token when an Authorization header
// is present (cookies are then ignored), else the session cookie.
func (a *Auth) identify(r *http.Request, users *Users) (identity, bool) {
	if r.Header.Get("Authorization") != "" {
		tok, ok := bearer(r)
		if !ok {
			return identity{}, false
		}
		u, t := users.byToken(tok)
		if u == nil {
			return identity{}, false
		}
		return identity{user: u.Name, role: u.Role, caller: "web:" + u.Name + " (token " + t.ID + ")"}, true
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return identity{}, false
	}
	s, ok := a.sessions.get(c.Value)
	if !ok {
		return identity{}, false
	}
	u := users.Find(s.user)
	if u == nil || u.PasswordHash != s.pwHash {
		// Removed, or the password changed since the login.
		a.sessions.remove(c.Value)
		return identity{}, false
	}
	return identity{user: u.Name, role: u.Role, caller: "web:" + u.Name, session: c.Value}, true
}

// guard checks the caller against acc and passes the request on naming
// the caller (api.WithCaller) for history and audit.
func (a *Auth) guard(acc Access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if acc == Public {
			next.ServeHTTP(w, r)
			return
		}
		users, err := a.users()
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "the users file is unusable; see the daemon's log")
			return
		}
		id, ok := a.identify(r, users)
		if !ok {
			writeError(w, http.StatusUnauthorized, "not logged in, session expired, or token unknown")
			return
		}
		need, ok := a.required(acc, id.role, w, r)
		if !ok {
			return
		}
		if !id.role.Allows(need) {
			a.log.Warn("web: refused by role", "user", id.user, "role", id.role, "needs", need, "method", r.Method, "path", r.URL.Path)
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s %s needs role %s; %s is %s", r.Method, r.URL.Path, need, id.user, id.role))
			return
		}
		ctx := api.WithCaller(context.WithValue(r.Context(), identityKey{}, id), id.caller)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// required is the role acc needs for r. OperateEdits looks at the edit
// or the staged edits, and only for an operator (an admin may anyway, a
// viewer may not). The body it reads is handed on unchanged.
func (a *Auth) required(acc Access, role Role, w http.ResponseWriter, r *http.Request) (Role, bool) {
	switch acc {
	case View:
		return Viewer, true
	case Operate:
		return Operator, true
	case OperateEdits:
		if role != Operator {
			return Operator, true
		}
	default:
		return Admin, true
	}
	var body struct {
		Op   control.Op `json:"op"`
		File string     `json:"file"`
	}
	if r.Method != http.MethodDelete {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			} else {
				writeError(w, http.StatusBadRequest, "request body: "+err.Error())
			}
			return "", false
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		if json.Unmarshal(data, &body) != nil {
			// The API refuses it too, but only an admin learns why.
			return Admin, true
		}
	}
	switch {
	case r.URL.Path == "/api/v1/changes" && r.Method == http.MethodPost:
		if operatorOp(body.Op) {
			return Operator, true
		}
	case body.File == "" && a.opt.Staged != nil && allOperatorOps(a.opt.Staged.StagedOps()):
		return Operator, true
	}
	return Admin, true
}

// loginAllowed: over TLS, on a loopback connection, or when the operator
// allowed plain HTTP explicitly.
func (a *Auth) loginAllowed(r *http.Request) bool {
	if r.TLS != nil || a.opt.AllowInsecureLogin {
		return true
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := la.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
			return true
		}
	}
	return false
}

// clientIP is the connection's peer address (forwarding headers are not
// trusted: anyone can send them).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// dummyHash is a hash of nothing anybody knows, checked for unknown
// users so that they cost as long as known ones.
func (a *Auth) dummyHash() string {
	a.dummyOnce.Do(func() {
		a.dummy, _ = HashPassword("no such user: timing equaliser", a.opt.KDF)
	})
	return a.dummy
}

func (a *Auth) login(w http.ResponseWriter, r *http.Request) {
	if !a.loginAllowed(r) {
		writeError(w, http.StatusForbidden, "login over plain HTTP on a non-loopback address is refused: "+
			"give alived --web.tls-cert-file and --web.tls-key-file, or --web.allow-insecure-login")
		return
	}
	users, err := a.users()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the users file is unusable; see the daemon's log")
		return
	}
	var req api.LoginRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxLoginBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "login request too large")
			return
		}
		writeError(w, http.StatusBadRequest, "login request: want {\"user\":…,\"password\":…}")
		return
	}
	ip := clientIP(r)
	name := req.User
	if len(name) > 64 {
		name = name[:64]
	}
	ipKey, userKey := "ip:"+ip, "user:"+name
	if wait := max(a.limits.wait(ipKey), a.limits.wait(userKey)); wait > 0 {
		a.log.Warn("web: login rate limited", "client", ip, "retry_after", wait.Round(time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeError(w, http.StatusTooManyRequests, "too many failed logins; try again later")
		return
	}
	select {
	case a.slots <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	u := users.Find(req.User)
	hash := a.dummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, _ := VerifyPassword(hash, req.Password)
	<-a.slots
	ok = ok && u != nil && u.PasswordHash != ""
	if !ok {
		a.limits.fail(ipKey)
		a.limits.fail(userKey)
		logged := name
		if u == nil {
			// An unknown name is often a password typed into the wrong
			// field: it is not logged.
			logged = "(unknown user)"
		}
		a.log.Warn("web: login failed", "user", logged, "client", ip)
		writeError(w, http.StatusUnauthorized, "wrong user name or password")
		return
	}
	a.limits.succeed(ipKey)
	a.limits.succeed(userKey)
	sid, err := a.sessions.create(u.Name, u.PasswordHash)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "cannot open a session")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: sid, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	a.log.Info("web: login", "user", u.Name, "role", u.Role, "client", ip)
	writeJSON(w, http.StatusOK, api.Identity{User: u.Name, Role: string(u.Role)})
}

func (a *Auth) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		if s, ok := a.sessions.get(c.Value); ok {
			a.log.Info("web: logout", "user", s.user, "client", clientIP(r))
		}
		a.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	writeJSON(w, http.StatusOK, struct {
		OK bool `json:"ok"`
	}{true})
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, api.ErrorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
