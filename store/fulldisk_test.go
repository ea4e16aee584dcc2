//go:build linux

package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kindling/store"
)

// TestFullDisk fills a small tmpfs with replies. The write that fails
// says so clearly and stores nothing; every write that returned is kept,
// and the file opens and passes the consistency check afterwards.
// It needs root to mount the tmpfs and is skipped otherwise.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	path := filepath.Join(mnt, "kindling.db")

	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutClient(store.Client{ChatID: 42, Name: "Full", Status: store.StatusActive})
	}); err != nil {
		t.Fatal(err)
	}
	answer := strings.Repeat("words kept with care ", 200) // about 4 KB
	var stored []uint64
	var failure error
	for i := range 2000 {
		r := store.Reply{ChatID: 42, Kind: "journal", Answer: fmt.Sprintf("%d %s", i, answer), MessageID: i + 1}
		err := db.Update(func(tx *store.Tx) error { return tx.AddReply(&r) })
		if err != nil {
			failure = err
			break
		}
		stored = append(stored, r.ID)
	}
	if failure == nil {
		t.Fatal("2,000 writes of 4 KB fitted in a 1 MB file system: the test proves nothing")
	}
	if !errors.Is(failure, syscall.ENOSPC) && !strings.Contains(failure.Error(), "no space") {
		t.Errorf("the failed write says %q; want it to say the disk is full", failure)
	}
	t.Logf("%d replies stored before: %v", len(stored), failure)
	_ = db.Close()

	// Room again, as after an operator cleaned up: everything that was
	// stored is there, and nothing of the failed write.
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT, "size=8m"); err != nil {
		t.Fatalf("remount larger: %v", err)
	}
	db, err = store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open after the disk was full: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("consistency check after the disk was full: %v", err)
	}
	err = db.View(func(tx *store.Tx) error {
		rs, err := tx.Replies(42, time.Time{})
		if err != nil {
			return err
		}
		if len(rs) != len(stored) {
			t.Errorf("%d replies after reopening, want the %d whose writes returned", len(rs), len(stored))
		}
		for i, r := range rs {
			if i < len(stored) && r.ID != stored[i] {
				t.Errorf("reply %d has id %d, want %d", i, r.ID, stored[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
