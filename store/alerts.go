package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// The tiers an alert record can have (see safety.Tier).
const (
	TierCheck = "check" // the client was asked directly; no one alerted yet
	TierAlert = "alert" // a coach (or the on-call chats) must be told
)

// The states of the safety check an alert record may carry.
const (
	CheckAsked     = "asked"      // the question was sent; no answer yet
	CheckYes       = "yes"        // the client said yes: raised to an alert
	CheckNo        = "no"         // the client said no
	CheckRatherNot = "rather_not" // the client would rather not say: raised to an alert
	CheckTimeout   = "timeout"    // no answer in time: raised to an alert
	CheckOvertaken = "overtaken"  // an alert was raised before the answer came
)

// Alert is one time the safety net fired for a client: a check asked, an
// alert raised, or a check that became an alert. It is keyed by the
// client's chat id and At, and kept until the client erases their data.
// Words are the client's own; they are shown to the people told and never
// written to a log.
type Alert struct {
	ChatID   int64     `json:"chat_id"`
	At       time.Time `json:"at"` // when the net fired; with ChatID the key
	Tier     string    `json:"tier"`
	Rule     string    `json:"rule,omitempty"`
	Category string    `json:"category,omitempty"`
	Words    string    `json:"words,omitempty"`
	// Coach is the client's own coach when the net fired (0: none).
	Coach int64 `json:"coach,omitempty"`
	// Group is the group chat the words were written in (0: the
	// client's private chat).
	Group int64 `json:"group,omitempty"`
	// Told are the chats sent the alert, in the order they were chosen.
	Told []Told `json:"told,omitempty"`
	// ClientTold is set once the client was told that a person has the
	// alert (or when there is nothing to tell them, as for a group).
	ClientTold bool `json:"client_told,omitempty"`

	AckBy        int64     `json:"ack_by,omitempty"` // Telegram user id
	AckName      string    `json:"ack_name,omitempty"`
	AckAt        time.Time `json:"ack_at,omitzero"`
	ResolvedBy   int64     `json:"resolved_by,omitempty"`
	ResolvedName string    `json:"resolved_name,omitempty"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	Note         string    `json:"note,omitempty"`

	EscalatedAt time.Time `json:"escalated_at,omitzero"`

	Check   string    `json:"check,omitempty"` // "" when no question was asked; see CheckAsked
	CheckAt time.Time `json:"check_at,omitzero"`

	// Due is when a timer of the alert fires next (the check's timeout,
	// or escalation when no one acknowledged); zero when none is set. It
	// is mirrored in the alert due index.
	Due time.Time `json:"due,omitzero"`
}

// Told is one chat an alert was sent to.
type Told struct {
	Chat int64 `json:"chat"`
	// At is when Telegram accepted the message; zero while it is on its
	// way (or if it could not be delivered: see Failed).
	At        time.Time `json:"at,omitzero"`
	MessageID int       `json:"message_id,omitempty"`
	Failed    bool      `json:"failed,omitempty"`
	Escalated bool      `json:"escalated,omitempty"` // told because the alert escalated
}

// Open reports whether the alert still asks something of a person: an
// alert not yet resolved, or a check still waiting for its answer.
func (a Alert) Open() bool {
	if !a.ResolvedAt.IsZero() {
		return false
	}
	return a.Tier == TierAlert || a.Check == CheckAsked
}

// Delivered reports whether the alert reached at least one chat.
func (a Alert) Delivered() bool {
	for _, t := range a.Told {
		if !t.At.IsZero() {
			return true
		}
	}
	return false
}

// WasTold reports whether chat is one of the alert's recipients.
func (a Alert) WasTold(chat int64) bool {
	for _, t := range a.Told {
		if t.Chat == chat {
			return true
		}
	}
	return false
}

func alertKey(chatID int64, at time.Time) []byte { return cat(chatKey(chatID), dueTimeKey(at)) }

const alertKeyLen = 20

// alertDueKey is the alert due index key: due time, then the alert's key.
func alertDueKey(due time.Time, chatID int64, at time.Time) []byte {
	return cat(dueTimeKey(due), alertKey(chatID, at))
}

// AddAlert stores a new alert. a.At is set to now when zero, and moved on
// by a nanosecond while another alert of the client has the same time, so
// that the key is unique.
func (tx *Tx) AddAlert(a *Alert) error {
	if a.ChatID == 0 {
		return fmt.Errorf("add alert: chat id is zero")
	}
	if a.At.IsZero() {
		a.At = tx.now()
	}
	b := tx.b(bucketAlerts)
	for b.Get(alertKey(a.ChatID, a.At)) != nil {
		a.At = a.At.Add(time.Nanosecond)
	}
	if err := tx.putAlert(*a, time.Time{}); err != nil {
		return fmt.Errorf("add alert %d: %w", a.ChatID, err)
	}
	return nil
}

// PutAlert replaces the alert (a.ChatID, a.At), moving its entry in the
// due index to a.Due, or returns ErrNotFound.
func (tx *Tx) PutAlert(a Alert) error {
	old, err := tx.Alert(a.ChatID, a.At)
	if err != nil {
		return fmt.Errorf("put alert: %w", err)
	}
	if err := tx.putAlert(a, old.Due); err != nil {
		return fmt.Errorf("put alert %d: %w", a.ChatID, err)
	}
	return nil
}

func (tx *Tx) putAlert(a Alert, oldDue time.Time) error {
	due := tx.b(bucketAlertDue)
	if !oldDue.IsZero() {
		if err := due.Delete(alertDueKey(oldDue, a.ChatID, a.At)); err != nil {
			return err
		}
	}
	if !a.Due.IsZero() {
		if err := due.Put(alertDueKey(a.Due, a.ChatID, a.At), nil); err != nil {
			return err
		}
	}
	return put(tx.b(bucketAlerts), alertKey(a.ChatID, a.At), a)
}

// Alert returns the client's alert raised at at, or ErrNotFound.
func (tx *Tx) Alert(chatID int64, at time.Time) (Alert, error) {
	var a Alert
	if err := get(tx.b(bucketAlerts), alertKey(chatID, at), &a, "alert"); err != nil {
		return Alert{}, fmt.Errorf("alert %d %d: %w", chatID, at.UnixNano(), err)
	}
	return a, nil
}

// Alerts returns the client's alerts, oldest first.
func (tx *Tx) Alerts(chatID int64) ([]Alert, error) {
	var out []Alert
	err := prefixed(tx.b(bucketAlerts), chatKey(chatID), func(k, v []byte) error {
		var a Alert
		if err := decode(v, &a, "alert", k); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// EachAlert calls fn for every alert, by client then time; an error from
// fn stops the walk and is returned.
func (tx *Tx) EachAlert(fn func(Alert) error) error {
	return tx.b(bucketAlerts).ForEach(func(k, v []byte) error {
		var a Alert
		if err := decode(v, &a, "alert", k); err != nil {
			return err
		}
		return fn(a)
	})
}

// AlertsDue returns the alerts whose Due is at or before at, in due
// order, at most limit (limit <= 0: all). It reads only the index entries
// of the alerts it returns, plus one.
func (tx *Tx) AlertsDue(at time.Time, limit int) ([]Alert, error) {
	end := dueTimeKey(at)
	var out []Alert
	c := tx.b(bucketAlertDue).Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
		if len(k) != 12+alertKeyLen {
			return out, fmt.Errorf("%w: alert due key %x", ErrCorrupt, k)
		}
		if bytes.Compare(k[:12], end) > 0 {
			break
		}
		var a Alert
		if err := get(tx.b(bucketAlerts), k[12:], &a, "alert"); err != nil {
			return out, fmt.Errorf("alert due %x: %w", k, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// forgetAlerts removes the client's alerts and their due entries.
func (tx *Tx) forgetAlerts(chatID int64) error {
	if err := deletePrefix(tx.b(bucketAlerts), chatKey(chatID)); err != nil {
		return err
	}
	return deleteWhere(tx.b(bucketAlertDue), func(k, _ []byte) (bool, error) {
		return len(k) == 12+alertKeyLen && int64(binary.BigEndian.Uint64(k[12:20])) == chatID, nil
	})
}

// migrateV3toV4 adds the alert buckets; version 3 kept no alerts.
func migrateV3toV4(btx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketAlerts, bucketAlertDue} {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}
