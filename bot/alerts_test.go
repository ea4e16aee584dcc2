package bot_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/bot"
	"kindling/prompts"
	"kindling/safety"
	"kindling/store"
	"kindling/telegramtest"
)

// burden is a message the test classifier makes a check.
const burden = "I feel like a burden to everyone"

// checkOn makes the chosen phrases a check and asks the net otherwise:
// the net's own rules are another package's business.
type checkOn struct {
	net     *safety.Net
	phrases []string
}

func (c checkOn) Classify(lang, text string) safety.Verdict {
	for _, p := range c.phrases {
		if strings.Contains(strings.ToLower(text), strings.ToLower(p)) {
			return safety.Verdict{Tier: safety.TierCheck, Rule: "test-burden", Category: "burden", Language: "en"}
		}
	}
	return c.net.Classify(lang, text)
}

func withBurdenCheck() option {
	return withClassifier(func(net *safety.Net) bot.Classifier { return checkOn{net: net, phrases: []string{burden}} })
}

// oncallID is a chat listed in safety.escalate_to.
const oncallID = 9301

func alertsOf(t *testing.T, h *harness, chat int64) []store.Alert {
	t.Helper()
	var as []store.Alert
	h.view(func(tx *store.Tx) error {
		var err error
		as, err = tx.Alerts(chat)
		return err
	})
	return as
}

// buttonWithPrefix is the callback data of the newest button in the chat
// whose data starts with prefix.
func buttonWithPrefix(t *testing.T, h *harness, chat int64, prefix string) string {
	t.Helper()
	msgs := h.srv.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, prefix) {
					return b.CallbackData
				}
			}
		}
	}
	t.Fatalf("no button %s… in chat %d; last message %q", prefix, chat, h.lastText(chat))
	return ""
}

// pressCheck answers the newest safety check: y, n or p.
func pressCheck(t *testing.T, h *harness, u *telegramtest.User, answer string) {
	t.Helper()
	h.press(u, buttonWithPrefix(t, h, u.ID(), "ck|"+answer+"|"))
}

// pressAlert presses I'm on it (k) or Resolved (r) on the newest alert.
func pressAlert(t *testing.T, h *harness, u *telegramtest.User, kind string) {
	t.Helper()
	data := buttonWithPrefix(t, h, u.ID(), "al|"+kind+"|")
	if len(data) > 64 {
		t.Fatalf("callback data %q is %d bytes, more than Telegram's 64", data, len(data))
	}
	h.press(u, data)
}

// forgePress hands the bot a button press that no button offered, as a
// crafted request could. It raises the stored update offset far above
// Telegram's: use it last in a test.
func forgePress(t *testing.T, h *harness, from *telegramtest.User, data string, n int64) {
	t.Helper()
	u := &models.Update{ID: 1<<40 + n, CallbackQuery: &models.CallbackQuery{
		ID: "forged-" + strconv.FormatInt(n, 10), From: models.User{ID: from.ID(), FirstName: "X"}, Data: data,
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: 1, Chat: models.Chat{ID: from.ID(), Type: models.ChatTypePrivate}}},
	}}
	if err := h.bot.Handle(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	h.settle()
}

func hasText(msgs []telegramtest.Message, part string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Text, part) {
			n++
		}
	}
	return n
}

