package store_test

import (
	"bytes"
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
	big := fullOutgoing(t)
	big.Urgent = false
	big.Document = bytes.Repeat([]byte{7, '{', 0}, 3000) // a row too large to be read as one string
	rows := []store.Outgoing{
		fullOutgoing(t),
		{ChatID: 5, Text: "plain", CreatedAt: t0},
		{ChatID: 6}, // CreatedAt set by Enqueue
		big,
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
	// The urgent row comes first, then the conversation's in order of
	// enqueueing, then the bulk one.
	want := []store.Outgoing{rows[0], rows[1], rows[2], rows[3]}
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
	if v := rawSchema(t, path); v != itoa(store.SchemaVersion) {
		t.Errorf("schema after migration %s, want %d", v, store.SchemaVersion)
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
// a file salvaged from an older kindling) is read, and dropped with its
// chat, as before.
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
	update(t, db, func(tx *store.Tx) error {
		if err := tx.DropChatOutbox(30); err != nil {
			return err
		}
		if all, _ := tx.OutboxLen(); all != 1 {
			t.Errorf("dropping another chat's rows left %d rows, want the JSON row", all)
		}
		return tx.DropChatOutbox(31)
	})
	view(t, db, func(tx *store.Tx) error {
		if all, _ := tx.OutboxLen(); all != 0 {
			t.Errorf("%d rows left after dropping the JSON row's chat", all)
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

// fullDelivery is a delivery with every field set (see fullOutgoing).
func fullDelivery(t *testing.T) store.Delivery {
	d := store.Delivery{
		ChatID: 41, LocalDate: "2026-03-10", Day: 2, SessionDate: "2026-03-08", Sequence: "after-session",
		Language: "es", Questions: []string{"mood", "sleep", "still-with-you"}, Next: 1,
		Messages: map[string]int{"mood": 900, "sleep": 901},
		Asked:    map[string]string{"mood": "¿Cómo te sientes hoy, del 1 al 10?", "sleep": "¿Dormiste?"},
		State:    store.DeliveryOpen, Manual: true,
		CreatedAt: time.Date(2026, 3, 10, 9, 0, 0, 5, time.FixedZone("", 3600)),
		SentAt:    time.Date(2026, 3, 10, 8, 0, 1, 0, time.UTC), Reminded: true,
	}
	v := reflect.ValueOf(d)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullDelivery leaves %s unset", v.Type().Field(i).Name)
		}
	}
	return d
}

// sameDelivery is sameOutgoing for deliveries.
func sameDelivery(a, b store.Delivery) string {
	for _, tt := range [][2]time.Time{{a.CreatedAt, b.CreatedAt}, {a.SentAt, b.SentAt}} {
		_, oa := tt[0].Zone()
		_, ob := tt[1].Zone()
		if !tt[0].Equal(tt[1]) || oa != ob || tt[0].IsZero() != tt[1].IsZero() {
			return "times " + tt[0].String() + " and " + tt[1].String()
		}
	}
	a.CreatedAt, a.SentAt, b.CreatedAt, b.SentAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(a, b) {
		return "fields"
	}
	return ""
}

// TestDeliveryRoundTrip: what PutDelivery stores is what every way of
// reading a delivery gives back, and recording a question sent changes
// only its message and SentAt.
func TestDeliveryRoundTrip(t *testing.T) {
	db := mustOpen(t)
	full := fullDelivery(t)
	bare := store.Delivery{ChatID: 41, LocalDate: "2026-03-11", Day: 3, State: store.DeliveryDone, CreatedAt: t0}
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutDelivery(full); err != nil {
			return err
		}
		return tx.PutDelivery(bare)
	})
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Delivery(41, "2026-03-10", 2)
		if err != nil {
			return err
		}
		if d := sameDelivery(got, full); d != "" {
			t.Errorf("Delivery differs in %s:\n got %+v\nwant %+v", d, got, full)
		}
		all, err := tx.Deliveries(41)
		if err != nil {
			return err
		}
		if len(all) != 2 || sameDelivery(all[0], full) != "" || sameDelivery(all[1], bare) != "" {
			t.Errorf("Deliveries = %+v, want %+v and %+v", all, full, bare)
		}
		byMsg, q, err := tx.DeliveryByMessage(41, 901)
		if err != nil || q != "sleep" || sameDelivery(byMsg, full) != "" {
			t.Errorf("DeliveryByMessage = %+v, %q, %v", byMsg, q, err)
		}
		return nil
	})
	o := store.Outgoing{ChatID: 41, Text: "q", LocalDate: "2026-03-11", Day: 3, QuestionID: "mood"}
	update(t, db, func(tx *store.Tx) error {
		if err := tx.Enqueue(&o); err != nil {
			return err
		}
		return tx.SentRow(&o, 950)
	})
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Delivery(41, "2026-03-11", 3)
		if err != nil {
			return err
		}
		want := bare
		want.Messages = map[string]int{"mood": 950}
		if got.SentAt.IsZero() {
			t.Error("SentAt not set by the first question sent")
		}
		want.SentAt = got.SentAt
		if d := sameDelivery(got, want); d != "" {
			t.Errorf("after SentRow the delivery differs in %s:\n got %+v\nwant %+v", d, got, want)
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateV7Deliveries: deliveries written as JSON by schema 7 are
// read whole after the migration, found by their message, and take the
// compact form when next written (a question sent); the others stay as
// they were, and are still read.
func TestMigrateV7Deliveries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	full := fullDelivery(t)
	open := store.Delivery{ChatID: 42, LocalDate: "2026-03-10", Day: 1, Questions: []string{"mood"}, State: store.DeliveryOpen, CreatedAt: t0}
	writeV7Outbox(t, path, nil)
	dayKey := func(d store.Delivery) []byte {
		return append(append(be(uint64(d.ChatID)), d.LocalDate...), byte(uint32(d.Day)>>24)^0x80, byte(d.Day>>16), byte(d.Day>>8), byte(d.Day))
	}
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for _, d := range []store.Delivery{full, open} {
			if err := tx.Bucket([]byte("deliveries")).Put(dayKey(d), mustJSON(t, d)); err != nil {
				return err
			}
		}
		// The indexes schema 7 keeps beside them.
		msgs, briefs := tx.Bucket([]byte("delivery_msgs")), tx.Bucket([]byte("step_briefs"))
		for q, id := range full.Messages {
			if err := msgs.Put(be(uint64(full.ChatID), uint64(id)), append(dayKey(full)[8:], q...)); err != nil {
				return err
			}
		}
		// Questions (4), next (4), state.
		if err := briefs.Put(dayKey(full), append([]byte{0, 0, 0, 3, 0, 0, 0, 1}, "open"...)); err != nil {
			return err
		}
		return briefs.Put(dayKey(open), append([]byte{0, 0, 0, 1, 0, 0, 0, 0}, "open"...))
	})
	var want []store.Delivery
	for _, d := range []store.Delivery{full, open} {
		var back store.Delivery
		if err := json.Unmarshal(mustJSON(t, d), &back); err != nil {
			t.Fatal(err)
		}
		want = append(want, back)
	}
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	o := store.Outgoing{ChatID: 42, Text: "q", LocalDate: "2026-03-10", Day: 1, QuestionID: "mood"}
	update(t, db, func(tx *store.Tx) error {
		for _, w := range want {
			got, err := tx.Delivery(w.ChatID, w.LocalDate, w.Day)
			if err != nil {
				return err
			}
			if d := sameDelivery(got, w); d != "" {
				t.Errorf("delivery of %d differs in %s after the migration:\n got %+v\nwant %+v", w.ChatID, d, got, w)
			}
		}
		if d, q, err := tx.DeliveryByMessage(41, 900); err != nil || q != "mood" || d.Day != 2 {
			t.Errorf("DeliveryByMessage after the migration = %+v, %q, %v", d, q, err)
		}
		if err := tx.Enqueue(&o); err != nil {
			return err
		}
		return tx.Sent(o.ID, 777)
	})
	view(t, db, func(tx *store.Tx) error {
		d, q, err := tx.DeliveryByMessage(42, 777)
		if err != nil || q != "mood" || d.Messages["mood"] != 777 || d.SentAt.IsZero() {
			t.Errorf("delivery after its question was sent = %+v, %q, %v", d, q, err)
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("deliveries"))
		if v := b.Get(dayKey(open)); len(v) == 0 || v[0] == '{' {
			t.Errorf("delivery written after the migration still stored as JSON: %q", v)
		}
		if v := b.Get(dayKey(full)); len(v) == 0 || v[0] != '{' {
			t.Errorf("delivery not written since the migration was rewritten: %x", v)
		}
		return nil
	})
}

