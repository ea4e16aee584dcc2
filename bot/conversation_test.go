package bot_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"kindling/prompts"
	"kindling/store"
	"kindling/telegramtest"
)

var newYork = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ny is a wall time in New York.
func ny(wall string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", wall, newYork)
	if err != nil {
		panic(err)
	}
	return t
}

// onboarded is a harness at 07:00 in New York on 1 March 2026 with one
// client in New York, 09:00, whose session was that day.
func onboarded(t *testing.T, opts ...option) (*harness, *telegramtest.User) {
	t.Helper()
	h := newHarness(t, append([]option{startingAt(ny("2026-03-01 07:00"))}, opts...)...)
	u := h.user(1001, "Ana")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	return h, u
}

// dayZero moves to 19:00 on the session day, when day 0's step (at
// "19:00" in the built-in sequence) asks its first question, the mood
// scale. It returns that message.
func dayZero(t *testing.T, h *harness, u *telegramtest.User) telegramtest.Message {
	t.Helper()
	if st := h.tick(ny("2026-03-01 19:00")); st.Started != 1 {
		t.Fatalf("day 0 at 19:00: %d steps started, want 1", st.Started)
	}
	_, qid, msgID, ok := h.openQuestion(u.ID())
	if !ok || qid != "mood" {
		t.Fatalf("day 0: open question %q (%v), want mood", qid, ok)
	}
	m, ok := h.srv.Message(u.ID(), msgID)
	if !ok {
		t.Fatalf("day 0: mood question message %d not sent", msgID)
	}
	return m
}

func replyTo(rs []store.Reply, qid, localDate string) []store.Reply {
	var out []store.Reply
	for _, r := range rs {
		if r.QuestionID == qid && r.LocalDate == localDate {
			out = append(out, r)
		}
	}
	return out
}

func TestNothingStoredBeforeConsent(t *testing.T) {
	h := newHarness(t)
	u := h.user(1001, "Ana")
	h.send(u, "/start")
	msgs := h.srv.Messages(u.ID())
	if len(msgs) != 2 {
		t.Fatalf("/start: %d messages, want welcome and consent question", len(msgs))
	}
	if want := words("welcome", prompts.Vars{Name: "Ana"}); msgs[0].Text != want {
		t.Errorf("welcome:\n%s\nwant\n%s", msgs[0].Text, want)
	}
	if !strings.Contains(msgs[0].Text, "988") || !strings.Contains(msgs[0].Text, "not a therapist") {
		t.Errorf("welcome does not say what kindling is not and where to turn:\n%s", msgs[0].Text)
	}
	if _, ok := h.findButton(u.ID(), "c|yes"); !ok {
		t.Fatal("no consent button")
	}
	if n := h.clientCount(); n != 0 {
		t.Fatalf("after /start only: %d clients stored", n)
	}

	t.Run("text before consent", func(t *testing.T) {
		before := len(h.srv.Messages(u.ID()))
		h.send(u, "I had my session today")
		got := h.newSince(u.ID(), before)
		if len(got) != 1 {
			t.Fatalf("%d answers, want 1", len(got))
		}
		if isBareKey(got[0].Text) {
			t.Errorf("answer to text before consent is the bare message key %q", got[0].Text)
		}
		if n := h.clientCount(); n != 0 || len(h.replies(u.ID())) != 0 {
			t.Fatalf("text before consent stored: %d clients, replies %v", n, h.replies(u.ID()))
		}
	})

	qid := h.press(u, "c|no")
	if a, ok := h.srv.CallbackAnswer(qid); !ok {
		t.Error("the No press was not answered")
	} else if a.ShowAlert {
		t.Error("the No press was answered with an alert")
	}
	if got, want := h.lastText(u.ID()), words("consent_declined", prompts.Vars{Name: "Ana"}); got != want {
		t.Errorf("after No: %q, want %q", got, want)
	}
	if n := h.clientCount(); n != 0 {
		t.Fatalf("after No: %d clients stored", n)
	}
	if s, r := h.sessions(u.ID()), h.replies(u.ID()); len(s)+len(r) != 0 {
		t.Fatalf("after No: sessions %v, replies %v", s, r)
	}

	// Changing one's mind: /start again and Yes.
	h.send(u, "/start")
	h.press(u, "c|yes")
	c := h.client(u.ID())
	if c.ConsentAt.IsZero() || c.Setup != "timezone" || c.Name != "Ana" {
		t.Fatalf("after Yes: %+v", c)
	}
	if got, want := h.lastText(u.ID()), words("ask_timezone", prompts.Vars{Name: "Ana"}); got != want {
		t.Fatalf("after Yes: %q, want the time zone question", got)
	}
}

