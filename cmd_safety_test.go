package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kindling/safety"
)

// safetyTest runs the built kindling's `safety test` with args, stdin as
// input, in dir.
func safetyTest(t *testing.T, bin, dir, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"safety", "test"}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), status
}

// TestSafetyTestCommand: `kindling safety test` prints, for every message of
// the corpus, the verdict Classify gives it, with the built-in rules when no
// config.yaml exists; a practice's rules file extends or replaces them; a
// bad one is refused with every problem and exit status 1.
func TestSafetyTestCommand(t *testing.T) {
	dir := t.TempDir()
	bin, err := crashBinary()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("corpus, built-in rules", func(t *testing.T) {
		net := safety.Default()
		for _, lang := range []string{"en", "es"} {
			var in, want strings.Builder
			// corpus.LANG.tsv and any held-out set (heldout.LANG.tsv,
			// heldout.NAME.LANG.tsv), which may or may not be there.
			files := []string{filepath.Join("safety", "testdata", "corpus."+lang+".tsv")}
			held, err := filepath.Glob(filepath.Join("safety", "testdata", "heldout*."+lang+".tsv"))
			if err != nil {
				t.Fatal(err)
			}
			for _, file := range append(files, held...) {
				f, err := os.Open(file)
				if err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					parts := strings.SplitN(sc.Text(), "\t", 3)
					if len(parts) != 3 || strings.HasPrefix(parts[0], "#") {
						continue
					}
					in.WriteString(parts[2] + "\n\n# a comment\n")
					v := net.Classify(lang, parts[2])
					want.WriteString(v.Tier.String() + "\t" + v.Rule + "\t" + parts[2] + "\n")
				}
				f.Close()
			}
			out, errOut, status := safetyTest(t, bin, dir, in.String(), "--lang", lang, "-")
			if status != 0 || errOut != "" {
				t.Fatalf("exit status %d, stderr %q", status, errOut)
			}
			if out != want.String() {
				t.Errorf("%s: output differs from Classify:\n%s", lang, firstDiff(out, want.String()))
			}
			if n := strings.Count(out, "\n"); n < 100 {
				t.Errorf("%s: %d lines", lang, n)
			}
		}
	})

	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte(`rules:
  - id: de.sterben
    category: intent
    tier: alert
    language: de
    patterns: ["will nicht mehr leben|sterben"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	msgs := filepath.Join(dir, "messages.txt")
	if err := os.WriteFile(msgs, []byte("ich will nicht mehr leben\nI want to die\nthis commute is killing me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, config, want string }{
		{"extend", "safety:\n  rules_file: rules.yaml\n",
			"alert\tde.sterben\tich will nicht mehr leben\nalert\ten.intent.want-to-die\tI want to die\nnone\t\tthis commute is killing me\n"},
		// The learned check stays on when the rules are replaced: it is a
		// second opinion under whatever rules there are.
		{"replace", "safety:\n  rules_file: rules.yaml\n  rules_mode: replace\n",
			"alert\tde.sterben\tich will nicht mehr leben\ncheck\ten.learned\tI want to die\nnone\t\tthis commute is killing me\n"},
		{"replace without the learned check", "safety:\n  rules_file: rules.yaml\n  rules_mode: replace\n  learned_check: false\n",
			"alert\tde.sterben\tich will nicht mehr leben\nnone\t\tI want to die\nnone\t\tthis commute is killing me\n"},
		{"phrases", "safety:\n  phrases:\n    en: [killing me]\n",
			"none\t\tich will nicht mehr leben\nalert\ten.intent.want-to-die\tI want to die\nalert\tphrase:killing me\tthis commute is killing me\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(dir, tt.name+".yaml")
			if err := os.WriteFile(cfg, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, status := safetyTest(t, bin, dir, "", "--config", cfg, msgs)
			if status != 0 || out != tt.want {
				t.Errorf("exit status %d, stderr %q, output:\n%s\nwant:\n%s", status, errOut, out, tt.want)
			}
		})
	}

	t.Run("bad rules file", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(bad, []byte("rules:\n  - id: x\n    category: intnet\n    tier: alarm\n    language: de\n    patterns: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "bad-config.yaml")
		if err := os.WriteFile(cfg, []byte("safety:\n  rules_file: bad.yaml\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, status := safetyTest(t, bin, dir, "I want to die\n", "--config", cfg)
		if status != 1 || out != "" {
			t.Errorf("exit status %d, output %q; want 1 and nothing", status, out)
		}
		for _, want := range []string{
			`bad.yaml:3: rules[0].category: unknown category "intnet" (did you mean "intent"?)`,
			`bad.yaml:4: rules[0].tier: unknown tier "alarm" (did you mean "alert"?)`,
			`bad.yaml:6: rules[0].patterns: is empty: a rule needs at least one pattern`,
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
	})

	t.Run("only the safety keys are checked", func(t *testing.T) {
		cfg := filepath.Join(dir, "prod.yaml")
		if err := os.WriteFile(cfg, []byte("store:\n  path: /nonexistent/kindling/kindling.db\nbackup:\n  dir: /nonexistent/backups\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, status := safetyTest(t, bin, dir, "I want to die\n", "--config", cfg)
		if status != 0 || out != "alert\ten.intent.want-to-die\tI want to die\n" {
			t.Errorf("exit status %d, stderr %q, output %q", status, errOut, out)
		}
		if err := os.WriteFile(cfg, []byte("safety:\n  rules_mode: merge\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, status = safetyTest(t, bin, dir, "I want to die\n", "--config", cfg)
		if status != 1 || !strings.Contains(errOut, `safety.rules_mode: want extend or replace, got "merge"`) {
			t.Errorf("bad rules_mode: exit status %d, stderr %q", status, errOut)
		}
	})

	t.Run("explicit config missing", func(t *testing.T) {
		_, errOut, status := safetyTest(t, bin, dir, "", "--config", filepath.Join(dir, "nope.yaml"))
		if status != 1 || !strings.Contains(errOut, "nope.yaml") {
			t.Errorf("exit status %d, stderr %q", status, errOut)
		}
	})
	t.Run("no verb", func(t *testing.T) {
		cmd := exec.Command(bin, "safety")
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "Usage: kindling safety test") {
			t.Errorf("kindling safety: exit %d, %s", cmd.ProcessState.ExitCode(), out)
		}
	})
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, a, b)
		}
	}
	return ""
}
