package safety

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// MaxGap is the most words a pattern's ".." may skip.
const MaxGap = 8

// exceptionReach is how many words either side of a match an exception
// ("unless") may be found, within the same sentence, to cancel it.
const exceptionReach = 6

// wordMatch is one word of a pattern: exact, or a prefix (written "kill*").
type wordMatch struct {
	text   string
	prefix bool
}

func (w wordMatch) matches(word []byte) bool {
	if w.prefix {
		return bytes.HasPrefix(word, []byte(w.text))
	}
	return string(word) == w.text
}

// alternative is a run of adjacent words, one way of writing a part.
type alternative []wordMatch

// part is one position of a pattern: its alternatives, whether it may be
// left out, and how many words may stand between it and the part before.
type part struct {
	alts     []alternative
	optional bool
	gap      int
	first    startSet // how the first word of each alternative begins

	// For a part with many alternatives (most often a lexicon's), the
	// alternatives by their first word, so that a token is tried only
	// against those that can start there: byWord for whole first words,
	// byPrefix (always tried) for first words written "word*". Both list
	// alternatives in order.
	byWord   map[string][]int32
	byPrefix []int32
}

// indexedAlts is how many alternatives a part needs before matching goes
// through its index rather than trying each in turn.
const indexedAlts = 12

// indexAlts builds the part's index when it has many alternatives.
func (pt *part) indexAlts() {
	if len(pt.alts) < indexedAlts {
		return
	}
	pt.byWord = map[string][]int32{}
	for i, a := range pt.alts {
		if a[0].prefix {
			pt.byPrefix = append(pt.byPrefix, int32(i))
			continue
		}
		pt.byWord[a[0].text] = append(pt.byWord[a[0].text], int32(i))
	}
}

// startSet is a 256-bit filter of how words begin: a part keeps the
// beginnings of its alternatives' first words, so it can tell at once that
// none of them can start at a token.
type startSet [4]uint64

// startKey reads the first two bytes of a word (one for a one-letter word).
func startKey(w []byte) uint8 {
	switch len(w) {
	case 0:
		return 0
	case 1:
		return w[0]*7 + 1
	}
	return w[0]*31 + w[1]
}

func (s *startSet) add(w []byte)            { k := startKey(w); s[k>>6] |= 1 << (k & 63) }
func (s *startSet) has(w []byte) bool       { k := startKey(w); return s[k>>6]&(1<<(k&63)) != 0 }
func (s *startSet) addPrefixOf(w wordMatch) { s.add([]byte(w.text)) }

// mayStart reports whether some alternative of pt may start at token i.
func (pt *part) mayStart(ts *tokens, i int) bool {
	t := ts.toks[i]
	if pt.first.has(ts.buf[t.start:t.end]) {
		return true
	}
	return t.altEnd > t.altStart && pt.first.has(ts.buf[t.altStart:t.altEnd])
}

// pattern is a compiled pattern: parts in order.
type pattern struct {
	parts []part
}

// lexicons maps a lexicon's name to its words, each an alternative: a
// pattern writes "@name" for any of them (see the rules file's lexicons).
type lexicons map[string][]alternative

// maxLexiconWords bounds the alternatives of one lexicon or one part, once
// references are expanded: past it, a file is more likely wrong than large.
const maxLexiconWords = 2000

