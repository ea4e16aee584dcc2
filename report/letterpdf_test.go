package report_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"kindling/report"
	"kindling/store"
)

// pdfText is the text poppler's pdftotext reads out of a PDF. Without
// pdftotext the test is skipped on a developer's machine and fails in CI,
// whose script installs it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	text := popplerTool(t, "pdftotext", pdf, "-enc", "UTF-8")
	// Page footers ("Page 3 of 15") come out between the lines of an answer that
	// runs onto the next page; they are not part of what was written.
	return pageFooter.ReplaceAllString(text, "")
}

var pageFooter = regexp.MustCompile(`(?m)^(Page|Página) \d+ (of|de) \d+$`)

func popplerTool(t *testing.T, tool string, pdf []byte, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed to read the letter back (Debian's poppler-utils): %v", tool, err)
		}
		t.Skipf("%s not installed (apt-get install poppler-utils)", tool)
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(args, path)
	if tool == "pdftotext" {
		args = append(args, "-")
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

// flat collapses every run of white space into one space, so that text
// wrapped onto several lines of a page compares with the words written.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// inOrder checks that each of want appears in text after the one before.
func inOrder(t *testing.T, text string, want []string) {
	t.Helper()
	text = flat(text)
	at := 0
	for _, w := range want {
		w = flat(w)
		i := strings.Index(text[at:], w)
		if i < 0 {
			if strings.Contains(text, w) {
				t.Errorf("%q is in the letter but out of order", w)
			} else {
				t.Errorf("letter lacks %q\nletter text:\n%s", w, text)
			}
			continue
		}
		at += i + len(w)
	}
}

// monthOfReplies is thirty days of three answers each, in several scripts,
// with a long answer and line breaks, given to the letter out of order.
func monthOfReplies() ([]store.Reply, []string) {
	var replies []store.Reply
	var words []string
	id := uint64(1)
	scripts := []string{
		"Today felt lighter, like the fog had lifted a little.",
		"Σήμερα ένιωσα πιο ήρεμα.",
		"Сегодня было спокойнее, чем вчера.",
		"Me sentí más tranquila después de caminar.",
		"I noticed my breath slowing\nwhen I sat by the window.",
	}
	for day := 30; day >= 0; day-- {
		for q := 2; q >= 0; q-- {
			answer := fmt.Sprintf("Day %d answer %d: %s", day, q, scripts[(day+q)%len(scripts)])
			if day == 12 && q == 1 {
				answer = strings.Repeat("A long answer that keeps going, written late at night. ", 60) + "The end of the long answer."
			}
			at := time.Date(2025, 3, 2+day, 9+q, 0, 0, 0, time.UTC)
			replies = append(replies, store.Reply{
				ID: id, ChatID: 42, At: at, LocalDate: at.Format("2006-01-02"), Day: day, SessionDate: "2025-03-02",
				QuestionID: fmt.Sprintf("q%d", q), Question: fmt.Sprintf("Question %d of day %d?", q, day), Kind: "text", Answer: answer,
			})
			id++
		}
	}
	// The order a reader meets them: day by day, then by time.
	for day := 0; day <= 30; day++ {
		for q := 0; q <= 2; q++ {
			for _, r := range replies {
				if r.Day == day && r.QuestionID == fmt.Sprintf("q%d", q) {
					words = append(words, r.Question, r.Answer)
				}
			}
		}
	}
	return replies, words
}

func TestLetterPDFHoldsEveryAnswerInOrder(t *testing.T) {
	replies, want := monthOfReplies()
	pdf, err := report.LetterPDF(report.LetterFrame{Title: "Your month, {name}"}, "en", "Ana", march, replies)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 20)])
	}
	text := pdfText(t, pdf)
	inOrder(t, text, append([]string{"Your month, Ana", "After your session of 2 March 2025",
		"What you hoped for from this session:", "To be gentler with myself.", "Day 0"}, want...))
	if !strings.Contains(text, "These words are yours to keep") {
		t.Errorf("the closing is missing")
	}
	info := popplerTool(t, "pdfinfo", pdf)
	if !strings.Contains(info, "(A5)") {
		t.Errorf("page is not A5:\n%s", info)
	}
	if !strings.Contains(info, "Title:") || !strings.Contains(info, "Your month, Ana") {
		t.Errorf("document title not set:\n%s", info)
	}
	fonts := popplerTool(t, "pdffonts", pdf)
	if n := strings.Count(fonts, "CID TrueType      Identity-H       yes"); n != 4 {
		t.Errorf("want the 4 faces embedded as Unicode TrueType, found %d:\n%s", n, fonts)
	}
	t.Logf("a month of %d answers: %d bytes", len(replies), len(pdf))
}

