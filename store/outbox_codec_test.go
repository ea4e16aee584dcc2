package store_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

// sameOutgoing reports how a and b differ, "" when they hold the same
// message: times are compared as instants with their zone offset, the
// rest field by field.
func sameOutgoing(a, b store.Outgoing) string {
	for _, tt := range [][2]time.Time{{a.CreatedAt, b.CreatedAt}, {a.AlertAt, b.AlertAt}} {
		_, oa := tt[0].Zone()
		_, ob := tt[1].Zone()
		if !tt[0].Equal(tt[1]) || oa != ob || tt[0].IsZero() != tt[1].IsZero() {
			return "times " + tt[0].String() + " and " + tt[1].String()
		}
	}
	a.CreatedAt, a.AlertAt, b.CreatedAt, b.AlertAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(a, b) {
		return "fields"
	}
	return ""
}

// fullOutgoing is a row with every field of Outgoing set, so that a field
// added to Outgoing and forgotten by the outbox's encoding fails the round
// trip below.
func fullOutgoing(t *testing.T) store.Outgoing {
	o := store.Outgoing{
		ChatID: -1001234567890, Text: "Good morning, Ana.\n<b>How</b> are you? \u2028 ñ \xff",
		ParseMode: "HTML",
		Keyboard: [][]store.Button{
			{{Text: "1", Data: "a|2603101|mood|1"}, {Text: "2", Data: "a|2603101|mood|2"}, {Text: "10", Data: "a|2603101|mood|10"}},
			{},
			{{Text: "Open", URL: "https://example.org/a?b=c"}, {Text: "x", Data: "a|2603101|mood|1"}, {Text: "", Data: ""}},
		},
		DocumentName: "export.csv", Document: []byte{0, 1, 2, '{', 255}, DocumentFile: "outbox/5/doc-1",
		Protect: true, LocalDate: "2026-03-10", Day: 3, QuestionID: "mood", Bulk: true, Urgent: true,
		About: 77, AlertAt: time.Date(2026, 3, 10, 9, 30, 0, 123456789, time.FixedZone("", -3*3600-1800)),
		CreatedAt: time.Date(2026, 3, 10, 9, 0, 0, 1, time.UTC), Attempts: 4,
	}
	v := reflect.ValueOf(o)
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.Name != "ID" && v.Field(i).IsZero() {
			t.Fatalf("fullOutgoing leaves %s unset", f.Name)
		}
	}
	return o
}

// TestOutboxRowRoundTrip: what Enqueue and PutOutgoing store is what the
// outbox gives back, every field of it, through each way of reading.
func TestOutboxRowRoundTrip(t *testing.T) {
	db := mustOpen(t)
	rows := []store.Outgoing{
		fullOutgoing(t),
		{ChatID: 5, Text: "plain", CreatedAt: t0},
		{ChatID: 6}, // CreatedAt set by Enqueue
	}
	update(t, db, func(tx *store.Tx) error {
		for i := range rows {
			if err := tx.Enqueue(&rows[i]); err != nil {
				return err
			}
		}
		rows[1].Attempts = 2
		return tx.PutOutgoing(rows[1])
	})
	if rows[2].CreatedAt.IsZero() {
		t.Fatal("Enqueue did not set CreatedAt")
	}
	var got, each []store.Outgoing
	view(t, db, func(tx *store.Tx) error {
		var err error
		if got, err = tx.Outbox(0); err != nil {
			return err
		}
		for _, urgent := range []bool{true, false} {
			if err := tx.OutboxEach(urgent, func(r store.OutboxRow) (bool, error) {
				o, err := r.Decode()
				each = append(each, o)
				return true, err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	// The urgent row comes first, then the rest in order of enqueueing.
	want := []store.Outgoing{rows[0], rows[1], rows[2]}
	for _, read := range [][]store.Outgoing{got, each} {
		if len(read) != len(want) {
			t.Fatalf("read %d rows, want %d", len(read), len(want))
		}
		for i := range want {
			if d := sameOutgoing(read[i], want[i]); d != "" {
				t.Errorf("row %d differs in %s:\n got %+v\nwant %+v", i, d, read[i], want[i])
			}
		}
	}
}

// writeV7Outbox builds a schema 7 file with raw bbolt, its outbox rows
// stored as JSON, as kindling wrote them until the compact form.
func writeV7Outbox(t *testing.T, path string, rows []store.Outgoing) {
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "clients", "sessions", "due", "deliveries", "replies", "reply_msgs", "outbox",
			"invites", "kv", "updates", "alerts", "alert_due", "coach_clients", "reply_times", "reply_steps",
			"delivery_msgs", "step_briefs", "checkins"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte("meta"))
		for k, v := range map[string]string{"schema": "7", "offset": "7", "update_floor": "7"} {
			if err := meta.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		out := tx.Bucket([]byte("outbox"))
		for _, o := range rows {
			if err := out.Put(be(o.ID), mustJSON(t, o)); err != nil {
				return err
			}
		}
		return out.SetSequence(10)
	})
}

// rawOutbox is the stored values of the outbox, by key, read with raw
// bbolt.
func rawOutbox(t *testing.T, path string) map[uint64][]byte {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	vals := map[uint64][]byte{}
	_ = b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("outbox")).ForEach(func(k, v []byte) error {
			vals[binary.BigEndian.Uint64(k)] = slices.Clone(v)
			return nil
		})
	})
	return vals
}