// TestAlertCoachUnreachable: when the coach's chat cannot be reached, the
// other coach and escalate_to get the alert at once, and the client is
// told the care team (not their coach) has it.
func TestAlertCoachUnreachable(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t, withEscalateTo(oncallID))
	oncall := h.user(oncallID, "On call")
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	h.srv.Block(dana.ID())
	w := watching(h, ana, eli, oncall)
	h.send(ana, "I want to die")

	got := w.since(ana)
	if len(got) != 2 || got[0].Text != crisisReply("en", nil, "crisis_reaching") || got[1].Text != words("crisis_told_team", prompts.Vars{}) {
		t.Errorf("Ana was answered %q, want the crisis reply (reaching her coach), then that the care team has it", messageTexts(got))
	}
	for _, u := range []*telegramtest.User{eli, oncall} {
		msgs := w.since(u)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "I want to die") || !strings.Contains(msgs[0].Text, words("alert_escalated_unreached", prompts.Vars{})) {
			t.Errorf("chat %d was sent %q, want the escalated alert", u.ID(), messageTexts(msgs))
		}
	}
	as := alertsOf(t, h, ana.ID())
	if len(as) != 1 || as[0].EscalatedAt.IsZero() || !as[0].Due.IsZero() {
		t.Fatalf("alerts %+v, want one, escalated, no timer left", as)
	}
	byChat := map[int64]store.Told{}
	for _, told := range as[0].Told {
		byChat[told.Chat] = told
	}
	if d := byChat[dana.ID()]; !d.Failed || !d.At.IsZero() {
		t.Errorf("Dana's delivery %+v, want failed", d)
	}
	for _, id := range []int64{eli.ID(), oncallID} {
		if d := byChat[id]; d.At.IsZero() || !d.Escalated || d.MessageID == 0 {
			t.Errorf("delivery to %d: %+v, want delivered as an escalation", id, d)
		}
	}
	// Escalation already happened: the timer gives nothing more.
	w = watching(h, eli, oncall)
	h.tick(utc("2026-03-01 12:30"))
	if n := hasText(w.since(eli), "I want to die") + hasText(w.since(oncall), "I want to die"); n != 0 {
		t.Errorf("the alert was sent again %d times", n)
	}
	if st := h.bot.Stats(); st.AlertsRaised != 1 || st.AlertsEscalated != 1 {
		t.Errorf("stats %+v, want 1 raised, 1 escalated", st)
	}
}

// TestAlertEscalatesOnceThenAcknowledged: unacknowledged for
// escalate_after, an alert reaches the other coach and escalate_to once;
// "I'm on it" there stops it and the others see who took it; Resolved
// closes it with a note.
func TestAlertEscalatesOnceThenAcknowledged(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t, withEscalateTo(oncallID))
	oncall := h.user(oncallID, "On call")
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	start := h.clock.Now()
	w := watching(h, ana, dana, eli, oncall)
	h.send(ana, "I want to die")
	if got := w.since(ana); len(got) != 2 || got[1].Text != words("crisis_told_coach", prompts.Vars{}) {
		t.Errorf("Ana was answered %q, want the crisis reply then that her coach has it", messageTexts(got))
	}
	if got := w.since(dana); len(got) != 1 || len(got[0].Keyboard) == 0 {
		t.Fatalf("Dana got %q, want one alert with buttons", messageTexts(got))
	}
	h.tick(start.Add(14 * time.Minute))
	if n := hasText(w.since(eli), "I want to die") + hasText(w.since(oncall), "I want to die"); n != 0 {
		t.Fatalf("escalated before escalate_after")
	}
	for _, at := range []time.Duration{15 * time.Minute, 16 * time.Minute, time.Hour, 5 * time.Hour} {
		h.tick(start.Add(at))
	}
	for _, u := range []*telegramtest.User{eli, oncall} {
		if n := hasText(w.since(u), words("alert_escalated_unacknowledged", prompts.Vars{})); n != 1 {
			t.Errorf("chat %d got the escalation %d times, want once", u.ID(), n)
		}
	}
	if n := hasText(w.since(dana), "I want to die"); n != 1 {
		t.Errorf("Dana got the alert %d times, want once", n)
	}

	// Eli takes it; Dana and the on-call chat see who did.
	w = watching(h, dana, eli, oncall)
	pressAlert(t, h, eli, "k")
	taken := words("alert_taken", prompts.Vars{Coach: "Eli", Name: "Ana"})
	for _, u := range []*telegramtest.User{dana, oncall} {
		if got := w.since(u); len(got) != 1 || got[0].Text != taken {
			t.Errorf("chat %d got %q, want %q", u.ID(), messageTexts(got), taken)
		}
	}
	if got := w.since(eli); len(got) != 0 {
		t.Errorf("Eli got %q after pressing", messageTexts(got))
	}
	// Dana presses too: Eli already has it, nothing changes.
	id := h.press(dana, buttonWithPrefix(t, h, dana.ID(), "al|k|"))
	if a, _ := h.srv.CallbackAnswer(id); a.Text != words("alert_already_taken", prompts.Vars{Coach: "Eli"}) {
		t.Errorf("Dana's press answered %q", a.Text)
	}
	a := alertsOf(t, h, ana.ID())[0]
	if a.AckBy != eli.ID() || a.AckName != "Eli" || a.AckAt.IsZero() || !a.Due.IsZero() {
		t.Errorf("after I'm on it: %+v", a)
	}

	// Resolved, with a note from Eli's next message.
	pressAlert(t, h, eli, "r")
	if got := h.lastText(eli.ID()); got != words("alert_note_ask", prompts.Vars{}) {
		t.Errorf("after Resolved Eli read %q", got)
	}
	if got := said(h, eli, "Called her; she is with her sister tonight.", eli.ID()); len(got) != 1 || got[0].Text != words("alert_note_kept", prompts.Vars{Name: "Ana"}) {
		t.Errorf("the note was answered %q", messageTexts(got))
	}
	a = alertsOf(t, h, ana.ID())[0]
	if a.ResolvedBy != eli.ID() || a.ResolvedAt.IsZero() || a.Note != "Called her; she is with her sister tonight." || a.Open() {
		t.Errorf("after Resolved: %+v", a)
	}
	if got := said(h, eli, "/note", eli.ID()); len(got) != 1 || got[0].Text != words("alert_note_none", prompts.Vars{}) {
		t.Errorf("a second note: %q", messageTexts(got))
	}
	if st := h.bot.Stats(); st.AlertsAcknowledged != 1 || st.AlertsEscalated != 1 || st.AckTime.Count != 1 || st.AckTime.Sum < 15*60 {
		t.Errorf("stats %+v, want one acknowledgement after at least 15 minutes", st)
	}

	// /alerts lists it, resolved, with the note.
	got := said(h, dana, "/alerts", dana.ID())
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, words("coach_alerts", prompts.Vars{})) || !strings.Contains(got[0].Text, "Ana") || !strings.Contains(got[0].Text, "note: Called her") {
		t.Errorf("/alerts: %q", messageTexts(got))
	}
}

