package store_test

import (
	"bytes"
	"context"
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
	path := fixtureFile(t)
	page, _ := damageLeaf(t, path, "replies", 1)
	return path, page
}

// fixtureFile is the database of damagedFixture, not damaged.
func fixtureFile(t *testing.T) string {
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
	return path
}

// damageLeaf overwrites the nth child page of bucket's root branch page
// with garbage and returns its id and the keys it held.
func damageLeaf(t *testing.T, path, bucket string, nth int) (uint64, [][]byte) {
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
	if _, err := f.ReadAt(page, int64(child)*int64(ps)); err != nil {
		t.Fatal(err)
	}
	// A leaf (flags 2): elements of flags, pos, key size, value size (u32
	// each); pos counts from the element.
	if binary.NativeEndian.Uint16(page[8:]) != 2 {
		t.Fatalf("page %d is not a leaf", child)
	}
	var keys [][]byte
	for i := range int(binary.NativeEndian.Uint16(page[10:])) {
		e := 16 + i*16
		pos, size := int(binary.NativeEndian.Uint32(page[e+4:])), int(binary.NativeEndian.Uint32(page[e+8:]))
		keys = append(keys, bytes.Clone(page[e+pos:e+pos+size]))
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5, 0x3C}, ps/2), int64(child)*int64(ps)); err != nil {
		t.Fatal(err)
	}
	return child, keys
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
				if err := tx.Put("test", "before", []byte("rolled back")); err != nil {
					return err
				}
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
			view(t, db, func(tx *store.Tx) error {
				if v, ok := tx.Get("test", "before"); ok {
					t.Errorf("%s: a write before the damaged page was committed: %q", run.name, v)
				}
				return nil
			})
		})
	}
	if _, err := db.Backup(&out); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Backup = %v, want ErrCorrupt", err)
	}
	if err := db.Check(); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want ErrCorrupt naming %q", err, want)
	}
	found, err := db.Damage(context.Background())
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

// TestSalvage copies a file with a damaged replies page: every record on
// the other pages is in the copy, which opens and checks; exactly the
// replies of the damaged page are missing, and the report names them.
func TestSalvage(t *testing.T) {
	path := fixtureFile(t)
	_, lost1 := damageLeaf(t, path, "replies", 1)
	page, lost3 := damageLeaf(t, path, "replies", 3)
	lostKeys := append(lost1, lost3...)
	dst := filepath.Join(t.TempDir(), "saved.db")
	rep, err := store.Salvage(path, dst)
	if err != nil {
		t.Fatalf("Salvage: %v", err)
	}
	if len(rep.Lost) != 2 || rep.Lost[1].Page != page || rep.Lost[1].Bucket != "replies" {
		t.Errorf("Lost = %+v, want two replies pages, the second %d", rep.Lost, page)
	}
	if rep.Copied["clients"] != 3 {
		t.Errorf("copied %d clients, want 3", rep.Copied["clients"])
	}
	summary := strings.Join(rep.Summary(), "\n")
	if !strings.Contains(summary, "replies: 2 pages could not be read") || !strings.Contains(summary, fmt.Sprintf("page %d: records from chat ", page)) {
		t.Errorf("summary:\n%s", summary)
	}

	db := mustOpenAt(t, dst, store.Options{})
	if err := db.Check(); err != nil {
		t.Fatalf("the copy does not check: %v", err)
	}
	got := map[string]bool{}
	view(t, db, func(tx *store.Tx) error {
		for c := int64(1); c <= 3; c++ {
			rs, err := tx.Replies(c, time.Time{})
			if err != nil {
				return err
			}
			for _, r := range rs {
				got[fmt.Sprintf("%d/%d", r.ChatID, r.ID)] = true
				if want := fmt.Sprintf("answer %d of client %d", r.MessageID-100, c); !strings.HasPrefix(r.Answer, want) {
					t.Errorf("reply %d/%d reads %q, want %q...", c, r.ID, r.Answer, want)
				}
				if by, err := tx.ReplyByMessage(c, r.MessageID); err != nil || by.ID != r.ID {
					t.Errorf("reply %d/%d not found by its message: %v", c, r.ID, err)
				}
			}
		}
		if s, err := tx.PromptSnapshot(); err != nil || s.Source != "/prompts" {
			t.Errorf("prompt snapshot in the copy: %+v, %v", s, err)
		}
		return nil
	})
	lost := map[string]bool{}
	for _, k := range lostKeys {
		lost[fmt.Sprintf("%d/%d", binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:]))] = true
	}
	if rep.Copied["replies"] != len(got) {
		t.Errorf("report says %d replies copied, the copy has %d", rep.Copied["replies"], len(got))
	}
	for id := 1; id <= 120; id++ {
		key := fmt.Sprintf("%d/%d", (id-1)/40+1, id)
		if got[key] == lost[key] {
			t.Errorf("reply %s: in the copy %t, on a damaged page %t", key, got[key], lost[key])
		}
	}
	// A new reply gets an id above every kept one.
	update(t, db, func(tx *store.Tx) error {
		r := store.Reply{ChatID: 3, Kind: "text", Answer: "new"}
		if err := tx.AddReply(&r); err != nil {
			return err
		}
		if r.ID <= 120 {
			t.Errorf("new reply id %d collides with kept ones", r.ID)
		}
		return nil
	})

	if _, err := store.Salvage(path, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Salvage onto an existing file = %v", err)
	}
}

