package store_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

// sameJSON reports whether a and b say the same as JSON, as a reply was
// stored before schema 9: times to the nanosecond with their offset.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	return string(mustJSON(t, a)) == string(mustJSON(t, b))
}

// rawReply is the stored value of reply (chat, id).
func rawReply(t *testing.T, path string, chat, id uint64) []byte {
	t.Helper()
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v []byte
	_ = raw.View(func(tx *bbolt.Tx) error { v = slices.Clone(tx.Bucket([]byte("replies")).Get(be(chat, id))); return nil })
	return v
}

// TestReplyRoundTrip: a reply with every field set, and one with few,
// read back as they were stored, through Reply, Replies and the export,
// in the compact form.
func TestReplyRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	seven, three := 7, 3
	full := store.Reply{ChatID: 81, At: time.Date(2026, 3, 2, 9, 0, 0, 5, time.FixedZone("", -5*3600)),
		LocalDate: "2026-03-02", Day: 1, SessionDate: "2026-03-01", QuestionID: "mood", Question: "¿Cómo estás hoy?",
		Kind: "scale", Answer: "7", Value: &seven, CheckIn: "phq2", Option: "often", Score: &three, MessageID: 12,
		Voice: &store.Voice{FileID: "file-1", Path: "voice/81/1.ogg", Duration: 14, Size: 9000},
		Edits: []store.Edit{{At: t0, Answer: "6"}, {At: t0.Add(time.Minute), Answer: "6.5"}}, Flagged: true}
	plain := store.Reply{ChatID: 81, At: t0, Kind: "journal", Answer: "a quiet day"}
	update(t, db, func(tx *store.Tx) error {
		for _, r := range []*store.Reply{&full, &plain} {
			if err := tx.AddReply(r); err != nil {
				return err
			}
		}
		return nil
	})
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the full reply leaves %s unset", v.Type().Field(i).Name)
		}
	}
	view(t, db, func(tx *store.Tx) error {
		for _, want := range []store.Reply{full, plain} {
			if got, err := tx.Reply(81, want.ID); err != nil || !sameJSON(t, got, want) {
				t.Errorf("Reply = %+v, %v; want %+v", got, err, want)
			}
		}
		got, err := tx.Replies(81, time.Time{})
		if err != nil || len(got) != 2 || !sameJSON(t, got[0], full) || !sameJSON(t, got[1], plain) {
			t.Errorf("Replies = %+v, %v", got, err)
		}
		return nil
	})
	db.Close()
	for _, id := range []uint64{full.ID, plain.ID} {
		if v := rawReply(t, path, 81, id); len(v) == 0 || v[0] == '{' {
			t.Errorf("reply %d stored as JSON: %q", id, v)
		}
	}
}

// TestJSONReplyStillRead: a reply stored as JSON before schema 9 is read
// as it was, and written in the compact form when it is next written (an
// edit); a compact reply cut short, or with a byte after its last field,
// is ErrCorrupt.
func TestJSONReplyStillRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	six := 6
	r := store.Reply{ChatID: 91, At: t0, LocalDate: "2026-03-01", QuestionID: "mood", Kind: "scale", Answer: "6", Value: &six}
	update(t, db, func(tx *store.Tx) error { return tx.AddReply(&r) })
	db.Close()
	good := rawReply(t, path, 91, r.ID)
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("replies"))
		if err := b.Put(be(91, r.ID), mustJSON(t, r)); err != nil {
			return err
		}
		if err := b.Put(be(91, 1000), append(slices.Clone(good), 0)); err != nil {
			return err
		}
		return b.Put(be(91, 1001), good[:len(good)/2])
	})
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	view(t, db, func(tx *store.Tx) error {
		if got, err := tx.Reply(91, r.ID); err != nil || !sameJSON(t, got, r) {
			t.Errorf("JSON reply = %+v, %v; want %+v", got, err, r)
		}
		for _, id := range []uint64{1000, 1001} {
			if _, err := tx.Reply(91, id); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("damaged compact reply %d: %v, want ErrCorrupt", id, err)
			}
		}
		return nil
	})
	edited := r
	edited.Answer, edited.Edits = "7", []store.Edit{{At: t0.Add(time.Hour), Answer: "6"}}
	update(t, db, func(tx *store.Tx) error { return tx.PutReply(edited) })
	view(t, db, func(tx *store.Tx) error {
		if got, err := tx.Reply(91, r.ID); err != nil || !sameJSON(t, got, edited) {
			t.Errorf("edited reply = %+v, %v; want %+v", got, err, edited)
		}
		return nil
	})
	db.Close()
	if v := rawReply(t, path, 91, r.ID); len(v) == 0 || v[0] == '{' {
		t.Errorf("the edited reply is still stored as JSON: %q", v)
	}
}
