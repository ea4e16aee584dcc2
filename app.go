package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"kindling/admin"
	"kindling/bot"
	"kindling/config"
	"kindling/prompts"
	"kindling/safety"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
	"kindling/web"
)

// app is kindling put together: the store, the prompts, the bot and the
// schedule. `kindling run`, `kindling demo` and the end-to-end tests build
// one with newApp, run it with Start and end it with Stop; close releases
// what newApp opened, in reverse order.
type app struct {
	cfg        config.Config
	log        *slog.Logger
	recipients []age.Recipient // backup.encrypt_to
	tg         *telegram.Client
	api        *telegram.API    // on tg
	sender     *telegram.Sender // paces every Telegram call
	stages     stopStages
	running    *running // set by Start, taken by Stop
	db         *store.DB
	active     *prompts.Active // the prompts in use, kept in db (lastgood.go)
	bot        *bot.Bot
	web        *web.Server // nil when web.listen is off
	sched      *schedule.Scheduler
	poller     *telegram.Poller
	metrics    *metrics
	ledger     *store.ForgetLedger
	forgotMu   sync.Mutex
	forgot     bool       // a client erased their data since the last compaction
	cond       conditions // what /healthz reports as degraded (lastgood.go)
}

// appOptions are what differs between a real run and the demo.
type appOptions struct {
	now     func() time.Time
	perChat time.Duration // 0: Telegram's one message per second per chat
	// storeRecoverAfter shortens, for tests, how long the store must take
	// writes after a refused one before it counts as healthy (0: a minute).
	storeRecoverAfter time.Duration
	// batchDelay shortens, for tests, how long a write waits for others to
	// commit with it (0: bbolt's 10 ms).
	batchDelay time.Duration
	// callTimeout ends a Telegram call (0: telegram.poll_timeout + 15 s).
	callTimeout time.Duration
	// stop replaces the stages of Stop (nil: flushFor, abortAfter, stopTimeout).
	stop *stopStages
}

// safetyNet builds the crisis net of the configuration's safety section
// (see safety.Build).
func safetyNet(cfg config.Config) (*safety.Net, error) {
	s := cfg.Safety
	return safety.Build(safety.Setup{RulesFile: s.RulesFile, Replace: s.RulesMode == config.RulesReplace,
		Phrases: s.Phrases, Learned: s.LearnedCheck})
}

// newApp builds everything but starts nothing; Start starts it.
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, opts appOptions) (*app, error) {
	a := &app{cfg: cfg, log: log, stages: defaultStages}
	if opts.stop != nil {
		a.stages = *opts.stop
	}
	var err error
	if a.recipients, err = cfg.BackupRecipients(); err != nil {
		return nil, fmt.Errorf("backup.encrypt_to: %w", err)
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	pending, err := readPromptsDir(cfg, log)
	if err != nil {
		return nil, err
	}
	net, err := safetyNet(cfg)
	if err != nil {
		a.close()
		return nil, err
	}
	// The store tells storageChanged when writes begin to be refused and
	// when they are taken again (see store.Options).
	db, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second, Now: now, OnStorage: a.storageChanged,
		RecoverAfter: opts.storeRecoverAfter, BatchDelay: opts.batchDelay})
	if err != nil {
		a.close()
		return nil, err
	}
	a.db = db
	if err := a.startErasureAndAdmin(); err != nil {
		a.close()
		return nil, err
	}
	if a.active, err = pending.Start(ctx, promptKeeper{db}); err != nil {
		a.close()
		return nil, err
	}
	quiet, err := schedule.ParseWindow(cfg.Schedule.QuietHours)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("schedule.quiet_hours: %w", err)
	}
	a.sched = &schedule.Scheduler{
		DB: db, Prompts: a.active.Current, Logger: log,
		CatchUp: time.Duration(cfg.Schedule.CatchUp), RemindAfter: time.Duration(cfg.Schedule.RemindAfter),
		Quiet: quiet, DefaultTime: cfg.Schedule.DefaultTime, DefaultSequence: cfg.Prompts.DefaultSequence,
	}
	timeout := opts.callTimeout
	if timeout == 0 {
		timeout = time.Duration(cfg.Telegram.PollTimeout) + 15*time.Second
	}
	a.tg = telegram.NewClient(timeout)
	a.api, err = a.tg.API(cfg.Telegram.Token, cfg.Telegram.APIURL)
	if err != nil {
		a.close()
		return nil, err
	}
	a.sender = &telegram.Sender{Rate: float64(cfg.Telegram.RatePerSecond), PerChat: opts.perChat,
		MaxPause: time.Duration(cfg.Telegram.MaxPause), UrgentHold: time.Duration(cfg.Telegram.UrgentHold), Logger: log}
	a.bot = a.newBot(net, now)
	a.sched.Conversation = a.bot
	a.sched.Room = a.bot.Room
	if a.web, err = newWeb(a, now); err != nil {
		a.close()
		return nil, err
	}
	a.poller = &telegram.Poller{URL: cfg.Telegram.APIURL, Token: cfg.Telegram.Token, Timeout: time.Duration(cfg.Telegram.PollTimeout)}
	a.metrics = newMetrics(a)
	a.tellPromptFallback()
	return a, nil
}

