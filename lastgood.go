package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"kindling/config"
	"kindling/prompts"
	"kindling/store"
)

// This file keeps kindling answering when its files are not as they should
// be: a prompts directory with errors at start (kindling runs on the last
// good prompts, kept in the database) and a database file with damaged
// pages (found in the background after the start). Both are told to the
// coaches, logged, and shown on /healthz as "degraded".

// conditions are what /healthz reports as degraded, besides the prompt
// problems the watcher holds.
type conditions struct {
	mu       sync.Mutex
	fallback string   // how the active prompts came from the database; "" once the directory loads
	damage   []string // damaged pages of the database file
}

// degraded lists what is wrong while kindling keeps answering: empty when
// all is as configured.
func (a *app) degraded() []string {
	var out []string
	a.cond.mu.Lock()
	fallback, damage := a.cond.fallback, a.cond.damage
	a.cond.mu.Unlock()
	if a.watcher != nil {
		var errs []string
		for _, p := range a.watcher.Problems() {
			if !p.Warning {
				errs = append(errs, "prompts: "+p.String())
			}
		}
		if len(errs) > 0 {
			if fallback == "" {
				fallback = "prompts.dir " + a.cfg.Prompts.Dir + " has errors; the last good prompts stay active"
			}
			out = append(append(out, fallback), errs...)
		}
	}
	for _, d := range damage {
		out = append(out, "database: "+d)
	}
	return out
}

// readPromptsDir loads prompts.dir before anything is opened. A directory
// with errors is returned as problems, not as an error, so that the start
// can fall back on the last good set; it is an error only when there is
// no database file yet, so nothing to fall back on.
func readPromptsDir(cfg config.Config, opts prompts.Options) (*prompts.Set, *prompts.LoadError, error) {
	if cfg.Prompts.Dir == "" {
		return prompts.Default(), nil, nil
	}
	set, err := prompts.LoadDir(cfg.Prompts.Dir, opts)
	var le *prompts.LoadError
	switch {
	case err == nil:
		return set, nil, nil
	case !errors.As(err, &le):
		return nil, nil, fmt.Errorf("prompts.dir %s: %w", cfg.Prompts.Dir, err)
	}
	if _, serr := os.Stat(cfg.Store.Path); errors.Is(serr, os.ErrNotExist) {
		return nil, nil, noFallback(cfg, le, "there is no database yet")
	}
	return nil, le, nil
}

func noFallback(cfg config.Config, le *prompts.LoadError, why string) error {
	return fmt.Errorf("prompts.dir %s: %w\n(kindling cannot start: %s, so there are no good prompts from an earlier start to run on; fix the files above, `kindling check %s` shows the problems)",
		cfg.Prompts.Dir, le, why, cfg.Prompts.Dir)
}

// startPrompts sets a.prompts (and a.watcher when prompts.dir is set) once
// the database is open. set is prompts.dir's, or nil when it had the
// problems in le: then the last good set stored in the database is used,
// every problem is logged, and every coach is told (once the bot exists:
// see tellPromptFallback). A good set from prompts.dir is stored as the
// last good one.
func (a *app) startPrompts(ctx context.Context, opts prompts.Options, set *prompts.Set, le *prompts.LoadError) error {
	cfg := a.cfg
	if cfg.Prompts.Dir == "" {
		a.prompts = func() *prompts.Set { return set }
		return a.checkDefaultSequence(set)
	}
	var problems []prompts.Problem
	if set == nil {
		snap, err := a.db.PromptSnapshot()
		if errors.Is(err, store.ErrNotFound) {
			return noFallback(cfg, le, "no good prompts were ever loaded into store.path "+cfg.Store.Path)
		}
		if err != nil {
			return fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts cannot be read from the database: %v)", cfg.Prompts.Dir, le, err)
		}
		set, err = prompts.LoadFiles(snap.Files, opts)
		if err != nil {
			return fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts stored in the database, loaded %s from %s, do not load either: %v)",
				cfg.Prompts.Dir, le, snap.LoadedAt.Format(time.RFC3339), snap.Source, err)
		}
		if err := a.checkDefaultSequence(set); err != nil {
			return fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts stored in the database: %v)", cfg.Prompts.Dir, le, err)
		}
		problems = le.Problems
		note := fmt.Sprintf("prompts.dir %s has errors: running on the last good prompts, loaded %s from %s and kept in the database",
			cfg.Prompts.Dir, snap.LoadedAt.UTC().Format("2006-01-02 15:04 MST"), snap.Source)
		a.cond.mu.Lock()
		a.cond.fallback = note
		a.cond.mu.Unlock()
		a.log.Error(note, "problems", len(le.Errors()))
		for _, p := range problems {
			a.log.Error("prompts: " + p.String())
		}
	} else {
		if err := a.checkDefaultSequence(set); err != nil {
			return err
		}
		a.keepPrompts(set)
	}
	w, err := prompts.WatchFrom(ctx, cfg.Prompts.Dir, opts, a.log, set, problems)
	if err != nil {
		return fmt.Errorf("prompts.dir %s: %w", cfg.Prompts.Dir, err)
	}
	a.watcher = w
	a.prompts = w.Current
	return nil
}

func (a *app) checkDefaultSequence(set *prompts.Set) error {
	if !set.Has(a.cfg.Prompts.DefaultSequence) {
		return fmt.Errorf("prompts.default_sequence: no sequence %q (have %s)", a.cfg.Prompts.DefaultSequence, strings.Join(set.IDs(), ", "))
	}
	return nil
}

// keepPrompts stores set, just loaded from prompts.dir without errors, as
// the last good prompts; a set without the default sequence is not one
// kindling could start on, so it is not kept.
func (a *app) keepPrompts(set *prompts.Set) {
	if !set.Has(a.cfg.Prompts.DefaultSequence) {
		return
	}
	snap := store.PromptSnapshot{Source: a.cfg.Prompts.Dir, LoadedAt: time.Now().UTC(), Files: set.Files()}
	if err := a.db.PutPromptSnapshot(snap); err != nil {
		a.log.Error("keep the last good prompts in the database", "err", err)
	}
}

// promptsReloaded is called for each reload of prompts.dir that succeeded:
// the new set is kept, and kindling no longer runs on a stored one.
func (a *app) promptsReloaded(set *prompts.Set) {
	a.keepPrompts(set)
	a.cond.mu.Lock()
	was := a.cond.fallback
	a.cond.fallback = ""
	a.cond.mu.Unlock()
	if was != "" {
		a.log.Info("prompts.dir loads again: its prompts are active", "dir", a.cfg.Prompts.Dir)
	}
}

// tellPromptFallback tells every coach that kindling started on the
// stored prompts, and why. Nothing when it started on prompts.dir.
func (a *app) tellPromptFallback() {
	a.cond.mu.Lock()
	note := a.cond.fallback
	a.cond.mu.Unlock()
	if note == "" || a.watcher == nil {
		return
	}
	lines := []string{note + "."}
	for _, p := range a.watcher.Problems() {
		lines = append(lines, p.String())
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