func TestScalePress(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	buttons := answerButtons(m)
	if len(buttons) != 10 || buttons[0].Text != "1" || buttons[9].Text != "10" {
		t.Fatalf("mood keyboard %+v, want 1 to 10", m.Keyboard)
	}
	if !strings.HasPrefix(m.Text, "Hi Ana. Today was your session.") {
		t.Errorf("day 0 starts without its intro: %q", m.Text)
	}
	before := len(h.srv.Messages(u.ID()))
	seven := buttons[6].CallbackData
	q := h.pressOn(u, m.ID, seven)

	a, ok := h.srv.CallbackAnswer(q)
	if !ok || a.Text != "" {
		t.Errorf("press answered %v with %q, want a quiet answer", ok, a.Text)
	}
	after, _ := h.srv.Message(u.ID(), m.ID)
	if len(after.Keyboard) != 1 || len(after.Keyboard[0]) != 1 || after.Keyboard[0][0].Text != "✓ 7" {
		t.Errorf("keyboard after the press %+v, want one button ✓ 7", after.Keyboard)
	}
	if len(answerButtons(after)) != 0 {
		t.Errorf("the edited keyboard still has answer buttons: %+v", after.Keyboard)
	}
	rs := replyTo(h.replies(u.ID()), "mood", "2026-03-01")
	if len(rs) != 1 || rs[0].Kind != "scale" || rs[0].Value == nil || *rs[0].Value != 7 || rs[0].Answer != "7" {
		t.Fatalf("stored %+v, want one scale answer 7", rs)
	}
	if rs[0].MessageID != m.ID || rs[0].Day != 0 || rs[0].SessionDate != "2026-03-01" {
		t.Errorf("stored %+v", rs[0])
	}
	if !strings.HasPrefix(rs[0].Question, "How are you feeling this evening") {
		t.Errorf("stored question %q", rs[0].Question)
	}
	next := h.newSince(u.ID(), before)
	if len(next) != 1 || !strings.HasPrefix(next[0].Text, "How does your body feel") {
		t.Fatalf("after the press: %v, want the next question", next)
	}
}

func TestDoublePress(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	buttons := answerButtons(m)
	// Two quick taps: both presses reach Telegram before the keyboard
	// changes.
	q1, err := u.Press(m.ID, buttons[4].CallbackData)
	if err != nil {
		t.Fatal(err)
	}
	q2, err := u.Press(m.ID, buttons[8].CallbackData)
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	rs := replyTo(h.replies(u.ID()), "mood", "2026-03-01")
	if len(rs) != 1 || *rs[0].Value != 5 {
		t.Fatalf("stored %+v, want only the first press (5)", rs)
	}
	if a, ok := h.srv.CallbackAnswer(q1); !ok || a.Text != "" {
		t.Errorf("first press answered %v %q", ok, a.Text)
	}
	if a, ok := h.srv.CallbackAnswer(q2); !ok || a.Text != words("already_answered", prompts.Vars{}) {
		t.Errorf("second press answered %v %q, want %q", ok, a.Text, words("already_answered", prompts.Vars{}))
	}
	// Exactly one next question was asked.
	n := 0
	for _, msg := range h.srv.Messages(u.ID()) {
		if strings.HasPrefix(msg.Text, "How does your body feel") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the next question was asked %d times", n)
	}
	// The inert "✓" button pressed again changes nothing.
	after, _ := h.srv.Message(u.ID(), m.ID)
	q3 := h.pressOn(u, m.ID, after.Keyboard[0][0].CallbackData)
	if _, ok := h.srv.CallbackAnswer(q3); !ok {
		t.Error("the ✓ press was not answered")
	}
	if got := len(replyTo(h.replies(u.ID()), "mood", "2026-03-01")); got != 1 {
		t.Fatalf("%d mood answers after pressing ✓", got)
	}
}

