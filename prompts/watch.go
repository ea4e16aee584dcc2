package prompts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce is how long a Watcher waits after the last file event before it
// reloads: an editor's save is several events (write a temporary file, rename
// it over the old one) and a `git pull` many more.
const Debounce = 200 * time.Millisecond

// changesBuffer is how many unread Changes a Watcher keeps.
const changesBuffer = 16

// Change reports one reload attempt.
type Change struct {
	OK       bool      // the new set is active
	Set      *Set      // the new set when OK
	Problems []Problem // every problem when !OK; the new set's warnings when OK
	At       time.Time
}

// Watcher keeps the last good Set of a directory, reloading it when a file in
// it changes. A reload with errors never replaces the current set.
type Watcher struct {
	dir    string
	opts   Options
	logger *slog.Logger

	current atomic.Pointer[Set]
	cancel  context.CancelFunc
	done    chan struct{} // closed when the watch loop has ended

	mu       sync.Mutex // serialises reloads; guards problems and closed
	problems []Problem
	changes  chan Change
	closed   bool
	good     func(*Set) // called, w.mu held, with each set a reload made current; may be nil
}

// Watch loads dir (returning the error if that fails) and then watches the
// directory itself, not its files, because editors save by renaming a new
// file over the old one. Each burst of changes to *.yaml and *.yml files is
// reloaded once, Debounce after its last event, until ctx is done or Close is
// called. A nil logger discards.
func Watch(ctx context.Context, dir string, opts Options, logger *slog.Logger) (*Watcher, error) {
	set, err := LoadDir(dir, opts)
	if err != nil {
		return nil, err
	}
	return WatchFrom(ctx, dir, opts, logger, set, nil)
}

// WatchFrom is Watch starting on set instead of loading dir first: the
// last good set kept elsewhere, when dir has errors now. problems are
// dir's, which Problems returns until a reload of dir succeeds; set stays
// current until then.
func WatchFrom(ctx context.Context, dir string, opts Options, logger *slog.Logger, set *Set, problems []Problem) (*Watcher, error) {
	return watchFrom(ctx, dir, opts, logger, set, problems, nil)
}

// watchFrom is WatchFrom calling good with each set a reload makes
// current, before the change is reported.
func watchFrom(ctx context.Context, dir string, opts Options, logger *slog.Logger, set *Set, problems []Problem, good func(*Set)) (*Watcher, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch prompts %s: %w", dir, err)
	}
	if err := fw.Add(dir); err != nil {
		fw.Close()
		return nil, fmt.Errorf("watch prompts %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{
		dir:      dir,
		opts:     opts,
		logger:   logger,
		cancel:   cancel,
		done:     make(chan struct{}),
		changes:  make(chan Change, changesBuffer),
		problems: problems,
		good:     good,
	}
	w.current.Store(set)
	go w.loop(ctx, fw)
	return w, nil
}

func (w *Watcher) loop(ctx context.Context, fw *fsnotify.Watcher) {
	defer close(w.done)
	defer fw.Close()
	timer := time.NewTimer(Debounce)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write|fsnotify.Create|fsnotify.Remove|fsnotify.Rename) {
				continue
			}
			if !isPromptFile(filepath.Base(ev.Name)) {
				continue // editors' temporary and backup files
			}
			timer.Reset(Debounce)
		case err, ok := <-fw.Errors:
			if !ok {
				return
			}
			w.logger.Warn("prompts: watching the directory", "dir", w.dir, "err", err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				timer.Reset(Debounce) // events were lost: reload to be sure
			}
		case <-timer.C:
			w.Reload()
		}
	}
}

// Current returns the last set that loaded without errors.
func (w *Watcher) Current() *Set { return w.current.Load() }

// Problems returns the problems (errors and warnings) of the last reload if
// it failed, nil after a good one.
func (w *Watcher) Problems() []Problem {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.problems
}

// Changes reports every reload attempt. The channel is buffered; when nobody
// reads it, the oldest changes are dropped so the watcher never blocks. Close
// closes it.
func (w *Watcher) Changes() <-chan Change { return w.changes }

// Reload loads the directory now, switches to the new set if it has no
// errors, and reports the change as a file event would. It is safe to call
// at any time, also after Close.
func (w *Watcher) Reload() Change {
	w.mu.Lock()
	defer w.mu.Unlock()
	set, err := LoadDir(w.dir, w.opts)
	c := Change{At: time.Now()}
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			c.Problems = le.Problems
		} else {
			c.Problems = []Problem{{File: w.dir, Message: err.Error()}}
		}
		w.problems = c.Problems
		w.logger.Error("prompts: reload failed; the last good prompts stay active", "dir", w.dir, "problems", len(c.Problems))
		for _, p := range c.Problems {
			w.logger.Error("prompts: " + p.String())
		}
	} else {
		w.current.Store(set)
		w.problems = nil
		c.OK, c.Set = true, set
		c.Problems = set.Warnings()
		w.logger.Info("prompts: reloaded", "dir", w.dir, "sequences", len(set.IDs()), "languages", len(set.Languages()), "warnings", len(c.Problems))
		for _, p := range c.Problems {
			w.logger.Warn("prompts: " + p.String())
		}
		if w.good != nil {
			w.good(set)
		}
	}
	w.report(c)
	return c
}

// report sends c without blocking, dropping the oldest unread change when the
// buffer is full. w.mu is held, so no other sender races for the free slot.
func (w *Watcher) report(c Change) {
	if w.closed {
		return
	}
	for {
		select {
		case w.changes <- c:
			return
		default:
		}
		select {
		case <-w.changes:
		default:
		}
	}
}

// Close stops watching and closes the Changes channel. Current keeps returning
// the last good set.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		close(w.changes)
	}
	return nil
}
