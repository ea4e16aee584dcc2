package safety

import (
	"errors"
	"fmt"
	"kindling/internal/langtag"
	"maps"
	"slices"
	"sync"
)

// ErrNoPhrases is returned by Compile when it is given no rules and no
// phrase: a net with nothing in it would let every message through.
var ErrNoPhrases = errors.New("no crisis rules or phrases")

// ErrEmptyPhrase is returned for a phrase that has no words once normalized
// ("", "   ", "?!").
var ErrEmptyPhrase = errors.New("phrase has no words")

// ErrBadLanguage is returned for a language key that is not a language tag
// such as "en" or "es-MX".
var ErrBadLanguage = errors.New("not a language tag")

// Net notices warning signs of suicide and self-harm in a client's message.
// It is a net of rules, not a diagnosis: see the package documentation for
// what it catches and misses. A Net is safe for concurrent use.
type Net struct {
	rules   []Rule // compiled
	pats    []indexed
	trie    []trieNode // compact, read by lookup
	others  []otherKid // children for bytes other than a to z, by node
	entries []entry    // the entries of every node, by node
	pool    sync.Pool  // of *tokens
	learned bool       // the learned check raises what no rule fired on to check (UseLearned)
}

// otherKid is a child of a trie node for a byte other than a to z.
type otherKid struct {
	c    byte
	node uint16
}

// indexed is one pattern of one rule.
type indexed struct {
	p    *pattern
	rule int
}

// entry says that pattern pat may start at its part with alternative alt,
// whose first word this is.
type entry struct {
	pat, part, alt int32
}

// trieNode is one letter of the index of the words patterns start with,
// kept small so the whole index stays in cache: its entries are
// entries[exact:exact+nExact] for patterns starting with the word spelled
// so far and entries[prefix:prefix+nPrefix] for those starting with any
// word that begins so; its children for bytes other than a to z are
// others[other:other+nOther].
type trieNode struct {
	az                      [26]uint16 // children for a to z; 0 for none (the root is no one's child)
	exact, prefix, other    uint16
	nExact, nPrefix, nOther uint8
}

// buildNode is a trie node while the index is built.
type buildNode struct {
	az            [26]int32
	keys          []byte
	kids          []int32
	exact, prefix []entry
}

func (t *buildNode) child(c byte) int32 {
	if c >= 'a' && c <= 'z' {
		return t.az[c-'a']
	}
	for k, b := range t.keys {
		if b == c {
			return t.kids[k]
		}
	}
	return 0
}

func (n *Net) child(t *trieNode, c byte) uint16 {
	if c >= 'a' && c <= 'z' {
		return t.az[c-'a']
	}
	for _, o := range n.others[t.other : int(t.other)+int(t.nOther)] {
		if o.c == c {
			return o.node
		}
	}
	return 0
}

// ErrTooManyRules is returned by Compile when the rules are too many for the
// index (about 60,000 distinct beginnings of words).
var ErrTooManyRules = errors.New("too many rules for the index")

// pack turns the built trie into the compact one.
func (n *Net) pack(b []buildNode) error {
	if len(b) > 0xFFFF {
		return ErrTooManyRules
	}
	n.trie = make([]trieNode, len(b))
	for i := range b {
		src, dst := &b[i], &n.trie[i]
		for k, c := range src.az {
			dst.az[k] = uint16(c)
		}
		if len(src.exact) > 0xFF || len(src.prefix) > 0xFF || len(src.keys) > 0xFF || len(n.entries)+len(src.exact)+len(src.prefix) > 0xFFFF || len(n.others)+len(src.keys) > 0xFFFF {
			return ErrTooManyRules
		}
		dst.exact, dst.nExact = uint16(len(n.entries)), uint8(len(src.exact))
		n.entries = append(n.entries, src.exact...)
		dst.prefix, dst.nPrefix = uint16(len(n.entries)), uint8(len(src.prefix))
		n.entries = append(n.entries, src.prefix...)
		dst.other, dst.nOther = uint16(len(n.others)), uint8(len(src.keys))
		for k, c := range src.keys {
			n.others = append(n.others, otherKid{c: c, node: uint16(src.kids[k])})
		}
	}
	return nil
}

