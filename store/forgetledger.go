package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The forget ledger is a small text file beside the database
// (kindling.db.forget-ledger, 0600) that outlives every copy of it:
//
//	kindling forget ledger 1
//	key 5be1…(64 hex digits: the HMAC key, made at random once)
//	2026-03-01T09:14:00.123456789Z 9a0c…(64 hex digits)
//
// Each later line is one erasure: when, and HMAC-SHA256(key, chat id).
// Nothing else, so the file says nothing about anyone to a reader without
// a chat id to test. Lines are only ever appended, each synced before the
// erasure it records is committed. At start, every client of the database
// whom the ledger says erased their data after their record there was
// made is erased again (DB.EraseForgottenAgain): that is how an erasure
// reaches a backup restored as the database.
const (
	ledgerSuffix = ".forget-ledger"
	ledgerMagic  = "kindling forget ledger 1"
)

// ForgetLedgerPath is the forget ledger of the database at storePath.
func ForgetLedgerPath(storePath string) string { return storePath + ledgerSuffix }

// ForgetLedger appends erasures to the ledger file and answers when a
// chat id was last erased.
type ForgetLedger struct {
	path string
	key  []byte

	mu     sync.Mutex
	f      *os.File             // open for appending
	latest map[string]time.Time // hash (hex) -> the latest erasure
}

// OpenForgetLedger opens the ledger at path, first writing its header
// with a new key when there is none. A last line cut short by a crash is
// removed (its erasure was never committed: see Record); any other line
// it cannot read is logged and skipped. A header it cannot read is an
// error: appending to a ledger whose key is lost would record nothing
// anyone could match.
func OpenForgetLedger(path string, log *slog.Logger) (*ForgetLedger, error) {
	if err := createLedger(path); err != nil {
		return nil, fmt.Errorf("forget ledger %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("forget ledger %s: %w", path, err)
	}
	l := &ForgetLedger{path: path, latest: map[string]time.Time{}}
	whole := data
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		whole = data[:i+1]
	}
	lines := strings.Split(strings.TrimSuffix(string(whole), "\n"), "\n")
	if len(lines) < 2 || lines[0] != ledgerMagic {
		return nil, fmt.Errorf("forget ledger %s: not a forget ledger (the first line should be %q); move it aside to start a new one, knowing that the erasures it held will not be repeated on a restored backup", path, ledgerMagic)
	}
	hexKey, ok := strings.CutPrefix(lines[1], "key ")
	l.key, err = hex.DecodeString(hexKey)
	if !ok || err != nil || len(l.key) != 32 {
		return nil, fmt.Errorf("forget ledger %s: line 2: no key; move it aside to start a new one, knowing that the erasures it held will not be repeated on a restored backup", path)
	}
	for i, line := range lines[2:] {
		at, hash, ok := parseLedgerLine(line)
		if !ok {
			log.Error("forget ledger: a line cannot be read; skipped", "path", path, "line", i+3)
			continue
		}
		if at.After(l.latest[hash]) {
			l.latest[hash] = at
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("forget ledger %s: %w", path, err)
	}
	l.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("forget ledger %s: %w", path, err)
	}
	if len(whole) < len(data) {
		if err := l.f.Truncate(int64(len(whole))); err != nil {
			_ = l.f.Close()
			return nil, fmt.Errorf("forget ledger %s: remove an unfinished last line: %w", path, err)
		}
		log.Warn("forget ledger: removed an unfinished last line (a crash while it was written; that erasure was not committed)", "path", path)
	}
	return l, nil
}

// createLedger writes a new ledger's header, with a new random key, into a
// temporary file, syncs it and renames it into place; nothing when the
// ledger exists.
func createLedger(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	_, err := WriteFileAtomic(path, strings.NewReader(ledgerMagic+"\nkey "+hex.EncodeToString(key)+"\n"))
	return err
}

func parseLedgerLine(line string) (time.Time, string, bool) {
	stamp, hash, ok := strings.Cut(line, " ")
	if !ok || len(hash) != 64 {
		return time.Time{}, "", false
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return time.Time{}, "", false
	}
	at, err := time.Parse(time.RFC3339Nano, stamp)
	return at, hash, err == nil
}

// hash is the keyed hash of a chat id, as the ledger writes it.
func (l *ForgetLedger) hash(chatID int64) string {
	m := hmac.New(sha256.New, l.key)
	_ = binary.Write(m, binary.BigEndian, chatID)
	return hex.EncodeToString(m.Sum(nil))
}

// Record appends that chatID erased their data at at, and syncs the file.
// The bot calls it inside the transaction that erases them, before the
// records are deleted: when it returns, the erasure is on disk here even
// if kindling dies before the transaction commits, and when it fails the
// erasure is not committed (the update is handled again). Recording an
// erasure that is then not committed costs nothing: the client is erased
// again at the next start, as they asked.
func (l *ForgetLedger) Record(chatID int64, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("forget ledger %s: closed", l.path)
	}
	h := l.hash(chatID)
	line := at.UTC().Format(time.RFC3339Nano) + " " + h + "\n"
	if _, err := l.f.WriteString(line); err != nil {
		return fmt.Errorf("forget ledger %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("forget ledger %s: %w", l.path, err)
	}
	if at.After(l.latest[h]) {
		l.latest[h] = at
	}
	return nil
}

// ForgottenAt is when chatID last erased their data; false if never.
func (l *ForgetLedger) ForgottenAt(chatID int64) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.latest[l.hash(chatID)]
	return at, ok
}

func (l *ForgetLedger) empty() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.latest) == 0
}

// Close closes the ledger file.
func (l *ForgetLedger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// EraseForgottenAgain erases from db every client whom the ledger says
// erased their data after their record there was made, with their voice
// notes under voiceDir. Such clients are in the database only when it is
// a copy older than their erasure: a restored backup. Someone who erased
// their data and later started again has a record made (and consent
// given) after the erasure, and is kept. It returns how many it erased;
// the caller compacts the file so that no freed page keeps their words.
func (db *DB) EraseForgottenAgain(l *ForgetLedger, voiceDir string) (int, error) {
	if l.empty() {
		return 0, nil // nobody ever erased their data: no client to read
	}
	var doomed []int64
	err := db.View(func(tx *Tx) error {
		return tx.Clients(func(c Client) error {
			at, ok := l.ForgottenAt(c.ChatID)
			if ok && !c.CreatedAt.After(at) && !c.ConsentAt.After(at) {
				doomed = append(doomed, c.ChatID)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("erase again the clients who erased their data: %w", err)
	}
	if len(doomed) == 0 {
		return 0, nil
	}
	for _, id := range doomed {
		if err := db.Forget(id); err != nil {
			return 0, fmt.Errorf("erase again the clients who erased their data: %w", err)
		}
		if err := os.RemoveAll(filepath.Join(voiceDir, strconv.FormatInt(id, 10))); err != nil {
			return 0, fmt.Errorf("erase again the voice notes of a client who erased their data: %w", err)
		}
	}
	return len(doomed), nil
}
