package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"kindling/internal/langtag"
	"kindling/prompts"
	"kindling/safety"
	"kindling/store"
	"kindling/telegram"
)

// maxAnswer is the longest answer kept, in characters. Telegram itself
// stops a message at 4096; this guards the other ways text arrives.
const maxAnswer = 16000

// onPress handles a button press.
func (b *Bot) onPress(tx *store.Tx, q *models.CallbackQuery, fx *effects) error {
	kind, rest := parseCallback(q.Data)
	var chatID int64
	var messageID int
	if m := q.Message.Message; m != nil {
		chatID, messageID = m.Chat.ID, m.ID
		if m.Chat.Type != models.ChatTypePrivate && kind != kindAlert {
			// Only an alert sent to an on-call group is acted on there.
			b.answerPress(fx, q.ID, "")
			return nil
		}
	} else if m := q.Message.InaccessibleMessage; m != nil {
		chatID, messageID = m.Chat.ID, m.MessageID
	}
	if chatID == 0 {
		chatID = q.From.ID
	}
	lang := q.From.LanguageCode
	switch kind {
	case kindAlert:
		return b.onAlertPress(tx, q, chatID, messageID, rest, fx)
	case kindCheck:
		return b.onCheckPress(tx, q, chatID, messageID, rest, fx)
	case kindAnswer:
		return b.onAnswerPress(tx, q, chatID, messageID, rest, fx)
	case kindCheckIn:
		return b.onCheckInPress(tx, q, chatID, messageID, rest, fx)
	case kindConsent:
		return b.onConsent(tx, q, chatID, messageID, rest, fx)
	case kindZone, kindTime, kindSessionDay:
		c, err := tx.Client(chatID)
		if errors.Is(err, store.ErrNotFound) {
			b.answerPress(fx, q.ID, b.text(lang, "old_question", prompts.Vars{}))
			return nil
		}
		if err != nil {
			return err
		}
		b.answerPress(fx, q.ID, "")
		b.showChosen(fx, chatID, messageID, pressedLabel(q))
		return b.onSetupInput(tx, &c, kind, rest, fx)
	case kindForget:
		return b.onForgetPress(tx, q, chatID, messageID, rest, fx)
	case kindSessionRemove:
		return b.onSessionRemovePress(tx, q, chatID, messageID, rest, fx)
	case kindSessionChoice:
		return b.onSessionChoicePress(tx, q, chatID, messageID, rest, fx)
	case kindMove:
		return b.onMovePress(tx, q, chatID, messageID, rest, fx)
	case kindCoachJournal, kindCoachExport, kindCoachSession:
		return b.onCoachPress(tx, q, chatID, messageID, kind, rest, fx)
	default:
		b.answerPress(fx, q.ID, "")
		return nil
	}
}

// pressedLabel is the text of the button that was pressed.
func pressedLabel(q *models.CallbackQuery) string {
	m := q.Message.Message
	if m == nil || m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, btn := range row {
			if btn.CallbackData == q.Data {
				return btn.Text
			}
		}
	}
	return ""
}

// answerPress answers a button press once the transaction committed.
func (b *Bot) answerPress(fx *effects, id, text string) {
	fx.then(func(ctx context.Context) {
		err := b.sender.Do(ctx, 0, func(ctx context.Context) error {
			return b.api.AnswerCallback(ctx, id, text)
		})
		if err != nil && !errors.Is(err, telegram.ErrRejected) {
			b.logger().Warn("answer button press", "err", err)
		}
	})
}

// showChosen replaces a message's keyboard with one inert button that
// shows what was chosen, so a second press has nothing to press.
func (b *Bot) showChosen(fx *effects, chatID int64, messageID int, label string) {
	if messageID == 0 {
		return
	}
	markup := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	if label != "" {
		markup.InlineKeyboard = [][]models.InlineKeyboardButton{{{Text: "✓ " + label, CallbackData: callbackData(kindNoop)}}}
	}
	b.editMarkup(fx, chatID, messageID, markup)
}

func (b *Bot) editMarkup(fx *effects, chatID int64, messageID int, markup *models.InlineKeyboardMarkup) {
	fx.then(func(ctx context.Context) {
		err := b.sender.Do(ctx, 0, func(ctx context.Context) error {
			return b.api.EditKeyboard(ctx, chatID, messageID, markup)
		})
		if err != nil && !errors.Is(err, telegram.ErrRejected) {
			b.logger().Warn("edit keyboard", "chat", chatID, "err", err)
		}
	})
}

