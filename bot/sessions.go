package bot

import (
	"errors"
	"strings"

	"github.com/go-telegram/bot/models"

	"kindling/prompts"
	"kindling/store"
)

// The days count from the client's latest session. Logging one, removing
// one and choosing which one counts all happen here.

// Callback data of the session buttons: "sx|<choice>|<date>".
const (
	sessionRemoveYes = "y" // remove the session of date, as asked in /sessions
	sessionRemoveNo  = "n" // keep it
	sessionCountFrom = "c" // count from date: remove the sessions after it
	sessionKeep      = "k" // keep counting from the latest
)

// sessionLogged answers a session date the client logged after setup.
// A session earlier than the latest does not change the count: the
// client is told which one counts and may choose the earlier one.
func (b *Bot) sessionLogged(tx *store.Tx, fx *effects, c *store.Client, date string, latest store.Session, hadLatest bool) error {
	v := prompts.Vars{Name: c.Name, Date: b.formatDate(c.Language, date)}
	if hadLatest && date < latest.Date {
		v.Latest = b.formatDate(c.Language, latest.Date)
		w := b.words(c.Language)
		return b.enqueue(tx, fx, &store.Outgoing{
			ChatID: c.ChatID,
			Text:   b.text(c.Language, "session_earlier", v),
			Keyboard: [][]store.Button{
				{{Text: w.Text("session_count_button", v), Data: callbackData(kindSessionChoice, sessionCountFrom, date)}},
				{{Text: w.Text("session_keep_button", v), Data: callbackData(kindSessionChoice, sessionKeep, latest.Date)}},
			},
		})
	}
	if hadLatest && date > latest.Date {
		// A new session starts a new day 0: the question still open
		// belongs to the one before (late answers are still kept).
		if err := closeOpenStep(tx, c.ChatID, ""); err != nil {
			return err
		}
	}
	return b.say(tx, fx, c.ChatID, b.text(c.Language, "session_logged", v))
}

// closeOpenStep closes the client's open step, or only the step of a
// session later than after when after is set: its session is gone.
func closeOpenStep(tx *store.Tx, chatID int64, after string) error {
	d, open, err := openDelivery(tx, chatID)
	if err != nil || !open {
		return err
	}
	if after != "" && d.SessionDate <= after {
		return nil
	}
	d.State = store.DeliveryClosed
	return tx.PutDelivery(d)
}

// listSessions shows the client's sessions with a button to remove each.
func (b *Bot) listSessions(tx *store.Tx, fx *effects, c *store.Client) error {
	ss, err := tx.Sessions(c.ChatID)
	if err != nil {
		return err
	}
	v := prompts.Vars{Name: c.Name}
	if len(ss) == 0 {
		return b.say(tx, fx, c.ChatID, b.text(c.Language, "sessions_none", v))
	}
	var lines []string
	var rows [][]store.Button
	// The newest twenty are enough to correct a mistake.
	for i := max(0, len(ss)-20); i < len(ss); i++ {
		s := ss[i]
		line := "• " + b.formatDate(c.Language, s.Date)
		if s.Intention != "" {
			line += " — " + clipRunes(s.Intention, 80)
		}
		lines = append(lines, line)
		rows = append(rows, []store.Button{{Text: "✕ " + b.formatDate(c.Language, s.Date), Data: callbackData(kindSessionRemove, s.Date)}})
	}
	text := b.text(c.Language, "sessions_list", v) + "\n\n" + strings.Join(lines, "\n")
	return b.enqueue(tx, fx, &store.Outgoing{ChatID: c.ChatID, Text: text, Keyboard: rows})
}

// onSessionRemovePress asks before removing a session: its intention
// goes with it.
func (b *Bot) onSessionRemovePress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, date string, fx *effects) error {
	b.answerPress(fx, q.ID, "")
	c, err := tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s, found, err := sessionOn(tx, chatID, date)
	if err != nil {
		return err
	}
	v := prompts.Vars{Name: c.Name, Date: b.formatDate(c.Language, date)}
	if !found {
		return b.say(tx, fx, chatID, b.text(c.Language, "session_gone", v))
	}
	v.Intention = s.Intention
	w := b.words(c.Language)
	return b.enqueue(tx, fx, &store.Outgoing{
		ChatID: chatID,
		Text:   b.text(c.Language, "session_remove_ask", v),
		Keyboard: [][]store.Button{{
			{Text: w.Text("session_remove_yes", v), Data: callbackData(kindSessionChoice, sessionRemoveYes, date)},
			{Text: w.Text("session_remove_no", v), Data: callbackData(kindSessionChoice, sessionRemoveNo, date)},
		}},
	})
}

// onSessionChoicePress carries out a choice made with the session buttons.
func (b *Bot) onSessionChoicePress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	b.answerPress(fx, q.ID, "")
	c, err := tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	choice, date, _ := strings.Cut(data, "|")
	b.showChosen(fx, chatID, messageID, pressedLabel(q))
	v := prompts.Vars{Name: c.Name, Date: b.formatDate(c.Language, date), Latest: b.formatDate(c.Language, date)}
	switch choice {
	case sessionRemoveNo:
		return b.say(tx, fx, chatID, b.text(c.Language, "session_remove_kept", v))
	case sessionKeep:
		return b.say(tx, fx, chatID, b.text(c.Language, "session_kept", v))
	case sessionRemoveYes:
		err := tx.DeleteSession(chatID, date)
		if errors.Is(err, store.ErrNotFound) {
			return b.say(tx, fx, chatID, b.text(c.Language, "session_gone", v))
		}
		if err != nil {
			return err
		}
		if err := b.afterSessionsChanged(tx, &c); err != nil {
			return err
		}
		if err := b.say(tx, fx, chatID, b.text(c.Language, "session_removed", v)); err != nil {
			return err
		}
		return b.listSessions(tx, fx, &c)
	case sessionCountFrom:
		if _, found, err := sessionOn(tx, chatID, date); err != nil {
			return err
		} else if !found {
			return b.say(tx, fx, chatID, b.text(c.Language, "session_gone", v))
		}
		ss, err := tx.Sessions(chatID)
		if err != nil {
			return err
		}
		for _, s := range ss {
			if s.Date > date {
				if err := tx.DeleteSession(chatID, s.Date); err != nil {
					return err
				}
			}
		}
		if err := b.afterSessionsChanged(tx, &c); err != nil {
			return err
		}
		return b.say(tx, fx, chatID, b.text(c.Language, "session_counts", v))
	}
	return nil
}

// afterSessionsChanged closes a step whose session is gone and moves the
// client's schedule to the session that now counts.
func (b *Bot) afterSessionsChanged(tx *store.Tx, c *store.Client) error {
	latest := "0000-00-00"
	if s, err := tx.LatestSession(c.ChatID); err == nil {
		latest = s.Date
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := closeOpenStep(tx, c.ChatID, latest); err != nil {
		return err
	}
	if err := b.planner.Reschedule(tx, c, b.now()); err != nil {
		return err
	}
	return tx.PutClient(*c)
}

// sessionOn finds the client's session of date.
func sessionOn(tx *store.Tx, chatID int64, date string) (store.Session, bool, error) {
	ss, err := tx.Sessions(chatID)
	if err != nil {
		return store.Session{}, false, err
	}
	for _, s := range ss {
		if s.Date == date {
			return s, true, nil
		}
	}
	return store.Session{}, false, nil
}
