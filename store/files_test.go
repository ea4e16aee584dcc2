package store_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kindling/store"
)

// failingReader gives some bytes, then an error: a download cut off.
type failingReader struct{ given bool }

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.given {
		r.given = true
		return copy(p, "half a file"), nil
	}
	return 0, errors.New("connection reset")
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	// A leftover temporary file of another mode is replaced, not trusted.
	if err := os.WriteFile(path+".tmp", []byte("old tmp"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := store.WriteFileAtomic(path, strings.NewReader("first"))
	if err != nil || n != 5 {
		t.Fatalf("WriteFileAtomic = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("file holds %q", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v, want 0600", fi, err)
	}
	if _, err := os.Stat(path + ".tmp"); err == nil {
		t.Error("the temporary file was left")
	}

	// A write that fails halfway leaves the file as it was.
	if _, err := store.WriteFileAtomic(path, &failingReader{}); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("a failing reader: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("after a failed write the file holds %q", b)
	}
	if _, err := os.Stat(path + ".tmp"); err == nil {
		t.Error("the temporary file of a failed write was left")
	}
	if _, err := store.WriteFileAtomic(filepath.Join(dir, "no", "such", "f"), strings.NewReader("x")); err == nil {
		t.Error("a write into a missing folder succeeded")
	}
}

func TestWriteBackup(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(client(7, time.Time{})) })
	r, w := io.Pipe()
	go func() { _, err := db.Backup(w); w.CloseWithError(err) }()
	dst := filepath.Join(t.TempDir(), "made", "copy.db")
	if _, err := store.WriteBackup(dst, r); err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyFile(dst); err != nil {
		t.Errorf("the copy does not verify: %v", err)
	}
	if fi, err := os.Stat(filepath.Dir(dst)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the folder made for it: %v %v, want 0700", fi, err)
	}

	bad := filepath.Join(t.TempDir(), "bad.db")
	_, err := store.WriteBackup(bad, strings.NewReader("not a database"))
	if err == nil || !strings.Contains(err.Error(), "backup "+bad+": verify:") {
		t.Errorf("a copy that is no database: %v", err)
	}
	if !store.SamePath(bad, filepath.Join(filepath.Dir(bad), ".", "bad.db")) || store.SamePath(bad, dst) {
		t.Error("SamePath is wrong")
	}
}

// TestBackupRotation: Once names each backup by its time, keeps the
// newest Keep of them, removes the leftovers of a backup a crash cut
// short, and never touches files not named as its own.
func TestBackupRotation(t *testing.T) {
	db := mustOpen(t)
	dir := filepath.Join(t.TempDir(), "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 3, 30, 0, 0, time.UTC)
	for _, name := range []string{"kindling-before-upgrade.db", "notes.txt", store.BackupName(start.Add(-time.Hour)) + ".tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	clock := start
	var results []error
	bk := &store.Backups{DB: db, Dir: dir, Keep: 3, Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return clock }, Observe: func(err error) { results = append(results, err) }}
	var made []string
	for i := range 5 {
		clock = start.Add(time.Duration(i) * 24 * time.Hour)
		path, err := bk.Once()
		if err != nil {
			t.Fatal(err)
		}
		if err := store.VerifyFile(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		made = append(made, filepath.Base(path))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := append([]string{"kindling-before-upgrade.db", "notes.txt"}, made[2:]...)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("backup folder holds\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if made[0] != "kindling-2026-03-01T033000Z.db" {
		t.Errorf("backup named %s", made[0])
	}
	if len(results) != 5 || slices.ContainsFunc(results, func(err error) bool { return err != nil }) {
		t.Errorf("Observe was told %v, want five successes", results)
	}

	// A folder that cannot be made: an error, told to Observe, nothing written.
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bk.Dir = filepath.Join(file, "backups")
	if _, err := bk.Once(); err == nil || !strings.Contains(err.Error(), "backup.dir") {
		t.Errorf("backup into a folder under a file: %v", err)
	}
	if len(results) != 6 || results[5] == nil {
		t.Errorf("the failure was not told to Observe: %v", results)
	}
}

func TestWriteFileWith(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := os.WriteFile(path, []byte("before"), 0o644); err != nil {
		t.Fatal(err)
	}
	broke := errors.New("the export broke off")
	err := store.WriteFileWith(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, "half an exp"); err != nil {
			return err
		}
		return broke
	})
	if err != broke {
		t.Errorf("WriteFileWith = %v, want write's own error as it is", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "before" {
		t.Errorf("after a failed write the file holds %q, want what it held", b)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary file is left: %v", err)
	}
	if err := store.WriteFileWith(path, func(w io.Writer) error { _, err := io.WriteString(w, "whole"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "whole" {
		t.Errorf("the file holds %q, want whole", b)
	}
}
