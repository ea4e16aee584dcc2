package bot_test

import (
	"context"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegram"
)

// TestConversationIsNotQueuedBehindABroadcast: while the morning's first
// questions go out to 300 clients at a slow global rate, a client who
// writes to kindling is answered at once, not after the broadcast.
func TestConversationIsNotQueuedBehindABroadcast(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")), withSender(func(s *telegram.Sender) { s.Rate = 50 }))
	talker := h.user(5001, "Tal")
	h.onboard(talker, "America/New_York", "10:00", "2026-03-01")

	at := ny("2026-03-02 09:00")
	err := h.db.Update(func(tx *store.Tx) error {
		for i := range 300 {
			id := int64(600000 + i)
			h.srv.User(id, "C", "en")
			c := store.Client{ChatID: id, UserID: id, Name: "C", Language: "en", TimeZone: "America/New_York",
				SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive,
				ConsentAt: at.Add(-48 * time.Hour), CreatedAt: at.Add(-48 * time.Hour), Due: at}
			if err := tx.PutClient(c); err != nil {
				return err
			}
			if err := tx.AddSession(store.Session{ChatID: id, Date: "2026-03-01", CreatedAt: c.CreatedAt}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Set(at)
	if st, err := h.sched.Tick(context.Background(), at); err != nil || st.Started != 300 {
		t.Fatalf("tick: %+v, %v", st, err)
	}
	h.bot.Wake()

	// The broadcast takes 6 s at 50/s; the answer to /help must not wait for it.
	before := len(h.srv.Messages(talker.ID()))
	talker.Send("/help")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.srv.WaitMessages(ctx, talker.ID(), before+1); err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, c := range h.srv.Calls("sendMessage") {
		if c.Status == 200 && c.Params["chat_id"] != "5001" {
			sent++
		}
	}
	if sent > 100 {
		t.Errorf("the answer to /help came after %d of the 300 broadcast messages; want it ahead of most of them", sent)
	}
	t.Logf("answered after %d broadcast messages", sent)
	h.settle()
}
