package bot

import (
	"errors"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"kindling/store"
)

// Commands that only read and reply: their work is done in a read
// transaction before the update's write transaction (see readFirst), so
// that however large the database, they hold the write lock only to
// enqueue the reply.
var (
	coachReads  = map[string]bool{"clients": true, "journal": true, "export": true}
	clientReads = map[string]bool{"mydata": true, "progress": true}
)

// readResult is the work of a read-only update, done in a read
// transaction, waiting for the update's write transaction.
type readResult struct {
	fx effects
	// own is the client who asked about their own records (0 for a
	// coach's command): the write transaction redoes the work when they
	// are gone or have started an exchange since.
	own int64
}

// readFirst does the work of a read-only command (see coachReads and
// clientReads) in a read transaction and returns what to enqueue; nil
// for any other update, which is handled in the write transaction as
// before. An error here is not the update's: the write transaction then
// does all the work, and meets the error again if it lasts.
func (b *Bot) readFirst(u *models.Update) *readResult {
	if !b.readOnly(u) {
		return nil
	}
	var res *readResult
	err := b.db.View(func(tx *store.Tx) error {
		res = &readResult{fx: effects{reading: true}}
		if u.Message != nil {
			m := u.Message
			if name, _ := parseCommand(m.Text); !(b.isCoach(m.From) && coachReads[name]) {
				// A client's own command; one in the middle of an
				// exchange has it ended, a write.
				c, err := tx.Client(m.Chat.ID)
				if err != nil || c.Flow != "" {
					res = nil
					return nil
				}
				res.own = c.ChatID
			}
			return b.onMessage(tx, m, &res.fx)
		}
		return b.onPress(tx, u.CallbackQuery, &res.fx)
	})
	if err != nil {
		b.logger().Warn("read-only update: reading in the write transaction instead", "update", u.ID, "err", err)
		if res != nil {
			for _, o := range res.fx.queue {
				b.removeDocument(o)
			}
		}
		return nil
	}
	return res
}

// readOnly reports whether an update is a read-only command: a private
// chat's command of coachReads (from a coach) or clientReads, or a
// coach's choice among clients of the same name for /journal or /export.
func (b *Bot) readOnly(u *models.Update) bool {
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat.Type != models.ChatTypePrivate || !isCommand(m) {
			return false
		}
		name, _ := parseCommand(m.Text)
		return clientReads[name] || (coachReads[name] && b.isCoach(m.From))
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if m := q.Message.Message; m == nil || m.Chat.Type != models.ChatTypePrivate {
			return false
		}
		kind, _, _ := strings.Cut(q.Data, "|")
		return (kind == "cj" || kind == "ce") && b.isCoach(&q.From)
	}
	return false
}

// applyRead enqueues, in the update's write transaction, what readFirst
// prepared. It reports false, having written nothing, when a client the
// reply is about was erased meanwhile (or, for a client's own command,
// started an exchange): the update is then handled in full here.
func (b *Bot) applyRead(tx *store.Tx, r *readResult, fx *effects) (bool, error) {
	// Files the reading wrote for its documents (a /mydata archive) go
	// with it when the work is redone: they may hold an erased client's
	// words.
	discard := func() (bool, error) {
		for _, o := range r.fx.queue {
			b.removeDocument(o)
		}
		return false, nil
	}
	if r.own != 0 {
		c, err := tx.Client(r.own)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.Flow != "") {
			return discard()
		}
		if err != nil {
			return false, err
		}
	}
	for _, o := range r.fx.queue {
		if o.About == 0 {
			continue
		}
		if _, err := tx.Client(o.About); errors.Is(err, store.ErrNotFound) {
			return discard()
		} else if err != nil {
			return false, err
		}
	}
	*fx = r.fx
	fx.reading, fx.queue = false, nil
	for _, o := range r.fx.queue {
		if err := tx.Enqueue(&o); err != nil {
			return false, err
		}
	}
	return true, nil
}

// wrote tells writeHeld how long an update's write transaction has run.
func (b *Bot) wrote(start time.Time) {
	if b.writeHeld != nil {
		b.writeHeld(time.Since(start))
	}
}
