package safety

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"kindling/internal/langtag"
	"kindling/internal/yamlx"
)

// Categories are the warning signs a rule may belong to, as clinicians list
// them for suicide and self-harm, plus "phrase" for the simple phrases of
// config.yaml. A verdict of the learned check has category
// LearnedCategory, which no rule may take.
var Categories = []string{
	"intent",    // a direct wish to die, or intent to end one's life
	"plan",      // a plan, a method or the means (pills, a rope, a gun, a bridge, heights)
	"preparing", // stockpiling, looking up methods, goodbye letters, a will, giving things away
	"goodbye",   // saying goodbye
	"burden",    // feeling a burden to others
	"hopeless",  // hopelessness, feeling trapped, unable to go on
	"disappear", // wanting to disappear, or to sleep and not wake up
	"self_harm", // self-harm done or planned
	"attempt",   // an attempt reported
	"deserve",   // feeling one deserves to die or to suffer
	"unsafe",    // not being safe
	"phrase",    // a phrase from config.yaml's safety.phrases
}

// DefaultGap is how many words ".." lets stand between two parts of a
// pattern when the rules file does not say.
const DefaultGap = 3

// maxRulesFile bounds a rules file: past it, it is more likely the wrong file.
const maxRulesFile = 4 << 20

// maxFileProblems caps the problems reported for one file.
const maxFileProblems = 50

// Rule is one warning-sign rule as written in a rules file.
type Rule struct {
	ID       string
	Category string
	Tier     Tier
	Language string // base language tag, e.g. "en"
	Patterns []string
	Unless   []string // exceptions: a match near one of these, in the same sentence, does not count
	With     []string // context: when listed, one of these must also be found somewhere in the message
	File     string
	Line     int

	patterns []pattern
	unless   []pattern
	with     []pattern
}

// Rules is a loaded, valid set of rules. It is immutable and safe for
// concurrent use.
type Rules struct {
	rules []Rule
}

// Len is the number of rules.
func (r *Rules) Len() int { return len(r.rules) }

// List returns a copy of the rules, in file order.
func (r *Rules) List() []Rule { return slices.Clone(r.rules) }

// Extend returns r with the rules of more added after it; a rule of more
// whose id is one of r's replaces it in place, so a practice can change
// the tier or the patterns of a built-in rule.
func (r *Rules) Extend(more *Rules) *Rules {
	out := &Rules{rules: slices.Clone(r.rules)}
	at := map[string]int{}
	for i, rule := range out.rules {
		at[rule.ID] = i
	}
	for _, rule := range more.rules {
		if i, ok := at[rule.ID]; ok {
			out.rules[i] = rule
			continue
		}
		at[rule.ID] = len(out.rules)
		out.rules = append(out.rules, rule)
	}
	return out
}

// Problem is one thing wrong with a rules file.
type Problem struct {
	File    string
	Line    int    // 1-based; 0 for the whole file
	Field   string // e.g. "rules[3].patterns[0]"; may be empty
	Message string
}

// String formats p as "file:line: field: message", leaving out an empty
// line or field.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.File != "" || p.Line > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// RulesError lists every problem of a rules file, sorted by line.
type RulesError struct {
	Problems []Problem
}

// Error lists the problems one a line.
func (e *RulesError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("safety rules: 1 error")
	} else {
		fmt.Fprintf(&b, "safety rules: %d errors", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

//go:embed rules/default.yaml
var defaultRulesYAML []byte

// DefaultRulesFile is the name the built-in rules are reported under.
const DefaultRulesFile = "safety/rules/default.yaml"

var defaultRules = sync.OnceValues(func() (*Rules, error) {
	p := &parser{file: DefaultRulesFile}
	return p.result(p.parse(defaultRulesYAML, nil))
})

// builtinLexicons are the lexicons of the built-in rules, which every other
// rules file may use too.
var builtinLexicons = sync.OnceValue(func() lexicons {
	p := &parser{file: DefaultRulesFile}
	p.parse(defaultRulesYAML, nil)
	return p.lex
})

// DefaultRules returns the built-in rules, embedded in the binary. A test
// keeps them valid; should they ever fail to parse, DefaultRules panics
// rather than run a net with holes in it.
func DefaultRules() *Rules {
	r, err := defaultRules()
	if err != nil {
		panic(err)
	}
	return r
}

// DefaultRulesSource returns the built-in rules file, as embedded.
func DefaultRulesSource() []byte { return slices.Clone(defaultRulesYAML) }

// LoadRules reads and validates the rules file at path. On any problem it
// returns a *RulesError listing them all, and no Rules: a bad file never
// replaces a good one.
func LoadRules(path string) (*Rules, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &RulesError{Problems: []Problem{{File: path, Message: "cannot read: " + pathErr(err)}}}
	}
	if !info.Mode().IsRegular() {
		return nil, &RulesError{Problems: []Problem{{File: path, Message: "not a regular file"}}}
	}
	if info.Size() > maxRulesFile {
		return nil, &RulesError{Problems: []Problem{{File: path, Message: fmt.Sprintf("file is %d bytes, over the limit of %d: is this a rules file?", info.Size(), maxRulesFile)}}}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &RulesError{Problems: []Problem{{File: path, Message: "cannot read: " + pathErr(err)}}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRulesFile+1))
	if err != nil {
		return nil, &RulesError{Problems: []Problem{{File: path, Message: "cannot read: " + pathErr(err)}}}
	}
	if len(data) > maxRulesFile {
		return nil, &RulesError{Problems: []Problem{{File: path, Message: fmt.Sprintf("file is over the limit of %d bytes: is this a rules file?", maxRulesFile)}}}
	}
	return ParseRules(path, data)
}

func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParseRules reads a rules file's contents; file names it in problems. Its
// patterns may use the lexicons of the built-in rules as well as its own (a
// lexicon of its own shadows a built-in one of the same name).
func ParseRules(file string, data []byte) (*Rules, error) {
	p := &parser{file: file}
	return p.result(p.parse(data, builtinLexicons()))
}

func (p *parser) result(rules []Rule) (*Rules, error) {
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b Problem) int { return a.Line - b.Line })
		return nil, &RulesError{Problems: p.problems}
	}
	return &Rules{rules: rules}, nil
}

