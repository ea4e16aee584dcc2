package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kindling/store"
)

// staleTicks is how many schedule.tick intervals may pass without a
// finished tick before /healthz answers 503.
const staleTicks = 3

// probeTimeout bounds /healthz's write to the database.
const probeTimeout = 2 * time.Second

// databaseHeader names, in answers to authorised admin requests, the
// database file the running kindling holds, so that `kindling backup` and
// `kindling export` can tell that it is the one their config names.
const databaseHeader = "X-Kindling-Database"

// admin serves admin.listen: /healthz and /metrics to anyone who reaches
// it, /backup and /export only with the admin token; and nothing to a
// request whose Host is not this machine's loopback or one of
// admin.allowed_hosts.
type admin struct {
	a       *app
	token   string
	allowed []string // admin.allowed_hosts, as hostKey writes them
	tick    time.Duration
	started time.Time // a tick is not missed before started + staleTicks ticks
	now     func() time.Time
	log     *slog.Logger

	probeMu sync.Mutex
	probing *probe // the database write in flight, shared by concurrent /healthz
}

// probe is one write to the database on behalf of /healthz.
type probe struct {
	done chan struct{}
	err  error
}

// newAdmin serves a's admin address. a.cfg.Admin.Token is the token in
// force: newApp fills it in from the token file when the config has none.
func newAdmin(a *app, started time.Time) *admin {
	ad := &admin{
		a: a, token: a.cfg.Admin.Token, tick: time.Duration(a.cfg.Schedule.Tick),
		started: started, now: time.Now, log: a.log,
	}
	for _, h := range a.cfg.Admin.AllowedHosts {
		ad.allowed = append(ad.allowed, hostKey(h))
	}
	return ad
}

// handler routes the admin endpoints.
func (ad *admin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", ad.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(ad.a.metrics.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(ad.log.Handler(), slog.LevelWarn),
	}))
	mux.Handle("GET /backup", ad.authorised(http.HandlerFunc(ad.backup)))
	mux.Handle("GET /export", ad.authorised(http.HandlerFunc(ad.export)))
	return ad.ownHost(mux)
}

