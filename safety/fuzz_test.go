package safety_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"kindling/safety"
)

// words is the form Match compares: Normalize, apostrophes dropped.
func words(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(safety.Normalize(s), "'", "")), " ")
}

func FuzzMatch(f *testing.F) {
	f.Add("en", "I want to die")
	f.Add("es-MX", "Quiero MORÍR")
	f.Add("en", "this commute is killing me")
	net := mustNet(f)
	f.Fuzz(func(t *testing.T, lang, text string) {
		norm := safety.Normalize(text)
		if again := safety.Normalize(norm); again != norm {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", text, norm, again)
		}
		if !utf8.ValidString(norm) {
			t.Fatalf("Normalize(%q) = %q, not UTF-8", text, norm)
		}
		if strings.HasPrefix(norm, " ") || strings.HasSuffix(norm, " ") || strings.Contains(norm, "  ") {
			t.Fatalf("Normalize(%q) = %q, spaces not collapsed", text, norm)
		}
		for _, r := range norm {
			// Some capitals have no lower case (ϔ): they stay.
			if r != ' ' && unicode.IsSpace(r) || unicode.ToLower(r) != r {
				t.Fatalf("Normalize(%q) = %q has %q", text, norm, r)
			}
		}

		m, ok := net.Match(lang, text)
		// Matching sees only the normal form.
		if m2, ok2 := net.Match(lang, norm); m2 != m || ok2 != ok {
			t.Fatalf("Match(%q) = %+v %v but Match(Normalize) = %+v %v", text, m, ok, m2, ok2)
		}
		// Case never matters for ASCII text.
		if isASCII(text) {
			if m2, ok2 := net.Match(lang, strings.ToUpper(text)); ok2 != ok || m2 != m {
				t.Fatalf("Match(%q) = %v but upper case = %v", text, ok, ok2)
			}
		}
		if ok {
			// The phrase is in the text as whole words.
			if !strings.Contains(" "+words(text)+" ", " "+words(m.Phrase)+" ") {
				t.Fatalf("Match(%q) = %+v, phrase not in the text as words", text, m)
			}
			if !strings.Contains(strings.Join(safety.DefaultPhrases[m.Language], "\x00"), m.Phrase) {
				t.Fatalf("Match(%q) = %+v, not a default phrase of that language", text, m)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
