package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database to w while other
// transactions go on, and returns the bytes written. It holds a read
// transaction meanwhile: a writer that needs to grow the file waits for it.
// A file with a damaged page is refused with ErrCorrupt before anything is
// written (see Damage; Salvage copies what can still be read).
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.View(func(tx *Tx) error {
		if err := db.checkPages(tx.tx); err != nil {
			return err
		}
		var err error
		n, err = tx.tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", db.path, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database to path: into
// path.tmp (0600), synced, renamed over path, then verified by opening it
// read-only and running Check (see WriteBackup).
func (db *DB) BackupFile(path string) error {
	if abs(path) == abs(db.path) {
		return fmt.Errorf("backup %s: cannot back up onto the database itself", path)
	}
	_, err := writeBackup(path, db.Backup)
	return err
}

// SamePath reports whether two paths name the same file by their
// absolute, cleaned form (links are not followed): the check that keeps a
// backup or a salvage from being written over the database it copies.
func SamePath(a, b string) bool { return abs(a) == abs(b) }

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return a
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Compact copies the live data of the database file src into a new file
// dst (0600), which must not exist. Freed pages, and the bytes of
// forgotten records they still hold, are not copied. src is opened
// read-only and must not be held by a running kindling (ErrLocked).
func Compact(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("compact %s: %s already exists", src, dst)
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("compact %s: %w", src, err)
	}
	from, err := openBolt(src, Options{ReadOnly: true, Timeout: DefaultTimeout})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	defer from.Close()
	if err := compactInto(from, src, dst); err != nil {
		_ = os.Remove(dst)
		return fmt.Errorf("compact %s: %w", src, err)
	}
	return nil
}

// CompactFile compacts the database file at path in place (see
// DB.CompactInPlace) and returns its size before and after. The file must
// exist and must not be held by a running kindling (ErrLocked).
func CompactFile(path string) (before, after int64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	db, err := Open(path, Options{Timeout: time.Second})
	if err != nil {
		return 0, 0, err
	}
	err = db.CompactInPlace()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fi.Size(), 0, err
	}
	fa, err := os.Stat(path)
	if err != nil {
		return fi.Size(), 0, err
	}
	return fi.Size(), fa.Size(), nil
}

// compactInto writes the live data of from (the file at path) into a new
// bbolt file dst and checks it. A damaged from is refused first: bbolt
// would panic on its damaged pages.
func compactInto(from *bbolt.DB, path, dst string) error {
	if err := from.View(func(tx *bbolt.Tx) error { return checkPages(path, tx) }); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	to, err := bbolt.Open(dst, 0o600, &bbolt.Options{Timeout: DefaultTimeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return err
	}
	if err := protect(func() error { return bbolt.Compact(to, from, 64<<20) }); err != nil {
		_ = to.Close()
		return err
	}
	if err := to.View(func(tx *bbolt.Tx) error { return checkTx(tx) }); err != nil {
		_ = to.Close()
		return err
	}
	if err := to.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// CompactInPlace rewrites the open database into a fresh file and swaps it
// in, so that freed pages holding forgotten records leave the file. It
// waits for running transactions and blocks new ones until done. The old
// file's blocks are overwritten with zeros after the swap (on
// copy-on-write file systems such as btrfs or ZFS that does not reach the
// old blocks).
//
// Caveat: the file lock is released between closing the old file and
// opening the new one (a few milliseconds); a second kindling starting at
// that moment could take it, and this DB then returns ErrClosed. If the
// swap fails the old file is reopened.
func (db *DB) CompactInPlace() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.bolt == nil {
		return fmt.Errorf("compact %s: %w", db.path, ErrClosed)
	}
	if db.opts.ReadOnly {
		return fmt.Errorf("compact %s: opened read-only", db.path)
	}
	tmp := db.path + ".compact"
	_ = os.Remove(tmp)
	if err := compactInto(db.bolt, db.path, tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", db.path, err)
	}
	old, err := os.OpenFile(db.path, os.O_WRONLY, 0)
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", db.path, err)
	}
	defer old.Close()
	if err := db.bolt.Close(); err != nil {
		_ = os.Remove(tmp)
		return db.reopen(fmt.Errorf("compact %s: %w", db.path, err))
	}
	db.bolt = nil
	if err := os.Rename(tmp, db.path); err != nil {
		_ = os.Remove(tmp)
		return db.reopen(fmt.Errorf("compact %s: %w", db.path, err))
	}
	if err := db.reopen(nil); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(db.path)); err != nil {
		return fmt.Errorf("compact %s: %w", db.path, err)
	}
	if err := shred(old); err != nil {
		return fmt.Errorf("compact %s: overwrite old file: %w", db.path, err)
	}
	return nil
}

// reopen opens db.path again after a swap; cause, if not nil, is returned
// (joined with any failure to reopen).
func (db *DB) reopen(cause error) error {
	b, err := openBolt(db.path, db.opts)
	if err != nil {
		return errors.Join(cause, fmt.Errorf("reopen: %w", err))
	}
	db.bolt = b
	return cause
}

