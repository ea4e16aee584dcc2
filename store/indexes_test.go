package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

func coachOf(t *testing.T, tx *store.Tx, coach int64) []int64 {
	t.Helper()
	var ids []int64
	if err := tx.CoachClients(coach, func(c store.Client) error { ids = append(ids, c.ChatID); return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}

func replyIDs(rs []store.Reply) []uint64 {
	var ids []uint64
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestCoachClients(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for id := int64(1); id <= 6; id++ {
			c := client(id, time.Time{})
			c.Coach = 100 + id%2 // odd ids: coach 101, even ids: coach 100
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return tx.PutClient(client(7, time.Time{})) // no coach
	})
	view(t, db, func(tx *store.Tx) error {
		if got := coachOf(t, tx, 101); !reflect.DeepEqual(got, []int64{1, 3, 5}) {
			t.Errorf("coach 101 has %v, want [1 3 5]", got)
		}
		if got := coachOf(t, tx, 0); got != nil {
			t.Errorf("coach 0 has %v, want none", got)
		}
		return nil
	})
	// A client moved to another coach leaves the first one's list.
	update(t, db, func(tx *store.Tx) error {
		c, err := tx.Client(3)
		if err != nil {
			return err
		}
		c.Coach = 100
		return tx.PutClient(c)
	})
	update(t, db, func(tx *store.Tx) error { return tx.Forget(5) })
	view(t, db, func(tx *store.Tx) error {
		if got := coachOf(t, tx, 101); !reflect.DeepEqual(got, []int64{1}) {
			t.Errorf("coach 101 has %v after a move and a forget, want [1]", got)
		}
		if got := coachOf(t, tx, 100); !reflect.DeepEqual(got, []int64{2, 3, 4, 6}) {
			t.Errorf("coach 100 has %v, want [2 3 4 6]", got)
		}
		return nil
	})
}

func TestRepliesByTime(t *testing.T) {
	db := mustOpen(t)
	// Stored out of time order: an id does not say when a reply was written.
	ats := []time.Duration{3 * time.Hour, time.Hour, 5 * time.Hour, 2 * time.Hour, 4 * time.Hour}
	update(t, db, func(tx *store.Tx) error {
		for i, d := range ats {
			r := store.Reply{ChatID: 9, At: t0.Add(d), QuestionID: "q", LocalDate: "2026-03-01", Day: i}
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		r := store.Reply{ChatID: 10, At: t0.Add(9 * time.Hour)}
		return tx.AddReply(&r)
	})
	view(t, db, func(tx *store.Tx) error {
		for _, tc := range []struct {
			since time.Time
			want  []uint64
		}{
			{time.Time{}, []uint64{1, 2, 3, 4, 5}},
			{t0, []uint64{1, 2, 3, 4, 5}},
			{t0.Add(3 * time.Hour), []uint64{1, 3, 5}},
			{t0.Add(3*time.Hour + 1), []uint64{3, 5}},
			{t0.Add(6 * time.Hour), nil},
		} {
			rs, err := tx.Replies(9, tc.since)
			if err != nil || !reflect.DeepEqual(replyIDs(rs), tc.want) {
				t.Errorf("Replies(9, %s) = %v, %v; want %v", tc.since.Format(time.Kitchen), replyIDs(rs), err, tc.want)
			}
		}
		if r, err := tx.LatestReply(9); err != nil || r.ID != 3 {
			t.Errorf("LatestReply(9) = %d, %v; want 3 (the latest in time, not in id)", r.ID, err)
		}
		var newest []uint64
		if err := tx.RecentReplies(9, func(r store.Reply) (bool, error) {
			newest = append(newest, r.ID)
			return len(newest) < 4, nil
		}); err != nil || !reflect.DeepEqual(newest, []uint64{3, 5, 1, 4}) {
			t.Errorf("RecentReplies(9) = %v, %v; want [3 5 1 4]", newest, err)
		}
		if err := tx.RecentReplies(11, func(store.Reply) (bool, error) {
			t.Error("RecentReplies gave a reply of a client with none")
			return true, nil
		}); err != nil {
			t.Error(err)
		}
		if _, err := tx.LatestReply(11); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestReply of a client without replies = %v, want ErrNotFound", err)
		}
		return nil
	})
	// Moving a reply in time moves its index entry.
	update(t, db, func(tx *store.Tx) error {
		r, err := tx.Reply(9, 2)
		if err != nil {
			return err
		}
		r.At = t0.Add(8 * time.Hour)
		return tx.PutReply(r)
	})
	view(t, db, func(tx *store.Tx) error {
		rs, err := tx.Replies(9, t0.Add(6*time.Hour))
		if err != nil || !reflect.DeepEqual(replyIDs(rs), []uint64{2}) {
			t.Errorf("Replies after moving reply 2 = %v, %v", replyIDs(rs), err)
		}
		return nil
	})
}

func TestAnswered(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, r := range []store.Reply{
			{ChatID: 9, LocalDate: "2026-03-01", Day: 3, QuestionID: "mood", Answer: "7"},
			{ChatID: 9, LocalDate: "2026-03-01", Day: 3, QuestionID: "mood-note", Answer: "fine"},
			{ChatID: 9, LocalDate: "2026-03-02", Day: 4, Answer: "a journal entry"},
			{ChatID: 9, Answer: "before any session"},
		} {
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		for _, tc := range []struct {
			date string
			day  int
			q    string
			want bool
		}{
			{"2026-03-01", 3, "mood", true},
			{"2026-03-01", 3, "mood-note", true},
			{"2026-03-01", 3, "mo", false}, // a prefix of a question id is another question
			{"2026-03-01", 4, "mood", false},
			{"2026-03-02", 3, "mood", false},
			{"2026-03-02", 4, "mood", false},
		} {
			if got := tx.Answered(9, tc.date, tc.day, tc.q); got != tc.want {
				t.Errorf("Answered(%s day %d %s) = %v, want %v", tc.date, tc.day, tc.q, got, tc.want)
			}
		}
		rs, err := tx.StepReplies(9, "2026-03-01", 3)
		if err != nil || !reflect.DeepEqual(replyIDs(rs), []uint64{1, 2}) {
			t.Errorf("StepReplies = %v, %v; want [1 2]", replyIDs(rs), err)
		}
		return nil
	})
	// A reply moved to another question leaves the first.
	update(t, db, func(tx *store.Tx) error {
		r, err := tx.Reply(9, 1)
		if err != nil {
			return err
		}
		r.QuestionID = "sleep"
		return tx.PutReply(r)
	})
	view(t, db, func(tx *store.Tx) error {
		if tx.Answered(9, "2026-03-01", 3, "mood") || !tx.Answered(9, "2026-03-01", 3, "sleep") {
			t.Error("the step index did not follow the reply's question")
		}
		return nil
	})
	err := db.Update(func(tx *store.Tx) error {
		return tx.AddReply(&store.Reply{ChatID: 9, LocalDate: "2026-03-01", QuestionID: "bad\x00id"})
	})
	if err == nil {
		t.Error("AddReply took a question id with a NUL byte")
	}
}

func TestDeliveriesFrom(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, d := range []store.Delivery{
			{ChatID: 9, LocalDate: "2026-02-27", Day: 1},
			{ChatID: 9, LocalDate: "2026-03-01", Day: 3, Questions: []string{"mood", "sleep"}, Next: 1, State: store.DeliveryOpen,
				Asked: map[string]string{"mood": "How are you?"}},
			{ChatID: 9, LocalDate: "2026-03-02", Day: 4},
			{ChatID: 10, LocalDate: "2026-03-05", Day: 1},
		} {
			if err := tx.PutDelivery(d); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		ds, err := tx.DeliveriesFrom(9, "2026-03-01")
		want := []store.DeliveryBrief{
			{LocalDate: "2026-03-01", Day: 3, Questions: 2, Next: 1, State: store.DeliveryOpen},
			{LocalDate: "2026-03-02", Day: 4},
		}
		if err != nil || !reflect.DeepEqual(ds, want) {
			t.Errorf("DeliveriesFrom = %+v, %v", ds, err)
		}
		return nil
	})
}

