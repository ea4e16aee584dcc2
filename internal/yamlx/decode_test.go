package yamlx_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"kindling/internal/yamlx"
)

type inner struct {
	Every time.Duration `yaml:"every"`
	Names []string      `yaml:"names"`
}

type doc struct {
	Name    string              `yaml:"name"`
	Count   int                 `yaml:"count"`
	On      bool                `yaml:"on"`
	Inner   inner               `yaml:"inner"`
	Phrases map[string][]string `yaml:"phrases"`
	Byte    int8                `yaml:"byte"`
}

var scalars = map[reflect.Type]yamlx.Scalar{reflect.TypeFor[time.Duration](): {
	Want: "a duration such as 90s",
	Set: func(v reflect.Value, s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return errors.New("not a duration")
		}
		v.SetInt(int64(d))
		return nil
	},
}}

func decode(src string, into *doc) []yamlx.Problem {
	d := yamlx.NewDecoder(func(line int) string { return fmt.Sprintf("f.yaml:%d", line) }, scalars)
	d.DecodeOne(strings.NewReader(src), into)
	return d.Problems
}

func TestDecoderGood(t *testing.T) {
	got := doc{Name: "kept", Phrases: map[string][]string{"en": {"a"}, "de": {"b"}}}
	before := got.Phrases
	src := "count: 3\non: true\nname:\ninner: &i\n  every: 90s\n  names: [x, y]\nphrases:\n  en: [z]\nbyte: !!int 7\n"
	if p := decode(src, &got); len(p) > 0 {
		t.Fatalf("problems: %v", p)
	}
	want := doc{Name: "kept", Count: 3, On: true, Inner: inner{Every: 90 * time.Second, Names: []string{"x", "y"}},
		Phrases: map[string][]string{"en": {"z"}, "de": {"b"}}, Byte: 7}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !slices.Equal(before["en"], []string{"a"}) {
		t.Errorf("the map decoded into was changed: %v", before)
	}
	var merged doc
	if p := decode("base: &b {every: 1s}\n", &merged); len(p) != 1 || p[0].Key != "base" {
		t.Errorf("an unknown top key: %v", p)
	}
	if p := decode("inner:\n  <<: {every: 2s}\n  names: [n]\n", &merged); len(p) > 0 || merged.Inner.Every != 2*time.Second {
		t.Errorf("merge key: %v, %+v", p, merged.Inner)
	}
	var empty doc
	if p := decode("", &empty); len(p) > 0 || !reflect.DeepEqual(empty, doc{}) {
		t.Errorf("an empty document: %v %+v", p, empty)
	}
}

func TestDecoderProblems(t *testing.T) {
	tests := []struct {
		name, src string
		want      []yamlx.Problem
	}{
		{"unknown key with a suggestion", "nmae: x\n", []yamlx.Problem{{"nmae", "f.yaml:1: nmae: unknown key (did you mean name?)"}}},
		{"unknown key, case and dashes", "inner:\n  Ever-y: 1s\n", []yamlx.Problem{{"inner.Ever-y", "f.yaml:2: inner.Ever-y: unknown key (did you mean every?)"}}},
		{"unknown key far from any", "zzzzzz: 1\n", []yamlx.Problem{{"zzzzzz", "f.yaml:1: zzzzzz: unknown key"}}},
		{"types", "count: many\non: maybe\nname: [a]\ninner: 3\nbyte: 300\n", []yamlx.Problem{
			{"count", `f.yaml:1: count: want a whole number, got "many"`},
			{"on", `f.yaml:2: on: want true or false, got "maybe"`},
			{"name", "f.yaml:3: name: want text, got a list"},
			{"inner", `f.yaml:4: inner: want a mapping (the keys of inner, one per line), got "3"`},
			{"byte", "f.yaml:5: byte: number 300 is too large"},
		}},
		{"own scalar", "inner:\n  every: soon\n  names: {a: b}\n", []yamlx.Problem{
			{"inner.every", "f.yaml:2: inner.every: not a duration"},
			{"inner.names", "f.yaml:3: inner.names: want a list, got a mapping"},
		}},
		{"own scalar not text", "inner:\n  every: [1s]\n", []yamlx.Problem{{"inner.every", "f.yaml:2: inner.every: want a duration such as 90s, got a list"}}},
		{"list item", "inner:\n  names: [a, [b]]\n", []yamlx.Problem{{"inner.names[1]", "f.yaml:2: inner.names[1]: want text, got a list"}}},
		{"set twice", "name: a\ncount: 1\nname: b\n", []yamlx.Problem{{"", "f.yaml:3: name: set twice (first on line 1)"}}},
		{"quoted key", "phrases:\n  \"a b\": x\n", []yamlx.Problem{{`phrases."a b"`, `f.yaml:2: phrases."a b": want a list, got "x"`}}},
		{"two documents", "name: a\n---\nname: b\n", []yamlx.Problem{{"", "f.yaml:2: want one YAML document, found another (remove the ---)"}}},
		{"syntax", "name: [a\n", nil}, // checked below: one problem, no key
		{"top not a mapping", "- a\n", []yamlx.Problem{{"", "f.yaml:1: want a mapping (keys, one per line), got a list"}}},
		{"bad merge", "inner:\n  <<: 3\n", []yamlx.Problem{{"inner", `f.yaml:2: inner: << wants a mapping or a list of mappings, got "3"`}}},
		{"binary", "name: !!binary aGk=\ncount: !!binary x\n", []yamlx.Problem{{"count", `f.yaml:2: count: want a whole number, got "x"`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			got := decode(tc.src, &d)
			if tc.name == "syntax" {
				if len(got) != 1 || got[0].Key != "" || !strings.HasPrefix(got[0].Text, "f.yaml:") {
					t.Errorf("syntax error: %v", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if tc.name == "binary" && d.Name != "hi" {
				t.Errorf("!!binary text decoded as %q, want hi", d.Name)
			}
		})
	}
}

func TestDecoderAliases(t *testing.T) {
	var d doc
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("inner: &a\n  names: [x]\n  <<: *a\n"), &n); err != nil {
		t.Fatal(err)
	}
	dec := yamlx.NewDecoder(func(line int) string { return fmt.Sprintf("line %d", line) }, nil)
	dec.Decode(&n, reflect.ValueOf(&d).Elem(), "")
	if len(dec.Problems) != 1 || !strings.Contains(dec.Problems[0].Text, "alias *a refers to its own anchor") {
		t.Errorf("an alias inside its own anchor: %v", dec.Problems)
	}

	// A billion laughs: aliases that expand a few lines past the budget.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		t.Fatal(err)
	}
	var bv struct {
		A7 [][][][][][][][]string `yaml:"a7"`
	}
	dec = yamlx.NewDecoder(func(line int) string { return fmt.Sprintf("line %d", line) }, nil)
	dec.Decode(n.Content[0].Content[15], reflect.ValueOf(&bv.A7).Elem(), "a7")
	found := false
	for _, p := range dec.Problems {
		found = found || strings.Contains(p.Text, "too many values")
	}
	if !found {
		t.Errorf("no problem for a document past the budget (%d problems)", len(dec.Problems))
	}
}
