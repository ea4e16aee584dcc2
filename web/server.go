package web

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"kindling/prompts"
	"kindling/store"
)

// Alerts acts on safety alerts as the buttons in Telegram do; the bot
// implements it. An alert the coach may not act on is an error wrapping
// store.ErrNotFound or one for which NotYours reports true.
type Alerts interface {
	AcknowledgeAlert(coach, chatID int64, at time.Time) error
	ResolveAlert(coach, chatID int64, at time.Time, note string) error
}

// Coach is a person who may sign in.
type Coach struct {
	ID       int64
	Name     string
	TimeZone string // IANA name; times on the pages are in it
}

// Options are what the workspace needs. DB, BaseURL and Coaches are
// required.
type Options struct {
	DB *store.DB
	// BaseURL is the address coaches open (web.base_url); its host, and
	// loopback ones, are the only Host headers answered. An https URL
	// makes the session cookie Secure.
	BaseURL    string
	SessionTTL time.Duration // 0: 12 hours
	Coaches    []Coach

	// Prompts is the active prompt set; PromptsDir the folder it is read
	// from ("" for the built-in one, which cannot be edited here) with
	// PromptOptions; Reload reloads it as the bot's /reload does.
	Prompts       func() *prompts.Set
	PromptsDir    string
	PromptOptions prompts.Options
	Reload        func() (ok bool, problems []string)

	Alerts Alerts
	// NotYours reports whether an error of Alerts means the alert is not
	// the coach's (answered 404 like an unknown one).
	NotYours func(error) bool

	// DataDir is the folder voice notes' paths are relative to.
	DataDir string

	// FHIR, when set, writes the scored check-ins of the given clients as
	// a FHIR R4 Bundle; the export page then offers that format too.
	FHIR func(w io.Writer, chatIDs []int64) error

	// CheckinBand, when set, gives the band of the client's latest scored
	// check-in for the clients page ("" for none).
	CheckinBand func(tx *store.Tx, chatID int64) (string, error)

	Now    func() time.Time
	Logger *slog.Logger
}

