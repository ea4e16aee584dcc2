package bot_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestOneBrokenRecordDoesNotSilenceEveryone: a client whose record on
// disk is damaged makes every update of theirs fail. After a few tries
// that update is given up (logged and counted), and everyone else is
// answered; a store that takes no writes at all would keep it waiting.
func TestOneBrokenRecordDoesNotSilenceEveryone(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	broken, fine := h.user(3001, "Bo"), h.user(3002, "Fi")
	h.onboard(broken, "America/New_York", "09:00", "2026-03-01")
	h.onboard(fine, "America/New_York", "09:00", "2026-03-01")

	// Damage Bo's client record where bbolt keeps it.
	h.stop()
	raw, err := bolt.Open(h.dbPath, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 8)
	binary.BigEndian.PutUint64(key, uint64(broken.ID()))
	var good []byte
	if err := raw.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("clients"))
		good = append([]byte(nil), b.Get(key)...)
		return b.Put(key, []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	h.start()
	// Mend the record at the end, so the harness's closing consistency
	// check is about everything else.
	defer func() {
		// Stop as h.stop does, without its consistency check.
		h.running = false
		h.halt()
		if err := h.db.Close(); err != nil {
			t.Fatal(err)
		}
		raw, err := bolt.Open(h.dbPath, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if err := raw.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("clients")).Put(key, good) }); err != nil {
			t.Fatal(err)
		}
	}()

	before := len(h.srv.Messages(fine.ID()))
	broken.Send("this one cannot be handled")
	fine.Send("/help")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.srv.WaitMessages(ctx, fine.ID(), before+1); err != nil {
		t.Fatalf("another client is not answered while one update keeps failing: %v", err)
	}
	if got := h.bot.Stats().UpdatesSkipped; got != 1 {
		t.Errorf("UpdatesSkipped = %d, want 1", got)
	}
	if got := h.bot.Stats().UpdatesFailed; got < 5 {
		t.Errorf("UpdatesFailed = %d, want the 5 tries before giving up", got)
	}
	h.settle()
}

// TestFailingStoreKeepsUpdates: when the store takes no writes at all,
// no update is given up, however often it fails: it waits for the disk.
func TestFailingStoreKeepsUpdates(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	u := h.user(3101, "Wa")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	if err := h.db.Close(); err != nil { // every write now fails
		t.Fatal(err)
	}
	u.Send("kept for when the disk is back")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Wait(ctx, func() bool { return h.bot.Stats().UpdatesFailed >= 3*5 }); err != nil {
		t.Fatal(err)
	}
	if got := h.bot.Stats().UpdatesSkipped; got != 0 {
		t.Errorf("UpdatesSkipped = %d with a store that takes no writes, want 0", got)
	}
	if h.srv.Pending() != 1 {
		t.Errorf("pending updates = %d, want the unstored one kept", h.srv.Pending())
	}
	h.running = false
	h.halt()
}