// pressedDelivery reads what an answer button's data (without its kind)
// names: n fields, the first the delivery's tag. A press whose client,
// fields or delivery are gone is answered as an old question (and its
// buttons taken away) and ok is false; so is a tag that does not parse.
func (b *Bot) pressedDelivery(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, n int, fx *effects) (c store.Client, d store.Delivery, parts []string, ok bool, err error) {
	lang := q.From.LanguageCode
	parts = strings.SplitN(data, "|", n)
	c, err = tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) || len(parts) != n {
		b.answerPress(fx, q.ID, b.text(lang, "old_question", prompts.Vars{}))
		b.showChosen(fx, chatID, messageID, "")
		return c, d, nil, false, nil
	}
	if err != nil {
		return c, d, nil, false, err
	}
	date, day, err := parseTag(parts[0])
	if err != nil {
		b.answerPress(fx, q.ID, b.text(c.Language, "old_question", prompts.Vars{}))
		return c, d, nil, false, nil
	}
	d, err = tx.Delivery(chatID, date, day)
	if errors.Is(err, store.ErrNotFound) {
		b.answerPress(fx, q.ID, b.text(c.Language, "old_question", prompts.Vars{}))
		b.showChosen(fx, chatID, messageID, "")
		return c, d, nil, false, nil
	}
	return c, d, parts, err == nil, err
}

// onAnswerPress stores the answer a scale or choice button gives.
func (b *Bot) onAnswerPress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	c, d, parts, ok, err := b.pressedDelivery(tx, q, chatID, messageID, data, 3, fx)
	if !ok {
		return err
	}
	lang := c.Language
	qid, value := parts[1], parts[2]
	qi := indexOf(d.Questions, qid)
	question, ok := b.questionOf(&d, qid)
	if qi < 0 || !ok {
		b.answerPress(fx, q.ID, b.text(lang, "old_question", prompts.Vars{}))
		return nil
	}
	if answered, err := hasAnswer(tx, chatID, &d, qid); err != nil {
		return err
	} else if answered {
		b.answerPress(fx, q.ID, b.text(lang, "already_answered", prompts.Vars{}))
		return nil
	}

	r := store.Reply{MessageID: messageID}
	switch question.Kind {
	case prompts.KindScale:
		v, err := strconv.Atoi(value)
		if err != nil || v < question.Scale.Min || v > question.Scale.Max {
			b.answerPress(fx, q.ID, "")
			return nil
		}
		r.Kind, r.Answer, r.Value = "scale", value, &v
	case prompts.KindChoice:
		if question.Choice.Multiple {
			return b.onMultiPress(tx, q, &c, &d, question, messageID, value, fx)
		}
		label, ok := optionLabel(question, value)
		if !ok {
			b.answerPress(fx, q.ID, "")
			return nil
		}
		r.Kind, r.Answer = "choice", label
	default:
		b.answerPress(fx, q.ID, "")
		return nil
	}
	b.answerPress(fx, q.ID, "")
	b.showChosen(fx, chatID, messageID, r.Answer)
	return b.recordAnswer(tx, fx, &c, &d, question, r)
}

// onMultiPress toggles an option of a multiple choice, or, on Done,
// stores the options chosen.
func (b *Bot) onMultiPress(tx *store.Tx, q *models.CallbackQuery, c *store.Client, d *store.Delivery, question prompts.Question, messageID int, value string, fx *effects) error {
	key := "choice:" + d.LocalDate + ":" + question.ID
	var selected []string
	if s := c.FlowData[key]; s != "" {
		selected = strings.Split(s, ",")
	}
	if value == doneValue {
		var labels []string
		for _, o := range question.Choice.Options {
			if contains(selected, o.ID) {
				labels = append(labels, o.Label)
			}
		}
		if len(labels) == 0 {
			b.answerPress(fx, q.ID, b.text(c.Language, "choose_first", prompts.Vars{}))
			return nil
		}
		delete(c.FlowData, key)
		if err := tx.PutClient(*c); err != nil {
			return err
		}
		b.answerPress(fx, q.ID, "")
		answer := strings.Join(labels, ", ")
		b.showChosen(fx, c.ChatID, messageID, answer)
		return b.recordAnswer(tx, fx, c, d, question, store.Reply{Kind: "choice", Answer: answer, MessageID: messageID})
	}
	if _, ok := optionLabel(question, value); !ok {
		b.answerPress(fx, q.ID, "")
		return nil
	}
	if i := indexOf(selected, value); i >= 0 {
		selected = append(selected[:i], selected[i+1:]...)
	} else {
		selected = append(selected, value)
	}
	if c.FlowData == nil {
		c.FlowData = map[string]string{}
	}
	c.FlowData[key] = strings.Join(selected, ",")
	if err := tx.PutClient(*c); err != nil {
		return err
	}
	b.answerPress(fx, q.ID, "")
	markup := &models.InlineKeyboardMarkup{}
	for _, row := range choiceKeyboard(b.words(c.Language), d, question, selected) {
		var r []models.InlineKeyboardButton
		for _, btn := range row {
			r = append(r, models.InlineKeyboardButton{Text: btn.Text, CallbackData: btn.Data})
		}
		markup.InlineKeyboard = append(markup.InlineKeyboard, r)
	}
	b.editMarkup(fx, c.ChatID, messageID, markup)
	return nil
}

