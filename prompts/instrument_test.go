package prompts_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"kindling/prompts"
)

// TestInstrumentScoring reads the check-in of testdata/good/check-in: its
// range, bands, safety item and where a sequence asks it.
func TestInstrumentScoring(t *testing.T) {
	set, err := prompts.LoadDir(filepath.Join("testdata", "good", "check-in"), prompts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, ok := set.Instrument("short", "es-MX")
	if !ok || in.Language != "es" {
		t.Fatalf("Instrument(short, es-MX) = %v, %v; want the Spanish version", in, ok)
	}
	if in.MinTotal() != 0 || in.MaxTotal() != 4 {
		t.Errorf("totals %d..%d, want 0..4", in.MinTotal(), in.MaxTotal())
	}
	for total, want := range map[int]string{0: "bajo", 1: "bajo", 2: "alto", 4: "alto"} {
		if b, ok := in.BandOf(total); !ok || b.Label != want {
			t.Errorf("BandOf(%d) = %q, %v; want %q", total, b.Label, ok, want)
		}
	}
	if _, ok := in.BandOf(5); ok {
		t.Error("BandOf(5) found a band past the highest total")
	}
	if in.StartsCheck("two", 1) || !in.StartsCheck("two", 2) || in.StartsCheck("one", 2) {
		t.Error("StartsCheck: want item two at 2 or more only")
	}
	if in.Response == nil || in.Response.DropPercent != 50 || in.Remission == nil || in.Remission.Below != 2 || in.Baseline != prompts.BaselineBeforeSession {
		t.Errorf("rules = %+v %+v %q", in.Response, in.Remission, in.Baseline)
	}

	seq, _ := set.Sequence("weeks", "en")
	for day, want := range map[int]int{0: 2, 7: 1, 14: 1, 21: 3, 28: 1, 35: 3} {
		st, ok := seq.StepFor(day)
		if !ok || len(st.Questions) != want {
			t.Errorf("day %d: %d questions (%v), want %d", day, len(st.Questions), ok, want)
		}
	}
	st, _ := seq.StepFor(21)
	q := st.Questions[1]
	if q.ID != "short.one" || q.CheckIn != "short" || q.Item != "one" || q.Kind != prompts.KindChoice || q.Choice.Options[2].Score != 2 {
		t.Errorf("day 21 item = %+v", q)
	}
	if got, ok := seq.Question("short.two"); !ok || got.Item != "two" {
		t.Errorf("Question(short.two) = %+v, %v", got, ok)
	}
	if q.Text != "Over the past week, how often?\n\n<paste the wording of item 1 here>" {
		t.Errorf("first item text = %q, want the intro then the item", q.Text)
	}
}

// FuzzCheckIn loads a sequence that asks check-in "c" with one arbitrary
// check-in file beside it: never a panic, and what loads has bands that
// cover its totals.
// Seeds: testdata/fuzz/FuzzCheckIn, plus the built-in check-in.
func FuzzCheckIn(f *testing.F) {
	for _, name := range []string{"wellbeing.en.yaml", "wellbeing.es.yaml"} {
		data, err := os.ReadFile(filepath.Join("sequences", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	seq := []byte("id: s\nlanguage: en\nname: S\ndays:\n  - day: 1\n    check_in: wellbeing\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := prompts.Load(fstest.MapFS{"s.yaml": {Data: seq}, "c.yaml": {Data: data}}, prompts.Options{MaxFileSize: 64 << 10})
		var out bytes.Buffer
		ok := prompts.Check(&out, set, err)
		if err != nil {
			var le *prompts.LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 || ok {
				t.Fatalf("Load = %v, %v", set, err)
			}
			return
		}
		for _, in := range set.Instruments() {
			for total := in.MinTotal(); total <= in.MaxTotal(); total++ {
				if _, ok := in.BandOf(total); !ok {
					t.Fatalf("total %d of %s is in no band", total, in.ID)
				}
			}
		}
	})
}

func TestProgress(t *testing.T) {
	set := prompts.Default()
	in, ok := set.Instrument("wellbeing", "en")
	if !ok {
		t.Fatal("no built-in wellbeing check-in")
	}
	s := func(date string, total int) prompts.Score { return prompts.Score{LocalDate: date, Total: total} }
	for _, tc := range []struct {
		name         string
		scores       []prompts.Score
		session      string
		base, change int
		hasBase      bool
		band         string
		resp, remiss bool
	}{
		{name: "one total is its own baseline", scores: []prompts.Score{s("2026-03-01", 10)}, session: "2026-03-01", band: "a heavy stretch"},
		{name: "before the session", scores: []prompts.Score{s("2026-02-27", 9), s("2026-02-28", 14), s("2026-03-08", 7)}, session: "2026-03-01",
			base: 14, change: -7, hasBase: true, band: "some strain", resp: true},
		{name: "else the first after", scores: []prompts.Score{s("2026-03-01", 12), s("2026-03-08", 3)}, session: "2026-03-01",
			base: 12, change: -9, hasBase: true, band: "settled", resp: true, remiss: true},
		{name: "a smaller drop is no response", scores: []prompts.Score{s("2026-03-01", 12), s("2026-03-08", 7)}, session: "2026-03-01",
			base: 12, change: -5, hasBase: true, band: "some strain"},
		{name: "no session logged", scores: []prompts.Score{s("2026-03-01", 4), s("2026-03-08", 8)},
			base: 4, change: 4, hasBase: true, band: "a heavy stretch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := in.Progress(tc.scores, tc.session)
			if !ok || p.HasBaseline != tc.hasBase || p.Band.Label != tc.band || p.Response != tc.resp || p.Remission != tc.remiss {
				t.Fatalf("Progress = %+v, %v", p, ok)
			}
			if tc.hasBase && (p.Baseline.Total != tc.base || p.Change != tc.change) {
				t.Errorf("baseline %d, change %d; want %d, %d", p.Baseline.Total, p.Change, tc.base, tc.change)
			}
		})
	}
	if _, ok := in.Progress(nil, ""); ok {
		t.Error("Progress of no totals reported one")
	}
}

// TestQuestionnaireTemplates: the templates in docs/check-ins load beside
// a sequence that asks them, carry the questionnaires' scoring facts, and
// warn about every placeholder until the clinic pastes the wording.
func TestQuestionnaireTemplates(t *testing.T) {
	files := fstest.MapFS{"s.yaml": {Data: []byte("id: s\nlanguage: en\nname: S\ndays:\n  - day: 7\n    check_in: phq-9\n  - day: 14\n    check_in: gad-7\n")}}
	for _, name := range []string{"phq-9.en.yaml", "gad-7.en.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "docs", "check-ins", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: data}
	}
	set, err := prompts.Load(files, prompts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	placeholders := 0
	for _, w := range set.Warnings() {
		if strings.Contains(w.Message, "placeholder") {
			placeholders++
		}
	}
	// Each: the stem and four answers, then 9 and 7 items.
	if placeholders != 5+9+5+7 {
		t.Errorf("%d placeholder warnings, want %d", placeholders, 5+9+5+7)
	}
	bands := func(in *prompts.Instrument) string {
		var parts []string
		for _, b := range in.Bands {
			parts = append(parts, fmt.Sprintf("%d-%d", b.Min, b.Max))
		}
		return strings.Join(parts, " ")
	}
	phq, _ := set.Instrument("phq-9", "en")
	if len(phq.Items) != 9 || phq.MinTotal() != 0 || phq.MaxTotal() != 27 || bands(phq) != "0-4 5-9 10-14 15-19 20-27" {
		t.Errorf("PHQ-9: %d items, %d..%d, bands %s", len(phq.Items), phq.MinTotal(), phq.MaxTotal(), bands(phq))
	}
	if !phq.StartsCheck("item-9", 1) || phq.StartsCheck("item-8", 3) {
		t.Error("PHQ-9: any answer above 0 on item 9, and only there, must start the safety check")
	}
	gad, _ := set.Instrument("gad-7", "en")
	if len(gad.Items) != 7 || gad.MaxTotal() != 21 || bands(gad) != "0-4 5-9 10-14 15-21" || gad.Safety != nil {
		t.Errorf("GAD-7: %d items, up to %d, bands %s, safety %v", len(gad.Items), gad.MaxTotal(), bands(gad), gad.Safety)
	}
}

// TestBuiltinCheckInFallback: a directory with only its sequence, which
// asks the built-in check-in, loads with kindling's own check-in in every
// language it has.
func TestBuiltinCheckInFallback(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("sequences", "after-session.es.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Load(fstest.MapFS{"after-session.es.yaml": {Data: data}}, prompts.Options{DefaultLanguage: "es"})
	if err != nil {
		t.Fatal(err)
	}
	if in, ok := set.Instrument("wellbeing", "es"); !ok || in.Language != "es" {
		t.Fatalf("Instrument(wellbeing, es) = %v, %v", in, ok)
	}
	seq, _ := set.Sequence("after-session", "es")
	if st, _ := seq.StepFor(7); st.CheckIn != "wellbeing" || len(st.Questions) < 6 {
		t.Errorf("day 7 = %+v", st)
	}
}
