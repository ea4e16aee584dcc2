package prompts_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"kindling/prompts"
)

// thousandQuestions is a directory of one sequence in 4 languages, 50 days of
// 5 questions each (scales, choices, free text): 1,000 questions, plus the
// built-in English messages.
func thousandQuestions(tb testing.TB) fstest.MapFS {
	tb.Helper()
	fsys := fstest.MapFS{}
	for _, lang := range []string{"en", "es", "de", "fr"} {
		var b strings.Builder
		fmt.Fprintf(&b, "id: big\nlanguage: %s\nname: A long sequence\ndays:\n", lang)
		for day := range 50 {
			fmt.Fprintf(&b, "  - day: %d\n    intro: Day {day}, {name}.\n    questions:\n", day)
			fmt.Fprintf(&b, "      - id: mood\n        text: How are you feeling today, from 1 to 10?\n        scale: {min: 1, max: 10, low: very low, high: very good}\n")
			fmt.Fprintf(&b, "      - id: helped\n        text: What helped?\n        choice:\n          multiple: true\n          options:\n")
			for _, o := range []string{"sleep", "movement", "food", "nature", "people"} {
				fmt.Fprintf(&b, "            - {id: %s, label: %s}\n", o, strings.ToUpper(o[:1])+o[1:])
			}
			for q := range 3 {
				fmt.Fprintf(&b, "      - id: q%d-%d\n        text: |-\n          Question %d of day %d, with a little more text to read, as a coach would write it.\n          If you set an intention: {intention}\n", day, q, q, day)
			}
		}
		b.WriteString("repeat:\n  every: 7\n  questions:\n    - id: mood\n      text: And today?\n      scale: {min: 1, max: 10}\n")
		fsys["big."+lang+".yaml"] = &fstest.MapFile{Data: []byte(b.String())}
	}
	msgs, err := fs.ReadFile(prompts.Embedded(), "messages.en.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	fsys["messages.en.yaml"] = &fstest.MapFile{Data: msgs}
	return fsys
}

// BenchmarkLoad1000Questions loads and validates 1,000 questions; the issue's
// target is under 50 ms. Figures: BENCHMARKS.md, "## prompts".
func BenchmarkLoad1000Questions(b *testing.B) {
	fsys := thousandQuestions(b)
	set, err := prompts.Load(fsys, prompts.Options{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, seq := range set.Sequences() {
		for _, st := range seq.Days {
			n += len(st.Questions)
		}
	}
	if n != 1000 {
		b.Fatalf("the fixture has %d questions, want 1000", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prompts.Load(fsys, prompts.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStepFor(b *testing.B) {
	seq, _ := prompts.Default().Sequence("after-session", "en")
	b.ReportAllocs()
	day := 0
	for b.Loop() {
		seq.StepFor(day % 400)
		day++
	}
}

// BenchmarkLoadDefault is a reload of the built-in prompts.
func BenchmarkLoadDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prompts.Load(prompts.Embedded(), prompts.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