// TestAlertAcknowledgedInTime: I'm on it before escalate_after means no
// one else is told, ever; a coach the alert was not sent to cannot act on
// it.
func TestAlertAcknowledgedInTime(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t, withEscalateTo(oncallID))
	oncall := h.user(oncallID, "On call")
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	ben := enrolWith(t, h, dana, 8002, "Ben", "en")
	start := h.clock.Now()
	h.send(ana, "I want to die")
	h.send(ben, "I want to kill myself")
	w := watching(h, eli, oncall, dana)
	pressAlert(t, h, dana, "k") // Ben's, the newest
	var benAlert store.Alert
	for _, a := range alertsOf(t, h, ben.ID()) {
		benAlert = a
	}
	if benAlert.AckBy != dana.ID() {
		t.Fatalf("Ben's alert %+v, want acknowledged by Dana", benAlert)
	}
	h.tick(start.Add(20 * time.Minute))
	if got := w.since(eli); hasText(got, "I want to kill myself") != 0 || hasText(got, "I want to die") != 1 {
		t.Errorf("Eli got %q: want only Ana's unacknowledged alert", messageTexts(got))
	}
	if got := w.since(oncall); hasText(got, "I want to kill myself") != 0 {
		t.Errorf("the on-call chat got Ben's acknowledged alert")
	}
	// /alerts: Ana's open alert comes before Ben's.
	got := said(h, dana, "/alerts", dana.ID())
	if len(got) != 1 || strings.Index(got[0].Text, "Ana") > strings.Index(got[0].Text, "Ben") {
		t.Errorf("/alerts: %q, want Ana's open alert first", messageTexts(got))
	}
	// Someone the alert never reached cannot resolve it.
	stranger := h.user(9999, "Sam")
	forgePress(t, h, stranger, "al|r|"+strconv.FormatInt(ben.ID(), 10)+"|"+strconv.FormatInt(benAlert.At.UnixNano(), 10), 1)
	if a := alertsOf(t, h, ben.ID())[0]; !a.ResolvedAt.IsZero() {
		t.Errorf("a stranger resolved the alert: %+v", a)
	}
}

