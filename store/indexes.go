package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The indexes of this file let a lookup read only the records it answers:
// a coach's clients without reading everyone's, a client's recent replies
// without decoding their whole history, and whether a question of a step
// was answered without decoding any reply at all. Every write of a client
// or a reply keeps them in step, in the same transaction.

// coachClientKey is coach user id + chat id.
func coachClientKey(coach, chatID int64) []byte { return cat(u64(uint64(coach)), chatKey(chatID)) }

const coachClientKeyLen = 16

// replyTimeKey is chat id + time (12, as in due keys) + reply id.
func replyTimeKey(chatID int64, at time.Time, id uint64) []byte {
	return cat(chatKey(chatID), dueTimeKey(at), u64(id))
}

const replyTimeKeyLen = 28

// replyStepPrefix is chat id + local date + day (4), the part of a reply
// step key shared by the replies to one delivery.
func replyStepPrefix(chatID int64, localDate string, day int) []byte {
	return cat(chatKey(chatID), []byte(localDate), dayKey(day))
}

// replyQuestionPrefix is a step prefix + question id + 0x00: the keys of
// the replies to one question of one delivery.
func replyQuestionPrefix(chatID int64, localDate string, day int, questionID string) []byte {
	return cat(replyStepPrefix(chatID, localDate, day), []byte(questionID), []byte{0})
}

// replyStepKey indexes a reply that belongs to a delivery's local date;
// nil for one that does not (a journal entry before any session).
func replyStepKey(r Reply) []byte {
	if r.LocalDate == "" {
		return nil
	}
	return cat(replyQuestionPrefix(r.ChatID, r.LocalDate, r.Day, r.QuestionID), u64(r.ID))
}

// deliveryMsgKey is chat id + the Telegram message id of a question a
// delivery asked; its value is local date + day (4) + question id.
func deliveryMsgKey(chatID int64, messageID int) []byte {
	return cat(chatKey(chatID), u64(uint64(int64(messageID))))
}

func deliveryMsgValue(d Delivery, questionID string) []byte {
	return cat([]byte(d.LocalDate), dayKey(d.Day), []byte(questionID))
}

// indexDelivery moves the message index entries of the delivery stored
// under d's key to those of d, and writes d's step brief.
func (tx *Tx) indexDelivery(d Delivery) error {
	msgs := tx.b(bucketDeliveryMsgs)
	if v := tx.b(bucketDeliveries).Get(deliveryKey(d.ChatID, d.LocalDate, d.Day)); v != nil {
		var old Delivery
		if err := decode(v, &old, "delivery", deliveryKey(d.ChatID, d.LocalDate, d.Day)); err != nil {
			return err
		}
		for q, id := range old.Messages {
			if id != 0 && d.Messages[q] != id {
				if err := msgs.Delete(deliveryMsgKey(d.ChatID, id)); err != nil {
					return err
				}
			}
		}
	}
	for q, id := range d.Messages {
		if id == 0 {
			continue
		}
		if err := msgs.Put(deliveryMsgKey(d.ChatID, id), deliveryMsgValue(d, q)); err != nil {
			return err
		}
	}
	return tx.b(bucketStepBriefs).Put(deliveryKey(d.ChatID, d.LocalDate, d.Day), briefValue(d))
}

// DeliveryByMessage returns the client's delivery that asked a question
// in Telegram message messageID, and that question's id; or ErrNotFound.
// It reads that delivery only.
func (tx *Tx) DeliveryByMessage(chatID int64, messageID int) (Delivery, string, error) {
	v := tx.b(bucketDeliveryMsgs).Get(deliveryMsgKey(chatID, messageID))
	if v == nil {
		return Delivery{}, "", fmt.Errorf("delivery of message %d/%d: %w", chatID, messageID, ErrNotFound)
	}
	if len(v) < len(dateLayout)+4 {
		return Delivery{}, "", fmt.Errorf("delivery of message %d/%d: %w: index value %x", chatID, messageID, ErrCorrupt, v)
	}
	var d Delivery
	key := cat(chatKey(chatID), v[:len(dateLayout)+4])
	if err := get(tx.b(bucketDeliveries), key, &d, "delivery"); err != nil {
		return Delivery{}, "", fmt.Errorf("delivery of message %d/%d: %w: the index names a missing delivery", chatID, messageID, ErrCorrupt)
	}
	return d, string(v[len(dateLayout)+4:]), nil
}

