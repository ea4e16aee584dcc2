package bot_test

import (
	"strings"
	"testing"

	"kindling/bot"
	"kindling/prompts"
	"kindling/safety"
	"kindling/store"
	"kindling/telegramtest"
)

// crisisReply is the reply the safety net gives a client with plan in
// lang, as the harness configures it, ending with the line of message key
// reach ("crisis_reaching", "crisis_reaching_team"; "" for none).
func crisisReply(lang string, plan map[string]string, reach string) string {
	msg := safety.DefaultCrisisMessage[lang]
	if reach != "" {
		msg = strings.TrimRight(msg, "\n") + "\n\n" + prompts.Default().Messages(lang).Text(reach, prompts.Vars{})
	}
	return safety.CrisisReply(msg, plan, lang)
}

// langWords is a message key in lang.
func langWords(lang, key string, v prompts.Vars) string {
	return prompts.Default().Messages(lang).Text(key, v)
}

// lastReply is the client's newest stored reply.
func lastReply(t *testing.T, h *harness, chat int64) store.Reply {
	t.Helper()
	rs := h.replies(chat)
	if len(rs) == 0 {
		t.Fatalf("chat %d has no replies", chat)
	}
	return rs[len(rs)-1]
}

// watch remembers how many messages some chats have, to see what the
// bot sends them next.
type watch struct {
	h     *harness
	count map[int64]int
}

func watching(h *harness, chats ...*telegramtest.User) watch {
	w := watch{h: h, count: map[int64]int{}}
	for _, u := range chats {
		w.count[u.ID()] = len(h.srv.Messages(u.ID()))
	}
	return w
}

// since returns what the bot sent u after the watch began.
func (w watch) since(u *telegramtest.User) []telegramtest.Message {
	return w.h.newSince(u.ID(), w.count[u.ID()])
}

// checkCrisis checks that u's message text set off the net: u got the
// crisis reply (with their plan) saying their coach is being reached,
// then, once the alert reached the coach, a line saying so; their coach
// was alerted at once with their name and words, the other coach heard
// nothing, and the reply is stored flagged.
func checkCrisis(t *testing.T, h *harness, w watch, u *telegramtest.User, name, lang, text string, coach, other *telegramtest.User, plan map[string]string) {
	t.Helper()
	got := w.since(u)
	reach, told := "crisis_reaching_team", "crisis_told_team"
	for _, co := range h.cfg.coaches {
		if co.ID == h.client(u.ID()).Coach {
			reach, told = "crisis_reaching", "crisis_told_coach"
		}
	}
	want := crisisReply(lang, plan, reach)
	if len(got) != 2 || got[0].Text != want || got[1].Text != langWords(lang, told, prompts.Vars{}) {
		t.Errorf("%q was answered %q, want the crisis message, then %s", text, messageTexts(got), told)
	} else if !strings.Contains(got[0].Text, "988") || !strings.Contains(got[0].Text, "116 123") || !strings.Contains(got[0].Text, "findahelpline.com") {
		t.Errorf("the crisis message lacks the helplines: %q", got[0].Text)
	}
	alerts := w.since(coach)
	head := words("coach_alert", prompts.Vars{Name: name})
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Text, head) || !strings.Contains(alerts[0].Text, text) {
		t.Errorf("the coach was sent %q, want one alert naming %s with %q", messageTexts(alerts), name, text)
	}
	if other != nil {
		if got := w.since(other); len(got) != 0 {
			t.Errorf("another coach was alerted: %q", messageTexts(got))
		}
	}
	if r := lastReply(t, h, u.ID()); r.Answer != text || !r.Flagged {
		t.Errorf("stored %q flagged=%v, want %q flagged", r.Answer, r.Flagged, text)
	}
}

