package prompts_test

import (
	"bytes"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"kindling/prompts"
)

// FuzzLoad loads one arbitrary file: Load must return a set or a *LoadError,
// never panic or hang, and whatever loads must check and preview.
// Seeds: testdata/fuzz/FuzzLoad, plus the built-in files below.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"after-session.en.yaml", "messages.es.yaml"} {
		data, err := fs.ReadFile(prompts.Embedded(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(goodSeq))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := prompts.Load(fstest.MapFS{"f.yaml": {Data: data}}, prompts.Options{MaxFileSize: 64 << 10})
		var out bytes.Buffer
		ok := prompts.Check(&out, set, err)
		if err != nil {
			var le *prompts.LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 || set != nil || ok {
				t.Fatalf("Load = %v, %v", set, err)
			}
			return
		}
		if !ok {
			t.Fatalf("Check failed on a loaded set:\n%s", out.String())
		}
		for _, seq := range set.Sequences() {
			if err := prompts.Preview(&out, set, prompts.PreviewOptions{Sequence: seq.ID, Language: seq.Language, From: 0, To: 60, Vars: prompts.SampleVars}); err != nil {
				t.Fatalf("Preview: %v", err)
			}
		}
	})
}
