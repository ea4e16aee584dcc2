package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"kindling/bot"
	"kindling/prompts"
	"kindling/safety"
	"kindling/schedule"
	"kindling/store"
)

// app is kindling put together: the store, the prompts, the bot and the
// schedule. run and demo build one; close releases it in reverse order.
type app struct {
	cfg      Config
	log      *slog.Logger
	db       *store.DB
	prompts  func() *prompts.Set
	watcher  *prompts.Watcher
	bot      *bot.Bot
	sched    *schedule.Scheduler
	poller   *bot.Poller
	metrics  *metrics
	forgotMu sync.Mutex
	forgot   bool // a client erased their data since the last compaction
}

// appOptions are what differs between a real run and the demo.
type appOptions struct {
	now     func() time.Time
	perChat time.Duration // 0: Telegram's one message per second per chat
	// storeRecoverAfter shortens, for tests, how long the store must take
	// writes after a refused one before it counts as healthy (0: a minute).
	storeRecoverAfter time.Duration
}

// loadConfig reads the config for a subcommand: an explicit --config must
// exist; the default ./config.yaml may be absent (defaults apply).
func loadConfig(path string, explicit bool, getenv func(string) string) (Config, error) {
	cfg, err := LoadConfig(path, getenv)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		cfg, err = LoadConfig("", getenv)
	}
	if err != nil {
		return cfg, fmt.Errorf("config:\n%w", err)
	}
	return cfg, nil
}

// newLogger logs as log.format and log.level say. Answers and tokens never
// go into a log line at info level or above.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the database with the lock timeout kindling always uses;
// onStorage is told when writes begin to be refused and when they are
// taken again, recoverAfter (0: a minute) after the last refused write
// (see store.Options).
func openStore(cfg Config, now func() time.Time, onStorage func(error), recoverAfter time.Duration) (*store.DB, error) {
	return store.Open(cfg.Store.Path, store.Options{Timeout: time.Second, Now: now, OnStorage: onStorage, RecoverAfter: recoverAfter})
}

// newApp builds everything but starts nothing.
func newApp(ctx context.Context, cfg Config, log *slog.Logger, api *tgbot.Bot, opts appOptions) (*app, error) {
	a := &app{cfg: cfg, log: log}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	popts := prompts.Options{DefaultLanguage: cfg.Prompts.DefaultLanguage}
	if cfg.Prompts.Dir != "" {
		w, err := prompts.Watch(ctx, cfg.Prompts.Dir, popts, log)
		if err != nil {
			return nil, fmt.Errorf("prompts.dir %s: %w", cfg.Prompts.Dir, err)
		}
		a.watcher = w
		a.prompts = w.Current
	} else {
		set := prompts.Default()
		a.prompts = func() *prompts.Set { return set }
	}
	if !a.prompts().Has(cfg.Prompts.DefaultSequence) {
		a.close()
		return nil, fmt.Errorf("prompts.default_sequence: no sequence %q (have %s)", cfg.Prompts.DefaultSequence, strings.Join(a.prompts().IDs(), ", "))
	}

	phrases := maps.Clone(safety.DefaultPhrases)
	maps.Copy(phrases, cfg.Safety.Phrases)
	net, err := safety.New(phrases)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("safety.phrases: %w", err)
	}
	crisis := maps.Clone(safety.DefaultCrisisMessage)
	maps.Copy(crisis, cfg.Safety.CrisisMessage)

	db, err := openStore(cfg, now, a.storageChanged, opts.storeRecoverAfter)
	if err != nil {
		a.close()
		return nil, err
	}
	a.db = db

	quiet, err := schedule.ParseWindow(cfg.Schedule.QuietHours)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("schedule.quiet_hours: %w", err)
	}
	a.sched = &schedule.Scheduler{
		DB: db, Prompts: a.prompts, Logger: log,
		CatchUp: time.Duration(cfg.Schedule.CatchUp), RemindAfter: time.Duration(cfg.Schedule.RemindAfter),
		Quiet: quiet, DefaultTime: cfg.Schedule.DefaultTime, DefaultSequence: cfg.Prompts.DefaultSequence,
	}
	var coaches []bot.Coach
	for _, c := range cfg.EffectiveCoaches() {
		coaches = append(coaches, bot.Coach{ID: c.ID, Name: c.Name, TimeZone: c.Timezone, DigestTime: c.DigestTime})
	}
	a.bot = &bot.Bot{
		DB: db, Prompts: a.prompts, Planner: a.sched, API: api, Logger: log, Now: now,
		Sender: &bot.Sender{Rate: float64(cfg.Telegram.RatePerSecond), PerChat: opts.perChat,
			MaxPause: time.Duration(cfg.Telegram.MaxPause), Logger: log},
		DefaultSequence: cfg.Prompts.DefaultSequence, DefaultLanguage: cfg.Prompts.DefaultLanguage,
		DefaultTime: cfg.Schedule.DefaultTime, DefaultTimeZone: cfg.Schedule.DefaultTimezone,
		DataDir:    filepath.Dir(cfg.Store.Path),
		Enrollment: cfg.Enrollment, InviteTTL: time.Duration(cfg.Invites.TTL), Coaches: coaches,
		Safety: net, CrisisMessage: crisis, LowestMoodTwice: cfg.Safety.LowestMoodTwice,
		Forgotten: func(int64) { a.forgotMu.Lock(); a.forgot = true; a.forgotMu.Unlock() },
	}
	if a.watcher != nil {
		a.bot.Reload = func() (bool, []string) {
			ch := a.watcher.Reload()
			var lines []string
			for _, p := range ch.Problems {
				lines = append(lines, p.String())
			}
			return ch.OK, lines
		}
	}
	if len(coaches) == 0 {
		log.Warn("no coaches configured: nobody is alerted when the safety net fires, yet the built-in crisis message says a coach has been told; add coaches or reword safety.crisis_message")
	}
	a.sched.Conversation = a.bot
	a.poller = &bot.Poller{URL: cfg.Telegram.APIURL, Timeout: time.Duration(cfg.Telegram.PollTimeout)}
	a.metrics = newMetrics(a)
	return a, nil
}

