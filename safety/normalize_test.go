package safety_test

import (
	"testing"

	"kindling/safety"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"only spaces", " \t\n ", ""},
		{"lower case", "I WANT To Die", "i want to die"},
		{"Spanish accents", "Acción, QUÉ, daño, pingüino", "accion que dano pinguino"},
		{"capital accents", "ÁÉÍÓÚ ÑÜ", "aeiou nu"},
		{"sharp s", "Straße", "strasse"},
		{"capital sharp s", "STRAẞE", "strasse"},
		{"ligatures", "Æsir cœur", "aesir coeur"},
		{"central European", "Łódź Dvořák Şişli", "lodz dvorak sisli"},
		{"Nordic", "Øre þorn Åse", "ore thorn ase"},
		{"decomposed accents", "n\u0303 e\u0301", "n e"},
		{"decomposed inside a word", "dan\u0303o", "dano"},
		{"straight apostrophe", "don't", "don't"},
		{"right single quote", "don’t", "don't"},
		{"left single quote", "don‘t", "don't"},
		{"modifier apostrophe", "donʼt", "don't"},
		{"acute accent as apostrophe", "don´t", "don't"},
		{"backtick", "don`t", "don't"},
		{"punctuation to spaces", "kill...myself!?", "kill myself"},
		{"hyphen", "self-harm", "self harm"},
		{"collapse whitespace", "  a \t\n  b  ", "a b"},
		{"emoji", "😞sad😞", "sad"},
		{"digits kept", "call 988 now", "call 988 now"},
		{"soft hyphen joins", "my\u00adself", "myself"},
		{"zero-width space splits", "kill\u200bmyself", "kill myself"},
		{"other scripts lower-cased", "ПРИВЕТ мир", "привет мир"},
		{"Spanish question marks", "¿Estás bien?", "estas bien"},
		{"invalid UTF-8", "a\xffb", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := safety.Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := safety.Normalize(got); again != got {
				t.Errorf("Normalize(%q) = %q, not idempotent", got, again)
			}
		})
	}
}
