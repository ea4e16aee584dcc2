package safety_test

import (
	"errors"
	"strings"
	"testing"

	"kindling/safety"
)

func mustNet(tb testing.TB) *safety.Net {
	tb.Helper()
	n, err := safety.New(safety.DefaultPhrases)
	if err != nil {
		tb.Fatalf("New(DefaultPhrases): %v", err)
	}
	return n
}

func TestMatchFires(t *testing.T) {
	net := mustNet(t)
	tests := []struct {
		name, lang, text string
		phrase, language string
	}{
		{"plain", "en", "I want to die", "want to die", "en"},
		{"caps and full stop", "en", "I just WANT TO DIE.", "want to die", "en"},
		{"slang", "en", "honestly i wanna die lol", "wanna die", "en"},
		{"future", "en", "I'm going to kill myself tonight", "kill myself", "en"},
		{"ing form", "en", "I keep thinking about killing myself", "killing myself", "en"},
		{"end my life", "en", "Some days I want to end my life.", "end my life", "en"},
		{"at the very end", "en", "sometimes I think I should just end it all", "end it all", "en"},
		{"alone as the message", "en", "kill myself", "kill myself", "en"},
		{"suicidal", "en", "I've been feeling suicidal again", "suicidal", "en"},
		{"first word", "en", "Suicide keeps crossing my mind", "suicide", "en"},
		{"hyphenated", "en", "thinking about self-harm again", "self harm", "en"},
		{"cut myself", "en", "I cut myself again last night", "cut myself", "en"},
		{"curly apostrophe", "en", "I don’t feel safe at home", "don't feel safe", "en"},
		{"no apostrophe", "en", "i dont feel safe tonight", "don't feel safe", "en"},
		{"acute accent as apostrophe", "en", "I don´t want to live", "don't want to live", "en"},
		{"not safe", "en", "I'm not safe right now", "I'm not safe", "en"},
		{"overdose", "en", "thinking of taking an overdose", "overdose", "en"},
		{"no reason to live", "en", "There's no reason to live anymore", "no reason to live", "en"},
		{"better off without me", "en", "everyone would be better off without me", "better off without me", "en"},
		{"better off dead", "en", "I'd be better off dead", "better off dead", "en"},
		{"can't go on", "en", "I can’t go on like this", "can't go on", "en"},
		{"spaces between words", "en", "I want   to\tdie", "want to die", "en"},
		{"punctuation between words", "en", "kill...myself", "kill myself", "en"},
		{"line break between words", "en", "I want to\nend my\nlife", "end my life", "en"},
		{"emoji around", "en", "😞i want to die😞", "want to die", "en"},
		{"inside a long answer", "en", "The session helped. " + strings.Repeat("Work was fine. ", 30) + "But at night I want to die. Anyway.", "want to die", "en"},
		{"quiero morir", "es", "Quiero morir", "quiero morir", "es"},
		{"quiero morirme", "es", "a veces quiero morirme ya", "quiero morirme", "es"},
		{"me quiero morir", "es", "Me quiero morir.", "me quiero morir", "es"},
		{"matarme", "es", "pienso en matarme", "matarme", "es"},
		{"caps", "es", "QUIERO SUICIDARME", "suicidarme", "es"},
		{"suicidio", "es", "pienso en el suicidio", "suicidio", "es"},
		{"with accent", "es", "tengo ganas de hacerme daño", "hacerme daño", "es"},
		{"accent dropped", "es", "tengo ganas de hacerme dano", "hacerme daño", "es"},
		{"decomposed accent", "es", "tengo ganas de hacerme dan\u0303o", "hacerme daño", "es"},
		{"accent added", "es", "pienso en matarmé", "matarme", "es"},
		{"no estoy a salvo", "es", "No estoy a salvo.", "no estoy a salvo", "es"},
		{"segura", "es", "no me siento segura en casa", "no me siento segura", "es"},
		{"seguro", "es", "No me siento seguro", "no me siento seguro", "es"},
		{"acabar con mi vida", "es", "quiero acabar con mi vida", "acabar con mi vida", "es"},
		{"quitarme la vida", "es", "pensé en quitarme la vida", "quitarme la vida", "es"},
		{"no quiero vivir", "es", "ya no quiero vivir", "no quiero vivir", "es"},
		{"estarían mejor sin mí", "es", "todos estarían mejor sin mí", "estarían mejor sin mí", "es"},
		{"accents dropped", "es", "todos estarian mejor sin mi", "estarían mejor sin mí", "es"},
		{"mejor muerta", "es", "estaría mejor muerta", "mejor muerta", "es"},
		{"sobredosis", "es", "tomé una sobredosis", "sobredosis", "es"},
		{"cortarme las venas", "es", "Quiero cortarme las venas", "quiero cortarme", "es"},
		{"region tag", "es-MX", "quiero morir", "quiero morir", "es"},
		{"region tag, other case", "ES_mx", "quiero morir", "quiero morir", "es"},
		{"English from a Spanish speaker", "es", "I want to die", "want to die", "en"},
		{"Spanish from an English speaker", "en", "la verdad, quiero morir", "quiero morir", "es"},
		{"unknown language", "fr", "je sais pas, I want to die", "want to die", "en"},
		{"no language", "", "want to die", "want to die", "en"},
		{"first phrase in the text wins", "en", "I don't feel safe and I want to die", "don't feel safe", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := net.Match(tt.lang, tt.text)
			if !ok {
				t.Fatalf("Match(%q, %q) did not fire", tt.lang, tt.text)
			}
			want := safety.Match{Phrase: tt.phrase, Language: tt.language}
			if m != want {
				t.Errorf("Match(%q, %q) = %+v, want %+v", tt.lang, tt.text, m, want)
			}
		})
	}
}

