package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	tgbot "github.com/go-telegram/bot"

	"kindling/telegram"
)

// ---- Sender.Do on its own ----

func fastSender() *telegram.Sender {
	return &telegram.Sender{Rate: 1000, PerChat: -1, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, RetryAfterUnit: 40 * time.Millisecond}
}

// TestSenderPausesOnWrappedTooMany: a 429 wrapped by a caller (so the
// library's IsTooManyRequestsError misses it) still pauses every call for
// retry_after, the one that got it and the others.
func TestSenderPausesOnWrappedTooMany(t *testing.T) {
	s := fastSender()
	ctx := context.Background()
	var (
		calls     atomic.Int32
		hitAt     time.Time
		otherAt   time.Time
		otherDone = make(chan error, 1)
	)
	start := time.Now()
	err := s.Do(ctx, 1, func(context.Context) error {
		if calls.Add(1) > 1 {
			return nil
		}
		hitAt = time.Now()
		// Another chat's call, made once the 429 was taken in.
		go func() {
			for s.Stats().Paused == 0 {
				time.Sleep(time.Millisecond)
			}
			otherDone <- s.Do(ctx, 2, func(context.Context) error {
				otherAt = time.Now()
				return nil
			})
		}()
		return fmt.Errorf("send message: %w", &tgbot.TooManyRequestsError{Message: "too many requests", RetryAfter: 3})
	})
	if err != nil {
		t.Fatalf("Do after one 429: %v", err)
	}
	if err := <-otherDone; err != nil {
		t.Fatal(err)
	}
	pause := 3 * s.RetryAfterUnit
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want the call and one retry", calls.Load())
	}
	if waited := time.Since(start); waited < pause {
		t.Fatalf("retried after %s, want at least retry_after (%s)", waited, pause)
	}
	if d := otherAt.Sub(hitAt); d < pause-time.Millisecond {
		t.Fatalf("another chat's call went out %s after the 429, want at least %s", d, pause)
	}
	st := s.Stats()
	if st.TooMany != 1 || st.Sent != 2 || st.Paused < pause-5*time.Millisecond {
		t.Fatalf("stats %+v", st)
	}
}

func TestSenderErrors(t *testing.T) {
	forbidden := fmt.Errorf("%w, Forbidden: bot was blocked by the user", tgbot.ErrorForbidden)
	notFound := fmt.Errorf("%w, Bad Request: chat not found", tgbot.ErrorBadRequest)
	deactivated := fmt.Errorf("%w, Forbidden: user is deactivated", tgbot.ErrorForbidden)
	badRequest := fmt.Errorf("%w, Bad Request: message text is empty", tgbot.ErrorBadRequest)
	server := fmt.Errorf("post: %w", &telegram.ServerError{Status: 502})
	network := errors.New("connection reset by peer")
	for _, tc := range []struct {
		name      string
		errs      []error // returned by successive calls; nil after
		attempts  int
		wantCalls int
		wantIs    error // nil: success
		reason    string
	}{
		{"5xx retried", []error{server, server}, 0, 3, nil, "server"},
		{"network retried", []error{network}, 0, 2, nil, "network"},
		{"5xx until attempts run out", []error{server, server, server, server}, 3, 3, server, "server"},
		{"blocked is unreachable at once", []error{forbidden}, 0, 1, telegram.ErrUnreachable, "unreachable"},
		{"chat not found is not unreachable", []error{notFound}, 0, 1, telegram.ErrChatNotFound, "chat_not_found"},
		{"wrapped chat not found", []error{fmt.Errorf("send: %w", notFound)}, 0, 1, telegram.ErrChatNotFound, "chat_not_found"},
		{"another 403 is taken as chat not found", []error{deactivated}, 0, 1, telegram.ErrChatNotFound, "chat_not_found"},
		{"other 400 is rejected", []error{badRequest}, 0, 1, telegram.ErrRejected, "rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fastSender()
			s.Attempts = tc.attempts
			calls := 0
			err := s.Do(context.Background(), 7, func(context.Context) error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
			switch {
			case tc.wantIs == nil && err != nil:
				t.Fatalf("Do: %v", err)
			case tc.wantIs == server:
				var se *telegram.ServerError
				if !errors.As(err, &se) || se.Status != 502 {
					t.Fatalf("Do = %v, want the last *ServerError", err)
				}
			case tc.wantIs != nil && !errors.Is(err, tc.wantIs):
				t.Fatalf("Do = %v, want %v", err, tc.wantIs)
			}
			if got := s.Stats().Failed[tc.reason]; got == 0 {
				t.Errorf("failures by reason %v, want %q counted", s.Stats().Failed, tc.reason)
			}
		})
	}
}

