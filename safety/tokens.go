package safety

import (
	"unicode"
	"unicode/utf8"
)

// token is one word of a message in the form rules compare: folded as
// Normalize does, apostrophes dropped, leetspeak read as letters, English
// contractions spelled out and runs of a repeated letter written once
// ("Diiiie" → "die", "k1ll" → "kil", "can't" → "can" "not").
type token struct {
	start, end       int32 // of the word in the tokens' buffer
	altStart, altEnd int32 // a second reading ("1" as "l"), empty when none
	sent             int32 // sentence number: rules never match across sentences
}

// tokens is a tokenized message.
type tokens struct {
	buf   []byte
	toks  []token
	with  []int8   // per rule, whether its context was found: 0 not looked for yet, 1 found, -1 not
	feats []uint32 // the learned check's features (features)
	spans []int32  // where each sentence's features start and end in feats (features)
}

func (ts *tokens) word(i int) []byte { t := ts.toks[i]; return ts.buf[t.start:t.end] }

func (ts *tokens) alt(i int) []byte { t := ts.toks[i]; return ts.buf[t.altStart:t.altEnd] }

// contractions spells out English contractions, written with or without the
// apostrophe, so that a rule written "do not" also reads "dont" and "don’t".
// Only forms that are rarely another word are listed: "ill", "id", "its" and
// "well" are not.
var contractions = map[string][]string{
	"im": {"i", "am"}, "ive": {"i", "have"}, "youre": {"you", "are"},
	"dont": {"do", "not"}, "doesnt": {"does", "not"}, "didnt": {"did", "not"},
	"cant": {"can", "not"}, "cannot": {"can", "not"}, "couldnt": {"could", "not"},
	"wont": {"will", "not"}, "wouldnt": {"would", "not"}, "shouldnt": {"should", "not"},
	"isnt": {"is", "not"}, "arent": {"are", "not"}, "wasnt": {"was", "not"},
	"werent": {"were", "not"}, "havent": {"have", "not"}, "hasnt": {"has", "not"},
	"hadnt": {"had", "not"}, "aint": {"am", "not"}, "theyre": {"they", "are"},
	"theres": {"there", "is"}, "thats": {"that", "is"}, "whats": {"what", "is"},
	"whos": {"who", "is"}, "shes": {"she", "is"}, "hes": {"he", "is"}, "wanna": {"want", "to"},
	"gonna": {"going", "to"}, "gotta": {"got", "to"}, "idk": {"i", "do", "not", "know"},
}

// contractionBloom has bloomBit set for every contraction, so that most
// words skip the map lookup.
var contractionBloom = func() uint64 {
	var b uint64
	for c := range contractions {
		b |= bloomBit([]byte(c))
	}
	return b
}()

func bloomBit(w []byte) uint64 {
	if len(w) < 2 {
		return 1
	}
	return 1 << ((uint(len(w))*131 + uint(w[0])*31 + uint(w[len(w)-1])) % 64)
}

// leet reads a digit or symbol written for a letter.
func leet(c byte) (byte, bool) {
	switch c {
	case '0':
		return 'o', true
	case '1':
		return 'i', true
	case '3':
		return 'e', true
	case '4':
		return 'a', true
	case '5':
		return 's', true
	case '7':
		return 't', true
	case '@':
		return 'a', true
	case '$':
		return 's', true
	}
	return 0, false
}

// wordBuf is the word tokenize is reading, folded; longer words are cut.
type wordBuf struct {
	b [64]byte
	n int
}

// addByte appends c to the word if it has room.
func (w *wordBuf) addByte(c byte) {
	if w.n < len(w.b) {
		w.b[w.n] = c
		w.n++
	}
}

// addString appends as much of s as the word has room for.
func (w *wordBuf) addString(s string) {
	for k := 0; k < len(s) && w.n < len(w.b); k++ {
		w.b[w.n] = s[k]
		w.n++
	}
}

// flush appends the word read so far, if any, to ts and empties it.
func (ts *tokens) flush(w *wordBuf, sent int32) {
	if w.n > 0 {
		ts.addWord(w.b[:w.n], sent)
		w.n = 0
	}
}

// endsSentence tells whether the ASCII punctuation c, read just before
// text[i], ends a sentence. A full stop ends one when a space follows it;
// an ellipsis ("I just want to... sleep") does not.
func endsSentence(text string, i int, c, prev byte) bool {
	switch c {
	case '!', '?', ';':
		return true
	case '.':
		return prev != '.' && i < len(text) && (text[i] == ' ' || text[i] == '\n')
	}
	return false
}

