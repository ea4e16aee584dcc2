package store_test

import (
	"encoding/binary"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"kindling/store"
)

const benchWriters = 64

var benchAnswer = strings.Repeat("a thoughtful answer ", 10) // 200 bytes

// parallel runs fn b.N times spread over benchWriters goroutines and
// reports the rate as replies/s.
func parallel(b *testing.B, fn func(i int64) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range benchWriters {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
}

var benchRounds = flag.Int("rounds", 1, "BenchmarkReplies64: interleaved rounds of store and raw bbolt")

// BenchmarkReplies64 stores replies from 64 concurrent writers, durably
// (fsync on), through the store and through raw bbolt for the ceiling. With
// -rounds N the three run in turn N times, so that each ratio compares runs
// minutes apart at most, on a disk whose latency drifts.
func BenchmarkReplies64(b *testing.B) {
	for round := 1; round <= *benchRounds; round++ {
		name := ""
		if *benchRounds > 1 {
			name = fmt.Sprintf("round%d/", round)
		}
		b.Run(name+"store-ApplyUpdate", benchStoreReplies)
		b.Run(name+"raw-Batch-put", benchRawBatch)
		b.Run(name+"raw-Update-empty", benchRawUpdate)
	}
}

func benchStoreReplies(b *testing.B) {
	db := mustOpenAt(b, filepath.Join(b.TempDir(), "k.db"), store.Options{})
	parallel(b, func(i int64) error {
		_, err := db.ApplyUpdate(i, func(tx *store.Tx) error {
			r := store.Reply{ChatID: i%500 + 1, At: t0, QuestionID: "mood", Question: "How are you feeling today?",
				Kind: "text", Answer: benchAnswer, MessageID: int(i)}
			return tx.AddReply(&r)
		})
		return err
	})
}

func rawDB(b *testing.B) *bbolt.DB {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{Timeout: time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("replies")); return err }); err != nil {
		b.Fatal(err)
	}
	return db
}

func benchRawUpdate(b *testing.B) {
	db := rawDB(b)
	parallel(b, func(int64) error { return db.Update(func(*bbolt.Tx) error { return nil }) })
}

func benchRawBatch(b *testing.B) {
	db := rawDB(b)
	value := []byte(`{"chat_id":1,"answer":"` + benchAnswer + `"}`)
	parallel(b, func(i int64) error {
		return db.Batch(func(tx *bbolt.Tx) error {
			k := binary.BigEndian.AppendUint64(nil, uint64(i%500+1))
			k = binary.BigEndian.AppendUint64(k, uint64(i))
			return tx.Bucket([]byte("replies")).Put(k, value)
		})
	})
}

// dueFixture is a database of 100,000 clients, 100 of them due at t0.
func dueFixture(b *testing.B) *store.DB {
	db := mustOpenAt(b, filepath.Join(b.TempDir(), "due.db"), store.Options{NoSync: true})
	{
		const clients, due = 100_000, 100
		for start := 0; start < clients; start += 10_000 {
			err := db.Update(func(tx *store.Tx) error {
				for i := start; i < start+10_000; i++ {
					at := t0.Add(time.Duration(i) * time.Second) // 100 due by t0, the rest later
					if i < due {
						at = t0.Add(-time.Duration(i) * time.Minute)
					}
					if err := tx.PutClient(client(int64(i+1), at)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	return db
}

func BenchmarkDue(b *testing.B) {
	db := dueFixture(b)
	for _, tc := range []struct {
		name string
		at   time.Time
		want int
	}{
		{"100k-clients-100-due", t0, 100},
		{"100k-clients-none-due", t0.Add(-24 * time.Hour), 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ids, err := db.Due(tc.at, 0)
				if err != nil || len(ids) != tc.want {
					b.Fatalf("Due = %d ids, %v; want %d", len(ids), err, tc.want)
				}
			}
		})
	}
}