func TestDeliveryByMessage(t *testing.T) {
	db := mustOpen(t)
	d := store.Delivery{ChatID: 9, LocalDate: "2026-03-01", Day: 3, Questions: []string{"mood", "sleep"},
		Messages: map[string]int{"mood": 40, "sleep": 41}}
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutDelivery(d); err != nil {
			return err
		}
		return tx.PutDelivery(store.Delivery{ChatID: 10, LocalDate: "2026-03-01", Day: 3, Messages: map[string]int{"mood": 40}})
	})
	lookup := func(chat int64, msg int) (string, error) {
		var q string
		err := db.View(func(tx *store.Tx) error {
			got, qid, err := tx.DeliveryByMessage(chat, msg)
			if err == nil && (got.LocalDate != "2026-03-01" || got.Day != 3 || got.ChatID != chat) {
				t.Errorf("DeliveryByMessage(%d, %d) = %+v", chat, msg, got)
			}
			q = qid
			return err
		})
		return q, err
	}
	if q, err := lookup(9, 41); err != nil || q != "sleep" {
		t.Errorf("message 41 asked %q, %v; want sleep", q, err)
	}
	if _, err := lookup(9, 42); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("message 42 = %v, want ErrNotFound", err)
	}
	// A question asked again in another message moves the entry.
	d.Messages["sleep"] = 45
	update(t, db, func(tx *store.Tx) error { return tx.PutDelivery(d) })
	if _, err := lookup(9, 41); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the replaced message 41 = %v, want ErrNotFound", err)
	}
	if q, err := lookup(9, 45); err != nil || q != "sleep" {
		t.Errorf("message 45 asked %q, %v; want sleep", q, err)
	}
	if q, err := lookup(10, 40); err != nil || q != "mood" {
		t.Errorf("another chat's message 40 asked %q, %v; want mood", q, err)
	}
}

