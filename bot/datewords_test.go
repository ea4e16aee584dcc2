package bot_test

import (
	"strings"
	"testing"

	"kindling/prompts"
)

// palabras is the bot's message key in Spanish, as a client reads it.
func palabras(key string, v prompts.Vars) string {
	return prompts.Default().Messages("es").Text(key, v)
}

// TestDatesInTheClientsLanguage: a Spanish client reads their dates with
// Spanish names in the Spanish order, in /pause and /sessions and when
// logging a session; an English client the English ones.
func TestDatesInTheClientsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, startingAt(utc("2026-12-01 12:00"))) // a Tuesday
	lucia := h.srv.User(2001, "Lucía", "es")
	h.onboard(lucia, "Europe/Madrid", "09:00", "2026-12-01")
	ana := h.user(2002, "Ana")
	h.onboard(ana, "Europe/London", "09:00", "2026-12-01")

	got := answered(h, lucia, "/pause 3")
	if len(got) != 1 || got[0].Text != palabras("paused_until", prompts.Vars{Name: "Lucía", Until: "vie 4 dic"}) || !strings.Contains(got[0].Text, "vie 4 dic") {
		t.Errorf("/pause 3 in Spanish: %q", messageTexts(got))
	}
	got = answered(h, ana, "/pause 3")
	if len(got) != 1 || !strings.Contains(got[0].Text, "Fri 4 Dec") {
		t.Errorf("/pause 3 in English: %q", messageTexts(got))
	}

	got = answered(h, lucia, "/sessions")
	if len(got) != 1 || !strings.Contains(got[0].Text, "• mar 1 de dic de 2026") || strings.Contains(got[0].Text, "Tue") {
		t.Errorf("/sessions in Spanish: %q", messageTexts(got))
	}
	if len(got) == 1 && (len(got[0].Keyboard) != 1 || got[0].Keyboard[0][0].Text != "✕ mar 1 de dic de 2026") {
		t.Errorf("/sessions button in Spanish: %+v", got[0].Keyboard)
	}
	got = answered(h, lucia, "/session 2026-11-27")
	want := palabras("session_earlier", prompts.Vars{Name: "Lucía", Date: "vie 27 de nov de 2026", Latest: "mar 1 de dic de 2026"})
	if len(got) != 1 || got[0].Text != want {
		t.Errorf("/session in Spanish: %q, want %q", messageTexts(got), want)
	}
	got = answered(h, ana, "/sessions")
	if len(got) != 1 || !strings.Contains(got[0].Text, "• Tue 1 Dec 2026") {
		t.Errorf("/sessions in English: %q", messageTexts(got))
	}
}

// TestCoachReadsDatesInTheirLanguage: a coach whose Telegram is in
// Spanish reads the dates of /clients and /journal in Spanish, and
// /clients counts journal entries.
func TestCoachReadsDatesInTheirLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, startingAt(utc("2026-12-01 12:00")), withEnrollment("invite"), withCoaches(coachDana))
	dana := h.srv.User(coachDana.ID, "Dana", "es")
	code := inviteFrom(t, h, dana)
	if msg := h.lastText(dana.ID()); !strings.Contains(msg, "mar 15 de dic de 2026") {
		t.Errorf("/invite in Spanish: %q, want the expiry as mar 15 de dic de 2026", msg)
	}
	maya := h.user(3001, "Maya")
	h.onboardWith(maya, code, "UTC", "09:00", "2026-12-01")
	for _, text := range []string{"I keep thinking about the garden.", "Slept badly, woke early.", "😭😭😭"} {
		h.send(maya, text)
	}
	h.send(maya, "/pause 3")

	got := answered(h, dana, "/clients")
	all := strings.Join(messageTexts(got), "\n")
	for _, want := range []string{"until vie 4 dic", "3 journal entries", "last answer mar 1 dic 12:00"} {
		if !strings.Contains(all, want) {
			t.Errorf("/clients in Spanish lacks %q:\n%s", want, all)
		}
	}
	got = answered(h, dana, "/journal Maya")
	all = strings.Join(messageTexts(got), "\n")
	if !strings.Contains(all, "— mar 1 de dic de 2026 (day 0) —") || strings.Contains(all, "Tue") {
		t.Errorf("/journal in Spanish:\n%s", all)
	}
}