// New builds a Net from the built-in rules and phrases: phrases adds simple
// phrases (see Compile) to DefaultRules. It is Compile(DefaultRules(), phrases).
func New(phrases map[string][]string) (*Net, error) {
	return Compile(DefaultRules(), phrases)
}

// Default is the Net of the built-in rules alone.
var Default = sync.OnceValue(func() *Net {
	n, err := Compile(DefaultRules(), nil)
	if err != nil {
		panic(err)
	}
	n.UseLearned(true)
	return n
})

// Compile builds a Net from rules (nil for none) and phrases, a language's
// base tag ("en", "es") mapped to phrases. Each phrase becomes a rule of
// tier alert and category "phrase", with id "phrase:" and the phrase as
// written, whose words must stand side by side in the message; a tag with a
// region ("es-MX") is filed under its base language. The error for a bad
// phrase names it as phrases.<lang>[<index>]. Rules far beyond any
// practice's (tens of thousands of patterns) return ErrTooManyRules.
func Compile(rules *Rules, phrases map[string][]string) (*Net, error) {
	var all []Rule
	if rules != nil {
		all = slices.Clone(rules.rules)
	}
	for _, lang := range slices.Sorted(maps.Keys(phrases)) {
		base := langtag.Base(lang)
		if !isLanguage(base) {
			return nil, fmt.Errorf("phrases: language %q: %w", lang, ErrBadLanguage)
		}
		for i, ph := range phrases[lang] {
			var ts tokens
			ts.tokenize(ph)
			if len(ts.toks) == 0 {
				return nil, fmt.Errorf("phrases.%s[%d] %q: %w", lang, i, ph, ErrEmptyPhrase)
			}
			var pat pattern
			for k := range ts.toks {
				w := ts.word(k)
				pt := part{alts: []alternative{{{text: string(w)}}}}
				pt.first.add(w)
				pat.parts = append(pat.parts, pt)
			}
			all = append(all, Rule{
				ID: "phrase:" + ph, Category: "phrase", Tier: TierAlert, Language: base,
				Patterns: []string{ph}, patterns: []pattern{pat},
			})
		}
	}
	if len(all) == 0 {
		return nil, ErrNoPhrases
	}
	n := &Net{rules: all}
	build := []buildNode{{}}
	n.pool.New = func() any {
		return &tokens{buf: make([]byte, 0, 1024), toks: make([]token, 0, 256), feats: make([]uint32, 0, 2048), spans: make([]int32, 0, 64)}
	}
	for ri := range n.rules {
		r := &n.rules[ri]
		for pi := range r.patterns {
			p := &r.patterns[pi]
			id := int32(len(n.pats))
			n.pats = append(n.pats, indexed{p: p, rule: ri})
			for _, k := range p.starts() {
				for ai, a := range p.parts[k].alts {
					e := entry{pat: id, part: int32(k), alt: int32(ai)}
					if next, ok := p.adjacentAfter(k, ai); ok {
						// "me mato", "i am": a lone common word is filed
						// with each word that must follow it.
						for _, b := range next {
							build = index(build, append(alternative{a[0]}, b...), e)
						}
						continue
					}
					build = index(build, a, e)
				}
			}
		}
	}
	if err := n.pack(build); err != nil {
		return nil, err
	}
	return n, nil
}

// maxPairedKeys bounds how many two-word keys one part of a pattern may be
// filed under (see adjacentAfter): past it, the part is filed by its own
// words, so that a large lexicon never swells the index.
const maxPairedKeys = 256

