package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/admin"
	"kindling/store"
	"kindling/telegram"
)

// webhookConnections is the max_connections given to setWebhook: one,
// so that Telegram sends a chat's updates one after another and they are
// stored in order (Handle serialises updates anyway, so more connections
// would not handle more of them).
const webhookConnections = 1

// cmdRun runs the bot until a signal: reads updates (polling, or the
// webhook), sends the outbox, ticks the schedule, makes backups and serves
// the admin address. It stops as app.Stop says; a second signal ends it
// at once.
func cmdRun(ctx context.Context, args []string, e cmdEnv) error {
	cfg, _, err := commandConfig(args, e, "run", nil)
	if err != nil {
		return err
	}
	if err := cfg.RequireToken(); err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, cfg.Logger(e.stderr), appOptions{})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(store.path %s is held by a kindling that is running: stop it first, or give this one its own store.path)", err, cfg.Store.Path)
	}
	if err != nil {
		return err
	}
	opts, err := a.prepareRun(ctx)
	if err != nil || ctx.Err() != nil {
		// A signal during the start returns nil: nothing runs yet.
		closeListeners(opts)
		a.close()
		return err
	}
	opts.background = true
	a.Start(opts)
	<-ctx.Done()
	return a.Stop(time.Now(), secondSignal(ctx))
}

// prepareRun does what comes before Start in a real run: it listens on
// the admin and webhook addresses (a port in use is a config error),
// checks the token with Telegram, says what starts, and sets or deletes
// the webhook (polling and a webhook exclude each other at Telegram).
// On an error the listeners it opened are returned with it, to close.
func (a *app) prepareRun(ctx context.Context) (startOptions, error) {
	cfg := a.cfg
	var opts startOptions
	var err error
	if cfg.Admin.Listen != "" {
		if opts.admin, err = listen("admin.listen", cfg.Admin.Listen); err != nil {
			return opts, err
		}
	}
	if cfg.Telegram.Webhook.URL != "" {
		if opts.webhook, err = listen("telegram.webhook.listen", cfg.Telegram.Webhook.Listen); err != nil {
			return opts, err
		}
	}
	if a.web != nil {
		// The workspace is optional: a port in use turns it off for this
		// run, and never holds back the conversation.
		if opts.web, err = listen("web.listen", cfg.Web.Listen); err != nil {
			a.log.Warn("the web workspace is off for this run", "err", err)
			opts.web, err = nil, nil
		}
	}
	me, err := getMe(ctx, a.sender, a.api)
	if ctx.Err() != nil {
		return opts, nil
	}
	if err != nil {
		return opts, fmt.Errorf("telegram: %w (is the token right, and telegram.api_url reachable?)", err)
	}
	a.bot.SetUsername(me.Username)
	a.logStarting(me.Username, opts.admin)
	if opts.web != nil {
		a.log.Info("web workspace", "listen", opts.web.Addr().String(), "url", cfg.WebURL())
	}
	if opts.webhook != nil {
		// The URL, the secret Telegram must send, one connection at a time.
		hook := cfg.Telegram.Webhook
		err := a.sender.Do(ctx, 0, func(ctx context.Context) error {
			return a.api.SetWebhook(ctx, hook.URL, hook.SecretToken, webhookConnections)
		})
		if err != nil && ctx.Err() == nil {
			return opts, fmt.Errorf("telegram.webhook.url: setWebhook: %w", err)
		}
	} else if err := a.sender.Do(ctx, 0, a.api.DeleteWebhook); err != nil {
		a.log.Warn("delete webhook", "err", err)
	}
	return opts, nil
}

// closeListeners closes the listeners of opts that prepareRun opened.
func closeListeners(opts startOptions) {
	for _, ln := range []net.Listener{opts.admin, opts.webhook, opts.web} {
		if ln != nil {
			ln.Close()
		}
	}
}

// logStarting says, in one line, what this run is.
func (a *app) logStarting(username string, adminLn net.Listener) {
	cfg := a.cfg
	mode, adminAddr, backupsAt := "polling", "off", "off"
	if cfg.Telegram.Webhook.URL != "" {
		mode = "webhook " + cfg.Telegram.Webhook.URL
	}
	if adminLn != nil {
		adminAddr = adminLn.Addr().String()
	}
	if cfg.Backup.Schedule != "" {
		backupsAt = cfg.Backup.Schedule + " into " + cfg.BackupDir()
	}
	a.log.Info("kindling starting", "version", version(), "bot", "@"+username, "updates", mode,
		"store", cfg.Store.Path, "prompts", cmp.Or(cfg.Prompts.Dir, "built-in"), "enrollment", cfg.Enrollment,
		"coaches", len(cfg.Coaches), "tick", cfg.Schedule.Tick.String(), "admin", adminAddr, "backups", backupsAt)
}

// getMe checks the token and learns the bot's username (for invite links).
func getMe(ctx context.Context, s *telegram.Sender, api *telegram.API) (*models.User, error) {
	var me *models.User
	err := s.Do(ctx, 0, func(ctx context.Context) error {
		var err error
		me, err = api.GetMe(ctx)
		return err
	})
	return me, err
}

// cmdHealthcheck asks the running kindling's admin address for /healthz
// and exits 0 when it answers 200. Container images without curl use it.
func cmdHealthcheck(ctx context.Context, args []string, e cmdEnv) error {
	cfg, _, err := commandConfig(args, e, "healthcheck", nil)
	if err != nil {
		return err
	}
	body, ok, err := admin.Client{Listen: cfg.Admin.Listen}.Health(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s", body)
	if !ok {
		return exitError(1)
	}
	return nil
}
