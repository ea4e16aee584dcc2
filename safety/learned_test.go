package safety

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The learned model is made from the committed data by this file: go
// generate ./safety runs TestLearnedModelFile with -update, which trains
// the models and writes learned/model.bin; without -update the test fails
// when the committed file is not what the data makes.

var update = flag.Bool("update", false, "write learned/model.bin from the training data")

const learnedFile = "learned/model.bin"

// learnedLangs are the languages with a model; others are left to the rules.
var learnedLangs = []string{"en", "es"}

// Training settings. lambda is the L2 penalty; the targets are the most
// false checks cross-validation may show on ordinary answers and on the near
// misses of the corpus when the threshold is chosen.
const (
	trainIters      = 800
	trainStep       = 2.0
	trainMomentum   = 0.9
	trainLambda     = 1e-4
	folds           = 5
	targetOrdinary  = 0.025
	targetNearMisss = 0.10
)

// example is one training message.
type example struct {
	text   string
	crisis bool
	kind   string // crisis, near_miss or ordinary
	ruled  bool   // the rules fire on it
	feats  []uint32
	spans  []int32 // each sentence's features (features)
	norm   float64 // 1/sqrt(len(feats))
}

// trainingData reads the training messages of lang: the crisis and near-miss
// messages of testdata/corpus.LANG.tsv (ambiguous ones are left out) and the
// ordinary answers of testdata/ordinary.LANG.txt, with a digest of both files.
func trainingData(tb testing.TB, lang string) ([]example, []byte) {
	tb.Helper()
	var raw []byte
	var out []example
	corpus, err := os.ReadFile(filepath.Join("testdata", "corpus."+lang+".tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	raw = append(raw, corpus...)
	for line := range strings.Lines(string(corpus)) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 || parts[0] == "ambiguous" {
			continue
		}
		out = append(out, example{text: parts[2], crisis: parts[0] == "crisis", kind: parts[0]})
	}
	ordinary, err := os.ReadFile(filepath.Join("testdata", "ordinary."+lang+".txt"))
	if err != nil {
		tb.Fatal(err)
	}
	raw = append(raw, ordinary...)
	sc := bufio.NewScanner(bytes.NewReader(ordinary))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, example{text: line, kind: "ordinary"})
	}
	rules, err := Compile(DefaultRules(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	var ts tokens
	for i := range out {
		e := &out[i]
		e.ruled = rules.Classify(lang, e.text).Tier != TierNone
		ts.tokenize(e.text)
		e.feats, e.spans = features(&ts, nil, nil)
		if len(e.feats) > 0 {
			e.norm = 1 / math.Sqrt(float64(len(e.feats)))
		}
	}
	return out, raw
}

// floatModel is a model before its weights are rounded.
type floatModel struct {
	bias float64
	w    []float64
}

// score is the whole message's score, which training fits.
func (m *floatModel) score(e *example) float64 {
	var s float64
	for _, b := range e.feats {
		s += m.w[b]
	}
	return m.bias + float64(s*e.norm)
}

// verdictScore is the score the check compares with its threshold, as
// learnedModel.score reads it: the highest of the whole message's and each
// sentence's.
func (m *floatModel) verdictScore(e *example) float64 {
	if len(e.feats) == 0 {
		return math.Inf(-1)
	}
	best := m.score(e)
	for k := 0; k+1 < len(e.spans); k += 2 {
		var s float64
		for _, b := range e.feats[e.spans[k]:e.spans[k+1]] {
			s += m.w[b]
		}
		best = max(best, m.bias+s/math.Sqrt(float64(e.spans[k+1]-e.spans[k])))
	}
	return best
}

// train fits an L2-regularised logistic regression by full-batch gradient
// descent with momentum, from zero weights, in a fixed order: the same data
// makes the same model. Products are converted explicitly so that no
// platform fuses them differently.
func train(exs []example) *floatModel {
	m := &floatModel{w: make([]float64, learnedBuckets)}
	grad := make([]float64, learnedBuckets)
	vel := make([]float64, learnedBuckets)
	var gb, vb float64
	n := float64(len(exs))
	for range trainIters {
		clear(grad)
		gb = 0
		for i := range exs {
			e := &exs[i]
			if len(e.feats) == 0 {
				continue
			}
			p := 1 / (1 + math.Exp(-m.score(e)))
			y := 0.0
			if e.crisis {
				y = 1
			}
			d := float64(p-y) / n
			gb += d
			g := float64(d * e.norm)
			for _, b := range e.feats {
				grad[b] += g
			}
		}
		for k := range m.w {
			g := grad[k] + float64(trainLambda*m.w[k])
			vel[k] = float64(trainMomentum*vel[k]) - float64(trainStep*g)
			m.w[k] += vel[k]
		}
		vb = float64(trainMomentum*vb) - float64(trainStep*gb)
		m.bias += vb
	}
	return m
}

// quantize rounds a model's weights to int16 with one scale.
func quantize(lang string, f *floatModel, threshold float64) *learnedModel {
	maxAbs := 0.0
	for _, w := range f.w {
		maxAbs = max(maxAbs, math.Abs(w))
	}
	// The threshold is rounded up, never down, so that float32 keeps what
	// cross-validation chose.
	t := float32(threshold)
	if float64(t) < threshold {
		t = math.Nextafter32(t, float32(math.Inf(1)))
	}
	m := &learnedModel{lang: lang, bias: float32(f.bias), threshold: t}
	scale := maxAbs / 32767
	if scale == 0 {
		scale = 1
	}
	m.scale = float32(scale)
	for i, w := range f.w {
		m.weights[i] = int16(math.Round(w / scale))
	}
	return m
}

// foldsOf puts each message in one of the folds, by groups of near
// paraphrases: two messages whose words (of three letters or more, as the
// tokenizer reads them) overlap by half or more (Jaccard) are in one group,
// and so is everything linked to them, and a group is never split between
// folds. Writers of a corpus vary one sentence several times ("I want to
// sleep and not wake up", "I just want to sleep and never wake up"); with
// the copies on both sides of a fold, cross-validation would measure how
// well the model remembers, not how it reads a message it has not seen. A
// group goes to the fold named by a hash of its first message's words.
func foldsOf(exs []example) (fold []int, groups int) {
	var ts tokens
	sets := make([]map[string]bool, len(exs))
	for i := range exs {
		ts.tokenize(exs[i].text)
		sets[i] = map[string]bool{}
		for k := range ts.toks {
			if w := ts.word(k); len(w) >= 3 {
				sets[i][string(w)] = true
			}
		}
	}
	parent := make([]int, len(exs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range exs {
		for j := i + 1; j < len(exs); j++ {
			a, b := sets[i], sets[j]
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			common := 0
			for w := range a {
				if b[w] {
					common++
				}
			}
			if 2*common >= len(a)+len(b)-common {
				ri, rj := find(i), find(j)
				parent[max(ri, rj)] = min(ri, rj)
			}
		}
	}
	fold = make([]int, len(exs))
	for i := range exs {
		if find(i) == i {
			groups++
		}
		h := sha256.Sum256([]byte(Normalize(exs[find(i)].text)))
		fold[i] = int(h[0]) % folds
	}
	return fold, groups
}

// crossValidated holds the out-of-fold scores of every example.
type crossValidated struct {
	exs    []example
	scores []float64
	groups int // groups of near paraphrases (foldsOf)
}

func crossValidate(exs []example) crossValidated {
	cv := crossValidated{exs: exs, scores: make([]float64, len(exs))}
	var fold []int
	fold, cv.groups = foldsOf(exs)
	for k := range folds {
		var trainSet []example
		for i := range exs {
			if fold[i] != k {
				trainSet = append(trainSet, exs[i])
			}
		}
		m := train(trainSet)
		for i := range exs {
			if fold[i] == k {
				cv.scores[i] = m.verdictScore(&exs[i])
			}
		}
	}
	return cv
}

// threshold is the lowest score that keeps the out-of-fold false checks
// within the targets: on ordinary answers and on near misses the rules
// leave quiet.
func (cv crossValidated) threshold() float64 {
	cut := func(kind string, target float64) float64 {
		var s []float64
		for i, e := range cv.exs {
			if e.kind == kind && !e.ruled {
				s = append(s, cv.scores[i])
			}
		}
		sort.Float64s(s)
		allowed := int(math.Floor(target * float64(len(s))))
		// Scores at or above the threshold are raised: put it just above the
		// (allowed+1)-th highest.
		return math.Nextafter(s[len(s)-1-allowed], math.Inf(1))
	}
	return max(cut("ordinary", targetOrdinary), cut("near_miss", targetNearMisss))
}

// figures are the cross-validated counts at a threshold.
type figures struct {
	crisis, crisisCaught             int // all crisis messages, raised by the model alone
	ruleMissed, ruleMissedCaught     int // crisis messages the rules miss, raised
	nearMiss, nearMissChecked        int // near misses the rules leave quiet, raised
	ordinary, ordinaryChecked        int // ordinary answers the rules leave quiet, raised
	ordinaryRuled, nearMissRuledByMe int
}

func (cv crossValidated) figures(t float64) figures {
	var f figures
	for i, e := range cv.exs {
		up := cv.scores[i] >= t
		switch e.kind {
		case "crisis":
			f.crisis++
			if up {
				f.crisisCaught++
			}
			if !e.ruled {
				f.ruleMissed++
				if up {
					f.ruleMissedCaught++
				}
			}
		case "near_miss":
			if !e.ruled {
				f.nearMiss++
				if up {
					f.nearMissChecked++
				}
			}
		case "ordinary":
			if e.ruled {
				f.ordinaryRuled++
				continue
			}
			f.ordinary++
			if up {
				f.ordinaryChecked++
			}
		}
	}
	return f
}

func ratio(a, n int) string {
	return fmt.Sprintf("%d/%d (%.1f%%)", a, n, 100*float64(a)/float64(max(n, 1)))
}

// buildLearned trains every language's model and returns the file.
func buildLearned(tb testing.TB) ([]byte, map[string]crossValidated, map[string]float64) {
	var models []*learnedModel
	var all []byte
	cvs, thresholds := map[string]crossValidated{}, map[string]float64{}
	for _, lang := range learnedLangs {
		exs, raw := trainingData(tb, lang)
		all = append(all, raw...)
		cv := crossValidate(exs)
		t := cv.threshold()
		cvs[lang], thresholds[lang] = cv, t
		models = append(models, quantize(lang, train(exs), t))
	}
	return encodeLearned(sha256.Sum256(all), models), cvs, thresholds
}

var builtLearned = struct {
	file       []byte
	cvs        map[string]crossValidated
	thresholds map[string]float64
}{}

func learnedBuild(tb testing.TB) ([]byte, map[string]crossValidated, map[string]float64) {
	if builtLearned.file == nil {
		builtLearned.file, builtLearned.cvs, builtLearned.thresholds = buildLearned(tb)
	}
	return builtLearned.file, builtLearned.cvs, builtLearned.thresholds
}

// TestLearnedModelFile fails when the committed model is not what the
// committed data makes (run go generate ./safety after changing the data).
func TestLearnedModelFile(t *testing.T) {
	file, _, _ := learnedBuild(t)
	if *update {
		if err := os.WriteFile(learnedFile, file, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", learnedFile, len(file))
		return
	}
	if !bytes.Equal(file, learnedModelFile) {
		want, wantDigest, err := decodeLearned(file)
		if err != nil {
			t.Fatal(err)
		}
		got, gotDigest, err := decodeLearned(learnedModelFile)
		if err != nil {
			t.Fatalf("committed %s: %v", learnedFile, err)
		}
		if wantDigest != gotDigest {
			t.Fatalf("%s was made from other training data: run go generate ./safety", learnedFile)
		}
		// The same data on another platform may round a weight the other
		// way; more than that is a model that drifted from its data.
		for _, lang := range learnedLangs {
			g, w := got[lang], want[lang]
			if g == nil || w == nil {
				t.Fatalf("%s: no model for %s", learnedFile, lang)
			}
			off := 0
			for i := range w.weights {
				if d := int(g.weights[i]) - int(w.weights[i]); d > 1 || d < -1 {
					off++
				}
			}
			if off > 0 || math.Abs(float64(g.threshold-w.threshold)) > 1e-3 || math.Abs(float64(g.bias-w.bias)) > 1e-3 {
				t.Errorf("%s: the %s model differs from what the data makes (%d weights): run go generate ./safety", learnedFile, lang, off)
			}
		}
	}
	if len(learnedModelFile) > 1<<20 {
		t.Errorf("%s is %d bytes, want under 1 MB", learnedFile, len(learnedModelFile))
	}
}

// TestLearnedCrossValidated holds the learned check to what 5-fold
// cross-validation on the training data shows at the committed threshold:
// every message is scored by a model trained without its fold, and near
// paraphrases share a fold (foldsOf).
func TestLearnedCrossValidated(t *testing.T) {
	_, cvs, _ := learnedBuild(t)
	floors := map[string]struct {
		recall, ordinary, nearMiss float64
	}{
		"en": {recall: 0.53, ordinary: 0.03, nearMiss: 0.10},
		"es": {recall: 0.40, ordinary: 0.03, nearMiss: 0.10},
	}
	for _, lang := range learnedLangs {
		cv := cvs[lang]
		m := learnedModels()[lang]
		f := cv.figures(float64(m.threshold))
		t.Logf("%s: %d messages in %d groups of near paraphrases, never split between folds", lang, len(cv.exs), cv.groups)
		t.Logf("%s threshold %.3f: crisis raised by the model alone %s; crisis the rules miss raised %s; near misses the rules leave quiet raised %s; ordinary answers raised %s (%d ordinary answers fire a rule)",
			lang, m.threshold, ratio(f.crisisCaught, f.crisis), ratio(f.ruleMissedCaught, f.ruleMissed),
			ratio(f.nearMissChecked, f.nearMiss), ratio(f.ordinaryChecked, f.ordinary), f.ordinaryRuled)
		for i, e := range cv.exs {
			if e.kind != "crisis" && !e.ruled && cv.scores[i] >= float64(m.threshold) {
				t.Logf("%s raised held out (%s, %.2f): %s", lang, e.kind, cv.scores[i], e.text)
			}
		}
		fl := floors[lang]
		if got := float64(f.crisisCaught) / float64(f.crisis); got < fl.recall {
			t.Errorf("%s: the model alone raises %.1f%% of crisis messages held out, want at least %.0f%%", lang, 100*got, 100*fl.recall)
		}
		if got := float64(f.ordinaryChecked) / float64(f.ordinary); got > fl.ordinary {
			t.Errorf("%s: %.1f%% of ordinary answers held out are raised to check, want at most %.0f%%", lang, 100*got, 100*fl.ordinary)
		}
		if got := float64(f.nearMissChecked) / float64(f.nearMiss); got > fl.nearMiss {
			t.Errorf("%s: %.1f%% of near misses held out are raised to check, want at most %.0f%%", lang, 100*got, 100*fl.nearMiss)
		}
		if n := len(slices.DeleteFunc(slices.Clone(cv.exs), func(e example) bool { return e.kind != "ordinary" })); n < map[string]int{"en": 400, "es": 200}[lang] {
			t.Errorf("%s: %d ordinary answers, want at least %d", lang, n, map[string]int{"en": 400, "es": 200}[lang])
		}
	}
}

// TestLearnedOnlyRaisesToCheck holds the learned check to its place under
// the rules, on every training message: when a rule fires its verdict is
// kept; when none does, the verdict is none or a check named en.learned or
// es.learned; a language without a model, or a net without the check, is
// the rules alone.
func TestLearnedOnlyRaisesToCheck(t *testing.T) {
	rules, err := Compile(DefaultRules(), nil)
	if err != nil {
		t.Fatal(err)
	}
	learned, err := Compile(DefaultRules(), nil)
	if err != nil {
		t.Fatal(err)
	}
	learned.UseLearned(true)
	raised := map[string]int{}
	for _, lang := range learnedLangs {
		exs, _ := trainingData(t, lang)
		for _, e := range exs {
			r, v := rules.Classify(lang, e.text), learned.Classify(lang, e.text)
			switch {
			case r.Tier != TierNone:
				if v != r {
					t.Errorf("%s %q: rules say %+v, with the learned check %+v", lang, e.text, r, v)
				}
			case v.Tier == TierNone:
			case v != (Verdict{Tier: TierCheck, Rule: lang + ".learned", Category: LearnedCategory, Language: lang}):
				t.Errorf("%s %q: learned verdict %+v", lang, e.text, v)
			default:
				raised[lang]++
				if o := learned.Classify("de", e.text); o.Tier != TierNone {
					t.Errorf("de %q: %+v, want the rules alone (none)", e.text, o)
				}
				if o := learned.Classify(lang+"-XX", e.text); o != v {
					t.Errorf("%s-XX %q: %+v, want %+v as for %s", lang, e.text, o, v, lang)
				}
				learned.UseLearned(false)
				if o := learned.Classify(lang, e.text); o.Tier != TierNone {
					t.Errorf("%s %q without the learned check: %+v", lang, e.text, o)
				}
				learned.UseLearned(true)
			}
		}
	}
	if raised["en"] == 0 {
		t.Errorf("en: the learned check raised no training message")
	}
	// Paraphrases no rule reads, and no training message is.
	for lang, text := range map[string]string{"en": "I want to run away from everything", "es": "ya no quiero seguir con todo esto"} {
		if v := Default().Classify(lang, text); v.Rule != lang+".learned" {
			t.Errorf("Default().Classify(%s, %q) = %+v, want the learned check", lang, text, v)
		}
		if v := rules.Classify(lang, text); v.Tier != TierNone {
			t.Errorf("the rules now read %q (%+v): pick another example", text, v)
		}
	}
}

// TestLearnedReadsEachSentence: a sentence the model raises on its own is
// still raised inside a long ordinary answer, whose other sentences would
// dilute it in the whole message's score; a fragment too short to be read
// alone is not.
func TestLearnedReadsEachSentence(t *testing.T) {
	const sign = "I want to run away from everything."
	answer := "Today was slow and grey. I walked to the park with my sister and we talked about the session, " +
		"which still feels close, and about her new job and the kids. We had soup at the place near the station. " +
		sign + " Tomorrow I want to try the breathing exercise again before work, and call my mother in the evening."
	m := learnedModels()["en"]
	var ts tokens
	ts.tokenize(answer)
	feats, spans := features(&ts, nil, nil)
	if len(spans) == 0 {
		t.Fatalf("no sentence spans in %q", answer)
	}
	if whole := m.score(feats, nil); whole >= m.threshold {
		t.Fatalf("the whole answer alone scores %.2f, at or above %.2f: pick a longer answer", whole, m.threshold)
	}
	if v := Default().Classify("en", answer); v.Rule != "en.learned" {
		t.Errorf("Classify(answer with %q) = %+v, want the learned check", sign, v)
	}
	if v := Default().Classify("en", strings.Replace(answer, sign, "", 1)); v.Tier != TierNone {
		t.Errorf("the answer without %q: %+v, want none", sign, v)
	}
	// Each span is one sentence's features, inside feats, in order.
	prev := int32(0)
	for k := 0; k+1 < len(spans); k += 2 {
		if spans[k] < prev || spans[k+1] <= spans[k] || int(spans[k+1]) > len(feats) {
			t.Fatalf("spans %v out of order for %d features", spans, len(feats))
		}
		prev = spans[k+1]
	}
	ts.tokenize("I walked to the park and slept well. I don't")
	if _, spans := features(&ts, nil, nil); len(spans) != 2 {
		t.Errorf("spans %v, want only the first sentence (the fragment is too short)", spans)
	}
}
