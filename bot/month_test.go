package bot_test

import (
	"strings"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/store"
)

// deliveriesOn are the client's deliveries of one local date.
func deliveriesOn(h *harness, id int64, date string) []store.Delivery {
	var out []store.Delivery
	for _, d := range h.deliveries(id) {
		if d.LocalDate == date {
			out = append(out, d)
		}
	}
	return out
}

// TestSessionTodayAfterTodaysStep: a client answers part of day 1 in the
// morning, has another session and logs it at 15:00. The open question
// of day 1 closes (a late answer to it is still kept), /today says when
// the new day 0 comes, day 0 comes at its 19:00 that same day, and then
// nothing more that day: the new session is the one exception to one
// step a day.
func TestSessionTodayAfterTodaysStep(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 12:00")))
	u := h.user(1001, "Ana")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	h.run(ny("2026-03-01 12:00"), ny("2026-03-01 19:00"), nil)
	h.answerAll(u, "A good first day.")

	// Day 1 at 09:00: the mood, then a free question left open.
	h.tick(ny("2026-03-02 09:00"))
	pressValue(t, h, u, "mood", "6")
	day1, qid, msgID, ok := h.openQuestion(u.ID())
	if !ok || day1.Day != 1 {
		t.Fatalf("day 1: open question %v %+v", ok, day1)
	}

	h.clock.Set(ny("2026-03-02 15:00"))
	h.send(u, "/session today")
	if got, want := h.lastText(u.ID()), words("session_logged", prompts.Vars{Name: "Ana", Date: "Mon 2 Mar 2026"}); got != want {
		t.Errorf("/session today: %q, want %q", got, want)
	}
	if _, _, _, open := h.openQuestion(u.ID()); open {
		t.Error("day 1's question is still open after the new session")
	}
	// A late answer to day 1 is kept with day 1.
	if _, err := u.Reply(msgID, "Still thinking about it."); err != nil {
		t.Fatal(err)
	}
	h.settle()
	var late []store.Reply
	for _, r := range h.replies(u.ID()) {
		if r.QuestionID == qid && r.Day == 1 && r.SessionDate == "2026-03-01" {
			late = append(late, r)
		}
	}
	if len(late) != 1 || late[0].Answer != "Still thinking about it." {
		t.Errorf("late answer to day 1: %+v", late)
	}

	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_later", prompts.Vars{Name: "Ana", Time: "19:00"}); got != want {
		t.Errorf("/today at 15:00: %q, want %q", got, want)
	}
	if ds := deliveriesOn(h, u.ID(), "2026-03-02"); len(ds) != 1 {
		t.Fatalf("after /today at 15:00: %d deliveries on 2 March, want only day 1", len(ds))
	}

	// The new day 0 comes at 19:00, and only once.
	var at time.Time
	h.run(ny("2026-03-02 15:00"), ny("2026-03-02 23:45"), func(now time.Time) {
		if at.IsZero() && len(deliveriesOn(h, u.ID(), "2026-03-02")) == 2 {
			at = now
		}
	})
	ds := deliveriesOn(h, u.ID(), "2026-03-02")
	if len(ds) != 2 || ds[0].Day != 0 || ds[0].SessionDate != "2026-03-02" || ds[1].Day != 1 {
		t.Fatalf("deliveries on 2 March: %+v; want day 0 of the new session and day 1 of the old", ds)
	}
	if !at.Equal(ny("2026-03-02 19:00")) {
		t.Errorf("day 0 of the new session came at %s, want 19:00", at.In(newYork))
	}
	if first := firstQuestions(h.srv.Messages(u.ID())); len(first["2026-03-02"]) != 2 {
		t.Errorf("first questions on 2 March: %d, want 2 (day 1 and the new day 0)", len(first["2026-03-02"]))
	}
	// Its question is the one waiting: /today says so, rightly.
	if _, _, _, open := h.openQuestion(u.ID()); !open {
		t.Fatal("the new day 0 has no open question")
	}
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_open", prompts.Vars{Name: "Ana"}); got != want {
		t.Errorf("/today after the new day 0: %q, want %q", got, want)
	}
	h.answerAll(u, "Calmer than last time.")
	// The next morning is day 1 of the new session.
	h.run(ny("2026-03-02 23:45"), ny("2026-03-03 10:00"), nil)
	if ds := deliveriesOn(h, u.ID(), "2026-03-03"); len(ds) != 1 || ds[0].Day != 1 || ds[0].SessionDate != "2026-03-02" {
		t.Errorf("3 March: %+v, want day 1 of the 2 March session", ds)
	}
}

