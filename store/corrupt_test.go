package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

// damagedFixture makes a database of three clients with 40 answers each
// (enough for the replies bucket to span several leaf pages), closes it and
// writes garbage over the second leaf page of the replies bucket. It
// returns the path and the page.
func damagedFixture(t *testing.T) (string, uint64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kindling.db")
	db, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx *store.Tx) error {
		for c := int64(1); c <= 3; c++ {
			if err := tx.PutClient(client(c, t0.Add(time.Duration(c)*time.Hour))); err != nil {
				return err
			}
			for i := range 40 {
				r := store.Reply{ChatID: c, Kind: "text", MessageID: 100 + i,
					Answer: fmt.Sprintf("answer %d of client %d, %s", i, c, strings.Repeat("words ", 30))}
				if err := tx.AddReply(&r); err != nil {
					return err
				}
			}
		}
		return tx.PutPromptSnapshot(store.PromptSnapshot{Source: "/prompts", LoadedAt: t0, Files: map[string][]byte{"a.yaml": []byte("id: a\n")}})
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, damageLeaf(t, path, "replies", 1)
}

// damageLeaf overwrites the nth child page of bucket's root branch page
// with garbage and returns its id.
func damageLeaf(t *testing.T, path, bucket string, nth int) uint64 {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	_ = b.View(func(tx *bbolt.Tx) error { root = uint64(tx.Bucket([]byte(bucket)).Root()); return nil })
	ps := b.Info().PageSize
	b.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, ps)
	if _, err := f.ReadAt(page, int64(root)*int64(ps)); err != nil {
		t.Fatal(err)
	}
	// Page header: id u64, flags u16 (1 = branch), count u16; then
	// branch elements of 16 bytes whose last 8 are the child's id.
	if binary.NativeEndian.Uint16(page[8:]) != 1 || int(binary.NativeEndian.Uint16(page[10:])) <= nth {
		t.Fatalf("bucket %s: root page %d is not a branch with more than %d children", bucket, root, nth)
	}
	child := binary.NativeEndian.Uint64(page[16+nth*16+8:])
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5, 0x3C}, ps/2), int64(child)*int64(ps)); err != nil {
		t.Fatal(err)
	}
	return child
}

// TestDamagedPageIsErrCorrupt: reading through a damaged page returns
// ErrCorrupt naming the page, its bucket and its keys, instead of
// panicking; what is on other pages is still read and written, by Update
// and Batch alike.
func TestDamagedPageIsErrCorrupt(t *testing.T) {
	path, page := damagedFixture(t)
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open a file with a damaged replies page: %v", err)
	}
	defer db.Close()

	// Concurrent batches, some through the damaged page, end one by one
	// (first, while bbolt still batches them in its own goroutine).
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Batch(func(tx *store.Tx) error {
				if i%2 == 0 {
					_, err := tx.Replies(1, time.Time{})
					return err
				}
				return tx.Put("test", fmt.Sprint(i), []byte("ok"))
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && !errors.Is(err, store.ErrCorrupt) || i%2 == 1 && err != nil {
			t.Errorf("batch %d: %v", i, err)
		}
	}

	var out bytes.Buffer
	err = db.Export(&out, store.ExportOptions{Format: "json"})
	want := fmt.Sprintf("page %d of replies", page)
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Tx.Export") {
		t.Fatalf("Export = %v, want ErrCorrupt naming %q and Tx.Export", err, want)
	}

	// The clients are on intact pages.
	view(t, db, func(tx *store.Tx) error {
		n := 0
		err := tx.Clients(func(store.Client) error { n++; return nil })
		if n != 3 {
			t.Errorf("read %d clients, want 3", n)
		}
		return err
	})
	// A write that reads the damaged page fails; the DB stays usable.
	for _, run := range []struct {
		name string
		fn   func(func(*store.Tx) error) error
	}{{"Update", db.Update}, {"Batch", db.Batch}} {
		t.Run(run.name, func(t *testing.T) {
			err := run.fn(func(tx *store.Tx) error {
				for c := int64(1); c <= 3; c++ {
					if _, err := tx.Replies(c, time.Time{}); err != nil {
						return err
					}
				}
				return nil
			})
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("%s through the damaged page = %v, want ErrCorrupt", run.name, err)
			}
			if err := run.fn(func(tx *store.Tx) error { return tx.Put("test", "after", []byte("ok")) }); err != nil {
				t.Errorf("%s after the failure: %v", run.name, err)
			}
		})
	}
	if _, err := db.Backup(&out); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Backup = %v, want ErrCorrupt", err)
	}
	if err := db.Check(); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want ErrCorrupt naming %q", err, want)
	}
	found, err := db.Damage()
	if err != nil || len(found) != 1 || found[0].Bucket != "replies" || found[0].Page != page || !strings.Contains(found[0].Keys, "chat ") {
		t.Errorf("Damage = %+v, %v; want page %d of replies with its keys", found, err, page)
	}
}

// TestBugInCallbackStillPanics: a panic that is not bbolt's is the
// caller's bug and is not passed off as a damaged file.
func TestBugInCallbackStillPanics(t *testing.T) {
	db := mustOpen(t)
	defer func() {
		if p := recover(); p == nil {
			t.Error("a nil map write inside View did not panic")
		}
	}()
	_ = db.View(func(tx *store.Tx) error {
		var m map[string]int
		m["x"] = 1
		return nil
	})
}

// TestPromptSnapshot: the last stored prompt set comes back as stored,
// and Forget leaves it alone.
func TestPromptSnapshot(t *testing.T) {
	db := mustOpen(t)
	if _, err := db.PromptSnapshot(); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PromptSnapshot of a new database = %v, want ErrNotFound", err)
	}
	if err := db.PutPromptSnapshot(store.PromptSnapshot{Source: "/p"}); err == nil {
		t.Error("a snapshot without files was stored")
	}
	for _, s := range []store.PromptSnapshot{
		{Source: "/p", LoadedAt: t0, Files: map[string][]byte{"a.yaml": []byte("id: a\n"), "b.yaml": {0xff, 0}}},
		{Source: "/q", LoadedAt: t0.Add(time.Hour), Files: map[string][]byte{"c.yaml": []byte("id: c\n")}},
	} {
		if err := db.PutPromptSnapshot(s); err != nil {
			t.Fatal(err)
		}
		if err := db.Forget(1); err != nil {
			t.Fatal(err)
		}
		got, err := db.PromptSnapshot()
		if err != nil || got.Source != s.Source || !got.LoadedAt.Equal(s.LoadedAt) || len(got.Files) != len(s.Files) {
			t.Fatalf("PromptSnapshot = %+v, %v; want %+v", got, err, s)
		}
		for name, data := range s.Files {
			if !bytes.Equal(got.Files[name], data) {
				t.Errorf("file %s = %q, want %q", name, got.Files[name], data)
			}
		}
	}
}