// TestCheckFindsBrokenIndexes: an entry missing from, or left over in,
// each new index is named by Check.
func TestCheckFindsBrokenIndexes(t *testing.T) {
	for _, tc := range []struct {
		bucket string
		break_ func(b *bbolt.Bucket) error
		want   string
	}{
		{"coach_clients", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Delete(k) }, "not in the coach index"},
		{"coach_clients", func(b *bbolt.Bucket) error { return b.Put(be(77, 1), nil) }, "has coach 5"},
		{"reply_times", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Delete(k) }, "not in the reply time index"},
		{"delivery_msgs", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Delete(k) }, "not in the delivery message index"},
		{"delivery_msgs", func(b *bbolt.Bucket) error {
			return b.Put(be(1, 51), append([]byte("2026-03-01\x80\x00\x00\x09"), "mood"...))
		}, "is message 50"},
		{"step_briefs", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Put(k, []byte("short")) }, "does not match it"},
		{"step_briefs", func(b *bbolt.Bucket) error { return b.Put(append(be(2), "2026-03-01\x80\x00\x00\x01"...), nil) }, "no such delivery"},
		{"reply_steps", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Delete(k) }, "not in the reply step index"},
		{"delivery_msgs", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Delete(k) }, "not in the delivery message index"},
		{"delivery_msgs", func(b *bbolt.Bucket) error {
			return b.Put(be(1, 51), append([]byte("2026-03-01\x80\x00\x00\x09"), "mood"...))
		}, "is message 50"},
		{"step_briefs", func(b *bbolt.Bucket) error { k, _ := b.Cursor().First(); return b.Put(k, []byte("short")) }, "does not match it"},
		{"step_briefs", func(b *bbolt.Bucket) error { return b.Put(append(be(2), "2026-03-01\x80\x00\x00\x01"...), nil) }, "no such delivery"},
		{"reply_steps", func(b *bbolt.Bucket) error {
			return b.Put(append(append(be(1), "2026-03-01\x80\x00\x00\x09other\x00"...), be(1)...), nil)
		}, "reply step entry"},
	} {
		t.Run(tc.bucket+"/"+tc.want, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kindling.db")
			db, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			update(t, db, func(tx *store.Tx) error {
				c := client(1, time.Time{})
				c.Coach = 5
				if err := tx.PutClient(c); err != nil {
					return err
				}
				if err := tx.PutDelivery(store.Delivery{ChatID: 1, LocalDate: "2026-03-01", Day: 9, Messages: map[string]int{"mood": 50}}); err != nil {
					return err
				}
				return tx.AddReply(&store.Reply{ChatID: 1, LocalDate: "2026-03-01", Day: 9, QuestionID: "mood"})
			})
			if err := db.Check(); err != nil {
				t.Fatalf("Check of a sound file: %v", err)
			}
			db.Close()
			rawUpdate(t, path, func(tx *bbolt.Tx) error { return tc.break_(tx.Bucket([]byte(tc.bucket))) })
			db, err = store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}

// writeV4 builds a schema 4 file with raw bbolt: every bucket of that
// version, none of the coach, reply time, reply step and delivery message
// indexes.
func writeV4(t *testing.T, path string) {
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		b := map[string]*bbolt.Bucket{}
		for _, name := range []string{"meta", "clients", "sessions", "due", "deliveries", "replies", "reply_msgs",
			"outbox", "invites", "kv", "updates", "alerts", "alert_due"} {
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
		put("meta", []byte("schema"), []byte("4"))
		put("meta", []byte("offset"), []byte("10"))
		put("meta", []byte("update_floor"), []byte("10"))
		for id := uint64(1); id <= 3; id++ {
			c := client(int64(id), time.Time{})
			if id != 3 {
				c.Coach = 5
			}
			put("clients", be(id), mustJSON(t, c))
		}
		replies := []store.Reply{
			{ID: 1, ChatID: 1, At: t0.Add(2 * time.Hour), LocalDate: "2026-03-01", Day: 2, QuestionID: "mood", Answer: "7", MessageID: 40},
			{ID: 2, ChatID: 1, At: t0.Add(time.Hour), Answer: "a journal entry"},
			{ID: 3, ChatID: 2, At: t0, LocalDate: "2026-03-01", Day: 2, QuestionID: "mood", Answer: "3"},
		}
		for _, r := range replies {
			put("replies", be(uint64(r.ChatID), r.ID), mustJSON(t, r))
		}
		put("reply_msgs", be(1, 40), be(1))
		put("deliveries", append(append(be(1), "2026-03-01"...), 0x80, 0, 0, 2), mustJSON(t, store.Delivery{
			ChatID: 1, LocalDate: "2026-03-01", Day: 2, Questions: []string{"mood"}, Next: 1, Messages: map[string]int{"mood": 39}}))
		return b["replies"].SetSequence(3)
	})
}