func TestLetterPDFSameWordsAsMarkdown(t *testing.T) {
	frame := report.LetterFrame{Scales: map[string]report.ScaleInfo{"mood": {Min: 0, Max: 10}}}
	pdf, err := report.LetterPDF(frame, "en", "Ana", march, letterReplies())
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	inOrder(t, text, []string{"Day 0", "Open. And a little scared.", "Day 1", "tired", "7 / 10", "(a voice note, 42 s)",
		"Day 3", "From your journal", "Walked by the river. *Felt* the cold.", "Slept early.",
		"Day 7", "You hoped *for this*: [To be gentler]. How is it going?", "Slowly.",
		"# I am not a heading", "<script>alert(1)</script>", "> already quoted", "* not a list"})
	for _, s := range []string{"JANUARY WORDS", "SOMEONE ELSE", "BEFORE THE SESSION", "LONG AFTER", "OTHER SESSION JOURNAL", "Day 2", "Day 4"} {
		if strings.Contains(text, s) {
			t.Errorf("letter contains %q", s)
		}
	}
}

func TestLetterPDFScripts(t *testing.T) {
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	reply := func(id uint64, answer string) store.Reply {
		return store.Reply{ID: id, ChatID: 42, At: at.Add(time.Duration(id) * time.Minute), LocalDate: "2025-03-03", Day: 1,
			SessionDate: "2025-03-02", QuestionID: fmt.Sprint("q", id), Question: "How was today?", Kind: "text", Answer: answer}
	}
	replies := []store.Reply{
		reply(1, "Καλημέρα, ήταν μια ήσυχη μέρα."),
		reply(2, "Спасибо, мне стало легче."),
		reply(3, "Ça va mieux, merci. Straße. Łódź. İstanbul."),
		reply(4, "café with a combining accent: cafe\u0301"),
		reply(5, "😭😭😭"),
		reply(6, "good day 👍🏽 with my sister"),
		reply(7, "今日は静かでした and then a walk"),
	}
	pdf, err := report.LetterPDF(report.LetterFrame{}, "en", "Ana", march, replies)
	if err != nil {
		t.Fatal(err)
	}
	text := flat(pdfText(t, pdf))
	for _, s := range []string{"Καλημέρα, ήταν μια ήσυχη μέρα.", "Спасибо, мне стало легче.",
		"Ça va mieux, merci. Straße. Łódź. İstanbul.", "café with a combining accent: café",
		"good day […] with my sister", "[…] and then a walk"} {
		if !strings.Contains(text, s) {
			t.Errorf("letter lacks %q\n%s", s, text)
		}
	}
	// The emoji-only answer is a visible mark, not an empty box or nothing.
	inOrder(t, text, []string{"легче.", "café", "[…]", "Some characters here cannot be drawn in this PDF", "good day"})
	if n := strings.Count(text, "Some characters here cannot be drawn"); n != 3 {
		t.Errorf("the note under answers the fonts cannot draw appears %d times, want 3 (emoji, emoji in a sentence, Japanese)", n)
	}
	for _, r := range text {
		if r == '\ufffd' || r == '\u25a1' {
			t.Errorf("extracted text holds a replacement or box character: %q", text)
			break
		}
	}
}

func TestLetterPDFSpanish(t *testing.T) {
	pdf, err := report.LetterPDF(report.LetterFrame{}, "es-MX", "Ana", march, letterReplies())
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	inOrder(t, text, []string{"Tus palabras de estas semanas", "Después de tu sesión del 2 de marzo de 2025", "Día 0", "Día 1", "(una nota de voz, 42 s)"})
	if got := report.LetterFileName("es-MX", "2025-03-02"); got != "tu-mes-2025-03-02.pdf" {
		t.Errorf("Spanish file name %q", got)
	}
	if got := report.LetterFileName("en", "2025-03-02"); got != "your-month-2025-03-02.pdf" {
		t.Errorf("English file name %q", got)
	}
}

func TestLetterPDFWithoutAnswers(t *testing.T) {
	pdf, err := report.LetterPDF(report.LetterFrame{Closing: "Bye."}, "en", "Ana", store.Session{ChatID: 1, Date: "2025-03-02"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := flat(pdfText(t, pdf))
	if !strings.HasPrefix(text, "Your words from these weeks") || !strings.Contains(text, "Bye.") || strings.Contains(text, "Day ") {
		t.Errorf("letter without answers: %q", text)
	}
}
