package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"kindling/bot"
	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegramtest"
)

// benchClients is how many clients get their first question in one run.
const benchClients = 10000

// seedDue writes n clients whose day-1 step is due at at, each with a
// session the day before.
func seedDue(tb testing.TB, db *store.DB, n int, at time.Time) {
	tb.Helper()
	session := at.AddDate(0, 0, -1).Format("2006-01-02")
	for start := 0; start < n; start += 1000 {
		err := db.Update(func(tx *store.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				id := int64(100000 + i)
				c := store.Client{ChatID: id, UserID: id, Name: fmt.Sprintf("C%d", i), Language: "en",
					TimeZone: "UTC", SendTime: at.Format("15:04"), Sequence: "after-session",
					Status: store.StatusActive, ConsentAt: at.AddDate(0, 0, -2), CreatedAt: at.AddDate(0, 0, -2), Due: at}
				if err := tx.PutClient(c); err != nil {
					return err
				}
				if err := tx.AddSession(store.Session{ChatID: id, Date: session, CreatedAt: c.CreatedAt}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// benchSend starts the day for benchClients clients and waits until every
// first question reached the fake Telegram. limit is the fake's global rate
// limit (0: none); the sender is set just under it.
func benchSend(b *testing.B, limit int) {
	for range b.N {
		b.StopTimer()
		srv := telegramtest.New()
		for i := range benchClients {
			srv.User(int64(100000+i), "C", "en")
		}
		rate := 100000.0
		if limit > 0 {
			srv.LimitRate(limit, 0)
			rate = float64(limit) * 0.96
		}
		db, err := store.Open(filepath.Join(b.TempDir(), "k.db"), store.Options{Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		seedDue(b, db, benchClients, at)
		api, err := bot.NewAPI(srv.Token(), srv.URL(), 10*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		set := prompts.Default()
		sched := &schedule.Scheduler{DB: db, Prompts: func() *prompts.Set { return set }, CatchUp: 6 * time.Hour,
			DefaultTime: "09:00", DefaultSequence: "after-session", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		k := &bot.Bot{DB: db, Prompts: sched.Prompts, Planner: sched, API: api, Now: func() time.Time { return at },
			Sender: &bot.Sender{Rate: rate, PerChat: time.Second}, Logger: sched.Logger,
			DefaultSequence: "after-session", DefaultLanguage: "en", DefaultTime: "09:00", DefaultTimeZone: "UTC"}
		sched.Conversation = k
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); k.Drain(ctx) }()

		b.StartTimer()
		began := time.Now()
		st, err := sched.Tick(ctx, at)
		if err != nil || st.Started != benchClients {
			b.Fatalf("tick started %d steps, want %d (err %v)", st.Started, benchClients, err)
		}
		k.Wake()
		wait, stop := context.WithTimeout(ctx, 5*time.Minute)
		if err := k.WaitIdle(wait); err != nil {
			b.Fatal(err)
		}
		stop()
		took := time.Since(began)
		b.StopTimer()

		sent := 0
		var first, last time.Time
		for _, c := range srv.Calls("sendMessage") {
			if c.Status == 200 {
				sent++
				if first.IsZero() || c.At.Before(first) {
					first = c.At
				}
				if c.At.After(last) {
					last = c.At
				}
			}
		}
		if sent != benchClients {
			b.Fatalf("%d first questions arrived, want %d", sent, benchClients)
		}
		tooMany := srv.Responses(429)
		// The send rate is measured over the sends themselves; the tick
		// that writes 10,000 deliveries first is in ns/op.
		sendRate := float64(sent-1) / last.Sub(first).Seconds()
		b.ReportMetric(sendRate, "msgs/s")
		b.ReportMetric(float64(sent)/took.Seconds(), "overall-msgs/s")
		b.ReportMetric(float64(tooMany), "429s")
		if limit > 0 {
			b.ReportMetric(100*sendRate/float64(limit), "%limit")
			if tooMany != 0 {
				b.Errorf("%d answers of 429 with the sender under the limit", tooMany)
			}
		}
		cancel()
		<-done
		srv.Close()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstQuestion10k sends a day's first question to 10,000 clients
// through telegramtest: once with the fake enforcing a global rate limit
// (the sender set to 96% of it: the achieved rate must stay above 95% with
// no 429), and once with no limit (kindling's own overhead).
// Run with -benchtime=1x.
func BenchmarkFirstQuestion10k(b *testing.B) {
	b.Run("limit=1000", func(b *testing.B) { benchSend(b, 1000) })
	b.Run("nolimit", func(b *testing.B) { benchSend(b, 0) })
}