func TestPressOnAnOldDay(t *testing.T) {
	h, u := onboarded(t)
	old := dayZero(t, h, u)
	// Day 0's mood stays unanswered; day 1's step starts at 09:00.
	if st := h.tick(ny("2026-03-02 09:00")); st.Started != 1 {
		t.Fatalf("day 1: %d steps started", st.Started)
	}
	d1, qid, _, ok := h.openQuestion(u.ID())
	if !ok || d1.LocalDate != "2026-03-02" || qid != "mood" {
		t.Fatalf("day 1 open question %q on %s", qid, d1.LocalDate)
	}
	before := len(h.srv.Messages(u.ID()))
	q := h.pressOn(u, old.ID, answerButtons(old)[2].CallbackData)

	if _, ok := h.srv.CallbackAnswer(q); !ok {
		t.Fatal("the late press was not answered")
	}
	// A late answer is kept with its day...
	rs := replyTo(h.replies(u.ID()), "mood", "2026-03-01")
	if len(rs) != 1 || *rs[0].Value != 3 || rs[0].Day != 0 {
		t.Fatalf("late answer stored as %+v, want 3 on day 0", rs)
	}
	// ...acknowledged, and today's question is still the open one.
	got := h.newSince(u.ID(), before)
	if len(got) != 1 || got[0].Text != words("ack_answer", prompts.Vars{Name: "Ana"}) {
		t.Fatalf("after the late press: %v, want one acknowledgement", got)
	}
	if d, qid, _, ok := h.openQuestion(u.ID()); !ok || d.LocalDate != "2026-03-02" || qid != "mood" {
		t.Fatalf("open question after the late press: %q on %s", qid, d.LocalDate)
	}
	if len(replyTo(h.replies(u.ID()), "mood", "2026-03-02")) != 0 {
		t.Fatal("the late press answered today's question")
	}
	if after, _ := h.srv.Message(u.ID(), old.ID); len(answerButtons(after)) != 0 {
		t.Fatalf("the old keyboard can still be pressed: %+v", after.Keyboard)
	}
	// Today's question still takes its own answer.
	m, _ := h.srv.Message(u.ID(), d1.Messages["mood"])
	h.pressOn(u, m.ID, answerButtons(m)[7].CallbackData)
	if rs := replyTo(h.replies(u.ID()), "mood", "2026-03-02"); len(rs) != 1 || *rs[0].Value != 8 {
		t.Fatalf("today's answer %+v, want 8", rs)
	}
}