// TestDeliveryDamagedCompact: a compact delivery cut short, or with bytes
// after its last field, is ErrCorrupt.
func TestDeliveryDamagedCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	full := fullDelivery(t)
	update(t, db, func(tx *store.Tx) error { return tx.PutDelivery(full) })
	db.Close()
	var key, good []byte
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.View(func(tx *bbolt.Tx) error {
		k, v := tx.Bucket([]byte("deliveries")).Cursor().First()
		key, good = slices.Clone(k), slices.Clone(v)
		return nil
	})
	raw.Close()
	damaged := [][]byte{{}, {9}, append(slices.Clone(good), 0)}
	for n := 1; n < len(good); n++ {
		damaged = append(damaged, good[:n])
	}
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for i, v := range damaged {
			// Each under a day of its own, of the same client and date.
			day := 1000 + i
			k := append(slices.Clone(key[:len(key)-4]), 0x80, 0, byte(day>>8), byte(day))
			if err := tx.Bucket([]byte("deliveries")).Put(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	view(t, db, func(tx *store.Tx) error {
		for i, v := range damaged {
			if _, err := tx.Delivery(full.ChatID, full.LocalDate, 1000+i); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("delivery of %d bytes (of %d): %v, want ErrCorrupt", len(v), len(good), err)
			}
		}
		return nil
	})
	db.Close() // the file is damaged on purpose: no check at cleanup
}

