package bot_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"kindling/bot"
	"kindling/prompts"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

// urgentHold stands for the sender's 30 s in the tests below, which run
// in real time: a 429's pause is a real minute, and the urgent hold a
// hundredth of 30 s.
const urgentHold = 300 * time.Millisecond

func pausedHarness(t *testing.T, coach bot.Coach) *harness {
	return newHarness(t, startingAt(ny("2026-03-01 07:00")), withCoaches(coach), withSender(func(s *telegram.Sender) {
		s.RetryAfterUnit = time.Second // as Telegram means it
		s.MaxPause = time.Minute
		s.UrgentHold = urgentHold
	}))
}

// pauseSender makes Telegram answer the next message 429 with
// retry_after 100000 and waits until that answer came.
func pauseSender(t *testing.T, h *harness, u *telegramtest.User) {
	t.Helper()
	h.srv.Fail("sendMessage", 1, telegramtest.TooMany(100000))
	u.Send("/help")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Wait(ctx, func() bool { return h.srv.Responses(http.StatusTooManyRequests) == 1 }); err != nil {
		t.Fatalf("no 429 answered: %v", err)
	}
}

// TestCrisisReplyWithin30sOfAHugeRetryAfter: after a 429 asking for
// 100,000 s, which holds ordinary messages for telegram.max_pause, a
// client writes crisis words: the crisis reply and the coach's alert go
// out within the urgent hold, ahead of the reply the pause holds.
func TestCrisisReplyWithin30sOfAHugeRetryAfter(t *testing.T) {
	coach := bot.Coach{ID: 9100, Name: "Dana", TimeZone: "America/New_York"}
	h := pausedHarness(t, coach)
	dana := h.user(coach.ID, "Dana")
	u := h.user(1001, "Ana")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	before, coachBefore := len(u.Messages()), len(dana.Messages())

	pauseSender(t, h, u)
	start := time.Now()
	u.Send("I want to die")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := h.srv.WaitMessages(ctx, u.ID(), before+1)
	if err != nil {
		t.Fatalf("no crisis reply during the pause: %v", err)
	}
	took := time.Since(start)
	if _, err := h.srv.WaitMessages(ctx, dana.ID(), coachBefore+1); err != nil {
		t.Fatalf("no alert to the coach during the pause: %v", err)
	}
	if took > urgentHold+time.Second {
		t.Errorf("the crisis reply came %s after the message, want within the urgent hold (%s)", took, urgentHold)
	}
	// Only what is urgent comes during the pause: the crisis reply, and
	// perhaps already the line saying the alert reached someone.
	got = u.Messages()
	want := []string{crisisReply("en", nil, "crisis_reaching_team"), langWords("en", "crisis_told_team", prompts.Vars{})}
	if len(got) < before+1 || len(got) > before+2 || got[before].Text != want[0] ||
		(len(got) == before+2 && got[before+1].Text != want[1]) {
		t.Fatalf("during the pause the client got %q, want only the crisis reply (and the line that the alert reached someone)", messageTexts(got[before:]))
	}
	// The reply to /help is still held by the pause, which is the
	// minute of max_pause, not 100,000 s.
	urgentLeft := func() (n int) {
		for _, o := range h.outbox() {
			if o.Urgent {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(5 * time.Second); urgentLeft() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // the sends are recorded just after Telegram took them
	}
	if n := urgentLeft(); n > 0 {
		t.Errorf("%d urgent rows still wait", n)
	}
	if len(h.outbox()) == 0 {
		t.Error("nothing waits: the pause held nothing back")
	}
	if st := h.sender.Stats(); st.LongRetryAfter != 1 {
		t.Errorf("LongRetryAfter = %d, want 1", st.LongRetryAfter)
	}
}

// TestUrgentRowIsTriedUntilDelivered: an urgent row that Telegram keeps
// answering 429 (retry_after 100000) is tried again once per urgent hold,
// not in a hot loop, and goes out when Telegram takes it.
func TestUrgentRowIsTriedUntilDelivered(t *testing.T) {
	coach := bot.Coach{ID: 9100, Name: "Dana"}
	h := pausedHarness(t, coach)
	u := h.user(1001, "Ana")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	before := len(u.Messages())
	h.srv.Fail("sendMessage", 4, telegramtest.TooMany(100000))
	err := h.db.Update(func(tx *store.Tx) error {
		return tx.Enqueue(&store.Outgoing{ChatID: u.ID(), Text: "urgent words", Urgent: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.bot.Wake()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := h.srv.WaitMessages(ctx, u.ID(), before+1)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if got[before].Text != "urgent words" {
		t.Fatalf("sent %q", got[before].Text)
	}
	// Four 429s, each followed by one hold: about 4 holds, and at least 4
	// (a hot loop would be quicker; more than one hold per 429 slower).
	if took < 4*urgentHold || took > 4*urgentHold+2*time.Second {
		t.Errorf("delivered %s after four 429s, want about %s", took, 4*urgentHold)
	}
	if n := h.srv.Responses(http.StatusTooManyRequests); n != 4 {
		t.Errorf("%d answers 429, want 4: one try per hold", n)
	}
}
