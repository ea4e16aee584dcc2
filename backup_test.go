package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"kindling/config"
	"kindling/store"
)

// TestBackupWhileWriting takes backups, through the automatic backups and
// through the admin endpoint, while 1,000 answers are being written. Each
// backup opens, passes its check, and holds every answer whose write had
// finished before the backup started.
func TestBackupWhileWriting(t *testing.T) {
	r := startRig(t, func(c *config.Config) { c.Backup.Dir = filepath.Join(t.TempDir(), "backups") })
	const chat, total = 6001, 1000
	now := time.Now()
	err := r.a.db.Update(func(tx *store.Tx) error {
		return tx.PutClient(store.Client{ChatID: chat, UserID: chat, Name: "Maya", Language: "en", TimeZone: "UTC",
			Sequence: "after-session", Status: store.StatusActive, ConsentAt: now, CreatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var written []string // answers whose transaction committed
	done := make(chan error, 1)
	go func() {
		for i := range total {
			answer := fmt.Sprintf("answer %04d", i)
			err := r.a.db.Update(func(tx *store.Tx) error {
				return tx.AddReply(&store.Reply{ChatID: chat, Kind: "journal", Answer: answer})
			})
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			written = append(written, answer)
			mu.Unlock()
		}
		done <- nil
	}()
	snapshot := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(written)
	}
	waitFor := func(n int) {
		for len(snapshot()) < n {
			time.Sleep(time.Millisecond)
		}
	}

	bk := &store.Backups{DB: r.a.db, Dir: r.a.cfg.BackupDir(), Keep: 5, Log: r.a.log, Observe: r.a.metrics.backupDone}
	type taken struct {
		path   string
		before []string
	}
	var all []taken
	for i, at := range []int{100, 400, 700} {
		waitFor(at)
		before := snapshot()
		var path string
		if i%2 == 0 {
			bk.Now = func() time.Time { return now.Add(time.Duration(i) * time.Minute) }
			path, err = bk.Once()
			if err != nil {
				t.Fatal(err)
			}
		} else {
			path = filepath.Join(t.TempDir(), "streamed.db")
			resp := r.get("/backup", false)
			_, err := store.WriteBackup(path, resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, taken{path, before})
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(snapshot()); n != total {
		t.Fatalf("%d answers written, want %d", n, total)
	}
	for _, b := range all {
		got := answersIn(t, b.path, chat)
		for _, a := range b.before {
			if !got[a] {
				t.Errorf("%s lacks %q, written before the backup started", filepath.Base(b.path), a)
				break
			}
		}
		if len(got) < len(b.before) || len(got) > total {
			t.Errorf("%s holds %d answers; %d were written before it started", filepath.Base(b.path), len(got), len(b.before))
		}
	}
	if got := testutilCounter(t, r, "kindling_backups_total", "result", "ok"); got != 2 {
		t.Errorf("kindling_backups_total{result=ok} = %v, want 2", got)
	}
}

// answersIn opens a backup read-only, checks it and returns one client's answers.
func answersIn(t *testing.T, path string, chat int64) map[string]bool {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("check backup: %v", err)
	}
	got := map[string]bool{}
	err = db.View(func(tx *store.Tx) error {
		rs, err := tx.Replies(chat, time.Time{})
		for _, r := range rs {
			got[r.Answer] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func testutilCounter(t *testing.T, r *rig, name string, labels ...string) float64 {
	t.Helper()
	return value(scrape(t, r), name, labels...)
}

// TestBackupDirUnwritable runs the automatic backups into a folder that
// cannot be created: each failure is logged and counted, and the bot goes
// on answering.
func TestBackupDirUnwritable(t *testing.T) {
	r := startRig(t, nil)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bk := &store.Backups{DB: r.a.db, Dir: filepath.Join(file, "backups"), Keep: 3, Log: r.a.log, Observe: r.a.metrics.backupDone}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- bk.Run(ctx, "@every 1s") }()
	deadline := time.Now().Add(10 * time.Second)
	for testutilCounter(t, r, "kindling_backups_total", "result", "failed") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no failed backup counted within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.log.String(), "backup failed; the bot runs on") {
		t.Errorf("the failure is not logged:\n%s", r.log.String())
	}
	if got := testutilCounter(t, r, "kindling_backups_total", "result", "ok"); got != 0 {
		t.Errorf("kindling_backups_total{result=ok} = %v, want 0", got)
	}
	// The bot still works.
	u := r.converse(7001)
	if len(r.srv.Messages(u.ID())) == 0 {
		t.Error("the bot did not answer after a failed backup")
	}
}

// TestBackupEncrypted: with backup.encrypt_to, an automatic backup is an
// age file that only the identity opens, to a database that passes its
// check and holds the answers; no unencrypted copy is left anywhere.
func TestBackupEncrypted(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Config
	cfg.Backup.EncryptTo = id.Recipient().String()
	recipients, err := cfg.BackupRecipients()
	if err != nil {
		t.Fatal(err)
	}
	r := startRig(t, nil)
	r.converse(7001)
	want := answerCount(t, r)
	dir := filepath.Join(t.TempDir(), "backups")
	clock := time.Date(2026, 3, 1, 3, 30, 0, 0, time.UTC)
	bk := &store.Backups{DB: r.a.db, Dir: dir, Keep: 2, Recipients: recipients, Log: r.a.log, Observe: r.a.metrics.backupDone,
		Now: func() time.Time { return clock }}
	path, err := bk.Once()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "kindling-2026-03-01T033000Z.db.age" {
		t.Errorf("encrypted backup named %s", filepath.Base(path))
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("encrypted backup: %v %v, want mode 0600", fi, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) || bytes.Contains(raw, []byte("the lake")) {
		t.Error("the backup is not an age file, or holds an answer in the clear")
	}
	if _, err := os.Stat(r.a.db.Path() + ".backup"); err == nil {
		t.Error("the unencrypted copy was left beside the database")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("backup folder holds %d files, want the one backup", len(entries))
	}

	// Decrypted with the identity (as `age -d -i key.txt` does): a whole database.
	other, _ := age.GenerateX25519Identity()
	if _, err := age.Decrypt(bytes.NewReader(raw), other); err == nil {
		t.Error("another identity opened the backup")
	}
	plain, err := age.Decrypt(bytes.NewReader(raw), id)
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "kindling.db")
	f, err := os.OpenFile(restored, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, plain); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got := answersIn(t, restored, 7001) // opens it and runs its check
	if len(got) != want || !hasAnswerContaining(got, "the lake") {
		t.Errorf("the decrypted backup holds %d answers (want %d): %v", len(got), want, got)
	}

	// Rotation counts encrypted backups, and cleans their leftovers.
	if err := os.WriteFile(filepath.Join(dir, store.BackupName(clock.Add(-time.Hour))+".age.tmp"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		clock = clock.Add(24 * time.Hour)
		if _, err := bk.Once(); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ = os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"kindling-2026-03-02T033000Z.db.age", "kindling-2026-03-03T033000Z.db.age"}) {
		t.Errorf("after rotation the folder holds %v", names)
	}

	// A plain copy that a crash left beside the database goes when the
	// backups start.
	for _, left := range []string{r.a.db.Path() + ".backup", r.a.db.Path() + ".backup.tmp"} {
		if err := os.WriteFile(left, []byte("the lake"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := bk.Run(ctx, "@daily"); err != nil {
		t.Fatal(err)
	}
	for _, left := range []string{r.a.db.Path() + ".backup", r.a.db.Path() + ".backup.tmp"} {
		if _, err := os.Stat(left); err == nil {
			t.Errorf("%s is still there after the backups started", filepath.Base(left))
		}
	}
}

func hasAnswerContaining(answers map[string]bool, s string) bool {
	for a := range answers {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}