func TestFreeTextAnswer(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	h.pressOn(u, m.ID, answerButtons(m)[5].CallbackData)
	d, qid, msgID, ok := h.openQuestion(u.ID())
	if !ok || qid != "body" {
		t.Fatalf("open question %q, want body", qid)
	}
	asked, _ := h.srv.Message(u.ID(), msgID)
	answerID := h.send(u, "Heavy legs, warm hands.")
	rs := replyTo(h.replies(u.ID()), "body", "2026-03-01")
	if len(rs) != 1 {
		t.Fatalf("stored %+v, want one answer", rs)
	}
	r := rs[0]
	if r.Kind != "text" || r.Answer != "Heavy legs, warm hands." || r.MessageID != answerID {
		t.Errorf("stored %+v", r)
	}
	if r.Question != asked.Text || r.Question != d.Asked["body"] {
		t.Errorf("stored question %q; asked %q", r.Question, asked.Text)
	}
	if got, want := h.lastText(u.ID()), "Thank you. Be gentle with yourself tonight, and rest if you can."; got != want {
		t.Errorf("closing line %q, want %q", got, want)
	}
	ds := h.deliveries(u.ID())
	if len(ds) != 1 || ds[0].State != store.DeliveryDone || ds[0].Next != 2 {
		t.Fatalf("delivery after the last answer: %+v", ds)
	}

	t.Run("edit keeps the old answer", func(t *testing.T) {
		if err := u.Edit(answerID, "Heavy legs, warm hands, sore jaw."); err != nil {
			t.Fatal(err)
		}
		h.settle()
		rs := replyTo(h.replies(u.ID()), "body", "2026-03-01")
		if len(rs) != 1 {
			t.Fatalf("after the edit: %d answers, want 1", len(rs))
		}
		if rs[0].Answer != "Heavy legs, warm hands, sore jaw." {
			t.Errorf("answer after the edit %q", rs[0].Answer)
		}
		if len(rs[0].Edits) != 1 || rs[0].Edits[0].Answer != "Heavy legs, warm hands." {
			t.Errorf("edit history %+v, want the first answer", rs[0].Edits)
		}
	})

	t.Run("text with no open question is a journal entry", func(t *testing.T) {
		before := len(h.replies(u.ID()))
		id := h.send(u, "I keep thinking about the lake.")
		rs := h.replies(u.ID())
		if len(rs) != before+1 {
			t.Fatalf("%d replies, want %d", len(rs), before+1)
		}
		r := rs[len(rs)-1]
		if r.Kind != "journal" || r.QuestionID != "" || r.Answer != "I keep thinking about the lake." || r.MessageID != id {
			t.Errorf("journal entry %+v", r)
		}
		if r.SessionDate != "2026-03-01" || r.LocalDate != "2026-03-01" || r.Day != 0 {
			t.Errorf("journal entry dated %s day %d (session %s)", r.LocalDate, r.Day, r.SessionDate)
		}
		if got, want := h.lastText(u.ID()), words("ack_journal", prompts.Vars{Name: "Ana"}); got != want {
			t.Errorf("acknowledgement %q, want %q", got, want)
		}
	})
}

func TestReplyToAnOlderQuestion(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	h.pressOn(u, m.ID, answerButtons(m)[5].CallbackData)
	_, qid, bodyMsg, ok := h.openQuestion(u.ID())
	if !ok || qid != "body" {
		t.Fatalf("open question %q, want body", qid)
	}
	h.tick(ny("2026-03-02 09:00")) // day 1 starts; day 0 closes unanswered
	if d, qid, _, _ := h.openQuestion(u.ID()); d.LocalDate != "2026-03-02" || qid != "mood" {
		t.Fatalf("day 1 not open: %q on %s", qid, d.LocalDate)
	}
	if _, err := u.Reply(bodyMsg, "Tingling, then calm."); err != nil {
		t.Fatal(err)
	}
	h.settle()
	rs := replyTo(h.replies(u.ID()), "body", "2026-03-01")
	if len(rs) != 1 || rs[0].Answer != "Tingling, then calm." || rs[0].Day != 0 {
		t.Fatalf("reply to day 0's question stored as %+v", rs)
	}
	if d, qid, _, ok := h.openQuestion(u.ID()); !ok || d.LocalDate != "2026-03-02" || qid != "mood" {
		t.Fatalf("today's open question moved: %q on %s", qid, d.LocalDate)
	}
	// A plain text now does not fit the open scale question: a journal entry.
	h.send(u, "Slept badly.")
	rs = h.replies(u.ID())
	if last := rs[len(rs)-1]; last.Kind != "journal" {
		t.Fatalf("text while a scale is open stored as %+v", last)
	}
	// A number in range answers the scale.
	h.send(u, "6")
	if rs := replyTo(h.replies(u.ID()), "mood", "2026-03-02"); len(rs) != 1 || *rs[0].Value != 6 {
		t.Fatalf("typed 6 stored as %+v", rs)
	}
}

