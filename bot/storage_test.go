//go:build linux

package bot_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kindling/store"
)

// limitFileSize makes writes of this process past size bytes of a file
// fail (EFBIG), as a full disk fails them, until lift. No root needed.
func limitFileSize(t *testing.T, size int64) (lift func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limit := old
	limit.Cur = uint64(size)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("cannot limit the file size here: %v", err)
	}
	var once sync.Once
	lift = func() {
		once.Do(func() {
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Cleanup(lift)
	return lift
}

// TestFullDiskNeverLosesAnAnswer: the file cannot grow, so a long answer
// fails to be stored while small writes still fit in the file's free
// pages, as on a nearly full disk. The answer is never given up, however
// many times it fails (the poller's test write succeeding proves nothing
// about the disk), and it is stored once there is room again.
func TestFullDiskNeverLosesAnAnswer(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	u := h.user(3201, "Ro")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	before := len(h.replies(u.ID()))

	used, err := h.db.Backup(io.Discard) // the pages in use
	if err != nil {
		t.Fatal(err)
	}
	lift := limitFileSize(t, used)
	answer := strings.Repeat("🌿", 15000) // 60 KB: more than the free pages inside the file hold
	u.Send(answer)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Wait(ctx, func() bool { return h.bot.Stats().UpdatesFailed >= 3*5 || h.bot.Stats().UpdatesSkipped > 0 }); err != nil {
		t.Fatalf("the answer did not fail to be stored: %v (stats %+v, replies %d)", err, h.bot.Stats(), len(h.replies(u.ID()))-before)
	}
	// A small write still fits: what the old poller took for a healthy store.
	if err := h.db.Update(func(tx *store.Tx) error { return tx.Put("health", "test", []byte("x")) }); err != nil {
		t.Fatalf("a small write failed too (%v): the test does not reproduce a nearly full disk", err)
	}
	if got := h.bot.Stats().UpdatesSkipped; got != 0 {
		t.Fatalf("UpdatesSkipped = %d on a full disk, want 0: the answer was given up", got)
	}
	if h.srv.Pending() != 1 {
		t.Fatalf("pending updates = %d, want the answer kept for later", h.srv.Pending())
	}
	st := h.db.StorageStats()
	if st.Failing == nil || st.WriteErrors < 15 {
		t.Errorf("store stats %+v, want writes refused", st)
	}
	if n := strings.Count(h.log.String(), "level=ERROR"); n > 0 {
		t.Errorf("%d error lines while the disk was full, want none from the poller (the store tells of it once):\n%s", n, h.log.String())
	}

	lift()
	if err := h.srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	h.settle()
	rs := h.replies(u.ID())
	if len(rs) != before+1 || rs[len(rs)-1].Answer != answer {
		t.Fatalf("%d replies after room was made, want the answer stored", len(rs)-before)
	}
}
