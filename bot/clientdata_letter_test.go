package bot_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/telegramtest"
)

// letterText is the text of a letter the client received, read out of its
// PDF with poppler's pdftotext. Without pdftotext the test is skipped on
// a developer's machine and fails in CI, whose script installs it.
func letterText(t *testing.T, m telegramtest.Message) string {
	t.Helper()
	if m.Document == nil || !strings.HasSuffix(m.Document.Name, ".pdf") {
		t.Fatalf("message %q is not a PDF letter", m.Text)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pdftotext (Debian's poppler-utils) is needed to read the letter: %v", err)
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, m.Document.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

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
			if m.Document != nil && strings.Contains(letterText(t, m), "the river at dawn") {
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
