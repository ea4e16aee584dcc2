package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

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
