//go:build bigruns

// The file behind a large run, measured in-process (not in go test ./...
// nor CI: it takes about half a minute):
//
//	go test -tags bigruns -run TestBigRunDayFile -v -count=1 ./bot
//
// BENCHMARKS.md ("one day of 100,000 clients due in the same minute") has
// the figures.
package bot_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/bot"
	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
	"kindling/telegramtest"
)

// mappedMB is how much of the file at path this process has mapped and
// resident (the Rss of its mappings in /proc/self/smaps), in MB.
func mappedMB(tb testing.TB, path string) float64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in, kb := false, 0.0
	for sc.Scan() {
		l := sc.Text()
		if fields := strings.Fields(l); len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(l, " kB") {
			in = strings.HasSuffix(l, " "+path)
			continue
		}
		if in && strings.HasPrefix(l, "Rss:") {
			v, err := strconv.ParseFloat(strings.Fields(l)[1], 64)
			if err != nil {
				tb.Fatal(err)
			}
			kb += v
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return kb / 1024
}

func fileMB(tb testing.TB, path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(fi.Size()) / 1e6
}

// logBuckets logs, for each bucket of the closed file at path, its keys,
// pages, bytes in use and allocated, how full its leaf pages are, and the
// bytes in use per key (the element header, key and value).
func logBuckets(t *testing.T, path string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.View(func(tx *bbolt.Tx) error {
		t.Logf("file %.1f MB, %d pages in use by the last transaction (%.1f MB)", fileMB(t, path), tx.Size()/4096, float64(tx.Size())/1e6)
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			s := bk.Stats()
			if s.KeyN == 0 {
				return nil
			}
			t.Logf("  %-14s %7d keys %6d leaf + %4d branch pages, %6.1f MB in use of %6.1f MB, leaves %.0f%% full, %4.0f B a key",
				name, s.KeyN, s.LeafPageN, s.BranchPageN, float64(s.LeafInuse+s.BranchInuse)/1e6,
				float64(s.LeafAlloc+s.BranchAlloc)/1e6, 100*float64(s.LeafInuse)/float64(max(1, s.LeafAlloc)),
				float64(s.LeafInuse)/float64(s.KeyN))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBigRunDayFile is the day of TestBigRunDay100k (the root package)
// in-process: 100,000 clients due in the same minute, every tick of
// 20,000 run back to back while the drain sends their first questions to
// telegramtest without a rate limit (the most the outbox can hold at
// once: the binary ticks again only when the sender has room, see
// bot.Room). It logs the file's size and the
// pages of it this process has mapped (sampled every 100 ms: bbolt maps
// the whole file and reads through the mapping, so those pages count in
// the binary's resident memory), and each bucket's pages after the seed
// and after the day.
func TestBigRunDayFile(t *testing.T) {
	const n = 100_000
	srv := telegramtest.NewTB(t)
	for i := range n {
		srv.User(int64(100000+i), "C", "en")
	}
	path := filepath.Join(t.TempDir(), "k.db")
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	seedDB, err := store.Open(path, store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	seedDue(t, seedDB, n, at)
	if err := seedDB.Close(); err != nil {
		t.Fatal(err)
	}
	t.Log("after the seed:")
	logBuckets(t, path)

	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	api, err := telegram.NewAPI(srv.Token(), srv.URL(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	set := prompts.Default()
	sched := &schedule.Scheduler{DB: db, Prompts: func() *prompts.Set { return set }, CatchUp: 6 * time.Hour,
		DefaultTime: "09:00", DefaultSequence: "after-session", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	k := bot.New(bot.Options{
		Deps: bot.Deps{DB: db, Prompts: sched.Prompts, Planner: sched, API: api, Now: func() time.Time { return at },
			Sender: &telegram.Sender{Rate: 100000, PerChat: time.Second}, Logger: sched.Logger},
		Settings: bot.Settings{DefaultSequence: "after-session", DefaultLanguage: "en", DefaultTime: "09:00", DefaultTimeZone: "UTC"},
	})
	sched.Conversation = k
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		mu                 sync.Mutex
		peakMapped, peakMB float64
	)
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			m, f := mappedMB(t, path), fileMB(t, path)
			mu.Lock()
			peakMapped, peakMB = max(peakMapped, m), max(peakMB, f)
			mu.Unlock()
		}
	}()
	drained := make(chan struct{})
	go func() { defer close(drained); k.Drain(ctx) }()
	began := time.Now()
	for {
		st, err := sched.Tick(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		k.Wake()
		t.Logf("tick: %d started, %s after the start, file %.1f MB", st.Started, time.Since(began).Round(time.Millisecond), fileMB(t, path))
		if st.Remaining == 0 {
			break
		}
	}
	wait, stop := context.WithTimeout(ctx, 5*time.Minute)
	defer stop()
	if err := k.WaitIdle(wait); err != nil {
		t.Fatal(err)
	}
	close(stopSampling)
	<-sampled
	cancel()
	<-drained
	mu.Lock()
	t.Logf("every first question out %s after the start; file at most %.1f MB, mapped and resident at most %.1f MB",
		time.Since(began).Round(time.Millisecond), peakMB, peakMapped)
	mu.Unlock()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Calls("sendMessage")); got != n {
		t.Errorf("%d first questions sent, want %d", got, n)
	}
	t.Log("after the day:")
	logBuckets(t, path)
}
