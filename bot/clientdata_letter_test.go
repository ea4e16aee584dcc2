package bot_test

import (
	"bytes"
	"testing"
	"time"
)

// TestLetterOfAnUnansweredMonthEnd: a client who does not answer on day
// 30 still gets their letter, with the next step.
func TestLetterOfAnUnansweredMonthEnd(t *testing.T) {
	h := newHarness(t, startingAt(ny("2026-03-01 07:00")))
	u := h.user(7101, "Lea")
	h.onboard(u, "America/New_York", "09:00", "2026-03-01")
	h.tick(ny("2026-03-02 09:00")) // day 1
	h.answerAll(u, "the river at dawn")
	letters := func() int {
		n := 0
		for _, m := range h.srv.Messages(u.ID()) {
			if m.Document != nil && bytes.Contains(m.Document.Data, []byte("the river at dawn")) {
				n++
			}
		}
		return n
	}
	h.tick(ny("2026-03-31 09:00")) // day 30: asked, not answered
	h.tick(ny("2026-03-31 23:00"))
	if n := letters(); n != 0 {
		t.Fatalf("%d letters before day 30 was answered or closed", n)
	}
	for d := time.Duration(0); d < 8*24*time.Hour; d += time.Hour {
		h.tick(ny("2026-04-01 00:00").Add(d))
	}
	if n := letters(); n != 1 {
		t.Fatalf("after the next step: %d letters holding the client's words, want 1", n)
	}
}
