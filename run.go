package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/schedule"
)

// cmdRun runs the bot until a signal: polls Telegram (or serves the
// webhook), sends the outbox, ticks the schedule, and serves the admin
// address.
func cmdRun(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "run")
	path := fs.String("config", "config.yaml", "the configuration `file`")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	cfg, err := loadConfig(*path, explicit, e.getenv)
	if err != nil {
		return err
	}
	if err := cfg.RequireToken(); err != nil {
		return err
	}
	log := newLogger(cfg, os.Stderr)
	api, err := bot.NewAPI(cfg.Telegram.Token, cfg.Telegram.APIURL, time.Duration(cfg.Telegram.PollTimeout)+15*time.Second)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, log, api, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	a.poller.Token = cfg.Telegram.Token

	me, err := getMe(ctx, a.bot.Sender, api)
	if err != nil {
		return fmt.Errorf("telegram: %w (is the token right, and telegram.api_url reachable?)", err)
	}
	a.bot.Username = me.Username
	log.Info("kindling starting", "version", version(), "bot", "@"+me.Username,
		"store", cfg.Store.Path, "prompts", promptsSource(cfg), "enrollment", cfg.Enrollment,
		"coaches", len(cfg.Coaches), "tick", cfg.Schedule.Tick.String())

	// Polling and a webhook exclude each other at Telegram: make sure no
	// webhook is left from an earlier run.
	if err := a.bot.Sender.Do(ctx, 0, func(ctx context.Context) error {
		_, err := api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	}); err != nil {
		log.Warn("delete webhook", "err", err)
	}
	a.bot.SetCommands(ctx)

	// Work stops in order on a signal: first no new updates, then the
	// sends in flight finish, then the store closes (deferred above).
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(runCtx)
			log.Debug("stopped", "part", name)
		}()
	}
	pollCtx, stopPolling := context.WithCancel(runCtx)
	defer stopPolling()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.bot.Poll(pollCtx, a.poller); err != nil {
			log.Error("poll", "err", err)
		}
	}()
	start("outbox", a.bot.Drain)
	start("schedule", func(ctx context.Context) {
		if err := schedule.Run(ctx, cfg.TickSpec(), func() { a.tick(ctx, time.Now()) }); err != nil {
			log.Error("schedule", "err", err)
		}
	})
	if a.watcher != nil {
		start("prompt errors", func(ctx context.Context) { a.tellCoachesAboutPrompts(ctx) })
	}
	// The first tick at once: catch up after downtime without waiting.
	a.tick(runCtx, time.Now())

	<-ctx.Done()
	log.Info("stopping: no new updates; finishing sends in flight")
	stopPolling()
	done := make(chan struct{})
	go func() {
		drainCtx, cancelDrain := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancelDrain()
		_ = a.bot.WaitIdle(drainCtx)
		cancel()
		wg.Wait()
		close(done)
	}()
	second := make(chan os.Signal, 1)
	signal.Notify(second, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(second)
	select {
	case <-done:
		log.Info("stopped")
		return nil
	case <-second:
		return errors.New("second signal: stopping at once")
	case <-time.After(10 * time.Second):
		return errors.New("could not stop within 10 s")
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

// tellCoachesAboutPrompts sends every coach the errors of a failed prompt
// reload, once per change.
func (a *app) tellCoachesAboutPrompts(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ch := <-a.watcher.Changes():
			if ch.OK {
				a.log.Info("prompts reloaded", "warnings", len(ch.Problems))
				continue
			}
			var lines []string
			for _, p := range ch.Problems {
				lines = append(lines, p.String())
				a.log.Error("prompt reload", "problem", p.String())
			}
			if err := a.bot.TellCoaches(lines); err != nil {
				a.log.Error("tell coaches about prompt errors", "err", err)
			}
		}
	}
}
