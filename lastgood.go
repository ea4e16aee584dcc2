package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"kindling/config"
	"kindling/prompts"
	"kindling/store"
)

// This file keeps kindling answering when its files are not as they should
// be: a prompts directory with errors at start (prompts.Active runs on the
// last good prompts, which the database keeps here) and a database file
// with damaged pages (found in the background after the start). Both are
// told to the coaches, logged, and shown on /healthz as "degraded".

// conditions are what /healthz reports as degraded besides the prompts'
// (see prompts.Active.Degraded).
type conditions struct {
	mu     sync.Mutex
	damage []string // damaged pages of the database file
}

// degraded lists what is wrong while kindling keeps answering: empty when
// all is as configured.
func (a *app) degraded() []string {
	var out []string
	if a.active != nil {
		out = a.active.Degraded()
	}
	a.cond.mu.Lock()
	damage := a.cond.damage
	a.cond.mu.Unlock()
	for _, d := range damage {
		out = append(out, "database: "+d)
	}
	return out
}

// promptOptions are the prompts settings of cfg, for prompts.Prepare and
// prompts.WouldRun.
func promptOptions(cfg config.Config) prompts.ActiveOptions {
	return prompts.ActiveOptions{Dir: cfg.Prompts.Dir, DefaultSequence: cfg.Prompts.DefaultSequence,
		Load: prompts.Options{DefaultLanguage: cfg.Prompts.DefaultLanguage}, KeptIn: "store.path " + cfg.Store.Path}
}

// readPromptsDir reads prompts.dir before anything is opened. A directory
// with errors is no error here, so that the start can run on the last
// good prompts kept in the database; it is one when there is no database
// file yet, so nothing to fall back on.
func readPromptsDir(cfg config.Config, log *slog.Logger) (*prompts.Pending, error) {
	o := promptOptions(cfg)
	o.Logger = log
	p, err := prompts.Prepare(o)
	if err != nil {
		return nil, err
	}
	if p.NeedsKept() {
		if _, serr := os.Stat(cfg.Store.Path); errors.Is(serr, os.ErrNotExist) {
			return nil, p.Refuse("there is no database yet")
		}
	}
	return p, nil
}

// promptKeeper keeps the last good prompts in the database.
type promptKeeper struct{ db *store.DB }

func (k promptKeeper) LastGood() (prompts.Kept, error) {
	snap, err := k.db.PromptSnapshot()
	if errors.Is(err, store.ErrNotFound) {
		return prompts.Kept{}, noneKept{err}
	}
	return prompts.Kept(snap), err
}

func (k promptKeeper) Keep(kept prompts.Kept) error {
	return k.db.PutPromptSnapshot(store.PromptSnapshot(kept))
}

// noneKept is the store's not-found read as prompts.ErrNoneKept, its
// message unchanged.
type noneKept struct{ error }

func (e noneKept) Unwrap() error      { return e.error }
func (noneKept) Is(target error) bool { return target == prompts.ErrNoneKept }

// tellPromptFallback tells every coach that kindling started on the
// stored prompts, and why. Nothing when it started on prompts.dir.
func (a *app) tellPromptFallback() {
	lines := a.active.Fallback()
	if lines == nil {
		return
	}
	if err := a.bot.TellCoaches(lines); err != nil {
		a.log.Error("tell coaches about prompt errors", "err", err)
	}
}

// checkFile looks for damaged pages in the database file once, in the
// background after the start (it reads the whole file), and reports what
// it finds on /healthz, in the log and to every coach.
func (a *app) checkFile(ctx context.Context) {
	began := time.Now()
	found, err := a.db.Damage(ctx)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		a.log.Error("look for damaged pages in the database file", "err", err)
		a.setDamage([]string{"cannot look for damaged pages: " + err.Error()})
		return
	}
	if len(found) == 0 {
		a.log.Debug("database file checked: no damaged pages", "took", time.Since(began).Round(time.Millisecond))
		return
	}
	lines := make([]string, len(found))
	for i, d := range found {
		lines[i] = d.String()
	}
	a.setDamage(lines)
	a.log.Error("the database file has damaged pages: what they hold cannot be read; stop kindling and run `kindling salvage` on a copy of the file",
		"store", a.cfg.Store.Path, "pages", len(found))
	for _, l := range lines {
		a.log.Error("damaged: " + l)
	}
	if err := a.bot.TellCoachesDamage(lines); err != nil {
		a.log.Error("tell coaches about the damaged database file", "err", err)
	}
}

func (a *app) setDamage(lines []string) {
	a.cond.mu.Lock()
	a.cond.damage = lines
	a.cond.mu.Unlock()
}