// nearMisses are everyday idioms that must not fire. They are listed in
// doc.go too: keep the two in step.
var nearMisses = []struct{ lang, text string }{
	{"en", "this commute is killing me"},
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
	{"es", "me muero de risa"},
	{"es", "me mata el calor"},
	{"es", "me muero de ganas de verte"},
	{"es", "me muero de hambre"},
	{"es", "estoy muerta de cansancio"},
	{"es", "me mato trabajando para pagar el alquiler"},
	{"es", "este tráfico es mortal"},
	{"es", "mañana voy a cortarme el pelo"},
	{"es", "tengo que acabar con todo el trabajo"},
}

func TestMatchNearMisses(t *testing.T) {
	net := mustNet(t)
	for _, tt := range nearMisses {
		t.Run(tt.text, func(t *testing.T) {
			for _, lang := range []string{tt.lang, "en", "es"} {
				if m, ok := net.Match(lang, tt.text); ok {
					t.Errorf("Match(%q, %q) fired on %+v, want no match", lang, tt.text, m)
				}
			}
		})
	}
}

// TestMatchKnownFalseAlarms pins the false alarms doc.go owns up to: they fire
// because the same words are far more often a cry for help.
func TestMatchKnownFalseAlarms(t *testing.T) {
	net := mustNet(t)
	for _, text := range []string{
		"I cut myself shaving",
		"cutting myself some slack this week",
		"I hurt myself at the gym",
		"I can't go on the trip",
		"we watched Suicide Squad",
		"I want to die my hair blue",
		"a sugar overdose",
		"mi madre va a matarme si llego tarde",
		"me voy a matar estudiando",
		"una sobredosis de azúcar",
	} {
		if _, ok := net.Match("en", text); !ok {
			t.Errorf("Match(%q) did not fire; if that is now intended, update doc.go", text)
		}
	}
}

// TestMatchKnownMisses pins what doc.go says the net misses. If you extend the
// lists to catch one, move it to TestMatchFires and update doc.go.
func TestMatchKnownMisses(t *testing.T) {
	net := mustNet(t)
	for _, text := range []string{
		"I have pills saved up",
		"I've written letters to everyone",
		"I gave my cat to my sister",
		"ya no puedo más",
		"I wnat to die",
		"kms",
		"su1cide",
	} {
		if m, ok := net.Match("en", text); ok {
			t.Errorf("Match(%q) fired on %+v; update doc.go's list of misses", text, m)
		}
	}
}

