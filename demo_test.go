package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"kindling/internal/fhircheck"
)

// TestDemo runs `kindling demo` for a few days: the simulated client gets
// started, is asked each day from the day of the session on, and every
// answer is stored.
func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"demo", "--days", "3", "--quiet", "--dir", t.TempDir()}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	// Day 0 has its two questions and the check-in's six items.
	const want = "Summary: 3 days run, 4 days prompted (4 answered), 16 answers stored, 27 messages from kindling"
	if !strings.Contains(out.String(), want) {
		t.Errorf("demo summary:\n%s\nwant a line starting %q", out.String(), want)
	}
}

// TestDemoCheckIns: the demo's month asks the check-in on its days and
// sums up its totals and bands, and `kindling export --format fhir` of the
// demo's database passes the FHIR R4 validator.
func TestDemoCheckIns(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	none := func(string) string { return "" }
	if err := run(context.Background(), []string{"demo", "--quiet", "--days", "31", "--dir", dir}, none, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	want := `Check-in "How the past week has been": day 0: 10, a heavy stretch; day 7: 10, a heavy stretch; day 14: 5, some strain; day 30: 0, settled (-10 from the baseline, remission)`
	if !strings.Contains(out.String(), want) {
		t.Fatalf("demo summary lacks the check-ins:\n%s", out.String())
	}

	db := filepath.Join(dir, "kindling.db")
	env := func(k string) string {
		if k == "KINDLING_STORE_PATH" {
			return db
		}
		return ""
	}
	out.Reset()
	if err := run(context.Background(), []string{"export", "--format", "fhir"}, env, &out, &errOut); err != nil {
		t.Fatalf("export --format fhir: %v\n%s", err, errOut.String())
	}
	if n := strings.Count(out.String(), `"resourceType": "QuestionnaireResponse"`); n != 4 {
		t.Errorf("%d responses in the export, want the 4 check-ins", n)
	}
	t.Log(fhircheck.Validate(t, out.Bytes()))
}
