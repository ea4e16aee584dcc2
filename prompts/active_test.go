package prompts_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kindling/prompts"
)

// fakeKeeper keeps sets in memory, as kindling's database does.
type fakeKeeper struct {
	mu      sync.Mutex
	kept    *prompts.Kept
	keeps   int
	readErr error // LastGood's error when set
	keepErr error // Keep's error when set
}

func (k *fakeKeeper) LastGood() (prompts.Kept, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.readErr != nil {
		return prompts.Kept{}, k.readErr
	}
	if k.kept == nil {
		return prompts.Kept{}, fmt.Errorf("last good prompts: %w", prompts.ErrNoneKept)
	}
	return *k.kept, nil
}

func (k *fakeKeeper) Keep(kept prompts.Kept) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keepErr != nil {
		return k.keepErr
	}
	k.kept = &kept
	k.keeps++
	return nil
}

// last is the set kept last and how many Keeps succeeded.
func (k *fakeKeeper) last() (*prompts.Kept, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.kept, k.keeps
}

var keptAt = time.Date(2026, 3, 8, 9, 30, 0, 0, time.FixedZone("CET", 3600))

// activeOptions are the options of a folder whose default sequence is s,
// logging into logs, stamping kept sets with keptAt.
func activeOptions(dir string, logs *syncBuffer) prompts.ActiveOptions {
	return prompts.ActiveOptions{
		Dir: dir, DefaultSequence: "s", KeptIn: "the test's keeper",
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Now:    func() time.Time { return keptAt },
	}
}

func startActive(t *testing.T, o prompts.ActiveOptions, k prompts.Keeper) *prompts.Active {
	t.Helper()
	p, err := prompts.Prepare(o)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	a, err := p.Start(context.Background(), k)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// keptFiles is a kept set whose sequence s asks question.
func keptFiles(question string) *prompts.Kept {
	return &prompts.Kept{Source: "/srv/prompts", LoadedAt: time.Date(2026, 2, 1, 7, 5, 0, 0, time.UTC),
		Files: map[string][]byte{"s.yaml": []byte(seqText(question))}}
}

// TestActiveBuiltin: without a folder the built-in set runs, nothing is
// kept or watched, and a default sequence it lacks refuses the start.
func TestActiveBuiltin(t *testing.T) {
	k := &fakeKeeper{}
	a := startActive(t, prompts.ActiveOptions{DefaultSequence: "after-session"}, k)
	if a.Current() != prompts.Default() {
		t.Error("Current is not the built-in set")
	}
	if _, open := <-a.Changes(); open {
		t.Error("Changes without a folder is not closed")
	}
	if ok, problems := a.Reload(); ok || len(problems) != 1 || !strings.Contains(problems[0], "prompts.dir is not set") {
		t.Errorf("Reload without a folder = %v, %q", ok, problems)
	}
	if d, f := a.Degraded(), a.Fallback(); d != nil || f != nil {
		t.Errorf("Degraded = %q, Fallback = %q; want none", d, f)
	}
	if kept, _ := k.last(); kept != nil {
		t.Errorf("the built-in set was kept: %+v", kept)
	}

	p, err := prompts.Prepare(prompts.ActiveOptions{DefaultSequence: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(context.Background(), k); err == nil || !strings.HasPrefix(err.Error(), `prompts.default_sequence: no sequence "nope" (have `) {
		t.Errorf("Start without the default sequence = %v", err)
	}
}

// TestActiveKeepsGoodSets: a good folder is kept at the start and at each
// good reload, stamped and named by its folder; a reload with errors
// leaves the set and the kept one as they were and is listed as degraded.
func TestActiveKeepsGoodSets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, seqText("First wording"))
	k := &fakeKeeper{}
	logs := &syncBuffer{}
	a := startActive(t, activeOptions(dir, logs), k)
	kept, _ := k.last()
	if kept == nil || kept.Source != dir || !kept.LoadedAt.Equal(keptAt) || kept.LoadedAt.Location() != time.UTC ||
		string(kept.Files["s.yaml"]) != seqText("First wording") {
		t.Fatalf("kept at the start: %+v", kept)
	}
	if a.Degraded() != nil || a.Fallback() != nil {
		t.Errorf("a good start: Degraded %q, Fallback %q", a.Degraded(), a.Fallback())
	}

	saveAtomically(t, path, seqText("Second wording"))
	ok, problems := a.Reload()
	if !ok || slices.ContainsFunc(problems, func(p string) bool { return !strings.Contains(p, "warning: ") }) {
		t.Fatalf("Reload of a good folder = %v, %q", ok, problems)
	}
	if got := firstQuestion(t, a.Current()); got != "Second wording" {
		t.Errorf("after the reload the question is %q", got)
	}
	if kept, _ := k.last(); string(kept.Files["s.yaml"]) != seqText("Second wording") {
		t.Errorf("after a good reload the kept file is %q", kept.Files["s.yaml"])
	}

	saveAtomically(t, path, "id: [")
	ok, problems = a.Reload()
	if ok || !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, "s.yaml:1: ") }) {
		t.Fatalf("Reload of a broken folder = %v, %q", ok, problems)
	}
	if got := firstQuestion(t, a.Current()); got != "Second wording" {
		t.Errorf("after a broken reload the question is %q", got)
	}
	if kept, _ := k.last(); string(kept.Files["s.yaml"]) != seqText("Second wording") {
		t.Errorf("after a broken reload the kept file is %q", kept.Files["s.yaml"])
	}
	d := a.Degraded()
	if len(d) < 2 || d[0] != "prompts.dir "+dir+" has errors; the last good prompts stay active" || !strings.HasPrefix(d[1], "prompts: s.yaml:1: ") {
		t.Errorf("Degraded after a broken reload = %q", d)
	}
	if a.Fallback() != nil {
		t.Errorf("Fallback after a broken reload = %q: the start ran on the folder", a.Fallback())
	}
}

