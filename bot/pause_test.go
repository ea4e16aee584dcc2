package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tgbot "github.com/go-telegram/bot"

	"kindling/telegram"
	"kindling/telegramtest"
)

// tooMany is the error the Telegram library returns for a 429.
func tooMany(retryAfter int) error {
	return fmt.Errorf("send message: %w", &tgbot.TooManyRequestsError{Message: "too many requests", RetryAfter: retryAfter})
}

func quietSender() *telegram.Sender {
	return &telegram.Sender{Rate: 1000, PerChat: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestHugeRetryAfterIsCappedAtMaxPause: a 429 asking for 100,000 s
// pauses calls for MaxPause (60 s by default), is counted, and the call
// is tried again then; a new 429 pauses again. Time is the bubble's.
func TestHugeRetryAfterIsCappedAtMaxPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := quietSender()
		start := time.Now()
		var tries []time.Duration
		err := s.Do(context.Background(), 1, func(context.Context) error {
			tries = append(tries, time.Since(start))
			if len(tries) <= 2 {
				return tooMany(100000)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{0, time.Minute, 2 * time.Minute}
		if len(tries) != len(want) {
			t.Fatalf("tried at %v, want %v", tries, want)
		}
		for i := range want {
			if tries[i] != want[i] {
				t.Fatalf("tried at %v, want %v", tries, want)
			}
		}
		if st := s.Stats(); st.LongRetryAfter != 2 || st.TooMany != 2 {
			t.Errorf("stats %+v, want 2 retry_after answers cut to max_pause", st)
		}

		// A configured MaxPause holds too, and a short retry_after is
		// honoured as it is and not counted.
		s = quietSender()
		s.MaxPause = 5 * time.Second
		start = time.Now()
		n := 0
		if err := s.Do(context.Background(), 1, func(context.Context) error {
			if n++; n == 1 {
				return tooMany(100000)
			}
			if n == 2 {
				return tooMany(3)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 8*time.Second {
			t.Errorf("with max_pause 5s a 100000 then a 3 took %s, want 8s", got)
		}
		if st := s.Stats(); st.LongRetryAfter != 1 {
			t.Errorf("LongRetryAfter = %d, want 1", st.LongRetryAfter)
		}
	})
}

// TestUrgentCallIsHeldAtMost30s: while a 429 pauses every call for a
// minute, an urgent call goes out within 30 s; when Telegram keeps
// answering it 429, it is tried again every 30 s, never more often, and
// ordinary calls keep waiting for the whole pause.
func TestUrgentCallIsHeldAtMost30s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := quietSender()
		ctx := context.Background()
		start := time.Now()
		var (
			mu       sync.Mutex
			ordinary time.Duration
		)
		var wg sync.WaitGroup
		wg.Go(func() {
			n := 0
			_ = s.Do(ctx, 1, func(context.Context) error {
				if n++; n == 1 {
					return tooMany(100000)
				}
				mu.Lock()
				ordinary = time.Since(start)
				mu.Unlock()
				return nil
			})
		})
		synctest.Wait() // the 429 has paused the sender

		var tries []time.Duration
		err := s.DoUrgent(ctx, 2, func(context.Context) error {
			tries = append(tries, time.Since(start))
			if len(tries) <= 3 {
				return tooMany(100000)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		// Its first try comes 30 s into the minute's pause; each 429
		// pauses again, and each try waits 30 s of it.
		want := []time.Duration{30 * time.Second, time.Minute, 90 * time.Second, 2 * time.Minute}
		if len(tries) != len(want) {
			t.Fatalf("urgent call tried at %v, want %v", tries, want)
		}
		for i := range want {
			if tries[i] != want[i] {
				t.Fatalf("urgent call tried at %v, want %v", tries, want)
			}
		}
		// The ordinary call sat out every pause: the last 429 came at
		// 1m30s and paused everyone else until 2m30s.
		if ordinary != 150*time.Second {
			t.Errorf("ordinary call went out at %s, want 2m30s, after the last pause", ordinary)
		}
	})
}

// TestUrgentCallKeepsPerChatSpacing: an urgent call does not wait for the
// global rate, but it keeps one second after the last message to its chat.
func TestUrgentCallKeepsPerChatSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &telegram.Sender{Rate: 1, PerChat: time.Second}
		ctx := context.Background()
		start := time.Now()
		for range 3 { // the global rate is now booked 3 s ahead
			if err := s.Do(ctx, 10, func(context.Context) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		booked := time.Since(start)
		var at time.Duration
		if err := s.DoUrgent(ctx, 10, func(context.Context) error { at = time.Since(start); return nil }); err != nil {
			t.Fatal(err)
		}
		if at != booked+time.Second {
			t.Errorf("urgent call to the same chat went at %s, want one second after the last (%s)", at, booked+time.Second)
		}
		begin := time.Since(start)
		if err := s.DoUrgent(ctx, 11, func(context.Context) error { at = time.Since(start); return nil }); err != nil {
			t.Fatal(err)
		}
		if at != begin {
			t.Errorf("urgent call to another chat waited %s for the global rate, want none", at-begin)
		}
	})
}

// TestGetUpdatesHugeRetryAfter: a 429 to getUpdates asking for 100,000 s
// holds polling for max_pause only; a client's message is then answered,
// and the long retry_after is counted.
func TestGetUpdatesHugeRetryAfter(t *testing.T) {
	h := newHarness(t, withSender(func(s *telegram.Sender) {
		s.RetryAfterUnit = time.Second // as Telegram means it
		s.MaxPause = 300 * time.Millisecond
	}))
	u := h.user(4401, "Ana")
	h.send(u, "/start")
	h.srv.Fail("getUpdates", 1, telegramtest.TooMany(100000))
	// The poller is in a long poll: a message ends it, and the fault
	// meets its next call.
	h.send(u, "/help")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Wait(ctx, func() bool { return h.srv.Responses(http.StatusTooManyRequests) == 1 }); err != nil {
		t.Fatal(err)
	}
	before := len(h.srv.Messages(u.ID()))
	u.Send("/help")
	if _, err := h.srv.WaitMessages(ctx, u.ID(), before+1); err != nil {
		t.Fatalf("no answer after a getUpdates 429 with retry_after 100000: %v", err)
	}
	if h.srv.Responses(http.StatusTooManyRequests) != 1 {
		t.Fatalf("%d answers 429, want the one injected", h.srv.Responses(http.StatusTooManyRequests))
	}
	if got := h.sender.Stats().LongRetryAfter; got != 1 {
		t.Errorf("LongRetryAfter = %d, want 1", got)
	}
	if !strings.Contains(h.log.String(), "longer than telegram.max_pause") {
		t.Errorf("the long retry_after was not logged:\n%s", h.log.String())
	}
}

// TestChatSpacingHoldsOnlyThatChat: a message waiting for its chat's
// one-second spacing does not hold back a message to another chat (it
// used to push the global rate's schedule a second ahead for everyone).
func TestChatSpacingHoldsOnlyThatChat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &telegram.Sender{Rate: 25, PerChat: time.Second}
		ctx := context.Background()
		start := time.Now()
		ok := func(context.Context) error { return nil }
		if err := s.Do(ctx, 1, ok); err != nil {
			t.Fatal(err)
		}
		var secondAt time.Duration
		var wg sync.WaitGroup
		wg.Go(func() {
			_ = s.Do(ctx, 1, func(context.Context) error { secondAt = time.Since(start); return nil })
		})
		synctest.Wait() // the second message to chat 1 waits for its slot
		var otherAt time.Duration
		if err := s.Do(ctx, 2, func(context.Context) error { otherAt = time.Since(start); return nil }); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if otherAt > 100*time.Millisecond {
			t.Errorf("a message to another chat went at %s, held back by chat 1's spacing", otherAt)
		}
		if secondAt < time.Second {
			t.Errorf("the second message to chat 1 went at %s, want a second after the first", secondAt)
		}
	})
}