// storageChanged logs, once each, that the database began to refuse
// writes and that it takes them again. Updates wait meanwhile: none is
// confirmed to Telegram before it is stored.
func (a *app) storageChanged(err error) {
	if err != nil {
		a.log.Error("the database refuses writes (a full disk, an I/O error, a read-only file system?): updates wait and are stored once it takes writes again",
			"store", a.cfg.Store.Path, "err", err)
		return
	}
	a.log.Info("the database takes writes again", "store", a.cfg.Store.Path)
}

// close releases what newApp opened.
func (a *app) close() {
	if a.watcher != nil {
		if err := a.watcher.Close(); err != nil {
			a.log.Warn("stop watching prompts", "err", err)
		}
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			a.log.Error("close store", "err", err)
		}
	}
}

// tick runs one schedule tick and wakes the sender for what it enqueued.
func (a *app) tick(ctx context.Context, now time.Time) {
	st, err := a.sched.Tick(ctx, now)
	a.metrics.tickDuration.Observe(st.Duration.Seconds())
	if err != nil && ctx.Err() == nil {
		a.log.Error("tick", "err", err)
	}
	if st.Due > 0 || st.Failed > 0 {
		a.log.Info("tick", "due", st.Due, "started", st.Started, "reminded", st.Reminded,
			"skipped", st.Skipped, "failed", st.Failed, "took", st.Duration.Round(time.Microsecond))
	}
	if err := a.bot.Digests(now); err != nil {
		a.log.Error("coach digests", "err", err)
	}
	a.bot.Wake()
	a.compactIfForgotten(now)
}

// compactIfForgotten purges erased clients' bytes from the database file
// at a quiet moment: the first tick between 02:00 and 05:00 UTC after a
// /forget. bbolt keeps old bytes in freed pages until then.
func (a *app) compactIfForgotten(now time.Time) {
	a.forgotMu.Lock()
	due := a.forgot && now.UTC().Hour() >= 2 && now.UTC().Hour() < 5
	if due {
		a.forgot = false
	}
	a.forgotMu.Unlock()
	if !due {
		return
	}
	if err := a.db.CompactInPlace(); err != nil {
		a.log.Error("compact after erasure", "err", err)
		return
	}
	a.log.Info("compacted the database after a client erased their data")
}
