package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"kindling/bot"
	"kindling/prompts"
	"kindling/schedule"
	"kindling/store"
	"kindling/telegram"
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

// sendRun is what one day's first question to benchClients clients cost.
type sendRun struct {
	took    time.Duration // from the drain's start to the last send recorded
	cpu     time.Duration // process CPU meanwhile (the fake's included)
	bytes   uint64        // allocated meanwhile
	allocs  uint64
	rate    float64 // sends per second, first to last as the fake saw them
	tooMany int     // 429 answers
	tick    time.Duration
}

// runSend starts the day for benchClients clients and waits until every
// first question reached the fake Telegram. limit is the fake's global
// rate limit (0: none); the sender is set just under it. The tick that
// writes the deliveries runs before the drain starts, so the figures of
// the send path leave it out (it is reported as tick-ms).
func runSend(b *testing.B, srv *telegramtest.Server, limit int) sendRun {
	b.Helper()
	rate := 100000.0
	if limit > 0 {
		srv.LimitRate(limit, 0)
		rate = float64(limit) * 0.96
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "k.db"), store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}()
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	seedDue(b, db, benchClients, at)
	api, err := telegram.NewAPI(srv.Token(), srv.URL(), 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	set := prompts.Default()
	sched := &schedule.Scheduler{DB: db, Prompts: func() *prompts.Set { return set }, CatchUp: 6 * time.Hour,
		DefaultTime: "09:00", DefaultSequence: "after-session", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	k := bot.New(bot.Options{
		Deps: bot.Deps{DB: db, Prompts: sched.Prompts, Planner: sched, API: api, Now: func() time.Time { return at },
			Sender: &telegram.Sender{Rate: rate, PerChat: time.Second}, Logger: sched.Logger},
		Settings: bot.Settings{DefaultSequence: "after-session", DefaultLanguage: "en", DefaultTime: "09:00", DefaultTimeZone: "UTC"},
	})
	sched.Conversation = k
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var r sendRun
	began := time.Now()
	st, err := sched.Tick(ctx, at)
	if err != nil || st.Started != benchClients {
		b.Fatalf("tick started %d steps, want %d (err %v)", st.Started, benchClients, err)
	}
	r.tick = time.Since(began)

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU(b)
	began = time.Now()
	done := make(chan struct{})
	go func() { defer close(done); k.Drain(ctx) }()
	wait, stop := context.WithTimeout(ctx, 5*time.Minute)
	defer stop()
	if err := k.WaitIdle(wait); err != nil {
		b.Fatal(err)
	}
	r.took = time.Since(began)
	r.cpu = processCPU(b) - cpu0
	runtime.ReadMemStats(&m1)
	r.bytes, r.allocs = m1.TotalAlloc-m0.TotalAlloc, m1.Mallocs-m0.Mallocs
	cancel()
	<-done

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
	r.rate = float64(sent-1) / last.Sub(first).Seconds()
	r.tooMany = srv.Responses(429)
	return r
}

// newFake is a telegramtest server that knows the benchmark's clients.
func newFake() *telegramtest.Server {
	srv := telegramtest.New()
	for i := range benchClients {
		srv.User(int64(100000+i), "C", "en")
	}
	return srv
}

// plainBody is the body of bare sendMessage call i: a short text to
// client i.
func plainBody(i int) []byte {
	body, _ := json.Marshal(map[string]any{"chat_id": 100000 + i, "text": strings.Repeat("How are you feeling today? ", 4)})
	return body
}

// sameBodies makes the body of bare call i the message kindling sent in
// call i of calls (its chat, text and keyboard), so that the fake does
// the same work for both.
func sameBodies(calls []telegramtest.Call) func(int) []byte {
	return func(i int) []byte {
		p := calls[i].Params
		body, _ := json.Marshal(map[string]any{"chat_id": json.RawMessage(p["chat_id"]), "text": p["text"],
			"reply_markup": json.RawMessage(p["reply_markup"])})
		return body
	}
}

// bareSend posts benchClients sendMessage calls to srv with plain
// net/http and a JSON body, from as many goroutines as kindling's drain
// has workers, and returns the process CPU they took: the floor that
// kindling's send path is measured against.
func bareSend(b *testing.B, srv *telegramtest.Server, body func(i int) []byte) (time.Duration, uint64) {
	b.Helper()
	const workers = 128
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = workers
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	url := srv.URL() + "/bot" + srv.Token() + "/sendMessage"
	next := make(chan int)
	errs := make(chan error, workers)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU(b)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				resp, err := client.Post(url, "application/json", bytes.NewReader(body(i)))
				if err != nil {
					errs <- err
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("bare sendMessage answered %d", resp.StatusCode)
				}
			}
		}()
	}
	for i := range benchClients {
		next <- i
	}
	close(next)
	wg.Wait()
	cpu := processCPU(b) - cpu0
	runtime.ReadMemStats(&m1)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return cpu, m1.TotalAlloc - m0.TotalAlloc
}

