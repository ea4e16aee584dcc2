package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kindling/admin"
)

// promptsDir writes the built-in English sequence and messages into a new
// directory, the welcome saying which edition it is.
func promptsDir(t *testing.T, dir, edition string) {
	t.Helper()
	for _, name := range []string{"after-session.en.yaml", "messages.en.yaml"} {
		b, err := os.ReadFile(filepath.Join("prompts", "sequences", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "messages.en.yaml" {
			const hello = "Hi {name}, I'm kindling."
			if !strings.Contains(string(b), hello) {
				t.Fatalf("the built-in welcome no longer starts %q", hello)
			}
			b = []byte(strings.Replace(string(b), hello, "Hi {name}, I'm kindling, "+edition+".", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// brokenPrompt is a sequence file with two errors: no name (line 1) and a
// day that is not a number (line 3).
const brokenPrompt = "id: broken\nlanguage: en\ndays: [{day: x, questions: [{id: a, text: Hi}]}]\n"

// TestRestartOnBrokenPrompts: kindling starts with good prompts, stops; a
// coach saves a new wording together with a broken file; kindling starts
// again on the last good prompts from the database: a client is welcomed
// in the old wording, the coaches are told, /healthz says degraded and
// names the problem. A fix is picked up and /healthz is ok again.
func TestRestartOnBrokenPrompts(t *testing.T) {
	prompts := t.TempDir()
	promptsDir(t, prompts, "first edition")
	r := newBinaryRig(t, "prompts:\n  dir: "+prompts+"\n")
	stop, log := r.start()
	if h := r.health(log, func(h admin.Health) bool { return h.Status == "ok" }); len(h.Degraded) != 0 {
		t.Errorf("degraded with good prompts: %v", h.Degraded)
	}
	stop()

	promptsDir(t, prompts, "second edition")
	broken := filepath.Join(prompts, "broken.yaml")
	if err := os.WriteFile(broken, []byte(brokenPrompt), 0o600); err != nil {
		t.Fatal(err)
	}
	_, log = r.start()
	h := r.health(log, func(h admin.Health) bool { return h.Status == "degraded" })
	joined := strings.Join(h.Degraded, "\n")
	for _, want := range []string{"running on the last good prompts", prompts, "prompts: broken.yaml:1: name: is missing", "prompts: broken.yaml:3: "} {
		if !strings.Contains(joined, want) {
			t.Errorf("/healthz degraded lacks %q:\n%s", want, joined)
		}
	}
	client := r.srv.User(5001, "Maya", "en")
	client.Send("/start")
	if text := waitText(t, client, "Hi Maya, I'm kindling", log); !strings.Contains(text, "first edition") {
		t.Errorf("welcomed with %q, want the last good wording (first edition)", text)
	}
	told := waitText(t, r.coach, "broken.yaml:3", log)
	if !strings.Contains(told, "broken.yaml:1") || !strings.Contains(told, "last good prompts") {
		t.Errorf("the coach was told:\n%s", told)
	}
	for _, want := range []string{"running on the last good prompts", "broken.yaml:1: name: is missing"} {
		if !strings.Contains(log(), want) {
			t.Errorf("log lacks %q:\n%s", want, log())
		}
	}

	// The fix is loaded while running: healthy again.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	if h := r.health(log, func(h admin.Health) bool { return h.Status == "ok" }); len(h.Degraded) != 0 {
		t.Errorf("degraded after the fix: %v", h.Degraded)
	}
}

// TestFirstStartOnBrokenPrompts: with no good prompts ever loaded, a
// broken prompts.dir refuses the start with every problem, and creates no
// database; a database from a run on the built-in prompts has no stored
// set either.
func TestFirstStartOnBrokenPrompts(t *testing.T) {
	prompts := t.TempDir()
	promptsDir(t, prompts, "first edition")
	if err := os.WriteFile(filepath.Join(prompts, "broken.yaml"), []byte(brokenPrompt), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prompts, "other.yaml"), []byte("id: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newBinaryRig(t, "prompts:\n  dir: "+prompts+"\n")
	_, stderr, status := r.cli("run")
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	for _, want := range []string{"broken.yaml:1: name: is missing", "broken.yaml:3: ", "other.yaml:1: ", "no database yet"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(r.db()); err == nil {
		t.Error("a refused start created the database")
	}

	// A database made with the built-in prompts holds no set of prompts.dir.
	_, stderr, _ = r.cli("export") // creates nothing: the file must exist
	if !strings.Contains(stderr, "kindling.db") {
		t.Errorf("export without a database: %s", stderr)
	}
	builtin := newBinaryRig(t, "")
	stop, log := builtin.start()
	builtin.health(log, func(h admin.Health) bool { return h.Status == "ok" })
	stop()
	if err := os.WriteFile(filepath.Join(builtin.dir, "config.yaml"),
		[]byte("admin:\n  listen: \"\"\nbackup:\n  schedule: \"\"\nprompts:\n  dir: "+prompts+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, status = builtin.cli("run")
	lines := strings.Split(stderr, "\n")
	if status != 1 || !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "no good prompts were ever loaded") }) ||
		!strings.Contains(stderr, "other.yaml:1: ") {
		t.Errorf("start on a database without stored prompts: status %d\n%s", status, stderr)
	}
}
