package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"kindling/store"
)

type exportData struct {
	Clients []exportClient
	Chosen  string
	FHIR    bool // the FHIR format is offered
}

type exportClient struct {
	ID   int64
	Name string
}

// exportPage offers the coach's clients' answers as CSV or JSON.
func (s *Server) exportPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := exportData{Chosen: r.URL.Query().Get("client"), FHIR: s.opts.FHIR != nil}
	err := s.opts.DB.View(func(tx *store.Tx) error {
		return tx.CoachClients(sess.Coach, func(c store.Client) error {
			d.Clients = append(d.Clients, exportClient{ID: c.ChatID, Name: c.Name})
			return nil
		})
	})
	if err != nil {
		s.fail(w, r, "export", err)
		return
	}
	s.render(w, r, "export", sess, pageData{Title: "Export", Nav: "export", Data: d})
}

// exportFile writes the answers (and alerts) of one client of the coach,
// or of all of them, with the store's export: the same rows as
// `kindling export` and /export in Telegram.
func (s *Server) exportFile(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "csv" && format != "json" && (format != "fhir" || s.opts.FHIR == nil) {
		format = "csv"
	}
	var ids []int64
	var buf bytes.Buffer
	found := true
	err := s.opts.DB.View(func(tx *store.Tx) error {
		ids = ids[:0]
		buf.Reset()
		if who := q.Get("client"); who != "all" {
			id, err := strconv.ParseInt(who, 10, 64)
			c, err2 := tx.Client(id)
			if err != nil || err2 != nil || c.Coach != sess.Coach {
				found = false
				return nil
			}
			ids = append(ids, id)
		} else if err := tx.CoachClients(sess.Coach, func(c store.Client) error { ids = append(ids, c.ChatID); return nil }); err != nil {
			return err
		}
		if format == "fhir" {
			return nil // written below, from the clients found here
		}
		opts := store.ExportOptions{Coach: sess.Coach, Format: format}
		if q.Get("client") != "all" {
			opts = store.ExportOptions{ChatID: ids[0], Format: format}
		}
		return tx.Export(&buf, opts)
	})
	if err == nil && found && format == "fhir" {
		err = s.opts.FHIR(&buf, ids)
	}
	if err != nil {
		s.fail(w, r, "export", err)
		return
	}
	if !found {
		s.notFound(w, r)
		return
	}
	for _, id := range ids {
		if !s.recordView(w, r, id, sess.Coach, "export") {
			return
		}
	}
	ext := format
	if format == "fhir" {
		ext = "fhir.json"
	}
	name := "kindling-" + strings.ReplaceAll(q.Get("client"), "/", "") + "-" + s.opts.Now().Format("2006-01-02") + "." + ext
	switch format {
	case "json":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	case "fhir":
		w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(buf.Bytes())
}