func optionLabel(q prompts.Question, id string) (string, bool) {
	for _, o := range q.Choice.Options {
		if o.ID == id {
			return o.Label, true
		}
	}
	return "", false
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// hasAnswer reports whether the question of d already has a stored
// answer. It reads the step index only, not the client's history.
func hasAnswer(tx *store.Tx, chatID int64, d *store.Delivery, qid string) (bool, error) {
	return tx.Answered(chatID, d.LocalDate, d.Day, qid), nil
}

// recordAnswer stores an answer to a question of d, then asks the next
// question (or closes the step). A late answer, to a step that a newer
// one has closed, is kept and acknowledged.
func (b *Bot) recordAnswer(tx *store.Tx, fx *effects, c *store.Client, d *store.Delivery, q prompts.Question, r store.Reply) error {
	r.ChatID = c.ChatID
	r.At = b.now()
	r.LocalDate, r.Day, r.SessionDate = d.LocalDate, d.Day, d.SessionDate
	r.QuestionID = q.ID
	r.Question = d.Asked[q.ID]
	if r.Question == "" {
		r.Question = q.Text
	}
	r.Answer = clipRunes(r.Answer, maxAnswer)
	v, err := b.verdictOf(tx, c, &r)
	if err != nil {
		return err
	}
	r.Flagged = v.Tier != safety.TierNone
	if err := tx.AddReply(&r); err != nil {
		return err
	}
	if err := b.recordCheckIn(tx, fx, d, &r); err != nil {
		return err
	}
	fx.answers++
	current := d.State == store.DeliveryOpen && d.Next < len(d.Questions) && d.Questions[d.Next] == q.ID
	if handled, err := b.onVerdict(tx, fx, c, &r, v); err != nil {
		return err
	} else if handled {
		if current {
			// The rest of the day's questions can wait; tomorrow's
			// step comes as usual.
			d.Next++
			d.State = store.DeliveryClosed
		}
		return tx.PutDelivery(*d)
	}
	if !current {
		if err := b.say(tx, fx, c.ChatID, b.text(c.Language, ackKey(r.Kind), prompts.Vars{Name: c.Name})); err != nil {
			return err
		}
		return tx.PutDelivery(*d)
	}
	d.Next++
	_, step, ok := b.stepOf(d)
	if !ok {
		d.State = store.DeliveryDone
		if err := b.say(tx, fx, c.ChatID, b.text(c.Language, "step_done", prompts.Vars{Name: c.Name})); err != nil {
			return err
		}
		return tx.PutDelivery(*d)
	}
	vars, err := b.vars(tx, c, d.Day)
	if err != nil {
		return err
	}
	if err := b.askNext(tx, fx, c, d, step, vars, ""); err != nil {
		return err
	}
	return tx.PutDelivery(*d)
}

func ackKey(kind string) string {
	switch kind {
	case "voice":
		return "ack_voice"
	case "journal":
		return "ack_journal"
	}
	return "ack_answer"
}

func clipRunes(s string, n int) string {
	for i := range s { // i steps from rune to rune
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// lowestOf is the lowest value of the scale a reply answers.
func (b *Bot) lowestOf(r *store.Reply) (int, bool) {
	q, ok := b.scaleQuestion(r.QuestionID)
	if !ok {
		return 0, false
	}
	return q.Scale.Min, true
}

// scaleQuestion finds a scale question by id in the current prompts.
func (b *Bot) scaleQuestion(id string) (prompts.Question, bool) {
	for _, seq := range b.prompts().Sequences() {
		if q, ok := seq.Question(id); ok && q.Kind == prompts.KindScale {
			return q, true
		}
	}
	return prompts.Question{}, false
}

// crisisText is the crisis reply for a client: their own safety plan
// first, then the configured message with the helplines, then line (who
// is being reached; empty when no one is).
func (b *Bot) crisisText(c *store.Client, line string) string {
	msg := b.cfg.CrisisMessage[langtag.Base(c.Language)]
	if msg == "" {
		msg = b.cfg.CrisisMessage[langtag.Base(b.cfg.DefaultLanguage)]
	}
	if msg == "" {
		msg = safety.DefaultCrisisMessage["en"]
	}
	if line != "" {
		msg = strings.TrimRight(msg, "\n") + "\n\n" + line
	}
	return safety.CrisisReply(msg, c.SafetyPlan, langtag.Base(c.Language))
}

// coachesOf are the coaches told first about a client: their own, or
// every coach when they enrolled without one or their coach is no longer
// configured.
func (b *Bot) coachesOf(c *store.Client) []int64 {
	var ids, all []int64
	for _, co := range b.cfg.Coaches {
		all = append(all, co.ID)
		if c.Coach == 0 || co.ID == c.Coach {
			ids = append(ids, co.ID)
		}
	}
	if len(ids) == 0 {
		return all
	}
	return ids
}
