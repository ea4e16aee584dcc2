package prompts_test

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"kindling/prompts"
)

// mustLoad loads files (name -> content) and fails the test on any error.
func mustLoad(tb testing.TB, files map[string]string, opts prompts.Options) *prompts.Set {
	tb.Helper()
	set, err := prompts.Load(mapFS(files), opts)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return set
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

func TestStepFor(t *testing.T) {
	seq, ok := prompts.Default().Sequence("after-session", "en")
	if !ok {
		t.Fatal("no default sequence")
	}
	tests := []struct {
		day    int
		want   bool
		intro  string // a word the step's intro contains
		repeat bool
	}{
		{day: -2},
		{day: -1, want: true, intro: "Your session is tomorrow"},
		{day: 0, want: true, intro: "Today was your session"},
		{day: 1, want: true, intro: "day after"},
		{day: 4},
		{day: 7, want: true, intro: "a week"},
		{day: 29},
		{day: 30, want: true, intro: "A month"},
		{day: 31},
		{day: 36},
		{day: 37, want: true, intro: "{day} days", repeat: true},
		{day: 44, want: true, intro: "{day} days", repeat: true},
		{day: 45},
		{day: 30 + 7*100, want: true, intro: "{day} days", repeat: true},
	}
	for _, tt := range tests {
		st, ok := seq.StepFor(tt.day)
		if ok != tt.want {
			t.Errorf("StepFor(%d) ok = %v, want %v", tt.day, ok, tt.want)
			continue
		}
		if !ok {
			continue
		}
		if st.Day != tt.day {
			t.Errorf("StepFor(%d).Day = %d", tt.day, st.Day)
		}
		if !strings.Contains(st.Intro, tt.intro) {
			t.Errorf("StepFor(%d).Intro = %q, want it to contain %q", tt.day, st.Intro, tt.intro)
		}
		if seq.IsRepeat(tt.day) != tt.repeat {
			t.Errorf("IsRepeat(%d) = %v, want %v", tt.day, !tt.repeat, tt.repeat)
		}
	}
	if st, _ := seq.StepFor(37); st.Questions[len(st.Questions)-1].ID != "week" {
		t.Errorf("day 37 asks %+v, want the weekly questions", st.Questions)
	}
}

func TestStepForNoRepeat(t *testing.T) {
	set := mustLoad(t, map[string]string{"s.yaml": `
id: s
language: en
name: S
days:
  - {day: 2, questions: [{id: a, text: A}]}
`}, prompts.Options{})
	seq, _ := set.Sequence("s", "en")
	for day, want := range map[int]bool{0: false, 2: true, 3: false, 9: false} {
		if _, ok := seq.StepFor(day); ok != want {
			t.Errorf("StepFor(%d) = %v, want %v", day, ok, want)
		}
	}
}

func TestQuestion(t *testing.T) {
	seq, _ := prompts.Default().Sequence("after-session", "es")
	for id, kind := range map[string]prompts.Kind{"mood": prompts.KindScale, "helped": prompts.KindChoice, "returning": prompts.KindText, "week": prompts.KindText} {
		q, ok := seq.Question(id)
		if !ok || q.Kind != kind || q.Line == 0 {
			t.Errorf("Question(%q) = %+v, %v; want a %s question with a line", id, q, ok, kind)
		}
	}
	if _, ok := seq.Question("nope"); ok {
		t.Error("Question(nope) found something")
	}
	if q, _ := seq.Question("helped"); !q.Choice.Multiple || len(q.Choice.Options) != 5 {
		t.Errorf("helped = %+v, want 5 options, several allowed", q.Choice)
	}
}

func TestSequenceLanguage(t *testing.T) {
	def := prompts.Default()
	tests := []struct{ lang, want string }{
		{"en", "en"}, {"es", "es"}, {"ES", "es"}, {"es-MX", "es"}, {"es_AR", "es"},
		{"de-AT", "en"}, {"", "en"}, {"pt-BR", "en"},
	}
	for _, tt := range tests {
		seq, ok := def.Sequence("after-session", tt.lang)
		if !ok || seq.Language != tt.want {
			t.Errorf("Sequence(after-session, %q) = %v, %v; want %s", tt.lang, seq.Language, ok, tt.want)
		}
	}
	if _, ok := def.Sequence("nope", "en"); ok {
		t.Error("Sequence(nope) found something")
	}
	if def.Has("nope") || !def.Has("after-session") {
		t.Error("Has is wrong")
	}

	// Neither the language nor the default: any version, the same every time.
	set := mustLoad(t, map[string]string{
		"s.fr.yaml": "id: s\nlanguage: fr\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n",
		"s.de.yaml": "id: s\nlanguage: de\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n",
	}, prompts.Options{})
	if seq, ok := set.Sequence("s", "it"); !ok || seq.Language != "de" {
		t.Errorf("Sequence(s, it) = %v, want the first language, de", seq.Language)
	}
	if seq, _ := set.Sequence("s", "fr-CA"); seq.Language != "fr" {
		t.Errorf("Sequence(s, fr-CA) = %v, want fr", seq.Language)
	}
	if got := strings.Join(set.Languages(), ","); got != "de,fr" {
		t.Errorf("Languages() = %s", got)
	}
}

func TestMessages(t *testing.T) {
	set := mustLoad(t, map[string]string{
		"s.yaml":           "id: s\nlanguage: en\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n",
		"messages.es.yaml": "language: es\nmessages:\n  ack_answer: ¡Gracias, {name}!\n",
		"messages.fr.yaml": "language: fr\nmessages:\n  ack_answer: Merci.\n",
	}, prompts.Options{})
	v := prompts.Vars{Name: "Ana"}
	tests := []struct{ lang, key, want string }{
		{"es", "ack_answer", "¡Gracias, Ana!"},               // the directory's own text
		{"es-MX", "ack_answer", "¡Gracias, Ana!"},            // via the base language
		{"es", "step_done", "Eso es todo por hoy. Gracias."}, // built-in Spanish
		{"fr", "ack_answer", "Merci."},
		{"fr", "step_done", "That's all for today. Thank you."}, // built-in default language
		{"", "ack_answer", "Thank you."},
		{"en", "no_such_key", "no_such_key"}, // a missing key shows itself
	}
	for _, tt := range tests {
		if got := set.Messages(tt.lang).Text(tt.key, v); got != tt.want {
			t.Errorf("Messages(%q).Text(%q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	for _, key := range prompts.MessageKeys {
		if set.Messages("fr")[key] == "" {
			t.Errorf("Messages(fr) has no %s", key)
		}
	}
	// Messages are made once per language of a set, and are that set's
	// own: the built-in set's words are not the directory's.
	if a, b := set.Messages("es"), set.Messages("es"); reflect.ValueOf(a).UnsafePointer() != reflect.ValueOf(b).UnsafePointer() {
		t.Error("Messages(es) made twice: it is made once per language")
	}
	if got := prompts.Default().Messages("es").Text("ack_answer", v); got == "¡Gracias, Ana!" {
		t.Errorf("the built-in set's Spanish took the directory's words: %q", got)
	}
}

func TestRender(t *testing.T) {
	v := prompts.Vars{Name: "Alex", Coach: "Sam", Day: 7, Date: "14 March", Time: "09:00", TimeZone: "Europe/Madrid", Until: "Monday"}
	tests := []struct {
		name, text string
		v          prompts.Vars
		want       string
	}{
		{"plain", "How are you?", v, "How are you?"},
		{"all", "{name} {coach} {day} {date} {time} {timezone} {until}", v, "Alex Sam 7 14 March 09:00 Europe/Madrid Monday"},
		{"twice", "{name}, {name}", v, "Alex, Alex"},
		{"unknown left", "{nmae} and {Name}", v, "{nmae} and {Name}"},
		{"not placeholders", "{ name } {} {1} {name", v, "{ name } {} {1} {name"},
		{"day zero", "day {day}", prompts.Vars{}, "day 0"},
		{"empty line dropped", "A week on.\nYour intention: {intention}\nHow is it?", v, "A week on.\nHow is it?"},
		{"kept with a value", "A week on.\nYour intention: {intention}", prompts.Vars{Intention: " to rest "}, "A week on.\nYour intention: to rest"},
		{"every line empty", "Hi {name}.", prompts.Vars{}, "Hi ."},
		{"clipped", "{name}", prompts.Vars{Name: strings.Repeat("é", 100)}, strings.Repeat("é", 63) + "…"},
		{"no braces", "", v, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prompts.Render(tt.text, tt.v); got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestLoadDefaultLanguageOption(t *testing.T) {
	files := map[string]string{
		"s.en.yaml": "id: s\nlanguage: en\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n",
		"s.es.yaml": "id: s\nlanguage: es\nname: S\ndays: [{day: 0, questions: [{id: a, text: A}]}]\n",
	}
	set := mustLoad(t, files, prompts.Options{DefaultLanguage: "ES"})
	if seq, _ := set.Sequence("s", "de"); seq.Language != "es" {
		t.Errorf("Sequence(s, de) = %s, want the default language es", seq.Language)
	}
	if got := set.Messages("de").Text("step_done", prompts.Vars{}); got != "Eso es todo por hoy. Gracias." {
		t.Errorf("Messages(de) step_done = %q, want the built-in Spanish", got)
	}
}

// TestMessagesMissingKey: a key missing from a practice's messages file,
// in the default language or another, is a warning naming it, and
// kindling's built-in text stands in: a file written for an older
// kindling must not stop the bot after an upgrade that adds messages.
func TestMessagesMissingKey(t *testing.T) {
	for _, file := range []string{"messages.en.yaml", "messages.es.yaml"} {
		data, err := fs.ReadFile(prompts.Embedded(), file)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(line, "  ack_voice:") {
				kept = append(kept, line)
			}
		}
		files := map[string]string{"s.yaml": goodSeq, file: strings.Join(kept, "\n")}
		if file != "messages.en.yaml" {
			en, _ := fs.ReadFile(prompts.Embedded(), "messages.en.yaml")
			files["messages.en.yaml"] = string(en)
		}
		set, err := prompts.Load(mapFS(files), prompts.Options{})
		if err != nil || len(set.Warnings()) != 1 {
			t.Fatalf("%s: Load = %v; want one warning", file, err)
		}
		if got := set.Warnings()[0].String(); !strings.HasPrefix(got, file+":") || !strings.Contains(got, "warning: messages: missing ack_voice: ") {
			t.Errorf("warning = %s", got)
		}
		lang := strings.TrimSuffix(strings.TrimPrefix(file, "messages."), ".yaml")
		want := prompts.Default().Messages(lang).Text("ack_voice", prompts.Vars{})
		if got := set.Messages(lang).Text("ack_voice", prompts.Vars{}); got != want || got == "ack_voice" {
			t.Errorf("%s: ack_voice = %q, want the built-in %q", file, got, want)
		}
	}
}
