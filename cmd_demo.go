package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"kindling/config"
	"kindling/internal/demo"
	"kindling/telegramtest"
)

// cmdDemo walks one simulated client through a month with kindling,
// against the built-in fake Telegram, on a fast clock.
func cmdDemo(ctx context.Context, args []string, e cmdEnv) (err error) {
	fs := newFlags(e, "demo")
	days := fs.Int("days", 35, "how many `days` to run")
	dir := fs.String("dir", "", "keep the database in this `folder` (default: a new temporary folder)")
	quiet := fs.Bool("quiet", false, "print only the summary")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *days < 1 || *days > 400 {
		return fmt.Errorf("--days: want 1 to 400, got %d", *days)
	}
	began := time.Now()
	if *dir == "" {
		d, err := os.MkdirTemp("", "kindling-demo-")
		if err != nil {
			return err
		}
		*dir = d
	}
	out := e.stdout
	if *quiet {
		out = io.Discard
	}
	srv := telegramtest.New(telegramtest.WithBotUsername("kindling_demo_bot"))
	defer srv.Close()
	path := filepath.Join(*dir, "kindling.db")
	a, j, err := startDemo(ctx, srv, path, out)
	if err != nil {
		return err
	}
	defer func() {
		if serr := a.Stop(time.Now(), secondSignal(ctx)); err == nil {
			err = serr
		}
	}()
	if err := j.Run(ctx, *days); err != nil {
		return err
	}
	if err := j.Summary(e.stdout, *days); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Database: %s\nSee the answers: KINDLING_STORE_PATH=%s go run . export\n", path, path)
	fmt.Fprintf(e.stdout, "The check-ins as FHIR R4: KINDLING_STORE_PATH=%s go run . export --format fhir\n", path)
	fmt.Fprintf(e.stdout, "Took %s.\n", time.Since(began).Round(10*time.Millisecond))
	return nil
}

// startDemo starts kindling against srv with the database at path; the
// month starts a week before the US daylight-saving change of 8 March
// 2026, so the demo also shows the schedule keeping local time.
func startDemo(ctx context.Context, srv *telegramtest.Server, path string, out io.Writer) (*app, *demo.Journey, error) {
	cfg := config.Default()
	cfg.Telegram.APIURL = srv.URL()
	cfg.Telegram.Token = srv.Token()
	cfg.Telegram.RatePerSecond = 1000 // the fake has no limits; the demo has a deadline
	cfg.Store.Path = path
	cfg.Enrollment = config.EnrollOpen
	cfg.Schedule.DefaultTimezone = "America/New_York"
	zone, err := time.LoadLocation("America/New_York")
	if err != nil {
		return nil, nil, err
	}
	clk := telegramtest.NewClock(time.Date(2026, 3, 1, 17, 30, 0, 0, zone))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(ctx, cfg, log, appOptions{now: clk.Now, perChat: -1, callTimeout: 10 * time.Second})
	if err != nil {
		return nil, nil, err
	}
	a.poller.Timeout = 5 * time.Second
	a.Start(startOptions{})
	j := demo.New(demo.Options{Server: srv, Clock: clk, DB: a.db, Tick: a.tick, Idle: a.bot.WaitIdle, Out: out})
	return a, j, nil
}
