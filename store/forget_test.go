package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

const victim = int64(918273645)

// fill writes one of every kind of record for chat.
func fill(t *testing.T, db *store.DB, chat int64, answer string) {
	t.Helper()
	update(t, db, func(tx *store.Tx) error {
		c := client(chat, t0.Add(time.Duration(chat)))
		c.FlowData = map[string]string{"draft": answer}
		c.Coach = 5 // in the coach index too
		if err := tx.PutClient(c); err != nil {
			return err
		}
		if err := tx.AddSession(store.Session{ChatID: chat, Date: "2026-02-27", Note: answer}); err != nil {
			return err
		}
		if err := tx.PutDelivery(store.Delivery{ChatID: chat, LocalDate: "2026-03-01", Day: 2, Questions: []string{"mood"},
			Messages: map[string]int{"mood": 900}}); err != nil {
			return err
		}
		for i := range 20 {
			r := store.Reply{ChatID: chat, QuestionID: "mood", Answer: answer, MessageID: 1000 + i,
				LocalDate: "2026-03-01", Day: 2, At: t0.Add(time.Duration(i) * time.Minute),
				Edits: []store.Edit{{At: t0, Answer: "before: " + answer}}}
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		if err := tx.Enqueue(&store.Outgoing{ChatID: chat, Text: "You said: " + answer, LocalDate: "2026-03-01", Day: 2, QuestionID: "mood"}); err != nil {
			return err
		}
		code := "code-" + strconv.FormatInt(chat, 10)
		if err := tx.PutInvite(store.Invite{Code: code, Coach: 5, Note: answer, UsedBy: chat, UsedAt: t0}); err != nil {
			return err
		}
		if err := tx.AddAlert(&store.Alert{ChatID: chat, At: t0, Tier: store.TierAlert, Words: answer, Told: []store.Told{{Chat: 5}}, Due: t0.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.Enqueue(&store.Outgoing{ChatID: 5, Text: "About: " + answer, About: chat, AlertAt: t0}); err != nil {
			return err
		}
		id := strconv.FormatInt(chat, 10)
		if err := tx.Put("flow", id, []byte(answer)); err != nil {
			return err
		}
		return tx.Put("digest", id+":2026-03-01", []byte(answer))
	})
}

// rawEach calls fn for every key and value of every bucket of the file.
func rawEach(t *testing.T, path string, fn func(bucket string, k, v []byte)) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			return bk.ForEach(func(k, v []byte) error { fn(string(name), k, v); return nil })
		})
	})
}

func TestForget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	fill(t, db, victim, "my secret")
	fill(t, db, 42, "other's answer")
	update(t, db, func(tx *store.Tx) error {
		return tx.PutInvite(store.Invite{Code: "unused", Coach: 5, CreatedAt: t0})
	})
	if err := db.Forget(victim); err != nil {
		t.Fatal(err)
	}
	if err := db.Forget(victim); err != nil {
		t.Errorf("second Forget = %v", err)
	}
	view(t, db, func(tx *store.Tx) error {
		if _, err := tx.Client(victim); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("client after Forget: %v", err)
		}
		if rs, _ := tx.Replies(42, time.Time{}); len(rs) != 20 {
			t.Errorf("other client has %d replies after Forget, want 20", len(rs))
		}
		if _, err := tx.Invite("unused"); err != nil {
			t.Errorf("unused invite gone: %v", err)
		}
		if as, _ := tx.Alerts(victim); len(as) != 0 {
			t.Errorf("alerts after Forget: %+v", as)
		}
		if as, _ := tx.Alerts(42); len(as) != 1 {
			t.Errorf("the other client has %d alerts after Forget, want 1", len(as))
		}
		if due, _ := tx.AlertsDue(t0.Add(2*time.Hour), 0); len(due) != 1 || due[0].ChatID != 42 {
			t.Errorf("alert timers after Forget = %+v, want only 42's", due)
		}
		return nil
	})
	if got, _ := db.Due(t0.Add(time.Hour), 0); len(got) != 1 || got[0] != 42 {
		t.Errorf("Due after Forget = %v, want [42]", got)
	}
	db.Close()

	key := be(uint64(victim))
	id := []byte(strconv.FormatInt(victim, 10))
	others := 0
	rawEach(t, path, func(bucket string, k, v []byte) {
		if bytes.Contains(k, key) || bytes.Contains(k, id) || bytes.Contains(v, id) || bytes.Contains(v, []byte("my secret")) {
			t.Errorf("bucket %s still holds %x = %q", bucket, k, v)
		}
		if bytes.Contains(k, be(42)) || bytes.Contains(v, []byte("other's answer")) {
			others++
		}
	})
	if others == 0 {
		t.Error("the other client's records are gone too")
	}
}

