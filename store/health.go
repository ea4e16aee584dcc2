package store

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// ErrStorage is returned when the database did not take a write for a
// reason of the storage, not of the write: the disk is full, an I/O
// error, a read-only file system, a file size limit, a closed database
// (which does not count in StorageStats).
// Such an error says nothing about the record being written; the same
// write may succeed once there is room again.
var ErrStorage = errors.New("storage refused the write")

// defaultRecoverAfter is Options.RecoverAfter when zero.
const defaultRecoverAfter = time.Minute

// StorageStats says how the database takes writes; read with DB.StorageStats.
type StorageStats struct {
	// WriteErrors counts writes refused with ErrStorage since Open.
	WriteErrors int64
	// Failing is the last storage error while writes are refused (see
	// Options.RecoverAfter), nil when they are taken.
	Failing error
	// Since is when the current spell of refused writes began.
	Since time.Time
}

// health follows the storage errors of writes. A spell of refused writes
// begins with the first one and ends with a write that succeeds
// RecoverAfter after the last one refused: on a nearly full disk, small
// writes that fit in free pages succeed between the large ones that fail,
// and the store must not look healthy in between.
type health struct {
	mu       sync.Mutex
	errors   int64
	failing  error
	since    time.Time
	lastFail time.Time
}

// wrote records the outcome of a write transaction. fnErr is what the
// caller's function returned in its last run, err what bbolt returned.
// It returns the error for the caller and tells Options.OnStorage of a
// change; it is called with no lock of the DB held.
func (db *DB) wrote(err, fnErr error) error {
	h := &db.health
	now := time.Now()
	var changed bool
	var report error
	switch {
	case err == nil:
		h.mu.Lock()
		if h.failing != nil && now.Sub(h.lastFail) >= db.recoverAfter() {
			h.failing, changed = nil, true
		}
		h.mu.Unlock()
	case fnErr != nil && errors.Is(err, fnErr):
		return err // the caller's own error: nothing about the storage
	case errors.Is(err, ErrCorrupt):
		// A damaged page is a fault of some records, reported with what
		// was being read; the file still takes other writes.
		return err
	default:
		if !errors.Is(err, ErrStorage) {
			err = fmt.Errorf("%w: %w", ErrStorage, err)
		}
		h.mu.Lock()
		h.errors++
		h.lastFail = now
		if h.failing == nil {
			h.since, changed = now, true
		}
		h.failing = err
		report = err
		h.mu.Unlock()
	}
	if changed && db.opts.OnStorage != nil {
		db.opts.OnStorage(report)
	}
	return err
}

func (db *DB) recoverAfter() time.Duration {
	if db.opts.RecoverAfter > 0 {
		return db.opts.RecoverAfter
	}
	return defaultRecoverAfter
}

// StorageStats returns how the database takes writes.
func (db *DB) StorageStats() StorageStats {
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	st := StorageStats{WriteErrors: db.health.errors, Failing: db.health.failing}
	if st.Failing != nil {
		st.Since = db.health.since
	}
	return st
}

// write runs fn in a write transaction of run (bbolt's Update or Batch).
// It returns bbolt's error and what fn returned in its last run (Batch
// may run it again), for wrote to tell a storage error from fn's own.
//
// A damaged page turns into ErrCorrupt (see guard) whether fn meets it or
// bbolt does while committing; the inner guard also covers fn when bbolt
// runs a batch in a goroutine of its own.
//
// A call of fn that removed outbox rows without sending them is counted
// in OutboxDrops once run returns (committed or not: a count too many
// only costs a sender one more look).
func (db *DB) write(run func(func(*bbolt.Tx) error) error, fn func(*Tx) error) (err, fnErr error) {
	dropped := false
	err = db.guard(func() error {
		return run(func(t *bbolt.Tx) error {
			tx := db.tx(t)
			fnErr = db.guard(func() error { return fn(tx) })
			dropped = dropped || tx.dropped
			return fnErr
		})
	})
	if dropped {
		db.drops.Add(1)
	}
	return err, fnErr
}