// sameTimes reports whether each pair holds the same instant in the same
// zone offset, both zero or neither.
func sameTimes(pairs ...[2]time.Time) bool {
	for _, tt := range pairs {
		_, oa := tt[0].Zone()
		_, ob := tt[1].Zone()
		if !tt[0].Equal(tt[1]) || oa != ob || tt[0].IsZero() != tt[1].IsZero() {
			return false
		}
	}
	return true
}

// sameClient is sameOutgoing for clients.
func sameClient(a, b store.Client) bool {
	if !sameTimes([2]time.Time{a.PausedUntil, b.PausedUntil}, [2]time.Time{a.ConsentAt, b.ConsentAt},
		[2]time.Time{a.CreatedAt, b.CreatedAt}, [2]time.Time{a.ChatNotFoundAt, b.ChatNotFoundAt}, [2]time.Time{a.Due, b.Due}) {
		return false
	}
	for _, c := range []*store.Client{&a, &b} {
		c.PausedUntil, c.ConsentAt, c.CreatedAt, c.ChatNotFoundAt, c.Due = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(a, b)
}

// TestClientAndSessionRoundTrip: a client and a session with every field
// set are read back whole, by every way of reading them; ChatFound clears
// a client's chat-not-found time and leaves a client without one as it is.
func TestClientAndSessionRoundTrip(t *testing.T) {
	db := mustOpen(t)
	full := store.Client{
		ChatID: 51, UserID: 52, Name: "Ana María", Username: "ana_m", Language: "es", TimeZone: "America/Bogota",
		SendTime: "08:30", Sequence: "after-session", Status: store.StatusPaused,
		PausedUntil: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), Coach: 900,
		ConsentAt: time.Date(2026, 3, 1, 8, 0, 0, 7, time.FixedZone("", -5*3600)), CreatedAt: t0,
		ChatNotFoundAt: t0.Add(time.Hour), Due: t0.Add(24 * time.Hour), Setup: "time", Flow: "safety_plan",
		FlowData: map[string]string{"step": "2"}, SafetyPlan: map[string]string{"coping": "caminar", "contacts": "mi hermana"},
	}
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the full client leaves %s unset", v.Type().Field(i).Name)
		}
	}
	plain := store.Client{ChatID: 53, Name: "B", Status: store.StatusActive, CreatedAt: t0}
	session := store.Session{ChatID: 51, Date: "2026-03-01", Note: "bien", Intention: "descansar", CreatedAt: t0.Add(time.Minute)}
	update(t, db, func(tx *store.Tx) error {
		for _, c := range []store.Client{full, plain} {
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return tx.AddSession(session)
	})
	view(t, db, func(tx *store.Tx) error {
		if got, err := tx.Client(51); err != nil || !sameClient(got, full) {
			t.Errorf("Client = %+v, %v; want %+v", got, err, full)
		}
		var all []store.Client
		if err := tx.Clients(func(c store.Client) error { all = append(all, c); return nil }); err != nil {
			return err
		}
		if len(all) != 2 || !sameClient(all[0], full) || !sameClient(all[1], plain) {
			t.Errorf("Clients = %+v", all)
		}
		var coached []store.Client
		if err := tx.CoachClients(900, func(c store.Client) error { coached = append(coached, c); return nil }); err != nil {
			return err
		}
		if len(coached) != 1 || !sameClient(coached[0], full) {
			t.Errorf("CoachClients = %+v", coached)
		}
		got, err := tx.Sessions(51)
		if err != nil || len(got) != 1 || !sameTimes([2]time.Time{got[0].CreatedAt, session.CreatedAt}) ||
			got[0].Note != session.Note || got[0].Intention != session.Intention || got[0].Date != session.Date || got[0].ChatID != 51 {
			t.Errorf("Sessions = %+v, %v; want %+v", got, err, session)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error {
		for _, id := range []int64{51, 53} {
			if err := tx.ChatFound(id); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		want := full
		want.ChatNotFoundAt = time.Time{}
		if got, err := tx.Client(51); err != nil || !sameClient(got, want) {
			t.Errorf("after ChatFound: %+v, %v; want %+v", got, err, want)
		}
		if got, err := tx.Client(53); err != nil || !sameClient(got, plain) {
			t.Errorf("after ChatFound, the client who had no note: %+v, %v; want %+v", got, err, plain)
		}
		return nil
	})
}

// TestJSONClientStillRead: a client and a session stored as JSON by
// schema 7 are read as before after the migration; ChatFound finds the
// JSON client's chat-not-found time and clears it, writing the client in
// the compact form.
func TestJSONClientStillRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	writeV7Outbox(t, path, nil)
	c := store.Client{ChatID: 61, Name: "C", Language: "en", TimeZone: "UTC", Status: store.StatusActive,
		CreatedAt: t0, ChatNotFoundAt: t0.Add(time.Hour), SafetyPlan: map[string]string{"coping": "walk"}}
	s := store.Session{ChatID: 61, Date: "2026-03-01", CreatedAt: t0}
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("clients")).Put(be(61), mustJSON(t, c)); err != nil {
			return err
		}
		return tx.Bucket([]byte("sessions")).Put(append(be(61), s.Date...), mustJSON(t, s))
	})
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	view(t, db, func(tx *store.Tx) error {
		if got, err := tx.Client(61); err != nil || !sameClient(got, c) {
			t.Errorf("JSON client = %+v, %v; want %+v", got, err, c)
		}
		if got, err := tx.LatestSession(61); err != nil || got.Date != s.Date || !got.CreatedAt.Equal(s.CreatedAt) {
			t.Errorf("JSON session = %+v, %v; want %+v", got, err, s)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error { return tx.ChatFound(61) })
	view(t, db, func(tx *store.Tx) error {
		want := c
		want.ChatNotFoundAt = time.Time{}
		if got, err := tx.Client(61); err != nil || !sameClient(got, want) {
			t.Errorf("after ChatFound: %+v, %v; want %+v", got, err, want)
		}
		return nil
	})
	db.Close()
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket([]byte("clients")).Get(be(61)); len(v) == 0 || v[0] == '{' {
			t.Errorf("client written by ChatFound still stored as JSON: %q", v)
		}
		return nil
	})
}

// TestClientDamagedCompact: a compact client cut short, or with bytes
// after its last field, is ErrCorrupt.
func TestClientDamagedCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	c := store.Client{ChatID: 71, Name: "D", Status: store.StatusActive, CreatedAt: t0, Due: t0,
		SafetyPlan: map[string]string{"coping": "walk"}}
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(c) })
	db.Close()
	var good []byte
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.View(func(tx *bbolt.Tx) error { good = slices.Clone(tx.Bucket([]byte("clients")).Get(be(71))); return nil })
	raw.Close()
	damaged := [][]byte{{9}, append(slices.Clone(good), 0)}
	for n := 1; n < len(good); n++ {
		damaged = append(damaged, good[:n])
	}
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		for i, v := range damaged {
			if err := tx.Bucket([]byte("clients")).Put(be(uint64(1000+i)), v); err != nil {
				return err
			}
		}
		return nil
	})
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	view(t, db, func(tx *store.Tx) error {
		for i, v := range damaged {
			if _, err := tx.Client(int64(1000 + i)); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("client of %d bytes (of %d): %v, want ErrCorrupt", len(v), len(good), err)
			}
		}
		return nil
	})
	db.Close() // the file is damaged on purpose: no check at cleanup
}