func TestMatchWordBoundaries(t *testing.T) {
	net, err := safety.New(map[string][]string{"en": {"kill myself", "die"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"skill myself", false},
		{"kill myselfish", false},
		{"killmyself", false},
		{"diet", false},
		{"indie", false},
		{"kill kill myself", true},
		{"i could die", true},
		{"die", true},
		{"(die)", true},
		{"", false},
		{"   ", false},
	} {
		if _, ok := net.Match("en", tt.text); ok != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.text, ok, tt.want)
		}
	}
}

func TestMatchLongestPhraseAtAWord(t *testing.T) {
	net, err := safety.New(map[string][]string{"en": {"not safe", "not safe with myself"}})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := net.Match("en", "I'm not safe with myself")
	if !ok || m.Phrase != "not safe with myself" {
		t.Errorf("Match = %+v, %v, want the longer phrase", m, ok)
	}
}

func TestMatchPrefersClientLanguage(t *testing.T) {
	net, err := safety.New(map[string][]string{
		"en": {"suicide"},
		"fr": {"suicide"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"fr-CA": "fr", "en": "en", "es": "en"} {
		if m, _ := net.Match(lang, "suicide"); m.Language != want {
			t.Errorf("Match(%q).Language = %q, want %q", lang, m.Language, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		phrases map[string][]string
		want    error
		names   string // must appear in the error
	}{
		{"nil", nil, safety.ErrNoPhrases, ""},
		{"empty lists", map[string][]string{"en": {}, "es": nil}, safety.ErrNoPhrases, ""},
		{"empty phrase", map[string][]string{"en": {"want to die", ""}}, safety.ErrEmptyPhrase, "phrases.en[1]"},
		{"blank phrase", map[string][]string{"es": {"quiero morir", "matarme", "   "}}, safety.ErrEmptyPhrase, "phrases.es[2]"},
		{"punctuation only", map[string][]string{"en": {"?!…"}}, safety.ErrEmptyPhrase, "phrases.en[0]"},
		{"empty language", map[string][]string{"": {"want to die"}}, safety.ErrBadLanguage, `language ""`},
		{"not a tag", map[string][]string{"english!": {"want to die"}}, safety.ErrBadLanguage, `language "english!"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := safety.New(tt.phrases)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New() error = %v, want %v", err, tt.want)
			}
			if n != nil {
				t.Errorf("New() returned a Net with an error")
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not name %q", err, tt.names)
			}
		})
	}
}

func TestNewCopiesPhrases(t *testing.T) {
	phrases := map[string][]string{"en": {"want to die"}}
	net, err := safety.New(phrases)
	if err != nil {
		t.Fatal(err)
	}
	phrases["en"][0] = "hello"
	if _, ok := net.Match("en", "I want to die"); !ok {
		t.Error("changing the caller's map changed the Net")
	}
}

func TestDefaultPhrases(t *testing.T) {
	net := mustNet(t)
	for _, lang := range []string{"en", "es"} {
		list := safety.DefaultPhrases[lang]
		if len(list) < 20 {
			t.Errorf("DefaultPhrases[%q] has %d phrases, want a real list", lang, len(list))
		}
		for _, p := range list {
			// Each phrase catches itself, shouted, with curly apostrophes,
			// inside a sentence.
			for _, text := range []string{
				p,
				strings.ToUpper(p),
				"well. " + strings.ReplaceAll(p, "'", "’") + ", really",
			} {
				if m, ok := net.Match(lang, text); !ok {
					t.Errorf("Match(%q, %q) did not fire", lang, text)
				} else if m.Language != lang {
					t.Errorf("Match(%q, %q).Language = %q", lang, text, m.Language)
				}
			}
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	net := mustNet(b)
	// A long, ordinary reflection with no crisis phrase: the worst case, as
	// every word is looked at.
	var sb strings.Builder
	words := strings.Fields("Today I noticed that the session still feels close. I walked to the park, " +
		"called my sister, and the commute was killing me but I'd die for a full night's sleep. " +
		"Me muero de ganas de verte, le dije a mi mamá. I don't feel rushed anymore; things are quieter.")
	for i := 0; sb.Len() < 4000; i++ {
		sb.WriteString(words[i%len(words)])
		sb.WriteByte(' ')
	}
	text := sb.String()[:4000]
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := net.Match("en", text); ok {
			b.Fatal("benchmark text fired")
		}
	}
}
