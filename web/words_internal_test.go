package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEveryTextHasItsSpanish: each text the templates and the code put
// through words (T, F, N) has a Spanish translation, so that a Spanish
// page never slips into English.
func TestEveryTextHasItsSpanish(t *testing.T) {
	// {{.W.T "x"}}, {{$w.F "x" ...}}, {{$w.N n "one" "many"}} and w.T("x"), wd.F("x", ...), w.N(n, "one", "many").
	tmpl := regexp.MustCompile(`\.(?:T|F) ("(?:[^"\\]|\\.)*")|\.N [^"]*("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")`)
	code := regexp.MustCompile(`\b(?:w|wd)\.(?:T|F)\(("(?:[^"\\]|\\.)*")|\b(?:w|wd)\.N\([^"]*("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")`)
	// Texts handed on before they are translated: the sign-in link's
	// problems, the formats chosen by a count.
	handed := regexp.MustCompile(`linkProblem\(w, r, http\.\w+, ("(?:[^"\\]|\\.)*"),\s*("(?:[^"\\]|\\.)*")\)|format :?= ("%(?:[^"\\]|\\.)*")|return ("%s: (?:[^"\\]|\\.)*")`)
	seen := map[string]bool{}
	check := func(where string, m [][]string) {
		for _, groups := range m {
			for _, q := range groups[1:] {
				if q == "" {
					continue
				}
				text, err := strconv.Unquote(q)
				if err != nil {
					t.Fatalf("%s: %s: %v", where, q, err)
				}
				seen[text] = true
				if _, ok := spanish[text]; !ok {
					t.Errorf("%s: no Spanish for %q", where, text)
				}
			}
		}
	}
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		check(path, tmpl.FindAllStringSubmatch(string(b), -1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, code.FindAllStringSubmatch(string(b), -1))
		check(f, handed.FindAllStringSubmatch(string(b), -1))
	}
	if len(seen) < 100 {
		t.Errorf("found %d texts through words; the patterns miss some", len(seen))
	}
}
