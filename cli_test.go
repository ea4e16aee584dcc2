package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs a kindling command as main does and returns its output and
// exit status.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	var exit exitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = int(exit)
	default:
		errOut.WriteString(err.Error())
		status = 1
	}
	return out.String(), errOut.String(), status
}

// TestCheckCommandMatchesGoldens: `kindling check DIR` prints exactly the
// golden output of prompts' fixtures and exits 1 for the bad ones, 0 for
// the good ones.
func TestCheckCommandMatchesGoldens(t *testing.T) {
	for _, kind := range []string{"good", "bad"} {
		dirs, err := filepath.Glob(filepath.Join("prompts", "testdata", kind, "*"))
		if err != nil || len(dirs) == 0 {
			t.Fatalf("no %s fixtures: %v", kind, err)
		}
		for _, dir := range dirs {
			golden, err := os.ReadFile(filepath.Join(dir, "check.golden"))
			if err != nil {
				continue // a fixture without a golden file
			}
			t.Run(kind+"/"+filepath.Base(dir), func(t *testing.T) {
				out, _, status := runCLI(t, "check", dir)
				if want := map[string]int{"good": 0, "bad": 1}[kind]; status != want {
					t.Errorf("exit status %d, want %d", status, want)
				}
				if out != string(golden) {
					t.Errorf("output differs from %s:\n%s", filepath.Join(dir, "check.golden"), out)
				}
			})
		}
	}
}

// TestPreviewCommand: the built-in sequence previews day by day, and bad
// flags get a clear message.
func TestPreviewCommand(t *testing.T) {
	out, errOut, status := runCLI(t, "preview", "--sequence", "after-session", "--lang", "es", "--days", "0-1")
	if status != 0 {
		t.Fatalf("preview failed (%d): %s", status, errOut)
	}
	for _, want := range []string{"== Day 0, sent at 19:00 ==", "== Day 1 ==", "[1] [2] [3]"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	// The day before a session planned ahead, with its check-in's scores.
	out, errOut, status = runCLI(t, "preview", "--days", "-1-0")
	if status != 0 || !strings.Contains(out, "== Day -1 ==") || !strings.Contains(out, "[Not at all = 0] [Now and then = 1]") || !strings.Contains(out, "== Day 0, sent at 19:00 ==") {
		t.Errorf("preview --days -1-0 (%d, %s):\n%s", status, errOut, out)
	}
	for _, bad := range [][]string{
		{"preview", "--days", "30-0"},
		{"preview", "--days", "-31-0"},
		{"preview", "--days", "soon"},
		{"preview", "--sequence", "no-such-sequence"},
	} {
		if _, errOut, status := runCLI(t, bad...); status == 0 || errOut == "" {
			t.Errorf("%v: status %d, message %q; want an error that says why", bad, status, errOut)
		}
	}
}

// TestUnknownCommand: a mistyped command lists the commands and fails.
func TestUnknownCommand(t *testing.T) {
	_, errOut, status := runCLI(t, "chekc")
	if status == 0 || !strings.Contains(errOut, "unknown command") || !strings.Contains(errOut, "check") {
		t.Errorf("status %d, stderr %q", status, errOut)
	}
}
