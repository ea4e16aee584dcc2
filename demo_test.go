package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemo runs `kindling demo` for a few days: the simulated client gets
// started, is asked each day from the day of the session on, and every
// answer is stored.
func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"demo", "--days", "3", "--quiet", "--dir", t.TempDir()}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	const want = "Summary: 3 days run, 4 days prompted (4 answered), 10 answers stored, 21 messages from kindling"
	if !strings.Contains(out.String(), want) {
		t.Errorf("demo summary:\n%s\nwant a line starting %q", out.String(), want)
	}
}