// TestSafetyCheck: a check sign gets the direct question with buttons and
// the lines; Yes and "rather not say" raise the alert with the crisis
// reply; No gets a kind reply; no answer in check_timeout alerts the
// coach. Every check reaches the coach's digest.
func TestSafetyCheck(t *testing.T) {
	t.Parallel()
	h, dana, eli := coached(t, withBurdenCheck())
	start := h.clock.Now()
	yes := enrolWith(t, h, dana, 8001, "Ana", "en")
	rather := enrolWith(t, h, dana, 8002, "Ben", "en")
	no := enrolWith(t, h, dana, 8003, "Cai", "en")
	silent := enrolWith(t, h, dana, 8004, "Dee", "es")

	w := watching(h, dana, eli, yes, rather, no, silent)
	for _, u := range []*telegramtest.User{yes, rather, no, silent} {
		h.send(u, burden)
	}
	for _, u := range []*telegramtest.User{yes, rather, no, silent} {
		lang := "en"
		if u == silent {
			lang = "es"
		}
		got := w.since(u)
		if len(got) != 1 || got[0].Text != langWords(lang, "check_question", prompts.Vars{})+"\n\n"+langWords(lang, "check_lines", prompts.Vars{}) {
			t.Fatalf("%d was answered %q, want the safety check", u.ID(), messageTexts(got))
		}
		var labels []string
		for _, row := range got[0].Keyboard {
			for _, b := range row {
				labels = append(labels, b.Text)
			}
		}
		if strings.Join(labels, "/") != langWords(lang, "check_yes", prompts.Vars{})+"/"+langWords(lang, "check_no", prompts.Vars{})+"/"+langWords(lang, "check_rather_not", prompts.Vars{}) {
			t.Errorf("check buttons %q", labels)
		}
	}
	if got := w.since(dana); len(got) != 0 {
		t.Errorf("a check alerted the coach at once: %q", messageTexts(got))
	}

	w = watching(h, dana, yes, rather, no)
	pressCheck(t, h, yes, "y")
	pressCheck(t, h, rather, "p")
	pressCheck(t, h, no, "n")
	for _, u := range []*telegramtest.User{yes, rather} {
		got := w.since(u)
		if len(got) != 2 || got[0].Text != crisisReply("en", nil, "crisis_reaching") || got[1].Text != words("crisis_told_coach", prompts.Vars{}) {
			t.Errorf("%d after answering: %q, want the crisis reply and that the coach has it", u.ID(), messageTexts(got))
		}
	}
	if got := w.since(no); len(got) != 1 || got[0].Text != words("check_no_reply", prompts.Vars{}) {
		t.Errorf("after No: %q", messageTexts(got))
	}
	alerts := w.since(dana)
	if len(alerts) != 2 || !strings.Contains(alerts[0].Text, words("alert_check_yes", prompts.Vars{})) || !strings.Contains(alerts[1].Text, words("alert_check_rather_not", prompts.Vars{})) ||
		!strings.Contains(alerts[0].Text, burden) {
		t.Errorf("Dana got %q, want the alerts of Yes and rather-not with the words", messageTexts(alerts))
	}
	for u, want := range map[*telegramtest.User]string{yes: store.CheckYes, rather: store.CheckRatherNot, no: store.CheckNo} {
		as := alertsOf(t, h, u.ID())
		if len(as) != 1 || as[0].Check != want || as[0].CheckAt.IsZero() {
			t.Errorf("%d: %+v, want the check %s", u.ID(), as, want)
		}
	}

	// Dee never answers: at check_timeout her coach is alerted, once.
	w = watching(h, dana, silent)
	h.tick(start.Add(29 * time.Minute))
	if n := hasText(w.since(dana), words("alert_check_timeout", prompts.Vars{})); n != 0 {
		t.Fatal("alerted before check_timeout")
	}
	h.tick(start.Add(31 * time.Minute))
	h.tick(start.Add(40 * time.Minute))
	if n := hasText(w.since(dana), words("alert_check_timeout", prompts.Vars{})); n != 1 {
		t.Errorf("the unanswered check alerted %d times, want once", n)
	}
	if n := hasText(w.since(silent), "988"); n != 0 {
		t.Errorf("Dee was sent the crisis reply without answering")
	}
	if as := alertsOf(t, h, silent.ID()); len(as) != 1 || as[0].Check != store.CheckTimeout || as[0].Tier != store.TierAlert {
		t.Errorf("Dee's check %+v, want timed out into an alert", as)
	}

	// The digest counts every check, whatever its answer.
	w = watching(h, dana)
	h.tick(utc("2026-03-01 18:00"))
	if got := w.since(dana); len(got) != 1 || strings.Count(got[0].Text, "1 safety checks asked") != 4 || !strings.Contains(got[0].Text, "Cai: 1 new, ⚠ 1 flagged, 1 safety checks asked") {
		t.Errorf("digest %q, want each client's check", messageTexts(got))
	}

	// Pressing again (a stale button, days later) changes nothing.
	h.clock.Set(utc("2026-03-04 10:00"))
	for i, u := range []*telegramtest.User{yes, no} {
		before := alertsOf(t, h, u.ID())[0]
		forgePress(t, h, u, "ck|y|"+strconv.FormatInt(before.At.UnixNano(), 10), int64(10+i))
		if after := alertsOf(t, h, u.ID())[0]; after.Check != before.Check || !after.CheckAt.Equal(before.CheckAt) {
			t.Errorf("a second press changed %+v into %+v", before, after)
		}
	}
	if st := h.bot.Stats(); st.ChecksAsked != 4 || st.AlertsRaised != 3 {
		t.Errorf("stats %+v, want 4 checks, 3 alerts", st)
	}
}

