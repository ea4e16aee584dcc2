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
const drainWorkers = 128

// workers is how many chats the drain serves at once: enough to keep the
// sender's rate busy while each send waits for Telegram and the disk,
// and few enough that the slots they reserve ahead stay short, so a
// button press answered in between waits a fraction of a second, not
// seconds, behind a broadcast.
func (b *Bot) workers() int {
	rate := b.Sender.Rate
	if rate <= 0 {
		rate = 25
	}
	return min(max(int(rate/4), 8), drainWorkers)
}

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
//
// Rows are handed to workers one chat at a time, so a chat's messages go
// out in order while other chats carry on: a chat held back by the
// one-message-per-second limit, or by retries, never stalls the rest.
func (b *Bot) Drain(ctx context.Context) {
	b.init()
	b.sweepDocuments()
	workers := b.workers()
	var (
		wg       sync.WaitGroup
		results  = make(chan drainResult, workers)
		busy     = map[int64]bool{} // chats with a worker
		inFlight = map[uint64]bool{}
		backoff  time.Duration
	)
	defer wg.Wait()
	for ctx.Err() == nil {
		// Read the outbox again only when half the workers are free:
		// each read decodes a batch of rows.
		started, pending := 0, true
		if len(busy) <= workers*3/4 {
			var err error
			started, pending, err = b.dispatch(ctx, &wg, results, busy, inFlight, workers)
			if err != nil {
				b.logger().Error("read outbox", "err", err)
			}
		}
		var wait time.Duration
		switch {
		case len(busy) > workers*3/4 || (started > 0 && len(busy) > 0):
			wait = time.Hour // a result wakes us
		case pending:
			backoff = min(max(backoff*2, 500*time.Millisecond), 30*time.Second)
			wait = backoff
		default:
			wait = time.Second // idle: look again now and then
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case r := <-results:
			b.settle(r, busy, inFlight, &backoff)
			// Take every result that is ready before reading again.
			for more := true; more; {
				select {
				case r := <-results:
					b.settle(r, busy, inFlight, &backoff)
				default:
					more = false
				}
			}
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// drainResult is what a worker reports when it is done with a chat.
type drainResult struct {
	chat     int64
	ids      []uint64
	progress bool // at least one row was settled
}

func (b *Bot) settle(r drainResult, busy map[int64]bool, inFlight map[uint64]bool, backoff *time.Duration) {
	delete(busy, r.chat)
	for _, id := range r.ids {
		delete(inFlight, id)
	}
	if r.progress {
		*backoff = 0
	}
}

// dispatch reads the outbox and starts a worker for each chat that has
// rows and none yet, up to drainWorkers. It reports how many workers it
// started and whether rows are waiting.
func (b *Bot) dispatch(ctx context.Context, wg *sync.WaitGroup, results chan<- drainResult, busy map[int64]bool, inFlight map[uint64]bool, workers int) (int, bool, error) {
	if len(busy) >= workers {
		return 0, true, nil
	}
	var rows []store.Outgoing
	err := b.DB.View(func(tx *store.Tx) error {
		var err error
		rows, err = tx.Outbox(drainBatch + len(inFlight))
		return err
	})
	if err != nil {
		return 0, false, err
	}
	byChat := map[int64][]store.Outgoing{}
	var order []int64
	pending := false
	for _, o := range rows {
		if inFlight[o.ID] {
			continue
		}
		pending = true
		if busy[o.ChatID] {
			continue
		}
		if _, ok := byChat[o.ChatID]; !ok {
			order = append(order, o.ChatID)
		}
		byChat[o.ChatID] = append(byChat[o.ChatID], o)
	}
	started := 0
	for _, chat := range order {
		if len(busy) >= workers {
			break
		}
		msgs := byChat[chat]
		busy[chat] = true
		ids := make([]uint64, len(msgs))
		for i, o := range msgs {
			inFlight[o.ID] = true
			ids[i] = o.ID
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := b.sendChat(ctx, msgs)
			results <- drainResult{chat: chat, ids: ids, progress: n > 0}
		}()
	}
	return started, pending, nil
}

// sendChat sends one chat's rows in order, stopping at the first that
// could not be sent so the order holds. It returns how many were settled.
func (b *Bot) sendChat(ctx context.Context, msgs []store.Outgoing) int {
	done := 0
	for _, o := range msgs {
		id, err := b.sendOutgoing(ctx, o)
		switch {
		case errors.Is(err, errGone):
			done++
		case err == nil:
			told := false
			if err := b.DB.Batch(func(tx *store.Tx) error {
				if err := tx.Sent(o.ID, id); err != nil {
					return err
				}
				var err error
				told, err = b.alertSent(tx, o, id)
				return err
			}); err != nil {
				b.logger().Error("record sent message", "chat", o.ChatID, "err", err)
				return done
			}
			b.removeDocument(o)
			if told {
				b.Wake()
			}
			done++
		case errors.Is(err, ErrUnreachable):
			b.logger().Warn("chat unreachable", "chat", o.ChatID)
			b.alertUndelivered(o) // before the row goes: the outbox is never seen idle in between
			if err := b.markUnreachable(o.ChatID); err != nil {
				b.logger().Error("mark chat unreachable", "chat", o.ChatID, "err", err)
			} else {
				b.removeDocuments(o.ChatID)
			}
			return done + 1
		case errors.Is(err, ErrRejected):
			b.logger().Error("message rejected by telegram, dropped", "chat", o.ChatID, "err", err)
			b.alertUndelivered(o)
			if err := b.DB.Batch(func(tx *store.Tx) error { return tx.DropOutgoing(o.ID) }); err != nil {
				return done
			}
			b.removeDocument(o)
			done++
		default:
			if ctx.Err() == nil {
				b.logger().Warn("send failed, will retry", "chat", o.ChatID, "err", err)
				b.alertUndelivered(o) // others are told now; this row is still tried
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
	doc, err := b.documentOf(o)
	if err != nil {
		return 0, err
	}
	var id int
	err = b.Sender.Do(ctx, o.ChatID, func(ctx context.Context) error {
		// Before every try: the row may have gone since it was read, as
		// when its client erased their data (with everything about them).
		waiting := true
		if err := b.DB.View(func(tx *store.Tx) error { waiting = tx.Waiting(o.ID); return nil }); err != nil {
			return err
		}
		if !waiting {
			return errGone
		}
		var m *models.Message
		var err error
		if doc != nil {
			m, err = b.API.SendDocument(ctx, &tgbot.SendDocumentParams{
				ChatID:   o.ChatID,
				Document: &models.InputFileUpload{Filename: o.DocumentName, Data: bytes.NewReader(doc)},
				Caption:  o.Text, ProtectContent: o.Protect,
			})
		} else {
			p := &tgbot.SendMessageParams{ChatID: o.ChatID, Text: o.Text, ParseMode: models.ParseMode(o.ParseMode), ProtectContent: o.Protect}
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
