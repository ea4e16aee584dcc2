package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/schedule"
	"kindling/store"
)

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

// webhookConnections is the max_connections given to setWebhook: one,
// so that Telegram sends a chat's updates one after another and they are
// stored in order (Handle serialises updates anyway, so more connections
// would not handle more of them).
const webhookConnections = 1

// cmdRun runs the bot until a signal: reads updates (polling, or the
// webhook), sends the outbox, ticks the schedule, makes backups and serves
// the admin address. It stops as the comments on flushFor and abortAfter
// say; a second signal ends it at once.
func cmdRun(ctx context.Context, args []string, e cmdEnv) error {
	// Every signal lands here too, so that a second one is seen even
	// while the first is being handled.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	cfg, _, err := commandConfig(args, e, "run", nil)
	if err != nil {
		return err
	}
	if err := cfg.RequireToken(); err != nil {
		return err
	}
	recipients, err := cfg.BackupRecipients()
	if err != nil {
		return fmt.Errorf("backup.encrypt_to: %w", err)
	}
	log := newLogger(cfg, e.stderr)
	tg := bot.NewClient(time.Duration(cfg.Telegram.PollTimeout) + 15*time.Second)
	api, err := tg.API(cfg.Telegram.Token, cfg.Telegram.APIURL)
	if err != nil {
		return fmt.Errorf("telegram client: %w", err)
	}
	a, err := newApp(ctx, cfg, log, api, appOptions{})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(store.path %s is held by a kindling that is running: stop it first, or give this one its own store.path)", err, cfg.Store.Path)
	}
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if !closed {
			a.close()
		}
	}()
	a.poller.Token = cfg.Telegram.Token

	// Listen before anything else starts: a port in use is a config error.
	var adminLn, hookLn net.Listener
	if cfg.Admin.Listen != "" {
		if adminLn, err = listen("admin.listen", cfg.Admin.Listen); err != nil {
			return err
		}
		defer adminLn.Close()
	}
	webhook := cfg.Telegram.Webhook.URL != ""
	if webhook {
		if hookLn, err = listen("telegram.webhook.listen", cfg.Telegram.Webhook.Listen); err != nil {
			return err
		}
		defer hookLn.Close()
	}

	me, err := getMe(ctx, a.bot.Sender, api)
	if ctx.Err() != nil {
		return nil // a signal during the start: nothing runs yet
	}
	if err != nil {
		return fmt.Errorf("telegram: %w (is the token right, and telegram.api_url reachable?)", err)
	}
	a.bot.Username = me.Username
	mode, adminAddr, backupsAt := "polling", "off", "off"
	if webhook {
		mode = "webhook " + cfg.Telegram.Webhook.URL
	}
	if adminLn != nil {
		adminAddr = adminLn.Addr().String()
	}
	if cfg.Backup.Schedule != "" {
		backupsAt = cfg.Backup.Schedule + " into " + cfg.BackupDir()
	}
	log.Info("kindling starting", "version", version(), "bot", "@"+me.Username, "updates", mode,
		"store", cfg.Store.Path, "prompts", promptsSource(cfg), "enrollment", cfg.Enrollment,
		"coaches", len(cfg.Coaches), "tick", cfg.Schedule.Tick.String(), "admin", adminAddr, "backups", backupsAt)

	// Polling and a webhook exclude each other at Telegram.
	if webhook {
		if err := setWebhook(ctx, a.bot.Sender, api, cfg.Telegram.Webhook); err != nil && ctx.Err() == nil {
			return fmt.Errorf("telegram.webhook.url: setWebhook: %w", err)
		}
	} else if err := a.bot.Sender.Do(ctx, 0, func(ctx context.Context) error {
		_, err := api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	}); err != nil {
		log.Warn("delete webhook", "err", err)
	}

	started := time.Now()
	var adminSrv *http.Server
	if adminLn != nil {
		adminSrv = serveHTTP(adminLn, newAdmin(a, started).Handler(), log, "admin")
	}

	// Updates come from polling or the webhook; the rest works on runCtx.
	updatesCtx, stopUpdates := context.WithCancel(context.Background())
	defer stopUpdates()
	var hookSrv *http.Server
	var updates sync.WaitGroup
	if webhook {
		hookSrv = serveHTTP(hookLn, bot.WebhookHandler(a.bot, cfg.Telegram.Webhook.SecretToken), log, "webhook")
	} else {
		updates.Go(func() {
			if err := a.bot.Poll(updatesCtx, a.poller); err != nil {
				log.Error("poll", "err", err)
			}
		})
	}
	runCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	var work sync.WaitGroup
	work.Go(func() { a.bot.Drain(runCtx) })
	// The command menu is optional: it never holds back reading updates.
	work.Go(func() { a.bot.SetCommands(runCtx) })
	work.Go(func() {
		// The first tick at once: catch up after downtime without waiting.
		a.tick(runCtx, time.Now())
		if err := schedule.Run(runCtx, cfg.TickSpec(), func() { a.tick(runCtx, time.Now()) }); err != nil {
			log.Error("schedule", "err", err)
		}
	})
	if a.watcher != nil {
		work.Go(func() { a.watchPrompts(runCtx) })
	}
	work.Go(func() { a.checkFile(runCtx) }) // reads the whole file: after the start, in the background
	if cfg.Backup.Schedule != "" {
		bk := &backups{DB: a.db, Dir: cfg.BackupDir(), Keep: cfg.Backup.Keep, Recipients: recipients, Log: log, Metrics: a.metrics}
		work.Go(func() {
			if err := bk.Run(runCtx, cfg.Backup.Schedule); err != nil {
				log.Error("backups", "err", err)
			}
		})
	}

	<-ctx.Done()
	signalled := time.Now()
	// When a signal ended ctx, that signal also comes to sigs (maybe a
	// little later): the one after it is the second.
	first := 0
	if cause := context.Cause(ctx); cause != context.Canceled && cause != context.DeadlineExceeded {
		first = 1
	}
	log.Info("stopping: no new updates; finishing sends and writes in flight")
	done := make(chan struct{})
	closed = true // the stop below closes the app
	go func() {
		defer close(done)
		// 1. No new updates; those being handled are stored.
		stopUpdates()
		if hookSrv != nil {
			shutdown(hookSrv, signalled.Add(flushFor))
		}
		updates.Wait()
		// 2. Send what the last updates asked for, for a moment.
		flushCtx, cancel := context.WithDeadline(context.Background(), signalled.Add(flushFor))
		_ = a.bot.WaitIdle(flushCtx)
		cancel()
		// 3. Start nothing new; Telegram calls in flight finish and are
		// recorded. What is left in the outbox goes out after a restart.
		stopWork()
		tg.Stop()
		if !waitUntil(&work, signalled.Add(abortAfter)) {
			log.Warn("telegram calls still in flight; cutting them off")
			tg.Abort()
			work.Wait()
		}
		if adminSrv != nil {
			shutdown(adminSrv, time.Now().Add(500*time.Millisecond))
		}
		// 4. Close the database.
		a.close()
	}()
	timeout := time.NewTimer(time.Until(signalled.Add(stopTimeout)))
	defer timeout.Stop()
	for {
		select {
		case <-done:
			log.Info("stopped", "took", time.Since(signalled).Round(time.Millisecond))
			return nil
		case <-sigs:
			if first > 0 {
				first--
				continue
			}
			log.Warn("second signal: stopping at once")
			return errors.New("second signal: stopped at once")
		case <-timeout.C:
			log.Error("could not stop in order within the time allowed; exiting")
			return fmt.Errorf("could not stop within %s", stopTimeout)
		}
	}
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