// TestCrisisWordingWithNoOneToTell: with no coach and no escalate_to the
// crisis reply never speaks of anyone being told; with only escalate_to
// it speaks of the care team, then says when one has it.
func TestCrisisWordingWithNoOneToTell(t *testing.T) {
	t.Parallel()
	t.Run("nobody", func(t *testing.T) {
		h := newHarness(t)
		u := h.user(1001, "Ana")
		h.onboard(u, "UTC", "09:00", "2026-03-01")
		got := answered(h, u, "I want to die")
		if len(got) != 1 || got[0].Text != crisisReply("en", nil, "") {
			t.Errorf("answered %q, want the crisis reply alone", messageTexts(got))
		}
	})
	t.Run("on call only", func(t *testing.T) {
		h := newHarness(t, withEscalateTo(oncallID))
		oncall := h.user(oncallID, "On call")
		u := h.user(1001, "Ana")
		h.onboard(u, "UTC", "09:00", "2026-03-01")
		got := answered(h, u, "I want to die")
		if len(got) != 2 || got[0].Text != crisisReply("en", nil, "crisis_reaching_team") || got[1].Text != words("crisis_told_team", prompts.Vars{}) {
			t.Errorf("answered %q, want the crisis reply reaching the team, then that they have it", messageTexts(got))
		}
		if n := hasText(oncall.Messages(), "I want to die"); n != 1 {
			t.Errorf("the on-call chat got %d alerts", n)
		}
	})
	t.Run("before consent", func(t *testing.T) {
		h, _, _ := coached(t, withEscalateTo(oncallID))
		u := h.user(1002, "Noor")
		got := answered(h, u, "I want to die")
		if len(got) != 1 || got[0].Text != crisisReply("en", nil, "") {
			t.Errorf("answered %q, want the crisis reply alone", messageTexts(got))
		}
		if h.clientCount() != 0 {
			t.Error("stored a client before consent")
		}
	})
}

