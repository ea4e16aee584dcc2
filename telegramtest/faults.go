package telegramtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is a failure Fail injects into the answer to a call.
type Fault struct {
	kind  faultKind
	reply reply
	delay time.Duration
}

type faultKind int

const (
	faultReply        faultKind = iota + 1 // answer with an error instead of doing the call
	faultDrop                              // close the connection without doing the call
	faultDropResponse                      // do the call, then close the connection unanswered
	faultDelay                             // do the call after a delay
)

var (
	// Forbidden answers 403 "Forbidden: bot was blocked by the user".
	Forbidden = APIError(http.StatusForbidden, "Forbidden: bot was blocked by the user")
	// ChatNotFound answers 400 "Bad Request: chat not found".
	ChatNotFound = APIError(http.StatusBadRequest, "Bad Request: chat not found")
	// Drop closes the connection without an answer and without doing the
	// call, as a network failure before Telegram received the request.
	Drop = Fault{kind: faultDrop}
	// DropResponse does the call, then closes the connection without an
	// answer: the message is sent but the bot cannot know it, as when the
	// network fails on the way back. A retry then sends it twice.
	DropResponse = Fault{kind: faultDropResponse}
)

// TooMany answers 429 "Too Many Requests: retry after N" with
// parameters.retry_after N.
func TooMany(retryAfter int) Fault {
	return Fault{kind: faultReply, reply: tooMany(retryAfter)}
}

// ServerError answers code, a 5xx status, with its standard text as the
// description, as Telegram does when its back end fails.
func ServerError(code int) Fault {
	text := http.StatusText(code)
	if text == "" {
		text = "Internal Server Error"
	}
	return APIError(code, text)
}

// APIError answers an error status (400 or above; anything lower is taken
// as 500) with a description.
func APIError(code int, description string) Fault {
	if code < http.StatusBadRequest {
		code = http.StatusInternalServerError
	}
	return Fault{kind: faultReply, reply: apiErr(code, description)}
}

// Delay does the call after d, or not at all if the client gives up first.
func Delay(d time.Duration) Fault {
	return Fault{kind: faultDelay, delay: d}
}

// String describes the fault for test failure messages.
func (f Fault) String() string {
	switch f.kind {
	case faultReply:
		return fmt.Sprintf("%d %s", f.reply.status, f.reply.description)
	case faultDrop:
		return "drop"
	case faultDropResponse:
		return "drop response"
	case faultDelay:
		return "delay " + f.delay.String()
	}
	return "no fault"
}

type faultRule struct {
	method string // lower case; "" for any method
	left   int    // calls left; negative for every call
	fault  Fault
}

// Fail injects f into the next n calls of method (case-insensitive; "" for
// any method). n <= 0 means every call until ClearFaults. Rules apply in the
// order they were added; a call consumes at most one.
func (s *Server) Fail(method string, n int, f Fault) {
	if n <= 0 {
		n = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: strings.ToLower(method), left: n, fault: f})
}

// ClearFaults removes every rule added with Fail.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(method string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	lower := strings.ToLower(method)
	for i, r := range s.faults {
		if r.method != "" && r.method != lower {
			continue
		}
		f := r.fault
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// Block makes every call aimed at the chat answer 403, as when a person
// blocks the bot or removes it from a group, until Unblock. Telegram also
// sends a my_chat_member update then; send one with RawUpdate if needed.
func (s *Server) Block(chatID int64) {
	s.setBlocked(chatID, true)
}

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) {
	s.setBlocked(chatID, false)
}

func (s *Server) setBlocked(chatID int64, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ := "private"
	if chatID < 0 {
		typ = "group"
	}
	s.chatLocked(chatID, typ).blocked = blocked
	s.notifyLocked()
}

// LimitRate enforces Telegram's flood limits on messages the bot sends
// (sendMessage, sendDocument, sendPhoto; edits, chat actions and callback
// answers are not counted): at most globalPerSecond in any sliding window of
// one second across all chats, and perChatPerSecond in one chat. A send
// beyond either answers 429 with retry_after, the whole seconds until the
// window has room again (at least 1), and is not counted. Zero disables a
// limit; LimitRate(0, 0) disables both. Time comes from Now.
func (s *Server) LimitRate(globalPerSecond, perChatPerSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = rateLimiter{global: globalPerSecond, perChat: perChatPerSecond}
}

// rateLimiter keeps the times of the sends in the last second.
type rateLimiter struct {
	global, perChat int
	all             []time.Time
	chats           map[int64][]time.Time
}

// allow reports whether a send to chatID may happen at now and records it
// if so; otherwise it returns the seconds to wait.
func (l *rateLimiter) allow(now time.Time, chatID int64) (retryAfter int, allowed bool) {
	if l.global <= 0 && l.perChat <= 0 {
		return 0, true
	}
	if l.chats == nil {
		l.chats = make(map[int64][]time.Time)
	}
	cutoff := now.Add(-time.Second)
	l.all = prune(l.all, cutoff)
	chat := prune(l.chats[chatID], cutoff)
	var wait time.Duration
	if l.global > 0 && len(l.all) >= l.global {
		wait = max(wait, l.all[len(l.all)-l.global].Add(time.Second).Sub(now))
	}
	if l.perChat > 0 && len(chat) >= l.perChat {
		wait = max(wait, chat[len(chat)-l.perChat].Add(time.Second).Sub(now))
	}
	if wait > 0 {
		l.chats[chatID] = chat
		return max(1, int((wait+time.Second-1)/time.Second)), false
	}
	l.all = append(l.all, now)
	l.chats[chatID] = append(chat, now)
	if len(l.chats) > 1024 {
		for id, times := range l.chats {
			if len(prune(times, cutoff)) == 0 {
				delete(l.chats, id)
			}
		}
	}
	return 0, true
}

// prune drops the times at or before cutoff; times are in order.
func prune(times []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	return times[i:]
}
