package admin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"kindling/store"
)

// Job is an operator's command that reads the database (export, backup,
// audit): done through the kindling that holds the file when one answers
// on admin.listen, else on the file itself. Run decides which.
type Job struct {
	Name string // the command, as messages name it: "export", "backup"
	// Ask does the work through the running kindling, with c.Get. Its
	// errors mean what Get's do; one wrapped by Final (say, the answer
	// broke off halfway) also ends the job without trying the file.
	Ask func(ctx context.Context, c Client) error
	// File does the work on the database file when no kindling answers.
	File func(db *store.DB) error
}

// finalError is an error of Job.Ask after which the file is not tried.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// Final marks err, returned by Job.Ask, as the end of the job: the kindling
// there answered, so opening the file it holds would not help.
func Final(err error) error { return &finalError{err} }

// Run does j: through c.Listen when a kindling answers there and holds
// c.StorePath, else on the file at c.StorePath, opened for as long as
// File runs. A file another process holds is an error that says what to do:
// stop that kindling, or turn on admin.listen.
func (c Client) Run(ctx context.Context, j Job) error {
	var askErr error
	if c.Listen != "" {
		err := j.Ask(ctx, c)
		var final *finalError
		var refused *RefusedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &final), errors.As(err, &refused):
			return err
		case !errors.Is(err, ErrNoServer):
			askErr = err
		}
	}
	if _, err := os.Stat(c.StorePath); err != nil {
		return fmt.Errorf("store.path %s: %w", c.StorePath, err)
	}
	db, err := store.Open(c.StorePath, store.Options{Timeout: time.Second})
	if errors.Is(err, store.ErrLocked) {
		switch {
		case askErr != nil:
			return fmt.Errorf("%w\n(and the running bot's admin address did not help: %v)", err, askErr)
		case c.Listen == "":
			return fmt.Errorf("%w\n(admin.listen is off, so kindling %s reads the file itself: stop the bot first, or turn on admin.listen)", err, j.Name)
		default:
			return fmt.Errorf("%w\n(and nothing answers on admin.listen %s: is the bot running with another config?)", err, c.Listen)
		}
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return j.File(db)
}
