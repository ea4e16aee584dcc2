package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kindling/report"
	"kindling/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run with -update and review the diff\ngot:\n%s", path, got)
	}
}

const hostile = "# I am not a heading\n```\nnot code\n---\n<script>alert(1)</script>\n\n> already quoted\n* not a list"

var march = store.Session{ChatID: 42, Date: "2025-03-02", Intention: "To be gentler with myself.", Note: "Second session.", CreatedAt: time.Date(2025, 3, 2, 18, 0, 0, 0, time.UTC)}

// letterReplies is one month of one client's answers, out of order, mixed
// with another session's and another client's.
func letterReplies() []store.Reply {
	at := func(day, hour, min int) time.Time { return time.Date(2025, 3, 2+day, hour, min, 0, 0, time.UTC) }
	r := func(id uint64, day, hour int, qid, q, answer string) store.Reply {
		return store.Reply{ID: id, ChatID: 42, At: at(day, hour, 0), LocalDate: at(day, 0, 0).Format("2006-01-02"),
			Day: day, SessionDate: "2025-03-02", QuestionID: qid, Question: q, Kind: "text", Answer: answer}
	}
	seven := 7
	return []store.Reply{
		r(20, 7, 9, "hard", "What was hard today?", hostile),
		r(3, 1, 9, "word", "One word for today?", "tired"),
		r(1, 0, 20, "word", "One word for today?", "Open.\nAnd a little scared."),
		{ID: 4, ChatID: 42, At: at(1, 9, 5), LocalDate: "2025-03-03", Day: 1, SessionDate: "2025-03-02",
			QuestionID: "mood", Question: "How is your mood, from 0 to 10?", Kind: "scale", Answer: "7", Value: &seven},
		{ID: 5, ChatID: 42, At: at(1, 21, 0), LocalDate: "2025-03-03", Day: 1, SessionDate: "2025-03-02",
			QuestionID: "voice", Question: "Say anything you like.", Kind: "voice", Voice: &store.Voice{FileID: "f1", Duration: 42}},
		// A journal entry that names no session, on day 3.
		{ID: 8, ChatID: 42, At: at(3, 22, 0), LocalDate: "2025-03-05", Kind: "journal", Answer: "Walked by the river. *Felt* the cold."},
		// One that names the session.
		{ID: 9, ChatID: 42, At: at(3, 23, 0), LocalDate: "2025-03-05", Day: 3, SessionDate: "2025-03-02", Kind: "journal", Answer: "Slept early."},
		// The question quotes the client's intention, with Markdown in it.
		r(10, 7, 8, "intent", "You hoped *for this*: [To be gentler]. How is it going?", "Slowly."),
		// Not this letter's: an earlier session, another client, a journal
		// entry before the session and one long after, an empty answer.
		{ID: 30, ChatID: 42, At: time.Date(2025, 1, 12, 9, 0, 0, 0, time.UTC), Day: 2, SessionDate: "2025-01-10", QuestionID: "word", Question: "One word for today?", Kind: "text", Answer: "JANUARY WORDS"},
		{ID: 31, ChatID: 99, At: at(2, 9, 0), Day: 2, SessionDate: "2025-03-02", QuestionID: "word", Question: "One word for today?", Kind: "text", Answer: "SOMEONE ELSE"},
		{ID: 32, ChatID: 42, At: at(-1, 9, 0), LocalDate: "2025-03-01", Kind: "journal", Answer: "BEFORE THE SESSION"},
		{ID: 33, ChatID: 42, At: at(40, 9, 0), LocalDate: "2025-04-11", Kind: "journal", Answer: "LONG AFTER"},
		{ID: 34, ChatID: 42, At: at(2, 9, 0), Day: 2, SessionDate: "2025-01-10", Kind: "journal", Answer: "OTHER SESSION JOURNAL"},
		r(35, 4, 9, "word", "One word for today?", "  "),
	}
}

func TestLetterGolden(t *testing.T) {
	frame := report.LetterFrame{
		Title:  "Your month, {name}",
		Scales: map[string]report.ScaleInfo{"mood": {Min: 0, Max: 10}},
	}
	golden(t, "letter.golden.md", report.Letter(frame, "en", "Ana", march, letterReplies()))
}