// TestSessionTodayAfterItsHour: a session logged at 20:30, after day 0's
// 19:00 but within the catch-up window, gets day 0 at once.
func TestSessionTodayAfterItsHour(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-02 08:00")))
	u := h.user(1001, "Ana")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	h.tick(ny("2026-03-02 09:00"))
	h.answerAll(u, "Fine.")
	h.clock.Set(ny("2026-03-02 20:30"))
	h.send(u, "/session today")
	if st := h.tick(ny("2026-03-02 20:31")); st.Started != 1 {
		t.Fatalf("tick after /session at 20:30: %+v, want day 0 started", st)
	}
	if ds := deliveriesOn(h, u.ID(), "2026-03-02"); len(ds) != 2 || ds[0].Day != 0 || ds[0].SessionDate != "2026-03-02" {
		t.Errorf("deliveries on 2 March: %+v", ds)
	}
}

// TestTodayAtTwoInTheMorning: a session logged at 02:00 does not get its
// evening words at 02:00 from /today; they come at 19:00.
func TestTodayAtTwoInTheMorning(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 12:00")))
	u := h.user(1001, "Ana")
	h.onboard(u, "America/New_York", "09:00", "2026-02-20")
	h.clock.Set(ny("2026-03-02 02:00"))
	h.send(u, "/session today")
	before := len(h.deliveries(u.ID()))
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_later", prompts.Vars{Name: "Ana", Time: "19:00"}); got != want {
		t.Errorf("/today at 02:00: %q, want %q", got, want)
	}
	h.run(ny("2026-03-02 02:00"), ny("2026-03-02 18:45"), nil)
	if n := len(h.deliveries(u.ID())); n != before {
		t.Errorf("%d steps given before 19:00", n-before)
	}
	h.run(ny("2026-03-02 18:45"), ny("2026-03-02 19:15"), nil)
	if ds := deliveriesOn(h, u.ID(), "2026-03-02"); len(ds) != 1 || ds[0].Day != 0 || ds[0].Manual {
		t.Errorf("2 March: %+v, want day 0 at 19:00", ds)
	}
}

// TestTodayWhenStopped: /stop, then /today says they are stopped and how
// to come back, and sends no questions.
func TestTodayWhenStopped(t *testing.T) {
	h, u := onboarded(t)
	h.clock.Set(ny("2026-03-01 20:00"))
	h.send(u, "/stop")
	h.send(u, "/today")
	if got, want := h.lastText(u.ID()), words("today_stopped", prompts.Vars{Name: "Ana"}); got != want || !strings.Contains(got, "/resume") {
		t.Errorf("/today after /stop: %q, want %q", got, want)
	}
	if ds := h.deliveries(u.ID()); len(ds) != 0 {
		t.Errorf("/today after /stop gave %+v", ds)
	}
	h.send(u, "/resume")
	h.send(u, "/today")
	if ds := h.deliveries(u.ID()); len(ds) != 1 || ds[0].Day != 0 {
		t.Errorf("/today after /resume: %+v", ds)
	}
}