func TestSenderStopsWithItsContext(t *testing.T) {
	s := fastSender()
	s.RetryAfterUnit = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Do(ctx, 1, func(context.Context) error {
		return &tgbot.TooManyRequestsError{Message: "too many requests", RetryAfter: 1}
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v, want the context's error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Do waited out retry_after after its context ended")
	}
}

func TestSenderPerChatSpacing(t *testing.T) {
	s := &telegram.Sender{Rate: 1000, PerChat: 30 * time.Millisecond, Backoff: time.Millisecond}
	var times []time.Time
	start := time.Now()
	for range 4 {
		if err := s.Do(context.Background(), 9, func(context.Context) error {
			times = append(times, time.Now())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Each message has its own slot 30 ms after the one before.
	for i, at := range times {
		if d := at.Sub(start); d < time.Duration(i)*30*time.Millisecond {
			t.Fatalf("message %d to one chat sent %s after the first was asked for, want at least %dms", i, d, i*30)
		}
	}
}

func TestSenderGlobalRate(t *testing.T) {
	s := &telegram.Sender{Rate: 100, PerChat: -1}
	start := time.Now()
	for chat := range int64(11) {
		if err := s.Do(context.Background(), chat+1, func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// 11 calls at 100 a second: the last one 100 ms after the first.
	if took := time.Since(start); took < 95*time.Millisecond {
		t.Fatalf("11 calls to different chats took %s, want at least 100ms at 100/s", took)
	}
}

// TestSenderKeepsItsRateAfterAPause: 50 calls to as many chats wait for
// their slots at 100 a second when the one going out 100 ms after the
// start is answered 429 (retry after 1 s). The slots of the 39 after it
// fell inside the pause; after it they go at the rate again, one slot
// each, instead of all at once at its end (which Telegram would answer
// with more 429s). Time is the bubble's.
func TestSenderKeepsItsRateAfterAPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &telegram.Sender{Rate: 100, PerChat: -1}
		start := time.Now()
		var (
			mu    sync.Mutex
			sent  []time.Duration
			first atomic.Bool
			wg    sync.WaitGroup
		)
		for chat := range int64(50) {
			wg.Go(func() {
				err := s.Do(context.Background(), chat+1, func(context.Context) error {
					if time.Since(start) >= 100*time.Millisecond && first.CompareAndSwap(false, true) {
						return &tgbot.TooManyRequestsError{Message: "too many requests", RetryAfter: 1}
					}
					mu.Lock()
					sent = append(sent, time.Since(start))
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(sent) != 50 {
			t.Fatalf("%d calls went out, want 50", len(sent))
		}
		slices.Sort(sent)
		for _, at := range sent {
			if at > 100*time.Millisecond && at < 1100*time.Millisecond {
				t.Errorf("a call went out %s after the start, inside the pause of 1 s", at)
			}
		}
		// At 100 a second with a burst of 1, any 50 ms hold at most 6.
		if most, from := telegram.MostWithin(sent, 50*time.Millisecond); most > 6 {
			t.Fatalf("%d calls within 50 ms from %s after the start, want at most 6 at 100 a second: %v", most, from, sent)
		}
	})
}