// newBot is the conversation as the configuration sets it up.
func (a *app) newBot(net *safety.Net, now func() time.Time) *bot.Bot {
	cfg, log := a.cfg, a.log
	crisis := maps.Clone(safety.DefaultCrisisMessage)
	maps.Copy(crisis, cfg.Safety.CrisisMessage)
	var coaches []bot.Coach
	for _, c := range cfg.EffectiveCoaches() {
		coaches = append(coaches, bot.Coach{ID: c.ID, Name: c.Name, TimeZone: c.Timezone, DigestTime: c.DigestTime})
	}
	deps := bot.Deps{
		DB: a.db, Prompts: a.active.Current, Planner: a.sched, API: a.api, Sender: a.sender, Logger: log, Now: now,
		Safety:     net,
		Forgetting: a.ledger.Record,
		Forgotten:  func(int64) { a.forgotMu.Lock(); a.forgot = true; a.forgotMu.Unlock() },
	}
	if cfg.Prompts.Dir != "" {
		deps.Reload = a.active.Reload
	}
	b := bot.New(bot.Options{Deps: deps, Settings: bot.Settings{
		DefaultSequence: cfg.Prompts.DefaultSequence, DefaultLanguage: cfg.Prompts.DefaultLanguage,
		DefaultTime: cfg.Schedule.DefaultTime, DefaultTimeZone: cfg.Schedule.DefaultTimezone,
		DataDir: filepath.Dir(cfg.Store.Path), WebURL: cfg.WebURL(),
		Enrollment: bot.Enrollment(cfg.Enrollment), InviteTTL: time.Duration(cfg.Invites.TTL), Coaches: coaches,
		CrisisMessage: crisis, ForwardableCoachCopies: !cfg.Coaching.ProtectContent,
		LowestMoodTwice: cfg.Safety.LowestMoodTwice, LowestMoodCheck: cfg.Safety.LowestMoodCheck,
		EscalateTo: cfg.Safety.EscalateTo, EscalateAfter: time.Duration(cfg.Safety.EscalateAfter),
		CheckTimeout: time.Duration(cfg.Safety.CheckTimeout),
	}})
	if len(coaches) == 0 && len(cfg.Safety.EscalateTo) == 0 {
		log.Warn("no coaches and no safety.escalate_to configured: nobody is alerted when the safety net fires (clients are shown the helplines only)")
	}
	return b
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
	if a.active != nil {
		if err := a.active.Close(); err != nil {
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
// (see store.DB.EraseForgottenAgain), and, when admin.listen is on and admin.token
// is not set, takes the admin token from its file beside the database,
// making one at first start.
func (a *app) startErasureAndAdmin() error {
	l, err := store.OpenForgetLedger(store.ForgetLedgerPath(a.cfg.Store.Path), a.log)
	if err != nil {
		return err
	}
	a.ledger = l
	// A restored file that still holds people who asked to be erased is
	// not served: an error here stops the start.
	n, err := a.db.EraseForgottenAgain(l, filepath.Join(filepath.Dir(a.cfg.Store.Path), "voice"))
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
	if host, _, err := config.SplitListen(a.cfg.Admin.Listen); err == nil && !admin.IsLoopback(host) {
		a.log.Warn("admin.listen is not a loopback address: the admin token travels in plain HTTP; publish the port only to loopback or a private network", "admin", a.cfg.Admin.Listen)
	}
	if a.cfg.Admin.Token == "" {
		if a.cfg.Admin.Token, err = admin.EnsureToken(a.cfg.Store.Path, a.log); err != nil {
			return err
		}
	}
	return nil
}

// tick runs one beat: the safety alert timers, then the schedule (see
// scheduleTick). The demo ticks this way; a real run runs the two on
// beats of their own (see startBackground).
func (a *app) tick(ctx context.Context, now time.Time) {
	a.alertTimers(now)
	a.scheduleTick(ctx, now)
}

// alertTimers runs the safety alert timers: a reminder to the coach, the
// backup told, the crisis resources sent again. They have a beat of their
// own in a real run, so that a large day, whose ticks wait for the sender
// (see bot.Room), never holds them back.
func (a *app) alertTimers(now time.Time) {
	if err := a.bot.AlertTimers(now); err != nil {
		a.log.Error("safety alert timers", "err", err)
	}
	a.bot.Wake()
}

// scheduleTick runs one beat of the schedule (schedule.TickAll), waking
// the sender after each tick for what it enqueued, then the coach
// digests.
func (a *app) scheduleTick(ctx context.Context, now time.Time) {
	_ = a.sched.TickAll(ctx, now, func(st schedule.Stats) { // logged by TickAll
		a.metrics.tickDuration.Observe(st.Duration.Seconds())
		a.bot.Wake()
	})
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

// The stages of stopping, counted from the signal. Everything is closed
// before stopTimeout, which service managers commonly allow (docker stop
// waits 10 s before SIGKILL).
const (
	// flushFor is how long the outbox keeps sending after the signal,
	// so that replies to the last updates go out before the stop.
	flushFor = 2 * time.Second
	// abortAfter is when Telegram calls still in flight are cut off.
	abortAfter = 8 * time.Second
	// stopTimeout is when kindling gives up stopping in order.
	stopTimeout = 10 * time.Second
)

// stopStages are the deadlines of Stop, each counted from the signal.
type stopStages struct {
	flush, abort, timeout time.Duration
}

var defaultStages = stopStages{flush: flushFor, abort: abortAfter, timeout: stopTimeout}

// startOptions says what Start runs besides reading updates (by polling,
// or on webhook) and sending the outbox.
type startOptions struct {
	// admin serves the admin address when set.
	admin net.Listener
	// webhook takes Telegram's updates when set; without it kindling polls.
	webhook net.Listener
	// web serves the coach's web workspace when set.
	web net.Listener
	// background runs what only a real run needs: the schedule's tick,
	// backups, prompt watching, the damage check of the database file and
	// the command menu. The demo and the tests tick by hand.
	background bool
}

// running is what Start started, in the order Stop ends it.
type running struct {
	stopUpdates, stopWork context.CancelFunc
	updates, work         sync.WaitGroup
	hook, admin, web      *http.Server
}

// Start starts reading updates and sending the outbox, then what opts
// adds; it returns at once. Stop ends what it started.
func (a *app) Start(opts startOptions) {
	r := &running{}
	a.running = r
	if opts.admin != nil {
		r.admin = serveHTTP(opts.admin, newAdmin(a, time.Now()).Handler(), a.log, "admin")
	}
	if opts.web != nil && a.web != nil {
		r.web = serveHTTP(opts.web, a.web.Handler(), a.log, "web")
	}
	// Updates stop first, on their own context; the rest works on workCtx.
	updatesCtx, stopUpdates := context.WithCancel(context.Background())
	r.stopUpdates = stopUpdates
	if opts.webhook != nil {
		r.hook = serveHTTP(opts.webhook, bot.WebhookHandler(a.bot, a.cfg.Telegram.Webhook.SecretToken), a.log, "webhook")
	} else {
		r.updates.Go(func() {
			if err := a.bot.Poll(updatesCtx, a.poller); err != nil {
				a.log.Error("poll", "err", err)
			}
		})
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	r.stopWork = stopWork
	r.work.Go(func() { a.bot.Drain(workCtx) })
	if opts.background {
		a.startBackground(workCtx, &r.work)
	}
}

// startBackground starts, on wg, the work of a real run beside the
// conversation.
func (a *app) startBackground(ctx context.Context, wg *sync.WaitGroup) {
	// The command menu is optional: it never holds back reading updates.
	wg.Go(func() { a.bot.SetCommands(ctx) })
	// The alert timers and the schedule each beat on their own, the first
	// beat at once (catching up after downtime without waiting): a beat of
	// the schedule may wait minutes for the sender on a large day.
	wg.Go(func() {
		a.alertTimers(time.Now())
		if err := schedule.Run(ctx, a.cfg.TickSpec(), func() { a.alertTimers(time.Now()) }); err != nil {
			a.log.Error("safety alert timers", "err", err)
		}
	})
	wg.Go(func() {
		a.scheduleTick(ctx, time.Now())
		if err := schedule.Run(ctx, a.cfg.TickSpec(), func() { a.scheduleTick(ctx, time.Now()) }); err != nil {
			a.log.Error("schedule", "err", err)
		}
	})
	if a.cfg.Prompts.Dir != "" {
		wg.Go(func() { a.watchPrompts(ctx) })
	}
	wg.Go(func() { a.checkFile(ctx) }) // reads the whole file: after the start, in the background
	if a.cfg.Backup.Schedule != "" {
		bk := &store.Backups{DB: a.db, Dir: a.cfg.BackupDir(), Keep: a.cfg.Backup.Keep, Recipients: a.recipients, Log: a.log, Observe: a.metrics.backupDone}
		wg.Go(func() {
			if err := bk.Run(ctx, a.cfg.Backup.Schedule); err != nil {
				a.log.Error("backups", "err", err)
			}
		})
	}
}

// Stop ends what Start started, in the stages of a.stages counted from
// signalled, and closes the app. It returns early with an error when
// again is closed (a second signal) or the stages overrun their timeout.
// Without Start it only closes the app.
func (a *app) Stop(signalled time.Time, again <-chan struct{}) error {
	r := a.running
	a.running = nil
	if r == nil {
		a.close()
		return nil
	}
	a.log.Info("stopping: no new updates; finishing sends and writes in flight")
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.stopInStages(r, signalled)
	}()
	timeout := time.NewTimer(time.Until(signalled.Add(a.stages.timeout)))
	defer timeout.Stop()
	select {
	case <-done:
		a.log.Info("stopped", "took", time.Since(signalled).Round(time.Millisecond))
		return nil
	case <-again:
		a.log.Warn("second signal: stopping at once")
		return errors.New("second signal: stopped at once")
	case <-timeout.C:
		a.log.Error("could not stop in order within the time allowed; exiting")
		return fmt.Errorf("could not stop within %s", a.stages.timeout)
	}
}

// stopInStages is the orderly stop.
func (a *app) stopInStages(r *running, signalled time.Time) {
	// 1. No new updates; those being handled are stored.
	r.stopUpdates()
	if r.hook != nil {
		shutdown(r.hook, signalled.Add(a.stages.flush))
	}
	r.updates.Wait()
	// 2. Send what the last updates asked for, for a moment.
	flushCtx, cancel := context.WithDeadline(context.Background(), signalled.Add(a.stages.flush))
	_ = a.bot.WaitIdle(flushCtx)
	cancel()
	// 3. Start nothing new; Telegram calls in flight finish and are
	// recorded. What is left in the outbox goes out after a restart.
	r.stopWork()
	a.tg.Stop()
	if !waitUntil(&r.work, signalled.Add(a.stages.abort)) {
		a.log.Warn("telegram calls still in flight; cutting them off")
		a.tg.Abort()
		r.work.Wait()
	}
	if r.admin != nil {
		shutdown(r.admin, time.Now().Add(500*time.Millisecond))
	}
	if r.web != nil {
		shutdown(r.web, time.Now().Add(500*time.Millisecond))
	}
	// 4. Close the database.
	a.close()
}

// waitUntil waits for wg until deadline; false when the deadline came first.
func waitUntil(wg *sync.WaitGroup, deadline time.Time) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// shutdown stops srv taking requests and waits for those in progress until
// deadline, then closes their connections.
func shutdown(srv *http.Server, deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}

// watchPrompts counts failed prompt reloads and sends every coach the
// problems of each new failure; saving the same broken file again tells
// them nothing new. a.active itself logs each reload and keeps each good
// set.
func (a *app) watchPrompts(ctx context.Context) {
	told := ""
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-a.active.Changes():
			if !ok {
				return
			}
			if ch.OK {
				told = ""
				continue
			}
			a.metrics.reloadErrors.Inc()
			var lines []string
			for _, p := range ch.Problems {
				lines = append(lines, p.String())
			}
			if problems := strings.Join(lines, "\n"); problems != told {
				told = problems
				if err := a.bot.TellCoaches(lines); err != nil {
					a.log.Error("tell coaches about prompt errors", "err", err)
				}
			}
		}
	}
}