func TestVoiceNote(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	h.pressOn(u, m.ID, answerButtons(m)[5].CallbackData)
	audio := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{0x4f, 0x70, 0x75, 0x73}, 500)...)
	id := u.Voice(12, audio)
	h.settle()
	rs := replyTo(h.replies(u.ID()), "body", "2026-03-01")
	if len(rs) != 1 {
		t.Fatalf("voice answer stored as %+v", rs)
	}
	r := rs[0]
	if r.Kind != "voice" || r.Voice == nil || r.Voice.Duration != 12 || r.MessageID != id {
		t.Fatalf("voice answer %+v", r)
	}
	if r.Voice.Path == "" || filepath.IsAbs(r.Voice.Path) {
		t.Fatalf("voice path %q, want one relative to the data folder", r.Voice.Path)
	}
	saved, err := os.ReadFile(filepath.Join(h.dir, r.Voice.Path))
	if err != nil {
		t.Fatalf("audio not saved: %v", err)
	}
	if !bytes.Equal(saved, audio) || r.Voice.Size != int64(len(audio)) {
		t.Fatalf("saved %d bytes (size %d), want the %d sent", len(saved), r.Voice.Size, len(audio))
	}
	if info, err := os.Stat(filepath.Join(h.dir, r.Voice.Path)); err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Errorf("voice file mode %v (%v), want private", info.Mode(), err)
	}
	// The step goes on: it was its last question.
	if ds := h.deliveries(u.ID()); ds[0].State != store.DeliveryDone {
		t.Errorf("delivery after the voice answer: %s", ds[0].State)
	}

	t.Run("with no open question", func(t *testing.T) {
		id := u.Voice(3, []byte("OggS-short"))
		h.settle()
		rs := h.replies(u.ID())
		r := rs[len(rs)-1]
		if r.MessageID != id || r.Kind != "voice" || r.QuestionID != "" || r.Voice == nil || r.Voice.Duration != 3 {
			t.Fatalf("voice journal entry %+v", r)
		}
		if got, want := h.lastText(u.ID()), words("ack_voice", prompts.Vars{Name: "Ana"}); got != want {
			t.Errorf("acknowledgement %q, want %q", got, want)
		}
	})
}

func TestUnusualAnswers(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)

	// An emoji does not fit a scale: kept as a journal entry, the scale stays open.
	h.send(u, "🙂")
	rs := h.replies(u.ID())
	if len(rs) != 1 || rs[0].Kind != "journal" || rs[0].Answer != "🙂" {
		t.Fatalf("emoji to a scale stored as %+v", rs)
	}
	if _, qid, _, _ := h.openQuestion(u.ID()); qid != "mood" {
		t.Fatalf("open question after an emoji: %q", qid)
	}
	h.pressOn(u, m.ID, answerButtons(m)[4].CallbackData)

	long := strings.Repeat("Ich fühle mich leicht — 🌊 ", 200)
	long = string([]rune(long)[:4000])
	h.send(u, long)
	body := replyTo(h.replies(u.ID()), "body", "2026-03-01")
	if len(body) != 1 || body[0].Answer != long || utf8.RuneCountInString(body[0].Answer) != 4000 {
		t.Fatalf("4,000-character answer stored with %d characters", utf8.RuneCountInString(body[0].Answer))
	}

	h.tick(ny("2026-03-02 09:00"))
	m1, ok := h.findButton(u.ID(), answerButtons(h.srv.Messages(u.ID())[len(h.srv.Messages(u.ID()))-1])[0].CallbackData)
	if !ok {
		t.Fatal("day 1 has no mood keyboard")
	}
	h.pressOn(u, m1.ID, answerButtons(m1)[6].CallbackData)
	h.send(u, "🙏🌊✨")
	if rs := replyTo(h.replies(u.ID()), "still-with-you", "2026-03-02"); len(rs) != 1 || rs[0].Answer != "🙏🌊✨" || rs[0].Kind != "text" {
		t.Fatalf("emoji-only answer stored as %+v", rs)
	}
}

