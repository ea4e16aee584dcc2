package store_test

import (
	"testing"

	"kindling/store"
)

// TestOutboxPutsBulkLast: rows that are not part of a broadcast come
// first, each group oldest first, and Sent finds a bulk row by its id.
func TestOutboxPutsBulkLast(t *testing.T) {
	db := mustOpen(t)
	var ids []uint64
	err := db.Update(func(tx *store.Tx) error {
		for i, bulk := range []bool{true, false, true, false} {
			o := &store.Outgoing{ChatID: int64(10 + i), Text: "m", Bulk: bulk}
			if err := tx.Enqueue(o); err != nil {
				return err
			}
			ids = append(ids, o.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	err = db.View(func(tx *store.Tx) error {
		rows, err := tx.Outbox(0)
		for _, o := range rows {
			got = append(got, o.ChatID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{11, 13, 10, 12}
	if len(got) != len(want) {
		t.Fatalf("outbox order %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("outbox order %v, want %v", got, want)
		}
	}
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.Sent(ids[0], 7); err != nil {
			return err
		}
		if tx.Waiting(ids[0]) {
			t.Error("a bulk row is still waiting after Sent")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