func TestMigrateV4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	writeV4(t, path)
	db := mustOpenAt(t, path, store.Options{NoSync: true}) // Check at cleanup verifies the new indexes
	view(t, db, func(tx *store.Tx) error {
		if got := coachOf(t, tx, 5); !reflect.DeepEqual(got, []int64{1, 2}) {
			t.Errorf("coach 5 has %v after migration, want [1 2]", got)
		}
		if rs, err := tx.Replies(1, t0.Add(90*time.Minute)); err != nil || !reflect.DeepEqual(replyIDs(rs), []uint64{1}) {
			t.Errorf("Replies since 10:30 = %v, %v; want [1]", replyIDs(rs), err)
		}
		if r, err := tx.LatestReply(1); err != nil || r.ID != 1 {
			t.Errorf("LatestReply = %d, %v; want 1", r.ID, err)
		}
		if !tx.Answered(1, "2026-03-01", 2, "mood") || !tx.Answered(2, "2026-03-01", 2, "mood") || tx.Answered(3, "2026-03-01", 2, "mood") {
			t.Error("the step index after migration does not match the replies")
		}
		if d, q, err := tx.DeliveryByMessage(1, 39); err != nil || q != "mood" || d.Day != 2 {
			t.Errorf("DeliveryByMessage after migration = %+v, %q, %v", d, q, err)
		}
		if ds, err := tx.DeliveriesFrom(1, "2026-03-01"); err != nil || len(ds) != 1 || ds[0] != (store.DeliveryBrief{LocalDate: "2026-03-01", Day: 2, Questions: 1, Next: 1}) {
			t.Errorf("DeliveriesFrom after migration = %+v, %v", ds, err)
		}
		return nil
	})
	db.Close()
	if v := rawSchema(t, path); v != itoa(store.SchemaVersion) {
		t.Errorf("schema after migration %s, want %d", v, store.SchemaVersion)
	}
	mustOpenAt(t, path, store.Options{NoSync: true}) // a migrated file opens as it is
}

