package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// ErrUnreachable means Telegram will not deliver to the chat: the client
// blocked the bot (403 "blocked by the user"). The client is marked
// unreachable and their schedule stops.
var ErrUnreachable = errors.New("chat unreachable")

// ErrChatNotFound means Telegram did not find the chat: 400 "chat not
// found", or a 403 other than a block. Telegram answers so now and then
// for chats that exist, so the client is marked unreachable only when it
// still answers so a day after the first time (see Bot.Drain).
var ErrChatNotFound = errors.New("chat not found")

// ErrRejected means Telegram refused the request itself (a 400 other than
// "chat not found"); sending it again would not help.
var ErrRejected = errors.New("request rejected by telegram")

// ErrGone means the message to send no longer exists (its outbox row was
// dropped while the sender waited to retry): a call that returns it is
// not tried again.
var ErrGone = errors.New("outbox row gone")

// ServerError is a 5xx answer from the Bot API. It is produced by the
// HTTP client the sender gives the Telegram library, so it survives the
// library's wrapping and can be found with errors.As.
type ServerError struct {
	Status int
}

func (e *ServerError) Error() string { return fmt.Sprintf("telegram answered %d", e.Status) }

// SenderStats counts what the sender did; read with Stats.
type SenderStats struct {
	Sent    int64
	Failed  map[string]int64 // by reason
	TooMany int64            // 429 answers
	// LongRetryAfter counts 429 answers (of any call, getUpdates too)
	// whose retry_after was longer than MaxPause: each was cut to MaxPause.
	LongRetryAfter int64
	Paused         time.Duration // time spent honouring retry_after
	// MissedSlots counts calls held up past their slot (the process
	// starved of CPU, say) that took a new one, so that no second holds
	// more calls than the rate.
	MissedSlots int64
	LastSuccess time.Time
}

// Sender is the one way kindling calls Telegram. It keeps a global rate,
// one message per second per chat, honours a 429's retry_after for every
// call (up to MaxPause), retries 5xx and network errors with backoff, and
// reports chats that cannot be reached. An urgent call (DoUrgent) goes
// ahead of the global rate and is held by a pause for at most UrgentHold.
type Sender struct {
	// Rate is the most calls per second to Telegram (default 25).
	Rate float64
	// PerChat is the least time between two messages to one chat
	// (default 1s; negative: none).
	PerChat time.Duration
	// Attempts is how many times one call is tried (default 6).
	Attempts int
	// Backoff is the first wait after a 5xx or network error; it doubles
	// up to MaxBackoff (defaults 500ms and 30s).
	Backoff, MaxBackoff time.Duration
	// RetryAfterUnit is the length of one retry_after unit: a second, as
	// Telegram means it; tests shorten it.
	RetryAfterUnit time.Duration
	// MaxPause is the longest one 429 pauses every call (default 60s).
	// Telegram has asked for a day; a longer retry_after is logged and
	// counted, and calls are tried again after MaxPause (a new 429 then
	// pauses again).
	MaxPause time.Duration
	// UrgentHold is the longest a pause holds an urgent call before it is
	// tried again (default 30s).
	UrgentHold time.Duration
	// Logger receives the retry_after answers cut to MaxPause and the
	// failures of getUpdates (default slog.Default()).
	Logger *slog.Logger

	mu          sync.Mutex
	next        time.Time           // the next free global slot
	chatNext    map[int64]time.Time // the next free slot per chat
	sweepAt     int                 // chatNext is swept when longer (see wait)
	pausedUntil time.Time           // from the last 429

	sent    atomic.Int64
	tooMany atomic.Int64
	long    atomic.Int64 // retry_after longer than MaxPause
	paused  atomic.Int64 // nanoseconds
	late    atomic.Int64 // slots missed (see wait)
	lastOK  atomic.Int64 // unix nanoseconds
	failMu  sync.Mutex
	failed  map[string]int64
}

// Stats returns a snapshot of the counters.
func (s *Sender) Stats() SenderStats {
	s.failMu.Lock()
	failed := make(map[string]int64, len(s.failed))
	for k, v := range s.failed {
		failed[k] = v
	}
	s.failMu.Unlock()
	st := SenderStats{
		Sent: s.sent.Load(), Failed: failed, TooMany: s.tooMany.Load(),
		LongRetryAfter: s.long.Load(), Paused: time.Duration(s.paused.Load()), MissedSlots: s.late.Load(),
	}
	if ns := s.lastOK.Load(); ns != 0 {
		st.LastSuccess = time.Unix(0, ns)
	}
	return st
}

func (s *Sender) countFailure(reason string) {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	if s.failed == nil {
		s.failed = map[string]int64{}
	}
	s.failed[reason]++
}

// Do makes one Telegram call through the limits. chatID names the chat a
// message goes to (0 for calls that send no message, such as answering a
// button press, which only count against the global rate). It returns
// ErrUnreachable, ErrChatNotFound, ErrRejected, or the last error once
// attempts run out.
func (s *Sender) Do(ctx context.Context, chatID int64, call func(context.Context) error) error {
	return s.do(ctx, chatID, false, call)
}