// TestForgetCompact proves that after Forget and compaction the answer's
// bytes are nowhere in the file, not even in freed pages.
func TestForgetCompact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")
	const secret = "kindling-forget-me-7c1e9a: I have told no one this"
	db := mustOpenAt(t, path, store.Options{})
	fill(t, db, victim, secret)
	fill(t, db, 42, "other's answer")
	db.Close()
	inFile := func(p string) bool {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(data, []byte(secret))
	}
	if !inFile(path) {
		t.Fatal("the answer is not in the file before Forget: test is broken")
	}

	db = mustOpenAt(t, path, store.Options{})
	if err := db.Forget(victim); err != nil {
		t.Fatal(err)
	}
	db.Close()
	t.Logf("after Forget, before compaction, bytes still in the file: %v", inFile(path))

	// Offline: Compact into a new file.
	dst := filepath.Join(dir, "compacted.db")
	if err := store.Compact(path, dst); err != nil {
		t.Fatal(err)
	}
	if inFile(dst) {
		t.Error("Compact: the forgotten answer is still in the new file")
	}
	if err := store.Compact(path, dst); err == nil {
		t.Error("Compact onto an existing file: no error")
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("compacted file mode %o", fi.Mode().Perm())
	}
	cdb := mustOpenAt(t, dst, store.Options{ReadOnly: true})
	view(t, cdb, func(tx *store.Tx) error {
		if rs, _ := tx.Replies(42, time.Time{}); len(rs) != 20 {
			t.Errorf("compacted file has %d replies of the other client, want 20", len(rs))
		}
		return nil
	})

	// Running bot: compact in place, keep using the DB.
	db = mustOpenAt(t, path, store.Options{})
	if err := db.CompactInPlace(); err != nil {
		t.Fatal(err)
	}
	if inFile(path) {
		t.Error("CompactInPlace: the forgotten answer is still in the file")
	}
	update(t, db, func(tx *store.Tx) error { return tx.AddReply(&store.Reply{ChatID: 42, Answer: "after"}) })
	view(t, db, func(tx *store.Tx) error {
		if rs, _ := tx.Replies(42, time.Time{}); len(rs) != 21 {
			t.Errorf("after CompactInPlace: %d replies, want 21", len(rs))
		}
		return nil
	})
	checkLocked(t, path) // the lock is held again
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode after CompactInPlace %o", fi.Mode().Perm())
	}
}

func TestCompactRefusesRunning(t *testing.T) {
	db := mustOpen(t)
	err := store.Compact(db.Path(), filepath.Join(t.TempDir(), "x.db"))
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("Compact of an open file = %v, want ErrLocked", err)
	}
}

// TestBackupWhileWriting backs up while writers run: the copy opens,
// passes Check, and holds every reply written before the backup started.
func TestBackupWhileWriting(t *testing.T) {
	db := mustOpen(t)
	var (
		mu    sync.Mutex
		ids   []uint64
		stop  atomic.Bool
		wg    sync.WaitGroup
		wrote atomic.Int64
	)
	for w := range 8 {
		wg.Go(func() {
			for !stop.Load() {
				var r store.Reply
				err := db.Batch(func(tx *store.Tx) error {
					r = store.Reply{ChatID: int64(w + 1), Answer: "during backup"}
					return tx.AddReply(&r)
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, r.ID)
				mu.Unlock()
				wrote.Add(1)
			}
		})
	}
	for wrote.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := append([]uint64(nil), ids...)
	mu.Unlock()
	dst := filepath.Join(t.TempDir(), "backup", "kindling.db")
	err := db.BackupFile(dst)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %o", fi.Mode().Perm())
	}
	if _, err := os.Stat(dst + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left: %v", err)
	}
	bdb := mustOpenAt(t, dst, store.Options{ReadOnly: true})
	found := map[uint64]bool{}
	view(t, bdb, func(tx *store.Tx) error {
		for chat := int64(1); chat <= 8; chat++ {
			rs, err := tx.Replies(chat, time.Time{})
			if err != nil {
				return err
			}
			for _, r := range rs {
				found[r.ID] = true
			}
		}
		return nil
	})
	for _, id := range before {
		if !found[id] {
			t.Errorf("reply %d written before the backup is missing from it", id)
		}
	}
	t.Logf("%d replies before backup, %d in it, %d written in all", len(before), len(found), wrote.Load())

	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Errorf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	if err := db.BackupFile(db.Path()); err == nil {
		t.Error("BackupFile onto the database itself: no error")
	}
}

// TestCompactInPlaceWhileWriting compacts while writers run: no write is
// lost and every writer carries on.
func TestCompactInPlaceWhileWriting(t *testing.T) {
	db := mustOpen(t)
	var (
		mu   sync.Mutex
		ids  []uint64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for !stop.Load() {
				var r store.Reply
				if err := db.Batch(func(tx *store.Tx) error {
					r = store.Reply{ChatID: int64(w + 1), Answer: "during compaction"}
					return tx.AddReply(&r)
				}); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, r.ID)
				mu.Unlock()
			}
		})
	}
	for range 3 {
		time.Sleep(20 * time.Millisecond)
		if err := db.CompactInPlace(); err != nil {
			t.Error(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	view(t, db, func(tx *store.Tx) error {
		for _, id := range ids {
			found := false
			for chat := int64(1); chat <= 8 && !found; chat++ {
				_, err := tx.Reply(chat, id)
				found = err == nil
			}
			if !found {
				t.Errorf("reply %d lost by compaction", id)
			}
		}
		return nil
	})
}
