package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/robfig/cron/v3"
)

// Backup files are named kindling-<UTC time>.db, or .db.age when they are
// encrypted; rotation removes only files named so, never an operator's own
// copies beside them.
const (
	backupPrefix = "kindling-"
	backupSuffix = ".db"
	ageSuffix    = ".age"
	backupTime   = "2006-01-02T150405Z"
)

func BackupName(t time.Time) string {
	return backupPrefix + t.UTC().Format(backupTime) + backupSuffix
}

// backupTimeOf reads the time from a backup file's name; false when the
// name is not one of ours.
func backupTimeOf(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSuffix(s, ageSuffix)
	s, ok = strings.CutSuffix(s, backupSuffix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(backupTime, s)
	return t, err == nil
}

// Backups makes the automatic backups: each Once (on every beat of Run's
// schedule) writes a hot copy of the database into Dir, verified, then
// removes the oldest beyond Keep. A failure is logged and told to Observe;
// the caller runs on.
//
// With Recipients, each copy is encrypted to them with age: it is written
// and verified beside the database first (where the same data already
// is), then encrypted into Dir, and the plain copy removed. Dir, often
// another disk or a synced folder, never holds an unencrypted byte.
type Backups struct {
	DB         *DB
	Dir        string
	Keep       int
	Recipients []age.Recipient // none = unencrypted
	Log        *slog.Logger
	Now        func() time.Time // names the files; nil is time.Now
	// Observe, when set, is told the result of each Once: nil when a
	// backup was written and verified.
	Observe func(err error)

	mu sync.Mutex // one backup at a time
}

// Run makes a backup on every beat of spec, a standard cron expression in
// the server's local time zone (or "CRON_TZ=Area/City ..."), until ctx
// ends; a backup being written is finished first. The unencrypted copy an
// encrypted backup interrupted by a crash left beside the database is
// removed at once.
func (b *Backups) Run(ctx context.Context, spec string) error {
	if err := b.removePlainCopy(); err != nil {
		b.Log.Error("remove the unencrypted copy an interrupted backup left", "err", err)
	}
	c := cron.New()
	id, err := c.AddFunc(spec, func() { _, _ = b.Once() })
	if err != nil {
		return fmt.Errorf("backup.schedule %q: %w", spec, err)
	}
	c.Start()
	b.Log.Info("backups scheduled", "dir", b.Dir, "schedule", spec, "keep", b.Keep, "encrypted", len(b.Recipients) > 0, "next", c.Entry(id).Next.Format(time.RFC3339))
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// Once writes and verifies one backup, then removes the oldest beyond
// Keep. It returns the new file's path.
func (b *Backups) Once() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	began := time.Now()
	path, err := b.write()
	if err != nil {
		b.Log.Error("backup failed; the bot runs on", "dir", b.Dir, "err", err)
		b.observe(err)
		return "", err
	}
	b.observe(nil)
	removed, rerr := b.rotate()
	size := int64(-1)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	b.Log.Info("backup written and verified", "path", path, "bytes", size, "removed", removed, "took", time.Since(began).Round(time.Millisecond))
	if rerr != nil {
		b.Log.Error("remove old backups", "dir", b.Dir, "err", rerr)
	}
	return path, nil
}

func (b *Backups) observe(err error) {
	if b.Observe != nil {
		b.Observe(err)
	}
}

func (b *Backups) write() (string, error) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return "", fmt.Errorf("backup.dir: %w", err)
	}
	path := filepath.Join(b.Dir, BackupName(now()))
	if len(b.Recipients) > 0 {
		return b.writeEncrypted(path + ageSuffix)
	}
	if err := b.DB.BackupFile(path); err != nil {
		// BackupFile renames the copy into place before verifying it: a
		// copy that failed verification must not count as a backup.
		return "", errors.Join(err, removeIfThere(path))
	}
	return path, nil
}

// plainCopy is where an encrypted backup is first written and verified:
// beside the database, on the disk that already holds the same data.
func (b *Backups) plainCopy() string { return b.DB.Path() + ".backup" }

// removePlainCopy removes the plain copy and the temporary file
// BackupFile writes it through.
func (b *Backups) removePlainCopy() error {
	return errors.Join(removeIfThere(b.plainCopy()), removeIfThere(b.plainCopy()+".tmp"))
}

// writeEncrypted writes a verified copy of the database beside it,
// encrypts it to b.Recipients into path.tmp, syncs it, renames it to path
// and removes the plain copy.
func (b *Backups) writeEncrypted(path string) (string, error) {
	plain := b.plainCopy()
	defer func() {
		if err := b.removePlainCopy(); err != nil {
			b.Log.Error("remove the unencrypted copy of a backup", "err", err)
		}
	}()
	if err := b.removePlainCopy(); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	if err := b.DB.BackupFile(plain); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := encryptFile(plain, tmp, b.Recipients); err != nil {
		return "", errors.Join(fmt.Errorf("backup %s: encrypt: %w", path, err), removeIfThere(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", errors.Join(fmt.Errorf("backup %s: %w", path, err), removeIfThere(tmp))
	}
	if d, err := os.Open(b.Dir); err == nil {
		_ = d.Sync() // the rename survives a crash
		_ = d.Close()
	}
	return path, nil
}

// encryptFile encrypts src to recipients into dst (0600), synced.
func encryptFile(src, dst string, recipients []age.Recipient) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	w, err := age.Encrypt(out, recipients...)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// removeIfThere removes a file; one that is not there is not an error.
func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// rotate removes the oldest backups beyond Keep, and temporary files a
// crash in the middle of a backup left behind.
func (b *Backups) rotate() (int, error) {
	entries, err := os.ReadDir(b.Dir)
	if err != nil {
		return 0, err
	}
	type backup struct {
		name string
		at   time.Time
	}
	var found []backup
	var errs []error
	removed := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if name, ok := strings.CutSuffix(e.Name(), ".tmp"); ok {
			if _, ours := backupTimeOf(name); ours {
				if err := os.Remove(filepath.Join(b.Dir, e.Name())); err != nil {
					errs = append(errs, err)
				}
			}
			continue
		}
		if at, ok := backupTimeOf(e.Name()); ok {
			found = append(found, backup{e.Name(), at})
		}
	}
	slices.SortFunc(found, func(x, y backup) int { return y.at.Compare(x.at) }) // newest first
	for _, old := range found[min(len(found), max(b.Keep, 1)):] {
		if err := os.Remove(filepath.Join(b.Dir, old.name)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}