func TestUnexpectedMessages(t *testing.T) {
	h, u := onboarded(t)
	stored := len(h.replies(u.ID()))
	unsupported := words("unsupported_message", prompts.Vars{Name: "Ana"})

	for name, send := range map[string]func() int{"sticker": u.Sticker, "photo": u.Photo} {
		t.Run(name, func(t *testing.T) {
			before := len(h.srv.Messages(u.ID()))
			send()
			h.settle()
			got := h.newSince(u.ID(), before)
			if len(got) != 1 || got[0].Text != unsupported {
				t.Fatalf("answer to a %s: %v, want %q", name, got, unsupported)
			}
			if n := len(h.replies(u.ID())); n != stored {
				t.Fatalf("a %s stored a reply", name)
			}
		})
	}

	t.Run("unknown command", func(t *testing.T) {
		h.send(u, "/frobnicate now")
		if got, want := h.lastText(u.ID()), words("unknown_command", prompts.Vars{}); got != want {
			t.Fatalf("unknown command: %q, want %q", got, want)
		}
		stranger := h.user(1099, "Cy")
		h.send(stranger, "/frobnicate")
		if got, want := h.lastText(stranger.ID()), words("unknown_command", prompts.Vars{}); got != want {
			t.Fatalf("unknown command before /start: %q, want %q", got, want)
		}
		if h.hasClient(stranger.ID()) {
			t.Fatal("an unknown command stored a client")
		}
	})

	t.Run("group", func(t *testing.T) {
		clients := h.clientCount()
		if _, err := h.srv.GroupMessage(-4242, u, "/start@kindling_test_bot"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.srv.GroupMessage(-4242, u, "hello everyone"); err != nil {
			t.Fatal(err)
		}
		h.settle()
		msgs := h.srv.Messages(-4242)
		if len(msgs) != 1 || msgs[0].Text != words("group_chat", prompts.Vars{}) {
			t.Fatalf("group answers %v, want one group_chat message", msgs)
		}
		if h.clientCount() != clients || h.hasClient(-4242) {
			t.Fatal("a group message stored a client")
		}
		if n := len(h.replies(u.ID())) + len(h.replies(-4242)); n != stored {
			t.Fatal("a group message stored a reply")
		}
	})

	t.Run("channel post and unknown update kinds", func(t *testing.T) {
		if _, err := h.srv.ChannelPost(-100777, "/start"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.srv.RawUpdate([]byte(`{"message_reaction":{"chat":{"id":1001,"type":"private"},"message_id":1,"date":1,"old_reaction":[],"new_reaction":[]}}`)); err != nil {
			t.Fatal(err)
		}
		h.settle()
		if len(h.srv.Messages(-100777)) != 0 {
			t.Fatal("kindling answered in a channel")
		}
	})
}

// TestVoiceBeforeConsentIsNotKept: nothing about a person is kept before
// they consent, and that includes the audio of a voice note.
func TestVoiceBeforeConsentIsNotKept(t *testing.T) {
	h := newHarness(t)
	u := h.user(1003, "Vo")
	u.Voice(5, []byte("OggS-not-consented"))
	h.settle()
	if h.clientCount() != 0 || len(h.replies(u.ID())) != 0 {
		t.Fatal("a voice note before consent was stored")
	}
	var kept []string
	filepath.WalkDir(filepath.Join(h.dir, "voice"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			kept = append(kept, p)
		}
		return nil
	})
	if len(kept) != 0 {
		t.Fatalf("audio of a person who never consented kept on disk: %v", kept)
	}
}

// TestEditTypedScaleAnswer: a scale answered by typing a number is an
// answer message like any other; editing it updates the answer.
func TestEditTypedScaleAnswer(t *testing.T) {
	h, u := onboarded(t)
	dayZero(t, h, u)
	id := h.send(u, "6")
	if rs := replyTo(h.replies(u.ID()), "mood", "2026-03-01"); len(rs) != 1 || *rs[0].Value != 6 {
		t.Fatalf("typed 6 stored as %+v", rs)
	}
	if err := u.Edit(id, "8"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	rs := replyTo(h.replies(u.ID()), "mood", "2026-03-01")
	if len(rs) != 1 || rs[0].Value == nil || *rs[0].Value != 8 || rs[0].Answer != "8" {
		t.Fatalf("after editing 6 to 8: %+v, want the answer 8", rs)
	}
	if len(rs[0].Edits) != 1 || rs[0].Edits[0].Answer != "6" {
		t.Fatalf("edit history %+v, want the 6", rs[0].Edits)
	}
}

// TestCrisisWordsAreNeverRoutine: whatever the client is in the middle
// of, words that may be a cry for help get the crisis answer (where to
// turn now), never a routine reply such as "I didn't recognise that time
// zone".
func TestCrisisWordsAreNeverRoutine(t *testing.T) {
	const cry = "I want to end my life"
	crisis := func(t *testing.T, h *harness, chat int64, before int) {
		t.Helper()
		got := texts(h.newSince(chat, before))
		for _, m := range got {
			if strings.Contains(m, "988") {
				return
			}
		}
		t.Errorf("answers to %q: %q; want the crisis message with where to turn", cry, got)
	}
	t.Run("journal", func(t *testing.T) {
		h, u := onboarded(t)
		before := len(h.srv.Messages(u.ID()))
		h.send(u, cry)
		crisis(t, h, u.ID(), before)
		rs := h.replies(u.ID())
		if len(rs) != 1 || !rs[0].Flagged {
			t.Errorf("stored %+v, want one flagged entry", rs)
		}
		if got := h.lastText(u.ID()); got == words("ack_journal", prompts.Vars{Name: "Ana"}) {
			t.Error("acknowledged as a routine journal entry")
		}
	})
	t.Run("answer", func(t *testing.T) {
		h, u := onboarded(t)
		m := dayZero(t, h, u)
		h.pressOn(u, m.ID, answerButtons(m)[5].CallbackData)
		before := len(h.srv.Messages(u.ID()))
		h.send(u, cry)
		crisis(t, h, u.ID(), before)
		if rs := replyTo(h.replies(u.ID()), "body", "2026-03-01"); len(rs) != 1 || !rs[0].Flagged {
			t.Errorf("stored %+v, want the answer flagged", rs)
		}
	})
	t.Run("edited into", func(t *testing.T) {
		h, u := onboarded(t)
		id := h.send(u, "A long day.")
		before := len(h.srv.Messages(u.ID()))
		if err := u.Edit(id, cry); err != nil {
			t.Fatal(err)
		}
		h.settle()
		crisis(t, h, u.ID(), before)
	})
	t.Run("before consent", func(t *testing.T) {
		h := newHarness(t)
		u := h.user(1004, "Noor")
		h.send(u, cry)
		crisis(t, h, u.ID(), 0)
		if h.clientCount() != 0 {
			t.Error("stored a client before consent")
		}
	})
	t.Run("during onboarding", func(t *testing.T) {
		h := newHarness(t)
		u := h.user(1005, "Ola")
		h.send(u, "/start")
		h.press(u, "c|yes")
		before := len(h.srv.Messages(u.ID()))
		h.send(u, cry) // asked for a time zone
		crisis(t, h, u.ID(), before)
	})
	t.Run("while changing the time", func(t *testing.T) {
		h, u := onboarded(t)
		h.send(u, "/time")
		before := len(h.srv.Messages(u.ID()))
		h.send(u, cry)
		crisis(t, h, u.ID(), before)
	})
}

// TestStalledVoiceDownload: while one client's voice note downloads
// slowly, the other clients are still answered.
func TestStalledVoiceDownload(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")), withProxy(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/file/") {
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}))
	defer close(release)
	a, b := h.user(1006, "Ana"), h.user(1007, "Ben")
	h.onboard(a, "America/New_York", "09:00", "2026-03-01")
	h.onboard(b, "America/New_York", "09:00", "2026-03-01")
	before := len(h.srv.Messages(b.ID()))
	a.Voice(30, []byte("OggS-a-slow-one"))
	b.Send("/help")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := h.srv.WaitMessages(ctx, b.ID(), before+1); err != nil {
		t.Fatalf("another client's /help not answered while a voice note downloads: %v", err)
	}
}
