package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kindling/store"
	"kindling/telegramtest"
)

// procStatusKB reads a "Vm..." field of /proc/PID/status in kilobytes.
func procStatusKB(tb testing.TB, pid int, field string) float64 {
	tb.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil {
				return kb
			}
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// BenchmarkRunMemory100k starts the real binary on a database of 100,000
// clients (each with a session and a due time) and reports its resident
// memory once it has started, ticked and is polling. Target: under 150 MB.
// Run with -benchtime=1x.
func BenchmarkRunMemory100k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		db, err := store.Open(filepath.Join(dir, "kindling.db"), store.Options{Timeout: time.Second, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC()
		for start := 0; start < 100000; start += 5000 {
			err := db.Update(func(tx *store.Tx) error {
				for i := start; i < start+5000; i++ {
					id := int64(1000000 + i)
					c := store.Client{ChatID: id, UserID: id, Name: "Client " + strconv.Itoa(i), Language: "en",
						TimeZone: "Europe/Berlin", SendTime: "09:00", Sequence: "after-session", Status: store.StatusActive,
						ConsentAt: now, CreatedAt: now, Due: now.Add(2*time.Hour + time.Duration(i)*time.Second)}
					if err := tx.PutClient(c); err != nil {
						return err
					}
					if err := tx.AddSession(store.Session{ChatID: id, Date: now.AddDate(0, 0, -3).Format("2006-01-02"), CreatedAt: now}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(dir, "kindling.db")); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "MB-db-file")
		}
		srv := telegramtest.New()
		b.StartTimer()
		cmd := crashRun(b, srv, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		// Polling has begun once getUpdates is called twice: start-up,
		// the first tick and the first (empty) poll are behind it.
		err = srv.Wait(ctx, func() bool { return len(srv.Calls("getUpdates")) >= 2 })
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rss := procStatusKB(b, cmd.Process.Pid, "VmRSS") / 1024
		peak := procStatusKB(b, cmd.Process.Pid, "VmHWM") / 1024
		b.ReportMetric(rss, "MB-rss")
		b.ReportMetric(peak, "MB-peak-rss")
		if rss > 150 {
			b.Errorf("resident memory %.0f MB with 100,000 clients, target under 150 MB", rss)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		srv.Close()
	}
}