// TestSalvageDamagedBranch: with the root page of the replies bucket
// damaged, every reply is lost, the rest is copied, and the report says
// the whole bucket was on that page.
func TestSalvageDamagedBranch(t *testing.T) {
	path := fixtureFile(t)
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	_ = b.View(func(tx *bbolt.Tx) error { root = uint64(tx.Bucket([]byte("replies")).Root()); return nil })
	ps := b.Info().PageSize
	b.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, ps), int64(root)*int64(ps)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	dst := filepath.Join(t.TempDir(), "saved.db")
	rep, err := store.Salvage(path, dst)
	if err != nil {
		t.Fatalf("Salvage: %v", err)
	}
	if len(rep.Lost) != 1 || rep.Lost[0].Page != root || rep.Lost[0].Keys != "all its records" {
		t.Errorf("Lost = %+v, want the replies root page %d with all its records", rep.Lost, root)
	}
	if rep.Copied["replies"] != 0 || rep.Copied["clients"] != 3 {
		t.Errorf("Copied = %v", rep.Copied)
	}
	db := mustOpenAt(t, dst, store.Options{})
	view(t, db, func(tx *store.Tx) error {
		n := 0
		err := tx.Clients(func(store.Client) error { n++; return nil })
		if n != 3 {
			t.Errorf("%d clients in the copy", n)
		}
		return err
	})

	// Nothing readable at all: no copy.
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("x"), 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "none.db")
	if _, err := store.Salvage(junk, out); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Salvage of junk = %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("Salvage of junk wrote a file")
	}
}

// TestSalvageWholeFile: an intact file is copied whole: nothing lost, every
// record there, the id sequences kept.
func TestSalvageWholeFile(t *testing.T) {
	path := fixtureFile(t)
	dst := filepath.Join(t.TempDir(), "saved.db")
	rep, err := store.Salvage(path, dst)
	if err != nil || len(rep.Lost) != 0 || len(rep.Dropped) != 0 || len(rep.Summary()) != 0 {
		t.Fatalf("Salvage of an intact file: %+v, %v", rep, err)
	}
	if rep.Copied["replies"] != 120 || rep.Copied["reply_msgs"] != 120 || rep.Copied["due"] != 3 || rep.Copied["clients"] != 3 {
		t.Errorf("Copied = %v", rep.Copied)
	}
	db := mustOpenAt(t, dst, store.Options{})
	update(t, db, func(tx *store.Tx) error {
		r := store.Reply{ChatID: 1, Kind: "text", Answer: "next"}
		if err := tx.AddReply(&r); err != nil {
			return err
		}
		if r.ID != 121 {
			t.Errorf("the next reply id is %d, want 121", r.ID)
		}
		due, err := tx.Due(t0.Add(24*time.Hour), 0)
		if len(due) != 3 {
			t.Errorf("due = %v, want the three clients", due)
		}
		return err
	})
}

