package bot

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/prompts"
	"kindling/safety"
	"kindling/store"
)

// Classifier is what the bot needs from the safety net: a tier for a
// message. *safety.Net is one.
type Classifier interface {
	Classify(lang, text string) safety.Verdict
}

var _ Classifier = (*safety.Net)(nil)

// Defaults of the alert timers when the Bot's fields are zero.
const (
	defaultEscalateAfter = 15 * time.Minute
	defaultCheckTimeout  = 30 * time.Minute
)

// maxAlertWords is how much of a client's message an alert quotes.
const maxAlertWords = 3000

// alertNotes is the kv namespace of a coach's pending note: the alert
// they just resolved, whose note their next message is.
const alertNotes = "alert_note"

func (b *Bot) escalateAfter() time.Duration {
	if b.cfg.EscalateAfter > 0 {
		return b.cfg.EscalateAfter
	}
	return defaultEscalateAfter
}

func (b *Bot) checkTimeout() time.Duration {
	if b.cfg.CheckTimeout > 0 {
		return b.cfg.CheckTimeout
	}
	return defaultCheckTimeout
}

// classify asks the net about text; no net means no verdict.
func (b *Bot) classify(lang, text string) safety.Verdict {
	if b.safety == nil || strings.TrimSpace(text) == "" {
		return safety.Verdict{}
	}
	return b.safety.Classify(lang, text)
}

// verdictOf applies the safety net to a reply: its words, or for the mood
// scale the lowest answer (once: a check; twice in a row: an alert).
func (b *Bot) verdictOf(tx *store.Tx, c *store.Client, r *store.Reply) (safety.Verdict, error) {
	if r.Value == nil {
		return b.classify(c.Language, r.Answer), nil
	}
	if r.QuestionID != "mood" || (!b.cfg.LowestMoodTwice && !b.cfg.LowestMoodCheck) {
		return safety.Verdict{}, nil
	}
	q, ok := b.lowestOf(r)
	if !ok || *r.Value != q {
		return safety.Verdict{}, nil
	}
	if b.cfg.LowestMoodTwice {
		// The client's last mood before this one, newest first: only the
		// replies since it are read.
		twice := false
		err := tx.RecentReplies(c.ChatID, func(prev store.Reply) (bool, error) {
			if prev.QuestionID != "mood" || prev.Value == nil {
				return true, nil
			}
			twice = *prev.Value == q
			return false, nil
		})
		if err != nil {
			return safety.Verdict{}, err
		}
		if twice {
			return safety.Verdict{Tier: safety.TierAlert, Rule: "lowest-mood-twice", Category: "mood"}, nil
		}
	}
	if b.cfg.LowestMoodCheck {
		return safety.Verdict{Tier: safety.TierCheck, Rule: "lowest-mood", Category: "mood"}, nil
	}
	return safety.Verdict{}, nil
}

// wordsOf is what an alert quotes of a reply.
func (b *Bot) wordsOf(r *store.Reply) string {
	if r.Value != nil {
		return b.text(b.cfg.DefaultLanguage, "alert_low_mood", prompts.Vars{}) + " " + r.Answer
	}
	return clipRunes(r.Answer, maxAlertWords)
}

// onVerdict answers a stored reply the net noticed. It reports false for
// TierNone, when the usual acknowledgement follows.
func (b *Bot) onVerdict(tx *store.Tx, fx *effects, c *store.Client, r *store.Reply, v safety.Verdict) (bool, error) {
	switch v.Tier {
	case safety.TierAlert:
		return true, b.respondToCrisis(tx, fx, c, b.wordsOf(r), v)
	case safety.TierCheck:
		return true, b.askCheck(tx, fx, c, b.wordsOf(r), v)
	}
	return false, nil
}

// ownCoach is the client's coach when configured, or 0.
func (b *Bot) ownCoach(c *store.Client) int64 {
	for _, co := range b.cfg.Coaches {
		if co.ID == c.Coach && c.Coach != 0 {
			return co.ID
		}
	}
	return 0
}

// firstRecipients are told of an alert at once: the client's coach (every
// coach when they have none, or theirs left), or, with no coaches at all,
// the escalate_to chats.
func (b *Bot) firstRecipients(c *store.Client) []int64 {
	if ids := b.coachesOf(c); len(ids) > 0 {
		return ids
	}
	return b.cfg.EscalateTo
}

