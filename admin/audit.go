package admin

import (
	"net/http"
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
