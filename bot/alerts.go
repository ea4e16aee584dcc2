package bot

import (
	"errors"
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