func TestLetter(t *testing.T) {
	doc := string(report.Letter(report.LetterFrame{}, "en", "Ana", march, letterReplies()))

	t.Run("day order", func(t *testing.T) {
		order := []string{"Open.", "tired", "> 7\n", "(a voice note, 42 s)", "Walked by the river", "Slept early.", "Slowly.", "# I am not a heading"}
		last := -1
		for _, s := range order {
			i := strings.Index(doc, s)
			if i < 0 {
				t.Fatalf("letter lacks %q:\n%s", s, doc)
			}
			if i < last {
				t.Errorf("%q comes before the answer preceding it in day order", s)
			}
			last = i
		}
		for _, h := range []string{"## Day 0\n", "## Day 1\n", "## Day 3\n", "## Day 7\n"} {
			if strings.Count(doc, h) != 1 {
				t.Errorf("want heading %q once", h)
			}
		}
	})

	t.Run("no check-in items", func(t *testing.T) {
		two := 2
		rs := append(letterReplies(), store.Reply{ChatID: march.ChatID, SessionDate: march.Date, Day: 7, QuestionID: "wellbeing.worry",
			Question: "CHECK-IN ITEM", Kind: "check_in", Answer: "Often", CheckIn: "wellbeing", Option: "often", Score: &two})
		if doc := string(report.Letter(report.LetterFrame{}, "en", "Ana", march, rs)); strings.Contains(doc, "CHECK-IN ITEM") {
			t.Errorf("the letter quotes a check-in item:\n%s", doc)
		}
	})

	t.Run("only this session and this client", func(t *testing.T) {
		for _, s := range []string{"JANUARY WORDS", "SOMEONE ELSE", "BEFORE THE SESSION", "LONG AFTER", "OTHER SESSION JOURNAL", "## Day 2", "## Day 4"} {
			if strings.Contains(doc, s) {
				t.Errorf("letter contains %q", s)
			}
		}
	})

	t.Run("hostile text stays quoted", func(t *testing.T) {
		for _, line := range strings.Split(hostile, "\n") {
			if line == "" {
				continue
			}
			if !strings.Contains(doc, "\n> "+line) {
				t.Errorf("line %q is not quoted verbatim", line)
			}
		}
		headings, rules := 0, 0
		for _, line := range strings.Split(doc, "\n") {
			switch {
			case strings.HasPrefix(line, "#"):
				headings++
			case strings.HasPrefix(line, "```"), strings.HasPrefix(line, "<"), strings.HasPrefix(line, "* "):
				t.Errorf("unquoted line %q", line)
			case strings.HasPrefix(line, "---"):
				rules++
			}
		}
		if headings != 5 || rules != 1 {
			t.Errorf("letter has %d headings and %d rules, want 5 (title, 4 days) and 1 (before the closing)", headings, rules)
		}
	})

	t.Run("the question as asked, in italics", func(t *testing.T) {
		if !strings.Contains(doc, "\n*You hoped \\*for this\\*: \\[To be gentler\\]. How is it going?*\n") {
			t.Errorf("question not in italics as asked:\n%s", doc)
		}
	})

	t.Run("scale without a known maximum", func(t *testing.T) {
		if !strings.Contains(doc, "\n> 7\n") {
			t.Errorf("scale answer without scales should read as its answer text:\n%s", doc)
		}
	})

	t.Run("spanish defaults", func(t *testing.T) {
		es := string(report.Letter(report.LetterFrame{}, "es-MX", "Ana", march, letterReplies()))
		for _, s := range []string{"# Tus palabras", "## Día 1\n", "Después de tu sesión del 2 de marzo de 2025", "(una nota de voz, 42 s)"} {
			if !strings.Contains(es, s) {
				t.Errorf("spanish letter lacks %q", s)
			}
		}
	})

	t.Run("no answers", func(t *testing.T) {
		empty := string(report.Letter(report.LetterFrame{Closing: "Bye."}, "en", "Ana", store.Session{ChatID: 1, Date: "2025-03-02"}, nil))
		if !strings.HasPrefix(empty, "# ") || !strings.HasSuffix(empty, "Bye.\n") || strings.Contains(empty, "## ") {
			t.Errorf("letter without answers:\n%s", empty)
		}
	})
}
