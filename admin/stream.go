package admin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"kindling/store"
)

// backup streams a consistent copy of the database. A failure halfway
// aborts the connection, so the client sees an incomplete transfer rather
// than a short file that looks whole.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", s.opts.BackupName(began)))
	n, err := s.opts.Backup.Backup(w)
	if err != nil {
		s.opts.Log.Error("admin: backup failed", "remote", r.RemoteAddr, "bytes", n, "err", err)
		if n == 0 {
			http.Error(w, "backup failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		panic(http.ErrAbortHandler)
	}
	s.opts.Log.Info("admin: backup served", "remote", r.RemoteAddr, "bytes", n, "took", time.Since(began).Round(time.Millisecond))
}

// export streams answers as store.DB.Export writes them, or the scored
// check-ins as a FHIR R4 Bundle (format fhir, written by the Export the
// app gives): ?client=CHAT_ID&since=YYYY-MM-DD&format=csv|json|fhir, each
// optional.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts, err := ExportOptions(q.Get("client"), q.Get("since"), q.Get("format"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch opts.Format {
	case "fhir":
		w.Header().Set("Content-Type", "application/fhir+json")
	case "json":
		w.Header().Set("Content-Type", "application/json")
	default:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	cw := &countingWriter{w: w}
	err = s.opts.Export.Export(cw, opts)
	log := s.opts.Log
	switch {
	case err == nil:
		log.Info("admin: export served", "remote", r.RemoteAddr, "client", opts.ChatID, "format", opts.Format, "bytes", cw.n)
	case cw.n > 0:
		log.Error("admin: export failed", "remote", r.RemoteAddr, "bytes", cw.n, "err", err)
		panic(http.ErrAbortHandler)
	case errors.Is(err, store.ErrNotFound):
		w.Header().Del("Content-Type")
		http.Error(w, fmt.Sprintf("no client %d", opts.ChatID), http.StatusNotFound)
	default:
		log.Error("admin: export failed", "remote", r.RemoteAddr, "err", err)
		w.Header().Del("Content-Type")
		http.Error(w, "export failed: "+err.Error(), http.StatusInternalServerError)
	}
}

// ExportOptions reads the options of an export as the command line and
// the admin endpoint both take them; errors name the flag.
func ExportOptions(client, since, format string) (store.ExportOptions, error) {
	opts := store.ExportOptions{Format: format}
	if opts.Format == "" {
		opts.Format = "csv"
	}
	if opts.Format != "csv" && opts.Format != "json" && opts.Format != "fhir" {
		return opts, fmt.Errorf("--format: want csv, json or fhir, got %q", format)
	}
	if client != "" && client != "0" {
		id, err := strconv.ParseInt(client, 10, 64)
		if err != nil {
			return opts, fmt.Errorf("--client: want a chat id, got %q", client)
		}
		opts.ChatID = id
	}
	if since != "" {
		t, err := time.Parse("2006-01-02", since)
		if err != nil {
			return opts, fmt.Errorf("--since: want YYYY-MM-DD, got %q", since)
		}
		opts.Since = t
	}
	return opts, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