type parser struct {
	file     string
	problems []Problem
	lex      lexicons // the file's own, then base's
}

func (p *parser) add(line int, field, format string, args ...any) {
	n := len(p.problems)
	switch {
	case n < maxFileProblems-1:
		p.problems = append(p.problems, Problem{File: p.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	case n == maxFileProblems-1:
		p.problems = append(p.problems, Problem{File: p.file, Line: line,
			Message: fmt.Sprintf("too many problems; stopped after %d (is this a rules file?)", n)})
	}
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.add(line, field, format, args...)
}

func (p *parser) root(data []byte) (root *yaml.Node) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		p.add(0, "", "not a text file (YAML must be UTF-8 text)")
		return nil
	}
	defer func() {
		// A file must never take the bot down, whatever the YAML library does.
		if r := recover(); r != nil {
			p.add(0, "", "cannot parse this file as YAML (%v)", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "", "file is empty")
			return nil
		}
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			p.yamlError(err)
		} else {
			p.add(extra.Line, "", "a second YAML document (after ---): put all rules in one document")
		}
		return nil
	}
	if a, _ := yamlx.Aliases(&doc); a != nil {
		p.errorf(a, "", "YAML aliases (*%s) are not supported: write the value out in full", a.Value)
		return nil
	}
	if len(doc.Content) == 0 {
		p.add(0, "", "file is empty")
		return nil
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "expected keys gap, lexicons and rules, found %s", describe(root))
		return nil
	}
	return root
}

func (p *parser) yamlError(err error) {
	line, msg := yamlx.SyntaxError(err)
	p.add(line, "", "invalid YAML: %s", msg)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a set of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", clip(n.Value, 40))
	}
	return "something else"
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// fields walks the keys of mapping n, reporting non-text, duplicate and
// unknown keys, and calls each for the known ones.
func (p *parser) fields(n *yaml.Node, field string, known []string, each func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, field, "expected keys (%s), found %s", strings.Join(known, ", "), describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, field, "a key must be a plain word, found %s", describe(k))
			continue
		}
		key := k.Value
		if seen[key] {
			p.errorf(k, yamlx.Join(field, key), "is written twice")
			continue
		}
		seen[key] = true
		if !slices.Contains(known, key) {
			msg := fmt.Sprintf("unknown field %q", clip(key, 40))
			if s := yamlx.Suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (expected " + strings.Join(known, ", ") + ")"
			}
			p.errorf(k, field, "%s", msg)
			continue
		}
		each(key, k, v)
	}
	return true
}

func (p *parser) text(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, field, "expected a text, found %s", describe(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return strings.TrimSpace(n.Value), true
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)
)

const maxIDLen = 64

var (
	fileKeys = []string{"gap", "lexicons", "rules"}
	ruleKeys = []string{"id", "category", "tier", "language", "patterns", "unless", "with"}
	tiers    = []string{"alert", "check"}
)

