package admin

import (
	"fmt"
	"io"
	"kindling/store"
	"net/http"
	"text/tabwriter"
	"time"
)

// audit writes the record of the web workspace's views of clients (see
// Options.Audit), from the date in ?since= (YYYY-MM-DD, UTC) on.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	if s.opts.Audit == nil {
		http.Error(w, "no audit record here", http.StatusNotFound)
		return
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			http.Error(w, "--since: want a date such as 2026-03-01, got "+v, http.StatusBadRequest)
			return
		}
		since = t
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	cw := &countingWriter{w: w}
	if err := s.opts.Audit(cw, since); err != nil {
		s.opts.Log.Error("admin: audit failed", "remote", r.RemoteAddr, "err", err)
		if cw.n > 0 {
			panic(http.ErrAbortHandler)
		}
		w.Header().Del("Content-Type")
		http.Error(w, "audit failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.opts.Log.Info("admin: audit served", "remote", r.RemoteAddr, "bytes", cw.n)
}

// WriteAudit prints one line per view of a client's records in the web
// workspace, oldest first: when (UTC), the coach, what they opened and the
// client's chat id. Client names and words are left out.
func WriteAudit(w io.Writer, db *store.DB, since time.Time, names map[int64]string) error {
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
