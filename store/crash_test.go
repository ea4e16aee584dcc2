package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"kindling/store"
)

const crashWrites = 1000

// childCrash writes crashWrites replies through Batch from many goroutines,
// durably, printing "chat id" for each reply once its write returned.
func childCrash(path string) int {
	db, err := store.Open(path, store.Options{})
	if err != nil {
		println(err.Error())
		return 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	const workers = 32
	for w := range workers {
		wg.Go(func() {
			for i := w; i < crashWrites; i += workers {
				r := store.Reply{ChatID: int64(i%10 + 1), Kind: "text", Answer: fmt.Sprintf("answer %d %s", i, strings.Repeat("x", i%300))}
				err := db.Batch(func(tx *store.Tx) error {
					r.ID = 0
					return tx.AddReply(&r)
				})
				if err != nil {
					println(err.Error())
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%d %d\n", r.ChatID, r.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

// TestCrash kills a writing child with SIGKILL and checks that every reply
// whose write returned is on disk, in a file that passes Check.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "kindling.db")
	cmd, out := child(t, "crash", path)
	type key struct {
		chat int64
		id   uint64
	}
	var returned []key
	killed := false
	for out.Scan() {
		var k key
		if _, err := fmt.Sscan(out.Text(), &k.chat, &k.id); err != nil {
			t.Fatalf("child said %q", out.Text())
		}
		returned = append(returned, k)
		if len(returned) == crashWrites/3 && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err := cmd.Wait()
	if !killed || err == nil {
		t.Fatalf("child was not killed mid-way (killed %v, exit %v)", killed, err)
	}
	if len(returned) >= crashWrites {
		t.Fatalf("child finished all %d writes before the kill", crashWrites)
	}
	db := mustOpenAt(t, path, store.Options{})
	if err := db.Check(); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	stored := 0
	view(t, db, func(tx *store.Tx) error {
		for _, k := range returned {
			if _, err := tx.Reply(k.chat, k.id); err != nil {
				t.Errorf("reply %d of chat %d returned to its writer but is lost: %v", k.id, k.chat, err)
			}
		}
		for chat := int64(1); chat <= 10; chat++ {
			rs, err := tx.Replies(chat, t0.AddDate(-100, 0, 0))
			if err != nil {
				return err
			}
			stored += len(rs)
		}
		return nil
	})
	t.Logf("killed after %d returned writes; %d replies on disk", len(returned), stored)
}