func (p *parser) parse(data []byte, base lexicons) []Rule {
	p.lex = lexicons{}
	for name, words := range base {
		p.lex[name] = words
	}
	root := p.root(data)
	if root == nil {
		return nil
	}
	gap := DefaultGap
	var rulesNode, rulesKey, lexNode *yaml.Node
	p.fields(root, "", fileKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "gap":
			var g int
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&g) != nil || g < 0 || g > MaxGap {
				p.errorf(v, "gap", "want a whole number from 0 to %d, found %s", MaxGap, describe(v))
				return
			}
			gap = g
		case "lexicons":
			lexNode = v
		case "rules":
			rulesNode, rulesKey = v, k
		}
	})
	if lexNode != nil {
		p.lexicons(lexNode)
	}
	if rulesNode == nil {
		p.errorf(root, "rules", "missing: a rules file lists its rules under rules:")
		return nil
	}
	if rulesNode.Kind != yaml.SequenceNode {
		p.errorf(rulesNode, "rules", "expected a list (lines starting with \"- \"), found %s", describe(rulesNode))
		return nil
	}
	if len(rulesNode.Content) == 0 {
		p.errorf(rulesKey, "rules", "is empty: a rules file needs at least one rule")
		return nil
	}
	var out []Rule
	ids := map[string]int{} // id -> line
	for i, n := range rulesNode.Content {
		field := fmt.Sprintf("rules[%d]", i)
		r, ok := p.rule(n, field, gap)
		if r.ID != "" {
			if line, dup := ids[r.ID]; dup {
				p.errorf(n, field+".id", "%q is already the id of the rule at line %d", r.ID, line)
				ok = false
			} else {
				ids[r.ID] = n.Line
			}
		}
		if ok {
			r.File, r.Line = p.file, n.Line
			out = append(out, r)
		}
	}
	return out
}

func (p *parser) rule(n *yaml.Node, field string, gap int) (Rule, bool) {
	var r Rule
	before := len(p.problems)
	seen := map[string]bool{}
	if !p.fields(n, field, ruleKeys, func(key string, k, v *yaml.Node) {
		seen[key] = true
		f := field + "." + key
		switch key {
		case "id":
			id, ok := p.text(v, f)
			switch {
			case !ok:
			case id == "":
				p.errorf(v, f, "is empty")
			case len(id) > maxIDLen:
				p.errorf(v, f, "is longer than %d characters", maxIDLen)
			case !idPattern.MatchString(id):
				p.errorf(v, f, "%q: use lowercase letters, digits, -, _ and . only, starting with a letter or digit", clip(id, 40))
			default:
				r.ID = id
			}
		case "category":
			if c, ok := p.category(v, f); ok {
				r.Category = c
			}
		case "tier":
			if t, ok := p.tier(v, f); ok {
				r.Tier = t
			}
		case "language":
			l, ok := p.text(v, f)
			if !ok {
				return
			}
			lower := strings.ToLower(strings.ReplaceAll(l, "_", "-"))
			if !langPattern.MatchString(lower) {
				p.errorf(v, f, "%q is not a language tag such as en or es-MX", clip(l, 40))
				return
			}
			r.Language = langtag.Base(lower)
		case "patterns":
			r.Patterns, r.patterns = p.patterns(v, f, gap, true)
		case "unless":
			r.Unless, r.unless = p.patterns(v, f, gap, false)
		case "with":
			r.With, r.with = p.patterns(v, f, gap, false)
		}
	}) {
		return r, false
	}
	for _, key := range []string{"id", "category", "tier", "language", "patterns"} {
		if !seen[key] {
			p.errorf(n, field+"."+key, "missing")
		}
	}
	return r, len(p.problems) == before
}

// category reads a rule's category, one of Categories, suggesting the
// nearest one when it is unknown.
func (p *parser) category(v *yaml.Node, f string) (string, bool) {
	c, ok := p.text(v, f)
	if !ok {
		return "", false
	}
	if !slices.Contains(Categories, c) {
		msg := fmt.Sprintf("unknown category %q", clip(c, 40))
		if s := yamlx.Suggest(c, Categories); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += " (expected " + strings.Join(Categories, ", ") + ")"
		}
		p.errorf(v, f, "%s", msg)
		return "", false
	}
	return c, true
}

// tier reads a rule's tier, alert or check, suggesting the nearest one
// when it is unknown.
func (p *parser) tier(v *yaml.Node, f string) (Tier, bool) {
	t, ok := p.text(v, f)
	if !ok {
		return 0, false
	}
	switch t {
	case "alert":
		return TierAlert, true
	case "check":
		return TierCheck, true
	}
	msg := fmt.Sprintf("unknown tier %q (expected alert or check)", clip(t, 40))
	if s := yamlx.Suggest(t, tiers); s != "" {
		msg = fmt.Sprintf("unknown tier %q (did you mean %q?)", clip(t, 40), s)
	}
	p.errorf(v, f, "%s", msg)
	return 0, false
}

func (p *parser) patterns(v *yaml.Node, field string, gap int, required bool) ([]string, []pattern) {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, field, "expected a list (lines starting with \"- \"), found %s", describe(v))
		return nil, nil
	}
	if len(v.Content) == 0 {
		if required {
			p.errorf(v, field, "is empty: a rule needs at least one pattern")
		}
		return nil, nil
	}
	var srcs []string
	var pats []pattern
	for i, n := range v.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := p.text(n, f)
		if !ok {
			continue
		}
		pat, err := compilePatternWith(s, gap, p.lex)
		if err != nil {
			p.errorf(n, f, "%v", err)
			continue
		}
		srcs = append(srcs, s)
		pats = append(pats, pat)
	}
	return srcs, pats
}