// adjacentAfter reports the alternatives of the part after k when
// alternative a of part k is one whole word that the next part must follow
// at once (no gap, not optional), so that it can be indexed together with
// the next word: a lone "i" or "me" starts too many patterns otherwise.
func (p *pattern) adjacentAfter(k, a int) ([]alternative, bool) {
	alt := p.parts[k].alts[a]
	if len(alt) != 1 || alt[0].prefix || k+1 >= len(p.parts) {
		return nil, false
	}
	next := &p.parts[k+1]
	if next.gap != 0 || next.optional || len(p.parts[k].alts)*len(next.alts) > maxPairedKeys {
		return nil, false
	}
	return next.alts, true
}

// index files e under the first word of alternative a, or under its first
// two words (joined by a space) when the first is a whole word: many
// alternatives share a first word ("me corté", "me tomé").
func index(trie []buildNode, a alternative, e entry) []buildNode {
	key, last := a[0].text, a[0]
	if len(a) > 1 && !a[0].prefix {
		key, last = a[0].text+" "+a[1].text, a[1]
	}
	at := int32(0)
	for i := 0; i < len(key); i++ {
		c := key[i]
		next := trie[at].child(c)
		if next == 0 {
			next = int32(len(trie))
			trie = append(trie, buildNode{})
			if node := &trie[at]; c >= 'a' && c <= 'z' {
				node.az[c-'a'] = next
			} else {
				node.keys = append(node.keys, c)
				node.kids = append(node.kids, next)
			}
		}
		at = next
	}
	list := &trie[at].exact
	if last.prefix {
		list = &trie[at].prefix
	}
	// Alternatives of one part filed under the same key share an entry
	// that tries them all.
	for i, had := range *list {
		if had.pat == e.pat && had.part == e.part {
			(*list)[i].alt = -1
			return trie
		}
	}
	*list = append(*list, e)
	return trie
}

// lookup calls fn for each pattern that may start at token i: those filed
// under its word, and those filed under it and the next word of the
// sentence. Both readings of a word ("1" as "i" or "l") are looked up.
func (n *Net) lookup(ts *tokens, i int, fn func(entry)) {
	t := ts.toks[i]
	n.walk(0, ts.buf[t.start:t.end], ts, i, fn)
	if t.altEnd > t.altStart {
		n.walk(0, ts.buf[t.altStart:t.altEnd], ts, i, fn)
	}
}

// walk follows word from node at, calling fn for the entries on the way,
// and on into the next token when the word ends at a node with a space.
func (n *Net) walk(at uint16, word []byte, ts *tokens, i int, fn func(entry)) {
	for k := 0; ; k++ {
		node := &n.trie[at]
		if node.nPrefix > 0 {
			for _, e := range n.entries[node.prefix : int(node.prefix)+int(node.nPrefix)] {
				fn(e)
			}
		}
		if k == len(word) {
			if node.nExact > 0 {
				for _, e := range n.entries[node.exact : int(node.exact)+int(node.nExact)] {
					fn(e)
				}
			}
			if i < 0 || i+1 >= len(ts.toks) || ts.toks[i+1].sent != ts.toks[i].sent {
				return
			}
			if sp := n.child(node, ' '); sp != 0 {
				t := ts.toks[i+1]
				n.walk(sp, ts.buf[t.start:t.end], ts, -1, fn)
				if t.altEnd > t.altStart {
					n.walk(sp, ts.buf[t.altStart:t.altEnd], ts, -1, fn)
				}
			}
			return
		}
		if at = n.child(node, word[k]); at == 0 {
			return
		}
	}
}

// Rules returns the rules the Net was compiled from, phrases included.
func (n *Net) Rules() []Rule { return slices.Clone(n.rules) }

// hit is a rule that fired, and where.
type hit struct {
	rule       int
	start, end int
}

// Classify decides the tier of a message. Every language's rules are
// checked, not only lang's, because people switch languages, most of all
// when upset. The highest tier wins; among rules of that tier, one in the
// client's language (lang or its base, "es-MX" → "es"), then the one that
// fires earliest in the message, then the first in the rules, decides.
//
// When no rule fires and the net uses the learned check (UseLearned), a
// message in English or Spanish whose words the model finds close to crisis
// messages is raised to TierCheck, rule "en.learned" or "es.learned",
// category LearnedCategory. It never raises a message to alert.
func (n *Net) Classify(lang, text string) Verdict {
	ts := n.pool.Get().(*tokens)
	defer n.pool.Put(ts)
	h, ok := n.classify(ts, lang, text)
	if !ok {
		v, _ := n.learnedVerdict(langtag.Base(lang), ts)
		return v
	}
	r := &n.rules[h.rule]
	return Verdict{Tier: r.Tier, Rule: r.ID, Category: r.Category, Language: r.Language}
}

