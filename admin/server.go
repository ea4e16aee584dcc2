package admin

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"kindling/store"
)

// DatabaseHeader names, in answers to authorised requests, the database
// file the running kindling holds, so that the Client can tell that it is
// the one its own config names.
const DatabaseHeader = "X-Kindling-Database"

// Facts are what /healthz reports about the running kindling.
type Facts interface {
	// LastTick is when the schedule last finished a tick (zero: never).
	LastTick() time.Time
	// LastTelegramSuccess is when a Telegram call last succeeded.
	LastTelegramSuccess() time.Time
	// Degraded lists what is wrong while kindling still answers.
	Degraded() []string
	// Probe writes a small record to the database, with its fsync.
	Probe() error
	// Failing is the error the database has refused writes with since
	// since, or nil when it takes them.
	Failing() (since time.Time, err error)
}

// BackupWriter streams a consistent copy of the database.
type BackupWriter interface {
	Backup(w io.Writer) (int64, error)
}

// ExportWriter streams answers as store.DB.Export writes them.
type ExportWriter interface {
	Export(w io.Writer, opts store.ExportOptions) error
}

// Options are what a Server serves. Every field but Now and AllowedHosts
// is required.
type Options struct {
	Token        string   // the bearer token /backup and /export want; "" refuses them all
	AllowedHosts []string // Host names answered besides loopback (admin.allowed_hosts)
	Tick         time.Duration
	Started      time.Time // no tick is missed before Started + StaleTicks ticks
	Now          func() time.Time
	Log          *slog.Logger
	Version      string
	Database     string // the database file, named in DatabaseHeader

	Facts      Facts
	Backup     BackupWriter
	BackupName func(time.Time) string // the file name offered for a backup taken then
	Export     ExportWriter
	Metrics    http.Handler
	// Audit, when set, writes the web workspace's record of who viewed
	// which client, from since on (GET /audit, with the token).
	Audit func(w io.Writer, since time.Time) error
}

// Server serves the admin endpoints.
type Server struct {
	opts    Options
	allowed []string // AllowedHosts, as hostKey writes them

	probeMu sync.Mutex
	probing *probe // the database write in flight, shared by concurrent /healthz
}

// New returns a Server for opts.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts}
	for _, h := range opts.AllowedHosts {
		s.allowed = append(s.allowed, hostKey(h))
	}
	return s
}

// Handler routes the admin endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.opts.Metrics)
	mux.Handle("GET /backup", s.authorised(http.HandlerFunc(s.backup)))
	mux.Handle("GET /export", s.authorised(http.HandlerFunc(s.export)))
	mux.Handle("GET /audit", s.authorised(http.HandlerFunc(s.audit)))
	return s.ownHost(mux)
}

// ownHost refuses, with 421 Misdirected Request, a request whose Host is
// neither a loopback name or address nor in AllowedHosts. A page in a
// browser on this machine can point a name it controls at 127.0.0.1 (DNS
// rebinding); its requests then carry that name, and are refused.
func (s *Server) ownHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostKey(r.Host)
		if !IsLoopback(host) && !slices.Contains(s.allowed, host) {
			s.opts.Log.Warn("admin: refused a request for another host", "host", r.Host, "path", r.URL.Path, "remote", r.RemoteAddr)
			http.Error(w, fmt.Sprintf("misdirected request: the admin address answers to localhost, 127.0.0.1, ::1 and admin.allowed_hosts, not to Host %q", r.Host), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostKey is the host of a Host header or of an allowed host entry,
// compared case-insensitively, without the port, the brackets of an IPv6
// address or a final dot.
func hostKey(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	return strings.ToLower(host)
}

// IsLoopback reports whether host (without a port) is localhost or a
// loopback address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authorised lets a request through when it carries the bearer token,
// compared in constant time.
func (s *Server) authorised(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if s.opts.Token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) != 1 {
			s.opts.Log.Warn("admin: refused a request without the right token", "path", r.URL.Path, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="kindling"`)
			http.Error(w, "unauthorized: send the admin token (admin.token, or the file store.path.admin-token) as 'Authorization: Bearer TOKEN'", http.StatusUnauthorized)
			return
		}
		if p, err := filepath.Abs(s.opts.Database); err == nil {
			w.Header().Set(DatabaseHeader, p)
		}
		next.ServeHTTP(w, r)
	})
}
