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
	ledger   *forgetLedger
	forgotMu sync.Mutex
	forgot   bool       // a client erased their data since the last compaction
	cond     conditions // what /healthz reports as degraded (lastgood.go)
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

// safetyNet builds the crisis net of the configuration: the built-in rules,
// extended or replaced by safety.rules_file (safety.rules_mode), plus the
// phrases of safety.phrases. A rules file with problems is an error listing
// every one as file:line: field: message; nothing is half-loaded.
func safetyNet(cfg Config) (*safety.Net, error) {
	rules := safety.DefaultRules()
	switch cfg.Safety.RulesMode {
	case RulesExtend, RulesReplace:
	default:
		return nil, fmt.Errorf("safety.rules_mode: want extend or replace, got %q", cfg.Safety.RulesMode)
	}
	if cfg.Safety.RulesMode == RulesReplace && cfg.Safety.RulesFile == "" {
		return nil, errors.New("safety.rules_mode: replace needs safety.rules_file: without it there would be no rules")
	}
	if path := cfg.Safety.RulesFile; path != "" {
		file, err := safety.LoadRules(path)
		if err != nil {
			return nil, fmt.Errorf("safety.rules_file: %w", err)
		}
		if cfg.Safety.RulesMode == RulesReplace {
			rules = file
		} else {
			rules = rules.Extend(file)
		}
	}
	net, err := safety.Compile(rules, cfg.Safety.Phrases)
	if err != nil {
		return nil, fmt.Errorf("safety.phrases: %w", err)
	}
	return net, nil
}

// newLogger logs as log.format and log.level say. Answers and tokens never
// go into a log line at info level or above. JSON lines give durations in
// seconds ("retry_in":0.5), as log collectors and Prometheus count time;
// text lines keep Go's "500ms".
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel()}
	if cfg.Log.Format == "json" {
		opts.ReplaceAttr = durationsInSeconds
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationsInSeconds is a slog ReplaceAttr that writes a time.Duration as
// a number of seconds.
func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.Float64Value(a.Value.Duration().Seconds())
	}
	return a
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
	set, promptProblems, err := readPromptsDir(cfg, popts)
	if err != nil {
		return nil, err
	}

	net, err := safetyNet(cfg)
	if err != nil {
		a.close()
		return nil, err
	}
	crisis := maps.Clone(safety.DefaultCrisisMessage)
	maps.Copy(crisis, cfg.Safety.CrisisMessage)

	db, err := openStore(cfg, now, a.storageChanged, opts.storeRecoverAfter)
	if err != nil {
		a.close()
		return nil, err
	}
	a.db = db
	if err := a.startErasureAndAdmin(); err != nil {
		a.close()
		return nil, err
	}
	if err := a.startPrompts(ctx, popts, set, promptProblems); err != nil {
		a.close()
		return nil, err
	}

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
		Enrollment: bot.Enrollment(cfg.Enrollment), InviteTTL: time.Duration(cfg.Invites.TTL), Coaches: coaches,
		Safety: net, CrisisMessage: crisis, ForwardableCoachCopies: !cfg.Coaching.ProtectContent,
		LowestMoodTwice: cfg.Safety.LowestMoodTwice, LowestMoodCheck: cfg.Safety.LowestMoodCheck,
		EscalateTo: cfg.Safety.EscalateTo, EscalateAfter: time.Duration(cfg.Safety.EscalateAfter),
		CheckTimeout: time.Duration(cfg.Safety.CheckTimeout),
		Forgetting:   a.ledger.Record,
		Forgotten:    func(int64) { a.forgotMu.Lock(); a.forgot = true; a.forgotMu.Unlock() },
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
		if len(cfg.Safety.EscalateTo) == 0 {
			log.Warn("no coaches and no safety.escalate_to configured: nobody is alerted when the safety net fires (clients are shown the helplines only)")
		}
	}
	a.sched.Conversation = a.bot
	a.poller = &bot.Poller{URL: cfg.Telegram.APIURL, Timeout: time.Duration(cfg.Telegram.PollTimeout)}
	a.metrics = newMetrics(a)
	a.tellPromptFallback()
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
	if a.ledger != nil {
		if err := a.ledger.Close(); err != nil {
			a.log.Error("close forget ledger", "err", err)
		}
	}
}

// startErasureAndAdmin does what needs the open database before anything
// runs: it opens the forget ledger and erases again the clients it names
// (see eraseForgottenAgain), and, when admin.listen is on and admin.token
// is not set, takes the admin token from its file beside the database,
// making one at first start.
func (a *app) startErasureAndAdmin() error {
	l, err := openForgetLedger(forgetLedgerPath(a.cfg.Store.Path), a.log)
	if err != nil {
		return err
	}
	a.ledger = l
	// A restored file that still holds people who asked to be erased is
	// not served: an error here stops the start.
	n, err := eraseForgottenAgain(a.db, l, filepath.Join(filepath.Dir(a.cfg.Store.Path), "voice"))
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Warn("erased again clients who had erased their data after this database file was written (a restored backup?)", "clients", n)
		if err := a.db.CompactInPlace(); err != nil {
			// Their records are gone; freed pages keep their bytes
			// until the nightly compaction (see compactIfForgotten).
			a.log.Error("compact after erasing clients again; tried again between 02:00 and 05:00 UTC", "err", err)
			a.forgot = true
		}
	}
	if a.cfg.Admin.Listen == "" {
		return nil
	}
	if host, _, err := splitListen(a.cfg.Admin.Listen); err == nil && !isLoopback(host) {
		a.log.Warn("admin.listen is not a loopback address: the admin token travels in plain HTTP; publish the port only to loopback or a private network", "admin", a.cfg.Admin.Listen)
	}
	if a.cfg.Admin.Token == "" {
		if a.cfg.Admin.Token, err = ensureAdminToken(a.cfg.Store.Path, a.log); err != nil {
			return err
		}
	}
	return nil
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
	if err := a.bot.AlertTimers(now); err != nil {
		a.log.Error("safety alert timers", "err", err)
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
