package safety_test

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kindling/safety"
)

// corpusLine is one labelled message of safety/testdata/corpus.*.tsv.
type corpusLine struct {
	file     string
	set      string // corpus (the rules were tuned on it) or heldout (never tuned on)
	line     int
	lang     string
	label    string // crisis, near_miss or ambiguous
	category string
	text     string
}

// corpusFiles lists the labelled files: corpus.LANG.tsv, tuned on, and any
// held-out set, never tuned on, named heldout.LANG.tsv or heldout.NAME.LANG.tsv
// (heldout.b.en.tsv is set "heldout.b" in English). No held-out file need be
// there: a new blind set is added by someone who has not seen the rules.
func corpusFiles(dir string) ([]string, error) {
	var files []string
	for _, glob := range []string{"corpus.*.tsv", "heldout*.tsv"} {
		m, err := filepath.Glob(filepath.Join(dir, glob))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	return files, nil
}

// corpusSet splits a corpus file's name into its set and its language, the
// part just before .tsv: "heldout.b.en.tsv" is set "heldout.b", language "en".
func corpusSet(file string) (set, lang string, ok bool) {
	name, ok := strings.CutSuffix(filepath.Base(file), ".tsv")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

func readCorpus(tb testing.TB, dir string) []corpusLine {
	tb.Helper()
	files, err := corpusFiles(dir)
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus files: %v", err)
	}
	var out []corpusLine
	for _, file := range files {
		set, lang, ok := corpusSet(file)
		if !ok {
			tb.Fatalf("%s: want a name such as corpus.en.tsv, heldout.en.tsv or heldout.b.en.tsv (the language just before .tsv)", file)
		}
		f, err := os.Open(file)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			parts := strings.SplitN(line, "\t", 3)
			if len(parts) != 3 {
				tb.Fatalf("%s:%d: want label<TAB>category<TAB>message", file, n)
			}
			c := corpusLine{file: file, set: set, line: n, lang: lang, label: parts[0], category: parts[1], text: parts[2]}
			if !slices.Contains([]string{"crisis", "near_miss", "ambiguous"}, c.label) {
				tb.Fatalf("%s:%d: label %q", file, n, c.label)
			}
			if !slices.Contains(safety.Categories, c.category) || c.category == "phrase" {
				tb.Fatalf("%s:%d: category %q", file, n, c.category)
			}
			out = append(out, c)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// tally counts the verdicts on one group of corpus messages.
type tally struct{ n, alert, check, learned, rulesReached int }

func (t *tally) add(v safety.Verdict) {
	t.n++
	switch v.Tier {
	case safety.TierAlert:
		t.alert++
	case safety.TierCheck:
		t.check++
	}
	if v.Category == safety.LearnedCategory {
		t.learned++
	}
}

func pct(a, n int) string {
	return fmt.Sprintf("%d/%d (%.1f%%)", a, n, 100*float64(a)/float64(max(n, 1)))
}

// TestCorpus holds the built-in rules to the bounds of issue 10 on messages
// written by the team (testdata/corpus.*.tsv): at least 95% of crisis
// messages reach alert or check, no near miss reaches alert, at most 3% of
// near misses reach check. It also reports the net on testdata/heldout.*.tsv,
// messages written after the rules were last tuned and never tuned against:
// those figures, lower, are the honest estimate. The README quotes both.
func TestCorpus(t *testing.T) {
	net := safety.Default()
	rulesOnly, err := safety.Compile(safety.DefaultRules(), nil)
	if err != nil {
		t.Fatal(err)
	}
	corpus := readCorpus(t, "testdata")
	groups := map[string]map[string]*tally{} // "corpus en", "heldout es", "all" -> label -> tally
	group := func(name string) map[string]*tally {
		if groups[name] == nil {
			groups[name] = map[string]*tally{"crisis": {}, "near_miss": {}, "ambiguous": {}}
		}
		return groups[name]
	}
	covered := map[string]bool{} // "en intent"
	for _, c := range corpus {
		v := net.Classify(c.lang, c.text)
		group(c.set + " " + c.lang)[c.label].add(v)
		group("all")[c.label].add(v)
		if rulesOnly.Classify(c.lang, c.text).Tier != safety.TierNone {
			group(c.set + " " + c.lang)[c.label].rulesReached++
			group("all")[c.label].rulesReached++
		}
		if c.label == "crisis" && c.set == "corpus" {
			covered[c.lang+" "+c.category] = true
		}
		switch {
		case c.label == "crisis" && v.Tier == safety.TierNone:
			t.Logf("missed  %s:%d [%s] %s", filepath.Base(c.file), c.line, c.category, c.text)
		case c.label == "near_miss" && v.Tier != safety.TierNone:
			t.Logf("fired   %s:%d %s %s: %s", filepath.Base(c.file), c.line, v.Tier, v.Rule, c.text)
		}
	}
	for _, name := range []string{"corpus en", "corpus es"} {
		if groups[name] == nil {
			t.Fatalf("no messages in %s", name)
		}
	}
	names := slices.Sorted(maps.Keys(groups))
	names = append(slices.DeleteFunc(names, func(s string) bool { return s == "all" }), "all")
	for _, name := range names {
		g := groups[name]
		cr, nm, am := g["crisis"], g["near_miss"], g["ambiguous"]
		t.Logf("%-12s crisis at alert or check %s (alert %d, check %d); near misses at alert %s, at check %s; ambiguous: alert %d, check %d, none %d",
			name, pct(cr.alert+cr.check, cr.n), cr.alert, cr.check, pct(nm.alert, nm.n), pct(nm.check, nm.n),
			am.alert, am.check, am.n-am.alert-am.check)
		t.Logf("%-12s of which the learned check: crisis %d, near misses %d; the rules alone: crisis at alert or check %s, near misses at alert or check %s",
			name, cr.learned, nm.learned, pct(cr.rulesReached, cr.n), pct(nm.rulesReached, nm.n))
	}
	for lang, least := range map[string]int{"en": 220, "es": 110} {
		g := groups["corpus "+lang]
		if n := g["crisis"].n + g["near_miss"].n + g["ambiguous"].n; n < least {
			t.Errorf("corpus.%s.tsv has %d messages, want at least %d", lang, n, least)
		}
		for _, cat := range safety.Categories {
			if cat != "phrase" && !covered[lang+" "+cat] {
				t.Errorf("corpus.%s.tsv has no crisis message of category %s", lang, cat)
			}
		}
	}
	// The bounds of issue 10 hold on the corpus the rules were tuned on;
	// the held-out files only estimate the net on unseen messages, and no
	// near miss may reach alert in either.
	cr, nm := &tally{}, &tally{}
	for _, lang := range []string{"en", "es"} {
		g := groups["corpus "+lang]
		cr.n, cr.alert, cr.check = cr.n+g["crisis"].n, cr.alert+g["crisis"].alert, cr.check+g["crisis"].check
		nm.n, nm.alert, nm.check = nm.n+g["near_miss"].n, nm.alert+g["near_miss"].alert, nm.check+g["near_miss"].check
	}
	t.Logf("corpus     crisis at alert or check %s; near misses at check %s", pct(cr.alert+cr.check, cr.n), pct(nm.check, nm.n))
	if got := float64(cr.alert+cr.check) / float64(cr.n); got < 0.95 {
		t.Errorf("%.1f%% of crisis messages of the corpus reach alert or check, want at least 95%%", 100*got)
	}
	if got := float64(nm.check) / float64(nm.n); got > 0.03 {
		t.Errorf("%.1f%% of near misses of the corpus reach check, want at most 3%%", 100*got)
	}
	if n := nm.alert; n > 0 {
		t.Errorf("%d near misses of the corpus reach alert, want none", n)
	}
	// A held-out set was written by someone who never saw the rules; it
	// is never tuned against, so its bounds only guard against the net
	// getting worse on messages it has not seen: half of the crisis
	// messages or more caught, at most 15% of near misses at alert (the
	// net errs towards alerting on recovery stories, which tell of a past
	// attempt or self-harm in the same words).
	for _, name := range names {
		if strings.HasPrefix(name, "corpus ") || name == "all" {
			continue
		}
		g := groups[name]
		if cr := g["crisis"]; cr.n > 0 && float64(cr.alert+cr.check) < 0.5*float64(cr.n) {
			t.Errorf("%s: %s of crisis messages reach alert or check, want at least half", name, pct(cr.alert+cr.check, cr.n))
		}
		if nm := g["near_miss"]; nm.n > 0 && float64(nm.alert) > 0.15*float64(nm.n) {
			t.Errorf("%s: %s of near misses reach alert, want at most 15%%", name, pct(nm.alert, nm.n))
		}
	}
}

// TestCorpusFiles holds the corpus test to reading a blind set added later
// under any of the names it accepts, each its own group with the language
// taken from just before .tsv.
func TestCorpusFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"corpus.en.tsv":      "crisis\tintent\tI want to die\n",
		"corpus.es.tsv":      "# a comment\n\nnear_miss\tintent\tme mata la curiosidad\n",
		"heldout.b.en.tsv":   "crisis\tgoodbye\tby tomorrow I will not be here\n",
		"heldout.b.es.tsv":   "crisis\thopeless\tya no puedo seguir\n",
		"heldout.es-MX.tsv":  "crisis\tintent\tquiero morirme\n",
		"heldout2.en.tsv":    "near_miss\tintent\tthis commute is killing me\n",
		"notes.txt":          "not a corpus file\n",
		"legacy_phrases.tsv": "not read here\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for _, c := range readCorpus(t, dir) {
		got[c.set+" "+c.lang] = c.text
	}
	want := map[string]string{
		"corpus en":     "I want to die",
		"corpus es":     "me mata la curiosidad",
		"heldout.b en":  "by tomorrow I will not be here",
		"heldout.b es":  "ya no puedo seguir",
		"heldout es-MX": "quiero morirme",
		"heldout2 en":   "this commute is killing me",
	}
	if !maps.Equal(got, want) {
		t.Errorf("groups read = %v, want %v", got, want)
	}
	for _, bad := range []string{"heldout.tsv", "heldout..tsv", ".en.tsv", "heldout.en.txt"} {
		if _, _, ok := corpusSet(bad); ok {
			t.Errorf("corpusSet(%q) accepted a name without a language", bad)
		}
	}
}
