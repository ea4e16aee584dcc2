package safety_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kindling/safety"
)

// mustRules compiles a rules file given as text, for tests of the engine.
func mustRules(tb testing.TB, yaml string) *safety.Net {
	tb.Helper()
	r, err := safety.ParseRules("test.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("ParseRules:\n%v", err)
	}
	n, err := safety.Compile(r, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestClassifyFires(t *testing.T) {
	net := safety.Default()
	tests := []struct {
		name, lang, text string
		tier             safety.Tier
		rule             string
	}{
		// The messages issue 10 found silent.
		{"pills ready", "en", "I have the pills ready", safety.TierAlert, "en.plan.means-ready"},
		{"leetspeak", "en", "I'm k1lling myself tonight", safety.TierAlert, "en.intent.kill-myself"},
		{"affairs in order", "en", "I've put my affairs in order, just in case", safety.TierCheck, "en.preparing.affairs"},
		{"nobody would notice", "en", "nobody would even notice if I was gone", safety.TierCheck, "en.burden"},

		{"plain", "en", "I want to die", safety.TierAlert, "en.intent.want-to-die"},
		{"caps and full stop", "en", "I just WANT TO DIE.", safety.TierAlert, "en.concept.intent"},
		{"slang", "en", "honestly i wanna die lol", safety.TierAlert, "en.intent.want-to-die"},
		{"repeated letters", "en", "i want to diiiie", safety.TierAlert, "en.intent.want-to-die"},
		{"digits for letters", "en", "i want t0 d1e", safety.TierAlert, "en.intent.want-to-die"},
		{"symbols for letters", "en", "thinking about $uic1de", safety.TierAlert, "en.intent.suicide"},
		{"unalive", "en", "i want to unalive myself", safety.TierAlert, "en.concept.intent"},
		{"kms", "en", "gonna kms", safety.TierAlert, "en.concept.intent"},
		{"ing form", "en", "I keep thinking about killing myself", safety.TierAlert, "en.concept.intent"},
		{"no apostrophe", "en", "i dont want to live anymore", safety.TierAlert, "en.intent.kill-myself"},
		{"curly apostrophe", "en", "I don’t feel safe with myself", safety.TierAlert, "en.unsafe"},
		{"punctuation between words", "en", "kill...myself", safety.TierAlert, "en.intent.kill-myself"},
		{"line break between words", "en", "I want to\nend my\nlife", safety.TierAlert, "en.concept.intent"},
		{"ellipsis is not a sentence end", "en", "I just want to... die", safety.TierAlert, "en.concept.intent"},
		{"emoji around", "en", "😞i want to die😞", safety.TierAlert, "en.intent.want-to-die"},
		{"inside a long answer", "en", "The session helped. " + strings.Repeat("Work was fine. ", 200) + "But at night I want to die. Anyway.", safety.TierAlert, "en.intent.want-to-die"},
		{"words between parts", "en", "I've got all of my sleeping pills lined up", safety.TierAlert, "en.plan.means-ready"},
		{"attempt", "en", "I took all my pills on purpose", safety.TierAlert, "en.attempt"},
		{"self-harm", "en", "I cut myself again last night", safety.TierAlert, "en.self-harm"},
		{"hopeless", "en", "I can't go on like this", safety.TierCheck, "en.hopeless"},
		{"disappear", "en", "I want to go to sleep and never wake up", safety.TierCheck, "en.disappear"},
		{"goodbye", "en", "this is goodbye", safety.TierCheck, "en.goodbye"},
		{"highest tier wins", "en", "I'm such a burden. I want to die.", safety.TierAlert, "en.intent.want-to-die"},

		{"quiero morir", "es", "Quiero morir", safety.TierAlert, "es.intent.querer-morir"},
		{"misspelt", "es", "kiero morir", safety.TierAlert, "es.intent.querer-morir"},
		{"inflection", "es", "a veces quiero morirme ya", safety.TierAlert, "es.intent.querer-morir"},
		{"accent dropped", "es", "tengo ganas de hacerme dano", safety.TierAlert, "es.concept.self-harm"},
		{"decomposed accent", "es", "tengo ganas de hacerme dan\u0303o", safety.TierAlert, "es.concept.self-harm"},
		{"pills ready in Spanish", "es", "tengo las pastillas listas", safety.TierAlert, "es.plan.medios-listos"},
		{"ya no puedo más", "es", "ya no puedo más", safety.TierCheck, "es.hopeless"},
		{"burden in Spanish", "es", "todos estarian mejor sin mi", safety.TierCheck, "es.burden"},
		{"region tag", "es-MX", "quiero morir", safety.TierAlert, "es.intent.querer-morir"},
		{"English from a Spanish speaker", "es", "I want to die", safety.TierAlert, "en.intent.want-to-die"},
		{"Spanish from an English speaker", "en", "la verdad, quiero morir", safety.TierAlert, "es.intent.querer-morir"},
		{"unknown language", "fr", "je sais pas, I want to die", safety.TierAlert, "en.intent.want-to-die"},
		{"no language", "", "want to die", safety.TierAlert, "en.intent.want-to-die"},

		// Signs said in words no rule spelt out, read by the concepts they
		// combine (see the lexicons of the rules file).
		{"note for whoever finds me", "en", "I wrote a note for whoever finds me", safety.TierAlert, "en.concept.preparing"},
		{"relieved if I was gone", "en", "everyone would be relieved if I was gone", safety.TierCheck, "en.concept.burden"},
		{"nothing left for me", "en", "there's nothing left for me here", safety.TierCheck, "en.concept.hopeless"},
		{"not here tomorrow", "en", "by tomorrow I won't be here", safety.TierCheck, "en.concept.goodbye"},
		{"which pills", "en", "I know which pills I'd take", safety.TierAlert, "en.concept.means"},
		{"engine in the garage", "en", "I'm sitting in my car with the engine running in the garage", safety.TierAlert, "en.concept.means"},
		{"own funeral", "en", "I keep picturing my own funeral and feeling relieved", safety.TierCheck, "en.concept.means-held"},
		{"the bridge differently", "en", "I've been looking at the bridge near my work differently", safety.TierCheck, "en.concept.means-held"},
		{"jump with a place elsewhere", "en", "I'm on the train platform. I want to jump", safety.TierAlert, "en.concept.means"},
		{"esta noche me mato", "es", "esta noche me mato", safety.TierAlert, "es.concept.intent"},
		{"la soga", "es", "tengo la soga en el armario", safety.TierCheck, "es.concept.plan-check"},
		{"puente y saltar", "es", "estoy en el puente y quiero saltar", safety.TierAlert, "es.concept.plan"},
		{"ya no puedo seguir", "es", "ya no puedo seguir", safety.TierCheck, "es.concept.hopeless"},
		{"dormirme para siempre", "es", "quisiera dormirme para siempre", safety.TierCheck, "es.concept.disappear"},
		{"not caring what happens", "en", "I've stopped taking my meds and I don't care what happens", safety.TierCheck, "en.concept.hopeless"},
		{"if I did not exist", "en", "lol imagine if I just didn't exist tomorrow", safety.TierCheck, "en.concept.death-welcome"},
		{"quemo la piel", "es", "me quemo la piel con el mechero", safety.TierAlert, "es.concept.self-harm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := net.Classify(tt.lang, tt.text)
			if v.Tier != tt.tier || v.Rule != tt.rule {
				t.Errorf("Classify(%q, %q) = %s %s, want %s %s", tt.lang, tt.text, v.Tier, v.Rule, tt.tier, tt.rule)
			}
			if v.Category == "" || v.Language == "" {
				t.Errorf("Classify(%q) = %+v: no category or language", tt.text, v)
			}
		})
	}
}

// nearMisses are everyday idioms that must stay quiet. They are listed in
// doc.go too: keep the two in step.
var nearMisses = []struct{ lang, text string }{
	{"en", "this deadline will be the death of me"},
	{"en", "we totally killed that game"},
	{"en", "this commute is killing me"},
	{"en", "I'd die for a coffee"},
	{"en", "the suspense is killing me"},
	{"en", "my feet are killing me"},
	{"en", "I'd die for a full night's sleep"},
	{"en", "I'm dying to see my sister"},
	{"en", "I laughed so hard I nearly died"},
	{"en", "dead tired"},
	{"en", "my phone died"},
	{"en", "my battery is dead"},
	{"en", "I could kill for a coffee"},
	{"en", "this traffic is murder"},
	{"en", "we killed it at the presentation"},
	{"en", "killing time before my session"},
	{"en", "that joke killed me"},
	{"en", "I'm dead 😂"},
	{"en", "I skilled myself up in Go this week"},
	{"en", "I want to dive into this book"},
	{"en", "the roads are not safe in the snow"},
	{"en", "I overdid it at the gym"},
	{"en", "I cut myself shaving"},
	{"en", "cutting myself some slack this week"},
	{"en", "I hurt myself at the gym"},
	{"en", "I can't go on the trip"},
	{"en", "we watched Suicide Squad"},
	{"en", "I want to die my hair blue"},
	{"en", "a sugar overdose"},
	{"en", "I'm proud of myself"},
	{"en", "I ran 5 kms this morning"},
	{"en", "I'm dead tired"},
	{"en", "I took my meds this morning"},
	{"es", "me quiero morir de vergüenza"},
	{"es", "no me siento segura de mi decisión"},
	{"es", "me mata la curiosidad"},
	{"es", "tomé el ibuprofeno para la cabeza"},
	{"es", "me muero de risa"},
	{"es", "me mata el calor"},
	{"es", "me muero de ganas de verte"},
	{"es", "me muero de hambre"},
	{"es", "estoy muerta de cansancio"},
	{"es", "me mato trabajando para pagar el alquiler"},
	{"es", "este tráfico es mortal"},
	{"es", "mañana voy a cortarme el pelo"},
	{"es", "tengo que acabar con todo el trabajo"},
	{"es", "mi abuela murió el año pasado"},
	{"es", "mi madre va a matarme si llego tarde"},
	{"es", "me voy a matar estudiando"},
	{"es", "una sobredosis de azúcar"},
}

func TestClassifyNearMisses(t *testing.T) {
	net := safety.Default()
	for _, tt := range nearMisses {
		t.Run(tt.text, func(t *testing.T) {
			for _, lang := range []string{tt.lang, "en", "es"} {
				if v := net.Classify(lang, tt.text); v.Tier != safety.TierNone {
					t.Errorf("Classify(%q, %q) = %s %s, want none", lang, tt.text, v.Tier, v.Rule)
				}
			}
		})
	}
}

// TestClassifyKnownMisses pins what doc.go says the net misses. If the rules
// come to catch one, move it to TestClassifyFires and update doc.go.
func TestClassifyKnownMisses(t *testing.T) {
	net := safety.Default()
	for _, text := range []string{
		"I left a note on the kitchen table",
		"the water looks so calm from up here",
		"el agua se ve tan tranquila desde aquí arriba",
	} {
		if v := net.Classify("en", text); v.Tier != safety.TierNone {
			t.Errorf("Classify(%q) = %s %s; update doc.go's list of misses", text, v.Tier, v.Rule)
		}
	}
}

// TestLegacyPhrases: every phrase of the lists kindling shipped before the
// rules still reaches at least check, also shouted and with curly
// apostrophes inside a sentence.
func TestLegacyPhrases(t *testing.T) {
	net := safety.Default()
	f, err := os.Open(filepath.Join("testdata", "legacy_phrases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		lang, phrase, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(lang, "#") {
			continue
		}
		n++
		for _, text := range []string{phrase, strings.ToUpper(phrase), "well. " + strings.ReplaceAll(phrase, "'", "’") + ", really"} {
			if v := net.Classify(lang, text); v.Tier == safety.TierNone {
				t.Errorf("Classify(%q, %q) = none, want check or alert", lang, text)
			}
		}
	}
	if n < 100 {
		t.Errorf("legacy_phrases.tsv has %d phrases", n)
	}
}

const engineRules = `
rules:
  - id: ready
    category: plan
    tier: alert
    language: en
    patterns: ["have .. pill* .. ready"]
  - id: tired
    category: hopeless
    tier: check
    language: en
    patterns: ["so? tired of|with it_all|everything"]
    unless: ["tired of the rain"]
  - id: gapped
    category: goodbye
    tier: check
    language: en
    patterns: ["say ..1 goodbye"]
  - id: self-harm
    category: self_harm
    tier: alert
    language: en
    patterns: ["self-harm", "selfharm"]
  - id: fr.suicide
    category: intent
    tier: alert
    language: fr
    patterns: ["suicide"]
  - id: en.suicide
    category: intent
    tier: alert
    language: en
    patterns: ["suicide"]
`

func TestPatterns(t *testing.T) {
	net := mustRules(t, engineRules)
	for _, tt := range []struct {
		text, rule string
	}{
		{"I have the pills ready", "ready"},
		{"i have all my pills ready", "ready"},             // up to 3 words in each gap, prefix
		{"I HAVE THE PILLLLS READY", "ready"},              // case, repeated letters
		{"I have the pills. Ready for work?", ""},          // no match across a sentence end
		{"I have the pills; ready", ""},                    // nor a semicolon
		{"I have a lot of the pills ready", ""},            // four words is more than the gap
		{"so tired of it all", "tired"},                    // optional part present
		{"tired with everything", "tired"},                 // left out; alternatives
		{"I'm tired of it all, tired of the rain too", ""}, // exception nearby, same sentence
		{"I'm tired of the rain. Tired of it all.", "tired"},
		{"tired of it all " + strings.Repeat("and so on ", 4) + "tired of the rain", "tired"}, // exception too far
		{"say a goodbye", "gapped"},
		{"say a long goodbye", ""}, // ..1
		{"self harm", "self-harm"},
		{"self-harm", "self-harm"},
		{"selfharm", "self-harm"},
		{"skill myself", ""},
		{"", ""},
		{"   ", ""},
	} {
		v := net.Classify("en", tt.text)
		if v.Rule != tt.rule {
			t.Errorf("Classify(%q) = %q, want %q", tt.text, v.Rule, tt.rule)
		}
	}
}

func TestClassifyNamesTheClientsLanguage(t *testing.T) {
	net := mustRules(t, engineRules)
	for lang, want := range map[string]string{"fr-CA": "fr.suicide", "en": "en.suicide", "es": "fr.suicide"} {
		if v := net.Classify(lang, "suicide"); v.Rule != want {
			t.Errorf("Classify(%q).Rule = %q, want %q", lang, v.Rule, want)
		}
	}
}

func TestMatchCountsBothTiers(t *testing.T) {
	net := safety.Default()
	for text, want := range map[string]bool{
		"I want to die":                    true,
		"nobody would miss me":             true,
		"this commute is killing me":       false,
		"the session went well, thank you": false,
	} {
		m, ok := net.Match("en", text)
		if ok != want {
			t.Errorf("Match(%q) = %v, want %v", text, ok, want)
		}
		if v := net.Classify("en", text); ok && (m.Phrase != v.Rule || m.Language != v.Language) {
			t.Errorf("Match(%q) = %+v, Classify = %+v", text, m, v)
		}
	}
}

func TestCompilePhrases(t *testing.T) {
	net, err := safety.Compile(safety.DefaultRules(), map[string][]string{"de": {"Ich will nicht mehr leben"}, "en-GB": {"I'm at the end of my rope"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang, text string
		want       safety.Verdict
	}{
		{"de", "ich will nicht mehr leben.", safety.Verdict{Tier: safety.TierAlert, Rule: "phrase:Ich will nicht mehr leben", Category: "phrase", Language: "de"}},
		{"en", "honestly im at the end of my rope", safety.Verdict{Tier: safety.TierAlert, Rule: "phrase:I'm at the end of my rope", Category: "phrase", Language: "en"}},
		{"en", "I want to die", safety.Verdict{Tier: safety.TierAlert, Rule: "en.intent.want-to-die", Category: "intent", Language: "en"}},
		{"de", "ich will leben", safety.Verdict{}},
	} {
		if got := net.Classify(tt.lang, tt.text); got != tt.want {
			t.Errorf("Classify(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		phrases map[string][]string
		want    error
		names   string
	}{
		{"empty phrase", map[string][]string{"en": {"want to die", ""}}, safety.ErrEmptyPhrase, "phrases.en[1]"},
		{"punctuation only", map[string][]string{"en": {"?!…"}}, safety.ErrEmptyPhrase, "phrases.en[0]"},
		{"empty language", map[string][]string{"": {"want to die"}}, safety.ErrBadLanguage, `language ""`},
		{"not a tag", map[string][]string{"english!": {"want to die"}}, safety.ErrBadLanguage, `language "english!"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := safety.Compile(safety.DefaultRules(), tt.phrases)
			if !errors.Is(err, tt.want) || n != nil {
				t.Fatalf("Compile() = %v, %v, want %v", n, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not name %q", err, tt.names)
			}
		})
	}
	if _, err := safety.Compile(nil, nil); !errors.Is(err, safety.ErrNoPhrases) {
		t.Errorf("Compile(nil, nil) error = %v, want ErrNoPhrases", err)
	}
	if n, err := safety.Compile(nil, map[string][]string{"en": {"help me"}}); err != nil || n.Classify("en", "please help me").Tier != safety.TierAlert {
		t.Errorf("a net of phrases alone does not work: %v", err)
	}
}

func TestCompileCopiesPhrases(t *testing.T) {
	phrases := map[string][]string{"de": {"ich will sterben"}}
	net, err := safety.New(phrases)
	if err != nil {
		t.Fatal(err)
	}
	phrases["de"][0] = "hallo"
	if net.Classify("de", "ich will sterben").Tier != safety.TierAlert {
		t.Error("changing the caller's map changed the Net")
	}
}

// BenchmarkClassify4000 classifies a long, ordinary reflection (English with
// Spanish mixed in, and idioms that are near misses) that fires no rule:
// the worst case, as every word is looked at. The target is 100 µs.
func BenchmarkClassify4000(b *testing.B) {
	net := safety.Default()
	var sb strings.Builder
	words := strings.Fields("Today I noticed that the session still feels close. I walked to the park, " +
		"called my sister, and the commute was killing me but I'd die for a full night's sleep. " +
		"Me muero de ganas de verte, le dije a mi mamá. I don't feel rushed anymore; things are quieter. " +
		"I took my pills with breakfast and we talked about the bridge we crossed last summer.")
	for i := 0; sb.Len() < 4000; i++ {
		sb.WriteString(words[i%len(words)])
		sb.WriteByte(' ')
	}
	text := sb.String()[:4000]
	if v := net.Classify("en", text); v.Tier != safety.TierNone {
		b.Fatalf("benchmark text fired %s %s", v.Tier, v.Rule)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		net.Classify("en", text)
	}
}

// TestPairedIndex: a pattern starting with a lone everyday word followed at
// once by another part is indexed by both words; it still reads leetspeak,
// both readings of "1", line breaks and prefixes in the second word, and
// still never across the end of a sentence.
func TestPairedIndex(t *testing.T) {
	net := mustRules(t, `
rules:
  - id: pair
    category: intent
    tier: alert
    language: es
    patterns: ["me mato|suicido|ahorc*", "i am lost|lonely"]
`)
	for text, want := range map[string]safety.Tier{
		"esta noche me mato": safety.TierAlert,
		"ME  M4TO":           safety.TierAlert,
		"me\nsuicido":        safety.TierAlert,
		"me ahorcaré":        safety.TierAlert,
		"I'm l0st":           safety.TierAlert,
		"I am 1onely":        safety.TierAlert,
		"me. mato":           safety.TierNone,
		"me gusta, mato":     safety.TierNone,
		"mato me":            safety.TierNone,
		"i am not lost":      safety.TierNone,
	} {
		if got := net.Classify("es", text).Tier; got != want {
			t.Errorf("Classify(%q) = %s, want %s", text, got, want)
		}
	}
}

// BenchmarkClassifyAnswer classifies an ordinary answer of a few sentences
// (about 300 characters), the usual size of what clients write.
func BenchmarkClassifyAnswer(b *testing.B) {
	net := safety.Default()
	text := "Today was better than yesterday. I walked to the park with my sister and we talked about the session, " +
		"which still feels close. I'd die for a full night's sleep though, the commute is killing me. " +
		"Tomorrow I want to try the breathing exercise again before work."
	if v := net.Classify("en", text); v.Tier != safety.TierNone {
		b.Fatalf("benchmark text fired %s %s", v.Tier, v.Rule)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		net.Classify("en", text)
	}
}