// checkAsked checks that u's message set off the check tier: u was asked
// the direct question with the helplines and its buttons, and no coach has
// been alerted yet.
func checkAsked(t *testing.T, w watch, u *telegramtest.User, lang, text string, coaches ...*telegramtest.User) {
	t.Helper()
	got := w.since(u)
	want := langWords(lang, "check_question", prompts.Vars{}) + "\n\n" + langWords(lang, "check_lines", prompts.Vars{})
	if len(got) != 1 || got[0].Text != want || len(got[0].Keyboard) == 0 {
		t.Errorf("%q was answered %q, want the safety check with its buttons", text, messageTexts(got))
	}
	for _, co := range coaches {
		if alerts := w.since(co); len(alerts) != 0 {
			t.Errorf("a coach was alerted before the client answered the check: %q", messageTexts(alerts))
		}
	}
}

// TestSafetyNetFires: crisis language in English and Spanish, in any
// case, with or without accents, gets the crisis message instead of the
// acknowledgement, and the client's own coach is alerted at once; signs
// that are often but not always about danger (feeling a burden, not being
// able to go on) get the direct question first.
func TestSafetyNetFires(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	lia := enrolWith(t, h, dana, 8002, "Lía", "es")
	bea := enrolWith(t, h, dana, 8003, "Bea", "en")
	luz := enrolWith(t, h, dana, 8004, "Luz", "es")
	if c := h.client(lia.ID()); c.Language != "es" {
		t.Fatalf("Lía's language %q, want es", c.Language)
	}
	for _, tc := range []struct {
		who        *telegramtest.User
		name, lang string
		text       string
		check      bool // the check tier: asked first, no alert yet
	}{
		{ana, "Ana", "en", "I want to die", false},
		{ana, "Ana", "en", "Honestly I've been thinking about killing myself", false},
		{ana, "Ana", "en", "I keep hurting myself when it gets bad", false},
		{ana, "Ana", "en", "I don't feel safe tonight", false},
		{ana, "Ana", "en", "everyone would be better off without me.", true},
		{ana, "Ana", "en", "I DONT WANT TO LIVE ANYMORE", false},
		{ana, "Ana", "en", "today was long.\nI can't go on like this", true},
		{lia, "Lía", "es", "Quiero morirme", false},
		{lia, "Lía", "es", "a veces pienso en suicidarme", false},
		{lia, "Lía", "es", "no me siento segura en casa", false},
		{lia, "Lía", "es", "estarian mejor sin mi", true}, // without accents
		{lia, "Lía", "es", "ME HAGO DAÑO cuando no puedo más", false},
		{lia, "Lía", "es", "I want to die", false}, // a switch of language, in the client's reply language
		// No rule reads these; the learned check asks.
		// (clients with no check waiting).
		{bea, "Bea", "en", "I want to run away from everything", true},
		{luz, "Luz", "es", "ya no quiero seguir con todo esto", true},
	} {
		t.Run(tc.lang+"/"+tc.text, func(t *testing.T) {
			w := watching(h, tc.who, dana, eli)
			h.send(tc.who, tc.text)
			if tc.check {
				checkAsked(t, w, tc.who, tc.lang, tc.text, dana, eli)
				return
			}
			checkCrisis(t, h, w, tc.who, tc.name, tc.lang, tc.text, dana, eli, nil)
		})
	}
}

