//go:build linux

// Package fulldisk lets a test make the disk look full to its own process:
// writes that would grow a file past a size fail with EFBIG, as writes to
// a full disk fail with ENOSPC. It is for tests only, and must never be
// imported by code that runs in kindling itself.
package fulldisk

import (
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// childEnv marks the child process a test is run again in (see Limit).
const childEnv = "KINDLING_FULLDISK_CHILD"

// Limit makes writes of this process that would grow a file past size
// fail with EFBIG until the returned function (also run at the end of the
// test) lifts the limit. Go ignores SIGXFSZ, so the write returns the
// error. No root is needed; where the limit cannot be set the test is
// skipped. The limit is the whole process's: a test that sets it must not
// run in parallel with others.
//
// When go test keeps its cache log (a plain `go test ./...`, without
// -count=1), the limit would also refuse that log's writes and fail the
// package. The test is then run again, alone, in a child process that
// keeps no log, and reported here as skipped if the child passed or
// failed with the child's output if it did not.
func Limit(t testing.TB, size int64) (lift func()) {
	t.Helper()
	if f := flag.Lookup("test.testlogfile"); f != nil && f.Value.String() != "" && os.Getenv(childEnv) == "" {
		runInChild(t)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limit := old
	limit.Cur = uint64(size)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("cannot limit the file size here: %v", err)
	}
	var once sync.Once
	lift = func() {
		once.Do(func() {
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Cleanup(lift)
	return lift
}

// runInChild runs the test t alone in a child process of the same test
// binary, without a cache log, and ends t: skipped when the child passed,
// failed with its output when it did not.
func runInChild(t testing.TB) {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run alone in a child process (go test's cache log cannot grow under the file-size limit): %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the child process did not run %s:\n%s", t.Name(), out)
	}
	t.Skipf("passed alone in a child process: go test's cache log cannot grow under the file-size limit (-count=1 runs it here)")
}
