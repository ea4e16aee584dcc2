package prompts_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"kindling/prompts"
)

// TestFilesLoadAgain: the files a set was loaded from, loaded from memory,
// give the same set; a broken one in memory gives the same problems as on
// disk.
func TestFilesLoadAgain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s.yaml"), seqText("What stayed with you?"))
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a prompt file")
	set, err := prompts.LoadDir(dir, prompts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := set.Files()
	if len(files) != 1 || string(files["s.yaml"]) != seqText("What stayed with you?") {
		t.Fatalf("Files = %q, want s.yaml as written", files)
	}
	files["s.yaml"][0] = 'X' // a copy: the set keeps its own
	again, err := prompts.LoadFiles(set.Files(), prompts.Options{})
	if err != nil {
		t.Fatalf("LoadFiles of a good set's files: %v", err)
	}
	if got := firstQuestion(t, again); got != "What stayed with you?" {
		t.Errorf("loaded again, the question is %q", got)
	}

	broken := map[string][]byte{"s.yaml": []byte(seqText("ok")), "t.yaml": []byte("id: t\nlanguage: en\ndays: [{day: x}]\n")}
	_, err = prompts.LoadFiles(broken, prompts.Options{})
	var le *prompts.LoadError
	if !errors.As(err, &le) || !hasProblem(le.Errors(), "t.yaml", 3) {
		t.Errorf("LoadFiles of a broken file = %v, want a problem at t.yaml:3", err)
	}
}

// TestWatchFromLastGood starts on a set kept elsewhere while the
// directory is broken, reports the directory's problems, and switches to
// the directory once it is fixed.
func TestWatchFromLastGood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, "id: [")
	_, err := prompts.LoadDir(dir, prompts.Options{})
	var le *prompts.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("LoadDir of a broken file = %v", err)
	}
	last, err := prompts.LoadFiles(map[string][]byte{"s.yaml": []byte(seqText("The stored question"))}, prompts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := prompts.WatchFrom(context.Background(), dir, prompts.Options{}, nil, last, le.Problems)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := firstQuestion(t, w.Current()); got != "The stored question" {
		t.Errorf("started on %q", got)
	}
	if !hasProblem(w.Problems(), "s.yaml", 1) {
		t.Errorf("Problems = %v, want the directory's", w.Problems())
	}
	saveAtomically(t, path, seqText("The fixed question"))
	waitFor(t, w, "The fixed question")
	if w.Problems() != nil {
		t.Errorf("Problems after the fix = %v", w.Problems())
	}
	ch := w.Reload()
	if !ch.OK || ch.Set == nil || firstQuestion(t, ch.Set) != "The fixed question" {
		t.Errorf("Reload = %+v, want the new set in the change", ch)
	}
}

func hasProblem(ps []prompts.Problem, file string, line int) bool {
	for _, p := range ps {
		if p.File == file && p.Line == line && !p.Warning {
			return true
		}
	}
	return false
}
