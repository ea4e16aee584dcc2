package bot

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/internal/oneline"
	"kindling/prompts"
	"kindling/store"
)

// onAlertPress handles "I'm on it" (k) and "Resolved" (r) on an alert.
// Only a chat the alert was sent to may act on it.
func (b *Bot) onAlertPress(tx *store.Tx, q *models.CallbackQuery, chatID int64, messageID int, data string, fx *effects) error {
	lang := b.cfg.DefaultLanguage
	parts := strings.Split(data, "|")
	client, at, ok := alertKey(parts)
	if !ok {
		b.answerPress(fx, q.ID, "")
		return nil
	}
	a, err := tx.Alert(client, at)
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
	v := prompts.Vars{Name: c.Name, Coach: who}
	switch parts[0] {
	case "k":
		if !a.AckAt.IsZero() {
			b.answerPress(fx, q.ID, b.text(lang, "alert_already_taken", prompts.Vars{Coach: a.AckName}))
			return nil
		}
		acknowledgeAlert(&a, fx, q.From.ID, who, now)
		b.answerPress(fx, q.ID, b.text(lang, "alert_ack_thanks", v))
		b.editMarkup(fx, chatID, messageID, &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: "✓ " + b.text(lang, "alert_ack", v), CallbackData: callbackData(kindNoop)},
			{Text: b.text(lang, "alert_resolve", v), CallbackData: callbackData(kindAlert, "r", parts[1], parts[2])},
		}}})
		if err := b.tellOthers(tx, fx, &a, chatID, b.text(lang, "alert_taken", v)); err != nil {
			return err
		}
	case "r":
		resolveAlert(&a, fx, q.From.ID, who, now)
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

// acknowledgeAlert records that by, named who, is on the alert ("I'm on
// it"), unless someone already is. The Telegram button and the web
// workspace both record it this way.
func acknowledgeAlert(a *store.Alert, fx *effects, by int64, who string, now time.Time) {
	if a.AckAt.IsZero() {
		a.AckBy, a.AckName, a.AckAt, a.Due = by, who, now, time.Time{}
		fx.acked = append(fx.acked, now.Sub(a.At))
	}
}

// resolveAlert resolves the alert for by, named who, acknowledging it
// first when nobody had.
func resolveAlert(a *store.Alert, fx *effects, by int64, who string, now time.Time) {
	acknowledgeAlert(a, fx, by, who, now)
	a.ResolvedBy, a.ResolvedName, a.ResolvedAt, a.Due = by, who, now, time.Time{}
}

// alertKey is the client and the time of the alert an alert button's
// data names: the action, the client's chat, the alert's time in
// nanoseconds.
func alertKey(parts []string) (int64, time.Time, bool) {
	if len(parts) != 3 {
		return 0, time.Time{}, false
	}
	client, err1 := strconv.ParseInt(parts[1], 10, 64)
	nanos, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, time.Time{}, false
	}
	return client, time.Unix(0, nanos), true
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
	sb.WriteString("\n  «" + clipRunes(oneline.Of(a.Words), 120) + "»")
	if a.Note != "" {
		sb.WriteString("\n  note: " + clipRunes(oneline.Of(a.Note), 200))
	}
	return sb.String()
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
