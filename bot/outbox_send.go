package bot

import (
	"context"
	"errors"
	"time"

	"kindling/store"
	"kindling/telegram"
)

// sendChat sends one chat's rows in order, stopping at the first that
// could not be sent so the order holds. It returns how many were settled,
// and whether Telegram did not find the chat (so that it is tried again
// later, not at once). drops is the store's OutboxDrops from before the
// rows were read (see sendOutgoing).
func (b *Bot) sendChat(ctx context.Context, msgs []store.Outgoing, drops uint64) (int, bool) {
	done := 0
	for i := range msgs {
		o := &msgs[i] // not a copy: the closures below would move each to the heap
		id, err := b.sendOutgoing(ctx, o, drops)
		switch {
		case errors.Is(err, telegram.ErrGone):
			done++
		case err == nil:
			told := false
			if err := b.db.Batch(func(tx *store.Tx) error {
				if err := tx.SentRow(o, id); err != nil {
					return err
				}
				if err := tx.ChatFound(o.ChatID); err != nil {
					return err
				}
				var err error
				told, err = b.alertSent(tx, *o, id)
				return err
			}); err != nil {
				b.logger().Error("record sent message", "chat", o.ChatID, "err", err)
				return done, false
			}
			b.removeDocument(*o)
			if told {
				b.Wake()
			}
			done++
		case errors.Is(err, telegram.ErrUnreachable):
			b.logger().Warn("chat unreachable", "chat", o.ChatID)
			b.alertUndelivered(*o) // before the row goes: the outbox is never seen idle in between
			if err := b.markUnreachable(o.ChatID); err != nil {
				b.logger().Error("mark chat unreachable", "chat", o.ChatID, "err", err)
			} else {
				b.removeDocuments(o.ChatID)
			}
			return done + 1, false
		case errors.Is(err, telegram.ErrChatNotFound):
			// A coach who never opened the bot's chat is answered this way:
			// an alert to them reaches the others now, and is still tried.
			b.alertUndelivered(*o)
			gone, err := b.chatNotFound(*o)
			switch {
			case err != nil:
				b.logger().Error("record chat not found", "chat", o.ChatID, "err", err)
			case gone:
				b.logger().Warn("chat unreachable: telegram has not found it for a day", "chat", o.ChatID)
				b.removeDocuments(o.ChatID)
				return done + 1, false
			default:
				b.logger().Warn("telegram did not find the chat; trying again later", "chat", o.ChatID, "retry_in", b.notFoundRetry())
			}
			return done, true
		case errors.Is(err, telegram.ErrRejected):
			b.logger().Error("message rejected by telegram, dropped", "chat", o.ChatID, "err", err)
			b.alertUndelivered(*o)
			if err := b.db.Batch(func(tx *store.Tx) error { return tx.DropOutgoing(o.ID) }); err != nil {
				return done, false
			}
			b.removeDocument(*o)
			done++
		default:
			if ctx.Err() == nil {
				b.logger().Warn("send failed, will retry", "chat", o.ChatID, "err", err)
				b.alertUndelivered(*o) // others are told now; this row is still tried
			}
			return done, false
		}
	}
	return done, false
}

// chatNotFound records that Telegram did not find the chat of row o. The
// first time it is noted on the client; when it comes again notFoundFor
// after that, the client is marked unreachable and gone is true. For a
// chat that is not a client's (a coach's), the row is dropped once it is
// notFoundFor old.
func (b *Bot) chatNotFound(o store.Outgoing) (gone bool, err error) {
	now := b.now()
	err = b.db.Batch(func(tx *store.Tx) error {
		gone = false // this function may run more than once
		c, err := tx.Client(o.ChatID)
		if errors.Is(err, store.ErrNotFound) {
			if now.Sub(o.CreatedAt) >= notFoundFor {
				gone = true
				return tx.DropOutgoing(o.ID)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if c.ChatNotFoundAt.IsZero() {
			c.ChatNotFoundAt = now
			return tx.PutClient(c)
		}
		if now.Sub(c.ChatNotFoundAt) < notFoundFor {
			return nil
		}
		gone = true
		return unreachable(tx, o.ChatID)
	})
	return gone, err
}

// markUnreachable stops a client's schedule and drops what was waiting
// for them: Telegram will not deliver it.
func (b *Bot) markUnreachable(chatID int64) error {
	return b.db.Batch(func(tx *store.Tx) error { return unreachable(tx, chatID) })
}

// unreachable marks the client unreachable in tx (see markUnreachable).
func unreachable(tx *store.Tx, chatID int64) error {
	if err := tx.DropChatOutbox(chatID); err != nil {
		return err
	}
	c, err := tx.Client(chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c.Status = store.StatusUnreachable
	c.ChatNotFoundAt = time.Time{}
	c.Due = time.Time{}
	return tx.PutClient(c)
}

// sendOutgoing makes the Telegram call for one outbox row. Before every
// try it makes sure the row is still waiting: it may have gone since it
// was read, as when its client erased their data (with everything about
// them). While the store's OutboxDrops is still drops, the count from
// before the row was read, no row was removed unsent since, and the
// store is not asked again.
func (b *Bot) sendOutgoing(ctx context.Context, o *store.Outgoing, drops uint64) (int, error) {
	doc, err := b.documentOf(*o)
	if err != nil {
		return 0, err
	}
	var id int
	do := b.sender.Do
	if o.Urgent {
		do = b.sender.DoUrgent
	}
	err = do(ctx, o.ChatID, func(ctx context.Context) error {
		if b.db.OutboxDrops() != drops {
			waiting := true
			if err := b.db.View(func(tx *store.Tx) error { waiting = tx.Waiting(o.ID); return nil }); err != nil {
				return err
			}
			if !waiting {
				return telegram.ErrGone
			}
		}
		var err error
		if doc != nil {
			id, err = b.api.SendDocument(ctx, telegram.Document{
				ChatID: o.ChatID, Name: o.DocumentName, Data: doc, Caption: o.Text, Protect: o.Protect,
			})
		} else {
			id, err = b.api.SendText(ctx, telegram.Text{
				ChatID: o.ChatID, Text: o.Text, ParseMode: o.ParseMode, Protect: o.Protect, Keyboard: keyboard(o.Keyboard),
			})
		}
		return err
	})
	return id, err
}

// keyboard is the inline keyboard of an outbox row, as telegram sends it.
func keyboard(rows [][]store.Button) [][]telegram.Button {
	if len(rows) == 0 {
		return nil
	}
	n := 0
	for _, row := range rows {
		n += len(row)
	}
	all := make([]telegram.Button, 0, n) // the rows share one array
	k := make([][]telegram.Button, len(rows))
	for i, row := range rows {
		start := len(all)
		for _, btn := range row {
			all = append(all, telegram.Button{Text: btn.Text, Data: btn.Data, URL: btn.URL})
		}
		k[i] = all[start:len(all):len(all)]
	}
	return k
}
