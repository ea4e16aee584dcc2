//go:build linux

package store_test

import (
	"errors"
	"kindling/internal/fulldisk"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kindling/store"
)

// TestStorageErrorsAreRecognised: a write the file system refuses wraps
// ErrStorage (whatever its text), is counted, and starts one spell told
// once to OnStorage; small writes that fit in free pages do not end the
// spell, a write that succeeds RecoverAfter after the last refused one
// does. A function's own error is never taken for a storage error.
func TestStorageErrorsAreRecognised(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	var (
		mu     sync.Mutex
		events []error
	)
	const recoverAfter = 300 * time.Millisecond
	db := mustOpenAt(t, path, store.Options{RecoverAfter: recoverAfter, OnStorage: func(err error) {
		mu.Lock()
		events = append(events, err)
		mu.Unlock()
	}})
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(store.Client{ChatID: 42, Name: "Full"}) })
	// Free pages for small writes later: write and delete a record.
	update(t, db, func(tx *store.Tx) error { return tx.Put("scratch", "a", make([]byte, 64<<10)) })
	update(t, db, func(tx *store.Tx) error { return tx.Delete("scratch", "a") })

	mine := errors.New("this record is wrong")
	if err := db.Update(func(*store.Tx) error { return mine }); !errors.Is(err, mine) || errors.Is(err, store.ErrStorage) {
		t.Fatalf("a function's own error came back as %v", err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	lift := fulldisk.Limit(t, fi.Size())
	answer := strings.Repeat("words kept with care ", 20000) // 400 KB: the file must grow
	for i := range 3 {
		r := store.Reply{ChatID: 42, Kind: "journal", Answer: answer}
		err := db.Batch(func(tx *store.Tx) error { return tx.AddReply(&r) })
		if !errors.Is(err, store.ErrStorage) {
			t.Fatalf("write %d on a full file: %v, want ErrStorage", i, err)
		}
		// bbolt keeps only the text of the file system's error: the
		// store knows it for a storage error by where it came from.
		if !strings.Contains(err.Error(), syscall.EFBIG.Error()) {
			t.Errorf("write %d: %v, want the file system's error said", i, err)
		}
	}
	// A small write fits in the free pages, and the spell goes on.
	update(t, db, func(tx *store.Tx) error { return tx.Put("health", "probe", []byte("x")) })
	st := db.StorageStats()
	if st.WriteErrors != 3 || st.Failing == nil || st.Since.IsZero() {
		t.Fatalf("stats on a full file %+v, want 3 errors and failing", st)
	}
	if err := db.Update(func(*store.Tx) error { return mine }); errors.Is(err, store.ErrStorage) {
		t.Fatalf("a function's own error during the spell came back as %v", err)
	}

	lift()
	time.Sleep(recoverAfter)
	r := store.Reply{ChatID: 42, Kind: "journal", Answer: answer}
	update(t, db, func(tx *store.Tx) error { return tx.AddReply(&r) })
	if st := db.StorageStats(); st.Failing != nil || st.WriteErrors != 3 {
		t.Errorf("stats after room was made %+v, want not failing", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || !errors.Is(events[0], store.ErrStorage) || events[1] != nil {
		t.Errorf("OnStorage told %v, want one storage error then nil", events)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx *store.Tx) error {
		rs, err := tx.Replies(42, time.Time{})
		if len(rs) != 1 {
			t.Errorf("%d replies, want the one written after room was made", len(rs))
		}
		return err
	})
}

// TestClosedStoreIsAStorageError: a write to a closed store wraps both
// ErrClosed and ErrStorage.
func TestClosedStoreIsAStorageError(t *testing.T) {
	db := mustOpen(t)
	db.Close()
	err := db.Update(func(*store.Tx) error { return nil })
	if !errors.Is(err, store.ErrClosed) || !errors.Is(err, store.ErrStorage) {
		t.Fatalf("write to a closed store: %v", err)
	}
}
