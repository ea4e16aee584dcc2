package store

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// CheckIn is one client's answers to one scored check-in on one step: the
// items answered so far, their scores and the total. A check-in left half
// done keeps the answers it has (Complete is false); the bot writes it
// again after every answer.
type CheckIn struct {
	ChatID      int64           `json:"chat_id"`
	Instrument  string          `json:"instrument"` // the check-in's id in the prompts
	LocalDate   string          `json:"local_date"` // of the delivery that asked it
	Day         int             `json:"day"`        // days since SessionDate; negative before a session
	SessionDate string          `json:"session_date,omitempty"`
	Language    string          `json:"language"`
	Answers     []CheckInAnswer `json:"answers"` // in the order given
	Items       int             `json:"items"`   // how many items the check-in had when asked
	Total       int             `json:"total"`   // the sum of the scores so far
	Complete    bool            `json:"complete"`
	StartedAt   time.Time       `json:"started_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// CheckInAnswer is the answer to one item of a check-in.
type CheckInAnswer struct {
	Item   string    `json:"item"`
	Option string    `json:"option"` // the option's id
	Answer string    `json:"answer"` // the option's label as shown
	Score  int       `json:"score"`
	At     time.Time `json:"at"`
}

// Add records the answer to an item (replacing an earlier answer to the
// same item) and sums the total again; complete once every one of the
// check-in's items has an answer.
func (ci *CheckIn) Add(a CheckInAnswer) {
	replaced := false
	for i, prev := range ci.Answers {
		if prev.Item == a.Item {
			ci.Answers[i], replaced = a, true
		}
	}
	if !replaced {
		ci.Answers = append(ci.Answers, a)
	}
	ci.Total = 0
	for _, x := range ci.Answers {
		ci.Total += x.Score
	}
	ci.Complete = ci.Items > 0 && len(ci.Answers) >= ci.Items
	if ci.StartedAt.IsZero() {
		ci.StartedAt = a.At
	}
	ci.UpdatedAt = a.At
}

var bucketCheckIns = []byte("checkins")

// checkInKey orders a client's check-ins by date, then day, then id.
func checkInKey(chatID int64, localDate string, day int, instrument string) []byte {
	return cat(chatKey(chatID), []byte(localDate), dayKey(day), []byte(instrument))
}

// PutCheckIn writes a check-in, replacing the one of the same client,
// date, day and instrument.
func (tx *Tx) PutCheckIn(ci CheckIn) error {
	if err := checkDate("check-in date", ci.LocalDate); err != nil {
		return fmt.Errorf("put check-in: %w", err)
	}
	if ci.Instrument == "" {
		return fmt.Errorf("put check-in: no instrument")
	}
	return put(tx.b(bucketCheckIns), checkInKey(ci.ChatID, ci.LocalDate, ci.Day, ci.Instrument), ci)
}

// CheckIn returns one check-in, or ErrNotFound.
func (tx *Tx) CheckIn(chatID int64, localDate string, day int, instrument string) (CheckIn, error) {
	var ci CheckIn
	err := get(tx.b(bucketCheckIns), checkInKey(chatID, localDate, day, instrument), &ci, "check-in")
	return ci, err
}

// CheckIns returns a client's check-ins, oldest first. It reads that
// client's check-ins only.
func (tx *Tx) CheckIns(chatID int64) ([]CheckIn, error) {
	var out []CheckIn
	err := prefixed(tx.b(bucketCheckIns), chatKey(chatID), func(k, v []byte) error {
		var ci CheckIn
		if err := decode(v, &ci, "check-in", k); err != nil {
			return err
		}
		out = append(out, ci)
		return nil
	})
	return out, err
}

// EachCheckIn calls fn with every check-in, by client then date.
func (tx *Tx) EachCheckIn(fn func(CheckIn) error) error {
	return tx.b(bucketCheckIns).ForEach(func(k, v []byte) error {
		var ci CheckIn
		if err := decode(v, &ci, "check-in", k); err != nil {
			return err
		}
		return fn(ci)
	})
}

// checkCheckIns verifies that every check-in decodes and sits under its
// own key.
func checkCheckIns(btx *bbolt.Tx) []error {
	var errs []error
	_ = btx.Bucket(bucketCheckIns).ForEach(func(k, v []byte) error {
		var ci CheckIn
		if err := decode(v, &ci, "check-in", k); err != nil {
			errs = append(errs, err)
		} else if !bytes.Equal(checkInKey(ci.ChatID, ci.LocalDate, ci.Day, ci.Instrument), k) {
			errs = append(errs, fmt.Errorf("check-in %x: holds chat %d, %s day %d, %q", k, ci.ChatID, ci.LocalDate, ci.Day, ci.Instrument))
		}
		return nil
	})
	return errs
}

// migrateV6toV7 adds the check-ins bucket. Files of version 6 hold no
// check-in answers: the bucket starts empty.
func migrateV6toV7(btx *bbolt.Tx) error {
	_, err := btx.CreateBucketIfNotExists(bucketCheckIns)
	return err
}
