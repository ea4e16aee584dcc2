package bot

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"kindling/internal/langtag"
	"kindling/prompts"
	"kindling/store"
)

// WebLinkTTL is how long a login link from /web opens the workspace.
const WebLinkTTL = 10 * time.Minute

// ErrNotYourAlert is returned by AcknowledgeAlert and ResolveAlert for an
// alert the coach may not act on (neither about their client nor sent to
// them): the web workspace answers it as it answers an unknown alert.
var ErrNotYourAlert = errors.New("alert not sent to this coach")

// webCommand answers /web with a one-time login link to the coach's web
// workspace, and /web logout by ending every session of the coach.
func (b *Bot) webCommand(tx *store.Tx, fx *effects, co Coach, chat int64, lang, args string) error {
	now := b.now()
	if strings.EqualFold(strings.TrimSpace(args), "logout") {
		n, err := tx.DeleteWebSessions(co.ID, now)
		if err != nil {
			return err
		}
		if n == 0 {
			return b.say(tx, fx, chat, b.text(lang, "web_no_sessions", prompts.Vars{Name: co.Name}))
		}
		return b.say(tx, fx, chat, b.text(lang, "web_signed_out", prompts.Vars{Name: co.Name}))
	}
	if b.cfg.WebURL == "" {
		return b.say(tx, fx, chat, b.text(lang, "web_off", prompts.Vars{Name: co.Name}))
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("web link code: %w", err)
	}
	code := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := tx.SweepWeb(now); err != nil {
		return err
	}
	l := store.WebLink{Coach: co.ID, Language: langtag.Base(lang), CreatedAt: now, ExpiresAt: now.Add(WebLinkTTL)}
	if err := tx.PutWebLink(code, l); err != nil {
		return err
	}
	link := strings.TrimSuffix(b.cfg.WebURL, "/") + "/login?code=" + code
	text := b.text(lang, "web_link", prompts.Vars{Name: co.Name})
	o := &store.Outgoing{ChatID: chat, Text: text, Protect: true}
	if buttonHost(link) {
		o.Keyboard = [][]store.Button{{{Text: b.text(lang, "web_button", prompts.Vars{}), URL: link}}}
	} else {
		// Telegram refuses a button to a host without a dot (localhost,
		// the usual end of an SSH tunnel): the link goes in the text.
		o.Text += "\n\n" + link
	}
	return b.enqueue(tx, fx, o)
}

// buttonHost reports whether Telegram takes link in a URL button: its
// host must have a dot.
func buttonHost(link string) bool {
	u, err := url.Parse(link)
	return err == nil && strings.Contains(u.Hostname(), ".")
}

// AcknowledgeAlert is "I'm on it" pressed in the web workspace by coach
// on the alert (chatID, at): the same record as the Telegram button, and
// the other chats the alert reached are told. Acknowledging twice is no
// error. An alert the coach may not act on is ErrNotYourAlert.
func (b *Bot) AcknowledgeAlert(coach, chatID int64, at time.Time) error {
	return b.actOnAlert(coach, chatID, at, false, "")
}

// ResolveAlert resolves the alert (chatID, at) for coach with note (which
// may be empty), acknowledging it first when nobody had, as the Telegram
// button does. A resolved alert keeps its first resolution; a note given
// then is added to it.
func (b *Bot) ResolveAlert(coach, chatID int64, at time.Time, note string) error {
	return b.actOnAlert(coach, chatID, at, true, note)
}

func (b *Bot) actOnAlert(coach, chatID int64, at time.Time, resolve bool, note string) error {
	co, ok := b.coachByID(coach)
	if !ok {
		return fmt.Errorf("alert %d: %w", chatID, ErrNotYourAlert)
	}
	lang := b.cfg.DefaultLanguage
	var fx effects
	err := b.db.Update(func(tx *store.Tx) error {
		fx = effects{}
		a, err := tx.Alert(chatID, at)
		if err != nil {
			return err
		}
		c, err := tx.Client(chatID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if a.Coach != coach && c.Coach != coach && !a.WasTold(coach) {
			return fmt.Errorf("alert %d: %w", chatID, ErrNotYourAlert)
		}
		now := b.now()
		v := prompts.Vars{Name: c.Name, Coach: co.Name}
		if !resolve && a.AckAt.IsZero() && a.ResolvedAt.IsZero() {
			acknowledgeAlert(&a, &fx, coach, co.Name, now)
			if err := b.tellOthers(tx, &fx, &a, coach, b.text(lang, "alert_taken", v)); err != nil {
				return err
			}
		}
		if resolve {
			if a.ResolvedAt.IsZero() {
				resolveAlert(&a, &fx, coach, co.Name, now)
				if err := b.tellOthers(tx, &fx, &a, coach, b.text(lang, "alert_resolved_by", v)); err != nil {
					return err
				}
			}
			if note = strings.TrimSpace(note); note != "" {
				a.Note = clipRunes(note, 2000)
			}
		}
		return tx.PutAlert(a)
	})
	if err != nil {
		return fmt.Errorf("alert %d: %w", chatID, err)
	}
	b.committed(&fx)
	return nil
}

func (b *Bot) coachByID(id int64) (Coach, bool) {
	for _, c := range b.cfg.Coaches {
		if c.ID == id {
			return c, true
		}
	}
	return Coach{}, false
}
