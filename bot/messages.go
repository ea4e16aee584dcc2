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
	"kindling/schedule"
	"kindling/store"
)

// onMessage handles a new message: a command, an answer, a journal
// entry, a voice note, or something kindling does not take.
func (b *Bot) onMessage(tx *store.Tx, m *models.Message, fx *effects) error {
	lang := ""
	if m.From != nil {
		lang = m.From.LanguageCode
	}
	switch m.Chat.Type {
	case models.ChatTypePrivate:
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		// Answer only when addressed with a command, and only once per
		// command: a group is no place for reflections.
		if isCommand(m) {
			return b.say(tx, fx, m.Chat.ID, b.text(lang, "group_chat", prompts.Vars{}))
		}
		_, err := b.groupCrisis(tx, fx, m, lang)
		return err
	default:
		return nil // channels: nothing to say
	}
	if isCommand(m) {
		name, args := parseCommand(m.Text)
		return b.onCommand(tx, m, name, args, fx)
	}
	if m.Text != "" {
		// A note on the alert this chat just resolved (a coach, or a
		// clinician listed in safety.escalate_to).
		if handled, err := b.takeNote(tx, fx, m.Chat.ID, m.Text, false); handled || err != nil {
			return err
		}
	}
	if handled, err := b.crisisAnywhere(tx, m, lang, fx); handled || err != nil {
		return err
	}
	c, err := tx.Client(m.Chat.ID)
	if errors.Is(err, store.ErrNotFound) {
		// Nothing is stored before consent: point to /start.
		return b.say(tx, fx, m.Chat.ID, b.text(lang, "not_started", prompts.Vars{Name: firstName(m.From)}))
	}
	if err != nil {
		return err
	}
	switch {
	case m.Voice != nil:
		return b.onVoice(tx, &c, m, fx)
	case m.Text != "":
		if c.Setup != "" {
			return b.onSetupInput(tx, &c, setupKind(c.Setup), m.Text, fx)
		}
		if c.Flow != "" {
			return b.onFlowInput(tx, &c, m.Text, fx)
		}
		return b.onText(tx, &c, m, fx)
	default:
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "unsupported_message", prompts.Vars{Name: c.Name}))
	}
}

// isCommand reports whether a message starts with a bot command.
func isCommand(m *models.Message) bool {
	if len(m.Entities) > 0 && m.Entities[0].Type == models.MessageEntityTypeBotCommand && m.Entities[0].Offset == 0 {
		return true
	}
	return strings.HasPrefix(m.Text, "/") && len(m.Text) > 1 && m.Text[1] != ' '
}

// parseCommand splits "/cmd@bot args" into "cmd" and "args".
func parseCommand(text string) (string, string) {
	cmd, args, _ := strings.Cut(strings.TrimSpace(text), " ")
	cmd = strings.TrimPrefix(cmd, "/")
	cmd, _, _ = strings.Cut(cmd, "@")
	return strings.ToLower(cmd), strings.TrimSpace(args)
}

// onText stores free text: an answer to the open question (or the one it
// replies to), or a journal entry.
func (b *Bot) onText(tx *store.Tx, c *store.Client, m *models.Message, fx *effects) error {
	var (
		d   store.Delivery
		qid string
		ok  bool
		err error
	)
	if m.ReplyToMessage != nil {
		d, qid, ok, err = deliveryByMessage(tx, c.ChatID, m.ReplyToMessage.ID)
		if err != nil {
			return err
		}
		if ok {
			if answered, err := hasAnswer(tx, c.ChatID, &d, qid); err != nil {
				return err
			} else if answered {
				ok = false
			}
		}
	}
	if !ok {
		d, ok, err = openDelivery(tx, c.ChatID)
		if err != nil {
			return err
		}
		if ok {
			qid = d.Questions[d.Next]
		}
	}
	if ok {
		if q, found := b.questionOf(&d, qid); found {
			if r, fits := textAnswer(q, m.Text); fits {
				r.MessageID = m.ID
				return b.recordAnswer(tx, fx, c, &d, q, r)
			}
		}
	}
	return b.journal(tx, fx, c, store.Reply{Kind: "journal", Answer: m.Text, MessageID: m.ID})
}

// textAnswer reads typed text as an answer to q: any text for a free
// question, a number in range for a scale, an option's label for a
// choice. Otherwise it does not fit and becomes a journal entry.
func textAnswer(q prompts.Question, text string) (store.Reply, bool) {
	t := strings.TrimSpace(text)
	switch q.Kind {
	case prompts.KindScale:
		v, err := strconv.Atoi(t)
		if err != nil || v < q.Scale.Min || v > q.Scale.Max {
			return store.Reply{}, false
		}
		return store.Reply{Kind: "scale", Answer: strconv.Itoa(v), Value: &v}, true
	case prompts.KindChoice:
		for _, o := range q.Choice.Options {
			if strings.EqualFold(o.Label, t) || strings.EqualFold(o.ID, t) {
				if q.CheckIn != "" {
					return checkInReply(q, o), true
				}
				return store.Reply{Kind: "choice", Answer: o.Label}, true
			}
		}
		return store.Reply{}, false
	}
	return store.Reply{Kind: "text", Answer: text}, true
}

