package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/config"
	"kindling/store"
	"kindling/telegramtest"
)

// forget erases u's data through the conversation: /forget, then yes.
func forget(t *testing.T, r *rig, u *telegramtest.User) {
	t.Helper()
	u.Send("/forget")
	r.settle()
	msgs := r.srv.Messages(u.ID())
	for _, row := range msgs[len(msgs)-1].Keyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "f|yes|") {
				r.press(u, b.CallbackData)
				return
			}
		}
	}
	t.Fatalf("no yes button after /forget in chat %d", u.ID())
}

// stopRig stops r's kindling, as a stop of the process would, so that
// another can open the same files.
func stopRig(r *rig) {
	r.admin.Close()
	r.a.close()
}

// copyFile copies src over dst, as an operator restores a backup.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestErasureReachesBackups: a backup taken before a client erased their
// data, restored as the database, loses that client's words at the next
// start; a client who erased their data and came back is kept.
func TestErasureReachesBackups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")
	at := func(c *config.Config) { c.Store.Path = path }
	r := startRig(t, at)
	bk := func(r *rig, name string) string {
		t.Helper()
		dst := filepath.Join(dir, name)
		if err := r.a.db.BackupFile(dst); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	const (
		annaWords   = "anna-heron-by-the-water-3318"
		benFirst    = "ben-first-life-orchard-5521"
		benReturned = "ben-second-life-lighthouse-7740"
	)
	anna := r.converse(7001)
	anna.Send("I kept " + annaWords + " to myself")
	ben := r.converse(7002)
	ben.Send("I wrote " + benFirst)
	r.settle()
	before := bk(r, "before.db") // both, Ben's first record

	forget(t, r, ben)
	r.converse(7002) // Ben comes back
	ben.Send("now " + benReturned)
	r.settle()
	between := bk(r, "between.db") // Anna, and Ben's second record
	forget(t, r, anna)
	stopRig(r)

	rawHas := func(words string) bool {
		t.Helper()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(raw, []byte(words))
	}
	for _, f := range []string{before, between} {
		raw, _ := os.ReadFile(f)
		if !bytes.Contains(raw, []byte(annaWords)) {
			t.Fatalf("%s does not hold Anna's words: the checks below prove nothing", filepath.Base(f))
		}
	}

	// The backup from between the two erasures, restored.
	copyFile(t, between, path)
	r = startRig(t, at)
	if rawHas(annaWords) {
		t.Error("Anna's words are in the restored database after a start: her erasure did not reach the backup")
	}
	if !rawHas(benReturned) || !r.hasClient(7002) {
		t.Error("Ben, who erased his data and came back, lost his new record on the restore")
	}
	if r.hasClient(7001) {
		t.Error("Anna is still a client after the restore")
	}
	if !strings.Contains(r.log.String(), "erased again") || !strings.Contains(r.log.String(), "clients=1") {
		t.Errorf("the erasure on start is not logged as one client:\n%s", r.log.String())
	}
	if err := r.a.db.Check(); err != nil {
		t.Errorf("the database after erasing again: %v", err)
	}
	stopRig(r)

	// The backup from before both, restored: Ben's first record goes too.
	copyFile(t, before, path)
	r = startRig(t, at)
	for _, w := range []string{annaWords, benFirst} {
		if rawHas(w) {
			t.Errorf("%q is in the restored database after a start", w)
		}
	}
	if r.hasClient(7001) || r.hasClient(7002) {
		t.Error("a client who erased their data is back after the restore")
	}
	stopRig(r)

	// A plain restart erases nothing.
	r = startRig(t, at)
	if strings.Contains(r.log.String(), "erased again") {
		t.Errorf("a restart with nothing to erase says it erased:\n%s", r.log.String())
	}
	if strings.Contains(r.log.String(), annaWords) || strings.Contains(r.log.String(), benFirst) {
		t.Error("a client's words are in the log")
	}
}