// BenchmarkSendNoLimit sends a day's first question to 10,000 clients
// through telegramtest with no rate limit: kindling's own cost of a
// message. cpu-us/msg is the process's CPU (kindling and the fake) per
// message sent; x-bare divides it by the same for plain sendMessage
// POSTs of a short text to a fake of its own in the same run. B/msg and
// allocs/msg are the allocations meanwhile, the fake's included
// (bare-B/msg: the same for the plain POSTs).
//
// x-bare-same divides by plain POSTs of the very messages kindling sent
// (each question's text and keyboard of ten buttons), to a fake of its
// own, after kindling's run: the fake's work on the keyboard, and on
// its echo in the answer, is then on both sides.
//
// The plain POSTs of a short text are made once before kindling's run
// and once after it (the figure is the mean of the two), so that a load
// rising or falling on a shared machine meanwhile weighs on both sides
// of the ratio alike.
// Run with -benchtime=1x.
func BenchmarkSendNoLimit(b *testing.B) {
	var cpu, bare, same, took time.Duration
	var heap, bareHeap, allocs uint64
	plain := func() {
		srv := newFake()
		c, h := bareSend(b, srv, plainBody)
		bare += c / 2
		bareHeap += h / 2
		srv.Close()
	}
	for range b.N {
		b.StopTimer()
		plain()
		srv := newFake()
		b.StartTimer()
		r := runSend(b, srv, 0)
		b.StopTimer()
		calls := srv.Calls("sendMessage")
		srv.Close()
		srv = newFake()
		c, _ := bareSend(b, srv, sameBodies(calls))
		same += c
		srv.Close()
		plain()
		cpu += r.cpu
		took += r.took
		heap += r.bytes
		allocs += r.allocs
		b.ReportMetric(float64(r.tick.Milliseconds()), "tick-ms")
	}
	msgs := float64(b.N * benchClients)
	b.ReportMetric(msgs/took.Seconds(), "msg/s")
	b.ReportMetric(float64(cpu.Microseconds())/msgs, "cpu-us/msg")
	b.ReportMetric(float64(bare.Microseconds())/msgs, "bare-cpu-us/msg")
	b.ReportMetric(float64(cpu)/float64(bare), "x-bare")
	b.ReportMetric(float64(same.Microseconds())/msgs, "bare-same-cpu-us/msg")
	b.ReportMetric(float64(cpu)/float64(same), "x-bare-same")
	b.ReportMetric(float64(heap)/msgs, "B/msg")
	b.ReportMetric(float64(bareHeap)/msgs, "bare-B/msg")
	b.ReportMetric(float64(allocs)/msgs, "allocs/msg")
}

// BenchmarkSendLimited sends a day's first question to 10,000 clients
// through a fake that allows 1,000 calls per second, with the sender set
// to 96% of that: of-limit is the rate achieved over the limit (at least
// 0.95 on a quiet machine), 429s the answers of "too many requests" (0).
// Run with -benchtime=1x.
func BenchmarkSendLimited(b *testing.B) { sendLimited(b, false) }

// BenchmarkSendLimitedAfter429 is BenchmarkSendLimited with the first
// sendMessage answered 429 (retry after 1 s), as Telegram may at any
// time: 429s counts the answers of the fake's own limit after it (0: the
// sender came back at its rate, not in a burst), of-limit the rate
// achieved, first to last.
// Run with -benchtime=1x.
func BenchmarkSendLimitedAfter429(b *testing.B) { sendLimited(b, true) }

// sendLimited runs the two benchmarks of the limited send; after429
// answers the first sendMessage 429.
func sendLimited(b *testing.B, after429 bool) {
	const limit = 1000
	var rate float64
	tooMany := 0
	for range b.N {
		b.StopTimer()
		srv := newFake()
		if after429 {
			srv.Fail("sendMessage", 1, telegramtest.TooMany(1))
			tooMany-- // the one injected
		}
		b.StartTimer()
		r := runSend(b, srv, limit)
		b.StopTimer()
		srv.Close()
		rate += r.rate
		tooMany += r.tooMany
	}
	b.ReportMetric(rate/float64(b.N)/limit, "of-limit")
	b.ReportMetric(float64(tooMany), "429s")
	if tooMany != 0 {
		b.Errorf("%d answers of 429 from the fake's limit with the sender under it", tooMany)
	}
}
