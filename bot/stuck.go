package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/internal/langtag"
	"kindling/prompts"
	"kindling/safety"
	"kindling/store"
	"kindling/telegram"
)

// crisisWhileStuck answers, without the store, a private message that
// kindling cannot store (a full disk, a damaged page, a bug) when the net
// sees crisis words in it. The update itself is kept and handled again
// later as usual; until then the writer must not wait for the disk to be
// answered, and a human must hear of it. So, once per update: the writer
// gets the helplines (no word of a coach: no alert record exists yet), and
// every coach and every chat of safety.escalate_to get the words with a
// line saying kindling could not store them. Both go straight to Telegram
// through the sender's urgent path, in the background.
func (b *Bot) crisisWhileStuck(ctx context.Context, u *models.Update) {
	m := u.Message
	if m == nil || m.Chat.Type != models.ChatTypePrivate || b.safety == nil || b.isCoach(m.From) {
		return
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	lang := ""
	if m.From != nil {
		lang = m.From.LanguageCode
	}
	v := b.safety.Classify(lang, text)
	if v.Tier == safety.TierNone || !b.stuck.first(u.ID) {
		return
	}
	b.logger().Error("crisis words in an update that cannot be stored: answering and telling the coaches without the store",
		"update", u.ID, "chat", m.Chat.ID, "tier", v.Tier.String(), "rule", v.Rule)
	reply := b.crisisText(&store.Client{Language: langtag.Base(lang)}, "")
	who := firstName(m.From)
	if m.From != nil && m.From.Username != "" {
		who += " @" + m.From.Username
	}
	alert := b.text(b.cfg.DefaultLanguage, "alert_unstored", prompts.Vars{Name: who}) +
		fmt.Sprintf(" (chat %d)", m.Chat.ID) + "\n\n«" + clipRunes(text, maxAlertWords) + "»"
	targets := append([]int64{}, b.cfg.EscalateTo...)
	for _, co := range b.cfg.Coaches {
		targets = append(targets, co.ID)
	}
	send := func(chat int64, text string) {
		err := b.sender.DoUrgent(ctx, chat, func(ctx context.Context) error {
			_, err := b.api.SendText(ctx, telegram.Text{ChatID: chat, Text: text, Protect: chat != m.Chat.ID && b.protectCoachCopies()})
			return err
		})
		if err != nil && ctx.Err() == nil {
			b.logger().Error("crisis reply or alert without the store", "chat", chat, "err", err)
		}
	}
	// Not the caller's context: a webhook request ends before the sends.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stuckSendFor)
	b.background.Go(func() {
		defer cancel()
		send(m.Chat.ID, reply)
		for _, chat := range targets {
			send(chat, alert)
		}
	})
}

// stuckSet remembers the updates crisisWhileStuck answered, so that an
// update tried again and again is answered once. It is bounded: the
// oldest are forgotten first.
type stuckSet struct {
	mu    sync.Mutex
	seen  map[int64]bool
	order []int64
}

const stuckRemembered = 1024

// stuckSendFor bounds the sends of crisisWhileStuck: long enough for the
// sender's urgent tries through a pause (see Sender.UrgentHold).
const stuckSendFor = 2 * time.Minute

// first reports whether id is new, and remembers it.
func (s *stuckSet) first(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[id] {
		return false
	}
	if s.seen == nil {
		s.seen = map[int64]bool{}
	}
	if len(s.order) >= stuckRemembered {
		delete(s.seen, s.order[0])
		s.order = s.order[1:]
	}
	s.seen[id] = true
	s.order = append(s.order, id)
	return true
}
