package prompts_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kindling/prompts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the file at path, or writes it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestFixtures loads each directory of testdata/good and testdata/bad and
// compares what `kindling check` prints with the directory's check.golden.
func TestFixtures(t *testing.T) {
	for _, kind := range []string{"good", "bad"} {
		dirs, err := os.ReadDir(filepath.Join("testdata", kind))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			if !d.IsDir() {
				continue
			}
			t.Run(kind+"/"+d.Name(), func(t *testing.T) {
				dir := filepath.Join("testdata", kind, d.Name())
				set, err := prompts.LoadDir(dir, prompts.Options{})
				var out bytes.Buffer
				ok := prompts.Check(&out, set, err)
				if want := kind == "good"; ok != want {
					t.Errorf("Check = %v, want %v:\n%s", ok, want, out.String())
				}
				if kind == "bad" {
					var le *prompts.LoadError
					if !errors.As(err, &le) || set != nil {
						t.Errorf("LoadDir = %v, %v; want nil, *LoadError", set, err)
					}
				}
				golden(t, filepath.Join(dir, "check.golden"), out.Bytes())
			})
		}
	}
}

// TestDefaultIsValid guards Default(): the embedded sequences and messages
// load with no problem at all, in the shape the issue asks for.
func TestDefaultIsValid(t *testing.T) {
	set, err := prompts.Load(prompts.Embedded(), prompts.Options{})
	if err != nil {
		t.Fatalf("the embedded prompts do not load:\n%v", err)
	}
	if w := set.Warnings(); len(w) > 0 {
		t.Errorf("the embedded prompts have warnings: %v", w)
	}
	def := prompts.Default()
	if !def.Has("after-session") {
		t.Fatal("Default() has no after-session sequence")
	}
	if got, want := strings.Join(def.Languages(), ","), "en,es"; got != want {
		t.Errorf("Languages() = %s, want %s", got, want)
	}
	wantDays := []int{-1, 0, 1, 2, 3, 5, 7, 10, 14, 21, 30}
	for _, lang := range []string{"en", "es"} {
		seq, ok := def.Sequence("after-session", lang)
		if !ok || seq.Language != lang {
			t.Fatalf("no after-session in %s", lang)
		}
		var days, checkInDays []int
		for _, st := range seq.Days {
			days = append(days, st.Day)
			own, items := 0, 0
			for _, q := range st.Questions {
				if q.CheckIn == "" {
					own++
				} else {
					items++
				}
			}
			if st.Day < 0 {
				if own != 1 || st.CheckIn != "wellbeing" {
					t.Errorf("%s day %d: want one question and the baseline check-in, got %d questions, check-in %q", lang, st.Day, own, st.CheckIn)
				}
				continue
			}
			if own < 2 || own > 3 || st.Questions[0].ID != "mood" {
				t.Errorf("%s day %d: want the mood scale first and 1-2 more questions, got %d questions", lang, st.Day, own)
			}
			if st.CheckIn != "" {
				checkInDays = append(checkInDays, st.Day)
				if items != 6 || st.CheckIn != "wellbeing" {
					t.Errorf("%s day %d: check-in %q with %d items, want wellbeing's 6", lang, st.Day, st.CheckIn, items)
				}
			}
		}
		if !equalInts(checkInDays, []int{0, 7, 14, 30}) {
			t.Errorf("%s check-in days = %v, want 0, 7, 14, 30", lang, checkInDays)
		}
		for day, want := range map[int]bool{37: false, 44: true, 51: false, 58: true} {
			st, ok := seq.StepFor(day)
			if !ok || (st.CheckIn != "") != want {
				t.Errorf("%s day %d: check-in %q, want one: %t", lang, day, st.CheckIn, want)
			}
		}
		if !equalInts(days, wantDays) {
			t.Errorf("%s days = %v, want %v", lang, days, wantDays)
		}
		if seq.Repeat == nil || seq.Repeat.Every != 7 {
			t.Errorf("%s: want a weekly repeat", lang)
		}
		if st, _ := seq.StepFor(0); st.At != "19:00" {
			t.Errorf("%s day 0 at %q, want the evening", lang, st.At)
		}
		if st, _ := seq.StepFor(30); !st.Letter {
			t.Errorf("%s day 30: want letter: true", lang)
		}
		mood, _ := seq.Question("mood")
		if mood.Kind != prompts.KindScale || mood.Scale.Min != 1 || mood.Scale.Max != 10 || mood.Scale.Low == "" || mood.Scale.High == "" {
			t.Errorf("%s mood = %+v, want a labelled 1..10 scale", lang, mood)
		}
		msgs := def.Messages(lang)
		for _, key := range prompts.MessageKeys {
			if msgs[key] == "" {
				t.Errorf("%s: message %s is missing", lang, key)
			}
		}
		welcome := msgs.Text("welcome", prompts.Vars{})
		for _, must := range []string{"988", "116 123", "findahelpline.com"} {
			if !strings.Contains(welcome, must) {
				t.Errorf("%s welcome does not mention %s", lang, must)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDefaultReadsWellWithoutValues renders every default text with no
// placeholder values: nothing may be left dangling.
func TestDefaultReadsWellWithoutValues(t *testing.T) {
	for _, seq := range prompts.Default().Sequences() {
		steps := seq.Days
		if seq.Repeat != nil {
			steps = append(steps, seq.Repeat.Step)
		}
		for _, st := range steps {
			texts := []string{st.Intro, st.Closing}
			for _, q := range st.Questions {
				if q.CheckIn != "" {
					// a check-in's stem and first item are two paragraphs
					text := q.Text
					if _, item, ok := strings.Cut(text, "\n\n"); ok {
						text = item
					}
					texts = append(texts, text)
					continue
				}
				texts = append(texts, q.Text)
			}
			for _, text := range texts {
				got := prompts.Render(text, prompts.Vars{Day: st.Day})
				for _, bad := range []string{"{", "“”", "«»", " ,", " .", "\n\n"} {
					if strings.Contains(got, bad) {
						t.Errorf("%s day %d renders %q with empty values: %q", seq.File, st.Day, bad, got)
					}
				}
			}
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    prompts.Problem
		want string
	}{
		{prompts.Problem{File: "a.yaml", Line: 3, Field: "days[0].day", Message: "is missing"}, "a.yaml:3: days[0].day: is missing"},
		{prompts.Problem{File: "a.yaml", Line: 3, Field: "id", Message: "odd", Warning: true}, "a.yaml:3: warning: id: odd"},
		{prompts.Problem{File: "a.yaml", Message: "file is empty"}, "a.yaml: file is empty"},
		{prompts.Problem{Message: "no sequences"}, "no sequences"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestCheckOtherError(t *testing.T) {
	var out bytes.Buffer
	if prompts.Check(&out, nil, errors.New("boom")) {
		t.Error("Check = true on an error")
	}
	if got := out.String(); got != "error: boom\n" {
		t.Errorf("Check printed %q", got)
	}
}

func TestLoadDirMissing(t *testing.T) {
	_, err := prompts.LoadDir(filepath.Join(t.TempDir(), "nope"), prompts.Options{})
	var le *prompts.LoadError
	if !errors.As(err, &le) || len(le.Problems) != 1 || !strings.Contains(le.Error(), "cannot read the prompts directory") {
		t.Errorf("err = %v", err)
	}
}