// TestSafetyNetNearMisses: everyday idioms made of the same words get the
// usual acknowledgement, no alert, and are not flagged.
func TestSafetyNetNearMisses(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	lia := enrolWith(t, h, dana, 8002, "Lía", "es")
	ack := map[string]string{
		"en": words("ack_journal", prompts.Vars{Name: "Ana"}),
		"es": prompts.Default().Messages("es").Text("ack_journal", prompts.Vars{Name: "Lía"}),
	}
	// The near misses the safety package documents; each must stay quiet
	// end to end too.
	for _, tc := range []struct {
		who  *telegramtest.User
		lang string
		text string
	}{
		{ana, "en", "this commute is killing me"},
		{ana, "en", "I'd die for a full night's sleep"},
		{ana, "en", "my feet are killing me after the hike"},
		{ana, "en", "I could kill for a coffee"},
		{ana, "en", "I'm dying to see my sister"},
		{ana, "en", "the roads are not safe in the snow"},
		{ana, "en", "I skilled myself up in Go this week"},
		{lia, "es", "me muero de risa"},
		{lia, "es", "me muero de ganas de verte"},
		{lia, "es", "mañana voy a cortarme el pelo"},
		{lia, "es", "me mata el calor"},
	} {
		t.Run(tc.lang+"/"+tc.text, func(t *testing.T) {
			w := watching(h, tc.who, dana)
			h.send(tc.who, tc.text)
			if got := w.since(tc.who); len(got) != 1 || got[0].Text != ack[tc.lang] {
				t.Errorf("%q was answered %q, want %q", tc.text, messageTexts(got), ack[tc.lang])
			}
			if got := w.since(dana); len(got) != 0 {
				t.Errorf("the coach was alerted: %q", messageTexts(got))
			}
			if r := lastReply(t, h, tc.who.ID()); r.Answer != tc.text || r.Flagged {
				t.Errorf("stored %q flagged=%v, want it kept unflagged", r.Answer, r.Flagged)
			}
		})
	}
}

// TestCrisisInAnAnswerAndEdit: crisis words in an answer to a question
// close the day's questions without the usual closing; the next day's
// questions come as usual. An answer edited into crisis words fires too.
func TestCrisisInAnAnswerAndEdit(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")

	h.tick(utc("2026-03-01 19:00"))
	_, qid, msgID, ok := h.openQuestion(ana.ID())
	if !ok || qid != "mood" {
		t.Fatalf("day 0: open question %q, want mood", qid)
	}
	m, _ := h.srv.Message(ana.ID(), msgID)
	h.pressOn(ana, m.ID, answerButtons(m)[5].CallbackData)
	if _, qid, _, _ := h.openQuestion(ana.ID()); qid != "body" {
		t.Fatalf("after mood, open question %q, want body", qid)
	}
	text := "heavy. I just want to end it all"
	w := watching(h, ana, dana, eli)
	h.send(ana, text)
	checkCrisis(t, h, w, ana, "Ana", "en", text, dana, eli, nil)
	if r := lastReply(t, h, ana.ID()); r.QuestionID != "body" || r.LocalDate != "2026-03-01" {
		t.Errorf("the crisis answer was stored as %+v, want the answer to body", r)
	}
	if _, _, _, open := h.openQuestion(ana.ID()); open {
		t.Error("day 0 still has a question open after the crisis reply")
	}

	// The daily questions carry on.
	w = watching(h, ana)
	h.tick(utc("2026-03-02 09:00"))
	got := w.since(ana)
	if len(got) != 1 || !strings.Contains(got[0].Text, "How are you feeling today") {
		t.Errorf("day 1 after a crisis: %q, want the mood question", messageTexts(got))
	}

	// An edit into crisis words.
	journal := h.send(ana, "a hard evening")
	w = watching(h, ana, dana, eli)
	edited := "a hard evening. I don't want to be alive"
	if err := ana.Edit(journal, edited); err != nil {
		t.Fatal(err)
	}
	h.settle()
	checkCrisis(t, h, w, ana, "Ana", "en", edited, dana, eli, nil)
}

