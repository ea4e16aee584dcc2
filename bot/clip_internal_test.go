package bot

import "testing"

// TestClipRunes: a text is cut to at most n runes, never inside one.
func TestClipRunes(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"día de sol", 3, "día"},
		{"🌱🌱🌱🌱", 2, "🌱🌱"},
		{"ok", 0, ""},
	} {
		if got := clipRunes(tt.s, tt.n); got != tt.want {
			t.Errorf("clipRunes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