// ownHost refuses, with 421 Misdirected Request, a request whose Host is
// neither a loopback name or address nor in admin.allowed_hosts. A page
// in a browser on this machine can point a name it controls at 127.0.0.1
// (DNS rebinding); its requests then carry that name, and are refused.
func (ad *admin) ownHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostKey(r.Host)
		if !isLoopback(host) && !slices.Contains(ad.allowed, host) {
			ad.log.Warn("admin: refused a request for another host", "host", r.Host, "path", r.URL.Path, "remote", r.RemoteAddr)
			http.Error(w, fmt.Sprintf("misdirected request: the admin address answers to localhost, 127.0.0.1, ::1 and admin.allowed_hosts, not to Host %q", r.Host), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostKey is the host of a Host header or of an admin.allowed_hosts
// entry, compared case-insensitively, without the port, the brackets of
// an IPv6 address or a final dot.
func hostKey(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	return strings.ToLower(host)
}

// authorised lets a request through when it carries the bearer token,
// compared in constant time.
func (ad *admin) authorised(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ad.token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(ad.token)) != 1 {
			ad.log.Warn("admin: refused a request without the right token", "path", r.URL.Path, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="kindling"`)
			http.Error(w, "unauthorized: send the admin token (admin.token, or the file store.path.admin-token) as 'Authorization: Bearer TOKEN'", http.StatusUnauthorized)
			return
		}
		if p, err := filepath.Abs(ad.a.db.Path()); err == nil {
			w.Header().Set(databaseHeader, p)
		}
		next.ServeHTTP(w, r)
	})
}

// adminTokenSuffix names the file beside the database that holds the
// admin token kindling made itself: kindling.db.admin-token.
const adminTokenSuffix = ".admin-token"

// adminTokenPath is the admin token file of the database at storePath.
func adminTokenPath(storePath string) string { return storePath + adminTokenSuffix }

// ensureAdminToken returns the token in the admin token file beside the
// database at storePath, first making one when there is none: 32 random
// bytes in unpadded base64url, written 0600 into a temporary file, synced
// and renamed into place, so that a crash leaves no half token. A file
// others may read is made 0600 again. The token is never logged.
func ensureAdminToken(storePath string, log *slog.Logger) (string, error) {
	path := adminTokenPath(storePath)
	tok, err := readAdminToken(path)
	switch {
	case err == nil && tok != "":
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("admin token %s: %w", path, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", fmt.Errorf("admin token %s: others may read it, and it cannot be made 0600: %w", path, err)
			}
			log.Warn("admin token file was readable by others; made it 0600", "path", path)
		}
		return tok, nil
	case err == nil:
		log.Warn("admin token file is empty; writing a new token", "path", path)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("admin token %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	tok = base64.RawURLEncoding.EncodeToString(raw)
	tmp := path + ".tmp"
	if _, err := writeSynced(tmp, strings.NewReader(tok+"\n")); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("admin token %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("admin token %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the rename survives a crash
		_ = d.Close()
	}
	log.Info("admin token written for kindling export and backup", "path", path)
	return tok, nil
}

// health is the body of /healthz.
type health struct {
	Status              string    `json:"status"` // "ok", "degraded" (answering, see Degraded) or "unhealthy"
	Problems            []string  `json:"problems,omitempty"`
	Degraded            []string  `json:"degraded,omitempty"` // what is wrong while kindling answers (lastgood.go)
	DBWritable          bool      `json:"db_writable"`
	LastTick            time.Time `json:"last_tick,omitzero"`
	LastTelegramSuccess time.Time `json:"last_telegram_success,omitzero"`
	Version             string    `json:"version"`
}

// healthz answers 200 when the database takes a write and the schedule
// ticked within the last staleTicks ticks (or kindling started less than
// that long ago), 503 otherwise. Telegram being unreachable is reported
// (last_telegram_success) but is not kindling's fault, so not a 503.
func (ad *admin) healthz(w http.ResponseWriter, r *http.Request) {
	now := ad.now()
	h := health{Status: "ok", Version: version(), LastTick: ad.a.sched.LastTick(), LastTelegramSuccess: ad.a.bot.Sender.Stats().LastSuccess}
	if err := ad.writable(); err != nil {
		h.Problems = append(h.Problems, "database not writable: "+err.Error())
	} else {
		h.DBWritable = true
	}
	since := h.LastTick
	if since.Before(ad.started) {
		since = ad.started
	}
	if limit := staleTicks * ad.tick; now.Sub(since) > limit {
		what := "no schedule tick since the start " + now.Sub(since).Round(time.Second).String() + " ago"
		if !h.LastTick.IsZero() {
			what = "last schedule tick " + now.Sub(since).Round(time.Second).String() + " ago"
		}
		h.Problems = append(h.Problems, fmt.Sprintf("%s (more than %d × schedule.tick)", what, staleTicks))
	}
	status := http.StatusOK
	if h.Degraded = ad.a.degraded(); len(h.Degraded) > 0 {
		h.Status = "degraded"
	}
	if len(h.Problems) > 0 {
		h.Status = "unhealthy"
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h)
}

// writable writes a small record to the database: a write transaction
// with its fsync, so that a full disk, a file turned read-only or a stuck
// writer shows. Concurrent calls share one write; none waits longer than
// probeTimeout.
func (ad *admin) writable() error {
	ad.probeMu.Lock()
	p := ad.probing
	if p == nil {
		p = &probe{done: make(chan struct{})}
		ad.probing = p
		go func() {
			p.err = ad.a.db.Update(func(tx *store.Tx) error {
				return tx.Put("health", "probe", []byte(ad.now().UTC().Format(time.RFC3339Nano)))
			})
			ad.probeMu.Lock()
			ad.probing = nil
			ad.probeMu.Unlock()
			close(p.done)
		}()
	}
	ad.probeMu.Unlock()
	t := time.NewTimer(probeTimeout)
	defer t.Stop()
	select {
	case <-p.done:
		return p.err
	case <-t.C:
		return fmt.Errorf("a write did not finish within %s", probeTimeout)
	}
}

// backup streams a consistent copy of the database. A failure halfway
// aborts the connection, so the client sees an incomplete transfer rather
// than a short file that looks whole.
func (ad *admin) backup(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", backupName(began)))
	n, err := ad.a.db.Backup(w)
	if err != nil {
		ad.log.Error("admin: backup failed", "remote", r.RemoteAddr, "bytes", n, "err", err)
		if n == 0 {
			http.Error(w, "backup failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		panic(http.ErrAbortHandler)
	}
	ad.log.Info("admin: backup served", "remote", r.RemoteAddr, "bytes", n, "took", time.Since(began).Round(time.Millisecond))
}

// export streams answers as store.DB.Export writes them:
// ?client=CHAT_ID&since=YYYY-MM-DD&format=csv|json, each optional.
func (ad *admin) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts, err := exportOptions(q.Get("client"), q.Get("since"), q.Get("format"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if opts.Format == "json" {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	cw := &countingWriter{w: w}
	err = ad.a.db.Export(cw, opts)
	switch {
	case err == nil:
		ad.log.Info("admin: export served", "remote", r.RemoteAddr, "client", opts.ChatID, "format", opts.Format, "bytes", cw.n)
	case cw.n > 0:
		ad.log.Error("admin: export failed", "remote", r.RemoteAddr, "bytes", cw.n, "err", err)
		panic(http.ErrAbortHandler)
	case errors.Is(err, store.ErrNotFound):
		w.Header().Del("Content-Type")
		http.Error(w, fmt.Sprintf("no client %d", opts.ChatID), http.StatusNotFound)
	default:
		ad.log.Error("admin: export failed", "remote", r.RemoteAddr, "err", err)
		w.Header().Del("Content-Type")
		http.Error(w, "export failed: "+err.Error(), http.StatusInternalServerError)
	}
}

// exportOptions reads the options of an export as the command line and
// the admin endpoint both take them; errors name the flag.
func exportOptions(client, since, format string) (store.ExportOptions, error) {
	opts := store.ExportOptions{Format: format}
	if opts.Format == "" {
		opts.Format = "csv"
	}
	if opts.Format != "csv" && opts.Format != "json" {
		return opts, fmt.Errorf("--format: want csv or json, got %q", format)
	}
	if client != "" && client != "0" {
		id, err := strconv.ParseInt(client, 10, 64)
		if err != nil {
			return opts, fmt.Errorf("--client: want a chat id, got %q", client)
		}
		opts.ChatID = id
	}
	if since != "" {
		t, err := time.Parse("2006-01-02", since)
		if err != nil {
			return opts, fmt.Errorf("--since: want YYYY-MM-DD, got %q", since)
		}
		opts.Since = t
	}
	return opts, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// listen opens a listener for the config key whose address it is; the
// error names the key and says what to do when the port is taken.
func listen(key, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (another program, or another kindling, uses this port: choose another " + key + ")"
		}
		return nil, fmt.Errorf("%s %s: %w%s", key, addr, err, hint)
	}
	return ln, nil
}

// serveHTTP serves h on ln until the returned server is shut down.
func serveHTTP(ln net.Listener, h http.Handler, log *slog.Logger, name string) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			log.Error(name+" server stopped", "err", err)
		}
	}()
	return srv
}