// TestSalvageRebuildsIndexes: a damaged page of the reply time index
// loses no reply: Salvage rebuilds every index from the records, and the
// copy passes Check (at cleanup) and answers every lookup.
func TestSalvageRebuildsIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx *store.Tx) error {
		for chat := int64(1); chat <= 4; chat++ {
			c := client(chat, time.Time{})
			c.Coach = 5
			if err := tx.PutClient(c); err != nil {
				return err
			}
			for i := range 300 {
				r := store.Reply{ChatID: chat, At: t0.Add(time.Duration(i) * time.Minute), LocalDate: "2026-03-01", Day: i, QuestionID: "mood"}
				if err := tx.AddReply(&r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	damageLeaf(t, path, "reply_times", 1)
	dst := filepath.Join(t.TempDir(), "saved.db")
	rep, err := store.Salvage(path, dst)
	if err != nil {
		t.Fatalf("Salvage: %+v, %v", rep, err)
	}
	saved := mustOpenAt(t, dst, store.Options{NoSync: true})
	view(t, saved, func(tx *store.Tx) error {
		if got := coachOf(t, tx, 5); !reflect.DeepEqual(got, []int64{1, 2, 3, 4}) {
			t.Errorf("coach 5 has %v after salvage", got)
		}
		for chat := int64(1); chat <= 4; chat++ {
			rs, err := tx.Replies(chat, t0.Add(100*time.Minute))
			if err != nil || len(rs) != 200 {
				t.Errorf("chat %d: %d replies since minute 100 after salvage, %v; want 200", chat, len(rs), err)
			}
			if !tx.Answered(chat, "2026-03-01", 150, "mood") {
				t.Errorf("chat %d: day 150 unanswered after salvage", chat)
			}
		}
		return nil
	})
}

// TestRepliesFarApart: the replies since a time may lie far apart among
// the client's others (here ids 1, 20 and 40 of 40), and one the time
// index names but that is gone is ErrCorrupt.
func TestRepliesFarApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kindling.db")
	db := mustOpenAt(t, path, store.Options{NoSync: true})
	update(t, db, func(tx *store.Tx) error {
		for i := 1; i <= 40; i++ {
			at := t0.Add(time.Duration(i) * time.Minute)
			if i == 1 || i == 20 || i == 40 {
				at = at.Add(24 * time.Hour)
			}
			r := store.Reply{ChatID: 12, At: at, Answer: fmt.Sprint(i)}
			if err := tx.AddReply(&r); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		rs, err := tx.Replies(12, t0.Add(24*time.Hour))
		if err != nil || !reflect.DeepEqual(replyIDs(rs), []uint64{1, 20, 40}) {
			t.Errorf("Replies = %v, %v; want [1 20 40]", replyIDs(rs), err)
		}
		for _, r := range rs {
			if r.Answer != fmt.Sprint(r.ID) {
				t.Errorf("reply %d holds %q", r.ID, r.Answer)
			}
		}
		return nil
	})
	db.Close()
	rawUpdate(t, path, func(tx *bbolt.Tx) error { return tx.Bucket([]byte("replies")).Delete(be(12, 20)) })
	db = mustOpenAt(t, path, store.Options{NoSync: true})
	defer db.Close()
	view(t, db, func(tx *store.Tx) error {
		if _, err := tx.Replies(12, t0.Add(24*time.Hour)); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("Replies with reply 20 gone = %v, want ErrCorrupt", err)
		}
		return nil
	})
}
