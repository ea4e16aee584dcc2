package prompts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Kept is a set of prompt files that loaded without errors, as a Keeper
// keeps it: LoadFiles(Files) loads the same set again.
type Kept struct {
	Source   string            // where the files were read from: the folder
	LoadedAt time.Time         // when they were loaded
	Files    map[string][]byte // file name -> contents, exactly as read
}

// ErrNoneKept is what a Keeper's LastGood error wraps when no set was ever
// kept.
var ErrNoneKept = errors.New("no prompts kept")

// Keeper keeps the last good set of a folder somewhere that outlives the
// process, so that a later start can run on it when the folder has errors
// then. kindling keeps it in its database, and the messages of Active say
// so.
type Keeper interface {
	// LastGood returns the set kept last; its error wraps ErrNoneKept
	// when none was ever kept.
	LastGood() (Kept, error)
	// Keep replaces the kept set with k.
	Keep(k Kept) error
}

// ActiveOptions say which set an Active runs on and where it keeps the
// good ones.
type ActiveOptions struct {
	// Dir is the folder coaches edit (the configuration's prompts.dir).
	// "" runs on the built-in set: nothing is watched or kept.
	Dir string
	// DefaultSequence must be in a set for kindling to start on it or to
	// keep it (prompts.default_sequence).
	DefaultSequence string
	// Load are the options every set is loaded with.
	Load Options
	// KeptIn names where the Keeper keeps sets in the error of a start
	// that finds none, e.g. "store.path /var/lib/kindling/kindling.db".
	KeptIn string
	// Logger gets the reloads, the fallback and a Keep that failed; nil
	// discards.
	Logger *slog.Logger
	// Now stamps the sets kept; nil is time.Now.
	Now func() time.Time
}

// Pending is a folder read for a start before its Keeper can be asked:
// kindling reads its prompts before it opens the database that keeps
// them, so that a folder it cannot start on creates nothing.
type Pending struct {
	o   ActiveOptions
	set *Set       // the folder's set, or the built-in one; nil when le is set
	le  *LoadError // the folder's problems
}

// Prepare reads o.Dir for a start, or takes the built-in set when o.Dir
// is "". A folder with problems is no error (Start then runs on the kept
// set, and NeedsKept says so); a folder that cannot be read at all is.
func Prepare(o ActiveOptions) (*Pending, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dir == "" {
		return &Pending{o: o, set: Default()}, nil
	}
	set, err := LoadDir(o.Dir, o.Load)
	var le *LoadError
	switch {
	case err == nil:
		return &Pending{o: o, set: set}, nil
	case !errors.As(err, &le):
		return nil, fmt.Errorf("prompts.dir %s: %w", o.Dir, err)
	}
	return &Pending{o: o, le: le}, nil
}

// NeedsKept reports whether the folder had errors, so that Start can only
// run on the set the Keeper kept.
func (p *Pending) NeedsKept() bool { return p.le != nil }

// Refuse is the error of a start that NeedsKept when no set can have been
// kept: every problem of the folder, then why kindling cannot start (why
// says what is missing, e.g. "there is no database yet").
func (p *Pending) Refuse(why string) error {
	return fmt.Errorf("prompts.dir %s: %w\n(kindling cannot start: %s, so there are no good prompts from an earlier start to run on; fix the files above, `kindling check %s` shows the problems)",
		p.o.Dir, p.le, why, p.o.Dir)
}

// Start makes the set kindling runs on. Without a folder it is the
// built-in set. A good folder is kept through k and watched. A folder
// with errors is watched too, but the set k kept last runs until the
// folder loads again: its problems are logged, Degraded lists them and
// Fallback says what to tell the coaches. Either way the set must hold
// the default sequence. k is not used without a folder.
func (p *Pending) Start(ctx context.Context, k Keeper) (*Active, error) {
	o := p.o
	a := &Active{o: o, keeper: k}
	set := p.set
	if o.Dir == "" {
		if err := a.checkDefault(set); err != nil {
			return nil, err
		}
		a.builtin = set
		a.none = make(chan Change)
		close(a.none)
		return a, nil
	}
	var problems []Problem
	if set == nil {
		le := p.le
		kept, err := k.LastGood()
		if errors.Is(err, ErrNoneKept) {
			return nil, p.Refuse("no good prompts were ever loaded into " + o.KeptIn)
		}
		if err != nil {
			return nil, fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts cannot be read from the database: %v)", o.Dir, le, err)
		}
		set, err = LoadFiles(kept.Files, o.Load)
		if err != nil {
			return nil, fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts stored in the database, loaded %s from %s, do not load either: %v)",
				o.Dir, le, kept.LoadedAt.Format(time.RFC3339), kept.Source, err)
		}
		if err := a.checkDefault(set); err != nil {
			return nil, fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts stored in the database: %v)", o.Dir, le, err)
		}
		problems = le.Problems
		a.fallback = fmt.Sprintf("prompts.dir %s has errors: running on the last good prompts, loaded %s from %s and kept in the database",
			o.Dir, kept.LoadedAt.UTC().Format("2006-01-02 15:04 MST"), kept.Source)
		o.Logger.Error(a.fallback, "problems", len(le.Errors()))
		for _, p := range problems {
			o.Logger.Error("prompts: " + p.String())
		}
	} else {
		if err := a.checkDefault(set); err != nil {
			return nil, err
		}
		a.keep(set)
	}
	w, err := watchFrom(ctx, o.Dir, o.Load, o.Logger, set, problems, a.reloaded)
	if err != nil {
		return nil, fmt.Errorf("prompts.dir %s: %w", o.Dir, err)
	}
	a.w = w
	return a, nil
}

