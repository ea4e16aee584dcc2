package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"kindling/store"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// mustOpen opens a new database in a temporary folder, with a fixed clock,
// and checks it when the test ends.
func mustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "data", "kindling.db"), store.Options{NoSync: true})
}

func mustOpenAt(tb testing.TB, path string, opts store.Options) *store.DB {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	db, err := store.Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil && !errors.Is(err, store.ErrClosed) {
			tb.Errorf("check at cleanup: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

func update(tb testing.TB, db *store.DB, fn func(*store.Tx) error) {
	tb.Helper()
	if err := db.Update(fn); err != nil {
		tb.Fatal(err)
	}
}

func view(tb testing.TB, db *store.DB, fn func(*store.Tx) error) {
	tb.Helper()
	if err := db.View(fn); err != nil {
		tb.Fatal(err)
	}
}

func client(id int64, due time.Time) store.Client {
	return store.Client{ChatID: id, Name: fmt.Sprintf("client %d", id), Language: "en", TimeZone: "Europe/Berlin",
		SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive, ConsentAt: t0, CreatedAt: t0, Due: due}
}

func TestClient(t *testing.T) {
	db := mustOpen(t)
	c := client(7, t0)
	c.SafetyPlan = map[string]string{"coping": "walk"}
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(c) })
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Client(7)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("Client = %+v, want %+v", got, c)
		}
		if _, err := tx.Client(8); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Client(8) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := db.Update(func(tx *store.Tx) error { return tx.PutClient(store.Client{}) }); err == nil {
		t.Error("PutClient with chat id 0: no error")
	}
}

func TestClientsOrder(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, id := range []int64{300, 5, 1 << 40, 42} {
			if err := tx.PutClient(client(id, time.Time{})); err != nil {
				return err
			}
		}
		return nil
	})
	var ids []int64
	view(t, db, func(tx *store.Tx) error {
		return tx.Clients(func(c store.Client) error { ids = append(ids, c.ChatID); return nil })
	})
	if want := []int64{5, 42, 300, 1 << 40}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Clients order = %v, want %v", ids, want)
	}
	stop := errors.New("stop")
	n := 0
	err := db.View(func(tx *store.Tx) error {
		return tx.Clients(func(store.Client) error { n++; return stop })
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Clients with failing fn: err %v after %d calls, want stop after 1", err, n)
	}
}

func TestDue(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for i, due := range []time.Time{
			t0.Add(3 * time.Minute), t0, t0.Add(-time.Hour), t0.Add(time.Nanosecond),
			{}, t0.Add(-time.Hour), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			if err := tx.PutClient(client(int64(i+1), due)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		at    time.Time
		limit int
		want  []int64
	}{
		{t0, 0, []int64{7, 3, 6, 2}},
		{t0, 2, []int64{7, 3}},
		{t0, -1, []int64{7, 3, 6, 2}},
		{t0.Add(time.Nanosecond), 0, []int64{7, 3, 6, 2, 4}},
		{t0.Add(time.Hour), 0, []int64{7, 3, 6, 2, 4, 1}},
		{time.Date(1959, 1, 1, 0, 0, 0, 0, time.UTC), 0, nil},
	} {
		got, err := db.Due(tc.at, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Due(%s, %d) = %v, want %v", tc.at, tc.limit, got, tc.want)
		}
	}
}

func TestPutClientMovesDue(t *testing.T) {
	db := mustOpen(t)
	c := client(1, t0)
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(c) })
	c.Due = t0.Add(24 * time.Hour)
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(c) })
	if got, _ := db.Due(t0, 0); len(got) != 0 {
		t.Errorf("after moving due: Due(t0) = %v, want none", got)
	}
	if got, _ := db.Due(t0.Add(24*time.Hour), 0); !reflect.DeepEqual(got, []int64{1}) {
		t.Errorf("after moving due: Due(t0+24h) = %v, want [1]", got)
	}
	// A delivery and the due move commit together, or not at all.
	boom := errors.New("boom")
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.PutDelivery(store.Delivery{ChatID: 1, LocalDate: "2026-03-02", Day: 1, State: store.DeliveryOpen}); err != nil {
			return err
		}
		c.Due = t0.Add(48 * time.Hour)
		if err := tx.PutClient(c); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got, _ := db.Due(t0.Add(24*time.Hour), 0); !reflect.DeepEqual(got, []int64{1}) {
		t.Errorf("after rolled back move: Due = %v, want [1]", got)
	}
	c.Due = time.Time{}
	update(t, db, func(tx *store.Tx) error { return tx.PutClient(c) })
	if got, _ := db.Due(t0.Add(1000*time.Hour), 0); len(got) != 0 {
		t.Errorf("after clearing due: Due = %v, want none", got)
	}
}