// indexClient moves the coach index entry of a client from old (nil when
// the client is new) to c.
func (tx *Tx) indexClient(old *Client, c Client) error {
	b := tx.b(bucketCoachClients)
	if old != nil && old.Coach != 0 && old.Coach != c.Coach {
		if err := b.Delete(coachClientKey(old.Coach, old.ChatID)); err != nil {
			return err
		}
	}
	if c.Coach != 0 {
		return b.Put(coachClientKey(c.Coach, c.ChatID), nil)
	}
	return nil
}

// indexReply moves the index entries of a reply from old (nil when the
// reply is new) to r.
func (tx *Tx) indexReply(old *Reply, r Reply) error {
	times, steps := tx.b(bucketReplyTimes), tx.b(bucketReplySteps)
	if old != nil {
		if k := replyTimeKey(old.ChatID, old.At, old.ID); !bytes.Equal(k, replyTimeKey(r.ChatID, r.At, r.ID)) {
			if err := times.Delete(k); err != nil {
				return err
			}
		}
		if k := replyStepKey(*old); k != nil && !bytes.Equal(k, replyStepKey(r)) {
			if err := steps.Delete(k); err != nil {
				return err
			}
		}
	}
	if err := times.Put(replyTimeKey(r.ChatID, r.At, r.ID), nil); err != nil {
		return err
	}
	if k := replyStepKey(r); k != nil {
		return steps.Put(k, nil)
	}
	return nil
}

// CoachClients calls fn for each client whose Coach is coach, in chat id
// order; an error from fn stops the walk and is returned. It reads only
// those clients. A zero coach has no clients.
func (tx *Tx) CoachClients(coach int64, fn func(Client) error) error {
	if coach == 0 {
		return nil
	}
	clients := tx.b(bucketClients)
	return prefixed(tx.b(bucketCoachClients), u64(uint64(coach)), func(k, _ []byte) error {
		if len(k) != coachClientKeyLen {
			return fmt.Errorf("%w: coach index key %x", ErrCorrupt, k)
		}
		var c Client
		if err := get(clients, k[8:], &c, "client"); err != nil {
			return fmt.Errorf("coach index entry %x: %w", k, err)
		}
		return fn(c)
	})
}

// replyIDs returns the ids of the client's replies with At at or after
// since, in id order, from the time index.
func (tx *Tx) replyIDs(chatID int64, since time.Time) ([]uint64, error) {
	prefix := chatKey(chatID)
	start := prefix
	if !since.IsZero() {
		start = cat(prefix, dueTimeKey(since))
	}
	var ids []uint64
	c := tx.b(bucketReplyTimes).Cursor()
	for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != replyTimeKeyLen {
			return nil, fmt.Errorf("%w: reply time key %x", ErrCorrupt, k)
		}
		ids = append(ids, binary.BigEndian.Uint64(k[20:]))
	}
	slices.Sort(ids)
	return ids, nil
}

// LatestReply returns the client's reply with the latest At (of two at
// the same moment, the one stored last), or ErrNotFound. It reads that
// reply only.
func (tx *Tx) LatestReply(chatID int64) (Reply, error) {
	k, _ := last(tx.b(bucketReplyTimes), chatKey(chatID))
	if k == nil {
		return Reply{}, fmt.Errorf("latest reply %d: %w", chatID, ErrNotFound)
	}
	if len(k) != replyTimeKeyLen {
		return Reply{}, fmt.Errorf("latest reply %d: %w: reply time key %x", chatID, ErrCorrupt, k)
	}
	return tx.Reply(chatID, binary.BigEndian.Uint64(k[20:]))
}

// RecentReplies calls fn with the client's replies, the latest At first,
// until fn returns false or an error (which is returned). It reads only
// the replies fn is given.
func (tx *Tx) RecentReplies(chatID int64, fn func(Reply) (more bool, err error)) error {
	prefix := chatKey(chatID)
	c := tx.b(bucketReplyTimes).Cursor()
	k, _ := last(tx.b(bucketReplyTimes), prefix)
	if k != nil {
		c.Seek(k)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		if len(k) != replyTimeKeyLen {
			return fmt.Errorf("%w: reply time key %x", ErrCorrupt, k)
		}
		r, err := tx.Reply(chatID, binary.BigEndian.Uint64(k[20:]))
		if err != nil {
			return fmt.Errorf("%w: reply index names a missing reply: %w", ErrCorrupt, err)
		}
		if more, err := fn(r); err != nil || !more {
			return err
		}
	}
	return nil
}