// TestActiveKeepsOnlyWithDefaultSequence: a folder that loads without the
// default sequence becomes active, as every good reload does, but is not
// kept: no later start could run on it.
func TestActiveKeepsOnlyWithDefaultSequence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, seqText("Kept wording"))
	k := &fakeKeeper{}
	a := startActive(t, activeOptions(dir, &syncBuffer{}), k)

	saveAtomically(t, path, strings.Replace(seqText("Unkept wording"), "id: s\n", "id: t\n", 1))
	if ok, problems := a.Reload(); !ok {
		t.Fatalf("Reload = %v, %q", ok, problems)
	}
	if !a.Current().Has("t") || a.Current().Has("s") {
		t.Errorf("active sequences %v, want t only", a.Current().IDs())
	}
	if kept, _ := k.last(); kept == nil || string(kept.Files["s.yaml"]) != seqText("Kept wording") {
		t.Errorf("kept a set without the default sequence: %+v", kept)
	}

	// Nor does a start keep such a folder: it refuses it.
	p, err := prompts.Prepare(activeOptions(dir, &syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(context.Background(), k); err == nil || err.Error() != `prompts.default_sequence: no sequence "s" (have t)` {
		t.Errorf("Start on a folder without the default sequence = %v", err)
	}
}

// TestActiveFallbackStart: a folder with errors at the start runs on the
// kept set, says so in Degraded, Fallback and the log, and switches to the
// folder, keeping it, once the folder loads.
func TestActiveFallbackStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, "id: [")
	k := &fakeKeeper{kept: keptFiles("The kept question")}
	logs := &syncBuffer{}
	o := activeOptions(dir, logs)
	p, err := prompts.Prepare(o)
	if err != nil {
		t.Fatal(err)
	}
	if !p.NeedsKept() {
		t.Fatal("NeedsKept is false for a broken folder")
	}
	a, err := p.Start(context.Background(), k)
	if err != nil {
		t.Fatalf("Start on the kept set: %v", err)
	}
	defer a.Close()
	if got := firstQuestion(t, a.Current()); got != "The kept question" {
		t.Errorf("started on %q", got)
	}
	note := "prompts.dir " + dir + " has errors: running on the last good prompts, loaded 2026-02-01 07:05 UTC from /srv/prompts and kept in the database"
	d := a.Degraded()
	if len(d) < 2 || d[0] != note || !strings.HasPrefix(d[1], "prompts: s.yaml:1: ") {
		t.Errorf("Degraded = %q", d)
	}
	f := a.Fallback()
	if len(f) < 2 || f[0] != note+"." || !slices.ContainsFunc(f[1:], func(l string) bool { return strings.HasPrefix(l, "s.yaml:1: ") }) {
		t.Errorf("Fallback = %q", f)
	}
	if !strings.Contains(logs.String(), "running on the last good prompts") || !strings.Contains(logs.String(), "prompts: s.yaml:1: ") {
		t.Errorf("log lacks the fallback:\n%s", logs)
	}
	if _, n := k.last(); n != 0 {
		t.Errorf("%d sets kept while the folder is broken", n)
	}

	saveAtomically(t, path, seqText("The fixed question"))
	if ok, problems := a.Reload(); !ok {
		t.Fatalf("Reload of the fixed folder = %v, %q", ok, problems)
	}
	if got := firstQuestion(t, a.Current()); got != "The fixed question" {
		t.Errorf("after the fix the question is %q", got)
	}
	if kept, _ := k.last(); kept.Source != dir || string(kept.Files["s.yaml"]) != seqText("The fixed question") {
		t.Errorf("after the fix kept %+v", kept)
	}
	if a.Degraded() != nil || a.Fallback() != nil {
		t.Errorf("after the fix: Degraded %q, Fallback %q", a.Degraded(), a.Fallback())
	}
	if !strings.Contains(logs.String(), "prompts.dir loads again: its prompts are active") {
		t.Errorf("log lacks the switch back:\n%s", logs)
	}
}