// TestErasureWaitsForTheLedger: when the ledger cannot be written, the
// erasure is not committed (and the client is not told it was), so that
// no erasure is on disk that a restored backup would not repeat.
func TestErasureWaitsForTheLedger(t *testing.T) {
	r := startRig(t, nil)
	u := r.converse(7001)
	if err := r.a.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	u.Send("/forget")
	r.settle()
	msgs := r.srv.Messages(u.ID())
	var yes string
	for _, row := range msgs[len(msgs)-1].Keyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "f|yes|") {
				yes = b.CallbackData
			}
		}
	}
	if yes == "" {
		t.Fatal("no yes button after /forget")
	}
	n := len(msgs)
	if _, err := u.Press(msgs[len(msgs)-1].ID, yes); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.log.String(), "record the erasure") {
		if time.Now().After(deadline) {
			t.Fatalf("no failure to record the erasure logged:\n%s", r.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !r.hasClient(7001) || answerCount(t, r) == 0 {
		t.Error("the client was erased although the ledger could not record it")
	}
	for _, m := range r.srv.Messages(u.ID())[n:] {
		if strings.Contains(m.Text, "has been deleted") {
			t.Errorf("the client was told: %q", m.Text)
		}
	}
}

// hasClient reports whether the database holds the client.
func (r *rig) hasClient(chat int64) bool {
	r.t.Helper()
	var found bool
	err := r.a.db.View(func(tx *store.Tx) error {
		_, err := tx.Client(chat)
		found = err == nil
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return found
}

// TestErasureReachesBackupsOfTheBinary, through the built binary: a
// backup made with `kindling backup` while the bot runs, then a client's
// /forget, then that backup restored as the database: after the next
// start the file holds none of the client's words, and another client's
// are still there.
func TestErasureReachesBackupsOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := crashBinary()
	if err != nil {
		t.Fatal(err)
	}
	srv := telegramtest.NewTB(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")
	const (
		leaving, staying           = int64(9101), int64(9102)
		leavingWords, stayingWords = "leaving-words-cormorant-6402", "staying-words-juniper-1187"
	)
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		for id, words := range map[int64]string{leaving: leavingWords, staying: stayingWords} {
			now := time.Now()
			c := store.Client{ChatID: id, UserID: id, Name: "Client", Language: "en", TimeZone: "UTC", SendTime: "09:00",
				Sequence: "after-session", Status: store.StatusActive, ConsentAt: now, CreatedAt: now}
			if err := tx.PutClient(c); err != nil {
				return err
			}
			if err := tx.AddReply(&store.Reply{ChatID: id, Kind: "journal", Answer: "I wrote " + words}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	env := append(os.Environ(),
		"KINDLING_TELEGRAM_TOKEN="+srv.Token(),
		"KINDLING_TELEGRAM_API_URL="+srv.URL(),
		"KINDLING_TELEGRAM_POLL_TIMEOUT=2s",
		"KINDLING_TELEGRAM_RATE_PER_SECOND=1000",
		"KINDLING_STORE_PATH="+path,
		"KINDLING_ADMIN_LISTEN="+addr,
		"KINDLING_BACKUP_SCHEDULE=\"\"",
		"KINDLING_SCHEDULE_QUIET_HOURS=\"\"",
	)
	cmd, out := startAdminBinary(t, env, addr)
	backup := filepath.Join(dir, "before-forget.db")
	c := exec.Command(bin, "backup", "--config", os.DevNull, backup)
	c.Env = env
	if b, err := c.CombinedOutput(); err != nil || !strings.Contains(string(b), "from the running bot") {
		t.Fatalf("kindling backup: %v %s", err, b)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := srv.User(leaving, "Client", "en")
	u.Send("/forget")
	var ask telegramtest.Message
	var yes string
	err = srv.Wait(ctx, func() bool {
		for _, m := range srv.Messages(leaving) {
			for _, row := range m.Keyboard {
				for _, b := range row {
					if strings.HasPrefix(b.CallbackData, "f|yes|") {
						ask, yes = m, b.CallbackData
						return true
					}
				}
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no /forget question: %v\n%s", err, out)
	}
	n := len(srv.Messages(leaving))
	if _, err := u.Press(ask.ID, yes); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitMessages(ctx, leaving, n+1); err != nil {
		t.Fatalf("no last message after yes: %v\n%s", err, out)
	}
	stopBinary(t, cmd)

	raw, _ := os.ReadFile(backup)
	if !bytes.Contains(raw, []byte(leavingWords)) {
		t.Fatal("the backup does not hold the words: the check below proves nothing")
	}
	copyFile(t, backup, path) // the operator restores the backup
	cmd, out = startAdminBinary(t, env, addr)
	stopBinary(t, cmd)
	raw, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(leavingWords)) {
		t.Errorf("the restored database still holds the words of the client who erased their data\n%s", out)
	}
	if !bytes.Contains(raw, []byte(stayingWords)) {
		t.Error("the restored database lost another client's words")
	}
	if !strings.Contains(out.String(), "erased again") {
		t.Errorf("the start does not say it erased a client again:\n%s", out)
	}
	if fi, err := os.Stat(path + ".forget-ledger"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("forget ledger: %v %v, want mode 0600", fi, err)
	}
}