// tokenize splits text into tokens, reusing ts's memory.
func (ts *tokens) tokenize(text string) {
	ts.buf = ts.buf[:0]
	ts.toks = ts.toks[:0]
	var word wordBuf // the current word
	sent := int32(0)
	pendingBreak := false // a sentence ended since the last word
	newlines := 0         // line breaks since the last word; two end a paragraph
	prev := byte(0)       // the last ASCII byte seen, for "..."
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '@', c == '$':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c == '\'' || c == '`':
				prev = c
				continue // dropped without splitting the word
			default:
				ts.flush(&word, sent)
				if endsSentence(text, i, c, prev) {
					pendingBreak = true
				}
				if c == '\n' {
					newlines++
				}
				prev = c
				continue
			}
			if word.n == 0 && (pendingBreak || newlines >= 2) && len(ts.toks) > 0 {
				sent++
			}
			pendingBreak, newlines, prev = false, 0, c
			word.addByte(c)
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		prev = 0
		lr := unicode.ToLower(r)
		if isApostrophe(lr) || isInvisible(lr) || isCombiningAccent(lr) {
			continue
		}
		var folded string
		var one [4]byte
		if f, ok := foldTable[lr]; ok {
			folded = f
		} else if unicode.IsLetter(lr) || unicode.IsNumber(lr) || unicode.IsMark(lr) {
			folded = string(one[:utf8.EncodeRune(one[:], lr)])
		} else {
			ts.flush(&word, sent)
			if r == '¡' || r == '¿' {
				pendingBreak = true
			}
			continue
		}
		if word.n == 0 && (pendingBreak || newlines >= 2) && len(ts.toks) > 0 {
			sent++
		}
		pendingBreak, newlines = false, 0
		word.addString(folded)
	}
	ts.flush(&word, sent)
}

// addWord reads a folded word as rules do and appends its token or tokens.
// Digits and @ $ count as letters only in a word that has letters too:
// "k1ll" is "kill" but "100" and "$100" stay 100.
func (ts *tokens) addWord(w []byte, sent int32) {
	letters, leets, ones := false, false, false
	for _, c := range w {
		if _, ok := leet(c); ok {
			leets = true
			ones = ones || c == '1'
		} else if c >= 'a' && c <= 'z' || c >= utf8.RuneSelf {
			letters = true
		}
	}
	var main, alt [64]byte
	var altw []byte
	if leets {
		k := 0
		for _, c := range w {
			l, ok := leet(c)
			switch {
			case letters && ok:
				main[k], alt[k] = l, l
				if c == '1' {
					alt[k] = 'l'
				}
			case c == '@' || c == '$':
				continue
			default:
				main[k], alt[k] = c, c
			}
			k++
		}
		if k == 0 {
			return
		}
		w = main[:k]
		if letters && ones {
			altw = alt[:k]
		}
	}
	if contractionBloom&bloomBit(w) == 0 {
		ts.push(w, altw, sent)
		return
	}
	if exp, ok := contractions[string(w)]; ok {
		for _, e := range exp {
			ts.pushString(e, sent)
		}
		return
	}
	ts.push(w, altw, sent)
}

// push appends a token, collapsing runs of a repeated ASCII letter.
func (ts *tokens) push(w, alt []byte, sent int32) {
	start := int32(len(ts.buf))
	ts.buf = appendCollapsed(ts.buf, w)
	t := token{start: start, end: int32(len(ts.buf)), sent: sent}
	t.altStart, t.altEnd = t.end, t.end
	if alt != nil {
		t.altStart = int32(len(ts.buf))
		ts.buf = appendCollapsed(ts.buf, alt)
		t.altEnd = int32(len(ts.buf))
	}
	ts.toks = append(ts.toks, t)
}

func appendCollapsed[T string | []byte](dst []byte, w T) []byte {
	var last byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == last && c >= 'a' && c <= 'z' {
			continue
		}
		dst = append(dst, c)
		last = c
	}
	return dst
}

func (ts *tokens) pushString(w string, sent int32) {
	start := int32(len(ts.buf))
	ts.buf = appendCollapsed(ts.buf, w)
	end := int32(len(ts.buf))
	ts.toks = append(ts.toks, token{start: start, end: end, altStart: end, altEnd: end, sent: sent})
}