// compilePatternWith reads the pattern syntax (see the package
// documentation): words separated by spaces are adjacent; ".." lets up to
// gap words stand between two parts ("..5" up to 5); "a|b" are
// alternatives; "word?" may be left out; "kill*" is any word that starts
// with kill; "no_one" and "self-harm" are two adjacent words inside one
// alternative; "@name" is any word of the lexicon lex names.
func compilePatternWith(src string, gap int, lex lexicons) (pattern, error) {
	var p pattern
	items := strings.Fields(src)
	if len(items) == 0 {
		return p, errors.New("is empty")
	}
	pending := -1 // a gap written before the next part
	required := false
	for _, item := range items {
		if g, ok, err := gapItem(item, gap); ok || err != nil {
			if err != nil {
				return p, err
			}
			if len(p.parts) == 0 {
				return p, fmt.Errorf("%q: a pattern cannot start with a gap", src)
			}
			if pending >= 0 {
				return p, fmt.Errorf("%q: two gaps in a row", src)
			}
			pending = g
			continue
		}
		pt, err := compilePart(item, lex)
		if err != nil {
			return p, fmt.Errorf("%q: %w", src, err)
		}
		if pending >= 0 {
			pt.gap = pending
		}
		pending = -1
		required = required || !pt.optional
		p.parts = append(p.parts, pt)
	}
	if pending >= 0 {
		return p, fmt.Errorf("%q: a pattern cannot end with a gap", src)
	}
	if !required {
		return p, fmt.Errorf("%q: every part is optional (marked ?); one at least must match", src)
	}
	return p, nil
}

// gapItem reads "..", "…" or "..N".
func gapItem(item string, gap int) (int, bool, error) {
	rest, ok := strings.CutPrefix(item, "..")
	if !ok {
		rest, ok = strings.CutPrefix(item, "…")
	}
	if !ok {
		return 0, false, nil
	}
	if rest == "" {
		return gap, true, nil
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > MaxGap {
		return 0, false, fmt.Errorf("gap %q: want .. or ..N with N from 1 to %d", item, MaxGap)
	}
	return n, true, nil
}

func compilePart(item string, lex lexicons) (part, error) {
	var pt part
	if s, ok := strings.CutSuffix(item, "?"); ok {
		pt.optional = true
		item = s
	}
	for _, a := range strings.Split(item, "|") {
		if a == "" {
			return pt, fmt.Errorf("empty alternative in %q", item)
		}
		if name, ok := strings.CutPrefix(a, "@"); ok {
			words, found := lex[name]
			if !found {
				return pt, fmt.Errorf("@%s: no lexicon of that name (lexicons are defined under lexicons:, before they are used)", name)
			}
			if len(pt.alts)+len(words) > maxLexiconWords {
				return pt, fmt.Errorf("%q has more than %d words once its lexicons are spelled out", item, maxLexiconWords)
			}
			for _, alt := range words {
				pt.alts = append(pt.alts, alt)
				pt.first.addPrefixOf(alt[0])
			}
			continue
		}
		alt, err := compileAlternative(a)
		if err != nil {
			return pt, err
		}
		pt.alts = append(pt.alts, alt)
		pt.first.addPrefixOf(alt[0])
	}
	pt.indexAlts()
	return pt, nil
}

// compileAlternative reads one alternative of a part: words joined by _ or -.
func compileAlternative(a string) (alternative, error) {
	var alt alternative
	for _, w := range strings.FieldsFunc(a, func(r rune) bool { return r == '_' || r == '-' }) {
		words, err := compileWord(w)
		if err != nil {
			return nil, err
		}
		alt = append(alt, words...)
	}
	if len(alt) == 0 {
		return nil, fmt.Errorf("%q has no words", a)
	}
	return alt, nil
}

// minPrefix is the shortest prefix a "word*" may have, once normalized:
// shorter ones match too many words.
const minPrefix = 3

func compileWord(w string) ([]wordMatch, error) {
	prefix := false
	if s, ok := strings.CutSuffix(w, "*"); ok {
		prefix, w = true, s
	}
	for _, r := range w {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || r == '\'' || r == '`' || isApostrophe(r) || isInvisible(r)) {
			if r == '*' {
				return nil, fmt.Errorf("%q: * goes only at the end of a word", w+map[bool]string{true: "*"}[prefix])
			}
			return nil, fmt.Errorf("%q: unsupported character %q (a pattern is words, | .. ? * _ - and @lexicon)", w, r)
		}
	}
	var ts tokens
	ts.tokenize(w)
	if len(ts.toks) == 0 {
		return nil, fmt.Errorf("%q has no letters", w)
	}
	if prefix && len(ts.toks) > 1 {
		return nil, fmt.Errorf("%q*: a contraction cannot take *", w)
	}
	var out []wordMatch
	for i := range ts.toks {
		out = append(out, wordMatch{text: string(ts.word(i)), prefix: prefix})
	}
	if prefix && len(out[0].text) < minPrefix {
		return nil, fmt.Errorf("%q*: a prefix needs at least %d letters", w, minPrefix)
	}
	return out, nil
}

