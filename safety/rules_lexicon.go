package safety

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// lexiconName is how a lexicon is named: "en.die", "self".
var lexiconName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.]*$`)

// lexicons reads the lexicons: each a name and a list of entries, an entry
// being one alternative of a pattern's part (words side by side, written
// with spaces, _ or -; "word*" for a prefix) or "@other" for every entry of
// a lexicon defined above it.
func (p *parser) lexicons(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "lexicons", "expected names, each with a list of words, found %s", describe(n))
		return
	}
	own := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "lexicons", "a lexicon's name must be a plain word, found %s", describe(k))
			continue
		}
		name := k.Value
		field := "lexicons." + clip(name, 40)
		switch {
		case own[name]:
			p.errorf(k, field, "is written twice")
			continue
		case len(name) > maxIDLen || !lexiconName.MatchString(name):
			p.errorf(k, field, "use lowercase letters, digits, _ and . only, starting with a letter or digit, at most %d", maxIDLen)
			continue
		}
		own[name] = true
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			p.errorf(v, field, "expected a list of words (lines starting with \"- \"), found %s", describe(v))
			delete(p.lex, name)
			continue
		}
		var words []alternative
		ok := true
		for j, e := range v.Content {
			f := fmt.Sprintf("%s[%d]", field, j)
			s, good := p.text(e, f)
			if !good {
				ok = false
				continue
			}
			if s == "" {
				p.errorf(e, f, "is empty")
				ok = false
				continue
			}
			if strings.ContainsAny(s, "|?") || strings.Contains(s, "..") || strings.Contains(s, "…") {
				p.errorf(e, f, "%q: a lexicon entry is one alternative: words, * and @lexicon, without | ? or ..", clip(s, 40))
				ok = false
				continue
			}
			if ref, isRef := strings.CutPrefix(s, "@"); isRef {
				// Until this lexicon is done, its own name still means
				// the built-in one it extends, if any.
				more, found := p.lex[ref]
				if !found {
					p.errorf(e, f, "@%s: no lexicon of that name, built in or above this one", clip(ref, 40))
					ok = false
					continue
				}
				words = append(words, more...)
			} else {
				alt, err := compileAlternative(strings.Join(strings.Fields(s), "_"))
				if err != nil {
					p.errorf(e, f, "%v", err)
					ok = false
					continue
				}
				words = append(words, alt)
			}
			if len(words) > maxLexiconWords {
				p.errorf(e, f, "lexicon %s has more than %d words", clip(name, 40), maxLexiconWords)
				ok = false
				break
			}
		}
		if !ok {
			delete(p.lex, name)
			continue
		}
		p.lex[name] = words
	}
}
