package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Tx is one transaction. It is valid only inside the function given to
// DB.Update, View, Batch or ApplyUpdate; every value it returns is a copy
// that may be kept afterwards. Write methods fail in a View.
type Tx struct {
	tx  *bbolt.Tx
	now func() time.Time

	dropped bool // outbox rows were removed unsent (see DB.OutboxDrops)
}

func (tx *Tx) b(name []byte) *bbolt.Bucket { return tx.tx.Bucket(name) }

func put(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func get(b *bbolt.Bucket, key []byte, into any, what string) error {
	v := b.Get(key)
	if v == nil {
		return ErrNotFound
	}
	return decode(v, into, what, key)
}

// prefixed calls fn for each key of b starting with prefix, in key order.
func prefixed(b *bbolt.Bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// has reports whether b holds key. (Get cannot tell an empty value from
// a missing key.)
func has(b *bbolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// deletePrefix deletes every key of b starting with prefix.
func deletePrefix(b *bbolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// ---- update offset ----

// updateWindow is how many update ids below the offset are remembered one
// by one (see DB.ApplyUpdate).
const updateWindow = 10000

// Offset returns the highest Telegram update id stored.
func (tx *Tx) Offset() int64 {
	n, _ := metaInt(tx.b(bucketMeta), metaOffset)
	return n
}

// SetOffset records update id as applied and raises the stored offset to
// it; a lower id never lowers the offset. Use it for updates kindling
// handles without ApplyUpdate, such as ones it ignores.
func (tx *Tx) SetOffset(id int64) error {
	meta := tx.b(bucketMeta)
	off, err := metaInt(meta, metaOffset)
	if err != nil {
		return err
	}
	if id > off {
		off = id
		if err := meta.Put(metaOffset, []byte(strconv.FormatInt(id, 10))); err != nil {
			return fmt.Errorf("set offset %d: %w", id, err)
		}
	}
	floor, err := metaInt(meta, metaUpdateFloor)
	if err != nil {
		return err
	}
	if id <= floor {
		return nil
	}
	ups := tx.b(bucketUpdates)
	if err := ups.Put(u64(uint64(id)), nil); err != nil {
		return fmt.Errorf("set offset %d: %w", id, err)
	}
	// Forget ids far below the offset; the floor says they were applied.
	newFloor := floor
	c := ups.Cursor()
	for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) < off-updateWindow; k, _ = c.First() {
		newFloor = int64(binary.BigEndian.Uint64(k))
		if err := c.Delete(); err != nil {
			return err
		}
	}
	if newFloor != floor {
		return meta.Put(metaUpdateFloor, []byte(strconv.FormatInt(newFloor, 10)))
	}
	return nil
}

// applied reports whether update id was already stored.
func (tx *Tx) applied(id int64) bool {
	meta := tx.b(bucketMeta)
	floor, _ := metaInt(meta, metaUpdateFloor)
	off, _ := metaInt(meta, metaOffset)
	return id <= floor || id < off-updateWindow || has(tx.b(bucketUpdates), u64(uint64(id)))
}

// ---- clients and the due index ----

// Client returns the client of chatID, or ErrNotFound.
func (tx *Tx) Client(chatID int64) (Client, error) {
	var c Client
	if err := get(tx.b(bucketClients), chatKey(chatID), &c, "client"); err != nil {
		return Client{}, fmt.Errorf("client %d: %w", chatID, err)
	}
	return c, nil
}

// PutClient creates or replaces a client and moves its entry in the due
// index to c.Due (none when c.Due is zero), in this transaction.
func (tx *Tx) PutClient(c Client) error {
	if c.ChatID == 0 {
		return fmt.Errorf("put client: chat id is zero")
	}
	clients, due := tx.b(bucketClients), tx.b(bucketDue)
	key := chatKey(c.ChatID)
	var old *Client
	if v := clients.Get(key); v != nil {
		old = new(Client)
		if err := decode(v, old, "client", key); err != nil {
			return err
		}
		if !old.Due.IsZero() {
			if err := due.Delete(dueKey(old.Due, c.ChatID)); err != nil {
				return fmt.Errorf("put client %d: %w", c.ChatID, err)
			}
		}
	}
	if err := tx.indexClient(old, c); err != nil {
		return fmt.Errorf("put client %d: %w", c.ChatID, err)
	}
	if !c.Due.IsZero() {
		if err := due.Put(dueKey(c.Due, c.ChatID), nil); err != nil {
			return fmt.Errorf("put client %d: %w", c.ChatID, err)
		}
	}
	if err := put(clients, key, c); err != nil {
		return fmt.Errorf("put client %d: %w", c.ChatID, err)
	}
	return nil
}

// ChatFound clears the client's ChatNotFoundAt, now that a message
// reached their chat. The client is decoded and written only when it has
// one: a zero ChatNotFoundAt is never encoded, so a stored client without
// the key has nothing to clear. A chat that is no client's is not an error.
func (tx *Tx) ChatFound(chatID int64) error {
	v := tx.b(bucketClients).Get(chatKey(chatID))
	if v == nil || !bytes.Contains(v, chatNotFoundKey) {
		return nil
	}
	c, err := tx.Client(chatID)
	if err != nil || c.ChatNotFoundAt.IsZero() {
		return err
	}
	c.ChatNotFoundAt = time.Time{}
	return tx.PutClient(c)
}

// chatNotFoundKey is how Client.ChatNotFoundAt is named in a stored
// client (see its json tag).
var chatNotFoundKey = []byte(`"chat_not_found_at"`)

// Clients calls fn for every client in chat id order; an error from fn
// stops the walk and is returned.
func (tx *Tx) Clients(fn func(Client) error) error {
	return tx.b(bucketClients).ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil {
			return err
		}
		return fn(c)
	})
}

// Due returns the chat ids of clients whose Due is at or before at, in due
// order, at most limit (limit <= 0: all). It reads only the due entries it
// returns, plus one.
func (tx *Tx) Due(at time.Time, limit int) ([]int64, error) {
	end := dueTimeKey(at)
	var ids []int64
	c := tx.b(bucketDue).Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(ids) < limit); k, _ = c.Next() {
		if len(k) != dueKeyLen {
			return ids, fmt.Errorf("%w: due key %x", ErrCorrupt, k)
		}
		if bytes.Compare(k[:12], end) > 0 {
			break
		}
		ids = append(ids, int64(binary.BigEndian.Uint64(k[12:])))
	}
	return ids, nil
}

