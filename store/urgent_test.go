package store_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"kindling/store"
)

func outboxChats(t *testing.T, db *store.DB, read func(tx *store.Tx) ([]store.Outgoing, error)) []int64 {
	t.Helper()
	var got []int64
	view(t, db, func(tx *store.Tx) error {
		rows, err := read(tx)
		for _, o := range rows {
			got = append(got, o.ChatID)
		}
		return err
	})
	return got
}

// TestOutboxPutsUrgentFirst: urgent rows come before every other row, a
// broadcast's included, each class oldest first; UrgentOutbox reads only
// them, and Sent and Waiting find them by id.
func TestOutboxPutsUrgentFirst(t *testing.T) {
	db := mustOpen(t)
	var urgentIDs []uint64
	update(t, db, func(tx *store.Tx) error {
		for i, row := range []store.Outgoing{
			{Bulk: true}, {}, {Urgent: true}, {Bulk: true}, {}, {Urgent: true, Bulk: true},
		} {
			row.ChatID, row.Text = int64(10+i), "m"
			if err := tx.Enqueue(&row); err != nil {
				return err
			}
			if row.Urgent {
				urgentIDs = append(urgentIDs, row.ID)
			}
		}
		return nil
	})
	if got, want := outboxChats(t, db, func(tx *store.Tx) ([]store.Outgoing, error) { return tx.Outbox(0) }), []int64{12, 15, 11, 14, 10, 13}; !slices.Equal(got, want) {
		t.Errorf("outbox order %v, want %v", got, want)
	}
	if got, want := outboxChats(t, db, func(tx *store.Tx) ([]store.Outgoing, error) { return tx.UrgentOutbox(0) }), []int64{12, 15}; !slices.Equal(got, want) {
		t.Errorf("urgent outbox %v, want %v", got, want)
	}
	if got, want := outboxChats(t, db, func(tx *store.Tx) ([]store.Outgoing, error) { return tx.Outbox(3) }), []int64{12, 15, 11}; !slices.Equal(got, want) {
		t.Errorf("first 3 rows %v, want %v", got, want)
	}
	view(t, db, func(tx *store.Tx) error {
		if all, bulk := tx.OutboxLen(); all != 6 || bulk != 2 {
			t.Errorf("OutboxLen = %d, %d; want 6, 2 (an urgent row is not counted as bulk)", all, bulk)
		}
		for limit, want := range map[int]int{1: 1, 2: 2, 3: 2, 100: 2, 0: 2} {
			if got := tx.BulkWaiting(limit); got != want {
				t.Errorf("BulkWaiting(%d) = %d, want %d (urgent and conversation rows are not counted; 0: all)", limit, got, want)
			}
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error {
		if !tx.Waiting(urgentIDs[0]) {
			t.Error("an urgent row is not waiting")
		}
		if err := tx.Sent(urgentIDs[0], 1); err != nil {
			return err
		}
		if tx.Waiting(urgentIDs[0]) {
			t.Error("an urgent row is still waiting after Sent")
		}
		return nil
	})
}

// TestMigrateV3Outbox: a schema 3 file kept conversation rows under their
// bare sequence number, the keys urgent rows now use. Opening it moves
// them behind the urgent class, keeps bulk rows as they were and the
// order within each class, and new rows continue the sequence.
func TestMigrateV3Outbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	const bulk = 1 << 62
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "clients", "sessions", "due", "deliveries", "replies", "reply_msgs", "outbox", "invites", "kv", "updates"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte("meta"))
		for k, v := range map[string]string{"schema": "3", "offset": "7", "update_floor": "7"} {
			if err := meta.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		out := tx.Bucket([]byte("outbox"))
		for _, o := range []store.Outgoing{
			{ID: 1, ChatID: 21, Text: "first"},
			{ID: 2 | bulk, ChatID: 22, Text: "morning", Bulk: true},
			{ID: 3, ChatID: 23, Text: "third", QuestionID: "mood", LocalDate: "2026-03-01", Day: 1},
		} {
			if err := out.Put(be(o.ID), mustJSON(t, o)); err != nil {
				return err
			}
		}
		return out.SetSequence(3)
	})
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	var urgent store.Outgoing
	update(t, db, func(tx *store.Tx) error {
		urgent = store.Outgoing{ChatID: 24, Text: "crisis", Urgent: true}
		return tx.Enqueue(&urgent)
	})
	if urgent.ID != 4 {
		t.Errorf("new urgent row has id %d, want 4 (the sequence kept)", urgent.ID)
	}
	var rows []store.Outgoing
	view(t, db, func(tx *store.Tx) error {
		var err error
		rows, err = tx.Outbox(0)
		return err
	})
	var got []int64
	for _, o := range rows {
		got = append(got, o.ChatID)
	}
	if want := []int64{24, 21, 23, 22}; !slices.Equal(got, want) {
		t.Fatalf("outbox after migration %v, want %v", got, want)
	}
	if rows[2].Text != "third" || rows[2].QuestionID != "mood" || rows[3].ID != 2|bulk {
		t.Errorf("rows changed by the migration: %+v", rows)
	}
	update(t, db, func(tx *store.Tx) error {
		for _, o := range rows {
			if !tx.Waiting(o.ID) {
				t.Errorf("row %d (chat %d) is not found by its id", o.ID, o.ChatID)
			}
			if err := tx.Sent(o.ID, 1); err != nil {
				return err
			}
		}
		if all, _ := tx.OutboxLen(); all != 0 {
			t.Errorf("%d rows left after sending every one", all)
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v := rawSchema(t, path); v != itoa(store.SchemaVersion) {
		t.Errorf("schema after migration %s, want %d", v, store.SchemaVersion)
	}
}

// TestDropChatOutbox removes one chat's rows, of every class, and no other.
func TestDropChatOutbox(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for i, row := range []store.Outgoing{
			{ChatID: 5, Urgent: true}, {ChatID: 6}, {ChatID: 5}, {ChatID: 5, Bulk: true}, {ChatID: 7, Bulk: true},
		} {
			row.Text = fmt.Sprint("m", i)
			if err := tx.Enqueue(&row); err != nil {
				return err
			}
		}
		return tx.DropChatOutbox(5)
	})
	if got := outboxChats(t, db, func(tx *store.Tx) ([]store.Outgoing, error) { return tx.Outbox(0) }); !slices.Equal(got, []int64{6, 7}) {
		t.Errorf("outbox after dropping chat 5: %v, want [6 7]", got)
	}
}