func (n *Net) classify(ts *tokens, lang, text string) (hit, bool) {
	ts.tokenize(text)
	if cap(ts.with) < len(n.rules) {
		ts.with = make([]int8, len(n.rules))
	}
	ts.with = ts.with[:len(n.rules)]
	clear(ts.with)
	base := langtag.Base(lang)
	best, found := hit{}, false
	better := func(h hit) bool {
		if !found {
			return true
		}
		a, b := &n.rules[h.rule], &n.rules[best.rule]
		if a.Tier != b.Tier {
			return a.Tier > b.Tier
		}
		if (a.Language == base) != (b.Language == base) {
			return a.Language == base
		}
		if h.start != best.start {
			return h.start < best.start
		}
		return h.rule < best.rule
	}
	for i := range ts.toks {
		try := func(e entry) {
			ix := &n.pats[e.pat]
			cand := hit{rule: ix.rule, start: i}
			if !better(cand) {
				return
			}
			end := ix.p.matchFrom(ts, int(e.part), i, int(e.alt))
			// The context is read once per message and rule, so it goes
			// before the exceptions, which are read around each match.
			if end < 0 || !n.withContext(ix.rule, ts) || n.excepted(&n.rules[ix.rule], ts, i, end) {
				return
			}
			cand.end = end
			best, found = cand, true
		}
		n.lookup(ts, i, try)
		if found && n.rules[best.rule].Tier == TierAlert && n.rules[best.rule].Language == base {
			break // nothing later can do better
		}
	}
	return best, found
}

// excepted reports whether one of r's exceptions is found within
// exceptionReach words of the match [start, end), in the same sentence.
func (n *Net) excepted(r *Rule, ts *tokens, start, end int) bool {
	if len(r.unless) == 0 {
		return false
	}
	sent := ts.toks[start].sent
	from, to := max(0, start-exceptionReach), min(len(ts.toks), end+exceptionReach)
	for i := range r.unless {
		for s := from; s < to; s++ {
			if ts.toks[s].sent == sent && r.unless[i].matchAt(ts, s) >= 0 {
				return true
			}
		}
	}
	return false
}

// withContext reports whether rule r needs no context, or one of its
// "with" patterns is found anywhere in the message, in any sentence. The
// answer is kept for the rest of the message: the whole message is read
// for it at most once per rule.
func (n *Net) withContext(r int, ts *tokens) bool {
	rule := &n.rules[r]
	if len(rule.with) == 0 {
		return true
	}
	if ts.with[r] == 0 {
		ts.with[r] = -1
		for i := range rule.with {
			for s := range ts.toks {
				if rule.with[i].matchAt(ts, s) >= 0 {
					ts.with[r] = 1
					break
				}
			}
			if ts.with[r] == 1 {
				break
			}
		}
	}
	return ts.with[r] == 1
}

// Match is the rule that fired and the language of its list.
//
// Deprecated: use Classify, which also says how strongly (Tier).
type Match struct {
	Phrase   string // the id of the rule that decided, e.g. "phrase:i want to die"
	Language string // the rule's language, e.g. "en"
}

// Match reports whether any rule fires on text, of either tier, and which
// one decided (see Classify). It errs toward reaching out: a check-tier
// sign counts. Kept for callers written before tiers.
//
// Deprecated: use Classify.
func (n *Net) Match(lang, text string) (Match, bool) {
	v := n.Classify(lang, text)
	if v.Tier == TierNone {
		return Match{}, false
	}
	return Match{Phrase: v.Rule, Language: v.Language}, true
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