// TestCrisisInAGroup: crisis words in a group get the lines and a way to
// a private chat there; an enrolled client's coach is alerted too.
func TestCrisisInAGroup(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	stranger := h.user(8100, "Sam")
	w := watching(h, dana)
	for _, u := range []*telegramtest.User{stranger, ana} {
		if _, err := h.srv.GroupMessage(-4242, u, "honestly I want to die"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.srv.GroupMessage(-4242, ana, "see you all at the picnic"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	msgs := h.srv.Messages(-4242)
	want := words("group_crisis", prompts.Vars{}) + " https://t.me/kindling_test_bot"
	if len(msgs) != 2 || msgs[0].Text != want || msgs[1].Text != want {
		t.Errorf("the group got %q, want the lines twice", messageTexts(msgs))
	}
	if got := w.since(dana); len(got) != 1 || !strings.Contains(got[0].Text, "Ana") || !strings.Contains(got[0].Text, words("alert_from_group", prompts.Vars{})) {
		t.Errorf("Dana got %q, want one alert about Ana, saying it came from a group", messageTexts(got))
	}
	if got := h.srv.Messages(ana.ID()); strings.Contains(got[len(got)-1].Text, "988") {
		t.Error("Ana's private chat got a crisis reply for a group message")
	}
	if h.hasClient(stranger.ID()) {
		t.Error("a group message stored a client")
	}
}

// TestAlertsInMyDataExportAndForget: a client's alerts are in their
// /mydata and the coach's /export, and /forget removes them.
func TestAlertsInMyDataExportAndForget(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t)
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	h.send(ana, "I want to die")
	pressAlert(t, h, dana, "k")

	doc, md := myData(t, h, ana)
	if text := string(md); !strings.Contains(text, "Times the safety net fired (1)") || !strings.Contains(text, "> I want to die") || !strings.Contains(text, "acknowledged by 9101") {
		t.Errorf("/mydata Markdown lacks the alert:\n%s", text)
	}
	var data struct {
		Alerts []store.Alert `json:"alerts"`
	}
	if err := json.Unmarshal(doc, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Alerts) != 1 || data.Alerts[0].Words != "I want to die" || data.Alerts[0].AckBy != dana.ID() {
		t.Errorf("/mydata alerts %+v", data.Alerts)
	}

	h.send(dana, "/export Ana")
	var csv *telegramtest.File
	for _, m := range h.srv.Messages(dana.ID()) {
		if m.Document != nil {
			csv = m.Document
		}
	}
	if csv == nil || !strings.Contains(string(csv.Data), ",alert,I want to die,") || !strings.Contains(string(csv.Data), "acknowledged by 9101") {
		t.Errorf("/export has no alert row")
	}

	h.send(ana, "/forget")
	h.press(ana, buttonWithPrefix(t, h, ana.ID(), "f|yes|"))
	if h.hasClient(ana.ID()) {
		t.Fatal("/forget kept the client")
	}
	if as := alertsOf(t, h, ana.ID()); len(as) != 0 {
		t.Errorf("/forget kept %d alerts", len(as))
	}
}

// TestAlertOvertakesAPendingCheck: crisis words while a check waits for
// its answer raise the alert at once, and the check does not alert the
// coach a second time when its timeout passes.
func TestAlertOvertakesAPendingCheck(t *testing.T) {
	t.Parallel()
	h, dana, _ := coached(t, withBurdenCheck())
	start := h.clock.Now()
	ana := enrolWith(t, h, dana, 8001, "Ana", "en")
	w := watching(h, dana)
	h.send(ana, burden)
	h.send(ana, burden+" and tired") // one question at a time
	if got := h.lastText(ana.ID()); got != words("check_pending", prompts.Vars{}) {
		t.Errorf("a second check sign was answered %q", got)
	}
	h.send(ana, "I want to die")
	h.tick(start.Add(45 * time.Minute))
	got := w.since(dana)
	if hasText(got, "I want to die") != 1 || hasText(got, words("alert_check_timeout", prompts.Vars{})) != 0 {
		t.Errorf("Dana got %q, want the alert once and no timed-out check", messageTexts(got))
	}
	as := alertsOf(t, h, ana.ID())
	if len(as) != 2 || as[0].Check != store.CheckOvertaken || !strings.Contains(as[0].Words, "and tired") || as[1].Tier != store.TierAlert {
		t.Errorf("alerts %+v, want the overtaken check (with both messages) and the alert", as)
	}
}

// TestAlertCoachNeverOpenedTheChat: a coach who never opened the bot's
// chat ("chat not found") counts as unreachable: escalate_to gets the
// alert at once.
func TestAlertCoachNeverOpenedTheChat(t *testing.T) {
	t.Parallel()
	ghost := bot.Coach{ID: 9199, Name: "Gil", TimeZone: "UTC", DigestTime: "18:00"}
	h := newHarness(t, withCoaches(ghost), withEscalateTo(oncallID)) // open enrolment: every coach is told
	oncall := h.user(oncallID, "On call")
	ana := h.user(8001, "Ana")
	h.onboard(ana, "UTC", "09:00", "2026-03-01")
	got := answered(h, ana, "I want to die")
	if len(got) != 2 || got[0].Text != crisisReply("en", nil, "crisis_reaching_team") || got[1].Text != words("crisis_told_team", prompts.Vars{}) {
		t.Errorf("Ana was answered %q", messageTexts(got))
	}
	if n := hasText(oncall.Messages(), words("alert_escalated_unreached", prompts.Vars{})); n != 1 {
		t.Errorf("the on-call chat got %d escalated alerts, want 1", n)
	}
	a := alertsOf(t, h, ana.ID())[0]
	if len(a.Told) != 2 || a.Told[0].Chat != ghost.ID || !a.Told[0].Failed || a.Told[1].At.IsZero() {
		t.Errorf("told %+v, want Gil failed and the on-call chat delivered", a.Told)
	}
}
