package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
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
		file: func(cfg config.Config, db *store.DB) error { return writeAudit(e.stdout, db, from, coachNames(cfg)) },
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

// writeAudit prints one line per view of a client's records in the web
// workspace, oldest first: when (UTC), the coach, what they opened and the
// client's chat id. Client names and words are left out.
func writeAudit(w io.Writer, db *store.DB, since time.Time, names map[int64]string) error {
	var views []store.WebView
	if err := db.View(func(tx *store.Tx) error {
		var err error
		views, err = tx.WebViews(since)
		return err
	}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "when (UTC)\tcoach\tname\tviewed\tclient")
	for _, v := range views {
		name := names[v.Coach]
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\n", v.At.UTC().Format(time.RFC3339), v.Coach, name, v.What, v.ChatID)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if len(views) == 0 {
		_, err := fmt.Fprintln(w, "(no views recorded)")
		return err
	}
	return nil
}
