package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/store"
)

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
// escalate_after escalates. It runs on a beat of its own, beside the
// schedule.
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