// reachingLine is the crisis reply's last line: a coach is being reached,
// or nothing when no one can be.
func (b *Bot) reachingLine(c *store.Client) string {
	switch {
	case b.ownCoach(c) != 0:
		return b.text(c.Language, "crisis_reaching", prompts.Vars{Name: c.Name})
	case len(b.firstRecipients(c)) > 0:
		return b.text(c.Language, "crisis_reaching_team", prompts.Vars{Name: c.Name})
	}
	return ""
}

// crisisReply enqueues the crisis reply to a client, ahead of everything.
func (b *Bot) crisisReply(tx *store.Tx, fx *effects, c *store.Client, line string) error {
	return b.enqueue(tx, fx, &store.Outgoing{ChatID: c.ChatID, Text: b.crisisText(c, line), Urgent: true})
}

// respondToCrisis answers at once with the crisis reply (the client's own
// safety plan first, then the lines, then who is being reached), and
// raises an alert to their coach.
func (b *Bot) respondToCrisis(tx *store.Tx, fx *effects, c *store.Client, words string, v safety.Verdict) error {
	line := b.reachingLine(c)
	if err := b.crisisReply(tx, fx, c, line); err != nil {
		return err
	}
	if err := b.overtakeChecks(tx, c.ChatID); err != nil {
		return err
	}
	a := store.Alert{
		ChatID: c.ChatID, At: b.now(), Tier: store.TierAlert, Rule: v.Rule, Category: v.Category,
		Words: words, Coach: b.ownCoach(c), ClientTold: line == "",
	}
	if err := tx.AddAlert(&a); err != nil {
		return err
	}
	fx.raised++
	return b.tell(tx, fx, c, &a, b.firstRecipients(c), "")
}

