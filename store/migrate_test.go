package store_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

func be(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeV1 builds a schema 1 file with raw bbolt: no due index, no reply
// message index, no applied-updates bucket.
func writeV1(t *testing.T, path string, offset int64) {
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		b := map[string]*bbolt.Bucket{}
		for _, name := range []string{"meta", "clients", "sessions", "deliveries", "replies", "outbox", "invites", "kv"} {
			bk, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			b[name] = bk
		}
		put := func(bucket string, k, v []byte) {
			if err := b[bucket].Put(k, v); err != nil {
				t.Fatal(err)
			}
		}
		put("meta", []byte("schema"), []byte("1"))
		put("meta", []byte("offset"), []byte(itoa(offset)))
		put("clients", be(1), mustJSON(t, client(1, t0)))
		put("clients", be(2), mustJSON(t, client(2, time.Time{})))
		put("clients", be(3), mustJSON(t, client(3, t0.Add(-time.Hour))))
		put("replies", be(1, 1), mustJSON(t, store.Reply{ID: 1, ChatID: 1, Answer: "one", MessageID: 500, At: t0}))
		put("replies", be(1, 2), mustJSON(t, store.Reply{ID: 2, ChatID: 1, Answer: "two", At: t0}))
		put("replies", be(3, 3), mustJSON(t, store.Reply{ID: 3, ChatID: 3, Answer: "three", MessageID: 501, At: t0}))
		put("sessions", append(be(1), "2026-02-27"...), mustJSON(t, store.Session{ChatID: 1, Date: "2026-02-27"}))
		return b["replies"].SetSequence(3)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func rawSchema(t *testing.T, path string) string {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var v string
	_ = b.View(func(tx *bbolt.Tx) error { v = string(tx.Bucket([]byte("meta")).Get([]byte("schema"))); return nil })
	return v
}

func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	writeV1(t, path, 100)
	db := mustOpenAt(t, path, store.Options{NoSync: true})

	// v1 -> v2: the due index and the reply message index are built.
	if got, err := db.Due(t0, 0); err != nil || !reflect.DeepEqual(got, []int64{3, 1}) {
		t.Errorf("Due after migration = %v, %v; want [3 1]", got, err)
	}
	view(t, db, func(tx *store.Tx) error {
		for _, tc := range []struct {
			chat int64
			msg  int
			want string
		}{{1, 500, "one"}, {3, 501, "three"}} {
			r, err := tx.ReplyByMessage(tc.chat, tc.msg)
			if err != nil || r.Answer != tc.want {
				t.Errorf("ReplyByMessage(%d, %d) = %+v, %v", tc.chat, tc.msg, r, err)
			}
		}
		if s, err := tx.LatestSession(1); err != nil || s.Date != "2026-02-27" {
			t.Errorf("LatestSession = %+v, %v", s, err)
		}
		return nil
	})
	var r store.Reply
	update(t, db, func(tx *store.Tx) error { r = store.Reply{ChatID: 1, Answer: "four"}; return tx.AddReply(&r) })
	if r.ID != 4 {
		t.Errorf("new reply id %d, want 4 (sequence kept)", r.ID)
	}
	// v2 -> v3: every update up to the old offset counts as applied.
	checkUpdateFloor(t, db, 100)
	db.Close()
	if v := rawSchema(t, path); v != itoa(store.SchemaVersion) {
		t.Errorf("schema after migration %s, want %d", v, store.SchemaVersion)
	}
}

func checkUpdateFloor(t *testing.T, db *store.DB, offset int64) {
	t.Helper()
	noop := func(*store.Tx) error { return nil }
	for _, tc := range []struct {
		id      int64
		applied bool
	}{{offset, false}, {offset - 1, false}, {offset + 1, true}, {offset + 1, false}} {
		if applied, err := db.ApplyUpdate(tc.id, noop); err != nil || applied != tc.applied {
			t.Errorf("ApplyUpdate(%d) = %v, %v; want %v", tc.id, applied, err, tc.applied)
		}
	}
	if off, _ := db.Offset(); off != offset+1 {
		t.Errorf("offset %d, want %d", off, offset+1)
	}
}

func TestMigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	writeV1(t, path, 50)
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		due, err := tx.CreateBucket([]byte("due"))
		if err != nil {
			return err
		}
		// due key: seconds with the sign bit flipped, nanoseconds, chat id.
		k := binary.BigEndian.AppendUint64(nil, uint64(t0.Unix())^(1<<63))
		k = binary.BigEndian.AppendUint32(k, 0)
		k = binary.BigEndian.AppendUint64(k, 1)
		if err := due.Put(k, nil); err != nil {
			return err
		}
		k = binary.BigEndian.AppendUint64(nil, uint64(t0.Add(-time.Hour).Unix())^(1<<63))
		k = binary.BigEndian.AppendUint32(k, 0)
		k = binary.BigEndian.AppendUint64(k, 3)
		if err := due.Put(k, nil); err != nil {
			return err
		}
		msgs, err := tx.CreateBucket([]byte("reply_msgs"))
		if err != nil {
			return err
		}
		if err := msgs.Put(be(1, 500), be(1)); err != nil {
			return err
		}
		if err := msgs.Put(be(3, 501), be(3)); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("2"))
	})
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	checkUpdateFloor(t, db, 50)
	if got, _ := db.Due(t0, 0); !reflect.DeepEqual(got, []int64{3, 1}) {
		t.Errorf("Due after migration = %v", got)
	}
}

// TestMigrateFailure: a migration that fails leaves the file as it was.
func TestMigrateFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	writeV1(t, path, 1)
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("clients")).Put(be(9), []byte("{not json"))
	})
	_, err := store.Open(path, store.Options{})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Open = %v, want ErrCorrupt", err)
	}
	if v := rawSchema(t, path); v != "1" {
		t.Errorf("schema after failed migration %s, want 1", v)
	}
}