// Answered reports whether the client's delivery of step day on localDate
// has a stored reply to question questionID. It decodes no reply.
func (tx *Tx) Answered(chatID int64, localDate string, day int, questionID string) bool {
	prefix := replyQuestionPrefix(chatID, localDate, day, questionID)
	k, _ := tx.b(bucketReplySteps).Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// StepReplies returns the client's replies to the delivery of step day on
// localDate (and journal entries of that local date and day), in id
// order. It reads only those replies.
func (tx *Tx) StepReplies(chatID int64, localDate string, day int) ([]Reply, error) {
	prefix := replyStepPrefix(chatID, localDate, day)
	var ids []uint64
	err := prefixed(tx.b(bucketReplySteps), prefix, func(k, _ []byte) error {
		if len(k) < len(prefix)+9 {
			return fmt.Errorf("%w: reply step key %x", ErrCorrupt, k)
		}
		ids = append(ids, binary.BigEndian.Uint64(k[len(k)-8:]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return tx.repliesByID(chatID, ids)
}

// repliesByID reads the client's replies ids (in increasing order) with
// one cursor: the replies since a time are the chat's last keys, next to
// each other, so each is found a step or two on from the one before
// rather than by a search from the root (which grows with the database).
func (tx *Tx) repliesByID(chatID int64, ids []uint64) ([]Reply, error) {
	out := make([]Reply, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	c := tx.b(bucketReplies).Cursor()
	want := replyKey(chatID, ids[0])
	k, v := c.Seek(want)
	for i, id := range ids {
		if i > 0 {
			binary.BigEndian.PutUint64(want[8:], id)
			for steps := 0; k != nil && bytes.Compare(k, want) < 0; steps++ {
				if steps == 8 { // far on: search instead
					k, v = c.Seek(want)
					break
				}
				k, v = c.Next()
			}
		}
		if !bytes.Equal(k, want) {
			return out, fmt.Errorf("%w: reply index names a missing reply %d/%d", ErrCorrupt, chatID, id)
		}
		var r Reply
		if err := decode(v, &r, "reply", k); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// DeliveryBrief is a delivery without its texts and message ids: what a
// summary of a client's days needs, quicker to read than a Delivery.
type DeliveryBrief struct {
	LocalDate string
	Day       int
	Questions int // how many questions the step asks
	Next      int // index of the open question; Questions when all are answered
	State     DeliveryState
}

// briefValue is a delivery's entry in the step brief index: questions
// (4), next (4), then the state.
func briefValue(d Delivery) []byte {
	b := make([]byte, 8, 8+len(d.State))
	binary.BigEndian.PutUint32(b, uint32(len(d.Questions)))
	binary.BigEndian.PutUint32(b[4:], uint32(max(d.Next, 0)))
	return append(b, d.State...)
}

// DeliveriesFrom returns the client's deliveries of localDate and later,
// in (local date, day) order, in brief. It reads the step brief index
// only, and decodes no delivery.
func (tx *Tx) DeliveriesFrom(chatID int64, localDate string) ([]DeliveryBrief, error) {
	prefix := chatKey(chatID)
	var out []DeliveryBrief
	c := tx.b(bucketStepBriefs).Cursor()
	for k, v := c.Seek(cat(prefix, []byte(localDate))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != 8+len(dateLayout)+4 || len(v) < 8 {
			return out, fmt.Errorf("%w: step brief %x", ErrCorrupt, k)
		}
		out = append(out, DeliveryBrief{
			LocalDate: string(k[8 : 8+len(dateLayout)]),
			Day:       int(int32(binary.BigEndian.Uint32(k[8+len(dateLayout):]) ^ (1 << 31))),
			Questions: int(binary.BigEndian.Uint32(v)),
			Next:      int(binary.BigEndian.Uint32(v[4:])),
			State:     DeliveryState(v[8:]),
		})
	}
	return out, nil
}

// forgetIndexes removes the client's entries from the indexes of this
// file; c is the client record, nil when there is none.
func (tx *Tx) forgetIndexes(chatID int64, c *Client) error {
	if c != nil && c.Coach != 0 {
		if err := tx.b(bucketCoachClients).Delete(coachClientKey(c.Coach, chatID)); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketReplyTimes, bucketReplySteps, bucketDeliveryMsgs, bucketStepBriefs} {
		if err := deletePrefix(tx.b(name), chatKey(chatID)); err != nil {
			return err
		}
	}
	return nil
}

// buildIndexes (re)builds the coach, reply, delivery message and step
// brief indexes from the clients, replies and deliveries stored: for a file of an older schema and for a salvaged
// copy. Records that do not decode are an error.
func buildIndexes(btx *bbolt.Tx) error {
	var fresh [5]*bbolt.Bucket
	for i, name := range [][]byte{bucketCoachClients, bucketReplyTimes, bucketReplySteps, bucketDeliveryMsgs, bucketStepBriefs} {
		if btx.Bucket(name) != nil {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		b, err := btx.CreateBucket(name)
		if err != nil {
			return err
		}
		fresh[i] = b
	}
	coaches, times, steps, msgs, briefs := fresh[0], fresh[1], fresh[2], fresh[3], fresh[4]
	if err := btx.Bucket(bucketDeliveries).ForEach(func(k, v []byte) error {
		var d Delivery
		if err := decode(v, &d, "delivery", k); err != nil {
			return err
		}
		if err := briefs.Put(k, briefValue(d)); err != nil {
			return err
		}
		for q, id := range d.Messages {
			if id != 0 {
				if err := msgs.Put(deliveryMsgKey(d.ChatID, id), deliveryMsgValue(d, q)); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := btx.Bucket(bucketClients).ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil || c.Coach == 0 {
			return err
		}
		return coaches.Put(coachClientKey(c.Coach, c.ChatID), nil)
	}); err != nil {
		return err
	}
	return btx.Bucket(bucketReplies).ForEach(func(k, v []byte) error {
		var r Reply
		if err := decode(v, &r, "reply", k); err != nil {
			return err
		}
		if err := times.Put(replyTimeKey(r.ChatID, r.At, r.ID), nil); err != nil {
			return err
		}
		if sk := replyStepKey(r); sk != nil {
			return steps.Put(sk, nil)
		}
		return nil
	})
}

// migrateV5toV6 adds the coach index, the reply time and step indexes,
// the delivery message index and the step briefs. Version 4 read every
// client for a coach's view, decoded a client's whole history for each
// answer, and every delivery of the client for an answer given as a reply
// to a question.
func migrateV5toV6(btx *bbolt.Tx) error { return buildIndexes(btx) }

// checkIndexes verifies the coach, reply and delivery indexes both ways:
// every client with a coach, every reply and every delivery has its
// entries, and every entry names a record that has it.
func checkIndexes(btx *bbolt.Tx) []error {
	errs := checkCoachIndex(btx)
	errs = append(errs, checkReplyIndexes(btx)...)
	return append(errs, checkDeliveryIndexes(btx)...)
}

// checkCoachIndex checks coach_clients against the clients.
func checkCoachIndex(btx *bbolt.Tx) []error {
	var errs []error
	clients, coaches := btx.Bucket(bucketClients), btx.Bucket(bucketCoachClients)
	_ = clients.ForEach(func(k, v []byte) error {
		var c Client
		if err := decode(v, &c, "client", k); err != nil {
			return nil // reported by the due check
		}
		if c.Coach != 0 && !has(coaches, coachClientKey(c.Coach, c.ChatID)) {
			errs = append(errs, fmt.Errorf("client %d: coach %d not in the coach index", c.ChatID, c.Coach))
		}
		return nil
	})
	_ = coaches.ForEach(func(k, _ []byte) error {
		if len(k) != coachClientKeyLen {
			errs = append(errs, fmt.Errorf("coach index key %x: bad length", k))
			return nil
		}
		coach, id := int64(binary.BigEndian.Uint64(k)), int64(binary.BigEndian.Uint64(k[8:]))
		var c Client
		if err := get(clients, k[8:], &c, "client"); err != nil {
			errs = append(errs, fmt.Errorf("coach index entry %x: client %d: %w", k, id, err))
		} else if c.Coach != coach {
			errs = append(errs, fmt.Errorf("coach index entry %x: client %d has coach %d", k, id, c.Coach))
		}
		return nil
	})
	return errs
}

// checkReplyIndexes checks reply_times and reply_steps against the
// replies.
func checkReplyIndexes(btx *bbolt.Tx) []error {
	var errs []error
	replies, times, steps := btx.Bucket(bucketReplies), btx.Bucket(bucketReplyTimes), btx.Bucket(bucketReplySteps)
	_ = replies.ForEach(func(k, v []byte) error {
		var r Reply
		if err := decode(v, &r, "reply", k); err != nil {
			errs = append(errs, err)
			return nil
		}
		if !bytes.Equal(replyKey(r.ChatID, r.ID), k) {
			errs = append(errs, fmt.Errorf("reply %x: holds chat %d id %d", k, r.ChatID, r.ID))
			return nil
		}
		if !has(times, replyTimeKey(r.ChatID, r.At, r.ID)) {
			errs = append(errs, fmt.Errorf("reply %d/%d: not in the reply time index", r.ChatID, r.ID))
		}
		if sk := replyStepKey(r); sk != nil && !has(steps, sk) {
			errs = append(errs, fmt.Errorf("reply %d/%d: not in the reply step index", r.ChatID, r.ID))
		}
		return nil
	})
	_ = times.ForEach(func(k, _ []byte) error {
		if len(k) != replyTimeKeyLen {
			errs = append(errs, fmt.Errorf("reply time key %x: bad length", k))
			return nil
		}
		var r Reply
		if err := get(replies, cat(k[:8], k[20:]), &r, "reply"); err != nil {
			errs = append(errs, fmt.Errorf("reply time entry %x: %w", k, err))
		} else if !bytes.Equal(replyTimeKey(r.ChatID, r.At, r.ID), k) {
			errs = append(errs, fmt.Errorf("reply time entry %x: reply %d is at %s", k, r.ID, r.At.Format(time.RFC3339Nano)))
		}
		return nil
	})
	_ = steps.ForEach(func(k, _ []byte) error {
		if len(k) < 8+len(dateLayout)+4+1+8 {
			errs = append(errs, fmt.Errorf("reply step key %x: bad length", k))
			return nil
		}
		var r Reply
		if err := get(replies, cat(k[:8], k[len(k)-8:]), &r, "reply"); err != nil {
			errs = append(errs, fmt.Errorf("reply step entry %x: %w", k, err))
		} else if !bytes.Equal(replyStepKey(r), k) {
			errs = append(errs, fmt.Errorf("reply step entry %x: reply %d answers %s day %d %q", k, r.ID, r.LocalDate, r.Day, r.QuestionID))
		}
		return nil
	})
	return errs
}

// checkDeliveryIndexes checks step_briefs and delivery_msgs against the
// deliveries.
func checkDeliveryIndexes(btx *bbolt.Tx) []error {
	var errs []error
	deliveries, msgs, briefs := btx.Bucket(bucketDeliveries), btx.Bucket(bucketDeliveryMsgs), btx.Bucket(bucketStepBriefs)
	_ = briefs.ForEach(func(k, _ []byte) error {
		if deliveries.Get(k) == nil {
			errs = append(errs, fmt.Errorf("step brief %x: no such delivery", k))
		}
		return nil
	})
	_ = deliveries.ForEach(func(k, v []byte) error {
		var d Delivery
		if err := decode(v, &d, "delivery", k); err != nil {
			errs = append(errs, err)
			return nil
		}
		if !bytes.Equal(briefs.Get(k), briefValue(d)) {
			errs = append(errs, fmt.Errorf("delivery %d %s day %d: step brief %x does not match it", d.ChatID, d.LocalDate, d.Day, briefs.Get(k)))
		}
		for q, id := range d.Messages {
			if id != 0 && !bytes.Equal(msgs.Get(deliveryMsgKey(d.ChatID, id)), deliveryMsgValue(d, q)) {
				errs = append(errs, fmt.Errorf("delivery %d %s day %d: message %d of %q not in the delivery message index", d.ChatID, d.LocalDate, d.Day, id, q))
			}
		}
		return nil
	})
	_ = msgs.ForEach(func(k, v []byte) error {
		if len(k) != 16 || len(v) < len(dateLayout)+4 {
			errs = append(errs, fmt.Errorf("delivery message entry %x: bad length", k))
			return nil
		}
		var d Delivery
		q, id := string(v[len(dateLayout)+4:]), int(int64(binary.BigEndian.Uint64(k[8:])))
		if err := get(deliveries, cat(k[:8], v[:len(dateLayout)+4]), &d, "delivery"); err != nil {
			errs = append(errs, fmt.Errorf("delivery message entry %x: %w", k, err))
		} else if d.Messages[q] != id {
			errs = append(errs, fmt.Errorf("delivery message entry %x: the delivery's %q is message %d", k, q, d.Messages[q]))
		}
		return nil
	})
	return errs
}

// errBadQuestionID is returned for a question id the step index cannot
// hold.
var errBadQuestionID = errors.New("question id holds a NUL byte")

func checkQuestionID(id string) error {
	if strings.IndexByte(id, 0) >= 0 {
		return errBadQuestionID
	}
	return nil
}
