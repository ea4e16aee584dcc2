package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes all of r to path so that path holds either what
// it held before or all of r, even across a crash: into path.tmp (0600),
// synced, renamed over path, then the folder synced so that the rename
// survives. A failed write removes path.tmp. It returns the bytes copied.
func WriteFileAtomic(path string, r io.Reader) (int64, error) {
	return writeAtomic(path, func(w io.Writer) (int64, error) { return io.Copy(w, r) })
}

// WriteFileWith is WriteFileAtomic of what write writes; an error of
// write leaves path as it was and is returned as it is.
func WriteFileWith(path string, write func(io.Writer) error) error {
	_, err := writeAtomic(path, func(w io.Writer) (int64, error) { return 0, write(w) })
	return err
}

// WriteBackup writes a copy of a database streamed by r to path the way
// BackupFile does (the folder made 0700 if need be, then WriteFileAtomic),
// then verifies it by opening it read-only and running Check. A copy that
// fails verification is left at path for the caller to look at or remove.
func WriteBackup(path string, r io.Reader) (int64, error) {
	return writeBackup(path, func(w io.Writer) (int64, error) { return io.Copy(w, r) })
}

func writeBackup(path string, write func(io.Writer) (int64, error)) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("backup %s: %w", path, err)
	}
	n, err := writeAtomic(path, write)
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", path, err)
	}
	if err := VerifyFile(path); err != nil {
		return n, fmt.Errorf("backup %s: verify: %w", path, err)
	}
	return n, nil
}

// VerifyFile opens the database file at path read-only and checks it whole.
func VerifyFile(path string) error {
	db, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check()
}

// writeAtomic is WriteFileAtomic with what to write as a function.
func writeAtomic(path string, write func(io.Writer) (int64, error)) (int64, error) {
	tmp := path + ".tmp"
	n, err := writeSynced(tmp, write)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return n, err
	}
	return n, syncDir(filepath.Dir(path))
}

// writeSynced writes a file of its own (0600, even if one was there with
// another mode) and syncs it.
func writeSynced(name string, write func(io.Writer) (int64, error)) (int64, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return 0, err
	}
	n, err := write(f)
	if err != nil {
		return n, err
	}
	if err := f.Sync(); err != nil {
		return n, err
	}
	return n, f.Close()
}
