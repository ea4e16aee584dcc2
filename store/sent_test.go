package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"kindling/store"
)

// sentFixture writes a delivery of two questions and three outbox rows:
// its first question, the same question asked again (as a reminder does)
// and a plain message.
func sentFixture(t *testing.T, db *store.DB) (first, again, plain store.Outgoing) {
	t.Helper()
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutClient(client(1, t0.Add(24*time.Hour))); err != nil {
			return err
		}
		err := tx.PutDelivery(store.Delivery{ChatID: 1, LocalDate: "2026-03-01", Day: 1, Questions: []string{"mood", "note"},
			Asked: map[string]string{"mood": "How are you?"}, State: store.DeliveryOpen, CreatedAt: t0})
		if err != nil {
			return err
		}
		first = store.Outgoing{ChatID: 1, Text: "How are you?", LocalDate: "2026-03-01", Day: 1, QuestionID: "mood", Bulk: true,
			Keyboard: [][]store.Button{{{Text: "1", Data: "a|1"}}}}
		again = store.Outgoing{ChatID: 1, Text: "How are you, still?", LocalDate: "2026-03-01", Day: 1, QuestionID: "mood"}
		plain = store.Outgoing{ChatID: 1, Text: "Thank you."}
		for _, o := range []*store.Outgoing{&first, &again, &plain} {
			if err := tx.Enqueue(o); err != nil {
				return err
			}
		}
		return nil
	})
	return first, again, plain
}

// sentState is what a send leaves in the store: the delivery, its step
// brief, which delivery and question each message id names, and the
// outbox.
type sentState struct {
	delivery store.Delivery
	briefs   []store.DeliveryBrief
	byMsg    map[int]string
	outbox   []uint64
}

func readSent(t *testing.T, db *store.DB) sentState {
	t.Helper()
	var s sentState
	view(t, db, func(tx *store.Tx) error {
		var err error
		if s.delivery, err = tx.Delivery(1, "2026-03-01", 1); err != nil {
			return err
		}
		if s.briefs, err = tx.DeliveriesFrom(1, "2026-03-01"); err != nil {
			return err
		}
		s.byMsg = map[int]string{}
		for _, id := range []int{555, 556, 600} {
			d, q, err := tx.DeliveryByMessage(1, id)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			default:
				s.byMsg[id] = d.LocalDate + "/" + q
			}
		}
		rows, err := tx.Outbox(0)
		for _, o := range rows {
			s.outbox = append(s.outbox, o.ID)
		}
		return err
	})
	return s
}

// TestSentRowAsSent: marking rows sent from the copy the drain holds
// leaves the store as Sent does when it reads the rows itself: the
// delivery records the message, the message index names the question
// (the one asked last, when a question is asked again), the step brief
// is unchanged, the rows are gone; doing it again changes nothing. The
// store's Check (run when each database is closed) finds the indexes in
// step.
func TestSentRowAsSent(t *testing.T) {
	byRow, byID := mustOpen(t), mustOpen(t)
	first, again, plain := sentFixture(t, byRow)
	sentFixture(t, byID)
	before := readSent(t, byRow)

	steps := []struct {
		o   store.Outgoing
		msg int
	}{{first, 555}, {first, 555}, {plain, 556}, {again, 600}, {again, 600}}
	for i, s := range steps {
		update(t, byRow, func(tx *store.Tx) error { return tx.SentRow(&s.o, s.msg) })
		update(t, byID, func(tx *store.Tx) error { return tx.Sent(s.o.ID, s.msg) })
		got, want := readSent(t, byRow), readSent(t, byID)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after step %d: SentRow left %+v, Sent %+v", i, got, want)
		}
	}
	got := readSent(t, byRow)
	if got.delivery.Messages["mood"] != 600 || !got.delivery.SentAt.Equal(t0) {
		t.Errorf("delivery after the sends: messages %v, sent at %s", got.delivery.Messages, got.delivery.SentAt)
	}
	if !reflect.DeepEqual(got.byMsg, map[int]string{600: "2026-03-01/mood"}) {
		t.Errorf("message index after the question was asked again: %v", got.byMsg)
	}
	if !reflect.DeepEqual(got.briefs, before.briefs) {
		t.Errorf("step brief %+v, was %+v", got.briefs, before.briefs)
	}
	if len(got.outbox) != 0 {
		t.Errorf("outbox after the sends: %v", got.outbox)
	}
	want := before.delivery
	want.Messages, want.SentAt = map[string]int{"mood": 600}, t0
	if !reflect.DeepEqual(got.delivery, want) {
		t.Errorf("delivery after the sends:\n%+v, want\n%+v", got.delivery, want)
	}
}

