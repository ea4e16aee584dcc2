package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kindling/admin"
	"kindling/store"
)

// newAdmin is the admin server over a's database, schedule, sender and
// metrics. a.cfg.Admin.Token is the token in force: newApp fills it in
// from the token file when the config has none.
func newAdmin(a *app, started time.Time) *admin.Server {
	return admin.New(admin.Options{
		Token:        a.cfg.Admin.Token,
		AllowedHosts: a.cfg.Admin.AllowedHosts,
		Tick:         time.Duration(a.cfg.Schedule.Tick),
		Started:      started,
		Log:          a.log,
		Version:      version(),
		Database:     a.db.Path(),
		Facts:        appFacts{a},
		Backup:       a.db,
		BackupName:   store.BackupName,
		Export:       appExport{a},
		Audit: func(w io.Writer, since time.Time) error {
			return admin.WriteAudit(w, a.db, since, coachNames(a.cfg))
		},
		Metrics: promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		}),
	})
}

// appFacts are the app's answers to /healthz.
type appFacts struct{ a *app }

func (f appFacts) LastTick() time.Time            { return f.a.sched.LastTick() }
func (f appFacts) LastTelegramSuccess() time.Time { return f.a.sender.Stats().LastSuccess }
func (f appFacts) Degraded() []string             { return f.a.degraded() }

func (f appFacts) Probe() error {
	return f.a.db.Update(func(tx *store.Tx) error {
		return tx.Put("health", "probe", []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	})
}

func (f appFacts) Failing() (time.Time, error) {
	st := f.a.db.StorageStats()
	return st.Since, st.Failing
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
