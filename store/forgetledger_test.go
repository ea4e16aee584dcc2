package store_test

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kindling/store"
)

func TestForgetLedger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db.forget-ledger")
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	const chat = int64(918273645)
	t1 := time.Date(2026, 3, 1, 9, 14, 0, 123456789, time.UTC)
	t2 := t1.Add(40 * 24 * time.Hour)

	l, err := store.OpenForgetLedger(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.ForgottenAt(chat); ok {
		t.Error("a new ledger knows an erasure")
	}
	for _, at := range []time.Time{t2, t1} { // out of order: the latest counts
		if err := l.Record(chat, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(chat, t1); err == nil {
		t.Error("Record on a closed ledger succeeded")
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode %v, want 0600", fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "kindling forget ledger 1" || !strings.HasPrefix(lines[1], "key ") ||
		!strings.HasPrefix(lines[2], "2026-04-10T09:14:00.123456789Z ") {
		t.Errorf("ledger file:\n%s", raw)
	}
	id := make([]byte, 8)
	binary.BigEndian.PutUint64(id, uint64(chat))
	if bytes.Contains(raw, []byte(strconv.FormatInt(chat, 10))) || bytes.Contains(raw, id) {
		t.Error("the ledger holds the chat id itself")
	}

	// A crash in the middle of a line, then a garbled line in the middle.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("2026-05-01T00:00:00Z 12ab"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	l, err = store.OpenForgetLedger(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "removed an unfinished last line") {
		t.Errorf("the cut line is not reported:\n%s", logs.String())
	}
	if at, ok := l.ForgottenAt(chat); !ok || !at.Equal(t2) {
		t.Errorf("ForgottenAt after reopening = %v %v, want %v", at, ok, t2)
	}
	if _, ok := l.ForgottenAt(chat + 1); ok {
		t.Error("another chat id is in the ledger")
	}
	const other = int64(42)
	if err := l.Record(other, t1); err != nil {
		t.Fatal(err)
	}
	l.Close()
	raw, _ = os.ReadFile(path)
	lines = strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	lines[2] = "not a line of the ledger"
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = store.OpenForgetLedger(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !strings.Contains(logs.String(), "line=3") {
		t.Errorf("the garbled line is not named:\n%s", logs.String())
	}
	if at, ok := l.ForgottenAt(other); !ok || !at.Equal(t1) {
		t.Errorf("ForgottenAt(other) = %v %v after the cut line was removed", at, ok)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode %v after reopening, want 0600", fi.Mode().Perm())
	}

	// Another ledger has another key: the same id hashes differently.
	l2, err := store.OpenForgetLedger(filepath.Join(dir, "other.forget-ledger"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := l2.Record(chat, t1); err != nil {
		t.Fatal(err)
	}
	if hashOf(t, filepath.Join(dir, "other.forget-ledger"), 2) == hashOf(t, path, 3) {
		t.Error("two ledgers hash a chat id alike: the key is not random")
	}

	// A file that is not a ledger is refused, naming it.
	bad := filepath.Join(dir, "bad.forget-ledger")
	if err := os.WriteFile(bad, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenForgetLedger(bad, log); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a file that is not a ledger: %v", err)
	}
}

// hashOf is the hash on line n (from 0) of the ledger file at path.
func hashOf(t *testing.T, path string, n int) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) <= n {
		t.Fatalf("%s has %d lines, want more than %d", path, len(lines), n)
	}
	_, hash, _ := strings.Cut(lines[n], " ")
	return hash
}