// FuzzDamagedFile reads arbitrary bytes, and a real database with bytes
// changed, as a database file: Salvage, Damage and Check give an error or
// a result, never a panic; a copy Salvage writes always checks.
func FuzzDamagedFile(f *testing.F) {
	f.Add([]byte("not a database"), 0, []byte{})
	f.Add([]byte{}, 4096*3+20, []byte{0xff, 0xff})
	f.Add([]byte{}, 4096*4+16, []byte{0x10, 0, 0, 0, 0x7f})
	f.Add([]byte{}, 4096*5+8, []byte{1})
	f.Fuzz(func(t *testing.T, data []byte, at int, patch []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "kindling.db")
		if len(data) == 0 {
			// The fixture's file, patched at at.
			src, err := os.ReadFile(fuzzFixture(t))
			if err != nil {
				t.Fatal(err)
			}
			if at < 0 || at >= len(src) {
				return
			}
			copy(src[at:], patch)
			data = src
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Salvage(path, filepath.Join(dir, "saved.db")); err == nil {
			saved, err := store.Open(filepath.Join(dir, "saved.db"), store.Options{ReadOnly: true})
			if err != nil {
				t.Fatalf("the salvaged copy does not open: %v", err)
			}
			if err := saved.Check(); err != nil {
				t.Fatalf("the salvaged copy does not check: %v", err)
			}
			saved.Close()
		}
		db, err := store.Open(path, store.Options{ReadOnly: true})
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Damage(context.Background())
		_ = db.Check()
	})
}

var fuzzFixturePath string

// fuzzFixture is a small database made once per process.
func fuzzFixture(t *testing.T) string {
	if fuzzFixturePath != "" {
		return fuzzFixturePath
	}
	dir, err := os.MkdirTemp("", "kindling-fuzz-")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kindling.db")
	db, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		for c := int64(1); c <= 2; c++ {
			if err := tx.PutClient(client(c, t0)); err != nil {
				return err
			}
			for i := range 30 {
				if err := tx.AddReply(&store.Reply{ChatID: c, Kind: "text", MessageID: i + 1, Answer: strings.Repeat("a few words ", 20)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	fuzzFixturePath = path
	return path
}

// TestSalvageRefusesRunning: a file a running kindling holds is not read.
func TestSalvageRefusesRunning(t *testing.T) {
	path := fixtureFile(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dst := filepath.Join(t.TempDir(), "saved.db")
	if _, err := store.Salvage(path, dst); !errors.Is(err, store.ErrLocked) {
		t.Errorf("Salvage of a held file = %v, want ErrLocked", err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("a refused salvage wrote a file")
	}
}

// TestSalvageKeepsAlertTimers: an open safety alert survives salvage with
// its timer, so its escalation still comes.
func TestSalvageKeepsAlertTimers(t *testing.T) {
	path := fixtureFile(t)
	db := mustOpenAt(t, path, store.Options{})
	due := t0.Add(15 * time.Minute)
	update(t, db, func(tx *store.Tx) error {
		return tx.AddAlert(&store.Alert{ChatID: 1, At: t0, Tier: "alert", Due: due})
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "saved.db")
	rep, err := store.Salvage(path, dst)
	if err != nil || len(rep.Lost) != 0 {
		t.Fatalf("Salvage: %+v, %v", rep, err)
	}
	saved := mustOpenAt(t, dst, store.Options{})
	update(t, saved, func(tx *store.Tx) error {
		got, err := tx.AlertsDue(due, 0)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ChatID != 1 || !got[0].Due.Equal(due) {
			t.Errorf("alerts due after salvage: %+v, want the one alert of chat 1", got)
		}
		return nil
	})
}

func TestSalvageReportPrint(t *testing.T) {
	var out strings.Builder
	store.SalvageReport{Copied: map[string]int{"replies": 3, "clients": 1}}.Print(&out, "old.db", "new.db")
	for _, want := range []string{"salvaged old.db into new.db: 4 records copied", "  clients      1\n  replies      3\n",
		"Every page could be read: nothing was lost.", "Keep old.db as it is. To run on the copy, stop kindling and put new.db at store.path."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	store.SalvageReport{Copied: map[string]int{}, Dropped: []string{"replies 00af: not JSON"}, Repairs: []string{"rebuilt the indexes"}}.Print(&out, "a", "b")
	for _, want := range []string{"Not copied:\n1 record was read but could not be decoded:\n  replies 00af: not JSON", "Repaired in the copy:\n  rebuilt the indexes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}
