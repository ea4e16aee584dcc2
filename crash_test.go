package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegramtest"
)

// crashRun starts the built binary against a fake Telegram.
func crashRun(t testing.TB, srv *telegramtest.Server, dir string) *exec.Cmd {
	return startKindling(t, dir, binaryRun{srv: srv, logLevel: "warn"})
}

// sentAnswer is one message a simulated client sent.
type sentAnswer struct {
	chat int64
	id   int
}

// storedAnswers counts the stored replies by chat and message id.
func storedAnswers(t *testing.T, path string) map[sentAnswer]int {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatalf("open the store after the crash: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("consistency check after the crash: %v", err)
	}
	got := map[sentAnswer]int{}
	err = db.View(func(tx *store.Tx) error {
		return tx.Clients(func(c store.Client) error {
			rs, err := tx.Replies(c.ChatID, time.Time{})
			for _, r := range rs {
				got[sentAnswer{c.ChatID, r.MessageID}]++
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// seedStoppedClients writes ten clients, ids from first, who finished
// onboarding long ago and are stopped (so no schedule sends them
// anything), into a new database at path, and returns them as users of
// srv.
func seedStoppedClients(t *testing.T, srv *telegramtest.Server, path string, first int64) []*telegramtest.User {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var users []*telegramtest.User
	err = db.Update(func(tx *store.Tx) error {
		for i := range 10 {
			id := first + int64(i)
			users = append(users, srv.User(id, "Client"+strconv.Itoa(i), "en"))
			now := time.Now()
			c := store.Client{ChatID: id, UserID: id, Name: "Client" + strconv.Itoa(i), Language: "en",
				TimeZone: "UTC", SendTime: "09:00", Sequence: "after-session", Status: store.StatusStopped,
				ConsentAt: now, CreatedAt: now}
			if err := tx.PutClient(c); err != nil {
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
	return users
}

// TestKillNineLosesNoAnswer kills the real binary with SIGKILL while 200
// answers stream in. Every answer Telegram had been told was received must
// already be on disk; after a restart every answer is stored exactly once.
func TestKillNineLosesNoAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// Mostly waiting on the binary: runs beside the other tests that wait.
	t.Parallel()
	srv := telegramtest.NewTB(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "kindling.db")

	// Ten clients who finished onboarding long ago.
	users := seedStoppedClients(t, srv, path, 9000)

	cmd := crashRun(t, srv, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Stream 200 answers; kill the bot once a good part is confirmed.
	const total = 200
	var (
		mu   sync.Mutex
		sent []sentAnswer
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			u := users[i%len(users)]
			mu.Lock() // the queue order is the order of sent
			id := u.Send(fmt.Sprintf("answer number %d, written in my own words", i))
			sent = append(sent, sentAnswer{u.ID(), id})
			mu.Unlock()
			time.Sleep(2 * time.Millisecond) // a stream, not one burst
		}
	}()
	err := srv.Wait(ctx, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sent)-srv.Pending() >= 60
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	<-done

	confirmed := total - srv.Pending()
	if confirmed <= 0 || confirmed >= total {
		t.Fatalf("kill came at a useless moment: %d of %d confirmed", confirmed, total)
	}
	got := storedAnswers(t, path)
	for _, a := range sent[:confirmed] {
		if got[a] != 1 {
			t.Fatalf("after SIGKILL: confirmed answer chat %d message %d stored %d times, want 1", a.chat, a.id, got[a])
		}
	}
	t.Logf("killed with %d of %d answers confirmed, %d stored", confirmed, total, len(got))

	// Restart: the rest arrive, nothing twice.
	cmd = crashRun(t, srv, dir)
	if err := srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("kindling did not stop cleanly: %v", err)
		}
	case <-time.After(12 * time.Second):
		t.Fatal("kindling did not stop within 12 s of SIGTERM")
	}
	got = storedAnswers(t, path)
	for _, a := range sent {
		if got[a] != 1 {
			t.Errorf("after restart: answer chat %d message %d stored %d times, want 1", a.chat, a.id, got[a])
		}
	}
	if len(got) != total {
		t.Errorf("stored %d answers, want %d", len(got), total)
	}
}