func TestSessions(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, s := range []store.Session{
			{ChatID: 1, Date: "2026-02-20", Note: "first"},
			{ChatID: 1, Date: "2026-01-05"},
			{ChatID: 2, Date: "2026-03-01"},
			{ChatID: 1, Date: "2026-02-20", Note: "replaced", Intention: "rest"},
		} {
			if err := tx.AddSession(s); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		ss, err := tx.Sessions(1)
		if err != nil {
			return err
		}
		if len(ss) != 2 || ss[0].Date != "2026-01-05" || ss[1].Note != "replaced" {
			t.Errorf("Sessions(1) = %+v", ss)
		}
		l, err := tx.LatestSession(1)
		if err != nil || l.Date != "2026-02-20" {
			t.Errorf("LatestSession(1) = %+v, %v", l, err)
		}
		l, err = tx.LatestSession(2)
		if err != nil || l.Date != "2026-03-01" {
			t.Errorf("LatestSession(2) = %+v, %v", l, err)
		}
		if _, err := tx.LatestSession(3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestSession(3) = %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error { return tx.DeleteSession(1, "2026-02-20") })
	err := db.Update(func(tx *store.Tx) error { return tx.DeleteSession(1, "2026-02-20") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteSession = %v, want ErrNotFound", err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.AddSession(store.Session{ChatID: 1, Date: "1 March"}) }); err == nil {
		t.Error("AddSession with a bad date: no error")
	}
}

func TestDeliveries(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		for _, d := range []store.Delivery{
			{ChatID: 1, LocalDate: "2026-03-02", Day: 2, CreatedAt: t0.Add(2 * time.Hour), State: store.DeliveryOpen},
			{ChatID: 1, LocalDate: "2026-03-02", Day: 10, CreatedAt: t0.Add(time.Hour), Manual: true},
			{ChatID: 1, LocalDate: "2026-03-01", Day: 1, CreatedAt: t0},
			{ChatID: 1, LocalDate: "2026-02-28", Day: -1, CreatedAt: t0},
			{ChatID: 2, LocalDate: "2026-04-01", Day: 0, CreatedAt: t0},
		} {
			if err := tx.PutDelivery(d); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		d, err := tx.Delivery(1, "2026-03-02", 2)
		if err != nil || d.State != store.DeliveryOpen {
			t.Errorf("Delivery = %+v, %v", d, err)
		}
		if _, err := tx.Delivery(1, "2026-03-02", 3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delivery(missing) = %v, want ErrNotFound", err)
		}
		on, err := tx.DeliveryOn(1, "2026-03-02")
		if err != nil || len(on) != 2 || on[0].Day != 2 || on[1].Day != 10 {
			t.Errorf("DeliveryOn = %+v, %v", on, err)
		}
		all, err := tx.Deliveries(1)
		var days []int
		for _, d := range all {
			days = append(days, d.Day)
		}
		if err != nil || !reflect.DeepEqual(days, []int{-1, 1, 2, 10}) {
			t.Errorf("Deliveries days = %v, %v", days, err)
		}
		l, err := tx.LatestDelivery(1)
		if err != nil || l.Day != 2 {
			t.Errorf("LatestDelivery(1) = day %d, %v; want day 2 (created last on the latest date)", l.Day, err)
		}
		if l, err := tx.LatestDelivery(2); err != nil || l.Day != 0 {
			t.Errorf("LatestDelivery(2) = %+v, %v", l, err)
		}
		if _, err := tx.LatestDelivery(3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestDelivery(3) = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestReplies(t *testing.T) {
	db := mustOpen(t)
	var ids []uint64
	update(t, db, func(tx *store.Tx) error {
		for i, r := range []store.Reply{
			{ChatID: 1, Answer: "a", MessageID: 100, At: t0.Add(-time.Hour)},
			{ChatID: 2, Answer: "b", MessageID: 100},
			{ChatID: 1, Answer: "c", MessageID: 101, At: t0.Add(time.Hour)},
			{ChatID: 1, Answer: "journal", Kind: "journal"},
		} {
			if err := tx.AddReply(&r); err != nil {
				return err
			}
			if i > 0 && r.ID <= ids[len(ids)-1] {
				t.Errorf("reply id %d not increasing after %d", r.ID, ids[len(ids)-1])
			}
			ids = append(ids, r.ID)
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		r, err := tx.Reply(1, ids[3])
		if err != nil || r.At != t0 || r.Answer != "journal" {
			t.Errorf("Reply = %+v, %v; want At set from Now", r, err)
		}
		if _, err := tx.Reply(2, ids[0]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Reply of another chat = %v, want ErrNotFound", err)
		}
		r, err = tx.ReplyByMessage(2, 100)
		if err != nil || r.Answer != "b" {
			t.Errorf("ReplyByMessage(2, 100) = %+v, %v", r, err)
		}
		if _, err := tx.ReplyByMessage(1, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ReplyByMessage(missing) = %v", err)
		}
		rs, err := tx.Replies(1, time.Time{})
		if err != nil || len(rs) != 3 || rs[0].Answer != "a" || rs[2].Answer != "journal" {
			t.Errorf("Replies(1, zero) = %+v, %v", rs, err)
		}
		rs, err = tx.Replies(1, t0)
		if err != nil || len(rs) != 2 || rs[0].Answer != "c" {
			t.Errorf("Replies(1, t0) = %+v, %v", rs, err)
		}
		return nil
	})
	// An edit: the old version goes into Edits, the message index follows.
	update(t, db, func(tx *store.Tx) error {
		r, err := tx.ReplyByMessage(1, 100)
		if err != nil {
			return err
		}
		r.Edits = append(r.Edits, store.Edit{At: r.At, Answer: r.Answer})
		r.Answer, r.MessageID = "a, edited", 102
		return tx.PutReply(r)
	})
	view(t, db, func(tx *store.Tx) error {
		if _, err := tx.ReplyByMessage(1, 100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old message id still indexed: %v", err)
		}
		r, err := tx.ReplyByMessage(1, 102)
		if err != nil || r.Answer != "a, edited" || len(r.Edits) != 1 {
			t.Errorf("edited reply = %+v, %v", r, err)
		}
		return nil
	})
	err := db.Update(func(tx *store.Tx) error { return tx.PutReply(store.Reply{ChatID: 1, ID: 999}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutReply(missing) = %v, want ErrNotFound", err)
	}
}

func TestOutbox(t *testing.T) {
	db := mustOpen(t)
	update(t, db, func(tx *store.Tx) error {
		return tx.PutDelivery(store.Delivery{ChatID: 1, LocalDate: "2026-03-01", Day: 0, Questions: []string{"mood"}, State: store.DeliveryOpen})
	})
	var q, plain, other store.Outgoing
	update(t, db, func(tx *store.Tx) error {
		q = store.Outgoing{ChatID: 1, Text: "How are you?", LocalDate: "2026-03-01", Day: 0, QuestionID: "mood",
			Keyboard: [][]store.Button{{{Text: "1", Data: "s:1"}}}}
		plain = store.Outgoing{ChatID: 1, Text: "Thank you."}
		other = store.Outgoing{ChatID: 2, Text: "hi", DocumentName: "a.csv", Document: []byte("x,y\n")}
		for _, o := range []*store.Outgoing{&q, &plain, &other} {
			if err := tx.Enqueue(o); err != nil {
				return err
			}
		}
		return nil
	})
	if !(q.ID < plain.ID && plain.ID < other.ID) || q.CreatedAt != t0 {
		t.Fatalf("ids %d %d %d, created %s", q.ID, plain.ID, other.ID, q.CreatedAt)
	}
	view(t, db, func(tx *store.Tx) error {
		out, err := tx.Outbox(2)
		if err != nil || len(out) != 2 || out[0].ID != q.ID || out[1].ID != plain.ID {
			t.Errorf("Outbox(2) = %+v, %v", out, err)
		}
		out, _ = tx.Outbox(0)
		if len(out) != 3 || !reflect.DeepEqual(out[2], other) || !reflect.DeepEqual(out[0].Keyboard, q.Keyboard) {
			t.Errorf("Outbox(0) = %+v", out)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error {
		if err := tx.Sent(q.ID, 555); err != nil {
			return err
		}
		if err := tx.Sent(q.ID, 555); err != nil { // repeated: no error
			return err
		}
		if err := tx.Sent(plain.ID, 556); err != nil {
			return err
		}
		o := other
		o.Attempts = 2
		if err := tx.PutOutgoing(o); err != nil {
			return err
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		d, err := tx.Delivery(1, "2026-03-01", 0)
		if err != nil || d.Messages["mood"] != 555 || d.SentAt != t0 {
			t.Errorf("delivery after Sent = %+v, %v", d, err)
		}
		out, _ := tx.Outbox(0)
		if len(out) != 1 || out[0].ID != other.ID || out[0].Attempts != 2 {
			t.Errorf("Outbox after Sent = %+v", out)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error { return tx.DropOutgoing(other.ID) })
	update(t, db, func(tx *store.Tx) error { return tx.DropOutgoing(other.ID) })
	view(t, db, func(tx *store.Tx) error {
		if out, _ := tx.Outbox(0); len(out) != 0 {
			t.Errorf("Outbox after drop = %+v", out)
		}
		return nil
	})
}

func TestInvitesAndKV(t *testing.T) {
	db := mustOpen(t)
	inv := store.Invite{Code: "k7Q2x", Coach: 9, CreatedAt: t0, ExpiresAt: t0.Add(72 * time.Hour)}
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutInvite(inv); err != nil {
			return err
		}
		if err := tx.Put("coach_digest", "9", []byte("2026-03-01")); err != nil {
			return err
		}
		return tx.Put("other", "9", nil)
	})
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Invite("k7Q2x")
		if err != nil || !reflect.DeepEqual(got, inv) {
			t.Errorf("Invite = %+v, %v", got, err)
		}
		if _, err := tx.Invite("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Invite(nope) = %v", err)
		}
		if _, err := tx.Invite(""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Invite(empty) = %v", err)
		}
		v, ok := tx.Get("coach_digest", "9")
		if !ok || string(v) != "2026-03-01" {
			t.Errorf("Get = %q, %v", v, ok)
		}
		if v, ok := tx.Get("other", "9"); !ok || len(v) != 0 {
			t.Errorf("Get(empty value) = %q, %v", v, ok)
		}
		if _, ok := tx.Get("coach", "_digest9"); ok {
			t.Error("namespaces overlap")
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error { return tx.Delete("coach_digest", "9") })
	view(t, db, func(tx *store.Tx) error {
		if _, ok := tx.Get("coach_digest", "9"); ok {
			t.Error("Get after Delete: found")
		}
		return nil
	})
	if err := db.Update(func(tx *store.Tx) error { return tx.Put("", "k", nil) }); err == nil {
		t.Error("Put with empty namespace: no error")
	}
}

func TestWriteInViewFails(t *testing.T) {
	db := mustOpen(t)
	err := db.View(func(tx *store.Tx) error { return tx.PutClient(client(1, t0)) })
	if err == nil {
		t.Error("PutClient in View: no error")
	}
}

func TestApplyUpdate(t *testing.T) {
	db := mustOpen(t)
	add := func(answer string) func(*store.Tx) error {
		return func(tx *store.Tx) error { return tx.AddReply(&store.Reply{ChatID: 1, Answer: answer}) }
	}
	for _, tc := range []struct {
		id      int64
		applied bool
		offset  int64
	}{
		{10, true, 10}, {10, false, 10}, {12, true, 12}, {11, true, 12}, {11, false, 12}, {9, true, 12}, {12, false, 12},
	} {
		applied, err := db.ApplyUpdate(tc.id, add(fmt.Sprint(tc.id)))
		if err != nil {
			t.Fatal(err)
		}
		off, _ := db.Offset()
		if applied != tc.applied || off != tc.offset {
			t.Errorf("ApplyUpdate(%d) = applied %v, offset %d; want %v, %d", tc.id, applied, off, tc.applied, tc.offset)
		}
	}
	var n int
	view(t, db, func(tx *store.Tx) error { rs, err := tx.Replies(1, time.Time{}); n = len(rs); return err })
	if n != 4 {
		t.Errorf("%d replies stored, want 4 (10, 12, 11, 9)", n)
	}

	// A failing update stores nothing and leaves the offset alone.
	boom := errors.New("boom")
	applied, err := db.ApplyUpdate(20, func(tx *store.Tx) error {
		if err := add("lost")(tx); err != nil {
			return err
		}
		return boom
	})
	off, _ := db.Offset()
	if !errors.Is(err, boom) || applied || off != 12 {
		t.Errorf("failing ApplyUpdate: %v, applied %v, offset %d", err, applied, off)
	}
	view(t, db, func(tx *store.Tx) error { rs, err := tx.Replies(1, time.Time{}); n = len(rs); return err })
	if n != 4 {
		t.Errorf("%d replies after a failed update, want 4", n)
	}
	if applied, err := db.ApplyUpdate(20, add("20")); err != nil || !applied {
		t.Errorf("retried update 20: %v, %v", applied, err)
	}
	if _, err := db.ApplyUpdate(0, add("x")); err == nil {
		t.Error("ApplyUpdate(0): no error")
	}

	// SetOffset only raises, and marks the id applied.
	update(t, db, func(tx *store.Tx) error {
		if err := tx.SetOffset(25); err != nil {
			return err
		}
		return tx.SetOffset(3)
	})
	if off, _ := db.Offset(); off != 25 {
		t.Errorf("offset %d after SetOffset(25), SetOffset(3)", off)
	}
	if applied, _ := db.ApplyUpdate(25, add("25")); applied {
		t.Error("update 25 applied after SetOffset(25)")
	}
}

func TestApplyUpdateWindow(t *testing.T) {
	db := mustOpen(t)
	noop := func(*store.Tx) error { return nil }
	update(t, db, func(tx *store.Tx) error {
		for id := int64(1); id <= 10; id++ {
			if err := tx.SetOffset(id); err != nil {
				return err
			}
		}
		return tx.SetOffset(30_000)
	})
	for _, tc := range []struct {
		id      int64
		applied bool
	}{{5, false}, {11, false}, {19_999, false}, {20_001, true}, {30_000, false}} {
		if applied, err := db.ApplyUpdate(tc.id, noop); err != nil || applied != tc.applied {
			t.Errorf("ApplyUpdate(%d) = %v, %v; want %v", tc.id, applied, err, tc.applied)
		}
	}
}

// TestBatchConcurrent runs many ApplyUpdate calls at once, each update sent
// twice (a replay) from different goroutines: each is stored exactly once
// even though bbolt may run a batched function more than once.
func TestBatchConcurrent(t *testing.T) {
	db := mustOpen(t)
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[uint64]bool{}
	appliedCount := 0
	for i := range 2 * n {
		wg.Go(func() {
			upd := int64(i%n + 1)
			var r store.Reply
			applied, err := db.ApplyUpdate(upd, func(tx *store.Tx) error {
				r = store.Reply{ChatID: 1 + upd%4, Answer: fmt.Sprint(upd), MessageID: int(upd)}
				if upd%50 == 0 {
					if err := tx.AddReply(&r); err != nil {
						return err
					}
					return errors.New("fails every time") // forces bbolt to rerun the batch
				}
				return tx.AddReply(&r)
			})
			mu.Lock()
			defer mu.Unlock()
			if upd%50 == 0 {
				if err == nil {
					t.Errorf("update %d: no error", upd)
				}
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			if applied {
				appliedCount++
				if ids[r.ID] {
					t.Errorf("reply id %d returned twice", r.ID)
				}
				ids[r.ID] = true
			}
		})
	}
	wg.Wait()
	if want := n - n/50; appliedCount != want {
		t.Errorf("%d updates applied, want %d", appliedCount, want)
	}
	stored := 0
	view(t, db, func(tx *store.Tx) error {
		for chat := int64(1); chat <= 4; chat++ {
			rs, err := tx.Replies(chat, time.Time{})
			if err != nil {
				return err
			}
			for _, r := range rs {
				if !ids[r.ID] {
					t.Errorf("stored reply %d (%s) not returned to its writer", r.ID, r.Answer)
				}
				got, err := tx.ReplyByMessage(chat, r.MessageID)
				if err != nil || got.ID != r.ID {
					t.Errorf("ReplyByMessage(%d) = %d, %v", r.MessageID, got.ID, err)
				}
			}
			stored += len(rs)
		}
		return nil
	})
	if stored != appliedCount {
		t.Errorf("%d replies stored, %d applied", stored, appliedCount)
	}
	if off, _ := db.Offset(); off != n-1 {
		t.Errorf("offset %d, want %d", off, n-1)
	}
}

func TestClosed(t *testing.T) {
	db := mustOpen(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := db.Due(t0, 0); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Due after Close = %v, want ErrClosed", err)
	}
}
