package store

import (
	"encoding/binary"
	"fmt"
)

// Enqueue adds a message to the outbox, assigning o.ID (increasing) and
// o.CreatedAt when it is zero.
func (tx *Tx) Enqueue(o *Outgoing) error {
	if o.ChatID == 0 {
		return fmt.Errorf("enqueue: chat id is zero")
	}
	b := tx.b(bucketOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("enqueue %d: %w", o.ChatID, err)
	}
	o.ID = id | outboxClass(o)
	if o.CreatedAt.IsZero() {
		o.CreatedAt = tx.now()
	}
	if err := tx.putOutgoing(o); err != nil {
		return fmt.Errorf("enqueue %d: %w", o.ChatID, err)
	}
	return nil
}

// PutOutgoing replaces an outbox row (to count Attempts), or returns
// ErrNotFound.
func (tx *Tx) PutOutgoing(o Outgoing) error {
	b := tx.b(bucketOutbox)
	if b.Get(u64(o.ID)) == nil {
		return fmt.Errorf("outgoing %d: %w", o.ID, ErrNotFound)
	}
	return tx.putOutgoing(&o)
}

// The class bits of an outbox id, and so of its key, order the outbox:
// Urgent rows carry none and come first, then the conversation
// (normalBit), then broadcasts (bulkBit); each class oldest first.
const (
	normalBit = 1 << 61
	bulkBit   = 1 << 62
)

// outboxClass is the class bit of a new row; Urgent wins over Bulk.
func outboxClass(o *Outgoing) uint64 {
	switch {
	case o.Urgent:
		return 0
	case o.Bulk:
		return bulkBit
	}
	return normalBit
}

// Outbox returns up to limit outbox rows (limit <= 0: all): Urgent rows
// first, then the rest that are not Bulk, then Bulk ones, each oldest
// first.
func (tx *Tx) Outbox(limit int) ([]Outgoing, error) {
	return tx.outbox(limit, ^uint64(0))
}

// UrgentOutbox returns up to limit Urgent outbox rows (limit <= 0: all),
// oldest first. It reads no other row.
func (tx *Tx) UrgentOutbox(limit int) ([]Outgoing, error) {
	return tx.outbox(limit, normalBit)
}

