package bot

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"kindling/store"
)

// drainBatch is how many outbox rows one pass reads.
const drainBatch = 512

// drainWorkers bounds the chats served at once; each chat's messages go
// out in order, one chat per worker.
const drainWorkers = 64

// Wake tells the drain loop that the outbox has new rows.
func (b *Bot) Wake() {
	b.init()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Drain sends the outbox until ctx ends. Each row is removed (and a
// question's message id recorded) only after Telegram accepted it.
func (b *Bot) Drain(ctx context.Context) {
	b.init()
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		progress, pending, err := b.drainOnce(ctx)
		if err != nil {
			b.logger().Error("read outbox", "err", err)
		}
		switch {
		case ctx.Err() != nil:
			return
		case pending && progress:
			backoff = 0
			continue
		case pending:
			backoff = min(max(backoff*2, 500*time.Millisecond), 30*time.Second)
		default:
			backoff = time.Second // idle: look again now and then
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-b.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// drainOnce sends one batch. It reports whether anything was sent and
// whether rows remain.
func (b *Bot) drainOnce(ctx context.Context) (progress, pending bool, err error) {
	var rows []store.Outgoing
	err = b.DB.View(func(tx *store.Tx) error {
		var err error
		rows, err = tx.Outbox(drainBatch)
		return err
	})
	if err != nil || len(rows) == 0 {
		return false, false, err
	}
	byChat := map[int64][]store.Outgoing{}
	var order []int64
	for _, o := range rows {
		if _, ok := byChat[o.ChatID]; !ok {
			order = append(order, o.ChatID)
		}
		byChat[o.ChatID] = append(byChat[o.ChatID], o)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
		sem  = make(chan struct{}, drainWorkers)
	)
	for _, chat := range order {
		msgs := byChat[chat]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			n := b.sendChat(ctx, msgs)
			mu.Lock()
			sent += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return sent > 0, true, nil
}

// sendChat sends one chat's rows in order, stopping at the first that
// could not be sent so the order holds. It returns how many were settled.
func (b *Bot) sendChat(ctx context.Context, msgs []store.Outgoing) int {
	done := 0
	for _, o := range msgs {
		id, err := b.sendOutgoing(ctx, o)
		switch {
		case err == nil:
			if err := b.DB.Batch(func(tx *store.Tx) error { return tx.Sent(o.ID, id) }); err != nil {
				b.logger().Error("record sent message", "chat", o.ChatID, "err", err)
				return done
			}
			done++
		case errors.Is(err, ErrUnreachable):
			b.logger().Warn("chat unreachable", "chat", o.ChatID)
			if err := b.markUnreachable(o.ChatID); err != nil {
				b.logger().Error("mark chat unreachable", "chat", o.ChatID, "err", err)
			}
			return done + 1
		case errors.Is(err, ErrRejected):
			b.logger().Error("message rejected by telegram, dropped", "chat", o.ChatID, "err", err)
			if err := b.DB.Batch(func(tx *store.Tx) error { return tx.DropOutgoing(o.ID) }); err != nil {
				return done
			}
			done++
		default:
			if ctx.Err() == nil {
				b.logger().Warn("send failed, will retry", "chat", o.ChatID, "err", err)
			}
			return done
		}
	}
	return done
}

// markUnreachable stops a client's schedule and drops what was waiting
// for them: Telegram will not deliver it.
func (b *Bot) markUnreachable(chatID int64) error {
	return b.DB.Batch(func(tx *store.Tx) error {
		rows, err := tx.Outbox(1 << 20)
		if err != nil {
			return err
		}
		for _, o := range rows {
			if o.ChatID == chatID {
				if err := tx.DropOutgoing(o.ID); err != nil {
					return err
				}
			}
		}
		c, err := tx.Client(chatID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c.Status = store.StatusUnreachable
		c.Due = time.Time{}
		return tx.PutClient(c)
	})
}

// sendOutgoing makes the Telegram call for one outbox row.
func (b *Bot) sendOutgoing(ctx context.Context, o store.Outgoing) (int, error) {
	var id int
	err := b.Sender.Do(ctx, o.ChatID, func(ctx context.Context) error {
		var m *models.Message
		var err error
		if o.Document != nil {
			m, err = b.API.SendDocument(ctx, &tgbot.SendDocumentParams{
				ChatID:   o.ChatID,
				Document: &models.InputFileUpload{Filename: o.DocumentName, Data: bytes.NewReader(o.Document)},
				Caption:  o.Text,
			})
		} else {
			p := &tgbot.SendMessageParams{ChatID: o.ChatID, Text: o.Text, ParseMode: models.ParseMode(o.ParseMode)}
			if len(o.Keyboard) > 0 {
				p.ReplyMarkup = keyboard(o.Keyboard)
			}
			m, err = b.API.SendMessage(ctx, p)
		}
		if err != nil {
			return err
		}
		if m != nil {
			id = m.ID
		}
		return nil
	})
	return id, err
}

func keyboard(rows [][]store.Button) *models.InlineKeyboardMarkup {
	k := &models.InlineKeyboardMarkup{}
	for _, row := range rows {
		var r []models.InlineKeyboardButton
		for _, btn := range row {
			r = append(r, models.InlineKeyboardButton{Text: btn.Text, CallbackData: btn.Data})
		}
		k.InlineKeyboard = append(k.InlineKeyboard, r)
	}
	return k
}

// WaitIdle waits until the outbox is empty (everything enqueued so far
// was sent or given up) or ctx ends. The demo and tests use it to let the
// conversation settle before moving a fake clock on.
func (b *Bot) WaitIdle(ctx context.Context) error {
	b.init()
	for {
		var n int
		err := b.DB.View(func(tx *store.Tx) error {
			rows, err := tx.Outbox(1)
			n = len(rows)
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		b.Wake()
		t := time.NewTimer(5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
