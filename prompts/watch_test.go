package prompts_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kindling/prompts"
)

// syncBuffer is a log destination safe for the watcher's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func seqText(question string) string {
	return "id: s\nlanguage: en\nname: S\ndays:\n  - day: 0\n    questions:\n      - id: a\n        text: " + question + "\n"
}

// firstQuestion is the text of day 0's first question of sequence s.
func firstQuestion(t *testing.T, set *prompts.Set) string {
	t.Helper()
	seq, ok := set.Sequence("s", "en")
	if !ok {
		t.Fatal("no sequence s")
	}
	st, _ := seq.StepFor(0)
	return st.Questions[0].Text
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startWatch watches a new directory holding s.yaml with the given question.
func startWatch(t *testing.T, question string) (*prompts.Watcher, string, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s.yaml"), seqText(question))
	logs := &syncBuffer{}
	w, err := prompts.Watch(context.Background(), dir, prompts.Options{}, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w, dir, logs
}

// saveAtomically replaces path as editors do, so that the watcher's own
// reloads, racing with the test's, never read a half-written file.
func saveAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestWatcherReload drives reloads by hand: a good set, a broken edit that
// keeps the old set, then a fix that switches. (The file events start
// reloads of their own, Debounce later; they see the same files.)
func TestWatcherReload(t *testing.T) {
	w, dir, logs := startWatch(t, "First?")
	path := filepath.Join(dir, "s.yaml")
	if got := firstQuestion(t, w.Current()); got != "First?" {
		t.Fatalf("Current asks %q", got)
	}
	good := w.Current()

	saveAtomically(t, path, strings.Replace(seqText("Broken?"), "text:", "txt:", 1))
	c := w.Reload()
	if c.OK || len(c.Problems) == 0 || c.At.IsZero() {
		t.Fatalf("broken Reload = %+v, want a failed change with problems", c)
	}
	if w.Current() != good {
		t.Error("a broken edit replaced the good set")
	}
	if p := w.Problems(); len(p) == 0 || !strings.Contains(p[len(p)-1].String(), `s.yaml:8: days[0].questions[0]: unknown field "txt"`) {
		t.Errorf("Problems() = %v", p)
	}
	if !strings.Contains(logs.String(), "unknown field") {
		t.Errorf("the problems were not logged:\n%s", logs.String())
	}

	saveAtomically(t, path, seqText("Fixed?"))
	c = w.Reload()
	if !c.OK || len(c.Problems) != 1 || !c.Problems[0].Warning {
		t.Fatalf("fixed Reload = %+v, want OK with the no-messages warning", c)
	}
	if got := firstQuestion(t, w.Current()); got != "Fixed?" {
		t.Errorf("after the fix Current asks %q", got)
	}
	if p := w.Problems(); p != nil {
		t.Errorf("Problems() after a good reload = %v", p)
	}

	// Every attempt was reported: first the failure, then the fix.
	var oks []bool
	for len(oks) == 0 || !oks[len(oks)-1] {
		select {
		case c := <-w.Changes():
			oks = append(oks, c.OK)
		case <-time.After(5 * time.Second):
			t.Fatalf("changes so far %v", oks)
		}
	}
	if oks[0] {
		t.Errorf("changes = %v, want the failure first", oks)
	}
}

// TestWatcherDeletedDirectory keeps the last good set when the whole
// directory goes away.
func TestWatcherDeletedDirectory(t *testing.T) {
	w, dir, _ := startWatch(t, "First?")
	good := w.Current()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if c := w.Reload(); c.OK || w.Current() != good {
		t.Errorf("Reload = %+v; want the good set kept", c)
	}
}

// TestWatcherRenameSave saves the way editors do, writing a temporary file and
// renaming it over the old one, and waits for the watcher to pick it up.
func TestWatcherRenameSave(t *testing.T) {
	w, dir, _ := startWatch(t, "First?")
	tmp := filepath.Join(dir, ".s.yaml.swp")
	writeFile(t, tmp, seqText("Saved by rename?"))
	if err := os.Rename(tmp, filepath.Join(dir, "s.yaml")); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-w.Changes():
			if !c.OK {
				t.Fatalf("reload failed: %v", c.Problems)
			}
			if got := firstQuestion(t, w.Current()); got == "Saved by rename?" {
				// The file was renamed over, so the watch must still be on
				// the directory: a second save is seen too.
				writeFile(t, filepath.Join(dir, "s.yaml"), seqText("Saved again?"))
				waitFor(t, w, "Saved again?")
				return
			}
		case <-timeout:
			t.Fatal("no change reported after a rename-save")
		}
	}
}

func waitFor(t *testing.T, w *prompts.Watcher, question string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case <-w.Changes():
			if firstQuestion(t, w.Current()) == question {
				return
			}
		case <-timeout:
			t.Fatalf("still asking %q, want %q", firstQuestion(t, w.Current()), question)
		}
	}
}

func TestWatchFirstLoadFails(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s.yaml"), "id: [")
	if w, err := prompts.Watch(context.Background(), dir, prompts.Options{}, nil); err == nil {
		w.Close()
		t.Fatal("Watch succeeded on a broken directory")
	}
}

// TestWatcherChangesNeverBlock reloads far more often than the buffer holds,
// with nobody reading: the newest change is kept, the watcher goes on.
func TestWatcherChangesNeverBlock(t *testing.T) {
	w, _, _ := startWatch(t, "First?")
	for range 100 {
		w.Reload()
	}
	n := 0
	for len(w.Changes()) > 0 {
		<-w.Changes()
		n++
	}
	if n == 0 || n > 100 {
		t.Errorf("%d changes buffered", n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, open := <-w.Changes(); open {
		t.Error("Changes() still open after Close")
	}
	w.Reload() // after Close: no panic, still works
	if err := w.Close(); err != nil {
		t.Error("second Close:", err)
	}
}

func TestWatcherStopsWithContext(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s.yaml"), seqText("First?"))
	ctx, cancel := context.WithCancel(context.Background())
	w, err := prompts.Watch(ctx, dir, prompts.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan struct{})
	go func() { w.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung after the context ended")
	}
}
