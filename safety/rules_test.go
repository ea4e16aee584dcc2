package safety_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kindling/safety"
)

func TestDefaultRulesAreValid(t *testing.T) {
	r, err := safety.ParseRules(safety.DefaultRulesFile, safety.DefaultRulesSource())
	if err != nil {
		t.Fatalf("built-in rules:\n%v", err)
	}
	if r.Len() < 20 {
		t.Errorf("built-in rules have %d rules", r.Len())
	}
}

// rulesWithProblems has one problem of each kind the loader reports.
const rulesWithProblems = `gap: 12
colour: blue
rules:
  - id: en.ok
    category: intent
    tier: alert
    language: en
    patterns: ["want to die"]
  - id: en.ok
    category: intnet
    tier: alret
    language: English
    patterns: []
  - id: Bad Id
    categroy: plan
    tier: check
    language: es
    patterns:
      - ".. pills"
      - "pills .."
      - "a .. .. b"
      - "maybe? perhaps?"
      - "a*b"
      - "ki*"
      - "a||b"
      - "(pills)"
      - "a ..99 b"
      - ""
    unless: "not a list"
  - just text
`

func TestParseRulesProblems(t *testing.T) {
	r, err := safety.ParseRules("practice.yaml", []byte(rulesWithProblems))
	if r != nil {
		t.Fatal("ParseRules returned rules with its error")
	}
	var re *safety.RulesError
	if !asRulesError(err, &re) {
		t.Fatalf("error %T %v, want *RulesError", err, err)
	}
	var got []string
	for _, p := range re.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`practice.yaml:1: gap: want a whole number from 0 to 8, found "12"`,
		`practice.yaml:2: unknown field "colour" (expected gap, lexicons, rules)`,
		`practice.yaml:9: rules[1].id: "en.ok" is already the id of the rule at line 4`,
		`practice.yaml:10: rules[1].category: unknown category "intnet" (did you mean "intent"?)`,
		`practice.yaml:11: rules[1].tier: unknown tier "alret" (did you mean "alert"?)`,
		`practice.yaml:12: rules[1].language: "English" is not a language tag such as en or es-MX`,
		`practice.yaml:13: rules[1].patterns: is empty: a rule needs at least one pattern`,
		`practice.yaml:14: rules[2].id: "Bad Id": use lowercase letters, digits, -, _ and . only, starting with a letter or digit`,
		`practice.yaml:14: rules[2].category: missing`,
		`practice.yaml:15: rules[2]: unknown field "categroy" (did you mean "category"?)`,
		`practice.yaml:19: rules[2].patterns[0]: ".. pills": a pattern cannot start with a gap`,
		`practice.yaml:20: rules[2].patterns[1]: "pills ..": a pattern cannot end with a gap`,
		`practice.yaml:21: rules[2].patterns[2]: "a .. .. b": two gaps in a row`,
		`practice.yaml:22: rules[2].patterns[3]: "maybe? perhaps?": every part is optional (marked ?); one at least must match`,
		`practice.yaml:23: rules[2].patterns[4]: "a*b": "a*b": * goes only at the end of a word`,
		`practice.yaml:24: rules[2].patterns[5]: "ki*": "ki"*: a prefix needs at least 3 letters`,
		`practice.yaml:25: rules[2].patterns[6]: "a||b": empty alternative in "a||b"`,
		`practice.yaml:26: rules[2].patterns[7]: "(pills)": "(pills)": unsupported character '(' (a pattern is words, | .. ? * _ - and @lexicon)`,
		`practice.yaml:27: rules[2].patterns[8]: gap "..99": want .. or ..N with N from 1 to 8`,
		`practice.yaml:28: rules[2].patterns[9]: is empty`,
		`practice.yaml:29: rules[2].unless: expected a list (lines starting with "- "), found "not a list"`,
		`practice.yaml:30: rules[3]: expected keys (id, category, tier, language, patterns, unless, with), found "just text"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("safety rules: %d errors\npractice.yaml:1: gap:", len(want))) {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestParseRulesBadFiles(t *testing.T) {
	for _, tt := range []struct{ name, data, want string }{
		{"empty", "", "f.yaml: file is empty"},
		{"comments only", "# nothing\n", "f.yaml: file is empty"},
		{"syntax", "rules: [\n", "f.yaml:1: invalid YAML: did not find expected node content"},
		{"not a mapping", "- a\n", "f.yaml:1: expected keys gap, lexicons and rules, found a list"},
		{"no rules", "gap: 2\n", "f.yaml:1: rules: missing: a rules file lists its rules under rules:"},
		{"empty rules", "rules: []\n", "f.yaml:1: rules: is empty: a rules file needs at least one rule"},
		{"two documents", "rules: []\n---\nrules: []\n", "f.yaml:2: a second YAML document (after ---): put all rules in one document"},
		{"alias", "a: &x [1]\nrules: *x\n", "f.yaml:2: YAML aliases (*x) are not supported: write the value out in full"},
		{"binary", "rules:\x00", "f.yaml: not a text file (YAML must be UTF-8 text)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := safety.ParseRules("f.yaml", []byte(tt.data))
			var re *safety.RulesError
			if !asRulesError(err, &re) || len(re.Problems) != 1 || re.Problems[0].String() != tt.want {
				t.Errorf("ParseRules(%q) = %v, want the one problem %q", tt.data, err, tt.want)
			}
		})
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("rules:\n  - id: de.sterben\n    category: intent\n    tier: alert\n    language: de\n    patterns: [\"will sterben\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := safety.LoadRules(good)
	if err != nil || r.Len() != 1 || r.List()[0].File != good || r.List()[0].Line != 2 {
		t.Fatalf("LoadRules(good) = %v, %v", r, err)
	}
	_, err = safety.LoadRules(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot read: no such file or directory") {
		t.Errorf("LoadRules(missing) error = %v", err)
	}
	if _, err := safety.LoadRules(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("LoadRules(dir) error = %v", err)
	}
}

func TestExtend(t *testing.T) {
	more, err := safety.ParseRules("more.yaml", []byte(`rules:
  - id: en.burden
    category: burden
    tier: alert
    language: en
    patterns: ["burden"]
  - id: de.sterben
    category: intent
    tier: alert
    language: de
    patterns: ["will sterben"]
`))
	if err != nil {
		t.Fatal(err)
	}
	base := safety.DefaultRules()
	ext := base.Extend(more)
	if ext.Len() != base.Len()+1 {
		t.Errorf("Extend: %d rules, want %d (one replaced, one added)", ext.Len(), base.Len()+1)
	}
	net, err := safety.Compile(ext, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := net.Classify("en", "I am such a burden"); v.Tier != safety.TierAlert || v.Rule != "en.burden" {
		t.Errorf("replaced rule: %+v", v)
	}
	if v := net.Classify("de", "ich will sterben"); v.Rule != "de.sterben" {
		t.Errorf("added rule: %+v", v)
	}
	if v := safety.Default().Classify("en", "I am such a burden"); v.Tier != safety.TierCheck {
		t.Errorf("Extend changed the built-in rules: %+v", v)
	}
}

func asRulesError(err error, re **safety.RulesError) bool { return errors.As(err, re) }

// TestLexicons: "@name" in a pattern stands for every word of a lexicon,
// lexicons may include those above them, and a practice's file may use and
// extend the built-in ones.
func TestLexicons(t *testing.T) {
	net := mustRules(t, `
lexicons:
  fruit: [apple*, pear, blood orange]
  food: ["@fruit", bread]
rules:
  - id: eat
    category: intent
    tier: check
    language: en
    patterns: ["eat|ate .. @food"]
    unless: ["@fruit pie"]
`)
	for text, want := range map[string]safety.Tier{
		"I ate three apples":        safety.TierCheck,
		"we eat blood orange daily": safety.TierCheck,
		"eat the bread":             safety.TierCheck,
		"eat an orange":             safety.TierNone, // only "blood orange" is in the lexicon
		"I ate pear pie":            safety.TierNone,
		"eat the cake":              safety.TierNone,
	} {
		if got := net.Classify("en", text).Tier; got != want {
			t.Errorf("Classify(%q) = %s, want %s", text, got, want)
		}
	}

	practice := mustRules(t, `
lexicons:
  en.means: ["@en.means", harpoon]
rules:
  - id: practice.means
    category: plan
    tier: alert
    language: en
    patterns: ["@en.means .. tonight"]
`)
	for _, text := range []string{"the harpoon, tonight", "the rope tonight"} {
		if got := practice.Classify("en", text).Tier; got != safety.TierAlert {
			t.Errorf("practice rules: Classify(%q) = %s, want alert", text, got)
		}
	}
}

// TestWithContext: a rule with "with" fires only when one of those patterns
// is found somewhere in the message too, in any sentence.
func TestWithContext(t *testing.T) {
	net := mustRules(t, `
rules:
  - id: will
    category: preparing
    tier: check
    language: en
    patterns: ["wrote|made my will"]
    with: ["not need|be_here", "goodbye"]
`)
	for text, want := range map[string]safety.Tier{
		"I made my will": safety.TierNone,
		"I made my will. I won't need anything soon": safety.TierCheck,
		"goodbye. I wrote my will":                   safety.TierCheck,
		"I won't be here, I wrote my will":           safety.TierCheck,
		"we wrote my will with the notary":           safety.TierNone,
	} {
		if got := net.Classify("en", text).Tier; got != want {
			t.Errorf("Classify(%q) = %s, want %s", text, got, want)
		}
	}
}

func TestLexiconProblems(t *testing.T) {
	for _, tt := range []struct{ name, data, want string }{
		{"unknown in pattern", "rules:\n  - id: a\n    category: intent\n    tier: alert\n    language: en\n    patterns: [\"@nope .. die\"]\n",
			`f.yaml:6: rules[0].patterns[0]: "@nope .. die": @nope: no lexicon of that name (lexicons are defined under lexicons:, before they are used)`},
		{"not a list", "lexicons:\n  a: b\nrules: []\n", `f.yaml:2: lexicons.a: expected a list of words (lines starting with "- "), found "b"`},
		{"alternation", "lexicons:\n  a: [\"x|y\"]\nrules: []\n", `f.yaml:2: lexicons.a[0]: "x|y": a lexicon entry is one alternative: words, * and @lexicon, without | ? or ..`},
		{"unknown include", "lexicons:\n  a: [\"@b\"]\n  b: [x]\nrules: []\n", `f.yaml:2: lexicons.a[0]: @b: no lexicon of that name, built in or above this one`},
		{"itself", "lexicons:\n  a: [\"@a\"]\nrules: []\n", `f.yaml:2: lexicons.a[0]: @a: no lexicon of that name, built in or above this one`},
		{"twice", "lexicons:\n  a: [x]\n  a: [y]\nrules: []\n", `f.yaml:3: lexicons.a: is written twice`},
		{"bad name", "lexicons:\n  A B: [x]\nrules: []\n", `f.yaml:2: lexicons.A B: use lowercase letters, digits, _ and . only, starting with a letter or digit, at most 64`},
		{"short prefix", "lexicons:\n  a: [\"ki*\"]\nrules: []\n", `f.yaml:2: lexicons.a[0]: "ki"*: a prefix needs at least 3 letters`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := safety.ParseRules("f.yaml", []byte(tt.data))
			var re *safety.RulesError
			if !asRulesError(err, &re) {
				t.Fatalf("ParseRules(%q) = %v, want problems", tt.data, err)
			}
			var got []string
			for _, p := range re.Problems {
				got = append(got, p.String())
			}
			if !slices.Contains(got, tt.want) {
				t.Errorf("problems:\n%s\nwant among them:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}
