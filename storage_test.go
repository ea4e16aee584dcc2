//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"kindling/internal/fulldisk"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegramtest"
)

// TestStoreRefusingWritesIsReported: while the database cannot grow,
// /healthz says it refuses writes (its own small probe still fits), the
// refused writes are counted in /metrics, and the log says so once, not
// at every retry; once there is room the answer is stored and the log
// says so once.
func TestStoreRefusingWritesIsReported(t *testing.T) {
	r := startRig(t, nil)
	u := r.converse(7101)
	used, err := r.a.db.Backup(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	lift := fulldisk.Limit(t, used)
	answer := strings.Repeat("🌿", 15000) // 60 KB: more than the free pages inside the file hold
	u.Send(answer)
	waitUntilTrue(t, 20*time.Second, "writes to be refused several times", func() bool {
		return r.a.db.StorageStats().WriteErrors >= 5
	})

	resp := r.get("/healthz", true)
	h := readHealth(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || h.DBWritable || len(h.Problems) == 0 || !strings.Contains(h.Problems[0], "database refuses writes") {
		t.Errorf("/healthz on a full disk: %d %+v, want 503 saying the database refuses writes", resp.StatusCode, h)
	}
	fams := scrape(t, r)
	if got := value(fams, "kindling_store_write_errors_total"); got < 5 {
		t.Errorf("kindling_store_write_errors_total = %v, want at least 5", got)
	}
	if got := value(fams, "kindling_store_refusing_writes"); got != 1 {
		t.Errorf("kindling_store_refusing_writes = %v, want 1", got)
	}
	if got := value(fams, "kindling_updates_skipped_total"); got != 0 {
		t.Errorf("kindling_updates_skipped_total = %v, want 0: the answer must wait", got)
	}

	lift()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	// Writes succeed now; the spell ends with a write after the
	// (shortened) recovery time. The probe of /healthz is one.
	waitUntilTrue(t, 5*time.Second, "the store to count as healthy", func() bool {
		resp := r.get("/healthz", true)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if got := value(scrape(t, r), "kindling_store_refusing_writes"); got != 0 {
		t.Errorf("kindling_store_refusing_writes = %v after room was made, want 0", got)
	}
	log := r.log.String()
	if n := strings.Count(log, "the database refuses writes"); n != 1 {
		t.Errorf("the log says %d times that the database refuses writes, want once:\n%s", n, log)
	}
	if n := strings.Count(log, "the database takes writes again"); n != 1 {
		t.Errorf("the log says %d times that the database takes writes again, want once:\n%s", n, log)
	}
	found := false
	err = r.a.db.View(func(tx *store.Tx) error {
		rs, err := tx.Replies(u.ID(), time.Time{})
		for _, rep := range rs {
			found = found || rep.Answer == answer
		}
		return err
	})
	if err != nil || !found {
		t.Errorf("the answer sent while the disk was full is not stored (%v)", err)
	}
}

// TestFullTmpfsThroughTheBinary fills a small tmpfs while 150 answers
// stream in to the built binary. Updates whose answer does not fit wait
// unconfirmed; every answer confirmed to Telegram is on disk when the bot
// is killed on the full disk; once room is made and the bot restarts,
// every answer is stored exactly once. It needs root to mount the tmpfs.
func TestFullTmpfsThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// Mostly waiting on the binary: runs beside the other tests that wait.
	t.Parallel()
	dir := t.TempDir()
	mnt := filepath.Join(dir, "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root; TestFullDiskNeverLosesAnAnswer and TestStoreRefusingWritesIsReported cover this without it", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	path := filepath.Join(mnt, "kindling.db")
	srv := telegramtest.NewTB(t)

	users := seedStoppedClients(t, srv, path, 9100)
	// Leave about 160 KB free: room for some of the answers, not all.
	var fs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &fs); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(fs.Bavail)*fs.Bsize-160<<10), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := startBinary(t, srv, dir, "KINDLING_STORE_PATH="+path, "KINDLING_LOG_LEVEL=info")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const total = 150
	filler3k := strings.Repeat("the lake, the light, the quiet after ", 80)
	var sent []sentAnswer
	for i := range total {
		u := users[i%len(users)]
		id := u.Send(fmt.Sprintf("answer number %d: %s", i, filler3k))
		sent = append(sent, sentAnswer{u.ID(), id})
		time.Sleep(2 * time.Millisecond)
	}
	logPath := filepath.Join(dir, "kindling.log")
	waitUntilTrue(t, 60*time.Second, "the database to refuse writes", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "the database refuses writes")
	})
	// Longer than five tries 2 s apart: when the poller used to give up.
	time.Sleep(11 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	confirmed := total - srv.Pending()
	if confirmed <= 0 || confirmed >= total {
		t.Fatalf("%d of %d answers confirmed: the disk did not fill at a useful moment", confirmed, total)
	}
	got := storedAnswers(t, path)
	for _, a := range sent[:confirmed] {
		if got[a] != 1 {
			t.Fatalf("on the full disk: confirmed answer chat %d message %d stored %d times, want 1", a.chat, a.id, got[a])
		}
	}
	b, _ := os.ReadFile(logPath)
	if n := strings.Count(string(b), "the database refuses writes"); n != 1 {
		t.Errorf("the log says %d times that the database refuses writes, want once", n)
	}
	if strings.Contains(string(b), "gave up an update") {
		t.Errorf("an update was given up on the full disk:\n%s", b)
	}
	t.Logf("disk full with %d of %d answers confirmed", confirmed, total)

	// Room again, and a restart: the rest arrive, nothing twice.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	cmd = startBinary(t, srv, dir, "KINDLING_STORE_PATH="+path)
	if err := srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kindling did not stop cleanly: %v", err)
	}
	got = storedAnswers(t, path)
	for _, a := range sent {
		if got[a] != 1 {
			t.Errorf("after room was made: answer chat %d message %d stored %d times, want 1", a.chat, a.id, got[a])
		}
	}
}
