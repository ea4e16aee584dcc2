//go:build linux

package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kindling/store"
)

// limitFileSize makes writes of this process past size bytes of a file
// fail (EFBIG), as a full disk fails them, until lift. No root needed.
func limitFileSize(t *testing.T, size int64) (lift func()) {
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

// TestStoreRefusingWritesIsReported: while the database cannot grow,
// /healthz says it refuses writes (its own small probe still fits), the
// refused writes are counted in /metrics, and the log says so once, not
// at every retry; once there is room the answer is stored and the log
// says so once.
func TestStoreRefusingWritesIsReported(t *testing.T) {
	r := startRig(t, nil)
	u := r.converse(7101)
	used, err := r.a.db.Backup(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	lift := limitFileSize(t, used)
	answer := strings.Repeat("🌿 kept with care ", 230)
	u.Send(answer)
	waitUntilTrue(t, 20*time.Second, "writes to be refused several times", func() bool {
		return r.a.db.StorageStats().WriteErrors >= 5
	})

	resp := r.get("/healthz", true)
	h := readHealth(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || h.DBWritable || len(h.Problems) == 0 || !strings.Contains(h.Problems[0], "database refuses writes") {
		t.Errorf("/healthz on a full disk: %d %+v, want 503 saying the database refuses writes", resp.StatusCode, h)
	}
	fams := scrape(t, r)
	if got := value(fams, "kindling_store_write_errors_total"); got < 5 {
		t.Errorf("kindling_store_write_errors_total = %v, want at least 5", got)
	}
	if got := value(fams, "kindling_store_refusing_writes"); got != 1 {
		t.Errorf("kindling_store_refusing_writes = %v, want 1", got)
	}
	if got := value(fams, "kindling_updates_skipped_total"); got != 0 {
		t.Errorf("kindling_updates_skipped_total = %v, want 0: the answer must wait", got)
	}

	lift()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	// Writes succeed now; the spell ends with a write after the
	// (shortened) recovery time. The probe of /healthz is one.
	waitUntilTrue(t, 5*time.Second, "the store to count as healthy", func() bool {
		resp := r.get("/healthz", true)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if got := value(scrape(t, r), "kindling_store_refusing_writes"); got != 0 {
		t.Errorf("kindling_store_refusing_writes = %v after room was made, want 0", got)
	}
	log := r.log.String()
	if n := strings.Count(log, "the database refuses writes"); n != 1 {
		t.Errorf("the log says %d times that the database refuses writes, want once:\n%s", n, log)
	}
	if n := strings.Count(log, "the database takes writes again"); n != 1 {
		t.Errorf("the log says %d times that the database takes writes again, want once:\n%s", n, log)
	}
	found := false
	err = r.a.db.View(func(tx *store.Tx) error {
		rs, err := tx.Replies(u.ID(), time.Time{})
		for _, rep := range rs {
			found = found || rep.Answer == answer
		}
		return err
	})
	if err != nil || !found {
		t.Errorf("the answer sent while the disk was full is not stored (%v)", err)
	}
}
