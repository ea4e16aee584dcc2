package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors returned by the store. Test for them with errors.Is: they are
// always wrapped in an error naming what was being done.
var (
	// ErrNotFound is returned when a record asked for by key does not exist.
	ErrNotFound = errors.New("not found")

	// ErrLocked is returned by Open when another process holds the database
	// file's lock for longer than Options.Timeout.
	ErrLocked = errors.New("database file is locked: another kindling may be running")

	// ErrNewerSchema is returned by Open when the file was written by a newer
	// kindling whose schema this one does not know.
	ErrNewerSchema = errors.New("database was written by a newer kindling")

	// ErrCorrupt is returned when the file is not a bbolt database, is
	// truncated or damaged (a page a transaction needed cannot be read), or
	// holds a record that cannot be decoded.
	ErrCorrupt = errors.New("database file is damaged or not a kindling database")

	// ErrClosed is returned by every method of a DB after Close, or after a
	// CompactInPlace that could not reopen the file.
	ErrClosed = errors.New("store is closed")
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process. Zero means one second; it must be under two seconds so that
	// a second kindling fails fast instead of hanging.
	Timeout time.Duration

	// ReadOnly opens the file with a shared lock and refuses writes. The
	// file must exist and have the current schema.
	ReadOnly bool

	// Now is the clock used for assigned times (Reply.At, Outgoing.CreatedAt,
	// Delivery.SentAt). Nil means time.Now.
	Now func() time.Time

	// NoSync skips fsync on commit. For tests and benchmarks only: a crash
	// of the machine may then lose or corrupt committed data.
	NoSync bool

	// OnStorage, when set, is told when writes begin to be refused with
	// ErrStorage (err is the first such error) and when they are taken
	// again (err is nil): once per spell, however many writes fail. It
	// is called after the transaction, and must not block for long.
	OnStorage func(err error)

	// RecoverAfter is how long after the last refused write a write must
	// succeed for the spell to end (default one minute; see StorageStats).
	RecoverAfter time.Duration

	// BatchDelay is how long Batch waits for other writes to commit with
	// (default bbolt's 10 ms). Tests that write one update at a time
	// shorten it.
	BatchDelay time.Duration
}

// DefaultTimeout is the lock wait used when Options.Timeout is zero.
const DefaultTimeout = time.Second

// DB is an open kindling database: one bbolt file. It is safe for
// concurrent use.
type DB struct {
	// mu is held shared by every transaction and exclusively by Close and
	// CompactInPlace, which swap the underlying file.
	mu     sync.RWMutex
	bolt   *bbolt.DB
	path   string
	opts   Options
	health health // see wrote

	damage damage // pages found damaged (see guard)

	drops atomic.Uint64 // see OutboxDrops
}

// Open opens (creating if needed) the database at path. The parent folder
// is created 0700 and the file 0600. A file of an older schema is migrated
// forward in one transaction; a newer one is refused with ErrNewerSchema.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Timeout < 0 || opts.Timeout >= 2*time.Second {
		return nil, fmt.Errorf("open store %s: lock timeout %s must be between 0 and 2s", path, opts.Timeout)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	path = filepath.Clean(path)
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: create folder: %w", path, err)
		}
	}
	b, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, path: path, opts: opts}
	if !opts.ReadOnly {
		if err := tighten(path); err != nil {
			_ = b.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	}
	// guard names a damaged page; protect also takes any other panic,
	// which here can only come from reading a damaged file.
	if err := protect(func() error { return db.guard(func() error { return prepare(b, opts.ReadOnly) }) }); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// tighten makes the file 0600 if it is more open than that.
func tighten(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, 0o600)
	}
	return nil
}

// openBolt opens the bbolt file and checks that it is whole, mapping every
// failure to one of the package's errors. bbolt reads the mapped file
// directly, so a truncated file can fault; that is turned into ErrCorrupt.
func openBolt(path string, opts Options) (*bbolt.DB, error) {
	var file *os.File
	bopts := &bbolt.Options{
		Timeout:      opts.Timeout,
		ReadOnly:     opts.ReadOnly,
		NoSync:       opts.NoSync,
		FreelistType: bbolt.FreelistMapType,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	}
	var b *bbolt.DB
	err := protect(func() error {
		var err error
		b, err = bbolt.Open(path, 0o600, bopts)
		if err != nil {
			return err
		}
		if opts.BatchDelay > 0 {
			b.MaxBatchDelay = opts.BatchDelay
		}
		return checkSize(b, file)
	})
	if err != nil {
		if b != nil {
			_ = b.Close()
		} else if file != nil {
			_ = file.Close() // bbolt panicked before it could; releases the lock
		}
		var pe *fs.PathError
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("open store %s: %w", path, ErrLocked)
		case errors.Is(err, ErrCorrupt):
			return nil, fmt.Errorf("open store %s: %w", path, err)
		case errors.As(err, &pe):
			return nil, fmt.Errorf("open store %s: %w", path, err)
		default:
			return nil, fmt.Errorf("open store %s: %w: %w", path, ErrCorrupt, err)
		}
	}
	return b, nil
}