// DoUrgent is Do for a crisis reply or a safety alert: it does not queue
// behind the global rate (the chat's spacing still holds), and a pause
// holds each try for at most UrgentHold, so it is tried at least that
// often until Telegram takes it or attempts run out.
func (s *Sender) DoUrgent(ctx context.Context, chatID int64, call func(context.Context) error) error {
	return s.do(ctx, chatID, true, call)
}

func (s *Sender) do(ctx context.Context, chatID int64, urgent bool, call func(context.Context) error) error {
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 6
	}
	backoff := s.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	maxBackoff := s.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 30 * time.Second
	}
	var last error
	storms := 0
	for try := 0; try < attempts; try++ {
		if err := s.wait(ctx, chatID, urgent); err != nil {
			return err
		}
		err := call(ctx)
		if err == nil {
			s.sent.Add(1)
			s.lastOK.Store(time.Now().UnixNano())
			return nil
		}
		last = err
		var tooMany *tgbot.TooManyRequestsError
		var server *ServerError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrGone):
			return err
		case errors.As(err, &tooMany):
			s.tooMany.Add(1)
			s.pause(tooMany.RetryAfter)
			// A 429 is Telegram asking us to wait, not a failure of the
			// message; only an endless storm gives up.
			if storms++; storms < maxStorm {
				try--
			}
			continue
		case errors.Is(err, tgbot.ErrorForbidden) && strings.Contains(strings.ToLower(err.Error()), "blocked by the user"):
			s.countFailure("unreachable")
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		case errors.Is(err, tgbot.ErrorForbidden), isChatNotFound(err):
			s.countFailure("chat_not_found")
			return fmt.Errorf("%w: %v", ErrChatNotFound, err)
		case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorNotFound):
			s.countFailure("rejected")
			return fmt.Errorf("%w: %v", ErrRejected, err)
		case errors.Is(err, tgbot.ErrorUnauthorized):
			s.countFailure("unauthorized")
			return err
		case errors.As(err, &server):
			s.countFailure("server")
		default:
			s.countFailure("network")
		}
		// Full jitter keeps many chats from retrying in step.
		d := backoff/2 + rand.N(backoff/2+1)
		if !sleep(ctx, d) {
			return ctx.Err()
		}
		backoff = min(backoff*2, maxBackoff)
	}
	return fmt.Errorf("telegram call failed after %d attempts: %w", attempts, last)
}

func isChatNotFound(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(strings.ToLower(err.Error()), "chat not found")
}

// IsBadRequest reports whether Telegram answered a call with 400.
func IsBadRequest(err error) bool { return errors.Is(err, tgbot.ErrorBadRequest) }

// IsForbidden reports whether Telegram answered a call with 403.
func IsForbidden(err error) bool { return errors.Is(err, tgbot.ErrorForbidden) }

// IsUnauthorized reports whether Telegram refused the token (401).
func IsUnauthorized(err error) bool { return errors.Is(err, tgbot.ErrorUnauthorized) }

// RetryAfter is the retry_after of a 429 answer, if err is one.
func RetryAfter(err error) (int, bool) {
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return tooMany.RetryAfter, true
	}
	return 0, false
}

// pause stops every call for retryAfter units from now, MaxPause at most.
func (s *Sender) pause(retryAfter int) {
	until := time.Now().Add(s.PauseFor(retryAfter, "send"))
	s.mu.Lock()
	if until.After(s.pausedUntil) {
		s.paused.Add(int64(until.Sub(maxTime(s.pausedUntil, time.Now()))))
		s.pausedUntil = until
	}
	// The slots after the pause start at its end, one at a time.
	s.next = maxTime(s.next, until)
	s.mu.Unlock()
}

