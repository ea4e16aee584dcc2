package oneline_test

import (
	"testing"

	"kindling/internal/oneline"
)

func TestOf(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"  kept as typed  ":     "kept as typed",
		"two  spaces stay":      "two  spaces stay",
		"first line\nsecond":    "first line second",
		"a\r\n\r\nb\tc  d":      "a b c d",
		"\n\t\r":                "",
		"una línea\ny otra más": "una línea y otra más",
	} {
		if got := oneline.Of(in); got != want {
			t.Errorf("Of(%q) = %q, want %q", in, got, want)
		}
	}
}