// shred overwrites an unlinked file's contents with zeros and syncs it.
func shred(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zero := make([]byte, 1<<20)
	for off := int64(0); off < fi.Size(); off += int64(len(zero)) {
		n := min(int64(len(zero)), fi.Size()-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

// Check verifies that every page can be read (see Damage), the file's page
// structure (bbolt's tx.Check) and the store's own invariants: every due
// entry matches its client's Due, every reply message index entry points
// at its reply, every alert timer matches its alert's Due. All problems
// are joined.
//
// bbolt's check reads the freelist, which a writer changes as it commits,
// so on a DB opened for writing Check holds the writer lock meanwhile (a
// write transaction it rolls back): writers wait for it.
func (db *DB) Check() error {
	check := func(tx *Tx) error {
		if err := db.checkPages(tx.tx); err != nil {
			return err
		}
		if err := checkTx(tx.tx); err != nil {
			return err
		}
		return errChecked
	}
	var err error
	if db.opts.ReadOnly {
		err = db.View(check)
	} else {
		err = db.Update(check)
	}
	if err != nil && !errors.Is(err, errChecked) {
		return fmt.Errorf("check %s: %w", db.path, err)
	}
	return nil
}

// errChecked ends Check's transaction without committing it.
var errChecked = errors.New("checked")

func checkTx(btx *bbolt.Tx) error {
	var errs []error
	for err := range btx.Check() {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if btx.Bucket(bucketMeta) == nil {
		return nil // not a kindling file (compacting a foreign bbolt file)
	}
	for _, name := range allBuckets {
		if btx.Bucket(name) == nil {
			errs = append(errs, fmt.Errorf("bucket %s missing", name))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	clients := btx.Bucket(bucketClients)
	_ = clients.ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil {
			errs = append(errs, err)
			return nil
		}
		if !c.Due.IsZero() && !has(btx.Bucket(bucketDue), dueKey(c.Due, c.ChatID)) {
			errs = append(errs, fmt.Errorf("client %d: due %s not in due index", c.ChatID, c.Due.Format(time.RFC3339Nano)))
		}
		return nil
	})
	_ = btx.Bucket(bucketDue).ForEach(func(k, _ []byte) error {
		if len(k) != dueKeyLen {
			errs = append(errs, fmt.Errorf("due key %x: bad length", k))
			return nil
		}
		id := int64(binary.BigEndian.Uint64(k[12:]))
		var c Client
		if err := get(clients, chatKey(id), &c, "client"); err != nil {
			errs = append(errs, fmt.Errorf("due entry %x: client %d: %w", k, id, err))
		} else if c.Due.IsZero() || !bytes.Equal(dueKey(c.Due, id), k) {
			errs = append(errs, fmt.Errorf("due entry %x: client %d is due %s", k, id, c.Due.Format(time.RFC3339Nano)))
		}
		return nil
	})
	errs = append(errs, checkAlerts(btx)...)
	errs = append(errs, checkCheckIns(btx)...)
	errs = append(errs, checkIndexes(btx)...)
	replies := btx.Bucket(bucketReplies)
	_ = btx.Bucket(bucketReplyMsgs).ForEach(func(k, v []byte) error {
		if len(k) != 16 || len(v) != 8 {
			errs = append(errs, fmt.Errorf("reply message entry %x: bad length", k))
			return nil
		}
		var r Reply
		if err := get(replies, cat(k[:8], v), &r, "reply"); err != nil {
			errs = append(errs, fmt.Errorf("reply message entry %x: %w", k, err))
		} else if !bytes.Equal(replyMsgKey(r.ChatID, r.MessageID), k) {
			errs = append(errs, fmt.Errorf("reply message entry %x: reply %d has message %d", k, r.ID, r.MessageID))
		}
		return nil
	})
	return errors.Join(errs...)
}

// checkAlerts verifies the alert due index against the alerts.
func checkAlerts(btx *bbolt.Tx) []error {
	var errs []error
	alerts, due := btx.Bucket(bucketAlerts), btx.Bucket(bucketAlertDue)
	_ = alerts.ForEach(func(k, v []byte) error {
		var a Alert
		if err := decode(v, &a, "alert", k); err != nil {
			errs = append(errs, err)
			return nil
		}
		if !bytes.Equal(alertKey(a.ChatID, a.At), k) {
			errs = append(errs, fmt.Errorf("alert %x: holds chat %d at %s", k, a.ChatID, a.At.Format(time.RFC3339Nano)))
		}
		if !a.Due.IsZero() && !has(due, alertDueKey(a.Due, a.ChatID, a.At)) {
			errs = append(errs, fmt.Errorf("alert %x: due %s not in the alert due index", k, a.Due.Format(time.RFC3339Nano)))
		}
		return nil
	})
	_ = due.ForEach(func(k, _ []byte) error {
		if len(k) != 12+alertKeyLen {
			errs = append(errs, fmt.Errorf("alert due key %x: bad length", k))
			return nil
		}
		var a Alert
		if err := get(alerts, k[12:], &a, "alert"); err != nil {
			errs = append(errs, fmt.Errorf("alert due entry %x: %w", k, err))
		} else if a.Due.IsZero() || !bytes.Equal(alertDueKey(a.Due, a.ChatID, a.At), k) {
			errs = append(errs, fmt.Errorf("alert due entry %x: the alert is due %s", k, a.Due.Format(time.RFC3339Nano)))
		}
		return nil
	})
	return errs
}