// PauseFor is how long to wait after a 429 of retryAfter units: that
// long, at least one unit, at most MaxPause. A longer retry_after is
// logged and counted; what names the call for the log.
func (s *Sender) PauseFor(retryAfter int, what string) time.Duration {
	unit := s.RetryAfterUnit
	if unit <= 0 {
		unit = time.Second
	}
	limit := s.MaxPause
	if limit <= 0 {
		limit = time.Minute
	}
	d := time.Duration(max(retryAfter, 1)) * unit
	if retryAfter > 0 && (d > limit || d/unit != time.Duration(retryAfter)) { // the second test catches overflow
		s.long.Add(1)
		s.logger().Warn("telegram asked for a pause longer than telegram.max_pause; trying again after max_pause",
			"call", what, "retry_after", retryAfter, "max_pause", limit)
		d = limit
	}
	return d
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// chatSweep is the fewest chats chatNext holds before passed slots are
// forgotten.
const chatSweep = 4096

// PerSecond is the most calls a second the sender makes: Rate, or its
// default of 25.
func (s *Sender) PerSecond() float64 {
	if s.Rate <= 0 {
		return 25
	}
	return s.Rate
}

// wait sits out a pause, then reserves the next global slot (and chat
// slot) and sleeps until it. An urgent call is held by a pause for at
// most UrgentHold and does not queue behind the global rate.
func (s *Sender) wait(ctx context.Context, chatID int64, urgent bool) error {
	rate := s.PerSecond()
	interval := time.Duration(float64(time.Second) / rate)
	perChat := s.PerChat
	if perChat == 0 {
		perChat = time.Second
	}
	var holdUntil time.Time // zero: as long as the pause lasts
	if urgent {
		hold := s.UrgentHold
		if hold <= 0 {
			hold = 30 * time.Second
		}
		holdUntil = time.Now().Add(hold)
	}
	// The pause comes first and reserves nothing: calls waiting out a
	// pause must not push back the slots of one that may go before them.
	if _, err := s.sitOut(ctx, holdUntil); err != nil {
		return err
	}
	// Then the chat's slot, one per perChat. It is taken apart from the
	// global rate: a call waiting for its chat must not hold back calls
	// to other chats.
	if chatID != 0 && perChat > 0 {
		if err := s.waitChat(ctx, chatID, perChat); err != nil {
			return err
		}
	}
	// The global rate is a GCRA (a token bucket in virtual time): s.next
	// is the theoretical time of the next call, and up to burst calls may
	// go early after an idle gap. Any one-second window then holds at most
	// Rate + burst calls, which stays under Telegram's ~30/s at the default
	// 25/s (burst 1) and lets a busy sender keep its rate across the short
	// pauses between outbox batches. An urgent call takes the next slot
	// without waiting for it: one call over the rate, now and then.
	//
	// The window holds only if each call goes at its slot. A call held up
	// past it (the process starved of CPU, say) would go late together
	// with the calls of the slots after it, more in one second than the
	// rate; one held up more than late takes a new slot instead.
	burst := 1 + int(rate/200)
	late := max(lateSlot, 2*interval)
	for {
		s.mu.Lock()
		at := time.Now()
		if !urgent {
			at = maxTime(at, s.next.Add(-time.Duration(burst-1)*interval))
		}
		s.next = maxTime(s.next, at).Add(interval)
		if chatID != 0 && perChat > 0 {
			// The chat's next message keeps its distance from this one as sent.
			s.chatNext[chatID] = maxTime(s.chatNext[chatID], at.Add(perChat))
		}
		s.mu.Unlock()
		if d := time.Until(at); d > 0 && !sleep(ctx, d) {
			return ctx.Err()
		}
		// A 429 that arrived while we slept pauses us too. The slot was
		// taken before the pause and fell inside it, as did the slots of
		// every call waiting meanwhile: going at its end, they would all
		// go at once, into another 429. After a pause a call takes a new
		// slot, at the rate again (an urgent call takes none).
		paused, err := s.sitOut(ctx, holdUntil)
		switch {
		case err != nil || urgent:
			return err
		case paused:
			continue
		case time.Since(at) > late:
			s.late.Add(1)
			continue
		}
		return nil
	}
}

// lateSlot is how long past its slot a call may still go: a call held
// up longer takes a new slot (at a slow rate, two slots' spacing).
const lateSlot = 20 * time.Millisecond

// waitChat reserves the chat's next slot, one per perChat, and sleeps
// until it.
func (s *Sender) waitChat(ctx context.Context, chatID int64, perChat time.Duration) error {
	s.mu.Lock()
	now := time.Now()
	if s.chatNext == nil {
		s.chatNext = map[int64]time.Time{}
	}
	at := maxTime(now, s.chatNext[chatID])
	s.chatNext[chatID] = at.Add(perChat)
	// Forget the chats whose slot has passed now and then: when the map
	// has doubled since the last sweep (at least chatSweep), so that a
	// sweep costs a constant share of each call even when more chats than
	// that were sent to within perChat.
	if len(s.chatNext) > max(s.sweepAt, chatSweep) {
		for id, t := range s.chatNext {
			if t.Before(now) {
				delete(s.chatNext, id)
			}
		}
		s.sweepAt = 2 * len(s.chatNext)
	}
	s.mu.Unlock()
	if d := time.Until(at); d > 0 && !sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// sitOut sleeps until the pause of the last 429 ends, or until holdUntil
// when that is set and comes first; paused reports whether it slept.
func (s *Sender) sitOut(ctx context.Context, holdUntil time.Time) (paused bool, err error) {
	for {
		s.mu.Lock()
		until := s.pausedUntil
		s.mu.Unlock()
		if !holdUntil.IsZero() && until.After(holdUntil) {
			until = holdUntil
		}
		d := time.Until(until)
		if d <= 0 {
			return paused, nil
		}
		if !sleep(ctx, d) {
			return paused, ctx.Err()
		}
		paused = true
	}
}

// maxStorm is how many 429 answers one call sits out before it counts
// them as failed attempts.
const maxStorm = 50

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