// journal keeps words sent when no question is open.
func (b *Bot) journal(tx *store.Tx, fx *effects, c *store.Client, r store.Reply) error {
	r.ChatID = c.ChatID
	r.At = b.now()
	r.Answer = clipRunes(r.Answer, maxAnswer)
	if s, err := tx.LatestSession(c.ChatID); err == nil {
		r.SessionDate = s.Date
		if loc, err := loadZone(c.TimeZone); err == nil {
			r.LocalDate = r.At.In(loc).Format("2006-01-02")
			r.Day, _ = schedule.DaysBetween(s.Date, r.LocalDate)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v, err := b.verdictOf(tx, c, &r)
	if err != nil {
		return err
	}
	r.Flagged = v.Tier != safety.TierNone
	if err := tx.AddReply(&r); err != nil {
		return err
	}
	fx.answers++
	if handled, err := b.onVerdict(tx, fx, c, &r, v); handled || err != nil {
		return err
	}
	key := ackKey(r.Kind)
	if r.Kind == "journal" {
		key = journalAck(r.Answer)
	}
	return b.say(tx, fx, c.ChatID, b.text(c.Language, key, prompts.Vars{Name: c.Name}))
}

// onVoice keeps a voice note as the answer to the open free-text
// question, or as a journal entry. The audio is fetched after the update
// is stored, in the background: a slow download must not hold up anyone
// else's messages, and the file id kept with the answer is enough to
// fetch it again.
func (b *Bot) onVoice(tx *store.Tx, c *store.Client, m *models.Message, fx *effects) error {
	r := store.Reply{
		Kind:      "voice",
		MessageID: m.ID,
		Answer:    voiceLabel(m.Voice.Duration),
		Voice:     &store.Voice{FileID: m.Voice.FileID, Duration: m.Voice.Duration},
	}
	chatID, messageID, fileID := c.ChatID, m.ID, m.Voice.FileID
	fx.then(func(context.Context) { b.fetchVoice(chatID, messageID, fileID) })
	d, ok, err := openDelivery(tx, c.ChatID)
	if err != nil {
		return err
	}
	if ok {
		if q, found := b.questionOf(&d, d.Questions[d.Next]); found && q.Kind == prompts.KindText {
			return b.recordAnswer(tx, fx, c, &d, q, r)
		}
	}
	return b.journal(tx, fx, c, r)
}

// voiceLabel is how a voice answer reads in exports and journals.
func voiceLabel(seconds int) string {
	return "[voice note, " + strconv.Itoa(seconds) + " s]"
}

// onEdit updates a stored answer when the client edits their message,
// keeping the earlier text in its history.
func (b *Bot) onEdit(tx *store.Tx, m *models.Message, fx *effects) error {
	if m.Chat.Type != models.ChatTypePrivate || m.Text == "" {
		return nil
	}
	r, err := tx.ReplyByMessage(m.Chat.ID, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // an edited command or a message kindling did not keep
	}
	if err != nil {
		return err
	}
	if r.Answer == m.Text {
		return nil
	}
	c, err := tx.Client(m.Chat.ID)
	if err != nil {
		return err
	}
	if r.Value != nil {
		// A scale answered by typing a number: the edit must be a number
		// on the same scale, or it is ignored.
		q, ok := b.scaleQuestion(r.QuestionID)
		if !ok {
			return nil
		}
		nr, fits := textAnswer(q, m.Text)
		if !fits {
			return nil
		}
		r.Edits = append(r.Edits, store.Edit{At: b.now(), Answer: r.Answer})
		r.Answer, r.Value = nr.Answer, nr.Value
		return tx.PutReply(r)
	}
	r.Edits = append(r.Edits, store.Edit{At: b.now(), Answer: r.Answer})
	r.Answer = clipRunes(m.Text, maxAnswer)
	wasFlagged := r.Flagged
	v, err := b.verdictOf(tx, &c, &r)
	if err != nil {
		return err
	}
	r.Flagged = wasFlagged || v.Tier != safety.TierNone
	if err := tx.PutReply(r); err != nil {
		return err
	}
	if !wasFlagged {
		_, err := b.onVerdict(tx, fx, &c, &r, v)
		return err
	}
	return nil
}

// crisisAnywhere answers crisis language that arrives outside a question:
// before consent, during onboarding, while changing a setting or writing
// a safety plan. It is never answered with the routine reply of that
// step. (Answers and journal entries reach the net in recordAnswer and
// journal.) It reports whether it handled the message.
func (b *Bot) crisisAnywhere(tx *store.Tx, m *models.Message, lang string, fx *effects) (bool, error) {
	v := b.classify(lang, m.Text)
	if v.Tier == safety.TierNone {
		return false, nil
	}
	c, err := tx.Client(m.Chat.ID)
	if errors.Is(err, store.ErrNotFound) {
		// Nothing may be stored and no coach is known: the helplines,
		// and no word of a coach.
		return true, b.enqueue(tx, fx, &store.Outgoing{ChatID: m.Chat.ID, Text: b.crisisText(&store.Client{Language: langtag.Base(lang)}, ""), Urgent: true})
	}
	if err != nil {
		return false, err
	}
	switch {
	case strings.HasPrefix(c.Flow, "plan:") && v.Tier == safety.TierCheck:
		// Signs of a hard moment are what a safety plan is written
		// from: no question here.
		return false, nil
	case strings.HasPrefix(c.Flow, "plan:"):
		// Their own warning signs may well use these words: keep the
		// plan going, and still answer with the helplines and tell the
		// coach.
		if err := b.onSafetyPlanInput(tx, fx, &c, m.Text); err != nil {
			return true, err
		}
		return true, b.respondToCrisis(tx, fx, &c, clipRunes(m.Text, maxAlertWords), v)
	case c.Setup != "" || c.Flow != "":
		// Kept as a flagged journal entry; the question in progress
		// stays open.
		return true, b.journal(tx, fx, &c, store.Reply{Kind: "journal", Answer: m.Text, MessageID: m.ID})
	}
	return false, nil
}
