package safety_test

import (
	"bufio"
	"fmt"
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

func readCorpus(tb testing.TB) []corpusLine {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus.*.tsv"))
	held, err2 := filepath.Glob(filepath.Join("testdata", "heldout.*.tsv"))
	files = append(files, held...)
	if err != nil || err2 != nil || len(files) == 0 {
		tb.Fatalf("no corpus files: %v", err)
	}
	var out []corpusLine
	for _, file := range files {
		set, rest, _ := strings.Cut(filepath.Base(file), ".")
		lang := strings.TrimSuffix(rest, ".tsv")
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
type tally struct{ n, alert, check int }

func (t *tally) add(v safety.Verdict) {
	t.n++
	switch v.Tier {
	case safety.TierAlert:
		t.alert++
	case safety.TierCheck:
		t.check++
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
	corpus := readCorpus(t)
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
	for _, name := range []string{"corpus en", "corpus es", "heldout en", "heldout es", "all"} {
		g := groups[name]
		if g == nil {
			t.Fatalf("no messages in %s", name)
		}
		cr, nm, am := g["crisis"], g["near_miss"], g["ambiguous"]
		t.Logf("%-10s crisis at alert or check %s (alert %d, check %d); near misses at alert %s, at check %s; ambiguous: alert %d, check %d, none %d",
			name, pct(cr.alert+cr.check, cr.n), cr.alert, cr.check, pct(nm.alert, nm.n), pct(nm.check, nm.n),
			am.alert, am.check, am.n-am.alert-am.check)
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
	if n := groups["all"]["near_miss"].alert; n > 0 {
		t.Errorf("%d near misses reach alert, want none", n)
	}
}
