package store

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Bucket names. The layout of each is described in doc.go.
var (
	bucketMeta       = []byte("meta")
	bucketClients    = []byte("clients")
	bucketSessions   = []byte("sessions")
	bucketDue        = []byte("due")
	bucketDeliveries = []byte("deliveries")
	bucketReplies    = []byte("replies")
	bucketReplyMsgs  = []byte("reply_msgs")
	bucketOutbox     = []byte("outbox")
	bucketInvites    = []byte("invites")
	bucketKV         = []byte("kv")
	bucketUpdates    = []byte("updates")
	bucketAlerts     = []byte("alerts")
	bucketAlertDue   = []byte("alert_due")

	bucketCoachClients = []byte("coach_clients")
	bucketReplyTimes   = []byte("reply_times")
	bucketReplySteps   = []byte("reply_steps")
	bucketDeliveryMsgs = []byte("delivery_msgs")
	bucketStepBriefs   = []byte("step_briefs")
)

// allBuckets is every bucket of the current schema.
var allBuckets = [][]byte{
	bucketMeta, bucketClients, bucketSessions, bucketDue, bucketDeliveries,
	bucketReplies, bucketReplyMsgs, bucketOutbox, bucketInvites, bucketKV, bucketUpdates,
	bucketAlerts, bucketAlertDue, bucketCoachClients, bucketReplyTimes, bucketReplySteps,
	bucketDeliveryMsgs, bucketStepBriefs, bucketCheckIns,
}

// Keys of the meta bucket.
var (
	metaSchema      = []byte("schema")
	metaOffset      = []byte("offset")
	metaUpdateFloor = []byte("update_floor")
)

const dateLayout = "2006-01-02"

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// chatKey is a chat id as 8 big-endian bytes (two's complement: a
// negative id, never a private chat, sorts after every positive one).
func chatKey(id int64) []byte { return u64(uint64(id)) }

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// dayKey encodes a day so that byte order is numeric order, negatives
// included.
func dayKey(day int) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(int32(day))^(1<<31))
	return b
}

func checkDate(what, date string) error {
	if len(date) != len(dateLayout) {
		return fmt.Errorf("%s %q: want a date like 2006-01-02", what, date)
	}
	if _, err := time.Parse(dateLayout, date); err != nil {
		return fmt.Errorf("%s %q: want a date like 2006-01-02", what, date)
	}
	return nil
}

// dueTimeKey is the time part of a due key: biased unix seconds (8 bytes)
// then nanoseconds (4 bytes), so byte order is time order.
func dueTimeKey(t time.Time) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint64(b, uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return b
}

// dueKey is the due index key of a client: due time then chat id.
func dueKey(t time.Time, chatID int64) []byte { return cat(dueTimeKey(t), chatKey(chatID)) }

const dueKeyLen = 20

func sessionKey(chatID int64, date string) []byte {
	return cat(chatKey(chatID), []byte(date))
}

func deliveryKey(chatID int64, localDate string, day int) []byte {
	return cat(chatKey(chatID), []byte(localDate), dayKey(day))
}

func replyKey(chatID int64, id uint64) []byte { return cat(chatKey(chatID), u64(id)) }

func replyMsgKey(chatID int64, messageID int) []byte {
	return cat(chatKey(chatID), u64(uint64(int64(messageID))))
}

func kvKey(ns, key string) []byte { return cat([]byte(ns), []byte{0}, []byte(key)) }