// ---- sessions ----

// AddSession stores a session, replacing one of the same client and date.
func (tx *Tx) AddSession(s Session) error {
	if err := checkDate("add session: date", s.Date); err != nil {
		return err
	}
	if err := put(tx.b(bucketSessions), sessionKey(s.ChatID, s.Date), s); err != nil {
		return fmt.Errorf("add session %d %s: %w", s.ChatID, s.Date, err)
	}
	return nil
}

// DeleteSession deletes the client's session of date, or returns ErrNotFound.
func (tx *Tx) DeleteSession(chatID int64, date string) error {
	b, key := tx.b(bucketSessions), sessionKey(chatID, date)
	if b.Get(key) == nil {
		return fmt.Errorf("session %d %s: %w", chatID, date, ErrNotFound)
	}
	return b.Delete(key)
}

// Sessions returns the client's sessions in date order.
func (tx *Tx) Sessions(chatID int64) ([]Session, error) {
	var out []Session
	err := prefixed(tx.b(bucketSessions), chatKey(chatID), func(k, v []byte) error {
		var s Session
		if err := decode(v, &s, "session", k); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// LatestSession returns the client's session of the latest date, or
// ErrNotFound.
func (tx *Tx) LatestSession(chatID int64) (Session, error) {
	k, v := last(tx.b(bucketSessions), chatKey(chatID))
	if k == nil {
		return Session{}, fmt.Errorf("latest session %d: %w", chatID, ErrNotFound)
	}
	var s Session
	err := decode(v, &s, "session", k)
	return s, err
}

// last returns the last key of b with prefix (8 bytes, a chat id).
func last(b *bbolt.Bucket, prefix []byte) (k, v []byte) {
	c := b.Cursor()
	next := u64(binary.BigEndian.Uint64(prefix) + 1)
	if binary.BigEndian.Uint64(prefix) == ^uint64(0) {
		k, v = c.Last()
	} else if k, v = c.Seek(next); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

// ---- deliveries ----

// Delivery returns the client's delivery of step day on localDate, or
// ErrNotFound.
func (tx *Tx) Delivery(chatID int64, localDate string, day int) (Delivery, error) {
	var d Delivery
	if err := get(tx.b(bucketDeliveries), deliveryKey(chatID, localDate, day), &d, "delivery"); err != nil {
		return Delivery{}, fmt.Errorf("delivery %d %s day %d: %w", chatID, localDate, day, err)
	}
	return d, nil
}

// PutDelivery creates or replaces a delivery, keyed by (ChatID, LocalDate, Day).
func (tx *Tx) PutDelivery(d Delivery) error {
	if err := checkDate("put delivery: local date", d.LocalDate); err != nil {
		return err
	}
	if err := tx.indexDelivery(d); err != nil {
		return fmt.Errorf("put delivery %d %s day %d: %w", d.ChatID, d.LocalDate, d.Day, err)
	}
	if err := put(tx.b(bucketDeliveries), deliveryKey(d.ChatID, d.LocalDate, d.Day), d); err != nil {
		return fmt.Errorf("put delivery %d %s day %d: %w", d.ChatID, d.LocalDate, d.Day, err)
	}
	return nil
}

// DeliveryOn returns the client's deliveries of localDate, in day order.
func (tx *Tx) DeliveryOn(chatID int64, localDate string) ([]Delivery, error) {
	return tx.deliveries(cat(chatKey(chatID), []byte(localDate)))
}

// Deliveries returns all of the client's deliveries in (local date, day) order.
func (tx *Tx) Deliveries(chatID int64) ([]Delivery, error) {
	return tx.deliveries(chatKey(chatID))
}

func (tx *Tx) deliveries(prefix []byte) ([]Delivery, error) {
	var out []Delivery
	err := prefixed(tx.b(bucketDeliveries), prefix, func(k, v []byte) error {
		var d Delivery
		if err := decode(v, &d, "delivery", k); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// LatestDelivery returns the client's delivery of the latest local date,
// the last created when that date has several; or ErrNotFound.
func (tx *Tx) LatestDelivery(chatID int64) (Delivery, error) {
	prefix := chatKey(chatID)
	k, _ := last(tx.b(bucketDeliveries), prefix)
	if k == nil {
		return Delivery{}, fmt.Errorf("latest delivery %d: %w", chatID, ErrNotFound)
	}
	ds, err := tx.deliveries(k[:8+len(dateLayout)])
	if err != nil {
		return Delivery{}, err
	}
	best := ds[0]
	for _, d := range ds[1:] {
		if !d.CreatedAt.Before(best.CreatedAt) {
			best = d
		}
	}
	return best, nil
}

// ---- replies ----

// AddReply stores a new reply, assigning r.ID (increasing across all
// chats) and r.At when it is zero.
func (tx *Tx) AddReply(r *Reply) error {
	if r.ChatID == 0 {
		return fmt.Errorf("add reply: chat id is zero")
	}
	if err := checkQuestionID(r.QuestionID); err != nil {
		return fmt.Errorf("add reply %d: %w", r.ChatID, err)
	}
	b := tx.b(bucketReplies)
	id, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("add reply %d: %w", r.ChatID, err)
	}
	r.ID = id
	if r.At.IsZero() {
		r.At = tx.now()
	}
	if err := tx.putReply(b, *r, nil); err != nil {
		return fmt.Errorf("add reply %d: %w", r.ChatID, err)
	}
	return nil
}

// putReply writes r and its index entries; old is the version it
// replaces, nil for a new reply.
func (tx *Tx) putReply(b *bbolt.Bucket, r Reply, old *Reply) error {
	msgs := tx.b(bucketReplyMsgs)
	if old != nil && old.MessageID != 0 && old.MessageID != r.MessageID {
		if err := msgs.Delete(replyMsgKey(r.ChatID, old.MessageID)); err != nil {
			return err
		}
	}
	if err := tx.indexReply(old, r); err != nil {
		return err
	}
	if r.MessageID != 0 {
		if err := msgs.Put(replyMsgKey(r.ChatID, r.MessageID), u64(r.ID)); err != nil {
			return err
		}
	}
	return put(b, replyKey(r.ChatID, r.ID), r)
}

// PutReply replaces the reply (r.ChatID, r.ID), or returns ErrNotFound.
func (tx *Tx) PutReply(r Reply) error {
	b := tx.b(bucketReplies)
	var old Reply
	if err := get(b, replyKey(r.ChatID, r.ID), &old, "reply"); err != nil {
		return fmt.Errorf("put reply %d/%d: %w", r.ChatID, r.ID, err)
	}
	if err := checkQuestionID(r.QuestionID); err != nil {
		return fmt.Errorf("put reply %d/%d: %w", r.ChatID, r.ID, err)
	}
	if err := tx.putReply(b, r, &old); err != nil {
		return fmt.Errorf("put reply %d/%d: %w", r.ChatID, r.ID, err)
	}
	return nil
}

// Reply returns the client's reply id, or ErrNotFound.
func (tx *Tx) Reply(chatID int64, id uint64) (Reply, error) {
	var r Reply
	if err := get(tx.b(bucketReplies), replyKey(chatID, id), &r, "reply"); err != nil {
		return Reply{}, fmt.Errorf("reply %d/%d: %w", chatID, id, err)
	}
	return r, nil
}

// ReplyByMessage returns the reply stored from the client's Telegram
// message messageID (to apply an edit), or ErrNotFound.
func (tx *Tx) ReplyByMessage(chatID int64, messageID int) (Reply, error) {
	v := tx.b(bucketReplyMsgs).Get(replyMsgKey(chatID, messageID))
	if len(v) != 8 {
		return Reply{}, fmt.Errorf("reply to message %d/%d: %w", chatID, messageID, ErrNotFound)
	}
	return tx.Reply(chatID, binary.BigEndian.Uint64(v))
}

// Replies returns the client's replies with At at or after since, in id
// order. With since zero it reads the client's replies in key order;
// otherwise it seeks the reply time index and reads only the replies it
// returns.
func (tx *Tx) Replies(chatID int64, since time.Time) ([]Reply, error) {
	if since.IsZero() {
		var out []Reply
		err := prefixed(tx.b(bucketReplies), chatKey(chatID), func(k, v []byte) error {
			var r Reply
			if err := decode(v, &r, "reply", k); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
		return out, err
	}
	ids, err := tx.replyIDs(chatID, since)
	if err != nil {
		return nil, err
	}
	out, err := tx.repliesByID(chatID, ids)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// ---- outbox ----

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
	if err := put(b, u64(o.ID), o); err != nil {
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
	return put(b, u64(o.ID), o)
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
		if err := decode(v, &o, "outgoing", k); err != nil {
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
	err := decode(r.v, &o, "outgoing", r.k)
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
	// Only what names the delivery is decoded, not the text and keyboard.
	var o struct {
		ChatID     int64  `json:"chat_id"`
		LocalDate  string `json:"local_date"`
		Day        int    `json:"day"`
		QuestionID string `json:"question_id"`
	}
	if err := get(tx.b(bucketOutbox), u64(id), &o, "outgoing"); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
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
		var o struct {
			ChatID int64 `json:"chat_id"`
		}
		err := decode(v, &o, "outgoing", k)
		return o.ChatID == chatID, err
	})
	if err != nil {
		return fmt.Errorf("drop outbox of %d: %w", chatID, err)
	}
	return nil
}

// ---- invites ----

// PutInvite creates or replaces an invite, keyed by Code.
func (tx *Tx) PutInvite(inv Invite) error {
	if inv.Code == "" {
		return fmt.Errorf("put invite: empty code")
	}
	if err := put(tx.b(bucketInvites), []byte(inv.Code), inv); err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

// Invite returns the invite of code, or ErrNotFound.
func (tx *Tx) Invite(code string) (Invite, error) {
	var inv Invite
	if code == "" {
		return inv, fmt.Errorf("invite: %w", ErrNotFound)
	}
	if err := get(tx.b(bucketInvites), []byte(code), &inv, "invite"); err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err) // the code is a secret: not in errors
	}
	return inv, nil
}

// ---- forget ----

// Forget removes every record of the client: the client and its due
// entry, sessions, deliveries, replies and their message index, alerts and
// their timers, outbox rows (theirs and those about them), the invites the
// client used (deleted, since a coach's note on an invite often names the
// person), and kv entries whose key is the chat id in decimal or starts
// with it followed by ':'. Forgetting an unknown client is not an error.
func (tx *Tx) Forget(chatID int64) error {
	if err := tx.forget(chatID); err != nil {
		return fmt.Errorf("forget %d: %w", chatID, err)
	}
	return nil
}

func (tx *Tx) forget(chatID int64) error {
	tx.dropped = true
	key := chatKey(chatID)
	var known *Client
	if c, err := tx.Client(chatID); err == nil {
		known = &c
		if !c.Due.IsZero() {
			if err := tx.b(bucketDue).Delete(dueKey(c.Due, chatID)); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := tx.forgetIndexes(chatID, known); err != nil {
		return err
	}
	if err := tx.b(bucketClients).Delete(key); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketSessions, bucketDeliveries, bucketDeliveryMsgs, bucketReplies, bucketReplyMsgs} {
		if err := deletePrefix(tx.b(name), key); err != nil {
			return err
		}
	}
	if err := tx.forgetAlerts(chatID); err != nil {
		return err
	}
	if err := deleteWhere(tx.b(bucketOutbox), func(k, v []byte) (bool, error) {
		var o Outgoing
		err := decode(v, &o, "outgoing", k)
		return o.ChatID == chatID || o.About == chatID, err
	}); err != nil {
		return err
	}
	if err := deleteWhere(tx.b(bucketInvites), func(k, v []byte) (bool, error) {
		var inv Invite
		err := decode(v, &inv, "invite", k)
		return inv.UsedBy == chatID, err
	}); err != nil {
		return err
	}
	id := strconv.FormatInt(chatID, 10)
	return deleteWhere(tx.b(bucketKV), func(k, _ []byte) (bool, error) {
		_, key, _ := bytes.Cut(k, []byte{0})
		return string(key) == id || strings.HasPrefix(string(key), id+":"), nil
	})
}

// deleteWhere deletes every entry of b for which match is true.
func deleteWhere(b *bbolt.Bucket, match func(k, v []byte) (bool, error)) error {
	var doomed [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		ok, err := match(k, v)
		if ok {
			doomed = append(doomed, bytes.Clone(k))
		}
		return err
	}); err != nil {
		return err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ---- small key/value state ----

// Get returns a copy of the value of key in namespace ns of the kv bucket.
func (tx *Tx) Get(ns, key string) ([]byte, bool) {
	want := kvKey(ns, key)
	k, v := tx.b(bucketKV).Cursor().Seek(want)
	if !bytes.Equal(k, want) {
		return nil, false
	}
	return append([]byte{}, v...), true
}

// Put stores value under key in namespace ns of the kv bucket. Client
// state must use the chat id in decimal as key, or as key prefix followed
// by ':', so that Forget finds it.
func (tx *Tx) Put(ns, key string, value []byte) error {
	if ns == "" || strings.IndexByte(ns, 0) >= 0 || key == "" {
		return fmt.Errorf("put %q/%q: namespace and key must be non-empty, namespace without NUL", ns, key)
	}
	if value == nil {
		value = []byte{}
	}
	if err := tx.b(bucketKV).Put(kvKey(ns, key), value); err != nil {
		return fmt.Errorf("put %s/%s: %w", ns, key, err)
	}
	return nil
}

// Delete removes key from namespace ns of the kv bucket. A missing key is
// not an error.
func (tx *Tx) Delete(ns, key string) error {
	if err := tx.b(bucketKV).Delete(kvKey(ns, key)); err != nil {
		return fmt.Errorf("delete %s/%s: %w", ns, key, err)
	}
	return nil
}
