package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegramtest"
)

// TestChatNotFound: Telegram answers "chat not found" now and then for
// chats that exist. Once does not stop a client: the message is tried
// again and delivered, and the client stays active. Only when Telegram
// still answers so a day after the first time is the client marked
// unreachable; a message from them then makes them reachable again, and
// their schedule resumes.
func TestChatNotFound(t *testing.T) {
	h, u := onboarded(t)
	due := h.client(u.ID()).Due
	if due.IsZero() {
		t.Fatal("an onboarded client has no due time")
	}

	// Once: tried again, delivered, nothing kept.
	h.srv.Fail("sendMessage", 1, telegramtest.ChatNotFound)
	before := len(u.Messages())
	h.send(u, "/help")
	if got := len(u.Messages()); got != before+1 {
		t.Fatalf("%d new messages after one chat not found, want the answer to /help", got-before)
	}
	c := h.client(u.ID())
	if c.Status != store.StatusActive || !c.ChatNotFoundAt.IsZero() || !c.Due.Equal(due) {
		t.Fatalf("after one chat not found: status %s, not found at %s, due %s; want active, none, %s", c.Status, c.ChatNotFoundAt, c.Due, due)
	}
	if got := h.sender.Stats().Failed["chat_not_found"]; got != 1 {
		t.Errorf("chat_not_found failures = %d, want 1", got)
	}

	// For a day and more: noted the first time, unreachable a day later.
	h.srv.Fail("sendMessage", 0, telegramtest.ChatNotFound)
	first := h.clock.Now()
	u.Send("/help")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitFor(t, ctx, "the chat not found to be noted", func() bool { return !h.client(u.ID()).ChatNotFoundAt.IsZero() })
	if c := h.client(u.ID()); !c.ChatNotFoundAt.Equal(first) || c.Status != store.StatusActive {
		t.Fatalf("after the first chat not found: %s since %s, want active since %s", c.Status, c.ChatNotFoundAt, first)
	}
	h.clock.Set(first.Add(23 * time.Hour))
	tries := len(h.srv.Calls("sendMessage"))
	waitFor(t, ctx, "the message to be tried again", func() bool { h.bot.Wake(); return len(h.srv.Calls("sendMessage")) > tries+2 })
	if c := h.client(u.ID()); c.Status != store.StatusActive {
		t.Fatalf("23 h after the first chat not found: %s, want still active", c.Status)
	}
	h.clock.Set(first.Add(24 * time.Hour))
	waitFor(t, ctx, "the client to be marked unreachable", func() bool { h.bot.Wake(); return h.client(u.ID()).Status == store.StatusUnreachable })
	if c := h.client(u.ID()); !c.Due.IsZero() || len(h.outbox()) != 0 {
		t.Fatalf("unreachable client: due %s, %d rows waiting; want none, none", c.Due, len(h.outbox()))
	}

	// They write again: reachable, their schedule resumes, answered.
	h.srv.ClearFaults()
	before = len(u.Messages())
	h.send(u, "/help")
	c = h.client(u.ID())
	if c.Status != store.StatusActive || !c.ChatNotFoundAt.IsZero() || c.Due.IsZero() {
		t.Fatalf("after a message from the client: status %s, not found at %s, due %s; want active, none, a due time", c.Status, c.ChatNotFoundAt, c.Due)
	}
	if got := len(u.Messages()); got != before+1 {
		t.Fatalf("%d new messages after writing again, want the answer to /help", got-before)
	}
}

// TestMembershipClearsChatNotFound: a my_chat_member update saying the
// client is a member again forgets a "chat not found".
func TestMembershipClearsChatNotFound(t *testing.T) {
	h, u := onboarded(t)
	h.srv.Fail("sendMessage", 0, telegramtest.ChatNotFound)
	u.Send("/help")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitFor(t, ctx, "the chat not found to be noted", func() bool { return !h.client(u.ID()).ChatNotFoundAt.IsZero() })
	h.srv.ClearFaults()
	membershipUpdate(t, h, u.ID(), "member")
	if c := h.client(u.ID()); !c.ChatNotFoundAt.IsZero() || c.Status != store.StatusActive {
		t.Fatalf("after member: status %s, not found at %s; want active, none", c.Status, c.ChatNotFoundAt)
	}
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// membershipUpdate sends the my_chat_member update Telegram sends when a
// client's chat with the bot changes to status, and settles.
func membershipUpdate(t *testing.T, h *harness, chat int64, status string) {
	t.Helper()
	raw := fmt.Sprintf(`{"my_chat_member":{"chat":{"id":%d,"type":"private","first_name":"Ana"},"from":{"id":%d,"is_bot":false,"first_name":"Ana"},"date":1772370000,"old_chat_member":{"status":"member","user":{"id":%d,"is_bot":true,"first_name":"kindling"}},"new_chat_member":{"status":%q,"user":{"id":%d,"is_bot":true,"first_name":"kindling"}}}}`,
		chat, chat, h.srv.BotID(), status, h.srv.BotID())
	if _, err := h.srv.RawUpdate([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	h.settle()
}
