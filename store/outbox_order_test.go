package store_test

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

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

// TestOutboxEachByClass: OutboxEach walks the urgent rows alone, or the
// others in Outbox's order, and a row that is not asked to decode costs
// nothing: a damaged value is reported only by Decode.
func TestOutboxEachByClass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	var ids []uint64
	err := db.Update(func(tx *store.Tx) error {
		for i, o := range []store.Outgoing{{Bulk: true}, {}, {Urgent: true}, {}, {Urgent: true, Bulk: true}} {
			o.ChatID, o.Text = int64(10+i), "m"
			if err := tx.Enqueue(&o); err != nil {
				return err
			}
			ids = append(ids, o.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	walk := func(urgent bool, stopAfter int) (got []int64, seen []uint64) {
		t.Helper()
		err := db.View(func(tx *store.Tx) error {
			return tx.OutboxEach(urgent, func(r store.OutboxRow) (bool, error) {
				o, err := r.Decode()
				if err != nil {
					return false, err
				}
				if o.ID != r.ID {
					t.Errorf("row id %d decodes as %d", r.ID, o.ID)
				}
				got = append(got, o.ChatID)
				seen = append(seen, r.ID)
				return stopAfter <= 0 || len(got) < stopAfter, nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, seen
	}
	if got, _ := walk(true, 0); !slices.Equal(got, []int64{12, 14}) {
		t.Errorf("urgent rows %v, want [12 14]", got)
	}
	if got, _ := walk(false, 0); !slices.Equal(got, []int64{11, 13, 10}) {
		t.Errorf("other rows %v, want [11 13 10]", got)
	}
	if got, _ := walk(false, 2); !slices.Equal(got, []int64{11, 13}) {
		t.Errorf("rows when fn stops after two: %v, want [11 13]", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Damage the value of the normal row to chat 13 with raw bbolt.
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	key := binary.BigEndian.AppendUint64(nil, ids[3])
	if err := raw.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("outbox")).Put(key, []byte("{not json")) }); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	var keys []uint64
	err = db.View(func(tx *store.Tx) error {
		return tx.OutboxEach(false, func(r store.OutboxRow) (bool, error) {
			keys = append(keys, r.ID)
			return true, nil
		})
	})
	if err != nil || !slices.Equal(keys, []uint64{ids[1], ids[3], ids[0]}) {
		t.Errorf("walk by keys alone = %v, %v; want %v and no error", keys, err, []uint64{ids[1], ids[3], ids[0]})
	}
	err = db.View(func(tx *store.Tx) error {
		return tx.OutboxEach(false, func(r store.OutboxRow) (bool, error) {
			_, err := r.Decode()
			return true, err
		})
	})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("decoding the damaged row: %v, want ErrCorrupt", err)
	}
}