// overtakeChecks settles the client's unanswered checks when an alert is
// raised: the coach hears of the alert now, not of the check later.
func (b *Bot) overtakeChecks(tx *store.Tx, chat int64) error {
	as, err := tx.Alerts(chat)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Tier == store.TierCheck && a.Check == store.CheckAsked {
			a.Check, a.CheckAt, a.Due = store.CheckOvertaken, b.now(), time.Time{}
			if err := tx.PutAlert(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// askCheck asks the client the safety check, with buttons and the lines,
// and keeps it as an alert record of tier check with a timeout.
func (b *Bot) askCheck(tx *store.Tx, fx *effects, c *store.Client, words string, v safety.Verdict) error {
	now := b.now()
	as, err := tx.Alerts(c.ChatID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Check == store.CheckAsked && a.Tier == store.TierCheck {
			// One question at a time: the words join the open check.
			a.Words = clipRunes(a.Words+"\n\n"+words, maxAlertWords)
			if err := tx.PutAlert(a); err != nil {
				return err
			}
			return b.enqueue(tx, fx, &store.Outgoing{ChatID: c.ChatID, Text: b.text(c.Language, "check_pending", prompts.Vars{Name: c.Name}), Urgent: true})
		}
	}
	a := store.Alert{
		ChatID: c.ChatID, At: now, Tier: store.TierCheck, Rule: v.Rule, Category: v.Category,
		Words: words, Coach: b.ownCoach(c), Check: store.CheckAsked, Due: now.Add(b.checkTimeout()),
	}
	if err := tx.AddAlert(&a); err != nil {
		return err
	}
	fx.checks++
	id := strconv.FormatInt(a.At.UnixNano(), 10)
	w := b.words(c.Language)
	v0 := prompts.Vars{Name: c.Name}
	return b.enqueue(tx, fx, &store.Outgoing{
		ChatID: c.ChatID, Urgent: true,
		Text: w.Text("check_question", v0) + "\n\n" + w.Text("check_lines", v0),
		Keyboard: [][]store.Button{
			{{Text: w.Text("check_yes", v0), Data: callbackData(kindCheck, "y", id)}, {Text: w.Text("check_no", v0), Data: callbackData(kindCheck, "n", id)}},
			{{Text: w.Text("check_rather_not", v0), Data: callbackData(kindCheck, "p", id)}},
		},
	})
}

// onCheckPress takes the client's answer to the safety check. A second
// press, or one on a check already settled, changes nothing.
func (b *Bot) onCheckPress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	lang := q.From.LanguageCode
	answer, id, _ := strings.Cut(data, "|")
	nanos, err := strconv.ParseInt(id, 10, 64)
	c, cerr := tx.Client(chatID)
	if err != nil || errors.Is(cerr, store.ErrNotFound) {
		b.answerPress(fx, q.ID, b.text(lang, "old_question", prompts.Vars{}))
		return nil
	}
	if cerr != nil {
		return cerr
	}
	a, err := tx.Alert(chatID, time.Unix(0, nanos))
	if errors.Is(err, store.ErrNotFound) {
		b.answerPress(fx, q.ID, b.text(c.Language, "old_question", prompts.Vars{}))
		b.showChosen(fx, chatID, messageID, "")
		return nil
	}
	if err != nil {
		return err
	}
	if a.Check != store.CheckAsked {
		b.answerPress(fx, q.ID, b.text(c.Language, "check_answered", prompts.Vars{Name: c.Name}))
		return nil
	}
	var how string
	switch answer {
	case "y":
		how = store.CheckYes
	case "n":
		how = store.CheckNo
	case "p":
		how = store.CheckRatherNot
	default:
		b.answerPress(fx, q.ID, "")
		return nil
	}
	b.answerPress(fx, q.ID, "")
	b.showChosen(fx, chatID, messageID, pressedLabel(q))
	a.Check, a.CheckAt, a.Due = how, b.now(), time.Time{}
	if how == store.CheckNo {
		if err := tx.PutAlert(a); err != nil {
			return err
		}
		return b.say(tx, fx, chatID, b.text(c.Language, "check_no_reply", prompts.Vars{Name: c.Name}))
	}
	line := b.reachingLine(&c)
	if err := b.crisisReply(tx, fx, &c, line); err != nil {
		return err
	}
	a.ClientTold = line == ""
	return b.raiseCheck(tx, fx, &c, &a)
}

// raiseCheck turns a check into an alert and tells the first recipients.
func (b *Bot) raiseCheck(tx *store.Tx, fx *effects, c *store.Client, a *store.Alert) error {
	a.Tier = store.TierAlert
	fx.raised++
	return b.tell(tx, fx, c, a, b.firstRecipients(c), "")
}

// tell sends the alert to each chat in to not yet told, stores the alert,
// and sets its escalation timer when it has not escalated yet. why is the
// message key saying why an escalated alert reaches someone ("" first).
func (b *Bot) tell(tx *store.Tx, fx *effects, c *store.Client, a *store.Alert, to []int64, why string) error {
	text := b.alertText(c, a, why)
	client, at := strconv.FormatInt(c.ChatID, 10), strconv.FormatInt(a.At.UnixNano(), 10)
	lang := b.cfg.DefaultLanguage
	rows := [][]store.Button{{
		{Text: b.text(lang, "alert_ack", prompts.Vars{}), Data: callbackData(kindAlert, "k", client, at)},
		{Text: b.text(lang, "alert_resolve", prompts.Vars{}), Data: callbackData(kindAlert, "r", client, at)},
	}}
	told := 0
	for _, chat := range to {
		if a.WasTold(chat) {
			continue
		}
		a.Told = append(a.Told, store.Told{Chat: chat, Escalated: why != ""})
		if err := b.enqueue(tx, fx, &store.Outgoing{ChatID: chat, Text: text, Keyboard: rows, About: c.ChatID, AlertAt: a.At, Urgent: true}); err != nil {
			return err
		}
		told++
	}
	if len(a.Told) == 0 {
		b.logger().Warn("safety alert with no one to tell: configure coaches or safety.escalate_to", "chat", c.ChatID)
	}
	if a.EscalatedAt.IsZero() && a.AckAt.IsZero() && a.ResolvedAt.IsZero() {
		a.Due = b.now().Add(b.escalateAfter())
	}
	return tx.PutAlert(*a)
}

// alertText is the message an alert sends: who, tier and sign, the
// check's answer, why it reached this chat, and the client's words.
func (b *Bot) alertText(c *store.Client, a *store.Alert, why string) string {
	lang := b.cfg.DefaultLanguage
	v := prompts.Vars{Name: c.Name}
	var parts []string
	if a.Check != "" {
		parts = append(parts, b.text(lang, "alert_check_head", v))
		switch a.Check {
		case store.CheckYes:
			parts = append(parts, b.text(lang, "alert_check_yes", v))
		case store.CheckRatherNot:
			parts = append(parts, b.text(lang, "alert_check_rather_not", v))
		case store.CheckTimeout:
			parts = append(parts, b.text(lang, "alert_check_timeout", v))
		}
	} else {
		parts = append(parts, b.text(lang, "coach_alert", v))
	}
	detail := "tier: " + a.Tier
	if a.Category != "" {
		detail += " · sign: " + a.Category
	}
	if a.Rule != "" {
		detail += " · rule: " + a.Rule
	}
	parts = append(parts, detail)
	// Whoever is told may not know the client: how to find them, and
	// whose client they are.
	who := "chat id " + strconv.FormatInt(c.ChatID, 10)
	if c.Username != "" {
		who = "@" + c.Username + " · " + who
	}
	for _, co := range b.cfg.Coaches {
		if co.ID == a.Coach && co.Name != "" {
			who += " · coach: " + co.Name
		}
	}
	parts = append(parts, who)
	if a.Group != 0 {
		parts = append(parts, b.text(lang, "alert_from_group", v))
	}
	if why != "" {
		parts = append(parts, b.text(lang, why, v))
	}
	parts = append(parts, b.text(lang, "alert_words", v)+"\n«"+clipRunes(a.Words, maxAlertWords)+"»")
	return strings.Join(parts, "\n")
}

// escalate tells every other coach and the escalate_to chats, once.
func (b *Bot) escalate(tx *store.Tx, fx *effects, a *store.Alert, why string) error {
	if !a.EscalatedAt.IsZero() {
		return nil
	}
	c, err := tx.Client(a.ChatID)
	if errors.Is(err, store.ErrNotFound) {
		c = store.Client{ChatID: a.ChatID}
	} else if err != nil {
		return err
	}
	a.EscalatedAt, a.Due = b.now(), time.Time{}
	var to []int64
	for _, co := range b.cfg.Coaches {
		to = append(to, co.ID)
	}
	to = append(to, b.cfg.EscalateTo...)
	fx.escalated++
	return b.tell(tx, fx, &c, a, to, why)
}

// AlertTimers fires the alert timers due at now: a check unanswered for
// check_timeout alerts the coach; an alert nobody acknowledged within
// escalate_after escalates. The schedule's tick calls it.
func (b *Bot) AlertTimers(now time.Time) error {
	// Most ticks have nothing due: look before taking the write lock.
	waiting := false
	if err := b.db.View(func(tx *store.Tx) error {
		due, err := tx.AlertsDue(now, 1)
		waiting = len(due) > 0
		return err
	}); err != nil {
		return fmt.Errorf("alert timers: %w", err)
	}
	if !waiting {
		return nil
	}
	var fx effects
	err := b.db.Update(func(tx *store.Tx) error {
		fx = effects{}
		due, err := tx.AlertsDue(now, 256)
		if err != nil {
			return err
		}
		for _, a := range due {
			switch {
			case a.Tier == store.TierCheck && a.Check == store.CheckAsked:
				c, err := tx.Client(a.ChatID)
				if errors.Is(err, store.ErrNotFound) {
					c = store.Client{ChatID: a.ChatID}
				} else if err != nil {
					return err
				}
				a.Check, a.CheckAt, a.ClientTold = store.CheckTimeout, now, true
				if err := b.raiseCheck(tx, &fx, &c, &a); err != nil {
					return err
				}
			case a.Tier == store.TierAlert && a.AckAt.IsZero() && a.ResolvedAt.IsZero():
				if err := b.escalate(tx, &fx, &a, "alert_escalated_unacknowledged"); err != nil {
					return err
				}
			default:
				a.Due = time.Time{}
				if err := tx.PutAlert(a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("alert timers: %w", err)
	}
	b.committed(&fx)
	return nil
}

// committed counts what a committed transaction did to alerts and wakes
// the drain for what it enqueued.
func (b *Bot) committed(fx *effects) {
	b.stats.alertsRaised.Add(int64(fx.raised))
	b.stats.checksAsked.Add(int64(fx.checks))
	b.stats.alertsEscalated.Add(int64(fx.escalated))
	for _, d := range fx.acked {
		b.stats.acknowledged(d)
	}
	if fx.sent {
		b.Wake()
	}
}

// alertSent records that an alert message reached its chat, and tells the
// client the first time one does. It runs in the transaction that removes
// the outbox row.
func (b *Bot) alertSent(tx *store.Tx, o store.Outgoing, messageID int) (bool, error) {
	if o.AlertAt.IsZero() || o.About == 0 {
		return false, nil
	}
	a, err := tx.Alert(o.About, o.AlertAt)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for i := range a.Told {
		if a.Told[i].Chat == o.ChatID && a.Told[i].At.IsZero() {
			a.Told[i].At, a.Told[i].MessageID, a.Told[i].Failed = b.now(), messageID, false
		}
	}
	sent := false
	if !a.ClientTold {
		a.ClientTold = true
		if c, err := tx.Client(a.ChatID); err == nil {
			key := "crisis_told_team"
			if o.ChatID == a.Coach {
				key = "crisis_told_coach"
			}
			var fx effects
			if err := b.enqueue(tx, &fx, &store.Outgoing{ChatID: c.ChatID, Text: b.text(c.Language, key, prompts.Vars{Name: c.Name}), Urgent: true}); err != nil {
				return false, err
			}
			sent = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return sent, tx.PutAlert(a)
}

// alertUndelivered escalates an alert whose message could not reach a
// chat (blocked, never opened, refused, or failing every attempt).
func (b *Bot) alertUndelivered(o store.Outgoing) {
	if o.AlertAt.IsZero() || o.About == 0 {
		return
	}
	var fx effects
	err := b.db.Update(func(tx *store.Tx) error {
		fx = effects{}
		a, err := tx.Alert(o.About, o.AlertAt)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for i := range a.Told {
			if a.Told[i].Chat == o.ChatID && a.Told[i].At.IsZero() {
				a.Told[i].Failed = true
			}
		}
		if !a.EscalatedAt.IsZero() {
			return tx.PutAlert(a)
		}
		return b.escalate(tx, &fx, &a, "alert_escalated_unreached")
	})
	if err != nil {
		b.logger().Error("escalate undelivered alert", "chat", o.About, "err", err)
		return
	}
	b.committed(&fx)
}

// onAlertPress handles "I'm on it" (k) and "Resolved" (r) on an alert.
// Only a chat the alert was sent to may act on it.
func (b *Bot) onAlertPress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	lang := b.cfg.DefaultLanguage
	parts := strings.Split(data, "|")
	if len(parts) != 3 {
		b.answerPress(fx, q.ID, "")
		return nil
	}
	client, err1 := strconv.ParseInt(parts[1], 10, 64)
	nanos, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		b.answerPress(fx, q.ID, "")
		return nil
	}
	a, err := tx.Alert(client, time.Unix(0, nanos))
	if errors.Is(err, store.ErrNotFound) {
		b.answerPress(fx, q.ID, b.text(lang, "alert_gone", prompts.Vars{}))
		return nil
	}
	if err != nil {
		return err
	}
	if !a.WasTold(chatID) {
		b.answerPress(fx, q.ID, b.text(lang, "alert_not_yours", prompts.Vars{}))
		return nil
	}
	c, err := tx.Client(client)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	who := strings.TrimSpace(q.From.FirstName)
	if co, ok := b.coach(&q.From); ok && co.Name != "" {
		who = co.Name
	}
	now := b.now()
	if !a.ResolvedAt.IsZero() {
		b.answerPress(fx, q.ID, b.text(lang, "alert_already_resolved", prompts.Vars{}))
		return nil
	}
	acknowledge := func() {
		if a.AckAt.IsZero() {
			a.AckBy, a.AckName, a.AckAt, a.Due = q.From.ID, who, now, time.Time{}
			fx.acked = append(fx.acked, now.Sub(a.At))
		}
	}
	v := prompts.Vars{Name: c.Name, Coach: who}
	switch parts[0] {
	case "k":
		if !a.AckAt.IsZero() {
			b.answerPress(fx, q.ID, b.text(lang, "alert_already_taken", prompts.Vars{Coach: a.AckName}))
			return nil
		}
		acknowledge()
		b.answerPress(fx, q.ID, b.text(lang, "alert_ack_thanks", v))
		b.editMarkup(fx, chatID, messageID, &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: "✓ " + b.text(lang, "alert_ack", v), CallbackData: callbackData(kindNoop)},
			{Text: b.text(lang, "alert_resolve", v), CallbackData: callbackData(kindAlert, "r", parts[1], parts[2])},
		}}})
		if err := b.tellOthers(tx, fx, &a, chatID, b.text(lang, "alert_taken", v)); err != nil {
			return err
		}
	case "r":
		acknowledge()
		a.ResolvedBy, a.ResolvedName, a.ResolvedAt, a.Due = q.From.ID, who, now, time.Time{}
		b.answerPress(fx, q.ID, "")
		b.showChosen(fx, chatID, messageID, b.text(lang, "alert_resolve", v))
		if err := b.tellOthers(tx, fx, &a, chatID, b.text(lang, "alert_resolved_by", v)); err != nil {
			return err
		}
		if chatID > 0 {
			if err := tx.Put(alertNotes, strconv.FormatInt(chatID, 10), []byte(parts[1]+"|"+parts[2])); err != nil {
				return err
			}
			if err := b.say(tx, fx, chatID, b.text(lang, "alert_note_ask", v)); err != nil {
				return err
			}
		}
	default:
		b.answerPress(fx, q.ID, "")
		return nil
	}
	return tx.PutAlert(a)
}

// tellOthers sends a short line to every chat the alert reached but from.
func (b *Bot) tellOthers(tx *store.Tx, fx *effects, a *store.Alert, from int64, line string) error {
	for _, t := range a.Told {
		if t.Chat == from || t.At.IsZero() {
			continue
		}
		if err := b.enqueue(tx, fx, &store.Outgoing{ChatID: t.Chat, Text: line, About: a.ChatID}); err != nil {
			return err
		}
	}
	return nil
}

// takeNote keeps text as the note of the alert the chat resolved last,
// if one is waiting for its note. It reports whether it did.
func (b *Bot) takeNote(tx *store.Tx, fx *effects, chat int64, text string, command bool) (bool, error) {
	key := strconv.FormatInt(chat, 10)
	raw, ok := tx.Get(alertNotes, key)
	lang := b.cfg.DefaultLanguage
	if !ok {
		if command {
			return true, b.say(tx, fx, chat, b.text(lang, "alert_note_none", prompts.Vars{}))
		}
		return false, nil
	}
	if command && strings.TrimSpace(text) == "" {
		return true, b.say(tx, fx, chat, b.text(lang, "alert_note_how", prompts.Vars{}))
	}
	if err := tx.Delete(alertNotes, key); err != nil {
		return true, err
	}
	client, nanos, _ := strings.Cut(string(raw), "|")
	id, err1 := strconv.ParseInt(client, 10, 64)
	n, err2 := strconv.ParseInt(nanos, 10, 64)
	if err1 != nil || err2 != nil {
		return false, nil
	}
	a, err := tx.Alert(id, time.Unix(0, n))
	if errors.Is(err, store.ErrNotFound) {
		return true, b.say(tx, fx, chat, b.text(lang, "alert_gone", prompts.Vars{}))
	}
	if err != nil {
		return true, err
	}
	a.Note = clipRunes(strings.TrimSpace(text), 2000)
	if err := tx.PutAlert(a); err != nil {
		return true, err
	}
	name := ""
	if c, err := tx.Client(id); err == nil {
		name = c.Name
	}
	return true, b.say(tx, fx, chat, b.text(lang, "alert_note_kept", prompts.Vars{Name: name}))
}

// listAlerts shows a coach the alerts of their clients and those sent to
// them: open ones first, then the newest.
func (b *Bot) listAlerts(tx *store.Tx, fx *effects, co Coach, chat int64, lang string) error {
	mine, err := coachClients(tx, co.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, c := range mine {
		names[c.ChatID] = c.Name
	}
	var as []store.Alert
	err = tx.EachAlert(func(a store.Alert) error {
		_, own := names[a.ChatID]
		if own || a.Coach == co.ID || a.WasTold(co.ID) {
			as = append(as, a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return b.say(tx, fx, chat, b.text(lang, "coach_no_alerts", prompts.Vars{Name: co.Name}))
	}
	sort.SliceStable(as, func(i, j int) bool {
		if as[i].Open() != as[j].Open() {
			return as[i].Open()
		}
		return as[i].At.After(as[j].At)
	})
	if len(as) > 50 {
		as = as[:50]
	}
	var blocks []string
	for _, a := range as {
		name, ok := names[a.ChatID]
		if !ok {
			if c, err := tx.Client(a.ChatID); err == nil {
				name = c.Name
			}
		}
		blocks = append(blocks, b.alertLine(a, name, lang))
	}
	return b.sayLongAs(tx, fx, b.coachCopy(chat), b.text(lang, "coach_alerts", prompts.Vars{Name: co.Name}), blocks)
}

// alertLine is one alert in /alerts, its dates in the coach's language.
func (b *Bot) alertLine(a store.Alert, name, lang string) string {
	var sb strings.Builder
	state := "open"
	switch {
	case !a.ResolvedAt.IsZero():
		state = "resolved by " + a.ResolvedName + ", " + b.formatDayTime(lang, a.ResolvedAt.UTC())
	case !a.AckAt.IsZero():
		state = a.AckName + " is on it"
	case a.Tier == store.TierCheck && a.Check == store.CheckAsked:
		state = "check asked, no answer yet"
	case a.Tier == store.TierCheck:
		state = "check answered " + a.Check
	case !a.EscalatedAt.IsZero():
		state = "open, escalated"
	}
	if a.Open() {
		sb.WriteString("⚠ ")
	} else {
		sb.WriteString("• ")
	}
	fmt.Fprintf(&sb, "%s — %s UTC — %s", name, b.formatDayTime(lang, a.At.UTC()), a.Tier)
	if a.Category != "" {
		sb.WriteString(" · " + a.Category)
	}
	sb.WriteString(" — " + state)
	sb.WriteString("\n  «" + clipRunes(oneLine(a.Words), 120) + "»")
	if a.Note != "" {
		sb.WriteString("\n  note: " + clipRunes(oneLine(a.Note), 200))
	}
	return sb.String()
}

// groupCrisis answers crisis words in a group: the lines and a way to a
// private chat, nothing else. When the sender is an enrolled client, their
// coach is alerted too (the group is told nothing of that).
func (b *Bot) groupCrisis(tx *store.Tx, fx *effects, m *models.Message, lang string) (bool, error) {
	v := b.classify(lang, m.Text)
	if v.Tier == safety.TierNone {
		return false, nil
	}
	text := b.text(lang, "group_crisis", prompts.Vars{})
	if b.cfg.Username != "" {
		text += " https://t.me/" + b.cfg.Username
	}
	if err := b.enqueue(tx, fx, &store.Outgoing{ChatID: m.Chat.ID, Text: text, Urgent: true}); err != nil {
		return true, err
	}
	if v.Tier != safety.TierAlert || m.From == nil {
		return true, nil
	}
	c, err := tx.Client(m.From.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return true, err
	}
	a := store.Alert{
		ChatID: c.ChatID, At: b.now(), Tier: store.TierAlert, Rule: v.Rule, Category: v.Category,
		Words: clipRunes(m.Text, maxAlertWords), Coach: b.ownCoach(&c), Group: m.Chat.ID, ClientTold: true,
	}
	if err := tx.AddAlert(&a); err != nil {
		return true, err
	}
	fx.raised++
	return true, b.tell(tx, fx, &c, &a, b.firstRecipients(&c), "")
}

// alertsSince counts a client's alerts, and the safety checks asked
// (whatever their answer), raised after since, for the coach's digest.
func alertsSince(tx *store.Tx, chat int64, since, now time.Time) (alerts, checks int, err error) {
	as, err := tx.Alerts(chat)
	if err != nil {
		return 0, 0, err
	}
	for _, a := range as {
		if !a.At.After(since) || a.At.After(now) {
			continue
		}
		if a.Tier == store.TierAlert {
			alerts++
		}
		if a.Check != "" {
			checks++
		}
	}
	return alerts, checks, nil
}