// checkSize refuses a file shorter than the pages its meta page claims.
func checkSize(b *bbolt.DB, file *os.File) error {
	if file == nil {
		return nil
	}
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	return b.View(func(tx *bbolt.Tx) error {
		if fi.Size() < tx.Size() {
			return fmt.Errorf("%w: file is truncated (%d bytes, want %d)", ErrCorrupt, fi.Size(), tx.Size())
		}
		return nil
	})
}

// protect runs fn, turning a panic or memory fault inside bbolt (which
// reads the file through mmap) into ErrCorrupt.
func protect(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	return fn()
}

// Close closes the database, waiting for running transactions.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.bolt == nil {
		return nil
	}
	err := db.bolt.Close()
	db.bolt = nil
	if err != nil {
		return fmt.Errorf("close store %s: %w", db.path, err)
	}
	return nil
}

// Path returns the path of the database file.
func (db *DB) Path() string { return db.path }

// begin takes the shared lock and returns the open bbolt handle.
func (db *DB) begin() (*bbolt.DB, error) {
	db.mu.RLock()
	if db.bolt == nil {
		db.mu.RUnlock()
		return nil, fmt.Errorf("store %s: %w", db.path, ErrClosed)
	}
	return db.bolt, nil
}

func (db *DB) tx(t *bbolt.Tx) *Tx { return &Tx{tx: t, now: db.opts.Now} }

// Update runs fn in a read-write transaction, committed when fn returns
// nil. fn must not call methods of db.
//
// An error of the storage rather than of fn (a full disk, an I/O error, a
// closed database) wraps ErrStorage.
func (db *DB) Update(fn func(*Tx) error) error {
	b, err := db.begin()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
	err, fnErr := db.write(b.Update, fn)
	db.mu.RUnlock()
	return db.wrote(err, fnErr)
}

// View runs fn in a read-only transaction. fn must not call methods of db.
func (db *DB) View(fn func(*Tx) error) error {
	b, err := db.begin()
	if err != nil {
		return err
	}
	defer db.mu.RUnlock()
	return db.guard(func() error {
		return b.View(func(t *bbolt.Tx) error { return fn(db.tx(t)) })
	})
}

// Batch runs fn in a read-write transaction shared with other concurrent
// Batch calls: one fsync for many writers. fn may run more than once (bbolt
// retries a batch without the call that failed), so it must be idempotent
// and must not leave effects outside the transaction until Batch returns.
// Storage errors wrap ErrStorage, as in Update.
//
// A damaged page met inside fn ends that call with ErrCorrupt (bbolt then
// runs it again alone, where it fails the same way). Once a damaged page
// was met, or found by Damage, Backup or Check, Batch runs every fn alone,
// in the caller's goroutine: bbolt commits a batch in a goroutine of its
// own, where a panic (from a damaged page read while rebalancing after
// deletes) could not be turned into an error.
func (db *DB) Batch(fn func(*Tx) error) error {
	b, err := db.begin()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
	run := b.Batch
	if db.damaged() {
		run = b.Update
	}
	err, fnErr := db.write(run, fn)
	db.mu.RUnlock()
	return db.wrote(err, fnErr)
}

// ApplyUpdate stores the effect of the Telegram update updateID: it runs fn
// in a batched transaction unless the update was already applied, and
// records updateID as applied (raising the stored offset to at least
// updateID) in that same transaction. A replayed update returns
// (false, nil) without running fn. When fn fails nothing is stored and the
// update stays unapplied.
//
// Applied ids are remembered one by one (the last 10,000 below the offset),
// so updates of one getUpdates batch may be applied concurrently and in
// any order: an update that commits after a later one is still applied,
// not mistaken for a replay. Ids more than 10,000 below the offset are
// treated as replays.
func (db *DB) ApplyUpdate(updateID int64, fn func(*Tx) error) (applied bool, err error) {
	if updateID <= 0 {
		return false, fmt.Errorf("apply update %d: update id must be positive", updateID)
	}
	err = db.Batch(func(tx *Tx) error {
		applied = false // this function may run more than once
		if tx.applied(updateID) {
			return nil
		}
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.SetOffset(updateID); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("apply update %d: %w", updateID, err)
	}
	return applied, nil
}

// OutboxDrops counts the write transactions that removed outbox rows
// without sending them (Forget, DropChatOutbox, DropOutgoing); each is
// counted once it has committed. A sender that read rows after seeing a
// count knows they are still waiting, without looking again, for as long
// as the count has not changed: only it removes them otherwise, by
// sending them.
func (db *DB) OutboxDrops() uint64 { return db.drops.Load() }

// Offset returns the highest Telegram update id stored.
func (db *DB) Offset() (int64, error) {
	var off int64
	err := db.View(func(tx *Tx) error { off = tx.Offset(); return nil })
	return off, err
}

// Due returns the chat ids of clients due at or before at, in due order,
// at most limit of them (limit <= 0: all).
func (db *DB) Due(at time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := db.View(func(tx *Tx) error {
		var err error
		ids, err = tx.Due(at, limit)
		return err
	})
	return ids, err
}

// Forget removes every record of the client in one transaction. Freed
// pages still hold the old bytes until the file is compacted: follow with
// CompactInPlace (or Compact while stopped) to erase them from the file.
func (db *DB) Forget(chatID int64) error {
	return db.Update(func(tx *Tx) error { return tx.Forget(chatID) })
}
