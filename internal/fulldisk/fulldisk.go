//go:build linux

// Package fulldisk lets a test make the disk look full to its own process:
// writes that would grow a file past a size fail with EFBIG, as writes to
// a full disk fail with ENOSPC. It is for tests only, and must never be
// imported by code that runs in kindling itself.
package fulldisk

import (
	"sync"
	"syscall"
	"testing"
)

// Limit makes writes of this process that would grow a file past size
// fail with EFBIG until the returned function (also run at the end of the
// test) lifts the limit. Go ignores SIGXFSZ, so the write returns the
// error. No root is needed; where the limit cannot be set the test is
// skipped. The limit is the whole process's: a test that sets it must not
// run in parallel with others.
func Limit(t testing.TB, size int64) (lift func()) {
	t.Helper()
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