func promptsSource(cfg Config) string {
	if cfg.Prompts.Dir == "" {
		return "built-in"
	}
	return cfg.Prompts.Dir
}

// getMe checks the token and learns the bot's username (for invite links).
func getMe(ctx context.Context, s *bot.Sender, api *tgbot.Bot) (*models.User, error) {
	var me *models.User
	err := s.Do(ctx, 0, func(ctx context.Context) error {
		var err error
		me, err = api.GetMe(ctx)
		return err
	})
	return me, err
}

// setWebhook points Telegram at the webhook: the URL, the secret it must
// send, the kinds of update kindling handles, one connection at a time.
func setWebhook(ctx context.Context, s *bot.Sender, api *tgbot.Bot, w WebhookConfig) error {
	return s.Do(ctx, 0, func(ctx context.Context) error {
		_, err := api.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL:            w.URL,
			SecretToken:    w.SecretToken,
			AllowedUpdates: bot.AllowedUpdates(),
			MaxConnections: webhookConnections,
		})
		return err
	})
}

// watchPrompts counts failed prompt reloads and sends every coach the
// problems of each new failure; saving the same broken file again tells
// them nothing new. The watcher itself logs each reload.
func (a *app) watchPrompts(ctx context.Context) {
	told := ""
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-a.watcher.Changes():
			if !ok {
				return
			}
			if ch.OK {
				told = ""
				a.promptsReloaded(ch.Set)
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
