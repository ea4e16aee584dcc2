package main

import (
	"fmt"
	"io"
	"time"

	"kindling/config"
	"kindling/prompts"
	"kindling/report"
	"kindling/store"
)

// appExport is what the admin address exports: answers as the store
// writes them, and check-ins as FHIR described by the running prompts.
type appExport struct{ a *app }

func (e appExport) Export(w io.Writer, opts store.ExportOptions) error {
	if opts.Format != "fhir" {
		return e.a.db.Export(w, opts)
	}
	return exportFHIR(w, e.a.active.Current(), e.a.cfg, e.a.db, opts, time.Now())
}

// exportFHIR writes the scored check-ins of the database as a FHIR R4
// Bundle, described by the check-ins of set. opts.ChatID and opts.Since
// narrow it; a client that does not exist is ErrNotFound.
func exportFHIR(w io.Writer, set *prompts.Set, cfg config.Config, db *store.DB, opts store.ExportOptions, now time.Time) error {
	return exportFHIRFor(w, set, cfg, db, opts, nil, now)
}

// exportFHIRFor is exportFHIR of the check-ins of the clients keep keeps
// (every client when keep is nil).
func exportFHIRFor(w io.Writer, set *prompts.Set, cfg config.Config, db *store.DB, opts store.ExportOptions, keep func(int64) bool, now time.Time) error {
	lang := cfg.Prompts.DefaultLanguage
	var defs []report.FHIRCheckIn
	for _, in := range set.Instruments() {
		if best, ok := set.Instrument(in.ID, lang); !ok || best != in {
			continue // one Questionnaire per check-in, in the default language
		}
		defs = append(defs, fhirCheckIn(in))
	}
	cis, err := db.ExportCheckIns(opts, keep)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// The Questionnaires' canonical URLs are under web.base_url, the
	// address kindling is reached at, when it is set; else urn: names.
	return report.FHIRBundle(w, cis, report.FHIROptions{CheckIns: defs, Now: now, BaseURL: cfg.Web.BaseURL})
}

// exportPrompts is the set the bot would run on: prompts.dir, else the
// last good prompts kept in the database when the directory has errors.
func exportPrompts(cfg config.Config, db *store.DB) (*prompts.Set, error) {
	return prompts.WouldRun(promptOptions(cfg), promptKeeper{db})
}

// fhirCheckIn is a check-in as the FHIR export describes it.
func fhirCheckIn(in *prompts.Instrument) report.FHIRCheckIn {
	d := report.FHIRCheckIn{ID: in.ID, Title: in.Name, Language: in.Language}
	for i, it := range in.Items {
		text := it.Text
		if i == 0 && in.Intro != "" {
			text = in.Intro + " " + text
		}
		item := report.FHIRItem{ID: it.ID, Text: text}
		for _, o := range it.Options {
			item.Options = append(item.Options, report.FHIROption{ID: o.ID, Label: o.Label, Score: o.Score})
		}
		d.Items = append(d.Items, item)
	}
	for _, b := range in.Bands {
		d.Bands = append(d.Bands, report.FHIRBand{Min: b.Min, Max: b.Max, Label: b.Label})
	}
	return d
}