// TestActiveNothingKept: a folder with errors and nothing kept refuses the
// start with every problem and names where sets are kept; a Keeper that
// cannot be read, or a kept set that does not load, refuses it too.
func TestActiveNothingKept(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s.yaml"), "id: [")
	p, err := prompts.Prepare(activeOptions(dir, &syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		k    *fakeKeeper
		want string
	}{
		{"none kept", &fakeKeeper{}, "(kindling cannot start: no good prompts were ever loaded into the test's keeper, so there are no good prompts from an earlier start to run on; fix the files above, `kindling check " + dir + "` shows the problems)"},
		{"unreadable", &fakeKeeper{readErr: errors.New("disk on fire")}, "(and the last good prompts cannot be read from the database: disk on fire)"},
		{"kept does not load", &fakeKeeper{kept: &prompts.Kept{Source: "/old", LoadedAt: keptAt, Files: map[string][]byte{"s.yaml": []byte("id: [")}}},
			"(and the last good prompts stored in the database, loaded 2026-03-08T09:30:00+01:00 from /old, do not load either: "},
		{"kept lacks the default", &fakeKeeper{kept: &prompts.Kept{Files: map[string][]byte{"t.yaml": []byte(strings.Replace(seqText("q"), "id: s\n", "id: t\n", 1))}}},
			"(and the last good prompts stored in the database: prompts.default_sequence: no sequence \"s\" (have t))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := p.Start(context.Background(), c.k)
			if err == nil {
				a.Close()
				t.Fatal("Start succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "prompts.dir "+dir+": ") || !strings.Contains(msg, "s.yaml:1: ") || !strings.Contains(msg, c.want) {
				t.Errorf("Start = %s\nwant the problems and %q", msg, c.want)
			}
		})
	}

	want := "prompts.dir " + dir + ": "
	if err := p.Refuse("there is no database yet"); !strings.HasPrefix(err.Error(), want) ||
		!strings.Contains(err.Error(), "s.yaml:1: ") || !strings.Contains(err.Error(), "(kindling cannot start: there is no database yet, so") {
		t.Errorf("Refuse = %v", err)
	}
}

// TestActiveKeepFails: a Keep that fails is logged, and the folder's set
// runs all the same.
func TestActiveKeepFails(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s.yaml"), seqText("Still asked"))
	logs := &syncBuffer{}
	a := startActive(t, activeOptions(dir, logs), &fakeKeeper{keepErr: errors.New("database is read-only")})
	if got := firstQuestion(t, a.Current()); got != "Still asked" {
		t.Errorf("question %q", got)
	}
	if l := logs.String(); !strings.Contains(l, "keep the last good prompts in the database") || !strings.Contains(l, "database is read-only") {
		t.Errorf("log lacks the failed keep:\n%s", l)
	}
}

// TestWouldRun: the set an export describes is the folder's, else the
// kept one, else an error naming both problems.
func TestWouldRun(t *testing.T) {
	if set, err := prompts.WouldRun(prompts.ActiveOptions{}, nil); err != nil || set != prompts.Default() {
		t.Errorf("WouldRun without a folder = %v, %v", set, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, seqText("From the folder"))
	o := activeOptions(dir, &syncBuffer{})
	k := &fakeKeeper{kept: keptFiles("From the keeper")}
	set, err := prompts.WouldRun(o, k)
	if err != nil || firstQuestion(t, set) != "From the folder" {
		t.Fatalf("WouldRun of a good folder: %v", err)
	}
	writeFile(t, path, "id: [")
	set, err = prompts.WouldRun(o, k)
	if err != nil || firstQuestion(t, set) != "From the keeper" {
		t.Fatalf("WouldRun of a broken folder with a kept set: %v", err)
	}
	if kept, n := k.last(); n != 0 || kept.Source != "/srv/prompts" {
		t.Errorf("WouldRun kept something: %d, %+v", n, kept)
	}
	_, err = prompts.WouldRun(o, &fakeKeeper{})
	if err == nil || !strings.HasPrefix(err.Error(), "prompts.dir "+dir+": ") ||
		!strings.Contains(err.Error(), "(and no last good prompts in the database: last good prompts: "+prompts.ErrNoneKept.Error()+")") {
		t.Errorf("WouldRun with nothing kept = %v", err)
	}
}

// TestActiveChangesAfterKeep: each reload is reported on Changes, a good
// one only once its set is kept.
func TestActiveChangesAfterKeep(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, seqText("One"))
	k := &fakeKeeper{}
	a := startActive(t, activeOptions(dir, &syncBuffer{}), k)
	saveAtomically(t, path, seqText("Two"))
	timeout := time.After(10 * time.Second) // only if no change ever comes
	for {
		select {
		case ch := <-a.Changes():
			if !ch.OK || firstQuestion(t, ch.Set) != "Two" {
				continue // a reload raced with the save
			}
			if kept, _ := k.last(); !slices.Equal(kept.Files["s.yaml"], []byte(seqText("Two"))) {
				t.Errorf("reported before it was kept: kept %q", kept.Files["s.yaml"])
			}
			return
		case <-timeout:
			t.Fatal("the save was never reported")
		}
	}
}
