//go:build linux

package bot_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"kindling/bot"
	"kindling/internal/fulldisk"
	"kindling/prompts"
	"kindling/store"
)

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
	lift := fulldisk.Limit(t, used)
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

// TestCrisisWordsOnAFullDisk: a client writes crisis words while the disk
// cannot take them. The update waits for the disk as every update does,
// but the client is answered at once with the helplines (and no word of a
// coach, since no alert could be stored), and every coach is told,
// without the store. Once there is room, the update is handled as usual:
// the alert is recorded and the coach alerted with its buttons.
func TestCrisisWordsOnAFullDisk(t *testing.T) {
	coach := bot.Coach{ID: 9400, Name: "Dana", TimeZone: "UTC"}
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")), withCoaches(coach))
	dana := h.user(coach.ID, "Dana")
	u := h.user(3301, "Ro")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	w := watching(h, u, dana)

	used, err := h.db.Backup(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	lift := fulldisk.Limit(t, used)
	words := "I want to die. " + strings.Repeat("🌿", 15000) // more than the file's free pages hold
	u.Send(words)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.srv.WaitMessages(ctx, dana.ID(), len(w.since(dana))+1); err != nil {
		t.Fatalf("no coach was told while the disk was full: %v", err)
	}
	got := w.since(u)
	if len(got) != 1 || got[0].Text != crisisReply("en", nil, "") {
		t.Fatalf("on a full disk the client got %q, want the helplines alone", messageTexts(got))
	}
	told := w.since(dana)
	if len(told) != 1 || !strings.HasPrefix(told[0].Text, words0(t, "alert_unstored", "Ro")) || !strings.Contains(told[0].Text, "I want to die.") {
		t.Fatalf("the coach got %q, want the unstored alert with the words", messageTexts(told))
	}
	if h.srv.Pending() != 1 {
		t.Fatalf("pending updates = %d, want the crisis words kept for later", h.srv.Pending())
	}
	// Tried again and again, it is answered once.
	if err := h.srv.Wait(ctx, func() bool { return h.db.StorageStats().WriteErrors >= 3 }); err != nil {
		t.Fatal(err)
	}
	if n := len(w.since(u)); n != 1 {
		t.Errorf("the client was answered %d times while the update kept failing, want once", n)
	}

	lift()
	if err := h.srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if r := lastReply(t, h, u.ID()); r.Answer != words || !r.Flagged {
		t.Errorf("after room was made the words were not stored flagged")
	}
	if n := len(w.since(dana)); n < 2 {
		t.Errorf("after room was made the coach got %d messages, want the recorded alert too", n)
	}
}

// words0 is an English message with {name} filled.
func words0(t *testing.T, key, name string) string {
	t.Helper()
	s := words(key, prompts.Vars{Name: name})
	if i := strings.Index(s, name); i > 0 {
		return s[:i]
	}
	return s
}