// TestLowestMoodTwice: the lowest mood once asks the safety check (and
// answered No, the questions carry on the next day); twice in a row sets
// off the net.
func TestLowestMoodTwice(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	pressMood := func(value string) {
		t.Helper()
		_, qid, msgID, ok := h.openQuestion(ana.ID())
		if !ok || qid != "mood" {
			t.Fatalf("open question %q, want mood", qid)
		}
		m, _ := h.srv.Message(ana.ID(), msgID)
		for _, b := range answerButtons(m) {
			if b.Text == value {
				h.pressOn(ana, m.ID, b.CallbackData)
				return
			}
		}
		t.Fatalf("no button %s on %q", value, m.Text)
	}

	h.tick(utc("2026-03-01 19:00"))
	w := watching(h, ana, dana)
	pressMood("1")
	got := w.since(ana)
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, words("check_question", prompts.Vars{})) || !strings.Contains(got[0].Text, "988") {
		t.Fatalf("the lowest mood once: %q, want the safety check", messageTexts(got))
	}
	if got := w.since(dana); len(got) != 0 {
		t.Errorf("the lowest mood once alerted %q", messageTexts(got))
	}
	pressCheck(t, h, ana, "n")
	if got := h.lastText(ana.ID()); got != words("check_no_reply", prompts.Vars{}) {
		t.Errorf("after No: %q", got)
	}

	h.tick(utc("2026-03-02 09:00"))
	w = watching(h, ana, dana, eli)
	pressMood("1")
	got = w.since(ana)
	if len(got) != 2 || got[0].Text != crisisReply("en", nil, "crisis_reaching") || got[1].Text != words("crisis_told_coach", prompts.Vars{}) {
		t.Errorf("the lowest mood twice: %q, want the crisis message", messageTexts(got))
	}
	alerts := w.since(dana)
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Text, words("coach_alert", prompts.Vars{Name: "Ana"})) ||
		!strings.Contains(alerts[0].Text, words("alert_low_mood", prompts.Vars{})) {
		t.Errorf("coach told %q, want an alert about Ana's lowest mood", messageTexts(alerts))
	}
	if got := w.since(eli); len(got) != 0 {
		t.Errorf("another coach was alerted: %q", messageTexts(got))
	}
	if r := lastReply(t, h, ana.ID()); r.QuestionID != "mood" || !r.Flagged || r.Value == nil || *r.Value != 1 {
		t.Errorf("stored %+v, want the mood 1 flagged", r)
	}

	// Day 2: the questions come as usual, and a middling mood is only that.
	w = watching(h, ana, dana)
	h.tick(utc("2026-03-03 09:00"))
	pressMood("5")
	if got := w.since(ana); len(got) < 2 || !strings.Contains(got[0].Text, "How are you feeling today") || strings.Contains(got[1].Text, "988") {
		t.Errorf("day 2: %q, want the mood question then the next", messageTexts(got))
	}
	if got := w.since(dana); len(got) != 0 {
		t.Errorf("day 2 alerted %q", messageTexts(got))
	}
}

