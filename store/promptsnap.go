package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// PromptSnapshot is a set of prompt files that loaded without errors, kept
// so that kindling can start on it when the prompts directory has errors
// at the next start.
type PromptSnapshot struct {
	Source   string            `json:"source"`    // where the files were read from, e.g. the prompts directory
	LoadedAt time.Time         `json:"loaded_at"` // when they were loaded
	Files    map[string][]byte `json:"files"`     // file name -> contents
}

// The snapshot lives in the kv bucket under a key that is no chat id, so
// Forget never takes it.
const (
	promptsNS  = "prompts"
	promptsKey = "last-good"
)

// PutPromptSnapshot replaces the stored prompt snapshot with s.
func (tx *Tx) PutPromptSnapshot(s PromptSnapshot) error {
	if len(s.Files) == 0 {
		return errors.New("put prompt snapshot: no files")
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("put prompt snapshot: %w", err)
	}
	return tx.Put(promptsNS, promptsKey, data)
}

// PromptSnapshot returns the stored prompt snapshot, ErrNotFound when none
// was ever stored.
func (tx *Tx) PromptSnapshot() (PromptSnapshot, error) {
	var s PromptSnapshot
	data, ok := tx.Get(promptsNS, promptsKey)
	if !ok {
		return s, fmt.Errorf("prompt snapshot: %w", ErrNotFound)
	}
	if err := decode(data, &s, "prompt snapshot", []byte(promptsKey)); err != nil {
		return s, err
	}
	return s, nil
}

// PutPromptSnapshot stores s as the last good prompt set.
func (db *DB) PutPromptSnapshot(s PromptSnapshot) error {
	return db.Update(func(tx *Tx) error { return tx.PutPromptSnapshot(s) })
}

// PromptSnapshot returns the last good prompt set stored, ErrNotFound when
// none was ever stored.
func (db *DB) PromptSnapshot() (PromptSnapshot, error) {
	var s PromptSnapshot
	err := db.View(func(tx *Tx) error {
		var err error
		s, err = tx.PromptSnapshot()
		return err
	})
	return s, err
}
