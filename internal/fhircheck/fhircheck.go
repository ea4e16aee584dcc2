// Package fhircheck runs the FHIR R4 validator of the npm "fhir" package
// (scripts/fhircheck) on what a test wrote, so that kindling's FHIR export
// is held to a validator written by others and not only to its own
// expectations. It is for tests only.
//
// Without node the check is skipped on a developer's machine and fails in
// CI (CI is set), whose script installs node and the package. With node but
// without the package installed, it runs `npm ci` in scripts/fhircheck
// first (once at a time: the folder's lock file is held meanwhile).
package fhircheck

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// Dir is the folder of the validator script and its package.json.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "fhircheck")
}

// Validate writes data to a file and runs the validator on it. It fails
// the test, with the validator's output, when the validator finds an
// error; it returns that output otherwise.
func Validate(t testing.TB, data []byte) string {
	t.Helper()
	out, valid := Check(t, data)
	if !valid {
		t.Fatalf("the FHIR validator rejects the export:\n%s", out)
	}
	return out
}

// Check runs the validator on data and reports whether it found it valid,
// with what it printed.
func Check(t testing.TB, data []byte) (out string, valid bool) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node is needed to validate the FHIR export (.ci/run installs it): %v", err)
		}
		t.Skipf("node not installed: the FHIR export is not validated here (install node and npm to run it)")
	}
	dir := Dir()
	install(t, dir)
	path := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := exec.Command(node, filepath.Join(dir, "validate.js"), path).CombinedOutput()
	out = string(raw)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return out, false
	case err != nil:
		t.Fatalf("run the FHIR validator: %v\n%s", err, out)
	}
	if !strings.Contains(out, ": valid (") {
		t.Fatalf("the FHIR validator said nothing of the export:\n%s", out)
	}
	return out, true
}

// install runs `npm ci` in dir unless its node_modules holds the package.
func install(t testing.TB, dir string) {
	t.Helper()
	lock, err := os.Open(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "fhir", "package.json")); err == nil {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("node is installed but npm is not: install npm, or run `npm ci` in %s", dir)
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}