// TestSentRowDeliveryGone: a question's row whose delivery was erased
// meanwhile is removed without error.
func TestSentRowDeliveryGone(t *testing.T) {
	db := mustOpen(t)
	first, _, _ := sentFixture(t, db)
	update(t, db, func(tx *store.Tx) error {
		if err := tx.Forget(1); err != nil {
			return err
		}
		return tx.Enqueue(&first) // the row alone, as if it outlived the rest
	})
	update(t, db, func(tx *store.Tx) error { return tx.SentRow(&first, 555) })
	view(t, db, func(tx *store.Tx) error {
		if tx.Waiting(first.ID) {
			t.Error("the row is still waiting")
		}
		if _, err := tx.Delivery(1, "2026-03-01", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delivery after SentRow = %v, want ErrNotFound", err)
		}
		return nil
	})
}

// TestChatFound: a message reaching a chat clears its client's note that
// Telegram did not find it, and changes nothing else of the client; a
// client without the note, or a chat that is no client's, is left alone.
func TestChatFound(t *testing.T) {
	db := mustOpen(t)
	due := t0.Add(24 * time.Hour)
	noted := client(1, due)
	noted.ChatNotFoundAt = t0.Add(-time.Hour)
	plain := client(2, due)
	update(t, db, func(tx *store.Tx) error {
		if err := tx.PutClient(noted); err != nil {
			return err
		}
		return tx.PutClient(plain)
	})
	update(t, db, func(tx *store.Tx) error {
		for _, chat := range []int64{1, 2, 3} {
			if err := tx.ChatFound(chat); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		want := noted
		want.ChatNotFoundAt = time.Time{}
		if c, err := tx.Client(1); err != nil || !reflect.DeepEqual(c, want) {
			t.Errorf("client 1 after ChatFound = %+v, %v; want %+v", c, err, want)
		}
		if c, err := tx.Client(2); err != nil || !reflect.DeepEqual(c, plain) {
			t.Errorf("client 2 after ChatFound = %+v, %v; want %+v", c, err, plain)
		}
		if _, err := tx.Client(3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("chat 3 after ChatFound = %v, want ErrNotFound", err)
		}
		if ids, err := tx.Due(due, 0); err != nil || !reflect.DeepEqual(ids, []int64{1, 2}) {
			t.Errorf("due after ChatFound = %v, %v", ids, err)
		}
		return nil
	})
}

// TestOutboxDrops: every write that removes outbox rows unsent is
// counted once it returns, in Update and in Batch; enqueueing, sending
// and reading are not.
func TestOutboxDrops(t *testing.T) {
	db := mustOpen(t)
	first, again, plain := sentFixture(t, db)
	count := db.OutboxDrops()
	step := func(what string, write func(func(*store.Tx) error) error, fn func(*store.Tx) error, counted bool) {
		t.Helper()
		if err := write(fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		n := db.OutboxDrops()
		if counted && n != count+1 || !counted && n != count {
			t.Errorf("%s: OutboxDrops went from %d to %d", what, count, n)
		}
		count = n
	}
	step("Sent", db.Update, func(tx *store.Tx) error { return tx.SentRow(&first, 555) }, false)
	step("View", db.View, func(tx *store.Tx) error { tx.Waiting(again.ID); return nil }, false)
	step("Enqueue", db.Batch, func(tx *store.Tx) error { return tx.Enqueue(&store.Outgoing{ChatID: 2, Text: "hi"}) }, false)
	step("DropOutgoing", db.Batch, func(tx *store.Tx) error { return tx.DropOutgoing(plain.ID) }, true)
	step("DropChatOutbox", db.Update, func(tx *store.Tx) error { return tx.DropChatOutbox(2) }, true)
	step("Forget", db.Batch, func(tx *store.Tx) error { return tx.Forget(1) }, true)
	step("Forget", db.Update, func(tx *store.Tx) error { return tx.Forget(1) }, true)
}
