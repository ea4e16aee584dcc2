package yamlx_test

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

func TestSyntaxError(t *testing.T) {
	var n yaml.Node
	err := yaml.Unmarshal([]byte("a: b\nc: [d\n"), &n)
	if err == nil {
		t.Fatal("no error for an unclosed list")
	}
	line, msg := yamlx.SyntaxError(err)
	if line == 0 || msg == "" || strings.HasPrefix(msg, "yaml:") || strings.HasPrefix(msg, "line") {
		t.Errorf("SyntaxError(%q) = %d, %q", err, line, msg)
	}
	line, msg = yamlx.SyntaxError(errors.New("yaml: control characters are not allowed"))
	if line != 0 || msg != "control characters are not allowed" {
		t.Errorf("without a line: %d, %q", line, msg)
	}
}

func TestAliases(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x 1\nb: *x\nc: [*x, 2]\n"), &n); err != nil {
		t.Fatal(err)
	}
	first, count := yamlx.Aliases(&n)
	if count != 2 || first == nil || first.Line != 2 || first.Value != "x" {
		t.Errorf("Aliases = %+v, %d; want the alias on line 2 and 2 in all", first, count)
	}
	if err := yaml.Unmarshal([]byte("a: 1\n"), &n); err != nil {
		t.Fatal(err)
	}
	if first, count := yamlx.Aliases(&n); first != nil || count != 0 {
		t.Errorf("no aliases: got %v, %d", first, count)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"id", "language", "days"}
	for word, want := range map[string]string{
		"langauge":              "language",
		"Days":                  "days",
		"dys":                   "days",
		"x":                     "", // one letter: half its length is no edit at all
		"colour":                "", // nothing close
		strings.Repeat("a", 70): "",
	} {
		if got := yamlx.Suggest(word, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestSuggestKey(t *testing.T) {
	known := []string{"poll_timeout", "api_url", "token"}
	for key, want := range map[string]string{
		"pollTimeout": "poll_timeout", // same once case and _ are ignored
		"api-url":     "api_url",
		"tokn":        "token",
		"webhook":     "",
	} {
		if got := yamlx.SuggestKey(key, known); got != want {
			t.Errorf("SuggestKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"kitten", "sitting", 3}, {"abc", "", 3}, {"same", "same", 0}} {
		if got := yamlx.EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if d := yamlx.EditDistance(strings.Repeat("a", 65), "a"); d < 1000 {
		t.Errorf("a word over 64 bytes is %d edits away, want a very large number", d)
	}
}

func TestJoin(t *testing.T) {
	if got := yamlx.Join("", "days"); got != "days" {
		t.Errorf("Join empty = %q", got)
	}
	if got := yamlx.Join("days", "questions"); got != "days.questions" {
		t.Errorf("Join = %q", got)
	}
}