// outbox reads rows in key order while their id is below end.
func (tx *Tx) outbox(limit int, end uint64) ([]Outgoing, error) {
	var out []Outgoing
	c := tx.b(bucketOutbox).Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		if len(k) == 8 && binary.BigEndian.Uint64(k) >= end {
			break
		}
		var o Outgoing
		if err := decodeOutgoing(v, &o, k); err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// OutboxRow is one outbox row met by OutboxEach: its id, read from the
// key, and its value, decoded only when asked. It is valid only inside
// the call to fn.
type OutboxRow struct {
	ID   uint64
	k, v []byte
}

// Decode decodes the row.
func (r OutboxRow) Decode() (Outgoing, error) {
	var o Outgoing
	err := decodeOutgoing(r.v, &o, r.k)
	return o, err
}

// OutboxEach walks outbox rows in the order Outbox returns them, while
// fn returns true: only the Urgent rows when urgent is set, else every
// other row (the conversation, then broadcasts). A row is decoded only
// if fn asks, so a caller that already holds a row (one being sent, or
// read on an earlier pass) skips it by its id alone.
func (tx *Tx) OutboxEach(urgent bool, fn func(OutboxRow) (bool, error)) error {
	c := tx.b(bucketOutbox).Cursor()
	var k, v []byte
	if urgent {
		k, v = c.First()
	} else {
		k, v = c.Seek(u64(normalBit))
	}
	for ; k != nil; k, v = c.Next() {
		if len(k) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(k)
		if urgent && id >= normalBit {
			break
		}
		more, err := fn(OutboxRow{ID: id, k: k, v: v})
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Sent removes outbox row id once Telegram accepted it as messageID. When
// the row asks a delivery's question, messageID is recorded in that
// delivery's Messages (and SentAt set if still zero) in this transaction.
// A missing row is not an error: Sent may be repeated.
func (tx *Tx) Sent(id uint64, messageID int) error {
	key := u64(id)
	v := tx.b(bucketOutbox).Get(key)
	if v == nil {
		return nil
	}
	var o Outgoing
	if err := decodeOutgoing(v, &o, key); err != nil {
		return err
	}
	return tx.sent(id, o.ChatID, o.LocalDate, o.Day, o.QuestionID, messageID)
}

// SentRow is Sent for a row the caller read and decoded before (the
// drain does): the delivery it asks about is taken from o, so the stored
// row is not decoded again. o must be a copy of the row o.ID.
func (tx *Tx) SentRow(o *Outgoing, messageID int) error {
	if tx.b(bucketOutbox).Get(u64(o.ID)) == nil {
		return nil
	}
	return tx.sent(o.ID, o.ChatID, o.LocalDate, o.Day, o.QuestionID, messageID)
}

func (tx *Tx) sent(id uint64, chatID int64, localDate string, day int, questionID string, messageID int) error {
	if err := tx.b(bucketOutbox).Delete(u64(id)); err != nil {
		return fmt.Errorf("sent %d: %w", id, err)
	}
	if questionID == "" || localDate == "" {
		return nil
	}
	if err := tx.questionSent(chatID, localDate, day, questionID, messageID); err != nil {
		return fmt.Errorf("sent %d: delivery %d %s day %d: %w", id, chatID, localDate, day, err)
	}
	return nil
}

// questionSent records that question questionID of a delivery went out
// as messageID. It writes only what changes: the delivery, and its entry
// in the message index (the step brief does not name message ids). A
// delivery that is gone (forgotten) is not an error.
func (tx *Tx) questionSent(chatID int64, localDate string, day int, questionID string, messageID int) error {
	deliveries := tx.b(bucketDeliveries)
	key := deliveryKey(chatID, localDate, day)
	v := deliveries.Get(key)
	if v == nil {
		return nil
	}
	var d Delivery
	if err := decode(v, &d, "delivery", key); err != nil {
		return err
	}
	old := d.Messages[questionID]
	if old == messageID && !d.SentAt.IsZero() {
		return nil // recorded already
	}
	if d.Messages == nil {
		d.Messages = map[string]int{}
	}
	d.Messages[questionID] = messageID
	if d.SentAt.IsZero() {
		d.SentAt = tx.now()
	}
	msgs := tx.b(bucketDeliveryMsgs)
	if old != 0 && old != messageID {
		// The question was asked before in another message: its entry
		// goes, or names the other question asked in that message.
		if err := msgs.Delete(deliveryMsgKey(chatID, old)); err != nil {
			return err
		}
		for q, id := range d.Messages {
			if id == old {
				if err := msgs.Put(deliveryMsgKey(chatID, old), deliveryMsgValue(d, q)); err != nil {
					return err
				}
			}
		}
	}
	if messageID != 0 {
		if err := msgs.Put(deliveryMsgKey(chatID, messageID), deliveryMsgValue(d, questionID)); err != nil {
			return err
		}
	}
	return put(deliveries, key, d)
}

// OutboxLen counts the outbox rows: all of them, and the bulk ones.
// It walks the outbox's keys without decoding them.
func (tx *Tx) OutboxLen() (all, bulk int) {
	c := tx.b(bucketOutbox).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		all++
		if len(k) == 8 && binary.BigEndian.Uint64(k)&bulkBit != 0 {
			bulk++
		}
	}
	return all, bulk
}

// BulkWaiting counts the broadcast rows waiting in the outbox (the
// schedule's questions and reminders), up to limit (limit <= 0: all). It
// reads only their keys.
func (tx *Tx) BulkWaiting(limit int) int {
	n := 0
	c := tx.b(bucketOutbox).Cursor()
	for k, _ := c.Seek(u64(bulkBit)); k != nil && (limit <= 0 || n < limit); k, _ = c.Next() {
		if len(k) == 8 && binary.BigEndian.Uint64(k)&bulkBit != 0 {
			n++
		}
	}
	return n
}

// Waiting reports whether outbox row id is still waiting to be sent: a
// sender holding a copy checks it, since Forget may have dropped the row.
func (tx *Tx) Waiting(id uint64) bool {
	return tx.b(bucketOutbox).Get(u64(id)) != nil
}

// DropOutgoing removes outbox row id without sending it (the chat is
// unreachable, say). A missing row is not an error.
func (tx *Tx) DropOutgoing(id uint64) error {
	tx.dropped = true
	if err := tx.b(bucketOutbox).Delete(u64(id)); err != nil {
		return fmt.Errorf("drop outgoing %d: %w", id, err)
	}
	return nil
}

// DropChatOutbox removes every outbox row to chatID (its client is
// unreachable, say). It decodes only each row's chat id and holds no
// row in memory; it still reads the whole outbox (no index by chat yet).
func (tx *Tx) DropChatOutbox(chatID int64) error {
	tx.dropped = true
	err := deleteWhere(tx.b(bucketOutbox), func(k, v []byte) (bool, error) {
		chat, err := outgoingChat(v, k)
		return chat == chatID, err
	})
	if err != nil {
		return fmt.Errorf("drop outbox of %d: %w", chatID, err)
	}
	return nil
}
