package safety

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrNoPhrases is returned by New when no language has a phrase: a net with
// nothing in it would let every message through without a word.
var ErrNoPhrases = errors.New("no crisis phrases")

// ErrEmptyPhrase is returned by New for a phrase that has no words once
// normalized ("", "   ", "?!").
var ErrEmptyPhrase = errors.New("phrase has no words")

// ErrBadLanguage is returned by New for a language key that is not a
// language tag such as "en" or "es-MX".
var ErrBadLanguage = errors.New("not a language tag")

// Net notices crisis language in a client's message. It is a keyword net, not
// a diagnosis: see the package documentation for what it catches and misses.
// A Net is safe for concurrent use.
type Net struct {
	root *node
}

// node is one word of a trie of phrases; hits is set where a phrase ends.
type node struct {
	next map[string]*node
	hits []Match // sorted by Language
}

// Match is the phrase that fired and the list it came from.
type Match struct {
	Phrase   string // as written in the list, e.g. "don't feel safe"
	Language string // the list's language, e.g. "en"
}

// New builds a Net from phrases, a language's base tag ("en", "es") mapped to
// its list. A tag with a region ("es-MX") is filed under its base language.
// Each phrase is normalized once here; the error for a bad entry names it as
// phrases.<lang>[<index>].
func New(phrases map[string][]string) (*Net, error) {
	n := &Net{root: &node{}}
	count := 0
	for _, lang := range slices.Sorted(maps.Keys(phrases)) {
		base := baseLanguage(lang)
		if !isLanguage(base) {
			return nil, fmt.Errorf("phrases: language %q: %w", lang, ErrBadLanguage)
		}
		for i, p := range phrases[lang] {
			words := strings.Fields(string(normalize(nil, p, false)))
			if len(words) == 0 {
				return nil, fmt.Errorf("phrases.%s[%d] %q: %w", lang, i, p, ErrEmptyPhrase)
			}
			n.add(words, Match{Phrase: p, Language: base})
			count++
		}
	}
	if count == 0 {
		return nil, ErrNoPhrases
	}
	return n, nil
}

func (n *Net) add(words []string, m Match) {
	at := n.root
	for _, w := range words {
		if at.next == nil {
			at.next = make(map[string]*node)
		}
		child, ok := at.next[w]
		if !ok {
			child = &node{}
			at.next[w] = child
		}
		at = child
	}
	// One hit per language: the first spelling listed wins.
	i, found := slices.BinarySearchFunc(at.hits, m.Language, func(h Match, lang string) int {
		return strings.Compare(h.Language, lang)
	})
	if !found {
		at.hits = slices.Insert(at.hits, i, m)
	}
}

// Match reports the first crisis phrase in text, reading left to right and
// preferring the longest phrase that starts at a word.
//
// Every language's list is checked, not only lang's: people switch languages,
// above all when upset, and a phrase that fires in a language the client was
// not expected to write is still worth a human look. When the phrase is in
// the client's own list (lang, or its base: "es-MX" → "es") that list is
// named in the Match; otherwise the first other list alphabetically is.
func (n *Net) Match(lang, text string) (Match, bool) {
	form := normalize(make([]byte, 0, len(text)), text, false)
	base := baseLanguage(lang)
	for start := 0; start < len(form); {
		var best *node
		at := n.root
		for i := start; at.next != nil; {
			end := i + wordLen(form[i:])
			at = at.next[string(form[i:end])]
			if at == nil {
				break
			}
			if len(at.hits) > 0 {
				best = at
			}
			if end == len(form) {
				break
			}
			i = end + 1
		}
		if best != nil {
			return pick(best.hits, base), true
		}
		start += wordLen(form[start:]) + 1
	}
	return Match{}, false
}

func pick(hits []Match, lang string) Match {
	for _, h := range hits {
		if h.Language == lang {
			return h
		}
	}
	return hits[0]
}

// wordLen is the length of the word at the start of b, a normalized form
// whose words are separated by single spaces.
func wordLen(b []byte) int {
	for i, c := range b {
		if c == ' ' {
			return i
		}
	}
	return len(b)
}

// baseLanguage turns "es-MX", "ES_mx" or " es " into "es".
func baseLanguage(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	return lang
}

func isLanguage(base string) bool {
	if len(base) < 2 || len(base) > 8 {
		return false
	}
	for _, c := range base {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