// Active is the set of prompts kindling runs on: the built-in set, or a
// folder's last good set, kept through a Keeper each time the folder
// loads with the default sequence. Its methods are safe for concurrent
// use.
type Active struct {
	o       ActiveOptions
	keeper  Keeper
	builtin *Set        // without a folder
	none    chan Change // Changes without a folder: closed
	w       *Watcher    // with a folder

	mu       sync.Mutex
	fallback string // how the active set came from the Keeper; "" once the folder loads
}

// Current is the set to run on now.
func (a *Active) Current() *Set {
	if a.w == nil {
		return a.builtin
	}
	return a.w.Current()
}

// Reload loads the folder now, as a save would: whether its set is
// active now and, if not, every problem, one a line. Without a folder
// nothing is reloaded.
func (a *Active) Reload() (ok bool, problems []string) {
	if a.w == nil {
		return false, []string{"prompts.dir is not set: the built-in prompts are active"}
	}
	ch := a.w.Reload()
	var lines []string
	for _, p := range ch.Problems {
		lines = append(lines, p.String())
	}
	return ch.OK, lines
}

// Changes reports each reload of the folder (see Watcher.Changes); the
// set of a good one is already kept when it is reported. Without a folder
// it is closed. Close closes it.
func (a *Active) Changes() <-chan Change {
	if a.w == nil {
		return a.none
	}
	return a.w.Changes()
}

// Degraded lists what is wrong while kindling keeps running on the last
// good set: the note on how that set came to be active, then each error
// of the folder, "prompts: file:line: field: message". Nil while the
// folder loads (its warnings are not listed).
func (a *Active) Degraded() []string {
	if a.w == nil {
		return nil
	}
	a.mu.Lock()
	note := a.fallback
	a.mu.Unlock()
	var errs []string
	for _, p := range a.w.Problems() {
		if !p.Warning {
			errs = append(errs, "prompts: "+p.String())
		}
	}
	if len(errs) == 0 {
		return nil
	}
	if note == "" {
		note = "prompts.dir " + a.o.Dir + " has errors; the last good prompts stay active"
	}
	return append([]string{note}, errs...)
}

// Fallback is what to tell the coaches while the set runs that the Keeper
// kept because the folder had errors at the start: the note saying so,
// then every problem of the folder. Nil when the folder's own set runs.
func (a *Active) Fallback() []string {
	a.mu.Lock()
	note := a.fallback
	a.mu.Unlock()
	if note == "" || a.w == nil {
		return nil
	}
	lines := []string{note + "."}
	for _, p := range a.w.Problems() {
		lines = append(lines, p.String())
	}
	return lines
}

// Close stops watching the folder and closes Changes; Current keeps
// returning the last good set.
func (a *Active) Close() error {
	if a.w == nil {
		return nil
	}
	return a.w.Close()
}

func (a *Active) checkDefault(set *Set) error {
	if !set.Has(a.o.DefaultSequence) {
		return fmt.Errorf("prompts.default_sequence: no sequence %q (have %s)", a.o.DefaultSequence, strings.Join(set.IDs(), ", "))
	}
	return nil
}

// keep keeps set, just loaded from the folder without errors, as the last
// good one; a set without the default sequence is not one kindling could
// start on, so it is not kept. A Keep that fails is logged: the set runs
// all the same.
func (a *Active) keep(set *Set) {
	if !set.Has(a.o.DefaultSequence) {
		return
	}
	k := Kept{Source: a.o.Dir, LoadedAt: a.o.Now().UTC(), Files: set.Files()}
	if err := a.keeper.Keep(k); err != nil {
		a.o.Logger.Error("keep the last good prompts in the database", "err", err)
	}
}

// reloaded is called by the watcher with each set a reload of the folder
// made current: it is kept, and the kept set no longer runs.
func (a *Active) reloaded(set *Set) {
	a.keep(set)
	a.mu.Lock()
	was := a.fallback
	a.fallback = ""
	a.mu.Unlock()
	if was != "" {
		a.o.Logger.Info("prompts.dir loads again: its prompts are active", "dir", a.o.Dir)
	}
}

// WouldRun is the set kindling would run on now, for work done beside a
// running bot or without one (an export): the folder's, else the set k
// kept when the folder has errors. Nothing is watched or kept.
func WouldRun(o ActiveOptions, k Keeper) (*Set, error) {
	if o.Dir == "" {
		return Default(), nil
	}
	set, err := LoadDir(o.Dir, o.Load)
	if err == nil {
		return set, nil
	}
	kept, kerr := k.LastGood()
	if kerr != nil {
		return nil, fmt.Errorf("prompts.dir %s: %w\n(and no last good prompts in the database: %v)", o.Dir, err, kerr)
	}
	set, lerr := LoadFiles(kept.Files, o.Load)
	if lerr != nil {
		return nil, fmt.Errorf("prompts.dir %s: %w\n(and the last good prompts in the database do not load: %v)", o.Dir, err, lerr)
	}
	return set, nil
}
