package safety_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kindling/safety"
)

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	const file = "rules:\n  - id: de.sterben\n    language: de\n    tier: alert\n    category: intent\n    patterns: [\"will nicht mehr leben\"]\n"
	if err := os.WriteFile(rules, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	classify := func(s safety.Setup, lang, text string) safety.Verdict {
		t.Helper()
		net, err := safety.Build(s)
		if err != nil {
			t.Fatalf("Build(%+v): %v", s, err)
		}
		return net.Classify(lang, text)
	}
	if v := classify(safety.Setup{RulesFile: rules}, "de", "ich will nicht mehr leben"); v.Rule != "de.sterben" {
		t.Errorf("extended: the file's rule did not fire: %+v", v)
	}
	if v := classify(safety.Setup{RulesFile: rules}, "en", "I want to die"); v.Tier != safety.TierAlert {
		t.Errorf("extended: a built-in rule no longer alerts: %+v", v)
	}
	if v := classify(safety.Setup{RulesFile: rules, Replace: true}, "en", "I want to die"); v.Tier != safety.TierNone {
		t.Errorf("replaced without the learned check: a built-in rule still fires: %+v", v)
	}
	if v := classify(safety.Setup{Phrases: map[string][]string{"en": {"killing me"}}}, "en", "this commute is killing me"); v.Rule != "phrase:killing me" {
		t.Errorf("phrases: %+v", v)
	}
	for _, c := range []struct {
		s    safety.Setup
		want string
	}{
		{safety.Setup{Replace: true}, "safety.rules_mode: replace needs safety.rules_file"},
		{safety.Setup{RulesFile: filepath.Join(dir, "none.yaml")}, "safety.rules_file: "},
		{safety.Setup{Phrases: map[string][]string{"e!": {"x"}}}, "safety.phrases: "},
	} {
		if _, err := safety.Build(c.s); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Build(%+v) = %v, want an error starting %q", c.s, err, c.want)
		}
	}
}