// TestMigrateV7Outbox: outbox rows written as JSON by schema 7 are read
// whole after the migration, stored in the compact form, and are sent,
// dropped and forgotten as before.
func TestMigrateV7Outbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	const normal, bulk = 1 << 61, 1 << 62
	full := fullOutgoing(t)
	full.ID, full.Bulk, full.Urgent = 1, false, true
	rows := []store.Outgoing{
		full,
		{ID: 2 | normal, ChatID: 21, Text: "reply", CreatedAt: t0},
		{ID: 5 | normal, ChatID: 24, Text: "about 23", About: 23, CreatedAt: t0},
		{ID: 3 | bulk, ChatID: 22, Text: "morning", Bulk: true, LocalDate: "2026-03-01", Day: 1, QuestionID: "mood", CreatedAt: t0,
			Keyboard: [][]store.Button{{{Text: "1", Data: "a|2603011|mood|1"}, {Text: "2", Data: "a|2603011|mood|2"}}}},
		{ID: 4 | bulk, ChatID: 23, Text: "morning", Bulk: true, CreatedAt: t0},
	}
	writeV7Outbox(t, path, rows)
	// What schema 7 held is each row as JSON gave it back (invalid UTF-8
	// became U+FFFD, say).
	for i := range rows {
		var o store.Outgoing
		if err := json.Unmarshal(mustJSON(t, rows[i]), &o); err != nil {
			t.Fatal(err)
		}
		rows[i] = o
	}

	db := mustOpenAt(t, path, store.Options{NoSync: true})
	var got []store.Outgoing
	view(t, db, func(tx *store.Tx) error {
		var err error
		got, err = tx.Outbox(0)
		return err
	})
	if len(got) != len(rows) {
		t.Fatalf("%d rows after the migration, want %d", len(got), len(rows))
	}
	for i := range rows {
		if d := sameOutgoing(got[i], rows[i]); d != "" {
			t.Errorf("row %d differs in %s after the migration:\n got %+v\nwant %+v", i, d, got[i], rows[i])
		}
	}
	db.Close()
	if v := rawSchema(t, path); v != itoa(store.SchemaVersion) || store.SchemaVersion != 8 {
		t.Errorf("schema after migration %s, want 8", v)
	}
	for id, v := range rawOutbox(t, path) {
		if len(v) == 0 || v[0] == '{' {
			t.Errorf("row %d still stored as JSON: %q", id, v)
		}
	}

	db = mustOpenAt(t, path, store.Options{NoSync: true})
	update(t, db, func(tx *store.Tx) error {
		if err := tx.Sent(rows[3].ID, 900); err != nil {
			return err
		}
		if err := tx.DropChatOutbox(21); err != nil {
			return err
		}
		return tx.Forget(23) // its own row, and the one about it
	})
	view(t, db, func(tx *store.Tx) error {
		left, err := tx.Outbox(0)
		if err != nil {
			return err
		}
		if len(left) != 1 || left[0].ID != 1 {
			t.Errorf("rows left %+v, want only row 1", left)
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestOutboxJSONRowStillRead: a JSON row met after the migration (as in
// a file salvaged from an older kindling) is read as before.
func TestOutboxJSONRowStillRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	db.Close()
	o := store.Outgoing{ID: 7 | 1<<61, ChatID: 31, Text: "old", CreatedAt: t0}
	rawUpdate(t, path, func(tx *bbolt.Tx) error { return tx.Bucket([]byte("outbox")).Put(be(o.ID), mustJSON(t, o)) })
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Outbox(0)
		if err != nil || len(got) != 1 || sameOutgoing(got[0], o) != "" {
			t.Errorf("Outbox = %+v, %v; want %+v", got, err, o)
		}
		return nil
	})
}

// TestOutboxDamagedCompactRow: a compact row cut short, or with bytes
// after its last field, is ErrCorrupt, not a panic nor a row read wrong.
func TestOutboxDamagedCompactRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	full := fullOutgoing(t)
	update(t, db, func(tx *store.Tx) error { return tx.Enqueue(&full) })
	db.Close()
	good := rawOutbox(t, path)[full.ID]
	damaged := [][]byte{{}, {9}, append(slices.Clone(good), 0)}
	for n := 1; n < len(good); n++ {
		damaged = append(damaged, good[:n])
	}
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for i, v := range damaged {
			if err := tx.Bucket([]byte("outbox")).Put(be(1<<61|uint64(i)), v); err != nil {
				return err
			}
		}
		return nil
	})
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	seen := 0
	view(t, db, func(tx *store.Tx) error {
		return tx.OutboxEach(false, func(r store.OutboxRow) (bool, error) {
			v := damaged[r.ID&^(1<<61)]
			if _, err := r.Decode(); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("row of %d bytes (of %d): %v, want ErrCorrupt", len(v), len(good), err)
			}
			seen++
			return true, nil
		})
	})
	if seen != len(damaged) {
		t.Errorf("read %d damaged rows, want %d", seen, len(damaged))
	}
}