// matchAlt reports where alternative a ends when it starts at token i, or -1.
func matchAlt(a alternative, ts *tokens, i int) int {
	if i+len(a) > len(ts.toks) {
		return -1
	}
	sent := ts.toks[i].sent
	for k, w := range a {
		j := i + k
		if ts.toks[j].sent != sent {
			return -1
		}
		if !w.matches(ts.word(j)) && !(ts.toks[j].altEnd > ts.toks[j].altStart && w.matches(ts.alt(j))) {
			return -1
		}
	}
	return i + len(a)
}

// matchFrom reports where p ends when its part k starts at token i (the
// parts before k having been left out or matched), or -1. With only >= 0,
// part k is tried with that alternative alone.
func (p *pattern) matchFrom(ts *tokens, k, i, only int) int {
	pt := &p.parts[k]
	if only >= 0 {
		return p.tryAlt(ts, k, i, only)
	}
	if pt.byWord == nil {
		for a := range pt.alts {
			if r := p.tryAlt(ts, k, i, a); r >= 0 {
				return r
			}
		}
		return -1
	}
	// Only the alternatives filed under this token's word (or its second
	// reading), and those starting with a prefix, in their order.
	t := ts.toks[i]
	w := pt.byWord[string(ts.buf[t.start:t.end])]
	var v []int32
	if t.altEnd > t.altStart {
		v = pt.byWord[string(ts.buf[t.altStart:t.altEnd])]
	}
	x := pt.byPrefix
	for len(w)+len(v)+len(x) > 0 {
		var a int32
		switch {
		case len(w) > 0 && (len(v) == 0 || w[0] < v[0]) && (len(x) == 0 || w[0] < x[0]):
			a, w = w[0], w[1:]
		case len(v) > 0 && (len(x) == 0 || v[0] < x[0]):
			a, v = v[0], v[1:]
		default:
			a, x = x[0], x[1:]
		}
		if r := p.tryAlt(ts, k, i, int(a)); r >= 0 {
			return r
		}
	}
	return -1
}

// tryAlt reports where p ends when alternative a of part k starts at token
// i, or -1.
func (p *pattern) tryAlt(ts *tokens, k, i, a int) int {
	e := matchAlt(p.parts[k].alts[a], ts, i)
	if e < 0 {
		return -1
	}
	if k == len(p.parts)-1 {
		return e
	}
	return p.next(ts, k+1, e, ts.toks[i].sent)
}

// next places part k at token j or up to its gap later, within sentence
// sent, or leaves it out when it is optional.
func (p *pattern) next(ts *tokens, k, j int, sent int32) int {
	pt := &p.parts[k]
	for at := j; at <= j+pt.gap && at < len(ts.toks); at++ {
		if ts.toks[at].sent != sent {
			break
		}
		if !pt.mayStart(ts, at) {
			continue
		}
		if e := p.matchFrom(ts, k, at, -1); e >= 0 {
			return e
		}
	}
	if pt.optional {
		if k == len(p.parts)-1 {
			return j
		}
		return p.next(ts, k+1, j, sent)
	}
	return -1
}

// starts lists the parts a match may begin with: the first, and each one
// after a run of optional parts at the start.
func (p *pattern) starts() []int {
	var out []int
	for k := range p.parts {
		out = append(out, k)
		if !p.parts[k].optional {
			break
		}
	}
	return out
}

// matchAt reports where p ends when it starts at token i, or -1.
func (p *pattern) matchAt(ts *tokens, i int) int {
	// The parts starts lists, without building the list.
	for k := range p.parts {
		if p.parts[k].mayStart(ts, i) {
			if e := p.matchFrom(ts, k, i, -1); e >= 0 {
				return e
			}
		}
		if !p.parts[k].optional {
			break
		}
	}
	return -1
}