// TestJournalAcknowledgementsFit: a journal entry of emoji or one word
// gets an acknowledgement that fits it, crying emoji a warm line with
// where help is; words get the thanks for putting them into words. The
// safety net still reads every message first.
func TestJournalAcknowledgementsFit(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.clock.Set(utc("2026-03-01 13:00")) // before day 0's 19:00: no question open
	for _, tc := range []struct{ text, key string }{
		{"😭😭😭", "ack_heavy"},
		{"💔", "ack_heavy"},
		{"🙂🌿", "ack_brief"},
		{"tired", "ack_brief"},
		{"Tired but hopeful today.", "ack_journal"},
	} {
		got := answered(h, ana, tc.text)
		if want := words(tc.key, prompts.Vars{Name: "Ana"}); len(got) != 1 || got[0].Text != want {
			t.Errorf("%q: %q, want %q", tc.text, messageTexts(got), want)
		}
	}
	if got := words("ack_heavy", prompts.Vars{}); !strings.Contains(got, "/safetyplan") || strings.Contains(got, "putting that into words") {
		t.Errorf("ack_heavy %q: want /safetyplan and no thanks for words", got)
	}
	if got := palabras("ack_heavy", prompts.Vars{}); got == words("ack_heavy", prompts.Vars{}) || !strings.Contains(got, "/safetyplan") {
		t.Errorf("ack_heavy in Spanish: %q", got)
	}
	// The safety net comes first: words of intent get the crisis reply,
	// not an acknowledgement.
	got := answered(h, ana, "I want to kill myself")
	for _, m := range got {
		if m.Text == words("ack_journal", prompts.Vars{}) || m.Text == words("ack_brief", prompts.Vars{}) {
			t.Errorf("a crisis message was acknowledged as a journal entry: %q", messageTexts(got))
		}
	}
	if rs := h.replies(ana.ID()); len(rs) != 6 || !rs[5].Flagged {
		t.Errorf("replies %d, last flagged %v", len(rs), len(rs) > 0 && rs[len(rs)-1].Flagged)
	}
}

// TestLongMessagesKeptWhole: a 10,000-character journal entry is kept
// whole and acknowledged. Telegram's apps split a message longer than
// 4,096 characters into several; each part is kept whole too, in order.
func TestLongMessagesKeptWhole(t *testing.T) {
	t.Parallel()
	h, ana := enrolledAt(t, 1001, "Ana")
	h.clock.Set(utc("2026-03-01 13:00"))
	long := strings.Repeat("Today I walked by the river and thought about what my grandmother said. ", 140)[:10000]
	got := answered(h, ana, long)
	if len(got) != 1 || got[0].Text != words("ack_journal", prompts.Vars{Name: "Ana"}) {
		t.Errorf("a 10,000-character entry: %q", messageTexts(got))
	}
	rs := h.replies(ana.ID())
	if len(rs) != 1 || rs[0].Answer != long {
		t.Fatalf("stored %d replies, first %d characters; want the 10,000 whole", len(rs), len(rs[0].Answer))
	}
	// As Telegram delivers it: parts of at most 4,096 characters.
	for i := 0; i < len(long); i += 4096 {
		h.send(ana, long[i:min(i+4096, len(long))])
	}
	rs = h.replies(ana.ID())
	var joined strings.Builder
	for _, r := range rs[1:] {
		if n := len([]rune(r.Answer)); n > 4096 {
			t.Errorf("a part of %d characters", n)
		}
		joined.WriteString(r.Answer)
	}
	if len(rs) != 4 || joined.String() != long {
		t.Errorf("%d parts stored, joined %d characters; want 3 parts making the 10,000", len(rs)-1, joined.Len())
	}
}

// TestExportWithoutAName suggests /export, not /journal.
func TestExportWithoutAName(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	got := answered(h, dana, "/export")
	if len(got) != 1 || got[0].Text != words("coach_which_export", prompts.Vars{}) || !strings.Contains(got[0].Text, "/export Maya") {
		t.Errorf("/export: %q", messageTexts(got))
	}
	got = answered(h, dana, "/journal")
	if len(got) != 1 || !strings.Contains(got[0].Text, "/journal Maya") {
		t.Errorf("/journal: %q", messageTexts(got))
	}
}
