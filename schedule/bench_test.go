package schedule_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
)

// BenchmarkTickNoneDue100k is the cron tick with 100,000 clients and none
// of them due: the cost must not grow with the clients, only with the due.
func BenchmarkTickNoneDue100k(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "k.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	const n = 100000
	for start := 0; start < n; start += 5000 {
		err := db.Update(func(tx *store.Tx) error {
			for i := start; i < start+5000; i++ {
				c := store.Client{ChatID: int64(1 + i), Name: "C", Language: "en", TimeZone: "UTC", SendTime: "09:00",
					Sequence: "after-session", Status: store.StatusActive,
					Due: now.Add(time.Hour + time.Duration(i)*time.Second)}
				if err := tx.PutClient(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	set := prompts.Default()
	s := &schedule.Scheduler{DB: db, Prompts: func() *prompts.Set { return set }, CatchUp: 6 * time.Hour, DefaultTime: "09:00"}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st, err := s.Tick(ctx, now)
		if err != nil || st.Due != 0 {
			b.Fatalf("tick: %+v %v", st, err)
		}
	}
}