// TestSafetyPlanShownFirst: a plan written with /safetyplan is stored in
// the client's words and leads their next crisis reply, above the
// helplines.
func TestSafetyPlanShownFirst(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	lia := enrolWith(t, h, dana, 8002, "Lía", "es")

	for _, tc := range []struct {
		who        *telegramtest.User
		name, lang string
		answers    []string
		plan       map[string]string
		crisis     string
	}{
		{ana, "Ana", "en",
			[]string{"I stop answering my friends", "A long walk with the dog", "My sister's kitchen", "Marta, 555-0101"},
			map[string]string{
				safety.PlanWarningSigns: "I stop answering my friends", safety.PlanCoping: "A long walk with the dog",
				safety.PlanPeople: "My sister's kitchen", safety.PlanContacts: "Marta, 555-0101",
			},
			"I want to kill myself"},
		{lia, "Lía", "es",
			[]string{"Dejo de comer", "-", "La casa de mi abuela", "Mi hermano, 600 000 000"},
			map[string]string{
				safety.PlanWarningSigns: "Dejo de comer", safety.PlanPeople: "La casa de mi abuela",
				safety.PlanContacts: "Mi hermano, 600 000 000",
			},
			"quiero morirme"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			got := answered(h, tc.who, "/safetyplan")
			msgs := prompts.Default().Messages(tc.lang)
			if len(got) != 2 || got[0].Text != msgs.Text("plan_intro", prompts.Vars{Name: tc.name}) || got[1].Text != safety.PlanParts[0].Prompt[tc.lang] {
				t.Fatalf("/safetyplan: %q", messageTexts(got))
			}
			for i, a := range tc.answers {
				got := answered(h, tc.who, a)
				want := msgs.Text("plan_done", prompts.Vars{Name: tc.name})
				if i+1 < len(safety.PlanParts) {
					want = safety.PlanParts[i+1].Prompt[tc.lang]
				}
				if len(got) != 1 || got[0].Text != want {
					t.Fatalf("after part %d: %q, want %q", i, messageTexts(got), want)
				}
			}
			c := h.client(tc.who.ID())
			if len(c.SafetyPlan) != len(tc.plan) || c.Flow != "" {
				t.Fatalf("stored plan %q (flow %q), want %q", c.SafetyPlan, c.Flow, tc.plan)
			}
			for k, v := range tc.plan {
				if c.SafetyPlan[k] != v {
					t.Errorf("plan %s = %q, want %q", k, c.SafetyPlan[k], v)
				}
			}
			if n := len(h.replies(tc.who.ID())); n != 0 {
				t.Errorf("the plan was also kept as %d journal entries", n)
			}

			w := watching(h, tc.who, dana, eli)
			h.send(tc.who, tc.crisis)
			checkCrisis(t, h, w, tc.who, tc.name, tc.lang, tc.crisis, dana, eli, tc.plan)
			sent := h.srv.Messages(tc.who.ID())
			reply := sent[len(sent)-2].Text // before the line saying the coach has it
			hotline := strings.Index(reply, "988")
			last := -1
			for _, p := range safety.PlanParts {
				v, ok := tc.plan[p.Key]
				if !ok {
					continue
				}
				at := strings.Index(reply, v)
				if at < 0 || at < last || at > hotline {
					t.Errorf("plan part %s at %d (previous at %d, hotline at %d) in:\n%s", p.Key, at, last, hotline, reply)
				}
				last = at
			}
			if !strings.HasPrefix(reply, safety.PlanParts[0].Heading[tc.lang]) {
				t.Errorf("the crisis reply starts %.40q, want the plan's first heading", reply)
			}
		})
	}
}

// TestCrisisAlertOfALongMessage: a crisis message as long as Telegram
// allows still reaches the coach, shortened to fit.
func TestCrisisAlertOfALongMessage(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	text := "I want to die. " + strings.Repeat("Everything is too much. ", 171)
	text = text[:4096]
	w := watching(h, ana, dana)
	h.send(ana, text)
	if got := w.since(ana); len(got) != 2 || got[0].Text != crisisReply("en", nil, "crisis_reaching") {
		t.Errorf("client got %d messages, want the crisis message and the line saying the coach has it", len(got))
	}
	alerts := w.since(dana)
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Text, words("coach_alert", prompts.Vars{Name: "Ana"})) || !strings.Contains(alerts[0].Text, "I want to die. Everything is too much.") {
		t.Errorf("coach got %q, want the alert with the start of the message", messageTexts(alerts))
	}
	for _, c := range h.srv.Calls("sendMessage") {
		if c.Status != 200 {
			t.Errorf("a message was refused: %s", c.Description)
		}
	}
}

// TestCrisisOfAClientWhoseCoachLeft: when a client's coach is no longer
// configured, every coach is told, as for a client enrolled without one,
// and the crisis reply speaks of the care team.
func TestCrisisOfAClientWhoseCoachLeft(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	h.cfg.coaches = []bot.Coach{coachEli} // Dana leaves the practice
	h.restart()
	w := watching(h, ana, dana, eli)
	h.send(ana, "I want to die")
	checkCrisis(t, h, w, ana, "Ana", "en", "I want to die", eli, nil, nil)
}
