package bot_test

import (
	"strings"
	"testing"

	"kindling/bot"
	"kindling/prompts"
	"kindling/telegramtest"
)

// coachCopies walks Ana and her coach Dana through what Dana receives
// about her, and returns each kind of message Dana got: the alert and its
// escalation to the on-call chat, /journal, /export, /clients, /alerts
// and the digest. Ana's own /mydata comes back too.
func coachCopies(t *testing.T, opts ...option) (got map[string]telegramtest.Message, mydata telegramtest.Message, crisis telegramtest.Message) {
	t.Helper()
	h, dana, _ := coached(t, append([]option{withEscalateTo(oncallID)}, opts...)...)
	h.user(oncallID, "On call")
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	got = map[string]telegramtest.Message{}
	last := func(chat int64, what string) telegramtest.Message {
		t.Helper()
		msgs := h.srv.Messages(chat)
		if len(msgs) == 0 {
			t.Fatalf("%s: nothing sent to chat %d", what, chat)
		}
		return msgs[len(msgs)-1]
	}

	h.send(ana, "a calm afternoon by the sea")
	replies := answered(h, ana, "I want to die")
	if len(replies) == 0 {
		t.Fatal("no crisis reply")
	}
	crisis = replies[0]
	got["alert"] = last(dana.ID(), "alert")
	if !strings.Contains(got["alert"].Text, "I want to die") {
		t.Fatalf("Dana's last message is not the alert: %q", got["alert"].Text)
	}
	h.tick(utc("2026-03-01 12:20")) // nobody acknowledged: escalated
	got["escalation"] = last(oncallID, "escalation")
	if !strings.Contains(got["escalation"].Text, "I want to die") {
		t.Fatalf("the on-call chat's last message is not the alert: %q", got["escalation"].Text)
	}
	for _, cmd := range []string{"/journal Ana", "/export Ana", "/clients", "/alerts"} {
		if msgs := answered(h, dana, cmd); len(msgs) == 0 {
			t.Fatalf("%s: no answer", cmd)
		}
		got[cmd] = last(dana.ID(), cmd)
	}
	if got["/export Ana"].Document == nil {
		t.Fatalf("/export Ana answered %q without a file", got["/export Ana"].Text)
	}
	h.tick(utc("2026-03-01 18:00"))
	got["digest"] = last(dana.ID(), "digest")
	if !strings.HasPrefix(got["digest"].Text, words("coach_digest", prompts.Vars{Name: "Dana"})) {
		t.Fatalf("Dana's last message is not the digest: %q", got["digest"].Text)
	}
	docs := myArchive(t, h, ana)
	if len(docs) != 1 {
		t.Fatalf("/mydata: %d documents", len(docs))
	}
	return got, docs[0], crisis
}

// TestCoachCopiesAreProtected: what a coach (or the on-call chat) receives
// about a client is sent with protect_content; the client's own replies
// and /mydata are not.
func TestCoachCopiesAreProtected(t *testing.T) {
	t.Parallel()
	got, mydata, crisis := coachCopies(t)
	for what, m := range got {
		if !m.Protected {
			t.Errorf("%s reached the coach unprotected: %q", what, m.Text)
		}
	}
	if mydata.Protected || crisis.Protected {
		t.Errorf("the client's own messages were protected: /mydata %v, crisis reply %v", mydata.Protected, crisis.Protected)
	}
}

// TestCoachCopiesUnprotected: with coaching.protect_content off, coaches
// may forward and save what they receive.
func TestCoachCopiesUnprotected(t *testing.T) {
	t.Parallel()
	got, mydata, _ := coachCopies(t, withBot(func(o *bot.Options) { o.ForwardableCoachCopies = true }))
	for what, m := range got {
		if m.Protected {
			t.Errorf("%s reached the coach protected though protection is off", what)
		}
	}
	if mydata.Protected {
		t.Error("/mydata was protected")
	}
}
