package safety

import (
	"unicode"
	"unicode/utf8"
)

// Normalize returns s in the form the net compares: lower case, Latin
// accents folded (á→a, ñ→n, ü→u, ß→ss, æ→ae, ł→l…), typographic apostrophes
// (’ ‘ ʼ ´ ` ′ ＇) turned into ', every other character that is not a letter,
// digit or mark turned into a space, and runs of spaces collapsed and trimmed.
// Normalize(Normalize(s)) == Normalize(s) for every s.
//
// The fold is a small hand-written table (see latinFolds) rather than full
// Unicode decomposition: the shipped languages are Latin-script, and a table
// keeps the package stdlib-only and its behaviour easy to read. Combining
// accents written separately (decomposed text, "n"+U+0303) are dropped, so they
// fold too. Letters of other scripts pass through unchanged, only lower-cased.
func Normalize(s string) string {
	return string(normalize(make([]byte, 0, len(s)), s, true))
}

// normalize appends the normal form of s to dst. With keepApostrophe false,
// apostrophes vanish without splitting the word ("don't" → "dont"): that is
// the form matching uses, so "don't", "dont" and "don’t" are one token.
func normalize(dst []byte, s string, keepApostrophe bool) []byte {
	space := false // a separator is pending before the next word character
	emit := func(b []byte, r rune) []byte {
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		return utf8.AppendRune(b, r)
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				dst = emit(dst, r)
			case 'A' <= r && r <= 'Z':
				dst = emit(dst, r+'a'-'A')
			case r == '\'' || r == '`':
				if keepApostrophe {
					dst = emit(dst, '\'')
				}
			default:
				space = true
			}
			continue
		}
		r = unicode.ToLower(r)
		switch {
		case isApostrophe(r):
			if keepApostrophe {
				dst = emit(dst, '\'')
			}
		case isInvisible(r), isCombiningAccent(r):
			// Dropped without splitting the word.
		default:
			if f, ok := foldTable[r]; ok {
				for _, c := range f {
					dst = emit(dst, c)
				}
			} else if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) {
				dst = emit(dst, r)
			} else {
				space = true
			}
		}
	}
	return dst
}

func isApostrophe(r rune) bool {
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u00B4', '\u2032', '\uFF07':
		return true
	}
	return false
}

// isInvisible reports format characters that sit inside words without
// separating them: soft hyphen, zero-width (non-)joiner, word joiner, BOM.
func isInvisible(r rune) bool {
	switch r {
	case '\u00AD', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return false
}

// isCombiningAccent reports the combining diacritical blocks used by Latin
// text, so decomposed "a"+U+0301 folds like "á".
func isCombiningAccent(r rune) bool {
	return (0x0300 <= r && r <= 0x036F) || (0x1AB0 <= r && r <= 0x1AFF) ||
		(0x1DC0 <= r && r <= 0x1DFF) || (0x20D0 <= r && r <= 0x20FF) ||
		(0xFE20 <= r && r <= 0xFE2F)
}

// latinFolds lists lower-case Latin letters with diacritics (Latin-1
// Supplement and Latin Extended-A, plus a few from Extended-B) and the plain
// letters they fold to. Upper case needs no entry: Normalize lowers first.
var latinFolds = []struct{ from, to string }{
	{"àáâãäåāăąǎ", "a"},
	{"æ", "ae"},
	{"çćĉċč", "c"},
	{"ďđð", "d"},
	{"èéêëēĕėęě", "e"},
	{"ĝğġģ", "g"},
	{"ĥħ", "h"},
	{"ìíîïĩīĭįıǐ", "i"},
	{"ĳ", "ij"},
	{"ĵ", "j"},
	{"ķ", "k"},
	{"ĺļľŀł", "l"},
	{"ñńņňŉ", "n"},
	{"òóôõöøōŏőǒ", "o"},
	{"œ", "oe"},
	{"ŕŗř", "r"},
	{"śŝşšșſ", "s"},
	{"ß", "ss"},
	{"ţťŧț", "t"},
	{"þ", "th"},
	{"ùúûüũūŭůűųǔǖǘǚǜ", "u"},
	{"ŵ", "w"},
	{"ýÿŷ", "y"},
	{"źżž", "z"},
}

var foldTable = func() map[rune]string {
	m := make(map[rune]string)
	for _, f := range latinFolds {
		for _, r := range f.from {
			m[r] = f.to
		}
	}
	return m
}()
