package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
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

// admin serves admin.listen: /healthz to anyone who reaches it; /metrics,
// /backup and /export only with admin.token, when one is set.
type admin struct {
	a       *app
	token   string
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

func newAdmin(a *app, started time.Time) *admin {
	return &admin{
		a: a, token: a.cfg.Admin.Token, tick: time.Duration(a.cfg.Schedule.Tick),
		started: started, now: time.Now, log: a.log,
	}
}

// handler routes the admin endpoints.
func (ad *admin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", ad.healthz)
	mux.Handle("GET /metrics", ad.authorised(promhttp.HandlerFor(ad.a.metrics.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(ad.log.Handler(), slog.LevelWarn),
	})))
	mux.Handle("GET /backup", ad.authorised(http.HandlerFunc(ad.backup)))
	mux.Handle("GET /export", ad.authorised(http.HandlerFunc(ad.export)))
	return mux
}

// authorised lets a request through when it carries the bearer token (or
// no token is configured).
func (ad *admin) authorised(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ad.token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(ad.token)) != 1 {
				ad.log.Warn("admin: refused a request without the right token", "path", r.URL.Path, "remote", r.RemoteAddr)
				w.Header().Set("WWW-Authenticate", `Bearer realm="kindling"`)
				http.Error(w, "unauthorized: send admin.token as 'Authorization: Bearer TOKEN'", http.StatusUnauthorized)
				return
			}
		}
		if p, err := filepath.Abs(ad.a.db.Path()); err == nil {
			w.Header().Set(databaseHeader, p)
		}
		next.ServeHTTP(w, r)
	})
}

// health is the body of /healthz.
type health struct {
	Status              string    `json:"status"` // "ok" or "unhealthy"
	Problems            []string  `json:"problems,omitempty"`
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
	} else if st := ad.a.db.StorageStats(); st.Failing != nil {
		// A small probe fits in free pages when larger writes do not.
		h.Problems = append(h.Problems, fmt.Sprintf("database refuses writes since %s: %v", st.Since.UTC().Format(time.RFC3339), st.Failing))
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