// Server serves the workspace. Make it with New.
type Server struct {
	opts     Options
	base     *url.URL
	secure   bool
	pages    map[string]*template.Template
	coaches  map[int64]Coach
	zones    sync.Map // IANA name -> *time.Location
	limiter  *limiter
	promptMu sync.Mutex // one prompt save at a time
	mux      *http.ServeMux
	stats    counters
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New checks opts and builds the server.
func New(opts Options) (*Server, error) {
	if opts.DB == nil {
		return nil, errors.New("web: no database")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: base url: want http(s)://host[:port][/path], got %q", opts.BaseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Prompts == nil {
		opts.Prompts = prompts.Default
	}
	s := &Server{opts: opts, base: u, secure: u.Scheme == "https", coaches: map[int64]Coach{},
		limiter: newLimiter(20, 10*time.Minute, opts.Now)}
	for _, c := range opts.Coaches {
		s.coaches[c.ID] = c
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// Handler is the whole workspace.
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix(s.base.Path+"/static/", http.FileServerFS(static))
	m.Handle("GET "+s.base.Path+"/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no listing of the folder
			s.notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	p := s.base.Path
	m.HandleFunc("GET "+p+"/login", s.loginPage)
	m.HandleFunc("POST "+p+"/login", s.login)
	m.HandleFunc("POST "+p+"/logout", s.signedIn(s.logout))
	m.HandleFunc("GET "+p+"/{$}", s.signedIn(s.clientsPage))
	m.HandleFunc("GET "+p+"/clients/{id}", s.signedIn(s.clientPage))
	m.HandleFunc("GET "+p+"/clients/{id}/voice/{reply}", s.signedIn(s.voice))
	m.HandleFunc("GET "+p+"/alerts", s.signedIn(s.alertsPage))
	m.HandleFunc("POST "+p+"/alerts", s.signedIn(s.alertAction))
	m.HandleFunc("GET "+p+"/prompts", s.signedIn(s.promptsPage))
	m.HandleFunc("GET "+p+"/prompts/edit", s.signedIn(s.promptEditPage))
	m.HandleFunc("POST "+p+"/prompts/edit", s.signedIn(s.promptEdit))
	m.HandleFunc("POST "+p+"/prompts/check", s.signedIn(s.promptCheck))
	m.HandleFunc("GET "+p+"/export", s.signedIn(s.exportPage))
	m.HandleFunc("GET "+p+"/export/file", s.signedIn(s.exportFile))
	m.HandleFunc("/", s.notFound)
	s.mux = m
}

// guard refuses a request for a Host that is not the workspace's and
// sets the headers every answer carries.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, s.base.Path+"/static/") {
			h.Set("Cache-Control", "no-store")
		}
		// The largest form is a prompt file (at most 1 MiB as the loader
		// reads it), as text, with its few fields.
		r.Body = http.MaxBytesReader(w, r.Body, 3<<20)
		if !s.hostAllowed(r.Host) {
			s.stats.hostsRefused.Add(1)
			s.opts.Logger.Warn("web: refused a request for another host", "host", r.Host, "remote", r.RemoteAddr)
			http.Error(w, "this address does not serve that host", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a Host header names web.base_url's host or
// a loopback one (any port).
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, s.base.Hostname()) {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// session is the signed-in coach of a request.
type session struct {
	token string
	store.WebSession
	coach Coach
}

type sessionKey struct{}

// cookieName is the session cookie's name: with https the __Host- prefix
// binds it to this host and path /.
func (s *Server) cookieName() string {
	if s.secure && s.base.Path == "" {
		return "__Host-kindling"
	}
	return "kindling_session"
}

// signedIn runs h for a request with a valid session, after checking the
// CSRF token of a form; without one it shows how to sign in.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(s.cookieName())
		var ws store.WebSession
		if err == nil {
			err = s.opts.DB.View(func(tx *store.Tx) error {
				var err error
				ws, err = tx.WebSession(ck.Value, s.opts.Now())
				return err
			})
		}
		co, known := s.coaches[ws.Coach]
		if err != nil || !known {
			if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, http.ErrNoCookie) {
				s.fail(w, r, "read session", err)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
			s.render(w, r, "signin", nil, pageData{Title: "Sign in"})
			return
		}
		sess := &session{token: ck.Value, WebSession: ws, coach: co}
		if r.Method == http.MethodPost {
			if !s.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(ws.CSRF)) != 1 {
				s.stats.formsRefused.Add(1)
				s.opts.Logger.Warn("web: refused a form without its token", "path", r.URL.Path, "coach", co.ID)
				w.WriteHeader(http.StatusForbidden)
				wd := s.words(sess.Language)
				s.render(w, r, "message", sess, pageData{Title: "Please try again", Data: message{
					Heading: wd.T("That form had expired"),
					Text:    wd.T("The page was open for a long time, or came from somewhere else. Go back, reload the page and send it again."),
				}})
				return
			}
		}
		h(w, r, sess)
	}
}

// sameOrigin refuses a form posted from another site, when the browser
// says where it came from: Sec-Fetch-Site where it sends it, else Origin.
// (With Referrer-Policy no-referrer, a browser sends "Origin: null" even
// for its own forms; the CSRF token still has to match.)
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && s.hostAllowed(u.Host)
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// pageData is what the layout needs of every page.
type pageData struct {
	W     words // the coach's language
	Title string
	Nav   string // the section shown as current
	CSRF  string
	Coach string
	Base  string
	Data  any
}

// message is a page that only says something.
type message struct {
	Heading, Text  string
	Link, LinkText string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, sess *session, d pageData) {
	t, ok := s.pages[page]
	if !ok {
		s.fail(w, r, "render", fmt.Errorf("no page %q", page))
		return
	}
	d.Base = s.base.Path
	if sess != nil {
		d.CSRF, d.Coach = sess.CSRF, sess.coach.Name
	}
	if d.W.msgs == nil {
		if sess != nil {
			d.W = s.words(sess.Language)
		} else {
			d.W = s.browserWords(r)
		}
	}
	d.Title = d.W.T(d.Title)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(w, d); err != nil {
		s.opts.Logger.Error("web: render page", "page", page, "err", err)
	}
}

// fail answers 500 and logs what failed (never a client's words: errors
// of the store name keys, not values).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.opts.Logger.Error("web: "+what, "path", r.URL.Path, "err", err)
	w.WriteHeader(http.StatusInternalServerError)
	wd := s.browserWords(r)
	s.render(w, r, "message", nil, pageData{W: wd, Title: "Something went wrong", Data: message{
		Heading: wd.T("Something went wrong"),
		Text:    wd.T("kindling could not show this page. Nothing was changed. The log of the server says more; please try again in a moment."),
	}})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNotFound)
	wd := s.browserWords(r)
	s.render(w, r, "message", nil, pageData{W: wd, Title: "Not found", Data: message{
		Heading: wd.T("There is nothing here"),
		Text:    wd.T("This page does not exist, or is not yours to see."),
		Link:    s.base.Path + "/", LinkText: wd.T("Back to your clients"),
	}})
}

// zone is the named time zone, UTC when it cannot be loaded.
func (s *Server) zone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := s.zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = time.UTC
	}
	s.zones.Store(name, l)
	return l
}

// limiter allows each remote address n attempts per window.
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	now    func() time.Time
	seen   map[string][]time.Time
}

func newLimiter(n int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{n: n, window: window, now: now, seen: map[string][]time.Time{}}
}

// remote is who a request comes from, for the sign-in limit: the peer's
// address, or, when the peer is a proxy on this machine, the address the
// proxy added last to X-Forwarded-For (a client can write the earlier
// ones itself, not that one).
func remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
				return last
			}
		}
	}
	return host
}

// allow records an attempt from host and reports whether it is within
// the limit.
func (l *limiter) allow(host string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 10000 { // forget the quiet ones rather than grow
		for k, ts := range l.seen {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) > l.window {
				delete(l.seen, k)
			}
		}
	}
	kept := l.seen[host][:0]
	for _, t := range l.seen[host] {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.n {
		l.seen[host] = kept
		return false
	}
	l.seen[host] = append(kept, now)
	return true
}

// funcs are the template functions of the pages.
var funcs = template.FuncMap{}
