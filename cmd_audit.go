package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"kindling/admin"
	"kindling/config"
	"kindling/store"
)

// cmdAudit prints the web workspace's record of who viewed which client's
// records, and when: through the running bot's admin address, or from the
// database file when no kindling runs.
func cmdAudit(ctx context.Context, args []string, e cmdEnv) error {
	var since *string
	var from time.Time
	return runOffline(ctx, args, e, offline{
		name: "audit",
		flags: func(fs *flag.FlagSet) {
			since = fs.String("since", "", "only views on or after this `date` (YYYY-MM-DD, UTC)")
		},
		check: func(cfg config.Config, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return fmt.Errorf("audit takes no arguments, got %q", fs.Arg(0))
			}
			if *since == "" {
				return nil
			}
			t, err := time.Parse("2006-01-02", *since)
			if err != nil {
				return fmt.Errorf("--since: want a date such as 2026-03-01, got %q", *since)
			}
			from = t
			return nil
		},
		admin: func(ctx context.Context, cl admin.Client) error {
			q := url.Values{}
			if *since != "" {
				q.Set("since", *since)
			}
			resp, err := cl.Get(ctx, "/audit", q)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(e.stdout, resp.Body); err != nil {
				return admin.Final(fmt.Errorf("audit from the running bot: %w", err))
			}
			return nil
		},
		file: func(cfg config.Config, db *store.DB) error {
			return admin.WriteAudit(e.stdout, db, from, coachNames(cfg))
		},
	})
}

// coachNames are the configured coaches' names by id.
func coachNames(cfg config.Config) map[int64]string {
	names := map[int64]string{}
	for _, c := range cfg.Coaches {
		names[c.ID] = c.Name
	}
	return names
}
