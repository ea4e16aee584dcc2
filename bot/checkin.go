package bot

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-telegram/bot/models"

	"kindling/prompts"
	"kindling/safety"
	"kindling/store"
)

// A scored check-in is asked as the questions of its step, one item at a
// time: each item's message carries a button per answer
// ("ci|<delivery tag>|<instrument>|<item>|<option>"). Every answer is a
// reply of kind "check_in" with its option and score, and the client's
// check-in record (store.CheckIn) is written again with the running total,
// so a check-in left half done keeps what it has.

// checkInKeyboard gives each answer of an item its own row.
func checkInKeyboard(d *store.Delivery, q prompts.Question) [][]store.Button {
	tag := deliveryTag(d.LocalDate, d.Day)
	var rows [][]store.Button
	for _, o := range q.Choice.Options {
		rows = append(rows, []store.Button{{Text: o.Label, Data: callbackData(kindCheckIn, tag, q.CheckIn, q.Item, o.ID)}})
	}
	return rows
}

// checkInReply is the reply an answer to an item is stored as.
func checkInReply(q prompts.Question, o prompts.Option) store.Reply {
	score := o.Score
	return store.Reply{Kind: "check_in", Answer: o.Label, CheckIn: q.CheckIn, Option: o.ID, Score: &score}
}

// onCheckInPress stores the answer a check-in item's button gives, then
// asks the next item (or question) of the step.
func (b *Bot) onCheckInPress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	c, d, parts, ok, err := b.pressedDelivery(tx, q, chatID, messageID, data, 4, fx)
	if !ok {
		return err
	}
	lang := c.Language
	old := func() error {
		b.answerPress(fx, q.ID, b.text(lang, "old_question", prompts.Vars{}))
		return nil
	}
	qid := prompts.CheckInQuestionID(parts[1], parts[2])
	question, ok := b.questionOf(&d, qid)
	if indexOf(d.Questions, qid) < 0 || !ok || question.CheckIn == "" {
		return old()
	}
	if tx.Answered(chatID, d.LocalDate, d.Day, qid) {
		b.answerPress(fx, q.ID, b.text(lang, "already_answered", prompts.Vars{}))
		return nil
	}
	var option prompts.Option
	found := false
	for _, o := range question.Choice.Options {
		if o.ID == parts[3] {
			option, found = o, true
		}
	}
	if !found {
		b.answerPress(fx, q.ID, "")
		return nil
	}
	r := checkInReply(question, option)
	r.MessageID = messageID
	b.answerPress(fx, q.ID, "")
	b.showChosen(fx, chatID, messageID, option.Label)
	return b.recordAnswer(tx, fx, &c, &d, question, r)
}

// recordCheckIn adds a stored answer to the client's check-in record of
// the delivery. Other replies are left alone.
func (b *Bot) recordCheckIn(tx *store.Tx, fx *effects, d *store.Delivery, r *store.Reply) error {
	if r.CheckIn == "" || r.Score == nil {
		return nil
	}
	_, item, _ := prompts.SplitCheckInQuestionID(r.QuestionID)
	ci, err := tx.CheckIn(r.ChatID, d.LocalDate, d.Day, r.CheckIn)
	if errors.Is(err, store.ErrNotFound) {
		ci = store.CheckIn{ChatID: r.ChatID, Instrument: r.CheckIn, LocalDate: d.LocalDate, Day: d.Day,
			SessionDate: d.SessionDate, Language: d.Language}
	} else if err != nil {
		return err
	}
	if in, ok := b.prompts().Instrument(r.CheckIn, d.Language); ok {
		ci.Items = len(in.Items)
	}
	was := ci.Complete
	ci.Add(store.CheckInAnswer{Item: item, Option: r.Option, Answer: r.Answer, Score: *r.Score, At: r.At})
	if ci.Complete && !was {
		fx.checkIns++
	}
	return tx.PutCheckIn(ci)
}

// checkInVerdict is the safety net's verdict on an answer to a check-in
// item: its safety item at or above the threshold starts the check at
// once, whatever the other answers.
func (b *Bot) checkInVerdict(r *store.Reply) safety.Verdict {
	inst, item, _ := prompts.SplitCheckInQuestionID(r.QuestionID)
	for _, in := range b.prompts().Instruments() {
		if in.ID == inst && in.StartsCheck(item, *r.Score) {
			return safety.Verdict{Tier: safety.TierCheck, Rule: "check-in-" + inst + "-" + item, Category: "check-in"}
		}
	}
	return safety.Verdict{}
}

// checkInWords is what an alert quotes of a check-in answer: the item as
// asked and the answer chosen.
func checkInWords(r *store.Reply) string {
	q := r.Question
	if i := strings.LastIndex(q, "\n\n"); i >= 0 {
		q = q[i+2:] // the item, without the check-in's intro
	}
	return clipRunes(fmt.Sprintf("%s — %s (%d)", q, r.Answer, *r.Score), maxAlertWords)
}
