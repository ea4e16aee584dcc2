package prompts_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"kindling/prompts"
)

// TestPreviewGolden shows a coach the default month, as `kindling preview`
// prints it.
func TestPreviewGolden(t *testing.T) {
	tests := []struct {
		file string
		opts prompts.PreviewOptions
	}{
		{"after-session.en.0-30.golden", prompts.PreviewOptions{Sequence: "after-session", Language: "en", From: 0, To: 30, Vars: prompts.SampleVars}},
		{"after-session.es.0-45.golden", prompts.PreviewOptions{Language: "es-MX", From: 0, To: 45, Vars: prompts.SampleVars}},
		{"after-session.de.no-values.golden", prompts.PreviewOptions{Language: "de", From: 5, To: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var out bytes.Buffer
			if err := prompts.Preview(&out, prompts.Default(), tt.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "preview", tt.file), out.Bytes())
		})
	}
}

func TestPreviewErrors(t *testing.T) {
	two := mustLoad(t, map[string]string{
		"a.yaml": "id: a\nlanguage: en\nname: A\ndays: [{day: 0, questions: [{id: q, text: Q}]}]\n",
		"b.yaml": "id: b\nlanguage: en\nname: B\ndays: [{day: 0, questions: [{id: q, text: Q}]}]\n",
	}, prompts.Options{})
	tests := []struct {
		name string
		set  *prompts.Set
		opts prompts.PreviewOptions
		want string
	}{
		{"unknown sequence", prompts.Default(), prompts.PreviewOptions{Sequence: "nope", To: 3}, `no sequence "nope" (there are: after-session)`},
		{"which sequence", two, prompts.PreviewOptions{To: 3}, "choose a sequence: a, b"},
		{"backwards", prompts.Default(), prompts.PreviewOptions{From: 5, To: 2}, "days 5-2"},
		{"before the earliest step", prompts.Default(), prompts.PreviewOptions{From: prompts.MinDay - 1, To: 2}, "days -31-2"},
		{"too many", prompts.Default(), prompts.PreviewOptions{To: 1 << 30}, "at most 3660 days"},
		{"no set", nil, prompts.PreviewOptions{}, "no prompts loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := prompts.Preview(&out, tt.set, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Preview = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseDays(t *testing.T) {
	for in, want := range map[string][2]int{"0-30": {0, 30}, "7": {7, 7}, " 3 - 5 ": {3, 5}, "-1-30": {-1, 30}, "-1": {-1, -1}} {
		from, to, err := prompts.ParseDays(in)
		if err != nil || from != want[0] || to != want[1] {
			t.Errorf("ParseDays(%q) = %d, %d, %v; want %v", in, from, to, err, want)
		}
	}
	for _, in := range []string{"", "x", "30-0", "-31-0", "0-3651", "1-2-3", "--1"} {
		if _, _, err := prompts.ParseDays(in); err == nil {
			t.Errorf("ParseDays(%q) took it", in)
		}
	}
}
