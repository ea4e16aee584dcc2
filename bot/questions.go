package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"kindling/prompts"
	"kindling/store"
)

// answerData builds the callback data of one answer button,
// "a|<tag>|<question id>|<value>", where tag names the delivery: its local
// date as yymmdd and its day in base 36. It stays within
// prompts.MaxButtonData + 10 bytes, the room prompts validation leaves for it.
func answerData(d *store.Delivery, qid, value string) string {
	return callbackData(kindAnswer, deliveryTag(d.LocalDate, d.Day), qid, value)
}

func deliveryTag(localDate string, day int) string {
	return strings.ReplaceAll(localDate, "-", "")[2:] + strconv.FormatInt(int64(day), 36)
}

// parseTag reads a delivery tag back into a local date and day.
func parseTag(tag string) (string, int, error) {
	if len(tag) < 7 {
		return "", 0, errors.New("short delivery tag")
	}
	ymd, d := tag[:6], tag[6:]
	for _, r := range ymd {
		if r < '0' || r > '9' {
			return "", 0, errors.New("bad delivery tag")
		}
	}
	day, err := strconv.ParseInt(d, 36, 32)
	if err != nil || day < 0 {
		return "", 0, errors.New("bad delivery tag")
	}
	return "20" + ymd[:2] + "-" + ymd[2:4] + "-" + ymd[4:6], int(day), nil
}

// doneValue is the value of the button that ends a multiple choice.
const doneValue = "."

// questionMessage renders a question as the client sees it: its text
// (after an optional intro) and its buttons.
func (b *Bot) questionMessage(c *store.Client, d *store.Delivery, q prompts.Question, vars prompts.Vars, intro string, selected []string) store.Outgoing {
	text := prompts.Render(q.Text, vars)
	body := text
	if intro != "" {
		body = prompts.Render(intro, vars) + "\n\n" + text
	}
	o := store.Outgoing{ChatID: c.ChatID, Text: body, LocalDate: d.LocalDate, Day: d.Day, QuestionID: q.ID}
	switch q.Kind {
	case prompts.KindScale:
		if q.Scale.Low != "" || q.Scale.High != "" {
			o.Text += fmt.Sprintf("\n\n%d = %s · %d = %s", q.Scale.Min, q.Scale.Low, q.Scale.Max, q.Scale.High)
		}
		o.Keyboard = scaleKeyboard(d, q)
	case prompts.KindChoice:
		o.Keyboard = choiceKeyboard(b.words(c.Language), d, q, selected)
	}
	d.Asked[q.ID] = text
	return o
}

// scaleKeyboard lays a scale out in rows of at most six buttons.
func scaleKeyboard(d *store.Delivery, q prompts.Question) [][]store.Button {
	n := q.Scale.Max - q.Scale.Min + 1
	perRow := n
	if n > 6 {
		perRow = (n + 1) / 2
	}
	var rows [][]store.Button
	var row []store.Button
	for v := q.Scale.Min; v <= q.Scale.Max; v++ {
		s := strconv.Itoa(v)
		row = append(row, store.Button{Text: s, Data: answerData(d, q.ID, s)})
		if len(row) == perRow {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// choiceKeyboard gives each option a row; a multiple choice marks the
// options chosen so far and ends with a Done button.
func choiceKeyboard(w prompts.Messages, d *store.Delivery, q prompts.Question, selected []string) [][]store.Button {
	var rows [][]store.Button
	for _, o := range q.Choice.Options {
		label := o.Label
		if q.Choice.Multiple && contains(selected, o.ID) {
			label = "✓ " + label
		}
		rows = append(rows, []store.Button{{Text: label, Data: answerData(d, q.ID, o.ID)}})
	}
	if q.Choice.Multiple {
		rows = append(rows, []store.Button{{Text: w.Text("done_button", prompts.Vars{}), Data: answerData(d, q.ID, doneValue)}})
	}
	return rows
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stepOf finds the step of a delivery in the current prompts. The step
// may have changed since it was sent; missing questions are skipped.
func (b *Bot) stepOf(d *store.Delivery) (*prompts.Sequence, prompts.Step, bool) {
	seq, ok := b.prompts().Sequence(d.Sequence, d.Language)
	if !ok {
		return nil, prompts.Step{}, false
	}
	st, ok := seq.StepFor(d.Day)
	return seq, st, ok
}

// questionOf finds a question of a delivery by id.
func (b *Bot) questionOf(d *store.Delivery, qid string) (prompts.Question, bool) {
	seq, ok := b.prompts().Sequence(d.Sequence, d.Language)
	if !ok {
		return prompts.Question{}, false
	}
	return seq.Question(qid)
}

// askNext enqueues the delivery's open question, or, when every question
// is answered, the step's closing line (and marks the delivery done).
func (b *Bot) askNext(tx *store.Tx, fx *effects, c *store.Client, d *store.Delivery, step prompts.Step, vars prompts.Vars, intro string) error {
	if d.Asked == nil {
		d.Asked = map[string]string{}
	}
	if d.Messages == nil {
		d.Messages = map[string]int{}
	}
	for d.Next < len(d.Questions) {
		q, ok := findQuestion(step, d.Questions[d.Next])
		if !ok {
			d.Next++ // removed from the YAML since: skip it
			continue
		}
		o := b.questionMessage(c, d, q, vars, intro, nil)
		return b.enqueue(tx, fx, &o)
	}
	if d.State == store.DeliveryOpen {
		d.State = store.DeliveryDone
	}
	closing := step.Closing
	if closing == "" {
		closing = b.words(c.Language)["step_done"]
	}
	if intro != "" && len(d.Questions) == 0 {
		closing = intro + "\n\n" + closing
	}
	if err := b.say(tx, fx, c.ChatID, prompts.Render(closing, vars)); err != nil {
		return err
	}
	if step.Letter {
		return b.sendLetter(tx, fx, c, d)
	}
	return nil
}

func findQuestion(step prompts.Step, id string) (prompts.Question, bool) {
	for _, q := range step.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return prompts.Question{}, false
}

// openDelivery is the client's latest delivery when it still has a
// question open.
func openDelivery(tx *store.Tx, chatID int64) (store.Delivery, bool, error) {
	d, err := tx.LatestDelivery(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	return d, d.State == store.DeliveryOpen && d.Next < len(d.Questions), nil
}

// deliveryByMessage finds the delivery and question a bot message asked.
// It reads that delivery only, through the store's message index.
func deliveryByMessage(tx *store.Tx, chatID int64, messageID int) (store.Delivery, string, bool, error) {
	d, qid, err := tx.DeliveryByMessage(chatID, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Delivery{}, "", false, nil
	}
	if err != nil {
		return store.Delivery{}, "", false, err
	}
	return d, qid, true, nil
}
