package safety_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"kindling/safety"
)

// FuzzMatch keeps Normalize's promises and checks that Match, kept for
// callers written before tiers, says what Classify says.
func FuzzMatch(f *testing.F) {
	f.Add("en", "I want to die")
	f.Add("es-MX", "Quiero MORÍR")
	f.Add("en", "this commute is killing me")
	net := safety.Default()
	f.Fuzz(func(t *testing.T, lang, text string) {
		norm := safety.Normalize(text)
		if again := safety.Normalize(norm); again != norm {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", text, norm, again)
		}
		if !utf8.ValidString(norm) {
			t.Fatalf("Normalize(%q) = %q, not UTF-8", text, norm)
		}
		if strings.HasPrefix(norm, " ") || strings.HasSuffix(norm, " ") || strings.Contains(norm, "  ") {
			t.Fatalf("Normalize(%q) = %q, spaces not collapsed", text, norm)
		}
		for _, r := range norm {
			// Some capitals have no lower case (ϔ): they stay.
			if r != ' ' && unicode.IsSpace(r) || unicode.ToLower(r) != r {
				t.Fatalf("Normalize(%q) = %q has %q", text, norm, r)
			}
		}
		m, ok := net.Match(lang, text)
		v := net.Classify(lang, text)
		if ok != (v.Tier != safety.TierNone) || m.Phrase != v.Rule || m.Language != v.Language {
			t.Fatalf("Match(%q) = %+v %v but Classify = %+v", text, m, ok, v)
		}
	})
}

// FuzzClassify checks what must hold for every message: a verdict names a
// rule of the net with that rule's tier, category and language; case does
// not matter for ASCII text; nor do runs of spaces, curly apostrophes or a
// sentence-neutral comma added at the end.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"I have the pills ready", "I'm k1lling myself tonight", "nobody would even notice if I was gone",
		"me mata la curiosidad", "tomé el ibuprofeno para la cabeza", "kill...myself", "I just want to... die",
		"i want to diiiie", "$uic1de", "no me siento segura de mi decisión", "",
	} {
		f.Add("en", s)
	}
	net := safety.Default()
	rulesOnly, err := safety.Compile(safety.DefaultRules(), nil)
	if err != nil {
		f.Fatal(err)
	}
	rules := map[string]safety.Rule{}
	for _, r := range net.Rules() {
		rules[r.ID] = r
	}
	f.Fuzz(func(t *testing.T, lang, text string) {
		v := net.Classify(lang, text)
		if v.Tier == safety.TierNone {
			if v != (safety.Verdict{}) {
				t.Fatalf("Classify(%q) = %+v: a rule named without a tier", text, v)
			}
		} else if v.Category == safety.LearnedCategory {
			// The learned check: a check, never an alert, named after the
			// client's language, and only when no rule fired.
			if v.Tier != safety.TierCheck || v.Rule != v.Language+".learned" || (v.Language != "en" && v.Language != "es") {
				t.Fatalf("Classify(%q) = %+v: not a learned check", text, v)
			}
			if r := rulesOnly.Classify(lang, text); r.Tier != safety.TierNone {
				t.Fatalf("Classify(%q) = %+v but the rules say %+v", text, v, r)
			}
		} else {
			r, ok := rules[v.Rule]
			if !ok || r.Tier != v.Tier || r.Category != v.Category || r.Language != v.Language {
				t.Fatalf("Classify(%q) = %+v, not what rule %+v says", text, v, r)
			}
		}
		if again := net.Classify(lang, text); again != v {
			t.Fatalf("Classify(%q) = %+v then %+v", text, v, again)
		}
		if isASCII(text) {
			if up := net.Classify(lang, strings.ToUpper(text)); up.Tier != v.Tier {
				t.Fatalf("Classify(%q) = %s but upper case = %s", text, v.Tier, up.Tier)
			}
		}
		if spaced := net.Classify(lang, strings.ReplaceAll(text, " ", "  ")); spaced.Tier != v.Tier {
			t.Fatalf("Classify(%q) = %s but with double spaces = %s", text, v.Tier, spaced.Tier)
		}
		if curly := net.Classify(lang, strings.ReplaceAll(text, "'", "’")); curly.Tier != v.Tier {
			t.Fatalf("Classify(%q) = %s but with curly apostrophes = %s", text, v.Tier, curly.Tier)
		}
	})
}

// FuzzParseRules feeds the rules-file loader anything: it never panics, and
// it returns either rules or a problem list, never both nor neither.
func FuzzParseRules(f *testing.F) {
	f.Add(string(safety.DefaultRulesSource()))
	f.Add(rulesWithProblems)
	f.Add("rules:\n  - id: a\n    category: intent\n    tier: alert\n    language: en\n    patterns: [\"a .. b|c* d? ..8 e\"]\n")
	f.Add("lexicons:\n  a: [x, y z, w*]\n  b: [\"@a\", v]\nrules:\n  - id: a\n    category: intent\n    tier: check\n    language: en\n    patterns: [\"@b .. q|@a\", \"me @a\"]\n    with: [\"@a\"]\n    unless: [\"@b? r\"]\n")
	f.Add("lexicons:\n  en.means: [\"@en.means\", harpoon]\nrules:\n  - id: b\n    category: plan\n    tier: alert\n    language: en\n    patterns: [\"@en.means ..2 @en.when\"]\n")
	f.Add("lexicons:\n  a: [\"@a\"]\n  b: [\"x|y\"]\nrules: []\n")
	f.Add("rules: &x [*x]\n")
	f.Add("gap: 9\nrules: {}\n")
	f.Fuzz(func(t *testing.T, data string) {
		r, err := safety.ParseRules("f.yaml", []byte(data))
		if (r == nil) == (err == nil) {
			t.Fatalf("ParseRules = %v, %v", r, err)
		}
		if err != nil {
			var re *safety.RulesError
			if !asRulesError(err, &re) || len(re.Problems) == 0 {
				t.Fatalf("ParseRules error %v is not a list of problems", err)
			}
			return
		}
		net, err := safety.Compile(r, nil)
		if err != nil {
			t.Fatalf("Compile of parsed rules: %v", err)
		}
		net.Classify("en", data)
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
