package bot_test

import (
	"strings"
	"testing"

	"kindling/prompts"
	"kindling/store"
)

// TestSessionPlannedAhead: a client logs their next session ahead of
// time. The days go on counting from the last one until the day before
// the new one, which brings day -1 (preparing, and the check-in as a
// baseline); on its date it is the session that counts.
func TestSessionPlannedAhead(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")

	h.tick(utc("2026-03-05 10:00"))
	got := answered(h, ana, "/session 2026-03-12")
	if len(got) != 1 || got[0].Text != words("session_planned", prompts.Vars{Date: "Thu 12 Mar 2026"}) {
		t.Fatalf("/session with a date to come: %q", messageTexts(got))
	}
	if ss := h.sessions(ana.ID()); len(ss) != 2 || ss[1].Date != "2026-03-12" {
		t.Fatalf("sessions %+v", ss)
	}

	h.send(ana, "/intention to be braver") // for the session to come

	h.tick(utc("2026-03-08 09:00"))
	d, qid, msgID, ok := h.openQuestion(ana.ID())
	if !ok || qid != "mood" || d.Day != 7 || d.SessionDate != "2026-03-01" {
		t.Fatalf("8 March: %q on day %d of %s, want day 7 of the first session", qid, d.Day, d.SessionDate)
	}
	if ss := h.sessions(ana.ID()); ss[1].Intention != "to be braver" {
		t.Errorf("the intention went to %+v, want the session to come", ss)
	}
	if m, _ := h.srv.Message(ana.ID(), msgID); strings.Contains(m.Text, "braver") {
		t.Errorf("day 7 of the first session quotes the next one's intention: %q", m.Text)
	}

	h.tick(utc("2026-03-11 09:00"))
	d, qid, msgID, ok = h.openQuestion(ana.ID())
	if !ok || qid != "bring" || d.Day != -1 || d.SessionDate != "2026-03-12" {
		t.Fatalf("11 March: %q on day %d of %s, want day -1 of the session planned", qid, d.Day, d.SessionDate)
	}
	if m, _ := h.srv.Message(ana.ID(), msgID); !strings.Contains(m.Text, "Your session is tomorrow") {
		t.Errorf("day -1 reads %q", m.Text)
	}
	h.send(ana, "Some courage, and the question of my father.")
	answerCheckIn(t, h, ana, "often", "often", "often", "now-and-then", "now-and-then", "not-at-all")
	cis := h.checkIns(ana.ID())
	if len(cis) == 0 || cis[len(cis)-1].Day != -1 || !cis[len(cis)-1].Complete || cis[len(cis)-1].Total != 8 {
		t.Fatalf("check-ins %+v, want day -1's complete with 8", cis)
	}

	h.tick(utc("2026-03-12 09:00"))
	if _, _, _, ok := h.openQuestion(ana.ID()); ok {
		t.Fatal("a step at 09:00 on the session day, whose step is the evening's")
	}
	h.tick(utc("2026-03-12 19:00"))
	d, qid, _, ok = h.openQuestion(ana.ID())
	if !ok || qid != "mood" || d.Day != 0 || d.SessionDate != "2026-03-12" {
		t.Fatalf("12 March 19:00: %q on day %d of %s, want day 0 of the new session", qid, d.Day, d.SessionDate)
	}
}

// TestCoachPlansASession: /session <client> <date> logs a client's next
// session and tells them; a date that has passed gets the usage.
func TestCoachPlansASession(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	h.tick(utc("2026-03-05 10:00"))

	w := watching(h, ana, dana)
	h.send(dana, "/session Ana 20 March")
	if got := w.since(dana); len(got) != 1 || got[0].Text != words("coach_session_planned", prompts.Vars{Name: "Ana", Date: "Fri 20 Mar 2026"}) {
		t.Errorf("Dana read %q", messageTexts(got))
	}
	if got := w.since(ana); len(got) != 1 || got[0].Text != words("session_planned_by_coach", prompts.Vars{Coach: "Dana", Date: "Fri 20 Mar 2026"}) {
		t.Errorf("Ana read %q", messageTexts(got))
	}
	if ss := h.sessions(ana.ID()); len(ss) != 2 || ss[1].Date != "2026-03-20" {
		t.Fatalf("sessions %+v", ss)
	}
	if got := answered(h, dana, "/clients"); len(got) != 1 || !strings.Contains(got[0].Text, "Ana — day 4 — next session Fri 20 Mar 2026") {
		t.Errorf("/clients: %q, want the day since the session that counts and the next one", messageTexts(got))
	}
	if got := answered(h, dana, "/session Ana 2026-03-02"); len(got) != 1 || got[0].Text != words("coach_session_usage", prompts.Vars{}) {
		t.Errorf("a past date: %q", messageTexts(got))
	}
	// Another coach's client is not theirs to plan.
	if got := answered(h, eli, "/session Ana tomorrow"); len(got) != 1 || !strings.Contains(got[0].Text, "Ana") || len(h.sessions(ana.ID())) != 2 {
		t.Errorf("Eli planned Ana's session: %q, sessions %v", messageTexts(got), h.sessions(ana.ID()))
	}
	var c store.Client
	h.view(func(tx *store.Tx) error { var err error; c, err = tx.Client(ana.ID()); return err })
	if c.Due.IsZero() {
		t.Error("Ana has no next due time after the coach logged a session")
	}
}

// TestEnrolBeforeTheSession: a client who enrols before their first
// session gives its date at onboarding; nothing comes until its day -1.
func TestEnrolBeforeTheSession(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	code := inviteFrom(t, h, dana)
	ana := h.srv.User(8001, "Ana", "en")
	h.onboardWith(ana, code, "UTC", "09:00", "2026-03-05")
	if got, want := h.lastText(ana.ID()), words("setup_done_planned", prompts.Vars{Time: "09:00", TimeZone: "UTC", Date: "Thu 5 Mar 2026"}); got != want {
		t.Errorf("after setup: %q, want %q", got, want)
	}
	if ss := h.sessions(ana.ID()); len(ss) != 1 || ss[0].Date != "2026-03-05" {
		t.Fatalf("sessions %+v", ss)
	}
	h.tick(utc("2026-03-03 09:00"))
	if _, _, _, ok := h.openQuestion(ana.ID()); ok {
		t.Fatal("a step two days before the session")
	}
	h.tick(utc("2026-03-04 09:00"))
	if d, qid, _, ok := h.openQuestion(ana.ID()); !ok || qid != "bring" || d.Day != -1 {
		t.Fatalf("4 March: %q on day %d, want day -1", qid, d.Day)
	}
}
