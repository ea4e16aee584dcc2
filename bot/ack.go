package bot

import (
	"strings"
	"unicode"
)

// heavyEmoji are the emoji of crying and heartbreak: a message of only
// these says something words would not.
var heavyEmoji = []rune{'😭', '😢', '😿', '💔', '🥺', '😞', '😔', '😥', '😓', '😩', '😫', '🥲', '😪'}

// journalAck chooses the acknowledgement of a journal entry that the
// safety net let through: a message of only emoji gets one that fits it
// (crying gets a warm line and where help is), a single word a short
// thank-you, anything longer the thanks for putting it into words.
func journalAck(text string) string {
	fields := strings.Fields(text)
	letters, heavy := false, false
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			letters = true
		case containsRune(heavyEmoji, r):
			heavy = true
		}
	}
	switch {
	case !letters && heavy:
		return "ack_heavy"
	case !letters || len(fields) <= 1:
		return "ack_brief"
	}
	return "ack_journal"
}

func containsRune(list []rune, r rune) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}
